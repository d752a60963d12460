"""The programme's vocabulary: each definition stands in one place (terrain/definitions.py,
terrain/definitions.sql, config/definitions.toml), SQL and Python say the same, pages,
alerts and published sets count with it, and the Glossary page shows it to every role."""

import datetime as dt
import os
import re

import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from terrain import ROOT, alerts, definitions, glossary, i18n, queries, roles, store, summaries
from tests import fixture_data
from tests.apptest import run_page, texts

D = dt.date


@pytest.fixture(scope="module")
def con():
    connection = definitions.install(duckdb.connect())
    yield connection
    connection.close()


# --- SQL and Python agree ---------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 31)))
def test_the_season_is_the_same_in_sql_and_python(con, day):
    season, first, last = con.execute("SELECT winter_season($d), season_first_day(winter_season($d)), "
                                      "season_last_day(winter_season($d))", {"d": day}).fetchall()[0]
    if definitions.in_season(day):
        assert season == definitions.season_of(day)
        assert (first, last) == definitions.season_bounds(season)
        assert first <= day <= last
    else:
        assert season is None


@pytest.mark.parametrize("day, season", [
    (D(2023, 10, 31), None), (D(2023, 11, 1), 2023), (D(2023, 12, 31), 2023), (D(2024, 1, 1), 2023),
    (D(2024, 2, 29), 2023), (D(2024, 3, 31), 2023), (D(2024, 4, 1), None),
])
def test_season_edges(con, day, season):
    assert con.execute("SELECT winter_season($d)", {"d": day}).fetchall()[0][0] == season
    assert definitions.in_season(day) is (season is not None)


@pytest.mark.parametrize("tmin, vigilance, cold", [
    (0.0, "green", True), (0.1, "green", False), (-12.0, "green", True), (5.0, "orange", True),
    (5.0, "red", True), (5.0, "yellow", False), (None, None, False), (None, "red", True),
])
def test_cold_night_in_sql_and_python(con, tmin, vigilance, cold):
    assert con.execute("SELECT cold_night($t::DOUBLE, $v)", {"t": tmin, "v": vigilance}).fetchall()[0][0] is cold
    assert definitions.load().cold_night.holds(tmin, vigilance) is cold


@pytest.mark.parametrize("age_band, unaccompanied, sex, minor, girl", [
    ("0-14", "no", "F", True, True), ("15-17", "unknown", "M", True, False),
    ("18-24", "yes", "F", True, True),          # recorded as a minor: an age may be contested
    ("unknown", "yes", "M", True, False), ("unknown", "unknown", "F", False, False),
    ("35+", "no", "F", False, False),
])
def test_minor_and_girl(con, age_band, unaccompanied, sex, minor, girl):
    row = con.execute("SELECT is_minor($a, $u), is_girl($s, $a, $u), is_unaccompanied_minor($u)",
                      {"a": age_band, "u": unaccompanied, "s": sex}).fetchall()[0]
    assert row == (minor, girl, unaccompanied == "yes")


@pytest.mark.parametrize("occupied, available, full", [(20, 20, True), (22, 20, True), (19, 20, False),
                                                       (0, 0, False), (None, None, False)])
def test_night_at_capacity(con, occupied, available, full):
    assert con.execute("SELECT at_capacity($o::INTEGER, $a::INTEGER)", {"o": occupied, "a": available}).fetchall()[0][0] is full


@pytest.mark.parametrize("night, tmin, in_service, open_, gap", [
    (D(2024, 1, 10), -1.0, True, False, True),
    (D(2024, 1, 10), -1.0, True, True, False),     # a shelter was open
    (D(2024, 1, 10), -1.0, False, False, False),   # before the programme had one
    (D(2024, 1, 10), 3.0, True, False, False),     # not cold
    (D(2024, 4, 10), -1.0, True, False, False),    # out of season
])
def test_winter_gap(con, night, tmin, in_service, open_, gap):
    assert con.execute("SELECT winter_gap($n, $t::DOUBLE, 'green', $s, $o)",
                       {"n": night, "t": tmin, "s": in_service, "o": open_}).fetchall()[0][0] is gap


# --- one place -----------------------------------------------------------------------------

# What a definition looks like when a query writes its own: none may outside the definitions.
_WRITTEN_AGAIN = {
    "a cold night's threshold": re.compile(r"tmin_c\s*<=?\s*-?\d"),
    "the season's months": re.compile(r"IN\s*\(\s*11\s*,\s*12\s*,\s*1\s*,\s*2\s*,\s*3\s*\)|month\([^)]*\)\s*>=\s*11"),
    "the season's dates": re.compile(r"make_date\([^)]*,\s*(11\s*,\s*1|3\s*,\s*31)\s*\)"),
    "a minor's age bands": re.compile(r"'0-14'\s*,\s*'15-17'\s*\)"),
    "a night at capacity": re.compile(r"beds_occupied\s*>=\s*\w*\.?beds_available"),
    "an unaccompanied minor": re.compile(r"unaccompanied_minor\s*=\s*'yes'"),
}
_SQL_FILES = sorted([*(ROOT / "queries").glob("*.sql"), *(ROOT / "terrain").rglob("*.sql")])


@pytest.mark.parametrize("path", _SQL_FILES, ids=lambda p: p.name)
def test_no_query_writes_a_definition_of_its_own(path):
    if path.name in ("definitions.sql", "schema.sql"):  # the definitions; the table's own checks
        return
    text = "\n".join(line.split("--")[0] for line in path.read_text(encoding="utf-8").splitlines())
    found = [what for what, pattern in _WRITTEN_AGAIN.items() if pattern.search(text)]
    assert not found, f"{path.relative_to(ROOT)} writes {found} itself: call terrain/definitions.sql instead"


def test_the_shared_rows_reach_a_connection_once_it_holds_the_tables():
    # DuckDB binds a table macro when it is created: a bare connection gets the vocabulary
    # alone, and the shared rows (terrain/relations.sql) as soon as the tables are there.
    con = duckdb.connect()
    try:
        definitions.ensure(con)
        assert con.execute("SELECT is_minor('15-17', 'no')").fetchall() == [(True,)]
        with pytest.raises(duckdb.CatalogException, match="site_details"):
            con.execute("SELECT * FROM site_details()")
        store.create_schema(con)
        summaries.refresh(con)
        con.execute("INSERT INTO sites (site_id, name, city, commune_code, departement, site_type, latitude, longitude, "
                    "bed_capacity, population_focus, opened) VALUES ('calais_shelter', 'Shelter', 'Calais', '62193', '62', 'shelter', "
                    "50.95, 1.85, 20, 'minors', DATE '2024-01-01')")
        con.execute("INSERT INTO shelter_nights (site_id, night, beds_available, beds_occupied, turned_away, "
                    "turned_away_minors, turned_away_girls) VALUES ('calais_shelter', DATE '2024-01-02', 20, 20, 3, 2, 1), "
                    "('calais_shelter', DATE '2024-01-03', 20, 12, 0, 0, 0)")
        definitions.ensure(con)
        assert con.execute("SELECT city, site_name FROM site_details()").fetchall() == [("Calais", "Shelter")]
        assert con.execute("SELECT nights_open, bed_nights_occupied, nights_full, turned_away "
                           "FROM occupancy(DATE '2024-01-01', DATE '2024-01-31', [], [], NULL, true)").fetchall() \
            == [(2, 32, 1, 3)]
    finally:
        con.close()


def _bare(fixture_db) -> duckdb.DuckDBPyConnection:
    """A connection to the fixture's tables with no definitions on it."""
    con = duckdb.connect()
    con.execute("ATTACH $p AS data (READ_ONLY)", {"p": str(fixture_db)})
    con.execute("USE data")
    return con


def test_a_query_said_to_need_no_definitions_runs_without_them(fixture_db):
    # The door skips installing the definitions for these (terrain/queries/door.py): each
    # must run on a connection that has none, and the others must be the ones that call them.
    free = [n for n in queries.names() if not definitions.needed_by(queries.load(n).sql)]
    needing = [n for n in queries.names() if n not in free]
    assert len(free) > 10 and len(needing) > 30
    con = _bare(fixture_db)
    try:
        for name in free:
            query = queries.load(name)
            con.execute(query.sql, {p: fixture_data.SAMPLE_PARAMS[p] for p in query.params}).fetchall()
        failed = 0
        for name in needing:
            query = queries.load(name)
            try:
                con.execute(query.sql, {p: fixture_data.SAMPLE_PARAMS[p] for p in query.params}).fetchall()
            except duckdb.CatalogException:
                failed += 1
        assert failed == len(needing), "a query that calls no macro is said to need the definitions"
    finally:
        con.close()


def test_the_door_installs_the_definitions_where_a_run_reads_them_only(fixture_db):
    from terrain.queries import door

    # every statement the door reads for itself, listed where it decides
    said = set()
    for path in (ROOT / "terrain" / "queries").glob("*.py"):
        said |= set(re.findall(r'load\("(\w+)"\)', path.read_text(encoding="utf-8")))
    assert said <= set(door.PUBLISHED_STATEMENTS)
    con = _bare(fixture_db)
    try:
        queries.run(con, "sites_with_areas", {}, role="programme_manager")
        activity = {p: fixture_data.SAMPLE_PARAMS[p] for p in queries.load("consultations_by_city_activity").params}
        queries.run(con, "consultations_by_city_activity", activity, role="donor")   # from the published set
        assert con.execute("SELECT getvariable('terrain_definitions')").fetchall() == [(None,)]
        queries.run(con, "consultations_by_city_activity", activity, role="programme_manager")   # from the rows
        assert con.execute("SELECT getvariable('terrain_definitions')").fetchall()[0][0].startswith(str(definitions.CONFIG_PATH))
    finally:
        con.close()


def test_python_reads_the_season_from_the_definitions():
    from terrain import filters
    from terrain.charts import winter
    assert filters.season_of is definitions.season_of and filters.season_bounds is definitions.season_bounds
    assert winter.SEASON_MONTHS == definitions.season_months() == (11, 12, 1, 2, 3)


# --- everyone counts with it ------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory):
    return fixture_data.build(tmp_path_factory.mktemp("definitions") / "fixture.duckdb")


def _cold_by_hand(con, city, first, last, tmin_at_most, colours):
    rows = con.execute("SELECT tmin_c, vigilance::VARCHAR FROM weather_daily WHERE city = $c AND day BETWEEN $a AND $b",
                       {"c": city, "a": first, "b": last}).fetchall()
    return sum(1 for tmin, colour in rows if tmin <= tmin_at_most or colour in colours)


# January 2024 in Calais (tests/fixture_data.py): 3 nights at -3 °C under an orange
# vigilance, 6 at -3 °C under a yellow one, 22 at 4 °C: each definition below counts apart.
@pytest.mark.parametrize("cold, nights", [(definitions.ColdNight(0.0, ("orange", "red")), 9),
                                          (definitions.ColdNight(-4.0, ("orange", "red")), 3),
                                          (definitions.ColdNight(-4.0, ()), 0),
                                          (definitions.ColdNight(5.0, ()), 31)])
def test_pages_and_alerts_count_the_cold_nights_of_the_definition(fixture_db, cold, nights):
    con = store.open_readonly(fixture_db)
    try:
        definitions.install(con, definitions.Definitions(cold, source="test"))
        period = {"start": D(2024, 1, 1), "end": D(2024, 1, 31), "cities": ["Calais"]}
        expected = _cold_by_hand(con, "Calais", D(2024, 1, 1), D(2024, 1, 31), cold.tmin_at_most, cold.vigilance)
        assert expected == nights
        page = queries.run(con, "cold_nights_by_city", period, role="programme_manager")
        assert int(page.loc[page["city"] == "Calais", "cold_nights"].iloc[0]) == expected
        days = queries.run(con, "winter_nights_by_city_day", period, role="programme_manager")
        assert int(days["cold_night"].sum()) == expected
        evidence = alerts.series(con, "cold_exclusion", alerts.load_config(), D(2024, 1, 1), D(2024, 1, 31))
        by_night = evidence.drop_duplicates("period")
        assert int(by_night["cold_night"].astype(bool).sum()) == expected
    finally:
        con.close()


def test_an_edit_of_the_definitions_file_reaches_the_next_query(fixture_db, tmp_path, monkeypatch):
    edited = tmp_path / "definitions.toml"
    edited.write_text("[cold_night]\ntmin_at_most = -4.0\nvigilance = []\n", encoding="utf-8")
    monkeypatch.setattr(definitions, "CONFIG_PATH", edited)
    con = store.open_readonly(fixture_db)
    try:
        period = {"start": D(2024, 1, 1), "end": D(2024, 1, 31), "cities": ["Calais"]}
        first = queries.run(con, "cold_nights_by_city", period, role="programme_manager")["cold_nights"].iloc[0]
        assert first == _cold_by_hand(con, "Calais", D(2024, 1, 1), D(2024, 1, 31), -4.0, ()) == 0
        edited.write_text("[cold_night]\ntmin_at_most = 0.0\nvigilance = [\"orange\", \"red\"]\n", encoding="utf-8")
        # (a second write in the same clock tick would keep the file's time: move it on)
        stat = edited.stat()
        os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        second = queries.run(con, "cold_nights_by_city", period, role="programme_manager")["cold_nights"].iloc[0]
        assert second == _cold_by_hand(con, "Calais", D(2024, 1, 1), D(2024, 1, 31), 0.0, ("orange", "red"))
        assert second == 9
    finally:
        con.close()


def test_city_nights_at_capacity_are_the_same_on_every_page(fixture_db):
    """A city's nights at capacity are one per city and night, on the Overview, on the
    Occupancy page and in the published set alike (they were shelter-nights on the Overview)."""
    con = store.open_readonly(fixture_db)
    try:
        period = {"start": D(2024, 1, 1), "end": D(2024, 3, 31), "cities": []}
        overview = queries.run(con, "shelter_nights_by_city", period, role="programme_manager")
        occupancy = queries.run(con, "occupancy_summary_by_city", period, role="programme_manager")
        merged = overview.merge(occupancy, on="city")
        assert len(merged) == len(occupancy) > 0
        assert (merged["nights_at_capacity"] == merged["nights_full"]).all()
        city_nights = dict(con.execute("""
            WITH c AS (SELECT s.city, n.night, sum(n.beds_occupied) AS o, sum(n.beds_available) AS a
                       FROM shelter_nights AS n JOIN sites AS s USING (site_id)
                       WHERE n.night BETWEEN DATE '2024-01-01' AND DATE '2024-03-31' GROUP BY ALL)
            SELECT city, count(*) FILTER (WHERE a > 0 AND o >= a) FROM c GROUP BY city""").fetchall())
        assert dict(zip(overview["city"], overview["nights_at_capacity"].astype(int))) == city_nights
    finally:
        con.close()


# --- the file, and the words --------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("", r"section \[cold_night\] is missing"),
    ("[cold_night]\ntmin_at_most = 0.0\n", r"cold_night.vigilance is missing"),
    ("[cold_night]\ntmin_at_most = 0.0\nvigilance = []\nwind = 3\n", r"unknown key cold_night.wind"),
    ("[cold_night]\ntmin_at_most = 20\nvigilance = []\n", r"tmin_at_most must be a number from -40 to 15"),
    ("[cold_night]\ntmin_at_most = true\nvigilance = []\n", r"tmin_at_most must be a number"),
    ("[cold_night]\ntmin_at_most = 0\nvigilance = [\"purple\"]\n", r"unknown colour"),
    ("[cold_night]\ntmin_at_most = 0\nvigilance = \"red\"\n", r"must be a list"),
    ("[season]\n", r"unknown section \[season\]"),
    ("[cold_night\n", r"not valid TOML"),
])
def test_a_bad_definitions_file_is_refused_naming_the_key(tmp_path, text, message):
    path = tmp_path / "definitions.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(definitions.DefinitionsError, match=message):
        definitions.load(path)


def test_the_shipped_definitions():
    shipped = definitions.load()
    assert shipped.cold_night == definitions.ColdNight(0.0, ("orange", "red"))


@pytest.mark.parametrize("lang, season, cold", [
    ("fr", "1er novembre – 31 mars", "température minimale de 0\u00a0°C ou moins, ou vigilance grand froid orange ou rouge de Météo-France"),
    ("en", "1 November – 31 March", "a minimum temperature of 0\u00a0°C or below, or a Météo-France cold weather warning at level orange or red"),
])
def test_the_words_are_composed_from_the_definitions(lang, season, cold):
    assert glossary.season_text(lang) == season
    assert glossary.cold_night_text(lang) == cold
    assert glossary.cold_night_text(lang, definitions.ColdNight(-2.5, ())) == (
        "température minimale de -2,5\u00a0°C ou moins" if lang == "fr" else "a minimum temperature of -2.5\u00a0°C or below")
    words = {e.term: e.definition for e in glossary.entries(lang)}
    assert len(words) == len(glossary.TERMS)
    assert cold in " ".join(words.values())


@pytest.mark.parametrize("role", roles.ROLES)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_role_reads_the_glossary(fixture_db, monkeypatch, role, lang):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    at = run_page("pages/glossary.py", role, {"lang": lang})
    assert not at.exception
    shown = texts(at)
    for entry in glossary.entries(lang):
        assert entry.term in shown and entry.definition in shown
    assert i18n.t("glossary.refusals.term", lang) in shown


@pytest.mark.parametrize("page, label, term", [
    ("pages/overview.py", "overview.cold_nights_several", "cold_night"),
    ("pages/winter.py", "winter.figure.cold_nights", "cold_night"),
    ("pages/winter.py", "winter.figure.turned_away_on_cold_nights", "refusals"),
    ("pages/occupancy.py", "occupancy.metric.nights_full", "night_at_capacity"),
])
def test_a_figure_s_help_gives_the_glossary_s_definition(fixture_db, monkeypatch, page, label, term):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    at = run_page(page, "programme_manager", {"lang": "fr", "period": "custom", "from": "2023-11-01",
                                              "to": "2024-03-31"})
    assert not at.exception
    helps = {m.label: m.proto.help for m in at.metric}
    assert glossary.definition(term, "fr") in helps[i18n.t(label, "fr")]


# --- the app's cursors keep them --------------------------------------------------------------

def test_the_app_s_cursors_keep_the_definitions_and_drop_a_failed_or_changed_one(fixture_db, monkeypatch):
    """A page's query takes a cursor of the process's connection with the definitions already
    on it (putting them on takes as long as a small query); a cursor whose statement failed,
    or that holds other definitions, is not handed out again."""
    from terrain.ui import data

    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    version = data.data_version()
    with data.cursor(version) as first:
        assert first.execute("SELECT winter_season(DATE '2024-01-10')").fetchall()[0][0] is not None
    with data.cursor(version) as again:
        assert again is first
        assert again.execute("SELECT getvariable('terrain_definitions')").fetchall()[0][0] == definitions.load().mark
    with pytest.raises(duckdb.CatalogException):
        with data.cursor(version) as failing:
            failing.execute("SELECT * FROM no_such_table")
    with data.cursor(version) as fresh:
        assert fresh is not failing
        other = definitions.parse({"cold_night": {"tmin_at_most": -5.0, "vigilance": ["red"]}}, "a test")
        definitions.install(fresh, other)
    with data.cursor(version) as after:
        assert after is not fresh
        assert after.execute("SELECT getvariable('terrain_definitions')").fetchall()[0][0] == definitions.load().mark

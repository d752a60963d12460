"""The synthetic demo data: deterministic, complete, and faithful to the programme's facts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from shapely.geometry import Point, shape

from terrain import ROOT, SCHEMA_VERSION, demo, demo_calibration, summaries
from terrain.disclosure import publication

D = dt.date
AS_OF = D(2025, 3, 31)
CONSULTATIONS = 60_000

# One fixed query per table: every row, in a fixed order, hashed.
TABLE_DIGESTS = {
    "metadata": "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM metadata AS t",
    "sites": "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM sites AS t",
    "shelter_nights":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM shelter_nights AS t",
    "consultations":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM consultations AS t",
    "outreach": "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM outreach AS t",
    "vaccination_campaigns":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM vaccination_campaigns AS t",
    "vaccinations":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM vaccinations AS t",
    "demo_planted_events":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM demo_planted_events AS t",
    "weather_daily":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM weather_daily AS t",
    "winter_plan": "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM winter_plan AS t",
    # the demo approves every whole month but its last (terrain/approvals.py), and reopens none
    "month_approvals":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM month_approvals AS t",
    "month_reopenings":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM month_reopenings AS t",
    "context_events":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM context_events AS t",
    # the published sets are a pure function of the rows: the same seed, the same cells hidden
    "published_grid":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM published_grid AS t",
    "published_grid_sets":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM published_grid_sets AS t",
    "published_grid_months":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM published_grid_months AS t",
    "published_grid_cities":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM published_grid_cities AS t",
    "published_grid_blocks":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM published_grid_blocks AS t",
}


def digests(path: Path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {table: con.execute(sql).fetchall()[0] for table, sql in TABLE_DIGESTS.items()}


@pytest.fixture(scope="module")
def demo_db(build_once):
    """Built once for the run, whichever worker asks first; its counts as generate() gave them."""
    def build(path):
        counts = demo.generate(path, consultations=CONSULTATIONS, seed=7, as_of=AS_OF)
        path.with_suffix(".counts.json").write_text(json.dumps(counts))
    path = build_once(f"demo-{CONSULTATIONS}-seed7-{AS_OF}.duckdb", build)
    return path, json.loads(path.with_suffix(".counts.json").read_text())


@pytest.fixture
def con(demo_db):
    connection = duckdb.connect(str(demo_db[0]), read_only=True)
    yield connection
    connection.close()


def scalar(con, sql, params=None):
    return con.execute(sql, params or {}).fetchall()[0][0]


# --- determinism and volume -----------------------------------------------------------------

SMALL = dict(consultations=3_000, start=D(2023, 1, 1), as_of=D(2024, 3, 31))


@pytest.fixture(scope="module")
def small_seed_3(build_once):
    """The SMALL demo of seed 3, which two tests compare with other builds and one reads (read
    only)."""
    return build_once("demo-small-seed3.duckdb", lambda path: demo.generate(path, seed=3, **SMALL))


def test_same_seed_gives_identical_contents_and_another_seed_does_not(small_seed_3, tmp_path):
    demo.generate(tmp_path / "b.duckdb", seed=3, **SMALL)
    demo.generate(tmp_path / "c.duckdb", seed=4, **SMALL)
    first, again, other = (digests(path) for path in (small_seed_3, tmp_path / "b.duckdb", tmp_path / "c.duckdb"))

    assert first == again
    with duckdb.connect(str(small_seed_3), read_only=True) as con:
        tables = {row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE'").fetchall()}
    assert tables == set(TABLE_DIGESTS) | set(summaries.TABLES), "every table of the schema is compared"
    # The programme's fixed facts do not depend on the seed; the drawn figures do.
    for table in ("metadata", "sites", "vaccination_campaigns", "context_events"):
        assert other[table] == first[table]
    for table in ("consultations", "weather_daily", "shelter_nights", "outreach", "vaccinations"):
        assert other[table] != first[table]


def test_more_consultations_leave_the_other_tables_unchanged(small_seed_3, tmp_path):
    demo.generate(tmp_path / "many.duckdb", seed=3, **{**SMALL, "consultations": 9_000})
    few, many = digests(small_seed_3), digests(tmp_path / "many.duckdb")
    # the published sets hold the consultations too, suppressed with the rest
    derived = {"consultations", *publication.TABLES}
    assert {t: d for t, d in few.items() if t not in derived} == {t: d for t, d in many.items() if t not in derived}


def test_an_explicit_number_gives_exactly_that_many_consultations(demo_db, con):
    _, counts = demo_db
    assert counts["consultations"] == CONSULTATIONS
    assert scalar(con, "SELECT count(*) FROM consultations") == CONSULTATIONS


def test_returned_counts_are_the_rows_in_each_table(demo_db):
    path, counts = demo_db
    assert counts == {table: digest[0] for table, digest in digests(path).items()
                      if table not in publication.TABLES and table != "month_reopenings"}   # none reopened


def test_without_a_number_each_site_keeps_its_volume_whatever_the_others_do(tmp_path):
    """The volume follows from each site's daily rate, not from a yearly total shared out
    between the sites open: when three sites open in 2023, the sites already open keep their
    volume and the year grows by what the new ones add."""
    demo.generate(tmp_path / "rates.duckdb", seed=3, start=D(2022, 1, 1), as_of=D(2023, 12, 31))
    with duckdb.connect(str(tmp_path / "rates.duckdb"), read_only=True) as con:
        by_year = dict(con.execute("SELECT year(consulted_on), count(*) FROM consultations GROUP BY 1").fetchall())
        new_in_2023 = scalar(con, """SELECT count(*) FROM consultations JOIN sites USING (site_id)
                                     WHERE opened >= '2023-01-01'""")
        kept = dict(con.execute("""
            SELECT year(consulted_on), count(*) FROM consultations JOIN sites USING (site_id)
            WHERE opened < '2023-01-01' GROUP BY 1""").fetchall())
    assert new_in_2023 > 0.3 * by_year[2022]
    assert kept[2023] == pytest.approx(kept[2022], rel=0.1)
    assert by_year[2023] == pytest.approx(by_year[2022] + new_in_2023, rel=0.1)


def test_an_explicit_number_scales_every_rate_by_one_factor(tmp_path):
    """Asking for N rows (the benchmark's 10 or 100 million) keeps the shape: each site and
    month has the same share of the whole as in the volume the rates give."""
    period = {"seed": 3, "start": D(2023, 1, 1), "as_of": D(2024, 12, 31)}
    natural = demo.generate(tmp_path / "natural.duckdb", **period)["consultations"]
    demo.generate(tmp_path / "scaled.duckdb", consultations=4 * natural + 1, **period)
    shares = []
    for name in ("natural", "scaled"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb"), read_only=True) as con:
            shares.append(con.execute("""
                SELECT site_id, date_trunc('month', consulted_on) AS month,
                       count(*) / sum(count(*)) OVER () AS share
                FROM consultations GROUP BY ALL""").df().set_index(["site_id", "month"])["share"])
    both = shares[0].to_frame("natural").join(shares[1].rename("scaled"), how="outer").fillna(0)
    large = both[both["natural"] > 0.005]
    # Poisson noise of the natural draw: a cell of share s among n rows moves by sqrt(s / n).
    assert ((large["scaled"] - large["natural"]).abs() <= 4 * (large["natural"] / natural) ** 0.5).all()


def test_zero_consultations_still_builds_the_other_tables(tmp_path):
    counts = demo.generate(tmp_path / "empty.duckdb", consultations=0, **{
        k: v for k, v in SMALL.items() if k != "consultations"})
    assert counts["consultations"] == 0
    # Every city but Grande-Synthe, which the programme left at the end of 2016.
    assert counts["weather_daily"] == 4 * 456


def test_as_of_defaults_to_today(tmp_path):
    before = dt.date.today()
    demo.generate(tmp_path / "today.duckdb", consultations=100, start=before - dt.timedelta(days=30))
    after = dt.date.today()
    with duckdb.connect(str(tmp_path / "today.duckdb"), read_only=True) as con:
        assert scalar(con, "SELECT data_as_of FROM metadata") in (before, after)
        assert scalar(con, "SELECT max(day) FROM weather_daily") in (before, after)


def test_start_after_as_of_is_refused_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="after as_of"):
        demo.generate(tmp_path / "bad.duckdb", start=D(2024, 1, 2), as_of=D(2024, 1, 1))
    assert list(tmp_path.iterdir()) == []


def test_a_period_before_the_programme_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no site"):
        demo.generate(tmp_path / "early.duckdb", start=D(2015, 1, 1), as_of=D(2015, 6, 1))
    assert list(tmp_path.iterdir()) == []


def test_consultations_are_stored_sorted_by_day_then_site(con):
    out_of_order = scalar(con, """
        SELECT count(*) FROM (
            SELECT consulted_on, site_id,
                   lag(consulted_on) OVER (ORDER BY rowid) AS previous_day,
                   lag(site_id) OVER (ORDER BY rowid) AS previous_site
            FROM consultations)
        WHERE consulted_on < previous_day OR (consulted_on = previous_day AND site_id < previous_site)""")
    assert out_of_order == 0


def test_progress_bar_is_written_to_stderr(tmp_path, capsys):
    demo.generate(tmp_path / "p.duckdb", seed=1, progress=True, **SMALL)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "consultations [" in captured.err
    assert "100% (3,000 rows)" in captured.err


# --- metadata and sites ---------------------------------------------------------------------

def test_metadata_says_synthetic_and_is_dated_from_as_of(con):
    assert con.execute("SELECT * FROM metadata").fetchall() == [
        (1, "Terrain demo (synthetic)", True, AS_OF, SCHEMA_VERSION, dt.datetime(2025, 3, 31, 23, 0))]


def test_site_dataclass_has_every_column_of_the_sites_table(con):
    assert [field.name for field in dataclasses.fields(demo.Site)] == con.table("sites").columns


EXPECTED_SITES = {
    # site_id: (type, focus, beds, opened, closed)
    "calais_jungle": ("camp", "mixed", None, D(2016, 1, 1), D(2016, 10, 31)),
    "calais_camps": ("camp", "mixed", None, D(2023, 1, 1), None),
    "calais_day_centre": ("day_centre", "minors", None, D(2023, 7, 3), None),
    # Published: opened 22 January 2024; 29 places now (20 in its first winter).
    "calais_emergency_shelter": ("emergency_shelter", "mixed", 29, D(2024, 1, 22), None),
    "grande_synthe_basroch": ("camp", "mixed", None, D(2016, 1, 1), D(2016, 3, 6)),
    # The project in the Nord closed at the end of 2016.
    "grande_synthe_la_liniere": ("camp", "mixed", None, D(2016, 3, 7), D(2016, 12, 31)),
    "paris_la_chapelle_mobile": ("mobile_team", "mixed", None, D(2016, 6, 1), None),
    # Opened on 5 December 2017 (MSF's press release).
    "pantin_minors_centre": ("day_centre", "minors", None, D(2017, 12, 5), None),
    "pantin_minors_shelter": ("shelter", "minors", 20, D(2020, 11, 2), None),
    "pantin_girls_shelter": ("shelter", "girls", 10, D(2022, 3, 1), None),
    "marseille_minors_shelter": ("shelter", "minors", 20, D(2020, 6, 2), None),
    "marseille_squats": ("squat", "mixed", None, D(2023, 1, 1), None),
}


def test_sites_are_the_programmes_with_their_capacities_and_dates(con):
    rows = con.execute("""
        SELECT site_id, site_type::VARCHAR, population_focus::VARCHAR, bed_capacity, opened, closed
        FROM sites""").fetchall()
    assert {row[0]: row[1:] for row in rows} == EXPECTED_SITES


def test_a_site_not_yet_open_or_closed_by_as_of_is_shown_as_of_that_date(tmp_path):
    demo.generate(tmp_path / "2016.duckdb", consultations=500, start=D(2016, 1, 1), as_of=D(2016, 6, 30))
    with duckdb.connect(str(tmp_path / "2016.duckdb"), read_only=True) as con:
        rows = dict(con.execute("SELECT site_id, closed FROM sites").fetchall())
    assert rows == {"calais_jungle": None, "grande_synthe_basroch": D(2016, 3, 6),
                    "grande_synthe_la_liniere": None, "paris_la_chapelle_mobile": None}


def _commune_polygons() -> dict[str, object]:
    # The boundary files are committed in data/geo: their absence is a failure, not a skip.
    polygons = {}
    for file in (ROOT / "data" / "geo").glob("communes-*.geojson"):
        for feature in json.loads(file.read_text(encoding="utf-8"))["features"]:
            polygons[feature["properties"]["code"]] = shape(feature["geometry"])
    assert polygons, "no commune boundary files in data/geo"
    return polygons


def test_every_site_lies_inside_its_commune(con):
    polygons = _commune_polygons()
    for site_id, commune, latitude, longitude in con.execute(
            "SELECT site_id, commune_code, latitude, longitude FROM sites").fetchall():
        assert polygons[commune].contains(Point(longitude, latitude)), site_id
    assert len(demo.SITES) == 12


# --- no activity outside a site's open period -----------------------------------------------

OUTSIDE_OPEN_PERIOD = {
    "consultations": """SELECT count(*) FROM consultations JOIN sites USING (site_id)
                        WHERE consulted_on < opened OR consulted_on > coalesce(closed, $as_of)""",
    "shelter_nights": """SELECT count(*) FROM shelter_nights JOIN sites USING (site_id)
                         WHERE night < opened OR night > coalesce(closed, $as_of)""",
    "vaccinations": """SELECT count(*) FROM vaccinations JOIN sites USING (site_id)
                       WHERE vaccinated_on < opened OR vaccinated_on > coalesce(closed, $as_of)""",
    "outreach": """SELECT count(*) FROM outreach JOIN sites ON site_id = team_id
                   WHERE visited_on < opened OR visited_on > coalesce(closed, $as_of)""",
}


@pytest.mark.parametrize("table", OUTSIDE_OPEN_PERIOD)
def test_no_activity_outside_a_sites_open_period(con, table):
    assert scalar(con, OUTSIDE_OPEN_PERIOD[table], {"as_of": AS_OF}) == 0


def test_the_calais_day_centre_starts_in_july_2023(con):
    first, count = con.execute("""SELECT min(consulted_on), count(*) FROM consultations
                                  WHERE site_id = 'calais_day_centre'""").fetchall()[0]
    assert first >= D(2023, 7, 1) and first < D(2023, 7, 8)
    assert count > 100


def test_every_open_site_has_consultations(con):
    sites = {row[0] for row in con.execute("SELECT DISTINCT site_id FROM consultations").fetchall()}
    assert sites == set(EXPECTED_SITES)


def test_mobile_teams_consult_only_on_their_outreach_days(con):
    assert scalar(con, """
        SELECT count(*) FROM consultations AS c
        WHERE site_id IN ('paris_la_chapelle_mobile', 'marseille_squats')
          AND NOT EXISTS (SELECT 1 FROM outreach AS o
                          WHERE o.team_id = c.site_id AND o.visited_on = c.consulted_on)""") == 0


# --- shelters -------------------------------------------------------------------------------

# The Calais winter shelter as published (restated here, not read from terrain/demo.py): 20
# places from 22 January to 31 March 2024, 29 from 2 December 2024 to 31 March 2025.
PUBLISHED_WINTERS = ((D(2024, 1, 22), D(2024, 3, 31), 20), (D(2024, 12, 2), D(2025, 3, 31), 29))


def test_emergency_shelter_nights_and_beds_are_as_published(con):
    rows = con.execute("""SELECT night, beds_available FROM shelter_nights
                          WHERE site_id = 'calais_emergency_shelter' ORDER BY night""").fetchall()
    expected = [(first + dt.timedelta(days=i), beds)
                for first, last, beds in PUBLISHED_WINTERS for i in range((last - first).days + 1)]
    assert rows == expected
    assert rows[0][0] == D(2024, 1, 22)   # no night before it opened


def test_later_winters_of_the_emergency_shelter_are_assumed_like_2024_25(tmp_path):
    demo.generate(tmp_path / "later.duckdb", consultations=100, start=D(2025, 10, 1), as_of=D(2026, 12, 5))
    with duckdb.connect(str(tmp_path / "later.duckdb"), read_only=True) as con:
        rows = con.execute("""SELECT min(night), max(night), count(*), min(beds_available), max(beds_available)
                              FROM shelter_nights WHERE site_id = 'calais_emergency_shelter'
                              GROUP BY night < '2026-06-01' ORDER BY 1""").fetchall()
    assert rows == [(D(2025, 12, 2), D(2026, 3, 31), 120, 29, 29), (D(2026, 12, 2), D(2026, 12, 5), 4, 29, 29)]


def test_every_shelter_has_one_row_per_night_since_it_opened(con):
    rows = dict(con.execute("""SELECT site_id, count(*) FROM shelter_nights
                               WHERE site_id <> 'calais_emergency_shelter' GROUP BY site_id""").fetchall())
    assert rows == {
        "pantin_minors_shelter": (AS_OF - D(2020, 11, 2)).days + 1,
        "pantin_girls_shelter": (AS_OF - D(2022, 3, 1)).days + 1,
        "marseille_minors_shelter": (AS_OF - D(2020, 6, 2)).days + 1,
    }


def test_shelters_are_mostly_full_and_overflow_only_on_cold_nights(con):
    rows = con.execute("""
        SELECT s.site_id,
               avg((beds_occupied BETWEEN 0.85 * beds_available AND beds_available)::INT),
               max(beds_occupied - beds_available) / any_value(beds_available),
               count(*) FILTER (WHERE beds_occupied > beds_available AND w.tmin_c > 0
                                AND w.vigilance IN ('green', 'yellow')),
               count(*) FILTER (WHERE turned_away > 0 AND beds_occupied < beds_available),
               count(*) FILTER (WHERE beds_occupied > 2 * beds_available)
        FROM shelter_nights AS s JOIN sites USING (site_id)
        JOIN weather_daily AS w ON w.city = sites.city AND w.day = s.night
        GROUP BY s.site_id""").fetchall()
    assert len(rows) == 4
    for site_id, in_band, overflow, mild_overflow, turned_away_with_beds_free, over_double in rows:
        assert in_band >= 0.75, site_id
        assert 0 < overflow <= 0.1, site_id
        assert (mild_overflow, turned_away_with_beds_free, over_double) == (0, 0, 0), site_id


def test_more_people_are_turned_away_on_cold_nights(con):
    cold, mild = con.execute("""
        SELECT avg(turned_away) FILTER (WHERE w.tmin_c <= 0), avg(turned_away) FILTER (WHERE w.tmin_c > 5)
        FROM shelter_nights AS s JOIN sites USING (site_id)
        JOIN weather_daily AS w ON w.city = sites.city AND w.day = s.night""").fetchall()[0]
    assert cold > 2 * mild > 0


def test_turned_away_minors_and_girls_follow_each_shelters_focus(con):
    rows = dict((row[0], row[1:]) for row in con.execute("""
        SELECT site_id, sum(turned_away), sum(turned_away_minors), sum(turned_away_girls),
               count(*) FILTER (WHERE turned_away_minors > turned_away OR turned_away_girls > turned_away)
        FROM shelter_nights GROUP BY site_id""").fetchall())
    for site_id, (total, minors, girls, inconsistent) in rows.items():
        assert total > 0 and inconsistent == 0, site_id
    assert rows["pantin_minors_shelter"][1] == rows["pantin_minors_shelter"][0]
    assert rows["marseille_minors_shelter"][1] == rows["marseille_minors_shelter"][0]
    assert rows["pantin_girls_shelter"][2] == rows["pantin_girls_shelter"][0]


# --- weather and winter plan ----------------------------------------------------------------

def test_weather_covers_every_city_every_day_while_the_programme_runs_there(con):
    days = (AS_OF - D(2016, 1, 1)).days + 1
    rows = con.execute("""SELECT city, count(*), min(day), max(day) FROM weather_daily
                          GROUP BY city ORDER BY city""").fetchall()
    # The programme left Grande-Synthe at the end of 2016: its weather stops there.
    assert rows == sorted([(city, days, D(2016, 1, 1), AS_OF) for city in demo.CITIES if city != "Grande-Synthe"]
                          + [("Grande-Synthe", 366, D(2016, 1, 1), D(2016, 12, 31))])


def test_paris_and_pantin_read_the_same_station(con):
    assert scalar(con, """
        SELECT count(*) FROM weather_daily AS p JOIN weather_daily AS q USING (day)
        WHERE p.city = 'Paris' AND q.city = 'Pantin'
          AND (p.tmin_c, p.tmax_c, p.vigilance) IS DISTINCT FROM (q.tmin_c, q.tmax_c, q.vigilance)""") == 0
    assert scalar(con, """SELECT corr(c.tmin_c, g.tmin_c) FROM weather_daily AS c
                          JOIN weather_daily AS g USING (day)
                          WHERE c.city = 'Calais' AND g.city = 'Grande-Synthe'""") > 0.95


# city: (winter mean minimum range, summer mean maximum range) in °C, December–February and June–August
CLIMATOLOGY = {
    "Calais": ((1.5, 3.5), (18, 23)),
    "Paris": ((1.5, 3.5), (23, 27)),
    "Marseille": ((2.8, 4.5), (28, 32)),
}


def test_temperatures_follow_each_citys_climate(con):
    rows = con.execute("""
        SELECT city, avg(tmin_c) FILTER (WHERE month(day) IN (12, 1, 2)),
               avg(tmax_c) FILTER (WHERE month(day) IN (6, 7, 8))
        FROM weather_daily GROUP BY city""").fetchall()
    for city, winter_min, summer_max in rows:
        if city in CLIMATOLOGY:
            (low, high), (summer_low, summer_high) = CLIMATOLOGY[city]
            assert low <= winter_min <= high, city
            assert summer_low <= summer_max <= summer_high, city
    # Grande-Synthe has one year (2016), too short for a climatology: it reads Calais's
    # station with a little local noise, so its means are Calais's over the same days.
    calais, grande_synthe = con.execute("""
        SELECT avg(tmin_c) FILTER (WHERE city = 'Calais'), avg(tmin_c) FILTER (WHERE city = 'Grande-Synthe')
        FROM weather_daily WHERE year(day) = 2016""").fetchall()[0]
    assert grande_synthe == pytest.approx(calais, abs=0.3)


def test_cold_spells_hit_the_north_and_rarely_marseille(con):
    frost = dict(con.execute("""SELECT city, count(*) FILTER (WHERE tmin_c <= 0) FROM weather_daily
                                GROUP BY city""").fetchall())
    assert frost["Calais"] > 2 * frost["Marseille"]
    longest_run = scalar(con, """
        SELECT max(run) FROM (
            SELECT count(*) AS run FROM (
                SELECT day, tmin_c <= 0 AS frost,
                       row_number() OVER (ORDER BY day) - row_number() OVER (PARTITION BY tmin_c <= 0 ORDER BY day) AS spell
                FROM weather_daily WHERE city = 'Calais')
            WHERE frost GROUP BY spell)""")
    assert longest_run >= 4
    colours = dict(con.execute("SELECT vigilance::VARCHAR, count(*) FROM weather_daily GROUP BY ALL").fetchall())
    total = sum(colours.values())
    assert colours["green"] > 0.95 * total
    assert 0 < colours["orange"] and colours.get("red", 0) < 0.002 * total
    assert scalar(con, """SELECT count(*) FROM weather_daily WHERE vigilance <> 'green'
                          AND month(day) BETWEEN 4 AND 10""") == 0


def test_winter_plan_declares_the_season_and_the_cold_spells(con):
    seasons = con.execute("""
        SELECT area, count(*), count(*) FILTER (WHERE month(starts) = 11 AND day(starts) = 1
                                                 AND month(ends) = 3 AND day(ends) = 31)
        FROM winter_plan WHERE level = 'veille_saisonniere' GROUP BY area ORDER BY area""").fetchall()
    # Winters 2015–16 to 2024–25; in the Nord (59) only those the programme was there for.
    assert seasons == [(area, 2 if area == "59" else 10, 2 if area == "59" else 10)
                       for area in ("13", "59", "62", "75", "93")]
    assert scalar(con, "SELECT max(starts) FROM winter_plan WHERE area = '59'") <= D(2016, 12, 31)
    assert scalar(con, """SELECT count(*) FROM winter_plan AS a JOIN winter_plan AS b
                          ON a.area = b.area AND a.starts < b.starts AND b.starts <= a.ends
                          WHERE a.level <> 'veille_saisonniere' AND b.level <> 'veille_saisonniere'""") == 0
    assert scalar(con, """SELECT count(*) FROM winter_plan WHERE level <> 'veille_saisonniere'
                          AND month(starts) BETWEEN 4 AND 10""") == 0
    northern_declarations, with_a_frost = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM weather_daily AS w WHERE w.city = 'Calais'
              AND w.day BETWEEN p.starts AND p.ends AND w.tmin_c <= 0))
        FROM winter_plan AS p WHERE area = '62' AND level <> 'veille_saisonniere'""").fetchall()[0]
    assert northern_declarations >= 5
    assert with_a_frost >= 0.8 * northern_declarations


# --- vaccinations ---------------------------------------------------------------------------

def test_the_2016_measles_campaign_vaccinated_adults_in_the_northern_camps(con):
    campaign = con.execute("""SELECT campaign_id, starts, ends, target_ages, population_low, population_high
                              FROM vaccination_campaigns WHERE antigen = 'measles'""").fetchall()
    assert len(campaign) == 1
    campaign_id, starts, ends, target, low, high = campaign[0]
    # From 28 January in Calais, the week after in Grande-Synthe (MSF, 28 January 2016).
    assert (starts, ends) == (D(2016, 1, 28), D(2016, 2, 12))
    assert "6 mois" in target and "6 months" in target
    by_site = dict(con.execute("""SELECT site_id, sum(doses) FROM vaccinations WHERE campaign_id = $campaign
                                  GROUP BY site_id""", {"campaign": campaign_id}).fetchall())
    assert set(by_site) == {"calais_jungle", "grande_synthe_basroch"}
    total = sum(by_site.values())
    # About 3,500 vaccinated, some 60 % of them in Calais.
    assert 3_150 <= total <= 3_850
    assert 0.55 <= by_site["calais_jungle"] / total <= 0.65
    adults = scalar(con, """SELECT sum(doses) FILTER (WHERE age_band IN ('18-24', '25-34', '35+')) / sum(doses)
                            FROM vaccinations WHERE campaign_id = $campaign""", {"campaign": campaign_id})
    assert adults > 0.6      # camps of young adults
    assert total <= low < high   # coverage at most 100 % of the lowest estimate


def test_no_campaign_vaccinates_more_people_than_its_lowest_population_estimate(con):
    over = con.execute("""
        SELECT c.campaign_id, sum(v.doses), c.population_low FROM vaccination_campaigns AS c
        JOIN vaccinations AS v USING (campaign_id) GROUP BY ALL HAVING sum(v.doses) > c.population_low""").fetchall()
    assert over == []


def test_later_campaigns_and_routine_doses_exist(con):
    assert scalar(con, "SELECT count(*) FROM vaccination_campaigns") == 5
    assert scalar(con, """SELECT count(*) FROM vaccinations WHERE campaign_id IS NULL
                          AND site_id = 'pantin_minors_centre'""") > 100
    assert scalar(con, """SELECT count(*) FROM vaccinations AS v JOIN vaccination_campaigns USING (campaign_id)
                          WHERE v.vaccinated_on NOT BETWEEN starts AND ends""") == 0


# --- consultations --------------------------------------------------------------------------

def test_no_coverage_rises_for_a_while_after_the_2023_law_in_every_city_and_nowhere_else(con):
    rows = con.execute("""
        SELECT s.city,
               avg((health_coverage = 'none')::INT) FILTER (WHERE consulted_on BETWEEN '2023-02-01' AND '2023-04-30'),
               avg((health_coverage = 'none')::INT) FILTER (WHERE consulted_on BETWEEN '2024-02-01' AND '2024-04-30'),
               avg((health_coverage = 'none')::INT) FILTER (WHERE consulted_on BETWEEN '2025-02-01' AND '2025-03-31')
        FROM consultations JOIN sites AS s USING (site_id) WHERE s.city <> 'Grande-Synthe' GROUP BY ALL""").fetchall()
    assert len(rows) == 4
    for city, before, after_the_law, a_year_later in rows:
        assert after_the_law > before + 0.10, city
        assert a_year_later == pytest.approx(before, abs=0.03), city
    # Before the law, a city's share stays flat from year to year whatever sites open there:
    # within the rounding of a site's month (one consultation in the few dozen of a small
    # shelter's month in this scaled-down demo).
    yearly = con.execute("""
        SELECT s.city, year(consulted_on) AS year, avg((health_coverage = 'none')::INT) AS share
        FROM consultations JOIN sites AS s USING (site_id)
        WHERE consulted_on < '2023-12-01' GROUP BY ALL""").df()
    spread = yearly.groupby("city")["share"].agg(lambda shares: shares.max() - shares.min())
    assert (spread < 0.03).all(), spread


def test_activity_mix_medical_first_and_legal_work_at_pantin(con):
    counts = dict(con.execute("SELECT activity::VARCHAR, count(*) FROM consultations GROUP BY ALL").fetchall())
    assert counts["medical"] > counts["mental_health"] > counts["social"] > counts["legal"]
    pantin_legal = scalar(con, """SELECT avg((site_id = 'pantin_minors_centre')::INT) FROM consultations
                                  WHERE activity = 'legal'""")
    assert pantin_legal > 0.6


def test_first_visits_are_fewer_where_people_are_followed_than_where_they_pass_through(con):
    new = dict(con.execute("""SELECT site_type::VARCHAR, avg((visit = 'new')::INT) FROM consultations
                              JOIN sites USING (site_id) GROUP BY ALL""").fetchall())
    referred = scalar(con, "SELECT avg(referred::INT) FROM consultations")
    # Day centres and shelters follow the same young people for months (787 minors, about
    # 9,500 consultations at Pantin in 2018); camps and mobile teams see people in transit.
    assert max(new["day_centre"], new["shelter"]) < 0.3
    assert min(new["camp"], new["mobile_team"], new["squat"]) > 0.5
    assert 0.13 <= referred <= 0.17


def test_ages_and_sex_follow_each_sites_focus(con):
    rows = {row[0]: row[1:] for row in con.execute("""
        SELECT population_focus::VARCHAR,
               avg((age_band IN ('15-17', 'unknown'))::INT),
               avg((age_band IN ('18-24', '25-34'))::INT),
               avg((sex = 'M')::INT), avg((sex = 'F')::INT),
               count(*) FILTER (WHERE unaccompanied_minor = 'yes'
                                AND age_band NOT IN ('0-14', '15-17', 'unknown'))
        FROM consultations JOIN sites USING (site_id) GROUP BY ALL""").fetchall()}
    minors_youth, _, _, _, _ = rows["minors"]
    assert minors_youth > 0.8
    _, mixed_young_adults, mixed_men, _, _ = rows["mixed"]
    assert mixed_young_adults > 0.5 and mixed_men > 0.8
    assert rows["girls"][3] == 1.0
    assert all(row[4] == 0 for row in rows.values())


def test_pregnancy_care_is_for_women_and_girls_of_15_or_more(con):
    pregnancies, misfits = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE sex <> 'F' OR age_band = '0-14')
        FROM consultations WHERE diagnosis_group = 'pregnancy_care'""").fetchall()[0]
    assert pregnancies > 0 and misfits == 0


def test_cold_related_diagnoses_rise_on_cold_days(con):
    cold, mild = con.execute("""
        SELECT avg((diagnosis_group IN ('hypothermia_frostbite', 'respiratory_infection'))::INT)
                   FILTER (WHERE w.tmin_c <= 0),
               avg((diagnosis_group IN ('hypothermia_frostbite', 'respiratory_infection'))::INT)
                   FILTER (WHERE w.tmin_c > 8)
        FROM consultations AS c JOIN sites USING (site_id)
        JOIN weather_daily AS w ON w.city = sites.city AND w.day = c.consulted_on
        WHERE activity = 'medical'""").fetchall()[0]
    assert cold > mild + 0.06


def test_suspected_measles_cases_cluster_around_the_2016_campaign(con):
    around_campaign, elsewhere = con.execute("""
        SELECT avg((diagnosis_group = 'suspected_measles')::INT)
                   FILTER (WHERE consulted_on BETWEEN '2016-01-04' AND '2016-02-14'),
               avg((diagnosis_group = 'suspected_measles')::INT)
                   FILTER (WHERE consulted_on NOT BETWEEN '2016-01-04' AND '2016-02-14')
        FROM consultations WHERE site_id IN ('calais_jungle', 'grande_synthe_basroch')
          AND activity = 'medical'""").fetchall()[0]
    assert around_campaign > 5 * elsewhere


def test_scabies_outbreaks_break_out_in_camps(con):
    worst_month, usual_month = con.execute("""
        WITH monthly AS (
            SELECT site_id, date_trunc('month', consulted_on) AS month,
                   avg((diagnosis_group = 'skin_infection_scabies')::INT) AS scabies_share
            FROM consultations JOIN sites USING (site_id)
            WHERE activity = 'medical' AND site_type IN ('camp', 'squat', 'mobile_team')
            GROUP BY ALL HAVING count(*) >= 40)
        SELECT max(scabies_share), median(scabies_share) FROM monthly""").fetchall()[0]
    assert worst_month > 3 * usual_month


# --- the demo the public figures are set against (docs/demo-data.md) ---------------------------

@pytest.fixture(scope="module")
def reference_db(reference_demo):
    """The volume the rates give (no number asked), for the seed and date of docs/demo-data.md."""
    return reference_demo


@pytest.fixture
def reference(reference_db):
    connection = duckdb.connect(str(reference_db), read_only=True)
    yield connection
    connection.close()


@pytest.mark.parametrize("figure", demo_calibration.PUBLIC_FIGURES,
                         ids=lambda f: f"{f.site_id}-{f.measure}-{f.first.year}")
def test_the_demo_is_within_a_factor_of_each_public_figure(reference, figure):
    value = demo_calibration.demo_figure(reference, figure)
    assert demo_calibration.within_factor(value, figure.public), (value, figure.public)


def _marked_block(text: str, name: str) -> str:
    start, end = f"<!-- {name}: start -->", f"<!-- {name}: end -->"
    assert start in text and end in text, f"docs/demo-data.md has no {name} block"
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def test_the_tables_of_the_demo_data_document_are_the_demos(reference):
    """docs/demo-data.md shows the figures of the demo it describes, recomputed here by the
    queries it gives (terrain/demo_calibration.sql)."""
    text = (ROOT / "docs" / "demo-data.md").read_text(encoding="utf-8")
    assert _marked_block(text, "comparison") == demo_calibration.comparison_table(reference)
    assert _marked_block(text, "site-years") == demo_calibration.site_years_table(reference)
    assert demo_calibration.named_queries()["site_years"] in text


# Months a site is open from the first day to the last, against the month before: no step
# at 1 January (each year was once rescaled to a fixed total) nor anywhere else. Left out:
# months of a planted outbreak or wave of arrivals at the site (deliberate rises), and
# months under 100 consultations, where Poisson noise alone moves a month by a third.
MONTHLY_STEPS = """
WITH months AS (
    SELECT c.site_id, date_trunc('month', c.consulted_on)::DATE AS month, count(*) AS n,
           count(*) / count(DISTINCT c.consulted_on) AS per_day_open
    FROM consultations AS c JOIN sites AS s USING (site_id)
    WHERE date_trunc('month', c.consulted_on) >= s.opened
      AND last_day(c.consulted_on) <= coalesce(s.closed, (SELECT data_as_of FROM metadata))
    GROUP BY ALL
),
pairs AS (
    SELECT site_id, month, n, per_day_open,
           lag(month) OVER w AS month_before, lag(n) OVER w AS n_before, lag(per_day_open) OVER w AS before
    FROM months WINDOW w AS (PARTITION BY site_id ORDER BY month)
)
SELECT site_id, month, greatest(per_day_open / before, before / per_day_open) AS step
FROM pairs AS p
WHERE month_before = month - INTERVAL 1 MONTH AND n >= 100 AND n_before >= 100
  AND NOT EXISTS (SELECT 1 FROM demo_planted_events AS e
                  WHERE e.site_id = p.site_id AND e.event IN ('outbreak', 'minors_wave')
                    AND e.starts <= last_day(p.month) AND e.ends >= p.month_before)
"""


def test_no_site_steps_by_more_than_a_factor_of_1_6_from_one_month_to_the_next(reference):
    steps = reference.execute(MONTHLY_STEPS).df()
    assert len(steps) > 150
    assert set(steps["site_id"]) >= {"paris_la_chapelle_mobile", "pantin_minors_centre", "calais_camps"}
    # Across 1 January too.
    assert (pd.to_datetime(steps["month"]).dt.month == 1).sum() >= 10
    assert steps["step"].max() <= 1.6, steps.sort_values("step").tail(3)


def test_mobile_teams_consult_fewer_people_than_they_reach(reference):
    rows = reference.execute("""
        WITH reached AS (SELECT team_id AS site_id, year(visited_on) AS year, sum(people_reached) AS people
                         FROM outreach GROUP BY ALL),
             consulted AS (SELECT site_id, year(consulted_on) AS year, count(*) AS consultations
                           FROM consultations GROUP BY ALL)
        SELECT site_id, year, consultations, people FROM consulted JOIN reached USING (site_id, year)""").fetchall()
    assert {row[0] for row in rows} == {"paris_la_chapelle_mobile", "marseille_squats"}
    assert all(consultations < people for _, _, consultations, people in rows), rows


def test_nothing_happens_in_grande_synthe_after_2016(reference):
    after = {"consultations": "SELECT count(*) FROM consultations JOIN sites USING (site_id) "
                              "WHERE city = 'Grande-Synthe' AND consulted_on > '2016-12-31'",
             "vaccinations": "SELECT count(*) FROM vaccinations JOIN sites USING (site_id) "
                             "WHERE city = 'Grande-Synthe' AND vaccinated_on > '2016-12-31'",
             "planted events": "SELECT count(*) FROM demo_planted_events "
                               "WHERE city = 'Grande-Synthe' AND ends > '2016-12-31'",
             "weather": "SELECT count(*) FROM weather_daily WHERE city = 'Grande-Synthe' AND day > '2016-12-31'",
             "open sites": "SELECT count(*) FROM sites WHERE city = 'Grande-Synthe' "
                           "AND coalesce(closed, '9999-12-31') > '2016-12-31'"}
    assert {what: scalar(reference, sql) for what, sql in after.items()} == dict.fromkeys(after, 0)
    assert scalar(reference, """SELECT count(*) FROM consultations JOIN sites USING (site_id)
                                WHERE city = 'Grande-Synthe'""") > 5_000


PLANTED_EVENTS = {"outbreak", "shelter_pressure", "cold_spell", "minors_wave", "coverage_loss"}


def test_every_planted_event_is_recorded_whole_and_within_its_sites_open_days(reference):
    assert [(c[0], c[1], c[2]) for c in reference.execute("DESCRIBE demo_planted_events").fetchall()] == [
        ("event", "VARCHAR", "NO"), ("city", "VARCHAR", "NO"), ("site_id", "VARCHAR", "YES"),
        ("subject", "VARCHAR", "NO"), ("starts", "DATE", "NO"), ("ends", "DATE", "NO")]
    events = reference.execute("SELECT * FROM demo_planted_events").df()
    assert set(events["event"]) == PLANTED_EVENTS
    subjects = events.groupby("event")["subject"].unique().to_dict()
    assert {e: set(s) for e, s in subjects.items() if e != "outbreak"} == {
        "shelter_pressure": {"beds"}, "cold_spell": {"cold"}, "minors_wave": {"minors"},
        "coverage_loss": {"no_coverage"}}
    assert set(subjects["outbreak"]) == {"skin_infection_scabies", "acute_diarrhoea", "suspected_measles"}
    assert events["site_id"].isna().tolist() == events["event"].isin(["cold_spell", "coverage_loss"]).tolist()
    assert (events["starts"] <= events["ends"]).all()
    # A site's event lies within the site's days (a shelter's nights); a city's, within the
    # days some site of the city was open (for a cold spell, a shelter).
    outside = scalar(reference, """
        SELECT count(*) FROM demo_planted_events AS e
        WHERE NOT EXISTS (
            SELECT 1 FROM sites AS s
            WHERE (s.site_id = e.site_id OR (e.site_id IS NULL AND s.city = e.city
                   AND (e.event <> 'cold_spell' OR s.site_type IN ('shelter', 'emergency_shelter'))))
              AND e.starts >= s.opened AND e.ends <= coalesce(s.closed, (SELECT data_as_of FROM metadata)))
           OR (e.site_id IN (SELECT site_id FROM sites WHERE site_type = 'emergency_shelter')
               AND (SELECT count(*) FROM shelter_nights AS n WHERE n.site_id = e.site_id
                    AND n.night BETWEEN e.starts AND e.ends) <> e.ends - e.starts + 1)""")
    assert outside == 0
    # Each event's city is its site's.
    assert scalar(reference, """SELECT count(*) FROM demo_planted_events AS e JOIN sites AS s USING (site_id)
                                WHERE s.city <> e.city""") == 0


def test_planted_events_are_where_their_rule_looks(reference):
    sites = reference.execute("""
        SELECT e.event, list(DISTINCT s.site_type::VARCHAR ORDER BY s.site_type::VARCHAR),
               list(DISTINCT s.population_focus::VARCHAR ORDER BY s.population_focus::VARCHAR)
        FROM demo_planted_events AS e JOIN sites AS s USING (site_id) GROUP BY ALL""").fetchall()
    kinds = {event: (types, focus) for event, types, focus in sites}
    assert set(kinds["shelter_pressure"][0]) <= {"shelter", "emergency_shelter"}
    assert set(kinds["minors_wave"][0]) <= {"day_centre", "shelter"}
    assert set(kinds["minors_wave"][1]) <= {"minors", "girls"}
    # The 2023 law: one loss of coverage per city the programme ran in then.
    assert reference.execute("""SELECT city, starts, ends FROM demo_planted_events WHERE event = 'coverage_loss'
                                ORDER BY city""").fetchall() == [
        (city, D(2023, 12, 19), D(2024, 12, 31)) for city in ("Calais", "Marseille", "Pantin", "Paris")]
    # The measles outbreak of January 2016 in both northern camps.
    assert reference.execute("""SELECT site_id FROM demo_planted_events WHERE subject = 'suspected_measles'
                                ORDER BY site_id""").fetchall() == [("calais_jungle",), ("grande_synthe_basroch",)]


# Each planted event shows in the data what its rule looks for (the rules themselves are
# scored by `python -m terrain alerts evaluate`; these read the rows directly).

MINORS_BY_FOUR_WEEKS = """
WITH weekly AS (
    SELECT site_id, date_trunc('week', consulted_on)::DATE AS week,
           count(*) FILTER (WHERE unaccompanied_minor = 'yes') AS minors
    FROM consultations GROUP BY ALL
),
four_weeks AS (
    SELECT site_id, week, sum(minors) OVER (PARTITION BY site_id ORDER BY week
                                            RANGE BETWEEN INTERVAL 21 DAYS PRECEDING AND CURRENT ROW) AS recent
    FROM weekly
)
SELECT e.site_id, e.starts,
       count(*) FILTER (WHERE now.recent >= 50 AND now.recent >= 1.6 * before.recent) AS weeks_up
FROM demo_planted_events AS e
JOIN four_weeks AS now ON now.site_id = e.site_id AND now.week BETWEEN e.starts AND e.ends
JOIN four_weeks AS before ON before.site_id = now.site_id AND before.week = now.week - INTERVAL 364 DAYS
WHERE e.event = 'minors_wave'
GROUP BY ALL
"""


def test_a_wave_of_minors_is_at_least_1_6_times_the_year_before_for_several_weeks(reference):
    waves = reference.execute(MINORS_BY_FOUR_WEEKS).fetchall()
    assert len(waves) == scalar(reference, "SELECT count(*) FROM demo_planted_events WHERE event = 'minors_wave'") > 0
    assert all(weeks_up >= 3 for _, _, weeks_up in waves), waves


SATURATION_BY_NIGHT = """
SELECT n.site_id, n.night,
       sum((n.beds_occupied >= n.beds_available)::INT) OVER (
           PARTITION BY n.site_id ORDER BY n.night RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW) >= 3
           AS saturated_week,
       (SELECT min(e.starts) FROM demo_planted_events AS e
        WHERE e.event = 'shelter_pressure' AND e.site_id = n.site_id
          AND n.night BETWEEN e.starts AND e.ends + INTERVAL 6 DAYS) AS event_starts
FROM shelter_nights AS n
"""


def test_shelters_are_saturated_in_their_planted_periods_of_pressure_and_rarely_outside(reference):
    nights = reference.execute(SATURATION_BY_NIGHT).df()
    events = reference.execute("""SELECT site_id, starts FROM demo_planted_events
                                  WHERE event = 'shelter_pressure' AND ends - starts >= 2""").df()
    inside = nights[nights["event_starts"].notna()]
    held = set(zip(inside.loc[inside["saturated_week"], "site_id"], inside.loc[inside["saturated_week"], "event_starts"]))
    assert set(zip(events["site_id"], events["starts"])) <= held
    # The rule holds on under 1 % of the other nights (occupancy >= 100 % on 3 of the last 7).
    outside = nights[nights["event_starts"].isna()]
    assert outside["saturated_week"].mean() < 0.01


def test_people_are_turned_away_on_cold_nights_mainly_in_the_recorded_cold_spells(reference):
    inside, outside = reference.execute("""
        WITH cold AS (
            SELECT n.night, s.city, n.turned_away,
                   EXISTS (SELECT 1 FROM demo_planted_events AS e WHERE e.event = 'cold_spell'
                             AND e.city = s.city AND n.night BETWEEN e.starts AND e.ends) AS in_spell
            FROM shelter_nights AS n JOIN sites AS s USING (site_id)
            JOIN weather_daily AS w ON w.city = s.city AND w.day = n.night
            WHERE w.tmin_c <= 0 OR w.vigilance IN ('orange', 'red'))
        SELECT sum(turned_away) FILTER (WHERE in_spell), sum(turned_away) FILTER (WHERE NOT in_spell) FROM cold""").fetchall()[0]
    assert inside > 5 * outside
    # Every recorded cold spell turned someone away on one of its cold nights.
    unseen = scalar(reference, """
        SELECT count(*) FROM demo_planted_events AS e WHERE e.event = 'cold_spell' AND NOT EXISTS (
            SELECT 1 FROM shelter_nights AS n JOIN sites AS s USING (site_id)
            JOIN weather_daily AS w ON w.city = s.city AND w.day = n.night
            WHERE s.city = e.city AND n.night BETWEEN e.starts AND e.ends AND n.turned_away > 0
              AND (w.tmin_c <= 0 OR w.vigilance IN ('orange', 'red')))""")
    assert unseen == 0


def test_the_context_events_are_the_programme_s_history_within_the_period(small_seed_3):
    with duckdb.connect(str(small_seed_3), read_only=True) as con:     # 2023-01-01 to 2024-03-31
        rows = con.execute("SELECT starts, ends, city, kind, label_en, audience FROM context_events "
                           "ORDER BY starts, city NULLS FIRST").fetchall()
    assert rows == [
        (D(2023, 7, 3), None, "Calais", "opening", "Day centre opens", "public"),
        (D(2023, 11, 1), None, None, "winter_plan", "Winter plan: watch", "public"),
        (D(2023, 12, 19), None, None, "law", "Immigration law adopted", "public"),
        (D(2024, 1, 22), D(2024, 3, 31), "Calais", "opening", "Winter shelter open", "public"),
        (D(2024, 1, 25), None, None, "law", "Health measures struck down", "public"),
    ]

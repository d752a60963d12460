"""The synthetic demo data: deterministic, complete, and faithful to the programme's facts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import duckdb
import pytest
from shapely.geometry import Point, shape

from terrain import ROOT, SCHEMA_VERSION, demo, summaries
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
    # the published sets are a pure function of the rows: the same seed, the same cells hidden
    "published_cells":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM published_cells AS t",
    "published_sets":
        "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM published_sets AS t",
}


def digests(path: Path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {table: con.execute(sql).fetchall()[0] for table, sql in TABLE_DIGESTS.items()}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    counts = demo.generate(path, consultations=CONSULTATIONS, seed=7, as_of=AS_OF)
    return path, counts


@pytest.fixture
def con(demo_db):
    connection = duckdb.connect(str(demo_db[0]), read_only=True)
    yield connection
    connection.close()


def scalar(con, sql, params=None):
    return con.execute(sql, params or {}).fetchall()[0][0]


# --- determinism and volume -----------------------------------------------------------------

SMALL = dict(consultations=3_000, start=D(2023, 1, 1), as_of=D(2024, 3, 31))


def test_same_seed_gives_identical_contents_and_another_seed_does_not(tmp_path):
    demo.generate(tmp_path / "a.duckdb", seed=3, **SMALL)
    demo.generate(tmp_path / "b.duckdb", seed=3, **SMALL)
    demo.generate(tmp_path / "c.duckdb", seed=4, **SMALL)
    first, again, other = (digests(tmp_path / name) for name in ("a.duckdb", "b.duckdb", "c.duckdb"))

    assert first == again
    with duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True) as con:
        tables = {row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    assert tables == set(TABLE_DIGESTS) | set(summaries.TABLES), "every table of the schema is compared"
    # The programme's fixed facts do not depend on the seed; the drawn figures do.
    for table in ("metadata", "sites", "vaccination_campaigns"):
        assert other[table] == first[table]
    for table in ("consultations", "weather_daily", "shelter_nights", "outreach", "vaccinations"):
        assert other[table] != first[table]


def test_more_consultations_leave_the_other_tables_unchanged(tmp_path):
    demo.generate(tmp_path / "few.duckdb", seed=3, **SMALL)
    demo.generate(tmp_path / "many.duckdb", seed=3, **{**SMALL, "consultations": 9_000})
    few, many = digests(tmp_path / "few.duckdb"), digests(tmp_path / "many.duckdb")
    # the published sets hold the consultations too, suppressed with the rest
    derived = {"consultations", *publication.TABLES}
    assert {t: d for t, d in few.items() if t not in derived} == {t: d for t, d in many.items() if t not in derived}


def test_an_explicit_number_gives_exactly_that_many_consultations(demo_db, con):
    _, counts = demo_db
    assert counts["consultations"] == CONSULTATIONS
    assert scalar(con, "SELECT count(*) FROM consultations") == CONSULTATIONS


def test_returned_counts_are_the_rows_in_each_table(demo_db):
    path, counts = demo_db
    assert counts == {table: digest[0] for table, digest in digests(path).items() if table not in publication.TABLES}


def test_default_volume_is_50000_a_year_scaled_to_the_period(tmp_path):
    counts = demo.generate(tmp_path / "year.duckdb", start=D(2024, 1, 1), as_of=D(2024, 6, 30))
    assert counts["consultations"] == round(50_000 * 182 / 365.25) == 24_914


def test_zero_consultations_still_builds_the_other_tables(tmp_path):
    counts = demo.generate(tmp_path / "empty.duckdb", consultations=0, **{
        k: v for k, v in SMALL.items() if k != "consultations"})
    assert counts["consultations"] == 0
    assert counts["weather_daily"] == 5 * 456


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
    "calais_day_centre": ("day_centre", "minors", None, D(2023, 7, 1), None),
    "calais_emergency_shelter": ("emergency_shelter", "mixed", 50, D(2023, 1, 9), None),
    "grande_synthe_basroch": ("camp", "mixed", None, D(2016, 1, 1), D(2016, 3, 6)),
    "grande_synthe_la_liniere": ("camp", "mixed", None, D(2016, 3, 7), D(2017, 4, 10)),
    "grande_synthe_camps": ("camp", "mixed", None, D(2017, 4, 11), None),
    "paris_la_chapelle_mobile": ("mobile_team", "mixed", None, D(2016, 6, 1), None),
    "pantin_minors_centre": ("day_centre", "minors", None, D(2017, 12, 1), None),
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
    assert len(demo.SITES) == 13


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

def test_emergency_shelter_opens_only_in_winter(con):
    months = {row[0] for row in con.execute("""SELECT DISTINCT month(night) FROM shelter_nights
                                               WHERE site_id = 'calais_emergency_shelter'""").fetchall()}
    assert months <= {11, 12, 1, 2, 3}
    assert scalar(con, """SELECT count(*) FROM shelter_nights WHERE site_id = 'calais_emergency_shelter'
                          AND night BETWEEN '2023-12-01' AND '2024-02-29'""") == 91
    # In November and March it opens only under a declared grand froid level or above.
    assert scalar(con, """
        SELECT count(*) FROM shelter_nights AS s
        WHERE site_id = 'calais_emergency_shelter' AND month(night) IN (11, 3)
          AND NOT EXISTS (SELECT 1 FROM winter_plan AS p
                          WHERE p.area = '62' AND p.level <> 'veille_saisonniere'
                            AND s.night BETWEEN p.starts AND p.ends)""") == 0


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

def test_weather_covers_every_city_every_day(con):
    days = (AS_OF - D(2016, 1, 1)).days + 1
    rows = con.execute("""SELECT city, count(*), min(day), max(day) FROM weather_daily
                          GROUP BY city ORDER BY city""").fetchall()
    assert rows == [(city, days, D(2016, 1, 1), AS_OF) for city in sorted(demo.CITIES)]


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
    "Grande-Synthe": ((1.5, 3.5), (18, 23)),
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
    # Winters 2015–16 to 2024–25.
    assert seasons == [(area, 10, 10) for area in ("13", "59", "62", "75", "93")]
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

def test_the_january_2016_measles_campaign_in_the_northern_camps(con):
    campaign = con.execute("""SELECT campaign_id, starts, ends, population_low, population_high
                              FROM vaccination_campaigns WHERE antigen = 'measles'""").fetchall()
    assert len(campaign) == 1
    campaign_id, starts, ends, low, high = campaign[0]
    assert D(2016, 1, 1) <= starts <= ends <= D(2016, 1, 31)
    assert 0 < low < high
    by_site = dict(con.execute("""
        SELECT site_id, sum(doses) FROM vaccinations WHERE campaign_id = $campaign
          AND vaccinated_on BETWEEN '2016-01-01' AND '2016-01-31' GROUP BY site_id""",
                               {"campaign": campaign_id}).fetchall())
    assert set(by_site) == {"calais_jungle", "grande_synthe_basroch"}
    children = scalar(con, """SELECT sum(doses) FILTER (WHERE age_band = '0-14') / sum(doses)
                              FROM vaccinations WHERE campaign_id = $campaign""", {"campaign": campaign_id})
    assert children >= 0.8


def test_later_campaigns_and_routine_doses_exist(con):
    assert scalar(con, "SELECT count(*) FROM vaccination_campaigns") == 5
    assert scalar(con, """SELECT count(*) FROM vaccinations WHERE campaign_id IS NULL
                          AND site_id = 'pantin_minors_centre'""") > 100
    assert scalar(con, """SELECT count(*) FROM vaccinations AS v JOIN vaccination_campaigns USING (campaign_id)
                          WHERE v.vaccinated_on NOT BETWEEN starts AND ends""") == 0


# --- consultations --------------------------------------------------------------------------

def test_no_coverage_rises_clearly_after_the_2023_immigration_law(con):
    share_2021, share_2024 = con.execute("""
        SELECT avg((health_coverage = 'none')::INT) FILTER (WHERE year(consulted_on) = 2021),
               avg((health_coverage = 'none')::INT) FILTER (WHERE year(consulted_on) = 2024)
        FROM consultations""").fetchall()[0]
    assert share_2024 > share_2021 + 0.08


def test_activity_mix_medical_first_and_legal_work_at_pantin(con):
    counts = dict(con.execute("SELECT activity::VARCHAR, count(*) FROM consultations GROUP BY ALL").fetchall())
    assert counts["medical"] > counts["mental_health"] > counts["social"] > counts["legal"]
    pantin_legal = scalar(con, """SELECT avg((site_id = 'pantin_minors_centre')::INT) FROM consultations
                                  WHERE activity = 'legal'""")
    assert pantin_legal > 0.6


def test_new_visits_and_referrals_have_their_usual_shares(con):
    new, referred = con.execute("""SELECT avg((visit = 'new')::INT), avg(referred::INT)
                                   FROM consultations""").fetchall()[0]
    assert 0.57 <= new <= 0.63
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

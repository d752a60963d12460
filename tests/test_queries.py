"""The query door: files, parameters, role rules, and known figures on the fixture."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from terrain import queries, roles
from tests import fixture_data

ALL_QUERIES = queries.names()


@pytest.mark.parametrize("name", ALL_QUERIES)
def test_every_query_loads_and_declares_its_parameters(name):
    query = queries.load(name)
    assert query.name == name
    assert query.level in roles.LEVELS
    unknown = query.params - set(fixture_data.SAMPLE_PARAMS)
    assert not unknown, f"add example values for {sorted(unknown)} to tests/fixture_data.SAMPLE_PARAMS"


@pytest.mark.parametrize("name", ALL_QUERIES)
@pytest.mark.parametrize("role", roles.ROLES)
def test_every_query_runs_for_every_role_or_is_refused(name, role, fixture_con):
    query = queries.load(name)
    params = {p: fixture_data.SAMPLE_PARAMS[p] for p in query.params}
    try:
        frame = queries.run(fixture_con, name, params, role=role)
    except queries.AccessDenied:
        assert not roles.allows_level(role, query.level) or (
            query.grain in roles.GRAINS and not roles.allows_grain(role, query.grain))
        return
    assert isinstance(frame, pd.DataFrame)
    if not roles.can(role, "see_exact_locations"):
        assert not {"latitude", "longitude"} & set(frame.columns)


def test_missing_and_extra_parameters_are_named(fixture_con):
    with pytest.raises(queries.QueryError, match=r"missing: \['cities'\]"):
        queries.run(fixture_con, "cold_nights_total", {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31)},
                    role="programme_manager")
    with pytest.raises(queries.QueryError, match=r"unexpected: \['site'\]"):
        queries.run(fixture_con, "cold_nights_total", {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31),
                                                       "cities": [], "site": "x"}, role="programme_manager")


@pytest.mark.parametrize("text,message", [
    ("-- name: q\n-- params: a\n-- level: city\n-- grain: none\nSELECT $a, $b", r"used but not declared: \['b'\]"),
    ("-- name: q\n-- params: a, b\n-- level: city\n-- grain: none\nSELECT $a", r"declared but not used: \['b'\]"),
    ("-- name: other\n-- params:\n-- level: city\n-- grain: none\nSELECT 1", "names it 'other'"),
    ("-- name: q\n-- params:\n-- level: street\n-- grain: none\nSELECT 1", "level 'street'"),
    ("-- name: q\n-- params:\n-- grain: none\nSELECT 1", "must declare '-- level:'"),
    ("-- name: q\n-- params:\n-- level: city\n-- grain: $grain\nSELECT 1", "no \\$grain parameter"),
    ("-- name: q\n-- params:\n-- level: city\n-- grain: none\n-- rates: r = a\nSELECT 1", "rate 'r = a'"),
])
def test_malformed_query_files_are_refused(text, message):
    with pytest.raises(queries.QueryError, match=message):
        queries.parse("q", text)


def test_parameters_in_strings_and_comments_do_not_count():
    query = queries.parse("q", "-- name: q\n-- params: a\n-- level: city\n-- grain: none\n"
                               "SELECT $a, '$not_a_param' -- $nor_this\n")
    assert query.params == {"a"}


@pytest.mark.parametrize("name", ["../etc/passwd", "Consultations", "no_such_query", "a;b"])
def test_only_query_files_by_name(name):
    with pytest.raises(queries.QueryError):
        queries.load(name)


JANUARY = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31)}


def _cells(frame, *keys, value="consultations"):
    return {tuple(row[k] for k in keys): row[value] for _, row in frame.iterrows()}


def test_consultations_by_city_and_activity_for_a_manager(fixture_con):
    frame = queries.run(fixture_con, "consultations_by_city_activity", {**JANUARY, "cities": []},
                        role="programme_manager")
    assert _cells(frame, "city", "activity") == {
        ("Calais", "medical"): 30, ("Calais", "mental_health"): 12, ("Calais", "social"): 3,
        ("Pantin", "medical"): 8}


def test_donor_counts_are_suppressed_with_complements(fixture_con):
    frame = queries.run(fixture_con, "consultations_by_city_activity", {**JANUARY, "cities": []}, role="donor")
    cells = _cells(frame, "city", "activity")
    visible = {key: v for key, v in cells.items() if not pd.isna(v)}
    assert all(v >= 11 for v in visible.values())
    # Calais social (3) and Pantin medical (8) are hidden; each line holding a hidden cell
    # hides at least one more, so no total minus the visible cells gives a hidden one.
    assert pd.isna(cells[("Calais", "social")]) and pd.isna(cells[("Pantin", "medical")])
    for line in ("Calais",):
        assert sum(pd.isna(v) for (city, _), v in cells.items() if city == line) >= 2
    assert sum(pd.isna(v) for (_, activity), v in cells.items() if activity == "medical") >= 2
    assert frame.attrs["provenance"]["threshold"] == 11


def test_donor_suppression_does_not_depend_on_the_city_filter(fixture_con):
    everywhere = queries.run(fixture_con, "consultations_by_city_activity", {**JANUARY, "cities": []}, role="donor")
    calais = queries.run(fixture_con, "consultations_by_city_activity", {**JANUARY, "cities": ["Calais"]}, role="donor")
    assert set(calais["city"]) == {"Calais"}
    expected = everywhere[everywhere["city"] == "Calais"].reset_index(drop=True)
    pd.testing.assert_frame_equal(calais.reset_index(drop=True), expected)


def test_donor_periods_are_whole_months(fixture_con):
    # 15–16 January holds no consultation, but a donor sees whole months: all of January.
    mid_month = {"start": dt.date(2024, 1, 15), "end": dt.date(2024, 1, 16), "cities": []}
    manager = queries.run(fixture_con, "consultations_by_city_activity", mid_month, role="programme_manager")
    donor = queries.run(fixture_con, "consultations_by_city_activity", mid_month, role="donor")
    assert _cells(manager, "city", "activity") == {("Calais", "social"): 3}
    assert len(donor) == 4
    assert donor.attrs["provenance"]["params"]["start"] == dt.date(2024, 1, 1)
    assert donor.attrs["provenance"]["params"]["end"] == dt.date(2024, 1, 31)


def test_donor_gets_months_when_asking_for_weeks(fixture_con):
    frame = queries.run(fixture_con, "consultations_by_period_city", {**JANUARY, "grain": "week", "cities": []},
                        role="donor")
    assert set(pd.to_datetime(frame["period"]).dt.day) == {1}
    assert frame.attrs["provenance"]["params"]["grain"] == "month"


def test_shelter_nights_by_city(fixture_con):
    frame = queries.run(fixture_con, "shelter_nights_by_city", {**JANUARY, "cities": []}, role="programme_manager")
    calais = frame.set_index("city").loc["Calais"]
    assert (calais.bed_nights_occupied, calais.bed_nights_available) == (650, 700)
    assert calais.occupancy_rate == pytest.approx(650 / 700)
    assert (calais.nights_at_capacity, calais.turned_away, calais.turned_away_minors) == (9, 37, 3)
    pantin = frame.set_index("city").loc["Pantin"]
    assert (pantin.nights_at_capacity, pantin.turned_away, pantin.turned_away_girls) == (31, 3, 3)


def test_cold_nights(fixture_con):
    frame = queries.run(fixture_con, "cold_nights_total", {**JANUARY, "cities": []}, role="donor")
    assert frame["cold_nights"].iloc[0] == 9
    frame = queries.run(fixture_con, "cold_nights_total", {**JANUARY, "cities": ["Marseille"]}, role="donor")
    assert frame["cold_nights"].iloc[0] == 0


@pytest.mark.parametrize("role", roles.ROLES)
def test_hostile_filter_values_change_nothing(role, fixture_db):
    con = duckdb.connect(str(fixture_db), read_only=True)
    try:
        hostile = ["'; DROP TABLE sites; --", "Calais' OR '1'='1"]
        frame = queries.run(con, "consultations_by_city_activity", {**JANUARY, "cities": hostile}, role=role)
        assert frame.empty
        assert con.execute("SELECT count(*) FROM sites").fetchall() == [(len(fixture_data.SITES),)]
    finally:
        con.close()

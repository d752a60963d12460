"""The query door: files, parameters, role rules, and known figures on the fixture."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from terrain import indicators, queries, roles
from terrain.disclosure import publication
from terrain.queries import catalogue
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
        # refused for its geography or time, or to donors, who read the published sets only
        assert not roles.allows_level(role, query.level) or (
            query.grain in roles.GRAINS and not roles.allows_grain(role, query.grain)) or (
            queries.published_reader(role, "internal") and not query.published and (query.counts or query.rates))
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


def test_a_result_s_records_pass_to_the_frames_made_from_it_without_a_copy(fixture_con):
    # pandas copies a frame's attrs deeply into each frame made from it; the door's records
    # (a mark per row for a donor) are shared instead, and read the same
    frame = queries.run(fixture_con, "consultations_by_city_activity", {**JANUARY, "cities": []}, role="donor")
    assert frame.attrs["suppression"]["hidden_marks"] and frame.attrs["provenance"]["role"] == "donor"
    for made in (frame["consultations"], frame[frame["city"] == "Calais"], frame.copy(deep=True)):
        assert made.attrs == frame.attrs
        assert all(made.attrs[key] is frame.attrs[key] for key in ("provenance", "suppression"))


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
    assert len(donor) == 7   # Calais's three activities, and Pantin's four: its small total marks its row whole
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


# --- donors: periods evaluated month by month (tests/test_differencing.py runs the pages) ------

DECEMBER_TO_FEBRUARY = {"start": dt.date(2023, 12, 1), "end": dt.date(2024, 2, 29)}
HEADER = "-- name: q\n-- params: start, end\n-- level: city\n-- grain: none\n"


@pytest.mark.parametrize("line,message", [
    ("-- combine: nights = average", "must read 'column = sum', 'min' or 'max'"),
    ("-- combine: nights = sum, nights = max", r"\['nights'\] declared twice"),
    ("-- counts: people\n-- combine: people = sum", r"\['people'\] declared twice, or for a count"),
    ("-- rates: r = a / b\n-- combine: r = max", r"\['r'\] declared twice, or for a count .* or a rate"),
])
def test_malformed_combinations_are_refused(line, message):
    with pytest.raises(queries.QueryError, match=message):
        queries.parse("q", HEADER + line + "\nSELECT $start, $end")


def test_combinations_are_read_from_the_header():
    query = queries.parse("q", HEADER + "-- combine: nights = sum, coldest = min,warmest=max\nSELECT $start, $end")
    assert query.combine == (("nights", "sum"), ("coldest", "min"), ("warmest", "max"))


def _query_file(tmp_path, monkeypatch, body: str) -> queries.Query:
    (tmp_path / "q.sql").write_text(HEADER.replace("params: start, end", "params: start, end, cities") + body)
    monkeypatch.setattr(catalogue, "QUERIES_DIR", tmp_path)
    return queries.load.__wrapped__("q")  # the file, not the cached query of another test


SHELTER_BODY = """SELECT s.city, count(*) AS nights, sum(n.turned_away) AS turned_away, max(n.night) AS last_night
FROM shelter_nights AS n JOIN sites AS s USING (site_id)
WHERE n.night BETWEEN $start AND $end AND (len($cities) = 0 OR s.city IN $cities)
GROUP BY s.city
"""


def test_a_number_without_a_combination_is_refused_when_loaded(tmp_path, monkeypatch):
    with pytest.raises(queries.QueryError, match=r"how to combine \['nights'\]"):
        _query_file(tmp_path, monkeypatch, "-- counts: turned_away\n" + SHELTER_BODY)
    query = _query_file(tmp_path, monkeypatch, "-- counts: turned_away\n-- combine: nights = sum\n" + SHELTER_BODY)
    assert query.combine == (("nights", "sum"),)
    with pytest.raises(queries.QueryError, match=r"combine: \['beds'\] are not columns"):
        _query_file(tmp_path, monkeypatch, "-- counts: turned_away\n-- combine: nights = sum, beds = sum\n" + SHELTER_BODY)


def test_a_monthly_companion_must_be_a_month_series_with_the_same_parameters(tmp_path, monkeypatch):
    header = "-- counts: turned_away\n-- combine: nights = sum\n-- monthly: "
    with pytest.raises(queries.QueryError, match="companion 'consultations_by_city_activity' must be"):
        # a whole-period query cannot stand in for months
        _query_file(tmp_path, monkeypatch, header + "consultations_by_city_activity\n" + SHELTER_BODY)
    with pytest.raises(queries.QueryError, match="companion 'consultations_by_period_city' must be"):
        # months, but with a $grain the whole-period query does not take
        _query_file(tmp_path, monkeypatch, header + "consultations_by_period_city\n" + SHELTER_BODY)
    with pytest.raises(queries.QueryError, match="its own monthly companion"):
        _query_file(tmp_path, monkeypatch, header + "q\n" + SHELTER_BODY)


def test_a_query_that_counts_no_one_needs_no_combination(tmp_path, monkeypatch):
    # Nothing is hidden, so donors get it in one run, and nothing needs adding up.
    query = _query_file(tmp_path, monkeypatch, SHELTER_BODY.replace("sum(n.turned_away)", "min(n.turned_away)"))
    assert not queries.combined_by_month(query)


def test_every_whole_period_query_donors_reach_says_how_to_combine_its_numbers():
    combined = [name for name in ALL_QUERIES if queries.combined_by_month(queries.load(name))]
    assert "consultations_by_city_activity" in combined and "map_sites_activity" in combined
    assert dict(queries.load("shelter_nights_by_city").combine) == {
        "bed_nights_available": "sum", "nights_at_capacity": "sum"}
    for name in combined:
        queries.check_combinations(queries.load(name))


def test_a_donors_period_adds_up_the_visible_months(fixture_con):
    # December: Calais 20 medical (shown). January: Calais 30 medical, 12 mental health,
    # 3 social and Pantin 8 medical: the 3 and the 8 are small, Pantin's total too, so Pantin's
    # whole row is marked (its zeros included), and the published set hides Calais's 30
    # medical with them (with the totals over cities), so the 12 stay shown. February:
    # Marseille 15 medical (shown). A manager sees 88 consultations; a donor 47, never the 30
    # hidden in January.
    donor = queries.run(fixture_con, "consultations_by_city_activity", {**DECEMBER_TO_FEBRUARY, "cities": []},
                        role="donor")
    cells = _cells(donor, "city", "activity")
    assert {key: v for key, v in cells.items() if not pd.isna(v)} == {
        ("Calais", "medical"): 20, ("Calais", "mental_health"): 12, ("Marseille", "medical"): 15}
    assert {key for key, v in cells.items() if pd.isna(v)} == {
        ("Calais", "social"), *(("Pantin", activity) for activity in ("medical", "mental_health", "social", "legal"))}
    assert donor.attrs["suppression"]["published"] == "donor"
    assert donor.attrs["suppression"]["partial"] == {"consultations": 1}  # Calais medical leaves out January


def test_nested_donor_periods_differ_by_the_visible_cells_of_the_months_between(fixture_con):
    # December to February minus December: the visible cells of January and February. Calais's
    # 30 medical consultations in January are hidden in January's view, so they add nothing
    # and the difference, 0, says nothing of them (tests/test_differencing.py shows, on the
    # demo data, the door giving such cells back when it ran a period at once).
    period = queries.run(fixture_con, "consultations_by_city_activity", {**DECEMBER_TO_FEBRUARY, "cities": []},
                         role="donor")
    december = queries.run(fixture_con, "consultations_by_city_activity",
                           {"start": dt.date(2023, 12, 1), "end": dt.date(2023, 12, 31), "cities": []}, role="donor")
    january = queries.run(fixture_con, "consultations_by_city_activity", {**JANUARY, "cities": []}, role="donor")
    assert pd.isna(_cells(january, "city", "activity")[("Calais", "medical")])
    assert _cells(period, "city", "activity")[("Calais", "medical")] == 20
    assert _cells(december, "city", "activity")[("Calais", "medical")] == 20


@pytest.fixture(scope="module")
def pantin_spring_db(tmp_path_factory):
    """The fixture with more nights at the Pantin girls' shelter: in February 2024, 5 of 10
    beds taken each night and nobody turned away; on 1 March, 3 of 10 beds."""
    path = fixture_data.build(tmp_path_factory.mktemp("spring") / "spring.duckdb")
    con = duckdb.connect(str(path))
    nights = [("pantin_girls_shelter", dt.date(2024, 2, day), 10, 5, 0, 0, 0) for day in range(1, 30)]
    nights.append(("pantin_girls_shelter", dt.date(2024, 3, 1), 10, 3, 0, 0, 0))
    con.executemany("INSERT INTO shelter_nights VALUES (?, ?, ?, ?, ?, ?, ?)", nights)
    publication.build(con)   # the published sets follow the rows, as every writer's do
    con.close()
    return path


def _pantin_nights(path, end: dt.date, role: str = "donor") -> pd.Series:
    con = duckdb.connect(str(path), read_only=True)
    try:
        frame = queries.run(con, "shelter_nights_by_city", {"start": dt.date(2024, 1, 1), "end": end,
                                                             "cities": ["Pantin"]}, role=role)
    finally:
        con.close()
    return frame.set_index("city").loc["Pantin"]


def test_hidden_months_never_add_up_to_a_false_zero(pantin_spring_db):
    # Pantin turned away 3 girls in January (hidden) and nobody in February (0, shown): the
    # two months are "< 11", not 0. Bed-nights: 310 + 145 occupied of 310 + 290, all shown.
    pantin = _pantin_nights(pantin_spring_db, dt.date(2024, 2, 29))
    assert pd.isna(pantin["turned_away"]) and pd.isna(pantin["turned_away_girls"])
    assert (pantin["bed_nights_occupied"], pantin["bed_nights_available"], pantin["nights_at_capacity"]) == (455, 600, 31)
    assert pantin["occupancy_rate"] == pytest.approx(455 / 600)


def test_a_rate_that_leaves_out_a_hidden_month_is_hidden(pantin_spring_db):
    # March's 3 bed-nights are hidden, so January to March shows 455 occupied bed-nights of
    # 610: a rate of 455 / 610 would be wrong, and the true 458 / 610 would give March back.
    pantin = _pantin_nights(pantin_spring_db, dt.date(2024, 3, 31))
    assert (pantin["bed_nights_occupied"], pantin["bed_nights_available"]) == (455, 610)
    assert pd.isna(pantin["occupancy_rate"])
    manager = _pantin_nights(pantin_spring_db, dt.date(2024, 3, 31), role="programme_manager")
    assert manager["occupancy_rate"] == pytest.approx(458 / 610)


def test_donor_month_series_are_the_single_months_side_by_side(fixture_con):
    months = queries.run(fixture_con, "consultations_by_period_city",
                         {**DECEMBER_TO_FEBRUARY, "grain": "week", "cities": []}, role="donor")
    one_by_one = pd.concat([
        queries.run(fixture_con, "consultations_by_period_city", {"start": start, "end": end, "grain": "month",
                                                                  "cities": []}, role="donor")
        for start, end in [(dt.date(2023, 12, 1), dt.date(2023, 12, 31)), (dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
                           (dt.date(2024, 2, 1), dt.date(2024, 2, 29))]], ignore_index=True)
    pd.testing.assert_frame_equal(months, one_by_one, check_like=False)


MONTH_SERIES = [name for name in ALL_QUERIES
                if queries.load(name).grain in ("month", "$grain") and queries.load(name).counts
                and queries.load(name).level != "site" and queries.load(name).published]


@pytest.mark.parametrize("name", MONTH_SERIES)
def test_a_donors_month_is_the_same_whatever_the_period_around_it(name, fixture_con):
    # The door runs a donor's month series once and splits it by month: a month's rows
    # must not depend on the months around it, or suppression would depend on the period.
    query = queries.load(name)
    params = {p: fixture_data.SAMPLE_PARAMS[p] for p in query.params}
    whole = queries.run(fixture_con, name, {**params, **DECEMBER_TO_FEBRUARY}, role="donor")
    assert not whole.empty
    for start, end in [(dt.date(2023, 12, 1), dt.date(2023, 12, 31)), (dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
                       (dt.date(2024, 2, 1), dt.date(2024, 2, 29))]:
        alone = queries.run(fixture_con, name, {**params, "start": start, "end": end}, role="donor")
        month = whole[pd.to_datetime(whole["period"]).dt.date == start].reset_index(drop=True)
        if alone.empty:  # nothing that month: the split has no rows either
            assert month.empty
        else:
            pd.testing.assert_frame_equal(month, alone)


def test_donor_map_areas_add_up_their_months(fixture_con):
    frame = queries.run(fixture_con, "map_sites_activity", DECEMBER_TO_FEBRUARY, role="donor")
    areas = frame.set_index("area_code")
    assert list(areas.index) == ["13", "62", "75056", "93"]
    # An area shown as its département names nothing finer: no city, no count or kind of site.
    assert areas.loc["62", "area_kind"] == "departement"
    assert areas.loc["62", "cities"] == () and pd.isna(areas.loc["62", "site_count"])
    assert areas.loc["62", "site_types"] == ""
    assert areas.loc["75056", "cities"] == ("Paris",) and areas.loc["75056", "site_count"] == 1
    # Calais: 20 consultations in December and 45 in January, shown (Pantin's 8, hidden, is
    # protected by the total over cities).
    assert areas.loc["62", "consultations"] == 65 and pd.isna(areas.loc["93", "consultations"])
    assert areas.loc["13", "consultations"] == 15 and areas.loc["75056", "people_reached"] == 37


def test_donor_dates_must_be_dates(fixture_con):
    with pytest.raises(queries.QueryError, match=r"\$start must be a date"):
        queries.run(fixture_con, "consultations_by_city_activity", {"start": "last week", "end": dt.date(2024, 1, 31),
                                                                    "cities": []}, role="donor")
    frame = queries.run(fixture_con, "consultations_by_city_activity", {"start": "2023-12-10", "end": "2023-12-20",
                                                                        "cities": []}, role="donor")
    assert _cells(frame, "city", "activity") == {("Calais", "medical"): 20}


# --- the same cells hidden alike on every page ------------------------------------------------

@pytest.mark.parametrize("role", ["advocacy", "donor"])
def test_overview_and_occupancy_hide_the_same_shelter_cells(role, fixture_con):
    period = {"start": dt.date(2023, 11, 1), "end": dt.date(2024, 3, 31), "cities": []}
    overview = queries.run(fixture_con, "shelter_nights_by_city", period, role=role).set_index("city")
    occupancy = queries.run(fixture_con, "occupancy_summary_by_city", period, role=role).set_index("city")
    assert overview[["turned_away_minors", "turned_away_girls"]].isna().any(axis=None)  # something is hidden
    for column in ("bed_nights_occupied", "turned_away", "turned_away_minors", "turned_away_girls"):
        pd.testing.assert_series_equal(overview[column], occupancy.loc[overview.index, column], check_dtype=False)


def test_a_donors_consultations_add_up_alike_on_the_overview_and_in_the_trend(fixture_con):
    period = {**DECEMBER_TO_FEBRUARY, "cities": []}
    totals = queries.run(fixture_con, "consultations_by_city_activity", period, role="donor")
    trend = queries.run(fixture_con, "consultations_by_period_city_activity", {**period, "grain": "month"},
                        role="donor")
    assert trend["consultations"].isna().any()
    for activity in ("medical", "mental_health", "social", "legal"):
        assert indicators.total(totals[totals["activity"] == activity], "consultations") == indicators.total(
            trend[trend["activity"] == activity], "consultations"), activity
    assert indicators.total(totals, "consultations") == indicators.total(trend, "consultations")

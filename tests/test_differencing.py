"""Differencing: no two donor views, however their periods and cities are chosen, can be
subtracted to uncover a count the donor's single-month view hides.

The guarantee is built into the query door (terrain/queries/): for roles that see months
only, a query with a period runs month by month, each month suppressed alone, and a figure
for a longer period is the sum of the visible monthly cells. These tests run every donor page
in Streamlit (AppTest) over presets, custom ranges and city filters on a small demo database,
capture the queries the pages ask for and what the door gave them (ui.observe_queries()), and
check each against the door's own single-month views.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections import defaultdict

import duckdb
import pandas as pd
import pytest

from terrain import demo, disclosure, i18n, queries, ui
from tests import apptest

AS_OF = dt.date(2026, 2, 14)  # fixed, so that "last 4 weeks" and the winter season stay put
K = disclosure.threshold("donor")
DONOR_PAGES = ("overview", "map", "occupancy", "consultations", "winter")
PERIODS = (
    {"period": "last_4_weeks"},
    {"period": "last_3_months"},
    {"period": "winter_season"},
    {"period": "year", "year": "2024"},
    {"period": "year", "year": "2025"},
    {"period": "custom", "from": "2024-01-01", "to": "2024-11-30"},   # nested in 2024
    {"period": "custom", "from": "2024-03-10", "to": "2024-05-20"},   # partial months
    {"period": "custom", "from": "2024-10-01", "to": "2025-03-31"},   # overlaps both years
)
ALL_THE_DATA = {"period": "custom", "from": "2016-01-01", "to": AS_OF.isoformat()}  # 122 months
SINCE_2023 = {"period": "custom", "from": "2023-06-15", "to": AS_OF.isoformat()}  # 33 months
CITY_FILTERS = ("Calais", "Grande-Synthe", "Paris", "Pantin", "Marseille", "Calais,Pantin")
SEASONS = ("2023", "2024", "2025")


def _page_urls(page: str) -> list[dict]:
    if page == "winter":
        return [{"season": s} for s in SEASONS] + [{"season": "2024", "city": c} for c in CITY_FILTERS]
    # Every month of the data (122) on the Overview, whose queries are the donors' headline
    # figures; 33 months, across three new years, on the other pages: every single-month view
    # of every query is checked, and the 122 months of each would take minutes of this test.
    urls = [dict(p) for p in PERIODS] + [ALL_THE_DATA if page == "overview" else SINCE_2023]
    if page != "map":  # the map has no city filter
        urls += [{"period": "year", "year": "2024", "city": c} for c in CITY_FILTERS]
        urls += [{"period": "custom", "from": "2024-01-01", "to": "2024-11-30", "city": c} for c in CITY_FILTERS[:2]]
    return urls


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("differencing") / "demo.duckdb"
    demo.generate(path, consultations=60_000, seed=5, as_of=AS_OF)
    return path


@pytest.fixture(scope="session")
def donor_runs(demo_db, tmp_path_factory):
    """Every distinct (query, params, audience) the donor pages ask the door for, and what
    they were given (`_given`)."""
    state = tmp_path_factory.mktemp("differencing_state")
    calls = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TERRAIN_DB", str(demo_db))
        mp.setenv("TERRAIN_USERS", str(state / "users.json"))
        mp.setenv("TERRAIN_AUTH_STATE", str(state / "auth-state.json"))
        for page in DONOR_PAGES:
            for url in _page_urls(page):
                with ui.observe_queries() as asked:
                    at = apptest.run_page(f"pages/{page}.py", "donor", url)
                assert not at.exception, (page, url, at.exception)
                assert not at.error, (page, url, [e.value for e in at.error])   # (a call past its time limit)
                notices = [w.value for w in at.warning if w.value != i18n.t("common.synthetic_banner", "fr")]
                assert notices == [], (page, url, notices)  # every URL above is valid
                assert asked, (page, url)   # the page asked the door for its figures
                for name, params, role, audience, frame in asked:
                    assert role == "donor"
                    calls[(name, _frozen(params), audience)] = (name, dict(params), audience)
                    _given.setdefault((name, _frozen(params), audience), frame)
    return list(calls.values())


@pytest.fixture(scope="session")
def con(demo_db):
    connection = duckdb.connect(str(demo_db), read_only=True)
    yield connection
    connection.close()


def _frozen(params: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


def _months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    months, first = [], start.replace(day=1)
    while first <= end:
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        months.append((first, last))
        first = last + dt.timedelta(days=1)
    return months


_given: dict = {}    # (name, frozen params, audience): the frame a page was given for it


def _donor_view(con, name: str, params: dict, audience: str) -> pd.DataFrame:
    """What the door gave a donor's page for that call (`donor_runs`), or, for a call no page
    made, what it gives a donor (run once: long periods are slow)."""
    key = (name, _frozen(params), audience)
    if key not in _given:
        _given[key] = queries.run(con, name, params, role="donor", audience=audience)
    return _given[key]


def _with_period(runs):
    return [(name, params, audience) for name, params, audience in runs if {"start", "end"} <= set(params)]


@functools.cache
def _month_view(con, name: str, first: dt.date, last: dt.date, grain: str | None, audience: str,
                role: str = "donor") -> pd.DataFrame:
    """The single-month view of a query, over every city (which cells are hidden must not
    depend on the city filter; the caller filters)."""
    query = queries.load(name)
    params = {p: [] for p in query.params if p not in ("start", "end", "grain")}
    params |= {"start": first, "end": last} | ({"grain": grain} if "grain" in query.params else {})
    return queries.run(con, name, params, role=role, audience=audience)


def _in_cities(frame: pd.DataFrame, query, params: dict) -> pd.DataFrame:
    if query.level == "city" and params.get("cities") and "city" in frame.columns:
        return frame[frame["city"].isin(params["cities"])]
    return frame


def _keys(frame: pd.DataFrame, query) -> list[str]:
    """What a row of a whole-period result is about: its area for map rows, else its text,
    date and boolean columns."""
    if "area_code" in frame.columns:
        return ["area_code"]
    return [c for c in frame.columns if c not in query.counts
            and (pd.api.types.is_bool_dtype(frame[c]) or not pd.api.types.is_numeric_dtype(frame[c]))]


def _lifted_communes(con, name, months) -> dict[str, str]:
    """Communes that some month of the period shows as their département (a single sensitive
    site in the commune that month): the whole period shows them so."""
    lifted = {}
    for first, last in months:
        sites = _month_view(con, name, first, last, None, "internal", role="programme_manager")
        if not sites.empty:
            for commune, departement, area in zip(sites["commune_code"], sites["departement"],
                                                  disclosure.area_of_sites(sites)):
                if area != commune:
                    lifted[commune] = departement
    return lifted


def _monthly_cells(con, name, params, audience, frame):
    """The single-month donor views of the period a result was made of."""
    query = queries.load(name)
    used = frame.attrs["provenance"]["params"]
    months, views = _months(used["start"], used["end"]), []
    lifted = _lifted_communes(con, name, months) if query.exact_locations and query.grain == "none" else {}
    for first, last in months:
        view = _month_view(con, name, first, last, used.get("grain"), audience)
        if query.level == "programme" and params.get("cities"):  # filtered in SQL, not afterwards
            view = queries.run(con, name, {**params, "start": first, "end": last}, role="donor", audience=audience)
        if lifted:
            view = view.assign(area_code=[lifted.get(code, code) for code in view["area_code"]])
        views.append(_in_cities(view, query, params))
    return views


def _cell_index(frame: pd.DataFrame, keys: list[str]) -> dict:
    # (rows as dicts made from the columns' values: a row taken by iterrows carries a deep
    # copy of the frame's attrs, and to_dict boxes every value through pandas)
    columns = {c: frame[c].tolist() for c in frame.columns}
    rows = (dict(zip(columns, values)) for values in zip(*columns.values()))
    return {tuple(row[k] for k in keys): row for row in rows}


def test_the_donor_pages_ran_every_kind_of_query(donor_runs):
    names = {name for name, _, _ in donor_runs}
    assert {"consultations_by_city_activity", "shelter_nights_by_city", "occupancy_summary_by_city",
            "map_sites_activity", "consultations_by_period_city_activity", "occupancy_by_city",
            "winter_nights_by_city_month", "cold_nights_total"} <= names
    assert all(disclosure.threshold("donor", audience) == K for _, _, audience in donor_runs)


def test_no_donor_result_shows_a_small_count(con, donor_runs):
    small = []
    for name, params, audience in donor_runs:
        frame = _donor_view(con, name, params, audience)
        for column in queries.load(name).counts:
            if column in frame.columns:
                values = frame[column].dropna()
                small += [(name, params, column, int(v)) for v in values if 1 <= v < K]
    assert small == []


def test_every_donor_figure_is_the_sum_of_its_visible_monthly_cells(con, donor_runs):
    """A whole-period count is the sum of the visible single-month cells it is made of (a
    hidden one adds nothing); a month-by-month result is the single-month views side by side.
    So any difference of two donor views is a sum of visible cells: it uncovers nothing."""
    wrong = []
    for name, params, audience in _with_period(donor_runs):
        query = queries.load(name)
        frame = _donor_view(con, name, params, audience)
        months = _monthly_cells(con, name, params, audience, frame)
        counts = [c for c in query.counts if c in frame.columns]
        if query.grain != "none":
            shown = frame.reset_index(drop=True)
            expected = pd.concat(months, ignore_index=True) if months else frame.iloc[:0]
            for column in [*counts, *[r.column for r in query.rates if r.column in frame.columns]]:
                if not shown[column].reset_index(drop=True).equals(expected[column].reset_index(drop=True)):
                    wrong.append((name, params, column, "months differ from the single-month views"))
            continue
        keys = _keys(frame, query)
        cells = [_cell_index(month, keys) for month in months]
        for key, row in _cell_index(frame, keys).items():
            for column in counts:
                parts = [month[key][column] for month in cells if key in month]
                visible = [int(v) for v in parts if not pd.isna(v)]
                if not parts:
                    wrong.append((name, params, key, column, "a row made of no month"))
                elif pd.isna(row[column]):
                    if len(visible) == len(parts):
                        wrong.append((name, params, key, column, "hidden although every month is shown", visible))
                elif int(row[column]) == 0 and len(visible) < len(parts):
                    wrong.append((name, params, key, column, "0 shown beside a hidden month"))
                elif int(row[column]) != sum(visible):
                    wrong.append((name, params, key, column, int(row[column]), "visible monthly cells", visible,
                                  "hidden", len(parts) - len(visible)))
    assert wrong == []


def test_combined_columns_and_rates_follow_the_declared_rule(con, donor_runs):
    """Columns that are not counts are combined as the query's header declares (sum, min or
    max over the months); rates are recomputed from their combined parts, and hidden when a
    part leaves out a hidden monthly cell or is below the threshold."""
    wrong = []
    for name, params, audience in _with_period(donor_runs):
        query = queries.load(name)
        if query.grain != "none":
            continue
        frame = _donor_view(con, name, params, audience)
        keys = _keys(frame, query)
        cells = [_cell_index(month, keys) for month in _monthly_cells(con, name, params, audience, frame)]
        how = {"sum": sum, "min": min, "max": max}
        for key, row in _cell_index(frame, keys).items():
            for column, rule in query.combine:
                parts = [month[key][column] for month in cells if key in month and not pd.isna(month[key][column])]
                expected = how[rule](parts) if parts else None
                if (expected is None) != pd.isna(row[column]) or (expected is not None and row[column] != expected):
                    wrong.append((name, params, key, column, row[column], expected))
            for rate in query.rates:
                numerator, denominator = row[rate.numerator], row[rate.denominator]
                partial = any(pd.isna(month[key][part]) for month in cells if key in month
                              for part in (rate.numerator, rate.denominator))
                if pd.isna(numerator) or pd.isna(denominator) or denominator < K or partial:
                    if not pd.isna(row[rate.column]):
                        wrong.append((name, params, key, rate.column, "shown", row[rate.column]))
                elif row[rate.column] != pytest.approx(numerator / denominator):
                    wrong.append((name, params, key, rate.column, row[rate.column], numerator / denominator))
    assert wrong == []


def test_city_filters_do_not_change_what_is_hidden(con, donor_runs):
    """The same query and period with different cities: every city's rows are the same."""
    by_period = defaultdict(list)
    for name, params, audience in _with_period(donor_runs):
        # (context rows, such as the events, hold no figure: an event everywhere is in every city)
        if queries.load(name).level == "city" and "cities" in params and not queries.load(name).audience_column:
            rest = {k: v for k, v in params.items() if k != "cities"}
            by_period[(name, _frozen(rest), audience)].append(params)
    compared = 0
    for (name, _, audience), variants in by_period.items():
        everywhere = _donor_view(con, name, {**variants[0], "cities": []}, audience)
        for params in variants:
            if not params["cities"]:
                continue
            frame = _donor_view(con, name, params, audience)
            expected = everywhere[everywhere["city"].isin(params["cities"])].reset_index(drop=True)
            pd.testing.assert_frame_equal(frame.reset_index(drop=True), expected, check_dtype=False)
            compared += 1
    assert compared > 20


def _hidden_true_values(con, name, month, keys, audience):
    """Per key, the true value of each count hidden in the donor's single-month view."""
    first, last = month
    donor = _month_view(con, name, first, last, None, audience)
    manager = _month_view(con, name, first, last, None, audience, role="programme_manager")
    true_rows = _cell_index(manager, keys)
    hidden = {}
    for key, row in _cell_index(donor, keys).items():
        for column in queries.load(name).counts:
            if column in donor.columns and pd.isna(row[column]) and key in true_rows:
                hidden[(key, column)] = int(true_rows[key][column])
    return hidden


WHOLE_PERIOD_QUERIES = ("consultations_by_city_activity", "consultations_by_city_age_sex",
                        "consultations_by_city_coverage", "consultations_by_city_diagnosis",
                        "consultations_by_city_minor_status", "consultations_by_city_visit_referral",
                        "shelter_nights_by_city", "occupancy_summary_by_city")


@pytest.mark.parametrize("name", WHOLE_PERIOD_QUERIES)
def test_a_year_minus_eleven_months_gives_only_the_visible_december(con, name):
    """2024 minus January–November 2024: exactly December's visible cells; never the true
    value of a December cell the donor's December view hides."""
    query = queries.load(name)
    args = {"cities": []}
    year = queries.run(con, name, {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 31), **args}, role="donor")
    eleven = queries.run(con, name, {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 11, 30), **args}, role="donor")
    december = _month_view(con, name, dt.date(2024, 12, 1), dt.date(2024, 12, 31), None, "internal")
    keys = _keys(year, query)
    hidden = _hidden_true_values(con, name, (dt.date(2024, 12, 1), dt.date(2024, 12, 31)), keys, "internal")
    assert hidden, "the test needs hidden December cells to be meaningful"
    before, dec = _cell_index(eleven, keys), _cell_index(december, keys)
    recovered, wrong = [], []
    for key, row in _cell_index(year, keys).items():
        for column in query.counts:
            if pd.isna(row[column]):
                continue
            earlier = before[key][column] if key in before else 0
            earlier = 0 if pd.isna(earlier) else int(earlier)
            difference = int(row[column]) - earlier
            shown = dec[key][column] if key in dec else 0
            if difference != (0 if pd.isna(shown) else int(shown)):
                wrong.append((key, column, difference, shown))
            if hidden.get((key, column), 0) >= 1 and difference == hidden[(key, column)]:
                recovered.append((key, column, difference))
    assert recovered == []
    assert wrong == []


def test_consultations_by_city_activity_in_2024_are_sums_of_months(con):
    """The brief's case, cell by cell: each city's consultations of an activity in 2024, for a
    donor, add up the single-month cells that are shown and nothing else; hidden when no
    month is shown. Where some months are hidden the figure is below the true total."""
    year = queries.run(con, "consultations_by_city_activity",
                       {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 31), "cities": []}, role="donor")
    truth = queries.run(con, "consultations_by_city_activity",
                        {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 31), "cities": []},
                        role="programme_manager").set_index(["city", "activity"])["consultations"]
    shown = defaultdict(list)
    for first, last in _months(dt.date(2024, 1, 1), dt.date(2024, 12, 31)):
        month = _month_view(con, "consultations_by_city_activity", first, last, None, "internal")
        for city, activity, value in zip(month["city"], month["activity"], month["consultations"]):
            shown[(city, activity)].append(None if pd.isna(value) else int(value))
    mixed = 0
    for city, activity, figure in zip(year["city"], year["activity"], year["consultations"]):
        visible = [v for v in shown[(city, activity)] if v is not None]
        if not visible:
            assert pd.isna(figure)
            continue
        assert figure == sum(visible)
        if len(visible) < len(shown[(city, activity)]):
            mixed += 1
            assert figure < truth[(city, activity)]
    assert mixed >= 3  # a city's consultations of an activity with some of its 12 months hidden

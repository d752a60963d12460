"""The consultations page: its queries, chart helpers and the page itself (AppTest), with
figures computed by hand from tests/fixture_data.py.

January 2024: 53 consultations = Calais camps 45 (30 medical, new, 18-24 M, respiratory, no
coverage; 12 mental health, follow-up, 25-34 M, AME; 3 social, new, 18-24 M, referred, no
coverage) + Pantin girls' shelter 8 (medical, 15-17 F, unaccompanied minors, scabies, no
coverage). December 2023: 20 in Calais (medical). February 2024: 15 in Marseille (minors).
For the year-on-year tests a copy of the fixture adds January 2023: Calais 15 medical and 12
mental health, Pantin 4 medical.
"""

import base64
import datetime as dt
import json

import duckdb
import pandas as pd
import numpy as np
import plotly.graph_objects
import pytest

from terrain import i18n, indicators, queries, roles, summaries
from terrain.disclosure import publication
from terrain.charts import consultations as charts
from terrain.ui import views
from tests import fixture_data
from tests.apptest import open_tab, run_page, table_cells

JANUARY = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31)}
ALL = {"cities": [], "sites": [], "activities": [], "age_bands": [], "sexes": [], "minors_only": False,
       "girls_only": False}
JANUARY_URL = {"period": "custom", "from": "2024-01-01", "to": "2024-01-31"}
FR = lambda key, **values: i18n.t(key, "fr", **values)  # noqa: E731
EN = lambda key, **values: i18n.t(key, "en", **values)  # noqa: E731
JANUARY_2023 = [
    (dt.date(2023, 1, 11), "calais_camps", "medical", "new", "18-24", "M", "no", "respiratory_infection", "none",
     False, 15),
    (dt.date(2023, 1, 12), "calais_camps", "mental_health", "follow_up", "25-34", "M", "no", "mental_health", "AME",
     False, 12),
    (dt.date(2023, 1, 25), "pantin_girls_shelter", "medical", "new", "15-17", "F", "yes", "skin_infection_scabies",
     "none", False, 4),
]


@pytest.fixture(scope="module")
def year_on_year_db(tmp_path_factory):
    """The fixture plus January 2023, so that January 2024 has a year to compare with."""
    path = fixture_data.build(tmp_path_factory.mktemp("yoy") / "yoy.duckdb")
    con = duckdb.connect(str(path))
    rows = [group[:-1] for group in JANUARY_2023 for _ in range(group[-1])]
    con.executemany("INSERT INTO consultations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    summaries.refresh(con)
    publication.build(con)   # the published sets follow the rows, as every writer's do
    con.close()
    return path


def _cells(frame, *keys, value="consultations"):
    return {tuple(row[k] for k in keys): row[value] for _, row in frame.iterrows()}


def _run(con, name, role="programme_manager", **params):
    query = queries.load(name)
    values = {**JANUARY, **ALL, "grain": "month", **params}
    return queries.run(con, name, {p: values[p] for p in query.params}, role=role)


# --- queries ---------------------------------------------------------------------------------

def test_january_breakdowns_for_a_manager(fixture_con):
    assert _cells(_run(fixture_con, "consultations_by_period_activity"), "activity") == {
        ("medical",): 38, ("mental_health",): 12, ("social",): 3}
    assert _cells(_run(fixture_con, "consultations_by_site_activity"), "site_id", "activity") == {
        ("calais_camps", "medical"): 30, ("calais_camps", "mental_health"): 12, ("calais_camps", "social"): 3,
        ("pantin_girls_shelter", "medical"): 8}
    assert _cells(_run(fixture_con, "consultations_by_age_sex"), "age_band", "sex") == {
        ("15-17", "F"): 8, ("18-24", "M"): 33, ("25-34", "M"): 12}
    assert _cells(_run(fixture_con, "consultations_by_minor_status"), "unaccompanied_minor") == {
        ("yes",): 8, ("no",): 45}
    diagnoses = _run(fixture_con, "consultations_by_diagnosis")
    assert list(zip(diagnoses["diagnosis_group"], diagnoses["consultations"])) == [
        ("respiratory_infection", 30), ("mental_health", 12), ("skin_infection_scabies", 8), ("other", 3)]
    assert _cells(_run(fixture_con, "consultations_by_coverage"), "health_coverage") == {
        ("none",): 41, ("AME",): 12}
    assert _cells(_run(fixture_con, "consultations_by_visit_referral"), "visit", "referred") == {
        ("new", "yes"): 3, ("new", "no"): 38, ("follow_up", "no"): 12}


def test_share_without_coverage_per_month(fixture_con):
    frame = _run(fixture_con, "consultations_coverage_by_period", start=dt.date(2023, 12, 1),
                 end=dt.date(2024, 2, 29))
    assert frame["with_known_coverage"].tolist() == [20, 53, 15]
    assert frame["unknown_coverage"].tolist() == [0, 0, 0]
    assert frame["without_coverage"].tolist() == [20, 41, 0]
    assert frame["share_without_coverage"].tolist() == pytest.approx([1.0, 41 / 53, 0.0])


# A copy of the fixture with consultations whose health coverage is unknown: 5 in Calais on
# 5 December 2023, 12 on 10 January 2024 (medical, 18-24 M).
UNKNOWN_COVERAGE = [
    (dt.date(2023, 12, 5), "calais_camps", "medical", "new", "18-24", "M", "no", "respiratory_infection", "unknown",
     False, 5),
    (dt.date(2024, 1, 10), "calais_camps", "medical", "new", "18-24", "M", "no", "respiratory_infection", "unknown",
     False, 12),
]


@pytest.fixture(scope="module")
def unknown_coverage_db(tmp_path_factory):
    path = fixture_data.build(tmp_path_factory.mktemp("unknown") / "unknown.duckdb")
    con = duckdb.connect(str(path))
    rows = [group[:-1] for group in UNKNOWN_COVERAGE for _ in range(group[-1])]
    con.executemany("INSERT INTO consultations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    summaries.refresh(con)
    publication.build(con)
    con.close()
    return path


def test_the_share_without_coverage_leaves_unknown_coverage_out(unknown_coverage_db):
    # December 2023: 20 of known coverage, all with none, and 5 unknown: 20 / 20 = 100 %, not
    # 20 / 25 = 80 %. January 2024: 41 with none of 53 known (12 unknown): 41 / 53, not 41 / 65.
    con = duckdb.connect(str(unknown_coverage_db), read_only=True)
    try:
        frame = _run(con, "consultations_coverage_by_period", start=dt.date(2023, 12, 1), end=dt.date(2024, 2, 29))
        assert frame["with_known_coverage"].tolist() == [20, 53, 15]
        assert frame["unknown_coverage"].tolist() == [5, 12, 0]
        assert frame["share_without_coverage"].tolist() == pytest.approx([1.0, 41 / 53, 0.0])
        assert charts.unknown_coverage_share(frame).tolist() == pytest.approx([5 / 25, 12 / 65, 0.0])
        period = charts.coverage_summary(_run(con, "consultations_by_coverage"))
        assert period == {"without_coverage": 41, "with_known_coverage": 53, "unknown_coverage": 12,
                          "consultations": 65, "share": pytest.approx(41 / 53), "unknown_share": pytest.approx(12 / 65)}
        # A donor reads the published set: the share is the published none over the published
        # none + AME + PUMa/CSS wherever both are shown.
        donors = _run(con, "consultations_coverage_by_period_city", role="donor", start=dt.date(2023, 12, 1),
                      end=dt.date(2024, 2, 29))
        shown = donors.dropna(subset=["share_without_coverage"])
        assert len(shown) and (shown["share_without_coverage"].astype(float)
                               == shown["without_coverage"].astype(float) / shown["with_known_coverage"].astype(float)).all()
        assert donors.loc[donors["city"] == "Calais", "unknown_coverage"].tolist()[1] == 12
        query = queries.load("consultations_coverage_by_period_city")
        assert [r for r in query.rates if r.column == "share_without_coverage"][0].denominator == "with_known_coverage"
        [known] = [item for item in query.published if item.column == "with_known_coverage"]
        assert (known.breakdown, known.categories) == ("health_coverage", ("none", "AME", "PUMa_CSS"))
    finally:
        con.close()


def test_the_page_says_what_the_share_without_coverage_is_of(monkeypatch, unknown_coverage_db):
    at = _page(monkeypatch, unknown_coverage_db, "programme_manager", period="custom",
               **{"from": "2023-11-01", "to": "2024-02-29"})
    figure = _figure(at, "consultations_coverage")
    # Each month's share holds over the month (a step, its last value to the month's end);
    # the points in the middle of the months carry the hover.
    step, points, unknown_step, unknown_points = figure.data[:4]
    assert step.line.shape == "hv" and step.y == pytest.approx([1.0, 41 / 53, 0.0, 0.0])
    assert [str(x)[:10] for x in step.x] == ["2023-12-01", "2024-01-01", "2024-02-01", "2024-03-01"]
    assert points.y == pytest.approx([1.0, 41 / 53, 0.0])
    assert unknown_points.y == pytest.approx([5 / 25, 12 / 65, 0.0]) and unknown_step.line.dash == "dot"
    assert figure.layout.title.text.replace("<br>", " ") == FR("consultations.coverage_title").replace("<br>", " ")
    captions = " ".join(c.value for c in at.caption)
    assert "parmi les consultations dont la couverture est connue" in captions
    # 2023-11-01 to 2024-02-29: 61 with none of 88 known (20 + 53 + 15), 17 unknown of 105.
    assert FR("consultations.coverage_period", share="69\u00a0%", without="61", known="88",
              unknown_share="16\u00a0%", unknown="17", total="105") in captions


@pytest.mark.parametrize("filters,expected", [
    ({"minors_only": True}, {("pantin_girls_shelter", "medical"): 8}),
    ({"girls_only": True}, {("pantin_girls_shelter", "medical"): 8}),
    ({"age_bands": ["18-24"]}, {("calais_camps", "medical"): 30, ("calais_camps", "social"): 3}),
    ({"sexes": ["F"], "activities": ["medical"]}, {("pantin_girls_shelter", "medical"): 8}),
    ({"sites": ["calais_camps"], "activities": ["social", "legal"]}, {("calais_camps", "social"): 3}),
    ({"cities": ["Marseille"]}, {}),
])
def test_site_level_filters(filters, expected, fixture_con):
    assert _cells(_run(fixture_con, "consultations_by_site_activity", **filters), "site_id", "activity") == expected


def test_weeks_start_on_monday(fixture_con):
    frame = _run(fixture_con, "consultations_by_period_activity", grain="week")
    # 10 and 12 January fall in the week of Monday 8 January; 15 and 20 January in the next.
    assert _cells(frame, "period", "activity") == {
        (pd.Timestamp("2024-01-08"), "medical"): 30, (pd.Timestamp("2024-01-08"), "mental_health"): 12,
        (pd.Timestamp("2024-01-15"), "social"): 3, (pd.Timestamp("2024-01-15"), "medical"): 8}


@pytest.mark.parametrize("start,end,before", [
    (dt.date(2024, 1, 1), dt.date(2024, 1, 31), (dt.date(2023, 1, 1), dt.date(2023, 1, 31))),
    (dt.date(2025, 2, 1), dt.date(2025, 2, 28), (dt.date(2024, 2, 1), dt.date(2024, 2, 29))),  # whole month
    (dt.date(2024, 2, 1), dt.date(2024, 2, 29), (dt.date(2023, 2, 1), dt.date(2023, 2, 28))),
    (dt.date(2025, 2, 10), dt.date(2025, 2, 27), (dt.date(2024, 2, 10), dt.date(2024, 2, 27))),
    (dt.date(2024, 2, 29), dt.date(2024, 3, 10), (dt.date(2023, 2, 28), dt.date(2023, 3, 10))),
    (dt.date(2023, 11, 1), dt.date(2024, 3, 31), (dt.date(2022, 11, 1), dt.date(2023, 3, 31))),
])
def test_the_same_period_a_year_earlier(start, end, before):
    assert charts.year_earlier(start, end) == before


def test_year_on_year_per_activity(year_on_year_db):
    con = duckdb.connect(str(year_on_year_db), read_only=True)
    try:
        now = _run(con, "consultations_by_activity")
        before = _run(con, "consultations_by_activity", start=dt.date(2023, 1, 1), end=dt.date(2023, 1, 31))
        table = charts.year_on_year(now, before, "fr")
        assert list(zip(table["activity"], table["consultations"], table["consultations_year_before"],
                        table["change"])) == [
            ("medical", 38, 19, "+100\u00a0%"), ("mental_health", 12, 12, "0\u00a0%"), ("social", 3, 0, "—")]
        headline = charts.headline(now, before)
        assert (headline.value, headline.previous, headline.change) == (53, 31, pytest.approx(22 / 31))
        assert charts.headline(now, before, "legal") == charts.Headline(0, 0, 0, 0)

        now = _run(con, "consultations_by_city_activity", role="donor")
        before = _run(con, "consultations_by_city_activity", role="donor",
                      start=dt.date(2023, 1, 1), end=dt.date(2023, 1, 31))
        table = charts.year_on_year(now, before, "fr")
        # Pantin's totals, 8 and 4, are small: its whole activity row is marked "< 11" both
        # years, the zeros of its other activities included, and so is any change of it.
        assert table[["city", "activity"]].values.tolist() == [
            ["Calais", "medical"], ["Calais", "mental_health"], ["Calais", "social"],
            ["Pantin", "medical"], ["Pantin", "mental_health"], ["Pantin", "social"], ["Pantin", "legal"]]
        pantin = table[table["city"] == "Pantin"]
        assert pantin["consultations"].isna().all() and pantin["consultations_year_before"].isna().all()
        assert (pantin["change"] == "—").all()
        assert charts.headline(now, before).change is None
    finally:
        con.close()


def test_city_level_queries_take_no_finer_filter_and_are_refused_nothing_for_donors(fixture_con):
    for name in set(views.CONSULTATIONS_QUERIES["city"].values()):
        query = queries.load(name)
        assert query.level == "city" and not query.params & {"sites", "activities", "age_bands", "sexes",
                                                               "minors_only", "girls_only"}, name
        assert "city" in _run(fixture_con, name, role="donor").columns, name
    for name in views.CONSULTATIONS_QUERIES["site"].values():
        with pytest.raises(queries.AccessDenied):
            _run(fixture_con, name, role="donor")


@pytest.mark.parametrize("level", ["site", "city"])
def test_each_query_of_a_level_takes_the_filters_of_that_level(level):
    # The page hands every query of its level the same filters (terrain/ui/views.py); the door
    # refuses a parameter a query does not declare.
    view = views.Consultations(level, views.CONSULTATIONS_QUERIES[level], views.CONSULTATION_FILTERS[level])
    for part, name in view.queries.items():
        assert set(view.filter_params) <= queries.load(name).params, (level, part, name)


def test_donor_breakdowns_are_per_city_with_small_counts_hidden(fixture_con):
    ages = _run(fixture_con, "consultations_by_city_age_sex", role="donor")
    # January: Pantin's total, 8 (its 15-17 girls), is small, so its whole age-sex row is
    # marked "< 11", zeros included. In the totals over cities (published, not read here) the
    # 15-17 girls (8, small) are protected by the row of all cities, its 18-24 and 25-34 men and
    # its total hidden (totals over cities are the cheapest partners): Calais's row stays shown.
    assert _cells(ages.fillna(-1), "city", "age_band", "sex") == {  # -1: hidden
        ("Calais", "18-24", "M"): 33, ("Calais", "25-34", "M"): 12,
        **{("Pantin", *age_sex.split(" ")): -1 for age_sex in publication.CATEGORIES["age_sex"]}}
    assert ages.attrs["suppression"]["published"] == "donor"
    minors = _run(fixture_con, "consultations_by_city_minor_status", role="donor", cities=["Pantin"])
    assert _cells(minors.fillna(-1), "city", "unaccompanied_minor") == {
        ("Pantin", "yes"): -1, ("Pantin", "no"): -1, ("Pantin", "unknown"): -1}


# --- page ------------------------------------------------------------------------------------

def _page(monkeypatch, db, role, **url):
    return run_page("pages/consultations.py", role, url, db=db, monkeypatch=monkeypatch)


def _all_text(at):
    """Everything the page shows: texts, metrics, tables, charts, filter options."""
    parts = [e.value for e in (*at.title, *at.header, *at.caption, *at.markdown, *at.info, *at.warning)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [c.proto.spec for c in at.get("plotly_chart")]
    parts += [str(w.options) for w in (*at.multiselect, *at.selectbox)]
    return "\n".join(map(str, parts))


def _metrics(at):
    return {m.label: (m.value, m.delta or None) for m in at.metric}


# Each table is known by a column only it has (AppTest does not expose st.dataframe keys).
_TABLE_COLUMNS = {
    "age_sex": "common.field.age_band", "minor_status": "common.field.unaccompanied_minor",
    "diagnosis": "common.field.diagnosis_group", "visit_referral": "common.field.visit",
    "by_coverage": "common.field.health_coverage", "year_on_year": "consultations.field.consultations_year_before",
}


def _table(at, part, lang="fr"):
    def is_it(columns):
        if part == "by_place":  # activity per place, the only other table with an activity column
            return (i18n.t("common.field.activity", lang) in columns
                    and i18n.t(_TABLE_COLUMNS["year_on_year"], lang) not in columns)
        return i18n.t(_TABLE_COLUMNS[part], lang) in columns
    if part in charts.BREAKDOWNS:   # its tab opened as a click would: only the open tab is drawn
        open_tab(at, "consultations_breakdown_tab", i18n.t(f"consultations.tab.{part}", lang))
    return next(table_cells(d) for d in at.dataframe if is_it(set(d.value.columns)))


def _decoded(value):
    # Plotly writes numeric arrays as base64 typed arrays ({"dtype": "f8", "bdata": ...}).
    if isinstance(value, dict) and {"dtype", "bdata"} <= set(value):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def _figure(at, key):
    spec = json.loads(next(c for c in at.get("plotly_chart") if c.key == key).proto.spec)
    return plotly.graph_objects.Figure(_decoded(spec))


def _bars(figure):
    """{trace name: {x: y}} of a figure's bar traces (x as ISO text)."""
    return {trace.name: dict(zip((str(x)[:10] for x in trace.x), trace.y))
            for trace in figure.data if trace.type == "bar"}


def test_manager_sees_january_by_activity_site_and_breakdown(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", **JANUARY_URL)
    metrics = _metrics(at)
    assert metrics[FR("consultations.all_consultations")] == ("53", None)
    assert {a: metrics[FR(f"common.activity.{a}")][0] for a in charts.ACTIVITY_COLOURS} == {
        "medical": "38", "mental_health": "12", "social": "3", "legal": "0"}

    trend = _bars(_figure(at, "consultations_trend"))
    assert {name: list(values.values()) for name, values in trend.items()} == {
        FR("common.activity.medical"): [38], FR("common.activity.mental_health"): [12],
        FR("common.activity.social"): [3]}

    places = _table(at, "by_place")
    assert list(zip(places[FR("common.field.site_name")], places[FR("common.field.activity")],
                    places[FR("common.field.consultations")])) == [
        ("Camps de Calais", "Médical", 30), ("Camps de Calais", "Santé mentale", 12),
        ("Camps de Calais", "Social", 3), ("Hébergement filles Pantin", "Médical", 8)]
    ages = _table(at, "age_sex")
    assert list(zip(ages[FR("common.field.age_band")], ages[FR("common.field.sex")],
                    ages[FR("common.field.consultations")])) == [
        ("15-17 ans", "Féminin", 8), ("18-24 ans", "Masculin", 33), ("25-34 ans", "Masculin", 12)]
    assert _table(at, "minor_status")[FR("common.field.consultations")].tolist() == [8, 45]
    assert _table(at, "diagnosis")[FR("common.field.diagnosis_group")].tolist()[:2] == [
        "Infection respiratoire", "Santé mentale"]
    assert _table(at, "visit_referral")[FR("common.field.consultations")].tolist() == [3, 38, 12]
    assert _table(at, "by_coverage")[FR("common.field.consultations")].tolist() == [41, 12]
    share = _figure(at, "consultations_coverage").data[1].y
    assert share == pytest.approx([41 / 53])


def test_minors_only_and_age_filters(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", minors="1", **JANUARY_URL)
    assert _metrics(at)[FR("consultations.all_consultations")][0] == "8"
    at = _page(monkeypatch, fixture_db, "programme_manager", girls="1", activity="medical", **JANUARY_URL)
    assert _metrics(at)[FR("consultations.all_consultations")][0] == "8"
    at = _page(monkeypatch, fixture_db, "programme_manager", age="18-24,25-34", site="calais_camps", **JANUARY_URL)
    assert _metrics(at)[FR("consultations.all_consultations")][0] == "45"


def test_weekly_bars(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", grain="week", **JANUARY_URL)
    trend = _bars(_figure(at, "consultations_trend"))
    assert trend[FR("common.activity.medical")] == {"2024-01-08": 30, "2024-01-15": 8}


def test_year_on_year_metrics_and_table(monkeypatch, year_on_year_db):
    at = _page(monkeypatch, year_on_year_db, "programme_manager", **JANUARY_URL)
    metrics = _metrics(at)
    assert metrics[FR("consultations.all_consultations")] == ("53", "+71\u00a0%")
    assert metrics[FR("common.activity.medical")] == ("38", "+100\u00a0%")
    assert metrics[FR("common.activity.mental_health")] == ("12", "0\u00a0%")
    assert metrics[FR("common.activity.social")] == ("3", None)
    table = _table(at, "year_on_year")
    assert list(zip(table[FR("common.field.activity")], table[FR("common.field.consultations")],
                    table[FR("consultations.field.consultations_year_before")],
                    table[FR("consultations.field.change")])) == [
        ("Médical", 38, 19, "+100\u00a0%"), ("Santé mentale", 12, 12, "0\u00a0%"), ("Social", 3, 0, "—")]
    assert FR("consultations.compared_periods", period="du 1er au 31 janvier 2024",
              before="du 1er au 31 janvier 2023") in [c.value for c in at.caption]


def test_donor_sees_cities_with_small_counts_hidden(monkeypatch, fixture_db):
    # Mid-month dates and finer filters in the URL: a donor still gets all of January, per city.
    at = _page(monkeypatch, fixture_db, "donor", period="custom", minors="1", age="15-17", site="calais_camps",
               **{"from": "2024-01-10", "to": "2024-01-20"})
    small, protecting = FR("common.suppressed_value", k=11), "[c]"
    places = _table(at, "by_place")
    cells = {(c, a): v for c, a, v in zip(places[FR("common.field.city")], places[FR("common.field.activity")],
                                          places[FR("common.field.consultations")])}
    # "< 11" for a small cell, "[c]" for one hidden to protect it (the published set's marks).
    assert cells[("Calais", "Social")] == small and cells[("Pantin", "Médical")] == small
    assert sum(v in (small, protecting) for (city, _), v in cells.items() if city == "Calais") >= 2
    assert sum(v in (small, protecting) for (_, activity), v in cells.items() if activity == "Médical") >= 2
    assert protecting in cells.values()
    assert FR("common.marks_legend", k=11) in [c.value for c in at.caption]
    # The chart by city marks the same cells as the table.
    [by_city] = [json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if json.loads(c.proto.spec)["layout"]["title"]["text"].replace("<br>", " ") == FR("consultations.by_city_title")]
    medical = next(t for t in by_city["data"] if t["name"] == FR("common.activity.medical"))
    assert sorted(medical["customdata"]) == sorted(v if isinstance(v, str) else f"{v}" for (c, a), v in cells.items()
                                                   if a == "Médical")
    # No count from 1 to 10 anywhere: tables, metrics.
    for frame in (table_cells(d) for d in at.dataframe):
        for column in (FR("common.field.consultations"), FR("consultations.field.consultations_year_before")):
            if column in frame.columns:
                assert all(v in (small, protecting) or int(v) == 0 or int(v) >= 11 for v in frame[column]), column
    # A figure made only of hidden cells says so: never blank, never "—".
    for metric in at.metric:
        assert metric.value in (small, FR("common.hidden_figure"), "0") or int(
            metric.value.removeprefix("≥ ")) >= 11
    # No site name, no site or age filter anywhere on the page.
    text = _all_text(at)
    assert "Camps de Calais" not in text and "Hébergement filles Pantin" not in text
    assert not {"f_site", "f_age", "f_sex", "f_minors", "f_girls"} & {w.key for w in at.sidebar if hasattr(w, "key")}
    assert FR("consultations.city_level_note") in [i.value for i in at.info]
    ages = _table(at, "age_sex")
    assert small in ages[FR("common.field.consultations")].tolist()


def test_advocacy_hides_counts_below_five(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "advocacy", **JANUARY_URL)
    hidden = FR("common.suppressed_value", k=5)
    places = _table(at, "by_place")
    cells = dict(zip(zip(places[FR("common.field.site_name")], places[FR("common.field.activity")]),
                     places[FR("common.field.consultations")]))
    assert cells[("Camps de Calais", "Social")] == hidden
    assert sum(v == hidden for (site, _), v in cells.items() if site == "Camps de Calais") >= 2
    assert all(v == hidden or int(v) >= 5 for v in cells.values())


@pytest.mark.parametrize("role", roles.ROLES)
@pytest.mark.parametrize("url", [
    {"period": "last_4_weeks"}, {"period": "last_3_months"}, {"period": "winter_season"},
    {"period": "year", "year": "2024"}, {"period": "year", "year": "2023"}, JANUARY_URL, {},
])
def test_every_preset_runs_for_every_role(role, url, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role, **url)
    assert at.title[0].value == FR("consultations.title")


@pytest.mark.parametrize("role", roles.ROLES)
def test_an_empty_period_says_so_in_words(role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role, period="custom", **{"from": "2023-06-01", "to": "2023-06-30"})
    assert FR("common.no_data") in [i.value for i in at.info]
    assert not at.get("plotly_chart") and not at.dataframe


def test_invalid_url_parameters_fall_back_with_a_notice(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", period="'; DROP TABLE sites; --", grain="hour",
               activity="medical,surgery", city="Atlantis", minors="yes", age="99+")
    notices = [w.value for w in at.warning]
    for name in ("period", "grain", "activity", "city", "minors", "age"):
        assert FR("common.invalid_parameter", name=name) in notices
    assert at.get("plotly_chart")


def test_english(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", lang="en", **JANUARY_URL)
    assert at.title[0].value == EN("consultations.title")
    assert _metrics(at)[EN("common.activity.mental_health")][0] == "12"
    assert _table(at, "age_sex", "en")[EN("common.field.sex")].tolist() == ["Female", "Male", "Male"]


def test_the_2023_law_is_marked_on_the_coverage_chart_from_the_events_table(monkeypatch, fixture_db):
    winter = {"from": "2023-11-01", "to": "2024-02-29"}
    at = _page(monkeypatch, fixture_db, "programme_manager", period="custom", **winter)
    figure = _figure(at, "consultations_coverage")
    law = [a for a in figure.layout.annotations if a.name == "event:law-2023"]
    assert [a.text for a in law] == ["Loi immigration adoptée"]
    assert [s.x0 for s in figure.layout.shapes if s.name == "event:law-2023"] == ["2023-12-19T00:00:00"]
    assert figure.data[1].y == pytest.approx([1.0, 41 / 53, 0.0])
    february = {"from": "2024-02-01", "to": "2024-02-29"}
    at = _page(monkeypatch, fixture_db, "programme_manager", period="custom", **february)
    assert not [a for a in _figure(at, "consultations_coverage").layout.annotations if a.name == "event:law-2023"]


def test_adding_up_cities_keeps_the_door_s_marks_true():
    """A donor's trend adds cities up (charts.consultations.combined): a sum that leaves a
    hidden city out reads "≥ N", hidden cities alone "[c]" unless they are one small cell and
    zeros ("< 11"), and the new rows carry their own flags, not the old rows' by position."""
    frame = pd.DataFrame({
        "period": ["2024-01"] * 2 + ["2024-02"] * 2 + ["2024-03"] * 2 + ["2024-04"] * 2,
        "city": ["Calais", "Pantin"] * 4,
        "activity": ["medical"] * 8,
        "consultations": pd.array([20, None, None, None, None, 0, 15, 12], dtype="Int64"),
    })
    frame.attrs["suppression"] = {"k": 11, "counts": ["consultations"],
                                  "hidden_marks": {"consultations": [None, "protect", "small", "protect", "small",
                                                                     None, None, None]},
                                  "partial_rows": {"consultations": [False] * 7 + [True]}}
    out = charts.combined(frame, ["period", "activity"], "consultations")
    assert out["consultations"].tolist()[0] == 20 and pd.isna(out["consultations"][1]) and pd.isna(out["consultations"][2])
    assert out["consultations"].tolist()[3] == 27
    assert indicators.partial_flags(out, "consultations") == [True, False, False, True]
    assert indicators.hidden_marks(out, "consultations") == [None, "protect", "small", None]


@pytest.mark.parametrize("marks, expected", [
    (["small"], "< 11"),          # one small cell: "< 11" is true of the headline
    (["protect"], "masqué"),      # one cell hidden to protect another may be 11 or more
    (["small", "protect"], "masqué"),
])
def test_a_headline_made_of_hidden_cells_says_less_than_11_only_when_it_is_one_small_cell(marks, expected):
    frame = pd.DataFrame({"period": ["2024-01"] * len(marks), "city": ["A", "B"][:len(marks)],
                          "activity": ["medical"] * len(marks),
                          "consultations": pd.array([None] * len(marks), dtype="Int64")})
    frame.attrs["suppression"] = {"k": 11, "counts": ["consultations"], "hidden_marks": {"consultations": marks},
                                  "partial_rows": {"consultations": [False] * len(marks)}}
    assert charts.headline(frame, frame.iloc[0:0]).text("fr", 11) == expected

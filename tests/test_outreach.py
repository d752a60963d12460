"""The outreach and vaccination page: queries, chart helpers and the page (AppTest), with
figures computed by hand from tests/fixture_data.py:

- outreach: on 10 January 2024 the La Chapelle mobile team (Paris) reached 25 people in the
  street and 12 in a squat: 37 people, all in the week of Monday 8 January;
- vaccination: the MMR campaign "mmr-2024-pantin" (15–31 January 2024, ages 15–17, target
  population 20 to 40) gave 14 doses on 20 January 2024 at the Pantin girls' shelter, so
  its coverage is 14 / 40 = 35 % to 14 / 20 = 70 %. A campaign gives one dose per person:
  its doses in its target age bands are the people of the target ages it vaccinated.
"""

import base64
import datetime as dt
import json
import re

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects
import pytest

from terrain import i18n, queries, roles
from terrain.charts import outreach as charts
from tests import fixture_data
from tests.apptest import run_page

JANUARY = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31), "cities": []}
JANUARY_URL = {"period": "custom", "from": "2024-01-01", "to": "2024-01-31"}
FR = lambda key, **values: i18n.t(key, "fr", **values)  # noqa: E731
EN = lambda key, **values: i18n.t(key, "en", **values)  # noqa: E731
NBSP = "\u00a0"


# --- queries and helpers -----------------------------------------------------------------------

def test_people_reached_by_week_and_place_type(fixture_con):
    frame = queries.run(fixture_con, "outreach_by_period_place_type", {**JANUARY, "sites": [], "grain": "week"},
                        role="programme_manager")
    assert list(zip(frame["period"].astype(str), frame["place_type"], frame["people_reached"])) == [
        ("2024-01-08", "street", 25), ("2024-01-08", "squat", 12)]


def test_people_reached_by_team(fixture_con):
    frame = queries.run(fixture_con, "outreach_by_team_place_type", {**JANUARY, "sites": ["paris_la_chapelle_mobile"]},
                        role="advocacy")
    assert list(zip(frame["team_name"], frame["place_type"], frame["days_out"], frame["people_reached"])) == [
        ("Équipe mobile La Chapelle", "street", 1, 25), ("Équipe mobile La Chapelle", "squat", 1, 12)]
    other_city = queries.run(fixture_con, "outreach_by_team_place_type", {**JANUARY, "cities": ["Calais"], "sites": []},
                             role="programme_manager")
    assert other_city.empty


def test_campaign_coverage_is_a_range(fixture_con):
    frame = queries.run(fixture_con, "vaccinations_by_campaign", JANUARY, role="programme_manager")
    campaign = frame.set_index("campaign_id").loc["mmr-2024-pantin"]
    assert (campaign.doses_in_target, campaign.doses_outside_target, campaign.doses_unknown_age) == (14, 0, 0)
    assert (list(campaign.target_age_bands), campaign.population_low, campaign.population_high) == (["15-17"], 20, 40)
    assert (campaign.coverage_low, campaign.coverage_high) == pytest.approx((0.35, 0.70))
    assert charts.coverage_range(campaign.coverage_low, campaign.coverage_high, "fr") == f"35{NBSP}%–70{NBSP}%"
    assert charts.coverage_range(campaign.coverage_low, campaign.coverage_high, "en") == "35%–70%"


# --- coverage counts the people of the target ages, and never reads above 100 % ------------------

D = dt.date
MMR = ("mmr-2024-pantin", "mmr", D(2024, 1, 15), D(2024, 1, 31), "15-17", ["15-17"], 20, 40)
# The fixture's 14 doses at 15-17, and on 22 January 3 at 18-24 (outside the campaign's
# target) and 2 of unknown age.
MORE_DOSES = [*fixture_data.VACCINATIONS,
              (D(2024, 1, 22), "pantin_girls_shelter", "mmr-2024-pantin", "mmr", "18-24", 3),
              (D(2024, 1, 22), "pantin_girls_shelter", "mmr-2024-pantin", "mmr", "unknown", 2)]


def _campaigns_db(tmp_path, campaigns, vaccinations=fixture_data.VACCINATIONS):
    return fixture_data.build(tmp_path / "campaigns.duckdb", campaigns=campaigns, vaccinations=vaccinations)


def test_doses_outside_the_target_ages_are_not_counted(tmp_path):
    con = duckdb.connect(str(_campaigns_db(tmp_path, [MMR], MORE_DOSES)), read_only=True)
    try:
        frame = queries.run(con, "vaccinations_by_campaign", JANUARY, role="programme_manager")
    finally:
        con.close()
    campaign = frame.iloc[0]
    assert (campaign.doses_in_target, campaign.doses_outside_target, campaign.doses_unknown_age) == (14, 3, 2)
    # 14 / 40 to 14 / 20, as without the 5 other doses (19 / 20 = 95 % if they counted).
    assert (campaign.coverage_low, campaign.coverage_high) == pytest.approx((0.35, 0.70))


@pytest.mark.parametrize("population,shown,note", [
    # 14 people vaccinated in the target ages; a low estimate of 10 would make 140 %.
    ((10, 40), f"35{NBSP}%–100{NBSP}%", "Plafonnée à 100\u00a0%\u00a0: l'estimation basse de la population cible "
                                         "(10) est inférieure aux personnes vaccinées dans les âges ciblés (14)."),
    # both estimates below the 14: 140 % to 280 %
    ((5, 10), f"100{NBSP}%", "100\u00a0%\u00a0: les deux estimations de la population cible (5 et 10) sont "
                             "inférieures aux personnes vaccinées dans les âges ciblés (14)."),
    ((20, 40), f"35{NBSP}%–70{NBSP}%", ""),
])
def test_a_range_above_100_percent_is_capped_with_its_reason(population, shown, note, tmp_path, monkeypatch):
    db = _campaigns_db(tmp_path, [(*MMR[:6], *population)])
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = queries.run(con, "vaccinations_by_campaign", JANUARY, role="programme_manager")
    finally:
        con.close()
    assert frame["coverage_high"].iloc[0] == pytest.approx(14 / population[0])   # the query's ratio, as it is
    table = charts.campaigns_table(frame, "fr")
    assert table["coverage_range"].tolist() == [shown] and table["coverage_note"].tolist() == [note]
    assert table["coverage_high"].max() <= 1.0 and table["coverage_low"].max() <= 1.0
    at = _page(monkeypatch, db, "programme_manager", **JANUARY_URL)
    campaigns = _table(at, FR("outreach.field.coverage_range"))
    assert campaigns[FR("outreach.field.coverage_range")].tolist() == [shown]
    assert campaigns[FR("common.field.coverage_note")].tolist() == [note]
    figure = _figure(at, "outreach_coverage")
    bar = figure.data[0]
    assert bar.base[0] + bar.x[0] <= 1.0 + 1e-9                       # never drawn past 100 %
    [label] = [a.text for a in figure.layout.annotations]             # above the bar: the campaign and its range
    assert f"mmr-2024-pantin<br><b>{shown}</b>" in label
    assert (f"({FR('outreach.capped_label')})" in label) is bool(note)
    assert (note in bar.customdata[0]) and "%" in bar.customdata[0]
    shown_percents = [int(n) for n in re.findall(r"(\d+)\u00a0%", " ".join(campaigns.astype(str).stack()))]
    assert shown_percents and max(shown_percents) == (100 if note else 70)   # 140 % and 280 % never shown


def test_the_sphere_line_is_drawn_for_measles_and_mmr_only():
    frame = pd.DataFrame({
        "campaign_id": ["measles-a", "dtp-b", "mmr-c", "influenza-d"],
        "antigen": ["measles", "dtp", "mmr", "influenza"],
        "coverage_low": [0.5, 0.4, 0.3, 0.2], "coverage_high": [0.8, 0.7, 0.6, 0.5],
        "doses_in_target": [50, 40, 30, 20], "population_low": [60, 60, 50, 40], "population_high": [100] * 4})
    figure = charts.coverage_ranges(frame, lang="fr")
    [sphere] = [t for t in figure.data if t.type == "scatter"]
    assert list(sphere.y) == ["Rougeole — measles-a", "ROR (rougeole, oreillons, rubéole) — mmr-c"]
    assert list(sphere.x) == [0.9, 0.9] and sphere.name == FR("outreach.sphere_annotation")
    assert not figure.layout.shapes                                  # no line across every campaign
    without = charts.coverage_ranges(frame[frame["antigen"].isin(["dtp", "influenza"])], lang="fr")
    assert [t.type for t in without.data] == ["bar"]
    assert charts.has_sphere_antigen(frame) and not charts.has_sphere_antigen(frame.iloc[[1, 3]])


def test_no_sphere_note_above_a_chart_without_measles(tmp_path, monkeypatch):
    dtp = ("dtp-2024-pantin", "dtp", D(2024, 1, 15), D(2024, 1, 31), "15-17", ["15-17"], 20, 40)
    doses = [(D(2024, 1, 20), "pantin_girls_shelter", "dtp-2024-pantin", "dtp", "15-17", 14)]
    at = _page(monkeypatch, _campaigns_db(tmp_path, [dtp], doses), "programme_manager", **JANUARY_URL)
    assert FR("outreach.sphere_note") not in [i.value for i in at.info]
    assert [t.type for t in _figure(at, "outreach_coverage").data] == ["bar"]
    assert FR("outreach.sphere_annotation") not in json.dumps(at.get("plotly_chart")[-1].proto.spec)


@pytest.mark.parametrize("period,cities,shown", [
    ((dt.date(2024, 1, 30), dt.date(2024, 2, 15)), [], True),        # overlaps the campaign's last days
    ((dt.date(2024, 2, 1), dt.date(2024, 2, 29)), [], False),        # after it
    ((dt.date(2024, 1, 1), dt.date(2024, 1, 31)), ["Pantin"], True),
    ((dt.date(2024, 1, 1), dt.date(2024, 1, 31)), ["Calais"], False),  # no dose given in Calais
])
def test_campaigns_running_in_the_period_and_cities(period, cities, shown, fixture_con):
    frame = queries.run(fixture_con, "vaccinations_by_campaign",
                        {"start": period[0], "end": period[1], "cities": cities}, role="advocacy")
    assert (frame["campaign_id"].tolist() == ["mmr-2024-pantin"]) is shown
    if shown:  # every dose of the campaign counts, whatever part of it the period covers
        assert frame["doses_in_target"].tolist() == [14]


def test_doses_by_month_city_and_antigen(fixture_con):
    frame = queries.run(fixture_con, "vaccinations_by_period_antigen", {**JANUARY, "grain": "month"},
                        role="advocacy")
    assert list(zip(frame["period"].astype(str), frame["city"], frame["antigen"], frame["doses"])) == [
        ("2024-01-01", "Pantin", "mmr", 14)]


@pytest.mark.parametrize("values,text", [
    ([25, 12], "37"), ([25, None], "≥ 25"), ([None], "< 5"), ([None, None], "masqué"), ([], "0"),
])
def test_published_totals(values, text):
    assert charts.total_text(pd.Series(values, dtype="Float64"), "fr", 5) == text


def test_donors_may_run_none_of_the_page_queries(fixture_con):
    for name in ("outreach_by_period_place_type", "outreach_by_team_place_type", "outreach_teams",
                 "vaccinations_by_campaign"):
        query = queries.load(name)
        params = {p: {**JANUARY, "sites": [], "grain": "month"}[p] for p in query.params}
        with pytest.raises(queries.AccessDenied):
            queries.run(fixture_con, name, params, role="donor")


# --- page --------------------------------------------------------------------------------------

def _page(monkeypatch, db, role, **url):
    return run_page("pages/outreach.py", role, url, db=db, monkeypatch=monkeypatch)


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


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def _table(at, header):
    return next(d.value for d in at.dataframe if header in d.value.columns)


@pytest.mark.parametrize("role", ["programme_manager", "advocacy"])
def test_january_outreach_and_vaccination(role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role, **JANUARY_URL)
    metrics = _metrics(at)
    assert metrics[FR("outreach.people_reached")] == "37"
    assert [metrics[FR(f"common.place_type.{p}")] for p in ("street", "squat", "camp")] == ["25", "12", "0"]
    assert metrics[FR("outreach.doses")] == "14"

    bars = {trace.name: list(trace.y) for trace in _figure(at, "outreach_reached").data}
    assert bars == {FR("common.place_type.street"): [25], FR("common.place_type.squat"): [12]}
    teams = _table(at, FR("outreach.field.days_out"))
    assert teams[FR("common.field.people_reached")].astype(int).tolist() == [25, 12]

    campaigns = _table(at, FR("outreach.field.coverage_range"))
    assert campaigns[FR("common.field.campaign_id")].tolist() == ["mmr-2024-pantin"]
    assert campaigns[FR("common.field.doses_in_target")].astype(int).tolist() == [14]
    assert campaigns[FR("common.field.target_age_bands")].tolist() == ["15-17 ans"]
    assert campaigns[FR("outreach.field.coverage_range")].tolist() == [f"35{NBSP}%–70{NBSP}%"]
    assert campaigns[FR("common.field.coverage_note")].tolist() == [""]
    coverage = _figure(at, "outreach_coverage").data[0]
    assert (list(coverage.base), list(coverage.x)) == (pytest.approx([0.35]), pytest.approx([0.35]))
    # MMR holds the measles vaccine: Sphere's 90 % is marked on it, and its note shown.
    [sphere] = [t for t in _figure(at, "outreach_coverage").data if t.name == FR("outreach.sphere_annotation")]
    assert list(sphere.x) == [0.9] and list(sphere.y) == [list(coverage.y)[0]]
    assert FR("outreach.sphere_note") in [i.value for i in at.info]


def test_weekly_grain(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", grain="week", **JANUARY_URL)
    street = next(t for t in _figure(at, "outreach_reached").data if t.name == FR("common.place_type.street"))
    assert ([str(x)[:10] for x in street.x], list(street.y)) == (["2024-01-08"], [25])


def test_team_filter(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", site="paris_la_chapelle_mobile", **JANUARY_URL)
    assert _metrics(at)[FR("outreach.people_reached")] == "37"
    at = _page(monkeypatch, fixture_db, "programme_manager", city="Marseille", **JANUARY_URL)
    assert FR("outreach.people_reached") not in _metrics(at)
    assert FR("common.no_data") in [i.value for i in at.info]


def test_donors_are_refused(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "donor", **JANUARY_URL)
    assert FR("common.access_refused") in [e.value for e in at.error]
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")
    assert not at.title or at.title[0].value != FR("outreach.title")


@pytest.mark.parametrize("role", ["programme_manager", "advocacy"])
@pytest.mark.parametrize("url", [
    {"period": "last_4_weeks"}, {"period": "last_3_months"}, {"period": "winter_season"},
    {"period": "year", "year": "2024"}, JANUARY_URL, {},
])
def test_every_preset_runs(role, url, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role, **url)
    assert at.title[0].value == FR("outreach.title")


@pytest.mark.parametrize("role", ["programme_manager", "advocacy"])
def test_an_empty_period_says_so_in_words(role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role, period="custom", **{"from": "2023-06-01", "to": "2023-06-30"})
    assert [i.value for i in at.info].count(FR("common.no_data")) == 3  # outreach, doses, campaigns
    assert not at.get("plotly_chart") and not at.dataframe


def test_invalid_url_parameters_fall_back_with_a_notice(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "advocacy", period="custom", grain="fortnight", site="'; DROP TABLE sites; --",
               **{"from": "2024-13-01", "to": "yesterday"})
    notices = [w.value for w in at.warning]
    for name in ("period", "grain", "site"):
        assert FR("common.invalid_parameter", name=name) in notices
    assert at.title[0].value == FR("outreach.title")


def test_english(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", lang="en", **JANUARY_URL)
    assert at.title[0].value == EN("outreach.title")
    assert _metrics(at)[EN("outreach.people_reached")] == "37"
    coverage = EN("outreach.field.coverage_range")
    assert _table(at, coverage)[coverage].tolist() == ["35%–70%"]


def test_roles_table_keeps_donors_off_this_page():
    assert [r for r in roles.ROLES if roles.can_view_page(r, "outreach")] == ["programme_manager", "advocacy"]

"""The outreach and vaccination page: queries, chart helpers and the page (AppTest), with
figures computed by hand from tests/fixture_data.py:

- outreach: on 10 January 2024 the La Chapelle mobile team (Paris) reached 25 people in the
  street and 12 in a squat: 37 people, all in the week of Monday 8 January;
- vaccination: the MMR campaign "mmr-2024-pantin" (15–31 January 2024, ages 15–17, target
  population 20 to 40) gave 14 doses on 20 January 2024 at the Pantin girls' shelter, so
  its coverage is 14 / 40 = 35 % to 14 / 20 = 70 %.
"""

import base64
import datetime as dt
import json

import numpy as np
import pandas as pd
import plotly.graph_objects
import pytest
from streamlit.testing.v1 import AppTest

from terrain import ROOT, i18n, queries, roles
from terrain.charts import outreach as charts

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
    assert (campaign.doses, campaign.population_low, campaign.population_high) == (14, 20, 40)
    assert (campaign.coverage_low, campaign.coverage_high) == pytest.approx((0.35, 0.70))
    assert charts.coverage_range(campaign.coverage_low, campaign.coverage_high, "fr") == f"35{NBSP}%–70{NBSP}%"
    assert charts.coverage_range(campaign.coverage_low, campaign.coverage_high, "en") == "35%–70%"


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
        assert frame["doses"].tolist() == [14]


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
    monkeypatch.setenv("TERRAIN_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages" / "outreach.py"), default_timeout=60)
    at.session_state["terrain_user"] = {"name": "tester", "role": role, "via": "local"}
    for key, value in url.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


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
    assert campaigns[FR("common.field.doses")].astype(int).tolist() == [14]
    assert campaigns[FR("outreach.field.coverage_range")].tolist() == [f"35{NBSP}%–70{NBSP}%"]
    coverage = _figure(at, "outreach_coverage").data[0]
    assert (list(coverage.base), list(coverage.x)) == (pytest.approx([0.35]), pytest.approx([0.35]))
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

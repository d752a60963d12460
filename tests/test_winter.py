"""Winter-emergency page: its seasons, its queries on the fixture database, and the page for
each role.

Figures computed by hand from tests/fixture_data.py, season 2023–24 (1 November 2023 –
31 March 2024, which is also the data's as-of date): 152 nights (February 2024 has 29).
- Calais: nine cold nights, 8–16 January at -3 °C; vigilance orange on 10–12 January, yellow
  on the six other cold nights, green on the 143 others.
- Winter plan of département 62 (Calais): seasonal watch 1 November – 31 March, grand froid
  9–15 January: 7 nights at grand froid, 152 - 7 = 145 at the seasonal watch.
- Calais emergency shelter open 8–21 January: 14 nights, all cold nights covered (no gap);
  full (50/50) on the nine cold nights, turning away 5 + 8 × 4 = 37 people on them.
- Consultations, November – March: Calais 20 + 30 + 12 + 3 = 65, of which 50 medical (the
  12 mental health and 3 social ones are not) and 50 respiratory (cold-related); Pantin 8
  medical; Marseille 15 medical; in all 88, of which 73 medical and 50 cold-related. The
  cold-related share is of the medical consultations: Calais 50 / 50, all cities 50 / 73
  (not 50 / 65 and 50 / 88).
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from terrain import i18n, queries
from terrain.charts import winter as charts
from tests import fixture_data
from tests.apptest import run_page, table_texts

D = dt.date
SEASON = {"cities": [], "until": None}
SEASON_2023 = {"start": D(2023, 11, 1), "end": D(2024, 3, 31)}
CALAIS_2023 = {
    "nights": 152, "cold_nights": 9, "coldest_c": -3.0,
    "vigilance_green_nights": 143, "vigilance_yellow_nights": 6, "vigilance_orange_nights": 3,
    "vigilance_red_nights": 0,
    "plan_veille_saisonniere_nights": 145, "plan_grand_froid_nights": 7,
    "plan_tres_grand_froid_nights": 0, "plan_froid_extreme_nights": 0,
    "has_emergency_shelter": True, "emergency_shelter_open_nights": 14,
    "cold_nights_without_emergency_shelter": 0, "turned_away_on_cold_nights": 37,
    "consultations": 65, "medical_consultations": 50, "cold_related_consultations": 50,
}


# --- seasons ---------------------------------------------------------------------------------

@pytest.mark.parametrize("season,label", [(2023, "2023–24"), (1999, "1999–00"), (2009, "2009–10")])
def test_season_label(season, label):
    assert charts.season_label(season) == label


@pytest.mark.parametrize("first_day,as_of,seasons", [
    (D(2016, 6, 1), D(2024, 3, 31), list(range(2023, 2015, -1))),   # June 2016: first season 2016–17
    (D(2016, 1, 1), D(2024, 3, 31), list(range(2023, 2014, -1))),   # January 2016 is in 2015–16
    (D(2024, 1, 10), D(2024, 11, 1), [2024, 2023]),                  # 1 November opens a season
    (D(2024, 5, 1), D(2024, 6, 1), [2023]),                          # summer data only: the last season
])
def test_seasons_between(first_day, as_of, seasons):
    assert charts.seasons_between(first_day, as_of) == seasons


@pytest.mark.parametrize("raw,expected", [
    (None, (2023, True)), ("", (2023, True)), ("2023", (2023, True)), ("2016", (2016, True)),
    ("2015", (2023, False)), ("2024", (2023, False)), ("abc", (2023, False)), ("-2023", (2023, False)),
    ("2023'; DROP TABLE sites; --", (2023, False)), ("２０２３", (2023, False)), ("2023.0", (2023, False)),
])
def test_parse_season_falls_back_to_the_newest_and_says_so(raw, expected):
    assert charts.parse_season(raw, list(range(2023, 2015, -1))) == expected


def test_a_season_in_progress_ends_on_the_as_of_date():
    assert charts.season_period(2023, D(2024, 1, 15)) == (D(2023, 11, 1), D(2024, 1, 15))
    assert charts.season_period(2022, D(2024, 1, 15)) == (D(2022, 11, 1), D(2023, 3, 31))


# --- queries on the fixture --------------------------------------------------------------------

def _row(frame, **where):
    for column, value in where.items():
        frame = frame[frame[column] == value]
    assert len(frame) == 1, f"expected one row for {where}, got {len(frame)}"
    return frame.iloc[0]


SINCE_2022 = {"start": D(2022, 11, 1), "end": D(2024, 3, 31)}


def _season_people(con, role, cities=()) -> pd.DataFrame:
    """The season and city rows the page shows: the nights, and the people added up from
    their months."""
    nights = queries.run(con, "winter_nights_by_season_city", {"cities": list(cities), "until": None}, role=role)
    months = queries.run(con, "winter_people_by_city_month", {**SINCE_2022, "cities": list(cities)}, role=role)
    return charts.season_people(nights, months)


def test_season_figures_of_calais(fixture_con):
    frame = _season_people(fixture_con, "programme_manager")
    assert sorted(frame["season"].unique()) == [2023]
    calais = _row(frame, season=2023, city="Calais")
    assert {k: calais[k] for k in CALAIS_2023} == CALAIS_2023
    assert calais["cold_related_share"] == pytest.approx(50 / 50)    # of the medical ones, not 50 / 65
    pantin = _row(frame, season=2023, city="Pantin")
    assert (pantin["cold_nights"], pantin["has_emergency_shelter"], pantin["consultations"]) == (0, False, 8)
    assert _row(frame, season=2023, city="Marseille")["consultations"] == 15


def test_the_cold_related_share_is_of_medical_consultations_month_by_month(fixture_con):
    # Calais, January 2024: 45 consultations, of which 30 medical (respiratory), 12 mental
    # health and 3 social: 30 cold-related of 30 medical, not of 45.
    months = queries.run(fixture_con, "winter_people_by_city_month", {**SEASON_2023, "cities": ["Calais"]},
                         role="programme_manager")
    january = _row(months, period=pd.Timestamp(2024, 1, 1))
    assert (january["consultations"], january["medical_consultations"], january["cold_related_consultations"]) == (
        45, 30, 30)
    assert january["cold_related_share"] == pytest.approx(1.0)
    assert queries.load("winter_people_by_city_month").rates[0].denominator == "medical_consultations"


def test_season_nights_of_all_cities_count_each_night_once(fixture_con):
    frame = queries.run(fixture_con, "winter_nights_by_season", SEASON, role="donor")
    season = _row(frame, season=2023)
    assert {k: season[k] for k in CALAIS_2023 if k in frame.columns} == {
        k: v for k, v in CALAIS_2023.items() if k in frame.columns}
    paris = _row(queries.run(fixture_con, "winter_nights_by_season", {"cities": ["Paris"], "until": None}, role="donor"),
                 season=2023)
    assert (paris["cold_nights"], paris["vigilance_green_nights"]) == (0, 152)
    assert paris["plan_veille_saisonniere_nights"] == 0
    assert not paris["has_emergency_shelter"]


def test_nights_of_a_city_and_month(fixture_con):
    frame = queries.run(fixture_con, "winter_nights_by_city_month", {**SEASON_2023, "cities": []}, role="donor")
    january = _row(frame, city="Calais", period=pd.Timestamp(2024, 1, 1))
    assert (january["cold_nights"], january["coldest_c"], january["vigilance_orange_red_nights"]) == (9, -3.0, 3)
    assert (january["plan_above_watch_nights"], january["emergency_shelter_open_nights"],
            january["cold_nights_without_emergency_shelter"]) == (7, 14, 0)
    assert _row(frame, city="Calais", period=pd.Timestamp(2024, 2, 1))["cold_nights"] == 0
    assert len(frame) == 4 * 5  # four cities with weather, five months


def test_each_night_of_a_city(fixture_con):
    frame = queries.run(fixture_con, "winter_nights_by_city_day", {**SEASON_2023, "cities": ["Calais"]},
                        role="programme_manager")
    assert len(frame) == 152 and set(frame["city"]) == {"Calais"}
    ninth = _row(frame, night=pd.Timestamp(2024, 1, 9))
    assert (ninth["tmin_c"], ninth["vigilance"], ninth["plan_level"]) == (-3.0, "yellow", "grand_froid")
    assert (ninth["emergency_shelter_open"], ninth["shelters_full"], ninth["sheltered"], ninth["turned_away"]) == (
        True, 1, 50, 4)
    closed = _row(frame, night=pd.Timestamp(2024, 1, 22))
    assert not closed["emergency_shelter_open"] and closed["emergency_shelter_this_season"]
    assert not closed["has_shelter_data"] and pd.isna(closed["beds_available"])  # unknown, not nobody
    assert _row(frame, night=pd.Timestamp(2024, 1, 16))["plan_level"] == "veille_saisonniere"


def test_advocacy_night_counts_cannot_be_worked_out_from_the_season_total(fixture_con):
    frame = queries.run(fixture_con, "winter_nights_by_city_day", {**SEASON_2023, "cities": ["Calais"]},
                        role="advocacy")
    cold = frame[frame["cold_night"]]
    assert len(cold) == 9
    # 5 + 8 × 4 = 37 is published per city and season: hiding only the 4s (below 5) would let
    # 37 - 5 = 32 give each of them back, so the 5 is hidden with them.
    assert cold["turned_away"].isna().all()
    assert _row(frame, night=pd.Timestamp(2024, 1, 9))["sheltered"] == 50


def test_donors_get_no_nightly_rows(fixture_con):
    with pytest.raises(queries.AccessDenied):
        queries.run(fixture_con, "winter_nights_by_city_day", {**SEASON_2023, "cities": []}, role="donor")


def test_donor_season_counts_below_11_are_hidden(fixture_con):
    frame = _season_people(fixture_con, "donor")
    assert frame.attrs["provenance"]["threshold"] == 11
    assert _row(frame, city="Calais")["turned_away_on_cold_nights"] == 37
    assert pd.isna(_row(frame, city="Pantin")["consultations"])          # 8, all in January
    for column in ("turned_away_on_cold_nights", "consultations", "cold_related_consultations"):
        shown = pd.to_numeric(frame[column], errors="coerce").dropna()
        assert not ((shown >= 1) & (shown <= 10)).any(), column
    # A share is hidden with its hidden counts: 0 of 8 would give Pantin's 8 away.
    assert pd.isna(_row(frame, city="Pantin")["cold_related_share"])


def test_a_donors_season_is_the_sum_of_its_visible_months(fixture_con):
    # Calais, 2023–24: 20 consultations in December, 45 in January. In January Pantin's 8 is
    # hidden, protected by the total over cities (hidden instead of Calais's 45, as on the
    # Overview's trend): the season shows 65, leaving nothing out; Pantin's, all in January,
    # is hidden (a season made of hidden months only is not a false 0).
    months = queries.run(fixture_con, "winter_people_by_city_month", {**SEASON_2023, "cities": []}, role="donor")
    calais = months[months["city"] == "Calais"]
    assert _row(calais, period=pd.Timestamp(2023, 12, 1))["consultations"] == 20
    assert _row(calais, period=pd.Timestamp(2024, 1, 1))["consultations"] == 45
    assert pd.isna(_row(months[months["city"] == "Pantin"], period=pd.Timestamp(2024, 1, 1))["consultations"])
    season = _row(_season_people(fixture_con, "donor"), season=2023, city="Calais")
    assert (season["consultations"], season["consultations_partial"]) == (65, False)
    assert pd.isna(_row(_season_people(fixture_con, "donor"), season=2023, city="Pantin")["consultations"])
    # A city's month is hidden here exactly where the Overview's trend hides it.
    trend = queries.run(fixture_con, "consultations_by_period_city", {**SEASON_2023, "grain": "month", "cities": []},
                        role="donor")
    both = months.merge(trend, on=["period", "city"], suffixes=("", "_trend"))
    assert len(both) == len(trend) > 0
    assert (both["consultations"].isna() == both["consultations_trend"].isna()).all()
    # What a donor sees of a season can never be set against its months to give one back:
    # every visible season figure is the sum of the months the donor sees.
    people = _season_people(fixture_con, "donor")
    for column in charts.PEOPLE_COUNTS:
        shown = months.groupby(["season", "city"])[column].sum(min_count=1)
        for _, row in people.dropna(subset=[column]).iterrows():
            if (row["season"], row["city"]) in shown.index:
                assert row[column] == shown[(row["season"], row["city"])], (column, row["city"])


def test_a_season_with_a_hidden_month_is_partial_and_a_false_zero_is_hidden():
    nights = pd.DataFrame({"season": [2023] * 4, "city": ["A", "B", "C", "D"], "nights": [152] * 4})
    months = pd.DataFrame({
        "season": [2023] * 7, "city": ["A", "A", "B", "B", "C", "D", "D"],
        "turned_away_on_cold_nights": pd.array([12, pd.NA, 0, pd.NA, 0, 0, 0], dtype="Int64"),
        "consultations": pd.array([40, 30, 11, 20, pd.NA, 30, 10], dtype="Int64"),
        "medical_consultations": pd.array([35, 25, 10, 20, pd.NA, 30, pd.NA], dtype="Int64"),
        "cold_related_consultations": pd.array([20, 15, 0, 0, 0, 10, 5], dtype="Int64"),
    })
    people = charts.season_people(nights, months).set_index("city")
    assert (people.loc["A", "turned_away_on_cold_nights"], people.loc["A", "turned_away_on_cold_nights_partial"]) == (
        12, True)
    assert pd.isna(people.loc["B", "turned_away_on_cold_nights"])   # 0 beside a hidden month is not 0
    assert people.loc["A", "cold_related_share"] == pytest.approx(35 / 60)     # of the 60 medical ones
    assert pd.isna(people.loc["C", "consultations"]) and pd.isna(people.loc["C", "cold_related_share"])
    # D's medical consultations leave a hidden month out: 15 of "≥ 30" would be no share at all
    assert (people.loc["D", "medical_consultations"], people.loc["D", "medical_consultations_partial"]) == (30, True)
    assert people.loc["D", "cold_related_consultations"] == 15 and pd.isna(people.loc["D", "cold_related_share"])
    assert charts.people_total(people, "turned_away_on_cold_nights") == charts.People(12, partial=True)
    assert charts.cold_related_share(people.reset_index()) == pytest.approx((35 + 0) / (60 + 30))


def test_a_hidden_season_says_less_than_11_only_when_it_is_one_small_month():
    """With the published set's marks: one small month and zeros reads "< 11"; two hidden
    months may hold 11 or more and read "masqué"; a season leaving a hidden month out "≥ N"."""
    nights = pd.DataFrame({"season": [2023] * 3, "city": ["A", "B", "C"], "nights": [152] * 3})
    months = pd.DataFrame({
        "season": [2023] * 6, "city": ["A", "A", "B", "B", "C", "C"],
        "turned_away_on_cold_nights": pd.array([pd.NA, 0, pd.NA, pd.NA, 20, pd.NA], dtype="Int64"),
        "consultations": pd.array([40] * 6, dtype="Int64"),
        "medical_consultations": pd.array([30] * 6, dtype="Int64"),
        "cold_related_consultations": pd.array([0] * 6, dtype="Int64"),
    })
    months.attrs["suppression"] = {"k": 11, "counts": list(charts.PEOPLE_COUNTS), "hidden_marks": {
        "turned_away_on_cold_nights": ["small", None, "small", "protect", None, "protect"],
        "consultations": [None] * 6, "medical_consultations": [None] * 6, "cold_related_consultations": [None] * 6}}
    people = charts.season_people(nights, months)
    texts = {city: charts.people_total(people[people["city"] == city], "turned_away_on_cold_nights").text("fr", "< 11")
             for city in "ABC"}
    assert texts == {"A": "< 11", "B": "masqué", "C": "≥ 20"}
    # the season rows carry their own marks for the tables and downloads
    assert people.attrs["suppression"]["hidden_marks"]["turned_away_on_cold_nights"] == ["small", "protect", None]
    assert people.attrs["suppression"]["partial_rows"]["turned_away_on_cold_nights"] == [False, False, True]


@pytest.fixture
def changed_db(tmp_path):
    """The fixture with a winter gap, a cold night where there is no emergency shelter, a
    city-level plan declaration and one cold night of the season before."""
    path = fixture_data.build(tmp_path / "winter.duckdb")
    con = duckdb.connect(str(path))
    # The emergency shelter did not open on 8 and 9 January: two cold nights with none open,
    # and the 5 + 4 people turned away on them are not in the data any more.
    con.execute("DELETE FROM shelter_nights WHERE site_id = 'calais_emergency_shelter' AND night <= '2024-01-09'")
    con.execute("UPDATE weather_daily SET tmin_c = -1 WHERE city = 'Pantin' AND day = '2024-02-10'")
    con.execute("INSERT INTO winter_plan VALUES ('Pantin', 'city', '2024-02-01', '2024-02-03', 'tres_grand_froid')")
    # 2022–23: the emergency shelter opened on 9 January 2023, so a cold 1 December 2022 is
    # not a gap of the programme (it had no shelter yet), as the winter gap alert counts it.
    con.execute("INSERT INTO weather_daily VALUES ('Calais', '2022-12-01', -2, 3, 'yellow')")
    con.close()
    return path


def test_winter_gaps_only_where_an_emergency_shelter_runs(changed_db):
    con = duckdb.connect(str(changed_db), read_only=True)
    by_city = _season_people(con, "programme_manager")
    calais = _row(by_city, season=2023, city="Calais")
    assert (calais["cold_nights"], calais["emergency_shelter_open_nights"],
            calais["cold_nights_without_emergency_shelter"], calais["turned_away_on_cold_nights"]) == (9, 12, 2, 28)
    pantin = _row(by_city, season=2023, city="Pantin")
    assert (pantin["cold_nights"], pantin["cold_nights_without_emergency_shelter"]) == (1, 0)
    assert pantin["plan_tres_grand_froid_nights"] == 3
    season = _row(queries.run(con, "winter_nights_by_season", SEASON, role="programme_manager"), season=2023)
    assert (season["cold_nights"], season["cold_nights_without_emergency_shelter"]) == (10, 2)
    # On 1–3 February Pantin's very severe cold is the highest level of all cities.
    assert (season["plan_tres_grand_froid_nights"], season["plan_veille_saisonniere_nights"]) == (3, 142)
    before = _row(by_city, season=2022, city="Calais")
    assert (before["nights"], before["cold_nights"], before["cold_nights_without_emergency_shelter"]) == (151, 1, 0)
    # The monthly and nightly views count the same gaps.
    months = queries.run(con, "winter_nights_by_city_month", {"start": D(2022, 11, 1), "end": D(2024, 3, 31),
                                                              "cities": ["Calais"]}, role="donor")
    assert _row(months, period=pd.Timestamp(2022, 12, 1))["cold_nights_without_emergency_shelter"] == 0
    assert _row(months, period=pd.Timestamp(2024, 1, 1))["cold_nights_without_emergency_shelter"] == 2
    nights = queries.run(con, "winter_nights_by_city_day", {**SEASON_2023, "cities": ["Calais"]},
                         role="programme_manager")
    gaps = nights[nights["cold_night"] & nights["emergency_shelter_this_season"] & ~nights["emergency_shelter_open"]]
    assert list(pd.to_datetime(gaps["night"]).dt.date) == [D(2024, 1, 8), D(2024, 1, 9)]
    con.close()


# --- figures the page computes from query results ---------------------------------------------

def test_a_total_of_hidden_cells_is_hidden_not_zero():
    frame = pd.DataFrame({"n": pd.array([pd.NA, pd.NA], dtype="Float64")})
    assert charts.people_total(frame, "n") == charts.People(None, hidden=True)
    frame = pd.DataFrame({"n": pd.array([pd.NA, 12, 20], dtype="Float64")})
    assert charts.people_total(frame, "n") == charts.People(32, partial=True)
    assert charts.People(32, partial=True).text("fr", "< 11") == "≥ 32"
    # zeros shown and the rest hidden: "≥ 0" would say nothing, the total reads as hidden
    frame = pd.DataFrame({"n": pd.array([pd.NA, 0], dtype="Float64")})
    assert charts.people_total(frame, "n").text("fr", "< 11") == i18n.t("common.hidden_figure", "fr")


def test_the_cold_related_share_leaves_out_rows_with_a_hidden_count():
    frame = pd.DataFrame({"consultations": pd.array([65, pd.NA, 15], dtype="Float64"),
                          "medical_consultations": pd.array([60, pd.NA, 15], dtype="Float64"),
                          "cold_related_consultations": pd.array([50, 0, pd.NA], dtype="Float64")})
    assert charts.cold_related_share(frame) == pytest.approx(50 / 60)
    assert charts.cold_related_share(frame.iloc[1:]) is None


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_text_key_built_from_a_column_name_exists(lang):
    keys = [f"winter.figure.{column}" for column in charts.TABLE_COLUMNS]
    keys += [f"winter.figure.{column}" for column in (
        "cold_nights", "emergency_shelter_open_nights", "cold_nights_without_emergency_shelter",
        "turned_away_on_cold_nights", "cold_related_share", "coldest_c", "no_emergency_shelter", "share_hidden")]
    keys += [f"winter.demand.{state}" for state in ("open", "closed", "none")]
    for key in keys:
        assert i18n.t(key, lang)


# --- the page ----------------------------------------------------------------------------------

def _page(db, monkeypatch, role, **params) -> AppTest:
    return run_page("pages/winter.py", role, params, db=db, monkeypatch=monkeypatch)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _t(key, lang="fr", **values):
    return i18n.t(key, lang, **values)


def _charts(at) -> dict[str, dict]:
    return {el.proto.id: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def _values(array) -> list:
    """A trace's array as a list: plotly sends numeric arrays base64-encoded ("bdata")."""
    if isinstance(array, dict) and "bdata" in array:
        values = np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
        if "shape" in array:
            values = values.reshape([int(n) for n in str(array["shape"]).split(",")])
        return values.tolist()
    return list(array)


def _headline(share: float, lang="fr") -> dict[str, str]:
    return {
        _t("winter.figure.cold_nights", lang): "9",
        _t("winter.figure.emergency_shelter_open_nights", lang): "14",
        _t("winter.figure.cold_nights_without_emergency_shelter", lang): "0",
        _t("winter.figure.turned_away_on_cold_nights", lang): "37",
        _t("winter.figure.cold_related_share", lang): i18n.format_percent(share, lang),
        i18n.label("plan_level", "veille_saisonniere", lang): "145",
        i18n.label("plan_level", "grand_froid", lang): "7",
        i18n.label("plan_level", "tres_grand_froid", lang): "0",
        i18n.label("vigilance_colour", "green", lang): "143",
        i18n.label("vigilance_colour", "yellow", lang): "6",
        i18n.label("vigilance_colour", "orange", lang): "3",
        i18n.label("vigilance_colour", "red", lang): "0",
    }


@pytest.mark.parametrize("role", ["programme_manager", "advocacy", "donor"])
def test_calais_season_2023_headline_for_each_role(fixture_db, monkeypatch, role):
    at = _page(fixture_db, monkeypatch, role, season="2023", city="Calais")
    shown = _metrics(at)
    expected = _headline(50 / 50)      # cold-related consultations of the medical ones
    helps = {m.label: m.help for m in at.metric}
    assert helps[_t("winter.figure.cold_related_share")].startswith(_t("winter.figure.cold_related_share_help"))
    assert "consultations médicales" in helps[_t("winter.figure.cold_related_share")]
    if role == "donor":
        # January's consultations in Calais are hidden for a donor (Pantin's 8 hidden with
        # them), so the season's share, which would need them, is not shown.
        expected[_t("winter.figure.cold_related_share")] = "—"
        assert helps[_t("winter.figure.cold_related_share")] == (
            _t("winter.figure.cold_related_share_help") + " " + _t("winter.figure.share_hidden"))
    assert {label: shown.get(label) for label in expected} == expected
    assert _t("winter.invalid_season", season="2023–24") not in [w.value for w in at.warning]
    assert at.query_params["season"] == "2023"


def test_all_cities_share_of_cold_related_consultations(fixture_db, monkeypatch):
    at = _page(fixture_db, monkeypatch, "programme_manager", season="2023")
    assert _metrics(at)[_t("winter.figure.cold_related_share")] == i18n.format_percent(50 / 73, "fr")
    assert any(_t("winter.several_cities") in c.value for c in at.caption)


def test_manager_calendar_marks_cold_nights_plan_levels_and_full_shelters(fixture_db, monkeypatch):
    at = _page(fixture_db, monkeypatch, "programme_manager", season="2023", city="Calais")
    figures = list(_charts(at).values())
    calendar = next(f for f in figures if f["data"][0]["type"] == "heatmap")
    cells = [v for row in _values(calendar["data"][0]["z"]) for v in row if not np.isnan(v)]
    assert len(cells) == 152 and sum(v <= 0 for v in cells) == 9
    marks = {trace["name"]: len(_values(trace["x"])) for trace in calendar["data"][1:]}
    assert marks == {i18n.label("plan_level", "grand_froid", "fr"): 7, _t("winter.calendar.shelter_full"): 9}
    demand = next(f for f in figures if f["layout"]["title"]["text"].replace("<br>", " ") == _t("winter.demand.title", city="Calais"))
    points = sorted(zip(_values(demand["data"][0]["x"]), _values(demand["data"][0]["y"])))
    assert points == [(-3.0, 54.0)] * 8 + [(-3.0, 55.0)] + [(4.0, 40.0)] * 5   # 50 + 4, 50 + 5, 40 + 0


def test_advocacy_demand_chart_draws_hidden_nights_as_lower_bounds(fixture_db, monkeypatch):
    at = _page(fixture_db, monkeypatch, "advocacy", season="2023", city="Calais")
    demand = next(f for f in _charts(at).values()
                  if f["layout"]["title"]["text"].replace("<br>", " ") == _t("winter.demand.title", city="Calais"))
    by_name = {trace["name"]: sorted(zip(_values(trace["x"]), _values(trace["y"]))) for trace in demand["data"]}
    # All nine cold nights are drawn at their 50 people sheltered: the eight 4s are hidden,
    # and the 5 with them, or 37 (published) - 5 would give 32 = 8 × 4 back.
    lower = by_name[_t("winter.demand.lower_bound", status=_t("winter.demand.open"))]
    assert [p for p in lower if p[0] == -3.0] == [(-3.0, 50.0)] * 9
    assert not [p for p in by_name.get(_t("winter.demand.open"), []) if p[0] == -3.0]


def test_donor_sees_months_and_cities_only(fixture_db, monkeypatch):
    at = _page(fixture_db, monkeypatch, "donor", season="2023")
    figures = list(_charts(at).values())
    assert not any(trace["type"] == "heatmap" for f in figures for trace in f["data"])
    monthly = next(f for f in figures if f["layout"]["title"]["text"].replace("<br>", " ") == _t("winter.monthly.title"))
    calais = next(trace for trace in monthly["data"] if trace["name"] == "Calais")
    assert _values(calais["y"]) == [0, 0, 9, 0, 0]
    seasons, values = table_texts(at.dataframe[-1]), at.dataframe[-1].value   # texts shown, numbers under
    pantin = seasons[seasons[_t("winter.figure.city")] == "Pantin"].iloc[0]
    assert pantin[_t("winter.figure.consultations")] == "< 11"
    for column in (_t("winter.figure.turned_away_on_cold_nights"), _t("winter.figure.consultations"),
                   _t("winter.figure.cold_related_consultations")):
        numbers = pd.to_numeric(values[column], errors="coerce").dropna()
        assert not ((numbers >= 1) & (numbers <= 10)).any()


def test_a_season_with_no_data_says_so(fixture_db, monkeypatch):
    at = _page(fixture_db, monkeypatch, "programme_manager", season="2020")
    assert _t("winter.empty_season", season="2020–21") in [i.value for i in at.info]
    assert not at.metric
    assert _t("winter.invalid_season", season="2023–24") not in [w.value for w in at.warning]


@pytest.mark.parametrize("raw", ["1999", "2024", "abc", "2023'; DROP TABLE sites; --"])
def test_an_invalid_season_in_the_url_falls_back_with_a_notice(fixture_db, monkeypatch, raw):
    at = _page(fixture_db, monkeypatch, "advocacy", season=raw, city="Calais")
    assert _t("winter.invalid_season", season="2023–24") in [w.value for w in at.warning]
    assert _metrics(at)[_t("winter.figure.cold_nights")] == "9"


def test_choosing_a_season_puts_it_in_the_url(fixture_db, monkeypatch):
    at = _page(fixture_db, monkeypatch, "programme_manager", season="2023")
    at.selectbox(key="f_season").set_value(2021).run()
    assert not at.exception
    assert _t("winter.empty_season", season="2021–22") in [i.value for i in at.info]
    assert at.query_params["season"] == "2021"


@pytest.mark.parametrize("preset", ["last_4_weeks", "last_3_months", "winter_season", "year", "custom"])
def test_period_presets_in_the_url_do_not_change_the_season(fixture_db, monkeypatch, preset):
    at = _page(fixture_db, monkeypatch, "programme_manager", season="2023", city="Calais", period=preset,
               **({"from": "2024-01-01", "to": "2024-01-31"} if preset == "custom" else {}))
    assert _metrics(at)[_t("winter.figure.turned_away_on_cold_nights")] == "37"


def test_the_page_in_english(fixture_db, monkeypatch):
    at = _page(fixture_db, monkeypatch, "programme_manager", season="2023", city="Calais", lang="en")
    assert {k: v for k, v in _metrics(at).items() if k in _headline(50 / 50, "en")} == _headline(50 / 50, "en")


def test_a_city_without_emergency_shelter_has_no_gap_figure(fixture_db, monkeypatch):
    at = _page(fixture_db, monkeypatch, "programme_manager", season="2023", city="Paris")
    shown = _metrics(at)
    assert shown[_t("winter.figure.cold_nights")] == "0"
    assert shown[_t("winter.figure.cold_nights_without_emergency_shelter")] == "—"
    assert shown[_t("winter.figure.cold_related_share")] == "—"        # no consultation in Paris
    assert _t("winter.demand.no_shelter_nights", city="Paris") in [i.value for i in at.info]

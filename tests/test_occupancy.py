"""The occupancy page: its queries, chart helpers and the page itself (AppTest) on the
fixture database, with figures computed by hand from tests/fixture_data.py:

- Calais emergency shelter (50 beds), open 8–21 January 2024: full (50) on the nine cold
  nights 8–16 January, 40 on the five nights after; 5 + 8 × 4 = 37 people turned away,
  1 minor on each of 8, 9 and 10 January. 650 / 700 bed-nights = 92.9 %.
- Pantin girls' shelter (10 beds), January 2024: full every night (31), 1 girl (a minor)
  turned away on each of 5, 6 and 7 January: 3.
- Marseille minors' shelter (20 beds), February 2024: 18 beds taken every night (90 %).
"""

import datetime as dt
import json

import pandas as pd
import pytest

from terrain import i18n, queries, roles, store
from terrain.charts import occupancy as charts
from tests.apptest import open_tab, run_page, texts

JANUARY = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31), "cities": []}
EMERGENCY_SPELL = {"start": dt.date(2024, 1, 8), "end": dt.date(2024, 1, 21), "cities": []}
FR = lambda key, **values: i18n.t(key, "fr", **values)  # noqa: E731


def _by(frame, column):
    return frame.set_index(column)


# --- queries ---------------------------------------------------------------------------------

def test_calais_emergency_shelter_over_its_open_spell(fixture_con):
    frame = queries.run(fixture_con, "occupancy_summary_by_site", {**EMERGENCY_SPELL, "sites": []},
                        role="programme_manager")
    calais = _by(frame, "site_id").loc["calais_emergency_shelter"]
    assert (calais.nights_open, calais.nights_full) == (14, 9)
    assert (calais.bed_nights_occupied, calais.bed_nights_available) == (650, 700)
    assert calais.occupancy_rate == pytest.approx(650 / 700)
    assert (calais.turned_away, calais.turned_away_minors, calais.turned_away_girls) == (37, 3, 0)


def test_pantin_girls_shelter_in_january(fixture_con):
    frame = queries.run(fixture_con, "occupancy_summary_by_site", {**JANUARY, "sites": ["pantin_girls_shelter"]},
                        role="programme_manager")
    assert frame["site_id"].tolist() == ["pantin_girls_shelter"]
    pantin = frame.iloc[0]
    assert (pantin.nights_open, pantin.nights_full, pantin.occupancy_rate) == (31, 31, 1.0)
    assert (pantin.turned_away, pantin.turned_away_minors, pantin.turned_away_girls) == (3, 3, 3)


def test_city_weeks_and_emergency_nights(fixture_con):
    frame = queries.run(fixture_con, "occupancy_by_city", {**JANUARY, "grain": "week"}, role="programme_manager")
    calais = frame[frame["city"] == "Calais"].set_index("period")
    # Weeks start on Monday: 8–14 January (seven cold nights), 15–21 January (two).
    assert calais["turned_away"].to_dict() == {pd.Timestamp("2024-01-08"): 29, pd.Timestamp("2024-01-15"): 8}
    assert calais["nights_full"].tolist() == [7, 2]
    assert calais["emergency_nights_open"].tolist() == [7, 7]
    assert calais["occupancy_rate"].tolist() == pytest.approx([1.0, 300 / 350])
    assert set(frame.loc[frame["city"] == "Pantin", "emergency_nights_open"]) == {0}


def test_city_nights_are_full_only_when_the_city_is_full(fixture_con):
    frame = queries.run(fixture_con, "occupancy_summary_by_city", {**JANUARY}, role="programme_manager")
    assert _by(frame, "city")["nights_full"].to_dict() == {"Calais": 9, "Pantin": 31}
    assert _by(frame, "city")["emergency_nights_open"].to_dict() == {"Calais": 14, "Pantin": 0}


def test_nightly_rows_of_a_shelter(fixture_con):
    frame = queries.run(fixture_con, "occupancy_nights_by_site",
                        {**EMERGENCY_SPELL, "sites": ["calais_emergency_shelter"]}, role="programme_manager")
    assert len(frame) == 14
    assert frame["turned_away"].tolist() == [5, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0]
    assert frame["beds_occupied"].sum() == 650


def test_emergency_open_spells_are_cut_to_the_period(fixture_con):
    whole = queries.run(fixture_con, "occupancy_emergency_open_periods",
                        {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 3, 31), "cities": []},
                        role="advocacy")
    assert whole[["city", "first_night", "last_night", "nights"]].values.tolist() == [
        ["Calais", pd.Timestamp("2024-01-08"), pd.Timestamp("2024-01-21"), 14]]
    cut = queries.run(fixture_con, "occupancy_emergency_open_periods",
                      {"start": dt.date(2024, 1, 10), "end": dt.date(2024, 1, 31), "cities": []},
                      role="advocacy")
    assert (pd.Timestamp(cut.iloc[0].first_night), cut.iloc[0].nights) == (pd.Timestamp("2024-01-10"), 12)


def test_winter_plan_levels_over_cities_with_a_shelter(fixture_con):
    frame = queries.run(fixture_con, "occupancy_winter_plan", JANUARY, role="programme_manager")
    rows = {(r.city, r.level): (pd.Timestamp(r.starts).date(), pd.Timestamp(r.ends).date()) for r in frame.itertuples()}
    # The préfecture of the Pas-de-Calais (62) declared them; Pantin (93) has none.
    assert rows == {("Calais", "veille_saisonniere"): (dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
                    ("Calais", "grand_froid"): (dt.date(2024, 1, 9), dt.date(2024, 1, 15))}


@pytest.mark.parametrize("name", ["occupancy_shelters", "occupancy_summary_by_site", "occupancy_by_site",
                                  "occupancy_nights_by_site", "occupancy_nights_by_city",
                                  "occupancy_emergency_open_periods", "occupancy_winter_plan"])
def test_donors_get_no_shelter_and_no_day(name, fixture_con):
    query = queries.load(name)
    params = {**JANUARY, "sites": [], "grain": "month"}
    with pytest.raises(queries.AccessDenied):
        queries.run(fixture_con, name, {p: params[p] for p in query.params}, role="donor")


def test_donor_city_months_hide_small_counts(fixture_con):
    frame = queries.run(fixture_con, "occupancy_by_city", {**EMERGENCY_SPELL, "grain": "week"}, role="donor")
    assert frame.attrs["provenance"]["params"]["grain"] == "month"
    assert set(pd.to_datetime(frame["period"])) == {pd.Timestamp("2024-01-01")}
    calais, pantin = _by(frame, "city").loc["Calais"], _by(frame, "city").loc["Pantin"]
    assert calais.turned_away == 37 and pd.isna(calais.turned_away_minors)
    assert pd.isna(pantin.turned_away) and pd.isna(pantin.turned_away_girls)
    # Whole months: all of Pantin's January, though the period asked for was 8–21 January.
    assert pantin.nights_open == 31


def test_advocacy_sees_counts_from_five(fixture_con):
    frame = queries.run(fixture_con, "occupancy_summary_by_site", {**JANUARY, "sites": []}, role="advocacy")
    sites = _by(frame, "site_id")
    assert sites.loc["calais_emergency_shelter", "turned_away"] == 37
    assert pd.isna(sites.loc["calais_emergency_shelter", "turned_away_minors"])
    assert pd.isna(sites.loc["pantin_girls_shelter", "turned_away"])


# --- chart helpers -----------------------------------------------------------------------------

@pytest.mark.parametrize("start,end,can_see_days,expected", [
    (dt.date(2024, 1, 1), dt.date(2024, 4, 2), True, True),     # 93 nights
    (dt.date(2024, 1, 1), dt.date(2024, 4, 3), True, False),    # 94 nights
    (dt.date(2024, 1, 8), dt.date(2024, 1, 21), False, False),  # donors never see nights
])
def test_nightly_lines_for_short_periods_only(start, end, can_see_days, expected):
    assert charts.shows_nights(start, end, can_see_days) is expected


def test_spells_from_months_join_consecutive_months():
    months = pd.DataFrame({
        "city": ["Calais"] * 4 + ["Pantin"],
        "period": pd.to_datetime(["2023-12-01", "2024-01-01", "2024-02-01", "2024-04-01", "2024-01-01"]),
        "emergency_nights_open": [5, 31, 0, 3, 0]})
    spells = charts.spells_from_periods(months, "month")
    assert spells.values.tolist() == [["Calais", dt.date(2023, 12, 1), dt.date(2024, 1, 31), 36],
                                      ["Calais", dt.date(2024, 4, 1), dt.date(2024, 4, 30), 3]]


def test_headline_shows_hidden_counts_as_below_the_threshold():
    row = pd.Series({"occupancy_rate": 1.0, "bed_nights_occupied": 310, "bed_nights_available": 310,
                     "nights_full": 31, "nights_open": 31, "turned_away": pd.NA, "turned_away_minors": pd.NA,
                     "turned_away_girls": pd.NA})
    shown = {f.label: f.value for f in charts.headlines(row, tr=FR, lang="fr", threshold=11, city_level=True)}
    assert shown[FR("occupancy.metric.turned_away")] == "< 11"
    assert shown[FR("occupancy.metric.turned_away_girls")] == "< 11"
    assert shown[FR("occupancy.metric.occupancy_rate")] == "100,0\u00a0%"


# --- the page ----------------------------------------------------------------------------------

def _page(monkeypatch, fixture_db, role, **url):
    return run_page("pages/occupancy.py", role, url, db=fixture_db, monkeypatch=monkeypatch)


CITIES = {"Calais", "Grande-Synthe", "Marseille", "Pantin", "Paris"}


def _tab(at, label):
    """The tab of that label, opened as a click would (only the open tab is drawn, and the
    page runs again); a city's tab among the cities', a shelter's among the shelters'."""
    return open_tab(at, "occupancy_city_tab" if label in CITIES else "occupancy_site_tab", label)


def _metrics(container):
    return {metric.label: metric.value for metric in container.metric}


def _chart(at, key):
    [chart] = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return json.loads(chart.proto.spec)


def _trace(spec, name):
    [trace] = [t for t in spec["data"] if t.get("name") == name]
    return trace


SPELL_URL = {"period": "custom", "from": "2024-01-08", "to": "2024-01-21"}
JANUARY_URL = {"period": "custom", "from": "2024-01-01", "to": "2024-01-31"}


def test_manager_sees_the_emergency_shelter_night_by_night(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", **SPELL_URL)
    assert _metrics(_tab(at, "Abri d'urgence de Calais")) == {
        "Taux d'occupation": "92,9\u00a0%", "Nuits à 100\u00a0% ou plus": "9", "Nuits d'ouverture": "14",
        "Refus faute de place": "37", "dont mineurs": "3", "dont filles": "0"}
    spec = _chart(at, "beds_site_calais_emergency_shelter")
    occupied = _trace(spec, FR("occupancy.chart.occupied"))["y"]
    assert (len(occupied), sum(occupied)) == (14, 650)
    assert sum(_trace(spec, FR("occupancy.chart.available"))["y"]) == 700
    # Night by night a bar is people turned away that night; the headline adds the nights up:
    # 37 refusals, not 37 people.
    nightly = _trace(spec, "Personnes refusées faute de place (chaque nuit)")
    assert nightly["y"] == [5, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0]
    [refusals] = [m for m in _tab(at, "Abri d'urgence de Calais").metric if m.label == "Refus faute de place"]
    assert "une personne refusée trois nuits compte trois refus" in refusals.help
    [shaded] = [s for s in spec["layout"]["shapes"] if s.get("fillcolor") == charts.OPEN_COLOUR]
    assert (shaded["x0"][:10], shaded["x1"][:10]) == ("2024-01-08", "2024-01-22")
    assert "abri d'urgence ouvert" in [a["text"] for a in spec["layout"]["annotations"]]
    plan = [s for s in spec["layout"]["shapes"] if s.get("fillcolor") == charts.PLAN_LEVEL_COLOURS["grand_froid"]]
    assert [(s["x0"][:10], s["x1"][:10]) for s in plan] == [("2024-01-09", "2024-01-16")]


def test_manager_sees_pantin_girls_turned_away(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", **JANUARY_URL)
    shown = _metrics(_tab(at, "Hébergement filles Pantin"))
    assert (shown["Nuits à 100\u00a0% ou plus"], shown["Refus faute de place"], shown["dont filles"]) == ("31", "3", "3")
    assert _metrics(_tab(at, "Pantin"))["Refus faute de place"] == "3"


def test_small_multiples_compare_every_shelter_per_week(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", **JANUARY_URL, grain="week")
    spec = _chart(at, "occupancy_compare")
    # a week's rate holds over the week (a step line), its point in the week's middle
    rates = {t["name"]: t["y"] for t in spec["data"] if t.get("mode") == "markers"}
    steps = {t["name"]: t for t in spec["data"] if t.get("mode") == "lines"}
    assert steps["Abri d'urgence de Calais"]["line"]["shape"] == "hv"
    assert rates["Abri d'urgence de Calais"] == pytest.approx([1.0, 300 / 350])
    assert rates["Hébergement filles Pantin"] == [1.0] * 5
    # One shared time axis: every subplot's x axis but one follows that one.
    x_axes = {name: axis for name, axis in spec["layout"].items() if name.startswith("xaxis")}
    followed = {axis.get("matches") for axis in x_axes.values()} - {None}
    assert len(x_axes) == 2 and len(followed) == 1  # Marseille has no night in January


def test_donor_sees_cities_months_and_no_small_count(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "donor", **SPELL_URL)
    pantin = _metrics(_tab(at, "Pantin"))
    assert (pantin["Refus faute de place"], pantin["dont filles"], pantin["dont mineurs"]) == ("< 11", "< 11", "< 11")
    bars = _trace(_chart(at, "beds_city_Pantin"), FR("occupancy.chart.turned_away"))
    assert 3 not in bars["y"] and bars["customdata"][0].startswith("< 11")
    for city in ("Pantin", "Calais"):   # each city's tab, opened
        _tab(at, city)
        assert all(m.value not in {str(n) for n in range(1, 11)} for m in at.metric if "place" in m.label
                   or m.label.startswith("dont"))
    assert _metrics(_tab(at, "Calais"))["Refus faute de place"] == "37"
    assert any("du 1er au 31 janvier 2024" in c.value for c in at.caption)
    # No shelter appears: no shelter tab, no shelter name in any chart.
    assert [t.label for t in at.tabs][:2] == ["Calais", "Pantin"]
    for chart in at.get("plotly_chart"):
        assert "Hébergement" not in chart.proto.spec and "Abri d'urgence de" not in chart.proto.spec


def test_advocacy_threshold_is_five(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "advocacy", **JANUARY_URL)
    assert _metrics(_tab(at, "Hébergement filles Pantin"))["Refus faute de place"] == "< 5"
    calais = _metrics(_tab(at, "Abri d'urgence de Calais"))
    assert (calais["Refus faute de place"], calais["dont mineurs"]) == ("37", "< 5")


@pytest.mark.parametrize("role", roles.ROLES)
@pytest.mark.parametrize("preset", ["last_month", "last_4_weeks", "last_3_months", "winter_season", "year", "custom"])
def test_every_preset_runs_for_every_role(role, preset, monkeypatch, fixture_db):
    url = {"period": preset} | (JANUARY_URL if preset == "custom" else {}) | ({"year": "2024"} if preset == "year" else {})
    at = _page(monkeypatch, fixture_db, role, **url)
    if preset in ("last_month", "last_4_weeks"):  # March 2024: no shelter night in the fixture
        assert FR("common.no_data") in [i.value for i in at.info]
        assert not at.get("plotly_chart")
    else:
        assert _metrics(_tab(at, "Calais"))["Refus faute de place"] == "37"


def test_an_empty_period_says_so_in_words(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", period="custom", **{"from": "2023-06-01", "to": "2023-06-30"})
    # the last month of the data (March 2024) had no shelter night either
    assert [i.value for i in at.info] == [FR("occupancy.month_cards.none", month="mars 2024"), FR("common.no_data")]
    assert not at.get("plotly_chart") and not at.metric


def test_invalid_url_parameters_fall_back_with_a_notice(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", period="'; DROP TABLE sites; --", grain="hour",
               site="nowhere")
    notices = [w.value for w in at.warning]
    assert all(FR("common.invalid_parameter", name=name) in notices for name in ("period", "grain", "site"))
    # The default period (last 3 months: 1 January – 31 March 2024) is shown.
    assert _metrics(_tab(at, "Calais"))["Refus faute de place"] == "37"


def test_donor_asking_for_weeks_gets_months_with_a_notice(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "donor", grain="week", **JANUARY_URL)
    assert FR("common.invalid_parameter", name="grain") in [w.value for w in at.warning]
    assert _chart(at, "occupancy_compare")["layout"]["title"]["text"].replace("<br>", " ") == FR(
        "occupancy.chart.compare_cities_title", grain=FR("occupancy.grain_word.month"))


def test_english(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", lang="en", **SPELL_URL)
    shown = _metrics(_tab(at, "Calais"))
    assert (shown["Occupancy rate"], shown["Refusals for lack of room"]) == ("92.9%", "37")


def test_headlines_mark_hidden_and_partial_figures_as_the_door_does():
    frame = pd.DataFrame({"city": ["Pantin"], "occupancy_rate": [0.97], "bed_nights_occupied": pd.array([600], "Int64"),
                          "bed_nights_available": [620], "nights_full": [12], "nights_open": [31],
                          "turned_away": pd.array([None], "Int64"), "turned_away_minors": pd.array([20], "Int64"),
                          "turned_away_girls": pd.array([None], "Int64")})
    frame.attrs["suppression"] = {"k": 11, "counts": ["turned_away", "turned_away_minors", "turned_away_girls"],
                                  "hidden_marks": {"turned_away": ["protect"], "turned_away_minors": [None],
                                                   "turned_away_girls": ["small"]},
                                  "partial_rows": {"turned_away": [False], "turned_away_minors": [True],
                                                   "turned_away_girls": [False]}}
    marks, partial = charts.row_flags(frame, 0)
    figures = charts.headlines(frame.iloc[0], tr=lambda key, **v: key, lang="fr", threshold=11, city_level=True,
                               marks=marks, partial=partial)
    values = {figure.label: figure.value for figure in figures}
    assert (values["occupancy.metric.turned_away"], values["occupancy.metric.turned_away_minors"],
            values["occupancy.metric.turned_away_girls"]) == ("[c]", "≥ 20", "< 11")


def test_the_beds_chart_marks_people_turned_away_as_the_door_does():
    """A donor's months: the hover of the people turned away says "[c]", "≥ N" or "< 11" as
    the tables do, row by row, whatever the order the chart sorts the rows in."""
    frame = pd.DataFrame({
        "city": ["Pantin"] * 3, "period": pd.to_datetime(["2024-03-01", "2024-01-01", "2024-02-01"]),
        "bed_nights_occupied": [600, 590, 580], "bed_nights_available": [620, 620, 580], "nights_open": [31, 31, 29],
        "turned_away": pd.array([None, 25, None], "Int64"), "turned_away_minors": pd.array([None, 12, None], "Int64"),
        "turned_away_girls": pd.array([0, None, 0], "Int64")})
    frame.attrs["suppression"] = {"k": 11, "counts": ["turned_away", "turned_away_minors", "turned_away_girls"],
                                  "hidden_marks": {"turned_away": ["protect", None, "small"],
                                                   "turned_away_minors": ["small", None, "protect"],
                                                   "turned_away_girls": [None, "small", None]},
                                  "partial_rows": {"turned_away": [False, True, False],
                                                   "turned_away_minors": [False] * 3, "turned_away_girls": [False] * 3}}
    fig = charts.beds_chart(frame, grain="month", unit="Pantin", tr=lambda key, **v: key.split(".")[-1], lang="fr",
                            threshold=11, city="Pantin")
    bars = next(trace for trace in fig.data if trace.type == "bar")
    # (each text wrapped on words for a phone's hover box: charts.hover_fits_a_phone)
    assert [text.replace("<br>", " ") for text in bars.customdata] == [
        "≥ 25 (turned_away_minors 12, turned_away_girls < 11)",   # January
        "< 11 (turned_away_minors [c], turned_away_girls 0)",     # February
        "[c] (turned_away_minors < 11, turned_away_girls 0)"]     # March


# --- occupancy above 100 % (mattresses on the floor), said where it shows ------------------------

@pytest.fixture(scope="module")
def overflow_db(tmp_path_factory):
    """The fixture with one overflow night: 55 people for the 50 beds of the Calais emergency
    shelter on 10 January 2024 (its other nights as in the fixture: 50 or 40 of 50)."""
    import duckdb
    from terrain import summaries
    from terrain.disclosure import publication
    from tests import fixture_data
    path = fixture_data.build(tmp_path_factory.mktemp("overflow") / "overflow.duckdb")
    con = duckdb.connect(str(path))
    con.execute("UPDATE shelter_nights SET beds_occupied = 55 WHERE site_id = 'calais_emergency_shelter' "
                "AND night = DATE '2024-01-10'")
    summaries.refresh(con)
    publication.build(con)
    con.close()
    return path


def _captions(container) -> list[str]:
    return [c.value for c in container.caption]


def test_over_capacity_is_said_only_where_a_figure_passes_100_percent(monkeypatch, overflow_db, fixture_db):
    note = FR("occupancy.over_full_note")
    at = _page(monkeypatch, overflow_db, "programme_manager", **SPELL_URL)
    # 8–21 January: 655 of 700 bed-nights (93.6 %), but the night of the 10th holds 55 for 50.
    assert note in _captions(_tab(at, "Calais")) and note in _captions(_tab(at, "Abri d'urgence de Calais"))
    assert note not in _captions(_tab(at, "Pantin"))                  # 10 for 10: full, not over
    assert note not in _captions(_tab(at, "Hébergement filles Pantin"))
    # The rate's help says what it is of, and why it may pass 100 %, everywhere.
    helps = [m.help for m in _tab(at, "Pantin").metric if m.label == FR("occupancy.metric.occupancy_rate")]
    assert helps == [FR("occupancy.metric.rate_help", occupied="140", available="140") + " "
                     + FR("occupancy.metric.rate_definition")]
    assert "matelas au sol" in helps[0]
    # Per week, the shelters compared: the week of 8 January holds 6 × 50 + 55 = 355 bed-nights
    # for 350 in Calais (its rate 101 %), said under the comparison too.
    at = _page(monkeypatch, overflow_db, "programme_manager", grain="week", **JANUARY_URL)
    assert note in _captions(_tab(at, "Calais"))
    assert _captions(at).count(note) == 3                             # Calais, its shelter, the comparison
    # A donor sees January whole: 655 of 700 bed-nights in Calais, nothing above 100 %, no note.
    at = _page(monkeypatch, overflow_db, "donor", **JANUARY_URL)
    assert note not in " ".join(c.value for c in at.caption)
    # Without an overflow night, no note at all.
    at = _page(monkeypatch, fixture_db, "programme_manager", **SPELL_URL)
    assert note not in " ".join(c.value for c in at.caption)


def test_the_overview_says_why_its_occupancy_passes_100_percent(monkeypatch, overflow_db):
    from tests.apptest import run_page
    monkeypatch.setenv("TERRAIN_DB", str(overflow_db))
    one_night = {"period": "custom", "from": "2024-01-10", "to": "2024-01-10"}
    at = run_page("pages/overview.py", "programme_manager", one_night)
    [rate] = [m for m in at.metric if m.label == FR("overview.occupancy")]
    assert rate.value == "108\u00a0%"                                   # (55 + 10) / (50 + 10)
    assert "matelas au sol" in rate.help
    assert FR("occupancy.over_full_note") in [c.value for c in at.caption]
    at = run_page("pages/overview.py", "programme_manager", {**one_night, "from": "2024-01-11", "to": "2024-01-11"})
    assert FR("occupancy.over_full_note") not in [c.value for c in at.caption]   # 60 of 60


# --- the top of the page: last month at a glance ---------------------------------------------

@pytest.fixture(scope="module")
def february_db(fixture_db, tmp_path_factory):
    """The fixture with its data as of 10 February 2024: last month is January."""
    path = tmp_path_factory.mktemp("february") / "february.duckdb"
    with store.new_database(path, copy_from=fixture_db) as con:
        con.execute("UPDATE metadata SET data_as_of = DATE '2024-02-10'")
    return path


def _cards(at) -> dict[str, dict[str, str]]:
    """Each card of the top of the page (by its key): its title and figures."""
    cards = {}

    def walk(node):
        for child in getattr(node, "children", {}).values():
            key = getattr(getattr(child, "proto", None), "id", "").rpartition("-month_card_")[2]
            if "-month_card_" in getattr(getattr(child, "proto", None), "id", ""):
                cards[key] = {"title": child.markdown[0].value, "nights": child.caption[0].value,
                              **{m.label: m.value for m in child.metric}}
            else:
                walk(child)
    walk(at.main)
    return cards


RATE, REFUSALS = FR("occupancy.month_cards.rate"), FR("occupancy.month_cards.refusals")


@pytest.mark.parametrize("role,expected", [
    ("programme_manager", {
        "calais_emergency_shelter": ("**Abri d'urgence de Calais**", "92,9\u00a0%", "37", "14", "9"),
        "pantin_girls_shelter": ("**Hébergement filles Pantin**", "100,0\u00a0%", "3", "31", "31")}),
    ("advocacy", {   # from 5 in internal drafts: Pantin's 3 is hidden
        "calais_emergency_shelter": ("**Abri d'urgence de Calais**", "92,9\u00a0%", "37", "14", "9"),
        "pantin_girls_shelter": ("**Hébergement filles Pantin**", "100,0\u00a0%", "< 5", "31", "31")}),
    ("donor", {      # cities, from the published set: below 11 hidden
        "Calais": ("**Calais**", "92,9\u00a0%", "37", "14", "9"),
        "Pantin": ("**Pantin**", "100,0\u00a0%", "< 11", "31", "31")}),
])
def test_last_months_cards_per_role(role, expected, monkeypatch, february_db):
    at = _page(monkeypatch, february_db, role, **SPELL_URL)
    assert FR("occupancy.month_cards.header", month="janvier 2024") == at.header[0].value
    cards = _cards(at)
    assert {key: (card["title"], card[RATE], card[REFUSALS]) for key, card in cards.items()} == {
        key: shown[:3] for key, shown in expected.items()}
    for key, (*_, nights_open, nights_full) in expected.items():
        assert cards[key]["nights"] == FR("occupancy.month_cards.nights", open=nights_open, full=nights_full)
    # The cards come first, under their own header, before the period's figures (the next
    # header, "Par ville").
    kinds = [child.type for child in at.main.children.values()]
    headers = [position for position, kind in enumerate(kinds) if kind == "header"]
    assert headers[0] < kinds.index("flex_container") < headers[1]


def test_the_cards_follow_the_city_filter(monkeypatch, february_db):
    at = _page(monkeypatch, february_db, "programme_manager", city="Pantin")
    assert list(_cards(at)) == ["pantin_girls_shelter"]


def test_the_cards_read_in_english(monkeypatch, february_db):
    at = _page(monkeypatch, february_db, "donor", lang="en")
    assert at.header[0].value == "Last month: January 2024"
    assert _cards(at)["Pantin"] == {"title": "**Pantin**", "Occupancy rate": "100.0%", "Refusals for lack of room": "< 11",
                                    "nights": "31 nights open, 31 of them at or over 100%"}


@pytest.mark.parametrize("role", roles.ROLES)
def test_a_city_without_shelter_says_so(role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role, city="Paris")
    assert [i.value for i in at.info] == [FR("occupancy.no_shelter.one", cities="Paris")]
    assert FR("common.no_data") not in texts(at) and not at.metric and not at.get("plotly_chart")


def test_a_city_without_shelter_beside_one_with(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", city="Pantin,Paris", **JANUARY_URL)
    assert FR("occupancy.no_shelter.one", cities="Paris") in [i.value for i in at.info]
    assert _metrics(_tab(at, "Pantin"))["Refus faute de place"] == "3"


def test_a_card_names_the_city_of_a_shelter_whose_name_does_not():
    frame = pd.DataFrame({"city": ["Pantin", "Marseille"], "site_id": ["a", "b"],
                          "site_name": ["Hébergement filles Pantin", "Maison des jeunes"],
                          "occupancy_rate": [0.5, None], "nights_open": [31, 0], "nights_full": [0, 0],
                          "turned_away": pd.array([12, None], "Int64")})
    cards = charts.month_cards(frame, tr=FR, lang="fr", threshold=0, city_level=False)
    assert [(c.key, c.title, c.rate, c.refusals) for c in cards] == [
        ("a", "Hébergement filles Pantin", "50,0\u00a0%", "12"),
        ("b", "Maison des jeunes (Marseille)", FR("occupancy.rate_hidden"), FR("common.suppressed_value", k=0))]

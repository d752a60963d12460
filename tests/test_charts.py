"""Charts as a reader sees them: in the page's language, periods drawn as periods, hidden
figures never drawn as 0, and colours that colour-blind readers tell apart.

The palette checks simulate dichromacy with Machado et al. (2009) and measure CIEDE2000
(terrain/charts/palette.py); the page checks read the figures the pages hand to Streamlit
(`.proto.spec`), on a small demo database and on tests/fixture_data.py.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import re

import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terrain import charts, i18n
from terrain.charts import consultations as consultation_charts
from terrain.charts import outreach as outreach_charts
from terrain.charts import palette, periods
from tests.apptest import run_page, values

# Two colours one chart shows must stay at least this far apart (CIEDE2000) for normal
# vision and as protanopes, deuteranopes and tritanopes see them: about five times what an
# observer tells apart side by side.
MIN_DISTANCE = 10.0
AS_OF = dt.date(2026, 12, 4)   # the last month of the default period holds 4 days
FR = lambda key, **values: i18n.t(key, "fr", **values)  # noqa: E731


# --- the arithmetic -----------------------------------------------------------------------

# Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula", table 1: pairs 1, 7,
# 17, 25 and 34 (CIELAB in, ΔE00 out).
@pytest.mark.parametrize("first, second, expected", [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
])
def test_ciede2000_matches_the_published_test_data(first, second, expected):
    assert palette.delta_e2000_lab(first, second) == pytest.approx(expected, abs=1e-4)
    assert palette.delta_e2000_lab(second, first) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("vision", palette.VISIONS)
def test_greys_stay_grey_and_white_stays_white_in_every_simulation(vision):
    # Machado's matrices keep the achromatic axis (each row adds up to 1).
    for grey in ("#000000", "#777777", "#ffffff"):
        assert palette.delta_e2000(palette.simulate(grey, vision), grey) < 1.0


def test_deuteranopes_lose_red_green_and_tritanopes_blue_yellow():
    red, green = "#d55e00", "#009e73"
    assert palette.delta_e2000(red, green) > 50
    assert palette.delta_e2000(palette.simulate(red, "deuteranopia"), palette.simulate(green, "deuteranopia")) < 25
    blue, green_blue = palette.SKY_BLUE, palette.BLUISH_GREEN
    assert palette.delta_e2000(palette.simulate(blue, "tritanopia"), palette.simulate(green_blue, "tritanopia")) < 15


def test_the_former_city_colours_were_the_three_olive_shades_the_issue_saw():
    former = {"Grande-Synthe": "#6c9a1f", "Paris": "#b8860b", "Pantin": "#c2410c"}
    distance, *_ = palette.closest_pair(former.values(), "deuteranopia")
    assert distance < 5
    distance, *_ = palette.closest_pair([charts.CITY_COLOURS[c] for c in former], "deuteranopia")
    assert distance > MIN_DISTANCE


# --- the palettes -----------------------------------------------------------------------

PALETTES = {
    "cities": charts.CITY_COLOURS, "site types": charts.SITE_TYPE_COLOURS, "activities": charts.ACTIVITY_COLOURS,
    "place types": outreach_charts.PLACE_TYPE_COLOURS, "antigens": outreach_charts.ANTIGEN_COLOURS,
    **{f"consultations by {name}": colours for name, colours in consultation_charts.BREAKDOWN_COLOURS.items()},
}


@pytest.mark.parametrize("vision", palette.VISIONS)
@pytest.mark.parametrize("name", PALETTES)
def test_every_palette_stays_apart_for_every_vision(name, vision):
    colours = PALETTES[name]
    # the categories and the grey of hidden figures, which can sit beside them
    distance, first, second = palette.closest_pair([*colours.values(), charts.HIDDEN_MARK_COLOUR], vision)
    assert distance >= MIN_DISTANCE, f"{name}: {first} and {second} are {distance:.1f} apart ({vision})"


def test_camp_and_squat_are_told_apart_by_deuteranopes():
    camp, squat = charts.SITE_TYPE_COLOURS["camp"], charts.SITE_TYPE_COLOURS["squat"]
    seen = [palette.simulate(c, "deuteranopia") for c in (camp, squat)]
    assert palette.delta_e2000(*seen) >= MIN_DISTANCE


# --- every chart of every page ------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_db(reference_demo, tmp_path_factory):
    """A copy of the reference demo (every page's charts with every category they draw)."""
    return shutil.copyfile(reference_demo, tmp_path_factory.mktemp("charts") / "demo.duckdb")


def _legend_colours(spec: dict) -> dict[str, str]:
    """{legend entry: colour} of a figure: what a reader matches against the legend."""
    colours = {}
    for trace in spec["data"]:
        if trace.get("showlegend") is False or trace.get("type") not in ("bar", "scatter"):
            continue
        line = (trace.get("line") or {}).get("color")
        marker = (trace.get("marker") or {}).get("color")
        colour = line if line and "lines" in trace.get("mode", "") else marker
        if isinstance(colour, str) and colour.startswith("#"):
            colours[trace.get("name", "")] = colour
    return colours


PAGES = ["overview", "consultations", "occupancy", "outreach", "winter", "alerts"]


@pytest.mark.parametrize("role", ["programme_manager", "donor"])
@pytest.mark.parametrize("page", PAGES)
def test_every_chart_s_colours_stay_apart_for_every_vision(page, role, demo_db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(demo_db))
    at = run_page(f"pages/{page}.py", role)
    assert not at.exception
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    for figure in figures:
        colours = _legend_colours(figure)
        for vision in palette.VISIONS:
            distance, first, second = palette.closest_pair(colours.values(), vision)
            names = {c.lower(): n for n, c in colours.items()}
            assert distance >= MIN_DISTANCE, (
                f"{page}: '{figure['layout']['title']['text']}': {names.get(first)} and {names.get(second)} "
                f"are {distance:.1f} apart for {vision}")


def test_every_chart_keeps_its_legend_and_tools_off_its_title(demo_db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(demo_db))
    for page in PAGES:
        at = run_page(f"pages/{page}.py", "programme_manager")
        for chart in at.get("plotly_chart"):
            layout = json.loads(chart.proto.spec)["layout"]
            # drawn as built (ui.plot), its look in the figure: axes that make room for their
            # labels, text in the readable grey, with no theme of Streamlit's laid over it
            assert chart.proto.theme == "", f"{page}: drawn with Streamlit's theme"
            look = layout["template"]["layout"]
            assert look["yaxis"]["automargin"] and look["xaxis"]["automargin"]
            assert look["font"]["color"] == look["hoverlabel"]["font"]["color"] == charts.TEXT_COLOUR
            # the legend under the plot, or none; the title under the mode bar's band
            if layout.get("showlegend", True) and "legend" in layout:
                assert layout["legend"].get("y", 1) < 0, f"{page}: {layout['title']['text']}"
            assert layout["title"]["pad"]["t"] >= 30
            assert "zoom" in layout["modebar"]["remove"]
            # a title line a phone holds (plotly does not wrap it), and the note under it too
            for line in layout["title"]["text"].split("<br>"):
                note = line.startswith("<span")
                text = re.sub(r"<[^>]+>", "", line)
                assert len(text) <= (periods.NOTE_LINE if note else charts.TITLE_LINE), f"{page}: {text!r}"


def test_a_long_hover_line_is_wrapped_for_a_phone_and_a_short_one_kept():
    fig = go.Figure()
    fig.add_scatter(x=[1, 2], y=[20, 20], hovertemplate="%{y:.1f}<extra>Lits disponibles</extra>")
    fig.add_bar(x=[1, 2], y=[0, 3], customdata=["0 (dont mineurs 0, dont filles 0)", "3 (dont mineurs 1, dont filles 0)"],
                hovertemplate="%{customdata}<extra>Personnes refusées faute de place (chaque nuit)</extra>")
    fig.update_layout(hovermode="x unified")
    short, long = charts.hover_fits_a_phone(fig).data
    assert short.hovertemplate == "%{y:.1f}<extra>Lits disponibles</extra>"
    name, value = long.hovertemplate.removesuffix("<extra></extra>").rsplit("<br>", 1)
    assert name.replace("<br>", " ") == "Personnes refusées faute de place (chaque nuit)" and value == "%{customdata}"
    lines = [line for text in (name, *long.customdata) for line in text.split("<br>")]
    assert max(len(line) for line in lines) <= charts.HOVER_LINE
    assert [text.replace("<br>", " ") for text in long.customdata] == ["0 (dont mineurs 0, dont filles 0)",
                                                                        "3 (dont mineurs 1, dont filles 0)"]
    # a box per point ("closest") is left as it is
    closest = go.Figure(go.Bar(x=[1], y=[1], hovertemplate="%{y}<extra>" + "x" * 60 + "</extra>"))
    closest.update_layout(hovermode="closest")
    assert charts.hover_fits_a_phone(closest).data[0].hovertemplate == "%{y}<extra>" + "x" * 60 + "</extra>"


# --- time axes in the page's language -----------------------------------------------------

def _monthly(values, start=dt.date(2026, 9, 1), end=dt.date(2026, 12, 4), k=11):
    months = [dt.date(2026, m, 1) for m in (9, 10, 11, 12)]
    frame = pd.DataFrame({"period": months * 2, "city": ["Calais"] * 4 + ["Paris"] * 4,
                          "consultations": pd.array(values, dtype="Int64")})
    frame.attrs = {"provenance": {"params": {"start": start, "end": end, "grain": "month"}, "threshold": k}}
    return frame


def _bars(frame, lang):
    return json.loads(charts.stacked_bars(
        frame, x="period", y="consultations", colour="city", colours=charts.CITY_COLOURS, names={},
        title="t", x_title=i18n.t("common.grain_month", lang), y_title="n", legend_title="",
        hidden_text="< 11").to_json())


@pytest.mark.parametrize("lang, ticks, hover, separators", [
    ("fr", ["sept. 2026", "oct. 2026", "nov. 2026", "déc. 2026"], "septembre 2026", ",\u202f"),
    ("en", ["Sept 2026", "Oct 2026", "Nov 2026", "Dec 2026"], "September 2026", ".,"),
])
def test_month_ticks_hover_names_and_separators_follow_the_language(lang, ticks, hover, separators):
    spec = _bars(_monthly([1200, 1300, 1250, 40, 5000, 4000, 3000, 300]), lang)
    axis = spec["layout"]["xaxis"]
    assert axis["tickmode"] == "array" and axis["ticktext"] == ticks
    # the hover writes the month in ISO, which the alias names
    assert axis["hoverformat"] == "%Y-%m" and axis["labelalias"]["2026-09"] == hover
    assert spec["layout"]["separators"] == separators
    assert spec["layout"]["yaxis"]["tickformat"] == ",d"


def test_a_month_s_bar_spans_the_month():
    spec = _bars(_monthly([1200, 1300, 1250, 40, 5000, 4000, 3000, 300]), "fr")
    for trace in (t for t in spec["data"] if t["type"] == "bar"):
        assert trace["x"] == ["2026-09-01", "2026-10-01", "2026-11-01", "2026-12-01"]
        assert (trace["xperiod"], trace["xperiodalignment"]) == ("M1", "middle")
        assert trace["width"] == pytest.approx([d * periods.DAY_MS * periods.BAR_FILL for d in (30, 31, 30, 31)])
    # the ticks stand in the middle of the months, under the bars
    assert spec["layout"]["xaxis"]["tickvals"][0] == "2026-09-16T00:00:00"
    assert spec["layout"]["xaxis"]["range"] == ["2026-09-01T00:00:00", "2027-01-01T00:00:00"]


def test_a_month_of_four_days_is_hatched_and_labelled_partial_not_drawn_as_a_collapse():
    spec = _bars(_monthly([1200, 1300, 1250, 40, 5000, 4000, 3000, 300]), "fr")
    calais = next(t for t in spec["data"] if t["name"] == "Calais")
    assert calais["marker"]["pattern"]["shape"] == ["", "", "", "/"]
    assert calais["marker"]["pattern"]["bgcolor"] != calais["marker"]["color"]   # lighter
    assert [a["text"] for a in spec["layout"]["annotations"]] == [FR("charts.partial_label", n=4)]
    assert spec["layout"]["xaxis"]["labelalias"]["2026-12"] == "décembre 2026 " + FR("charts.partial_days", n=4,
                                                                                   total=31)
    whole = _bars(_monthly([1200, 1300, 1250, 40, 5000, 4000, 3000, 300], end=dt.date(2026, 12, 31)), "fr")
    assert "pattern" not in next(t for t in whole["data"] if t["name"] == "Calais")["marker"]
    assert not whole["layout"].get("annotations")


def test_a_hidden_count_is_never_drawn_as_zero():
    spec = _bars(_monthly([1200, None, 1250, 40, 5000, 4000, 0, 300]), "fr")
    calais = next(t for t in spec["data"] if t["name"] == "Calais")
    paris = next(t for t in spec["data"] if t["name"] == "Paris")
    assert calais["y"] == [1200, None, 1250, 40] and paris["y"][2] == 0   # a true zero stays 0
    mark = next(t for t in spec["data"] if t["name"] == FR("charts.hidden_mark", k=11))
    assert mark["x"] == ["2026-10-16T12:00:00"] and mark["customdata"] == ["Calais < 11"]


def test_when_everything_is_hidden_the_axis_says_so_instead_of_counting_to_one():
    spec = _bars(_monthly([None] * 8), "fr")
    assert all(v is None for t in spec["data"] if t["type"] == "bar" for v in t["y"])
    assert spec["layout"]["yaxis"]["showticklabels"] is False
    assert FR("charts.all_hidden", k=11) in [a["text"] for a in spec["layout"]["annotations"]]


def test_small_counts_get_whole_ticks():
    spec = _bars(_monthly([1, 2, 0, 1, 0, 1, 1, 0]), "fr")
    axis = spec["layout"]["yaxis"]
    assert (axis["tickmode"], axis["dtick"], axis["tickformat"]) == ("linear", 1, ",d")


def test_nightly_ticks_are_days_never_hours(monkeypatch, fixture_db):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    at = run_page("pages/occupancy.py", "programme_manager", {"period": "custom", "from": "2024-01-01",
                                                              "to": "2024-01-31"})
    nightly = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if "beds" in c.proto.id]
    assert nightly
    for spec in nightly:
        axis = spec["layout"]["xaxis"]
        assert axis["tickmode"] == "array" and axis["hoverformat"] == "%Y-%m-%d"
        assert all(v.endswith("T00:00:00") for v in axis["tickvals"])
        assert re.fullmatch(r"\d{1,2} janv\. 2024", axis["ticktext"][0])   # the year once, on the first
        assert all(re.fullmatch(r"\d{1,2} janv\.", text) for text in axis["ticktext"][1:])
        assert axis["labelalias"]["2024-01-10"] == "10 janv. 2024"


def test_the_consultations_page_speaks_english_when_asked(monkeypatch, fixture_db):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    at = run_page("pages/consultations.py", "programme_manager",
                  {"period": "custom", "from": "2023-11-01", "to": "2024-02-29", "lang": "en"})
    trend = json.loads(next(c for c in at.get("plotly_chart") if c.key == "consultations_trend").proto.spec)
    assert trend["layout"]["xaxis"]["ticktext"] == ["Nov 2023", "Dec 2023", "Jan 2024", "Feb 2024"]
    assert trend["layout"]["separators"] == ".,"


# --- properties of the period arithmetic ---------------------------------------------------

days = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 12, 31))


@settings(max_examples=200, deadline=None)
@given(first=days, grain=st.sampled_from(periods.GRAINS), cut=st.tuples(days, days))
def test_a_period_holds_its_days_and_the_cut_stays_inside_it(first, grain, cut):
    if grain == "week":
        first -= dt.timedelta(days=first.weekday())
    if grain == "month":
        first = first.replace(day=1)
    start, end = sorted(cut)
    [period] = periods.periods_of([first], grain, start, end)
    assert period.days == {"day": 1, "week": 7}.get(grain, period.days)
    assert 28 <= period.days <= 31 or grain != "month"
    assert period.last + dt.timedelta(days=1) == (
        (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) if grain == "month"
        else first + dt.timedelta(days=period.days))
    if start <= period.last and end >= period.first:
        assert period.first <= period.covered_first <= period.covered_last <= period.last
        assert period.partial == (start > period.first or end < period.last)


@settings(max_examples=100, deadline=None)
@given(start=days, count=st.integers(1, 60), gaps=st.lists(st.booleans(), min_size=60, max_size=60),
       grain=st.sampled_from(("week", "month")))
def test_a_step_line_holds_each_value_over_its_period_and_breaks_at_a_gap(start, count, gaps, grain):
    first = start - dt.timedelta(days=start.weekday()) if grain == "week" else start.replace(day=1)
    starts, day = [], first
    for index in range(count):
        if not gaps[index]:
            starts.append(day)
        day = periods.period_last_day(day, grain) + dt.timedelta(days=1)
    if not starts:
        return
    spans = periods.periods_of(starts, grain)
    xs, ys = periods.step_line(spans, list(range(len(spans))))
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    # each period's value starts on its first day; a missing period is a gap (null)
    assert [ys[xs.index(p.first.isoformat())] for p in spans] == list(range(len(spans)))
    assert ys.count(None) == sum(1 for a, b in zip(spans, spans[1:]) if a.last + dt.timedelta(days=1) < b.first)
    assert xs[-1] == (spans[-1].last + dt.timedelta(days=1)).isoformat()


@settings(max_examples=100, deadline=None)
@given(start=days, count=st.integers(1, 120), grain=st.sampled_from(periods.GRAINS),
       lang=st.sampled_from(i18n.LANGUAGES))
def test_ticks_are_few_named_in_the_language_and_never_hours(start, count, grain, lang):
    first = start.replace(day=1) if grain == "month" else start
    values, day = [], first
    for _ in range(count):
        values.append(day)
        day = periods.period_last_day(day, grain) + dt.timedelta(days=1)
    fig = periods.time_axis(charts.base_layout(go.Figure(), title="", x_title="", y_title=""), values, grain, lang)
    axis = fig.layout.xaxis
    assert 1 <= len(axis.ticktext) <= 6   # a phone holds six labels on one line
    text = " ".join(axis.ticktext)
    assert ":" not in text
    english = {"Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"}
    if lang == "fr":
        assert not english & set(text.replace(".", " ").split())
    # one hover name per period (a week's under its first day and under its middle)
    assert len(set(axis.labelalias.values())) == count


def test_a_breakdown_of_several_cities_all_hidden_says_so_under_its_title():
    frame = pd.DataFrame({"city": ["Calais", "Paris"], "age_band": ["15-17", "18-24"],
                          "consultations": pd.array([None, None], dtype="Int64")})
    spec = json.loads(consultation_charts.breakdown(frame, "age_band", lang="fr", k=11).to_json())
    assert FR("charts.all_hidden", k=11) in spec["layout"]["title"]["text"]
    assert all(a.get("name") != "all_hidden" for a in spec["layout"].get("annotations", []))
    assert all(v is None for t in spec["data"] if t["type"] == "bar" for v in t["x"])   # bars lie down
    # said once under the title: no "< 11" under each bar's place (they pile up on a phone)
    assert not [t for t in spec["data"] if t["type"] == "scatter"]
    # some shown: each hidden one is marked where its bar would be
    frame["consultations"] = pd.array([None, 14], dtype="Int64")
    spec = json.loads(consultation_charts.breakdown(frame, "age_band", lang="fr", k=11).to_json())
    assert [t["text"] for t in spec["data"] if t["type"] == "scatter"] == [["< 11"]]


def test_a_donors_breakdown_is_one_axis_naming_each_city_beside_its_values():
    """Per city, on one count axis (one scale for all cities), the values in one order for
    every city; a hidden count's mark in its own bar's place, beside its city's value."""
    frame = pd.DataFrame({
        "city": ["Paris"] * 4 + ["Calais"] * 4,
        "age_band": ["18-24", "18-24", "0-14", "0-14", "18-24", "18-24", "0-14", "0-14"],
        "sex": ["F", "M"] * 4,
        "consultations": pd.array([12, 40, None, 25, 30, None, 15, 80], dtype="Int64")})
    spec = json.loads(consultation_charts.breakdown(frame, "age_band", lang="fr", k=11, colour="sex").to_json())
    layout = spec["layout"]
    assert "xaxis2" not in layout and "yaxis2" not in layout   # one panel
    assert layout["yaxis"]["type"] == "multicategory"
    bars = {t["name"]: t for t in spec["data"] if t["type"] == "bar"}
    assert set(bars) == {i18n.label("sex", "F", "fr"), i18n.label("sex", "M", "fr")}
    woman = bars[i18n.label("sex", "F", "fr")]
    cities, bands = woman["y"]
    young, adult = i18n.label("age_band", "0-14", "fr"), i18n.label("age_band", "18-24", "fr")
    # the cities in order, each with its bands in their natural order
    assert list(zip(cities, bands)) == [("Calais", young), ("Calais", adult), ("Paris", young), ("Paris", adult)]
    assert values(woman["x"]) == [15, 30, None, 12]
    [mark] = [t for t in spec["data"] if t["type"] == "scatter" and t["legendgroup"] == i18n.label("sex", "F", "fr")]
    assert [list(pair) for pair in zip(*mark["y"])] == [["Paris", young]] and mark["text"] == ["< 11"]
    assert mark["orientation"] == "h" and mark["offsetgroup"] == woman["offsetgroup"]   # in its bar's place
    assert layout["legend"]["y"] < 0   # under the plot


def test_warming_up_loads_plotly_rules_for_the_traces_the_charts_draw():
    """What a served process does at start (terrain/asgi.py): the rules of the layout's and
    the drawn traces' properties made before the first chart needs them."""
    from plotly.validator_cache import ValidatorCache

    ValidatorCache._cache.clear()   # as in a new process (plotly makes them again when asked)
    charts.warm_up()
    made = set(ValidatorCache._cache)
    for path in [("bar", "orientation"), ("scatter", "textposition"), ("layout.xaxis", "tickformat"),
                 ("layout.legend", "orientation"), ("heatmap", "colorscale")]:
        assert path in made, path


def test_a_legend_goes_as_far_below_as_a_phone_turns_the_axis_names():
    """Names that fit side by side on a phone's plot stay flat; more turn by 30°, then 90°
    (plotly's way), and the legend is placed under them as they are on the phone."""
    from terrain.charts import legend

    assert legend.labels_px(["sept. 2026", "oct. 2026"]) == legend.LINE_PX   # two fit flat
    turned = legend.labels_px(["1 sept. 2026"] * 6)
    upright = legend.labels_px([f"20{n:02d}–{n + 1:02d}" for n in range(12)])   # twelve seasons
    assert legend.LINE_PX < turned < len("1 sept. 2026") * legend.CHAR_PX   # by 30°
    assert upright == len("2015–16") * legend.CHAR_PX                      # by 90°

    def seasons(count: int) -> go.Figure:
        fig = go.Figure()
        fig.add_bar(x=[f"20{n:02d}–{n + 1:02d}" for n in range(count)], y=list(range(count)), name="a")
        fig.add_bar(x=[f"20{n:02d}–{n + 1:02d}" for n in range(count)], y=list(range(count)), name="b")
        charts.base_layout(fig, title="t", x_title="Saison", y_title="n", lang="fr")
        fig.update_layout(height=400)
        return legend.clear_of_labels(fig)

    few, many = seasons(2), seasons(12)
    assert many.layout.legend.y < few.layout.legend.y < 0   # further down under turned names
    # a chart too short to hold its plot above its names and legend grows (plotly would give up
    # pushing its margins, and the legend would land on the names)
    short = seasons(2)
    short.update_layout(height=180)
    assert legend.clear_of_labels(short).layout.height > 180
    assert seasons(2).layout.height == 400   # one tall enough keeps its height
    # a legend placed elsewhere by its chart is left where it is
    fig = seasons(2)
    fig.update_layout(legend={"orientation": "v", "y": 1})
    assert legend.clear_of_labels(fig).layout.legend.y == 1


@pytest.mark.parametrize(("left", "right", "position"), [
    (dt.date(2026, 9, 1), dt.date(2026, 9, 20), "top left"),     # in the first third: reads rightwards
    (dt.date(2026, 11, 20), dt.date(2026, 12, 1), "top right"),  # at the end: ends at the span's right edge
    (dt.date(2026, 10, 10), dt.date(2026, 10, 20), "top"),       # in the middle: centred on the span
])
def test_a_shaded_span_s_label_is_anchored_where_a_phone_s_plot_holds_it(left, right, position):
    assert periods.span_label_position(left, right, dt.date(2026, 9, 1), dt.date(2026, 12, 1)) == position
    # and plotly places it so with dates written as text (its middle of two date objects fails)
    fig = go.Figure(go.Scatter(x=["2026-09-01", "2026-12-01"], y=[0, 1]))
    fig.add_vrect(x0=left.isoformat(), x1=right.isoformat(), annotation_text="Mise à l'abri d'urgence ouverte",
                  annotation_position=position)
    assert fig.layout.annotations[0].xanchor == {"top left": "left", "top right": "right", "top": "center"}[position]


def test_a_note_under_a_title_takes_lines_a_phone_holds_and_the_room_for_them():
    fig = charts.base_layout(go.Figure(), title="Calais : température minimale de chaque nuit", x_title="",
                             y_title="", lang="fr")
    top = fig.layout.margin.t
    note = "Veille saisonnière déclarée 32 nuits (non marquée) ; triangles : niveaux supérieurs déclarés"
    periods.under_title(fig, note)
    lines = [re.sub(r"<[^>]+>", "", line) for line in fig.layout.title.text.split("<br>")[1:]]
    assert " ".join(lines) == note and len(lines) > 1
    assert all(len(line) <= periods.NOTE_LINE for line in lines)
    assert fig.layout.margin.t == top + len(lines) * periods.NOTE_LINE_PX


def test_small_charts_titles_take_two_lines_with_room_between_the_charts():
    from terrain.charts import occupancy
    months = [dt.date(2026, m, 1) for m in (9, 10, 11)]
    names = {"a": "Hébergement pour mineurs non accompagnés, Marseille", "b": "Abri, Pantin"}
    frame = pd.DataFrame({"site_id": ["a"] * 3 + ["b"] * 3, "city": ["Marseille"] * 3 + ["Pantin"] * 3,
                          "period": months * 2, "occupancy_rate": [0.9, 0.95, 1.0, 0.8, 0.85, 0.9],
                          "nights_full": [1, 2, 3, 0, 0, 1]})
    fig = occupancy.rate_small_multiples(frame, facet="site_id", names=names, colours={}, grain="month",
                                         title="Taux d'occupation", tr=lambda key, **v: key, lang="fr")
    titles = [note.text for note in fig.layout.annotations if note.text in
              {charts.wrapped(n, occupancy.SMALL_TITLE_LINE) for n in names.values()}]
    assert titles[0] == "Hébergement pour mineurs non<br>accompagnés, Marseille" and titles[1] == "Abri, Pantin"
    # the gap between the two charts holds two lines of the title's font
    gap = fig.layout.yaxis.domain[0] - fig.layout.yaxis2.domain[1]
    plot_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b - 80   # less the months and their title
    assert gap * plot_px >= 2 * occupancy.SMALL_TITLE_PX

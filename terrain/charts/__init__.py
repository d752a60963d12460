"""Plotly chart helpers shared by the pages. Colours keep their meaning across pages: one
per site type, one per activity, one per city, from Okabe & Ito's palette so that readers
with any colour vision tell them apart (terrain/charts/palette.py; tests/test_charts.py
checks every pair that one chart shows, as three kinds of colour blindness see them)."""

from __future__ import annotations

import functools
import re

import pandas as pd
import plotly.graph_objects as go

from terrain import i18n, indicators
from terrain.charts import events as context_events
from terrain.charts import legend, palette, periods, properties
from terrain.charts.cache import figure_cache

SITE_TYPE_COLOURS = {
    "camp": palette.VERMILION,
    "shelter": palette.BLUISH_GREEN,
    "day_centre": palette.BLUE,
    "emergency_shelter": palette.REDDISH_PURPLE,
    "mobile_team": palette.SKY_BLUE,
    "squat": palette.ORANGE,
}
ACTIVITY_COLOURS = {
    "medical": palette.BLUE,
    "mental_health": palette.REDDISH_PURPLE,
    "social": palette.BLUISH_GREEN,
    "legal": palette.ORANGE,
}
CITY_COLOURS = {
    "Calais": palette.BLUE,
    "Grande-Synthe": palette.BLUISH_GREEN,
    "Paris": palette.ORANGE,
    "Pantin": palette.SKY_BLUE,
    "Marseille": palette.VERMILION,
}
SUPPRESSED_COLOUR = "#bdbdbd"
HIDDEN_MARK_COLOUR = "#757575"
FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"
# Streamlit's chart theme writes ticks, axis titles and legends in a grey of 3.7:1 on white;
# WCAG 2.1 AA asks 4.5:1 of text (docs/accessibility.md). This grey reads at 10:1.
TEXT_COLOUR = "#374151"
# The mode bar keeps the picture download; Streamlit adds its full-screen button beside it.
# The zoom and pan buttons cover a phone's chart for little use on a dashboard.
MODEBAR_REMOVED = ["zoom", "pan", "select", "lasso", "zoomIn", "zoomOut", "autoScale", "resetScale",
                   "toggleSpikelines", "hoverClosestCartesian", "hoverCompareCartesian", "toggleHover",
                   "resetViews", "sendDataToCloud"]
# The mode bar takes the top 34 px of a chart (measured in Chromium): the title starts under it.
TITLE_TOP = 44
# A title line a phone's chart (about 350 px) holds whole: plotly does not wrap titles.
TITLE_LINE = 44
TITLE_LINE_PX = 22
# A place's name beside a horizontal bar: short lines leave a phone room for the bar.
PLACE_LINE = 24
# An axis title's line: centred on a phone's narrow plot, a longer one ran off the chart's edge.
AXIS_TITLE_LINE = 26
# The app's own typeface (Streamlit's), for chart titles and hover boxes as for the page's text.
APP_FONT = '"Source Sans", ' + FONT
# Every figure's look, as defaults under what each builder sets: the pages draw the figures as
# they are (`theme=None`, terrain/ui/plots.py). Streamlit's chart theme set the same things in
# the browser, at every draw of every chart (about 30 ms a chart in Chromium); these are its
# sizes and spacings, in the colours of this module (text at 10:1 on white, Okabe & Ito).
TEMPLATE = go.layout.Template(layout={
    "font": {"family": FONT, "size": 12, "color": TEXT_COLOUR},
    "title": {"font": {"family": APP_FONT, "size": 16, "color": "#111827", "weight": 700}, "pad": {"l": 2}},
    "legend": {"font": {"size": 12}, "title": {"font": {"size": 12}, "side": "top"}, "valign": "top",
               "borderwidth": 0},
    "xaxis": {"automargin": True, "showgrid": False, "zeroline": False, "tickfont": {"size": 12}, "tickcolor": "#d1d5db",
              "title": {"font": {"size": 14}, "standoff": 20}},
    "yaxis": {"automargin": True, "ticklabelposition": "outside", "tickfont": {"size": 12}, "tickcolor": "#d1d5db",
              "title": {"font": {"size": 14}, "standoff": 24}},
    "margin": {"pad": 8},
    "hoverlabel": {"bgcolor": "white", "bordercolor": "#d1d5db",
                   "font": {"family": APP_FONT, "size": 12, "color": TEXT_COLOUR}},
    "colorway": [palette.BLUE, palette.ORANGE, palette.BLUISH_GREEN, palette.VERMILION, palette.REDDISH_PURPLE,
                 palette.SKY_BLUE],
    "paper_bgcolor": "white", "plot_bgcolor": "white",
})


def chart(builder):
    """A chart builder whose figures leave with their legend clear of the x axis's labels and
    their hover box narrow enough for a phone (terrain/charts/legend.py, `hover_fits_a_phone`),
    kept by what they were built from (figure_cache)."""
    @functools.wraps(builder)
    def laid_out(*args, **kwargs):
        fig = builder(*args, **kwargs)
        if fig is None:   # nothing to draw
            return None
        return hover_fits_a_phone(legend.clear_of_labels(fig))

    return figure_cache(laid_out)


# The longest line of a hover box that a phone's chart holds beside its y axis (about 300 px of
# 358, in the box's 12 px text, its colour mark and padding included).
HOVER_LINE = 34
_NAMED_HOVER = re.compile(r"(?s)(?P<value>.*)<extra>(?P<name>.+)</extra>")


def _hover_texts(trace) -> list[str] | None:
    """A trace's `customdata` when it is one text per point (None for columns of values)."""
    data = getattr(trace, "customdata", None)
    if data is None or any(not isinstance(value, str) for value in data):
        return None
    return list(data)


def hover_fits_a_phone(fig: go.Figure) -> go.Figure:
    """Where a figure's hover box lists every series at the pointer ("x unified"), each series
    reads "name : value" on one line: plotly neither wraps it nor keeps a box wider than the
    chart inside it (on a 390 px phone it ran off the chart's left edge). A series whose line
    would be longer than `HOVER_LINE` gets its name and its value on lines of their own, each
    wrapped on words (its texts in `customdata` too)."""
    if fig.layout.hovermode != "x unified":
        return fig
    for trace in fig.data:
        template = getattr(trace, "hovertemplate", None)
        found = _NAMED_HOVER.fullmatch(template) if isinstance(template, str) else None
        if not found:
            continue
        texts = _hover_texts(trace) if "%{customdata}" in found["value"] else None
        longest = max((len(text) for text in texts), default=0) if texts is not None else 8   # a number
        if len(found["name"]) + 3 + longest <= HOVER_LINE:
            continue
        if texts is not None:
            trace.customdata = [wrapped(text, HOVER_LINE) for text in texts]
        trace.hovertemplate = f"{wrapped(found['name'], HOVER_LINE)}<br>{found['value']}<extra></extra>"
    return fig


def title_margin(text: str) -> int:
    """The top margin that holds the mode bar's band and the title's lines above the plot."""
    return TITLE_TOP + TITLE_LINE_PX * (text.count("<br>") + 1) + 16 if text else TITLE_TOP


def wrapped(title: str, width: int = TITLE_LINE) -> str:
    """A title broken into lines of at most `width` characters, at spaces (plotly's <br>)."""
    lines: list[str] = []
    for paragraph in title.split("<br>"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "<br>".join(lines)


def base_layout(fig: go.Figure, *, title: str, x_title: str, y_title: str, legend_title: str = "",
                lang: str | None = None) -> go.Figure:
    """Title at the top left, under the mode bar; legend under the chart, in rows (on a
    phone it wraps, and the chart's bottom margin grows to hold it)."""
    text = wrapped(title)
    readable = {"color": TEXT_COLOUR}
    properties.set_properties(fig.layout, {
        # from the chart's left edge, not the plot's: long category names on a horizontal
        # axis would push it off a phone's screen
        "title": {"text": text, "x": 0, "xanchor": "left", "xref": "container", "yref": "container", "y": 1,
                  "yanchor": "top", "pad": {"t": TITLE_TOP, "l": 10}, "automargin": False},
        "xaxis": {"title": {"text": wrapped(x_title, AXIS_TITLE_LINE)}},
        "yaxis": {"title": {"text": wrapped(y_title, AXIS_TITLE_LINE)}},
        "template": TEMPLATE,
        "font": {"family": FONT, "size": 13}, "margin": {"l": 10, "r": 10, "t": title_margin(text), "b": 10},
        "legend": {"title": {"text": legend_title, "side": "top left", "font": readable}, "font": readable,
                   "orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0},
        "modebar": {"remove": MODEBAR_REMOVED, "orientation": "h"},
        "hovermode": "x unified",   # the white look is TEMPLATE's (plotly's "plotly_white" costs 0.2 s a figure)
    })
    properties.set_axes(fig, "x", {"showgrid": False, "linecolor": "#9ca3af", "ticks": "outside",
                                   "tickfont": readable, "title": {"font": readable}})
    properties.set_axes(fig, "y", {"gridcolor": "#e5e7eb", "zerolinecolor": "#9ca3af", "rangemode": "tozero",
                                   "tickfont": readable, "title": {"font": readable}})
    fig.update_traces(colorbar_tickfont=readable, colorbar_title_font=readable, selector={"type": "heatmap"})
    # (outside bars only: inside, plotly picks a colour that stands out from the bar's)
    fig.update_traces(outsidetextfont=readable, selector={"type": "bar"})
    fig.update_annotations(font_color=TEXT_COLOUR, selector=lambda note: note.font.color is None)
    if lang:
        periods.localise(fig, lang)
    return fig


def warm_up() -> None:
    """What plotly loads on a process's first figure, loaded ahead: the rules of every property
    of the layout and of the traces the charts draw (a 3 MB file read, some 2,800 validators
    made), and the classes of a figure of each kind: about 0.15 s that the first chart of a
    served process would otherwise add to someone's page (terrain/asgi.py calls it at start)."""
    from plotly.subplots import make_subplots
    from plotly.validator_cache import ValidatorCache

    ValidatorCache.get_validator("layout", "title")   # reads the rules
    drawn = tuple(f"{kind}." for kind in ("layout", "bar", "scatter", "heatmap"))
    for path in list(ValidatorCache._json_cache):
        parent, _, prop = path.rpartition(".")
        if path.startswith(drawn) and prop:
            ValidatorCache.get_validator(parent, prop)
    fig = make_subplots(rows=1, cols=2)
    fig.add_bar(x=["a"], y=[1], text=["1"], textposition="outside", customdata=["1"], orientation="v",
                marker={"color": TEXT_COLOUR, "pattern": {"shape": "/"}}, row=1, col=1)
    fig.add_scatter(x=["a"], y=[1], mode="lines+markers+text", text=["1"], customdata=["1"],
                    marker={"symbol": "circle"}, line={"dash": "dot"}, row=1, col=2)
    fig.add_heatmap(z=[[1]], x=["a"], y=["b"], colorbar={"title": {"text": "a"}})
    fig.add_annotation(text="a", x=0, y=0, font={"color": TEXT_COLOUR})
    fig.add_shape(type="rect", x0=0, x1=1, y0=0, y1=1, line={"width": 0})
    base_layout(fig, title="a", x_title="b", y_title="c", legend_title="d", lang="fr").to_json()


def _language_of(x_title: str) -> tuple[str | None, str | None]:
    """The language and grain a time axis's title names (common.grain_<grain>), for callers
    that give neither (the Overview page)."""
    for grain in periods.GRAINS:
        for lang in i18n.LANGUAGES:
            try:
                if i18n.t(f"common.grain_{grain}", lang) == x_title:
                    return lang, grain
            except KeyError:
                continue
    return None, None


def table_headers(frame: pd.DataFrame, tr, page: str, off_screen: set[str]) -> dict[str, str]:
    """Headers of the columns a page's table shows, in the frame's order: common.field.<column>,
    or the page's own <page>.field.<column>; the columns in `off_screen` are not shown."""
    headers = {}
    for column in frame.columns:
        if column in off_screen:
            continue
        try:
            headers[column] = tr(f"common.field.{column}")
        except KeyError:
            headers[column] = tr(f"{page}.field.{column}")
    return headers


@chart
def stacked_bars(frame: pd.DataFrame, *, x: str, y: str, colour: str, colours: dict[str, str],
                 names: dict[str, str], title: str, x_title: str, y_title: str, legend_title: str,
                 hidden_text: str | None = None, lang: str | None = None, grain: str | None = None,
                 k: int | None = None, events: pd.DataFrame | None = None) -> go.Figure:
    """Bars stacked by `colour`, one per week or month, each spanning its period. A hidden
    (suppressed) count has no bar (null, never 0): a grey mark on the axis says "< k"
    instead ("[c]" where the published set marks it as protecting another), so the chart
    never shows a small number nor a false zero; a figure that leaves out a hidden month
    says "≥ N". A period the chosen dates cut is hatched and labelled "partiel". `events`
    (queries/events_in_period.sql) are drawn over the bars (terrain/charts/events.py).

    `lang` and `grain` default to those the axis title and the query name."""
    guessed_lang, guessed_grain = _language_of(x_title)
    lang = lang or guessed_lang or "fr"
    grain = grain or periods.query_grain(frame) or guessed_grain or "month"
    k = k if k is not None else (frame.attrs.get("provenance") or {}).get("threshold")
    start, end = periods.query_period(frame)
    fig = go.Figure()
    marks = pd.Series(indicators.hidden_marks(frame, y), index=frame.index, dtype=object)
    partial = pd.Series(indicators.partial_flags(frame, y), index=frame.index, dtype=bool)
    hidden_at: dict[str, list[str]] = {}
    for key in [k_ for k_ in colours if k_ in set(frame[colour])] + sorted(set(frame[colour]) - set(colours)):
        part = frame[frame[colour] == key].sort_values(x)
        name = names.get(key, str(key))
        values = pd.to_numeric(part[y], errors="coerce")
        spans = periods.periods_of(part[x], grain, start, end)
        hover = [("[c]" if mark == "protect" else hidden_text) if pd.isna(v) and hidden_text
                 else ("≥ " if lower else "") + i18n.format_number(v, lang) if pd.notna(v) else "—"
                 for v, mark, lower in zip(values, marks[part.index], partial[part.index])]
        geometry = periods.bar_geometry(spans, grain)
        for span, value, text in zip(spans, values, hover):
            if pd.isna(value):
                hidden_at.setdefault(span.middle.isoformat(), []).append(f"{name} {text}")
        fig.add_bar(**geometry, y=[None if pd.isna(v) else float(v) for v in values], name=name,
                    marker=periods.bar_marker(colours.get(key, SUPPRESSED_COLOUR), spans),
                    customdata=hover, hovertemplate="%{customdata}<extra>" + name + "</extra>")
    if hidden_at:
        hidden_marks_trace(fig, hidden_at, lang, k)
    fig.update_layout(barmode="stack")
    base_layout(fig, title=title, x_title=x_title, y_title=y_title, legend_title=legend_title, lang=lang)
    every = periods.periods_of(sorted(set(frame[x])), grain, start, end)
    days = [pd.Timestamp(v).date() for v in frame[x]]
    totals = pd.to_numeric(frame[y], errors="coerce").groupby(days).sum(min_count=1)
    periods.time_axis(fig, frame[x], grain, lang, start=start, end=end)
    periods.mark_partial(fig, every, [totals.get(p.first) for p in every], grain, lang)
    periods.count_axis(fig, totals, lang, k=k, hidden=bool(hidden_at))
    return context_events.draw(fig, events, lang=lang)


def hidden_marks_trace(fig: go.Figure, hidden_at: dict, lang: str, k: int | None, *, horizontal: bool = False,
                       **where) -> None:
    """One grey mark on the axis per period (or place) with a hidden count, its hover naming
    what is hidden: the count is not drawn, and the mark is not a bar of 0 (it is named
    "masqué" in the legend)."""
    at, zeros = list(hidden_at), [0] * len(hidden_at)
    fig.add_scatter(x=zeros if horizontal else at, y=at if horizontal else zeros, mode="markers",
                    name=periods.t("hidden_mark", lang, k=k) if k else i18n.t("common.hidden_figure", lang),
                    marker={"color": HIDDEN_MARK_COLOUR, "symbol": "line-ns-open" if horizontal else "line-ew-open",
                            "size": 14, "line": {"width": 2, "color": HIDDEN_MARK_COLOUR}},
                    customdata=["<br>".join(texts) for texts in hidden_at.values()],
                    hovertemplate="%{customdata}<extra></extra>", cliponaxis=False, **where)


def direct_labels(fig: go.Figure, ends: list[tuple[str, object, float, str]], *, y_range: tuple[float, float],
                  plot_height: int, gap_px: int = 16) -> None:
    """Name each line at its last point, in its colour (name, x, y, colour), so that a
    reader need not go down to the legend. Labels closer than `gap_px` on a plot of
    `plot_height` pixels showing `y_range` are pushed apart upwards."""
    low, high = y_range
    scale = plot_height / ((high - low) or 1)
    previous = None
    for name, x, y, colour in sorted(ends, key=lambda end: end[2]):
        pixel = (y - low) * scale
        if previous is not None and pixel < previous + gap_px:
            pixel = previous + gap_px
        previous = pixel
        fig.add_annotation(x=x, y=y, text=f"<b>{name}</b>", showarrow=False, xanchor="left", xshift=4,
                           yshift=round(pixel - (y - low) * scale), font={"size": 12, "color": colour},
                           name="direct_label")

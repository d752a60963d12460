"""Time and count axes drawn as a reader of the page's language expects.

Streamlit's plotly.js carries only its English locale, and a page's chart reaches the browser
without any plotly configuration, so everything a reader sees is written into the figure:

- ticks: explicit positions with labels made by Babel ("janv. 2024", "8 janv."), never
  plotly's own ("Jan 2024", "12:00");
- hover: the axis writes its hover value in ISO ("2024-01"), which `labelalias` turns into
  the period's name ("janvier 2024", "semaine du 8 janv. 2024");
- numbers: `layout.separators` gives the decimal comma and the narrow no-break space of
  French ("1 234,5"), as Babel writes them;
- periods: a week's or a month's bar spans its period, a line holds its value over the
  period (steps); a period the chosen dates only partly cover is hatched and labelled;
- counts: a hidden (suppressed) value is not drawn (null), a count axis has whole ticks,
  and an axis with nothing shown says that everything is hidden instead of reading 0 to 1.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from dataclasses import dataclass
from typing import Iterable

import babel.dates
import pandas as pd
import plotly.graph_objects as go

from terrain import i18n
from terrain.charts import properties

GRAINS = ("day", "week", "month")
DAY_MS = 24 * 3600 * 1000
# A bar fills this share of its period, leaving a gap between neighbours.
BAR_FILL = 0.86
PARTIAL_SHAPE = "/"
HOVER_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m"}
# Plotly reads two characters: the decimal mark, then the thousands separator.
SEPARATORS = {"fr": ",\u202f", "en": ".,"}
_BABEL = {"fr": "fr_FR", "en": "en_GB"}   # as terrain.i18n formats


def t(key: str, lang: str, **values) -> str:
    return i18n.t(f"charts.{key}", lang, **values)


def localise(fig: go.Figure, lang: str) -> go.Figure:
    """Numbers in the figure written as the language writes them (plotly's own formatting)."""
    fig.update_layout(separators=SEPARATORS[lang])
    return fig


# --- periods ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """One period of a time axis: its first and last day, and the days of it the chosen
    dates cover (fewer than its length at either end of a range that cuts it)."""
    first: dt.date
    last: dt.date
    covered_first: dt.date
    covered_last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def covered_days(self) -> int:
        return (self.covered_last - self.covered_first).days + 1

    @property
    def partial(self) -> bool:
        return self.covered_days < self.days

    @property
    def middle(self) -> pd.Timestamp:
        return pd.Timestamp(self.first) + pd.Timedelta(days=self.days / 2)


def period_last_day(first: dt.date, grain: str) -> dt.date:
    if grain == "day":
        return first
    if grain == "week":
        return first + dt.timedelta(days=6)
    if grain == "month":
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return following - dt.timedelta(days=1)
    raise ValueError(f"Unknown grain {grain!r}; expected one of {', '.join(GRAINS)}.")


def period_first_day(day: dt.date, grain: str) -> dt.date:
    """The first day of the period `day` falls in (weeks start on Mondays)."""
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _day(value) -> dt.date:
    return pd.Timestamp(value).date()


def periods_of(values: Iterable, grain: str, start: dt.date | None = None, end: dt.date | None = None) -> list[Period]:
    """The periods starting on `values` (in their order), cut to `start`..`end` when given."""
    out = []
    for value in values:
        first = _day(value)
        last = period_last_day(first, grain)
        out.append(Period(first, last, max(first, start) if start else first, min(last, end) if end else last))
    return out


def query_period(frame: pd.DataFrame) -> tuple[dt.date | None, dt.date | None]:
    """The dates a door's result was asked for (after the door's rules), when it says."""
    params = (frame.attrs.get("provenance") or {}).get("params") or {}
    start, end = params.get("start"), params.get("end")
    return (_day(start) if start is not None else None, _day(end) if end is not None else None)


def query_grain(frame: pd.DataFrame) -> str | None:
    grain = ((frame.attrs.get("provenance") or {}).get("params") or {}).get("grain")
    return grain if grain in GRAINS else None


def bar_geometry(periods: list[Period], grain: str) -> dict:
    """A bar trace's x, width and period settings so that each bar spans its period: x stays
    the period's first day (what the data say), plotly moves the bar to the period's middle
    (xperiod), and the width is the period's length (milliseconds)."""
    geometry = {"x": [p.first.isoformat() for p in periods], "width": [p.days * DAY_MS * BAR_FILL for p in periods]}
    if grain == "month":
        geometry.update(xperiod="M1", xperiodalignment="middle")
    elif grain == "week":   # weeks start on Mondays, as 1 January 2024 did
        geometry.update(xperiod=7 * DAY_MS, xperiod0="2024-01-01", xperiodalignment="middle")
    else:
        geometry.update(width=[DAY_MS * BAR_FILL] * len(periods))
    return geometry


def step_line(periods: list[Period], values: list) -> tuple[list[str], list]:
    """A line holding each period's value from its first day to its last: x on each period's
    first day, and one more point at the day after the last period, for `line_shape="hv"`.
    A period missing between two others is a gap (null), not a slope across it."""
    xs, ys = [], []
    for index, (period, value) in enumerate(zip(periods, values)):
        if index and periods[index - 1].last + dt.timedelta(days=1) < period.first:
            # a null between the previous period's end and this one's start breaks the line
            after = periods[index - 1].last + dt.timedelta(days=1)
            xs.append((after + (period.first - after) / 2).isoformat())
            ys.append(None)
        xs.append(period.first.isoformat())
        ys.append(value)
        following = index + 1 < len(periods) and periods[index + 1].first == period.last + dt.timedelta(days=1)
        if not following:
            xs.append((period.last + dt.timedelta(days=1)).isoformat())
            ys.append(value)
    return xs, ys


# --- names -----------------------------------------------------------------------------------

def tick_label(first: dt.date, grain: str, lang: str, *, with_year: bool = True) -> str:
    """"janv. 2024" (a month), "8 janv." or "8 janv. 2024" (a day or a week's first day)."""
    if grain == "month":
        return babel.dates.format_date(first, "MMM y" if with_year else "MMM", locale=_BABEL[lang])
    return babel.dates.format_date(first, "d MMM y" if with_year else "d MMM", locale=_BABEL[lang])


def period_name(period: Period, grain: str, lang: str) -> str:
    """What a hover says of a period: "janvier 2024", "semaine du 8 janv. 2024", "8 janv.
    2024"; a period cut by the chosen dates says which days it holds."""
    if grain == "month":
        name = i18n.format_month(period.first, lang)
    elif grain == "week":
        name = t("week_of", lang, date=i18n.format_date(period.first, lang, "medium"))
    else:
        name = i18n.format_date(period.first, lang, "medium")
    if period.partial:
        name += " " + t("partial_days", lang, n=period.covered_days, total=period.days)
    return name


def _hover_key(period: Period, grain: str) -> str:
    # what plotly writes with HOVER_FORMATS for a point on the period's first day (bars
    # keep it as their x) or in its middle (the points of a line): the month alone for
    # months, the day for days and weeks
    return period.first.strftime("%Y-%m") if grain == "month" else period.first.isoformat()


def _tick_periods(periods: list[Period], grain: str, max_ticks: int) -> list[Period]:
    if len(periods) <= max_ticks:
        return periods
    if grain == "month":  # round months: every 2nd, 3rd, 6th... from January
        step = next((s for s in (2, 3, 6, 12, 24, 60, 120) if len(periods) / s <= max_ticks), 120)
        return [p for p in periods if (p.first.year * 12 + p.first.month - 1) % step == 0] or periods[:1]
    return periods[::math.ceil(len(periods) / max_ticks)]


def time_axis(fig: go.Figure, values: Iterable, grain: str, lang: str, *, start: dt.date | None = None,
              end: dt.date | None = None, max_ticks: int = 6, centred: bool | None = None,
              row: int | None = None, col: int | None = None) -> go.Figure:
    """Name the x axis's periods in `lang`: ticks (Babel) at most `max_ticks`, each period's
    hover name, and a range that holds every period whole. `centred` puts a tick in the
    middle of its period (under a bar that spans it; the default for weeks and months),
    else on its first day."""
    firsts = {_day(v) for v in values if pd.notna(v)}
    if start and end and start <= end:   # every period asked for, with data or not
        day = period_first_day(start, grain)
        while day <= end:
            firsts.add(day)
            day = period_last_day(day, grain) + dt.timedelta(days=1)
    periods = periods_of(sorted(firsts), grain, start, end)
    if not periods:
        return fig
    centred = grain != "day" if centred is None else centred
    ticks = _tick_periods(periods, grain, max_ticks)
    years = [p.first.year for p in ticks]
    labels = []
    for index, period in enumerate(ticks):
        # the year once, on the first tick and where it changes
        with_year = grain == "month" or index == 0 or years[index] != years[index - 1]
        labels.append(tick_label(period.first, grain, lang, with_year=with_year))
    positions = [p.middle.isoformat() if centred else pd.Timestamp(p.first).isoformat() for p in ticks]
    alias = {_hover_key(p, grain): period_name(p, grain, lang) for p in periods}
    if grain == "week":  # a week's bar stands on its middle: its hover value is that day
        alias.update({(p.first + dt.timedelta(days=3)).isoformat(): period_name(p, grain, lang) for p in periods})
    half = pd.Timedelta(days=0.5) if grain == "day" else pd.Timedelta(0)
    first, last = pd.Timestamp(periods[0].first) - half, pd.Timestamp(periods[-1].last) + pd.Timedelta(days=1) - half
    where = {"row": row, "col": col} if row else {}
    properties.set_axes(fig, "x", {"type": "date", "tickmode": "array", "tickvals": positions, "ticktext": labels,
                                   "hoverformat": HOVER_FORMATS[grain], "labelalias": alias,
                                   "range": [first.isoformat(), last.isoformat()]}, **where)
    return fig


# --- partial periods -------------------------------------------------------------------------

def tint(hex_colour: str, share: float = 0.6) -> str:
    """The colour mixed with `share` of white."""
    value = hex_colour.lstrip("#")
    rgb = [int(value[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(c + (255 - c) * share):02x}" for c in rgb)


def bar_marker(colour: str, spans: list[Period]) -> dict:
    """A bar trace's marker: plain over whole periods, hatched on a lighter ground over a
    period the chosen dates cut."""
    marker: dict = {"color": colour}
    if any(p.partial for p in spans):
        marker["pattern"] = {"shape": [PARTIAL_SHAPE if p.partial else "" for p in spans], "fgcolor": colour,
                             "bgcolor": tint(colour), "fillmode": "replace", "size": 7, "solidity": 0.4}
    return marker


def mark_partial(fig: go.Figure, periods: list[Period], tops: list, grain: str, lang: str) -> None:
    """Say above each period the chosen dates cut that it is partial ("4 j sur 31"), so
    that a short last month does not read as a collapse."""
    for period, top in zip(periods, tops):
        if not period.partial or grain == "day":
            continue
        fig.add_annotation(x=period.middle.isoformat(), y=0 if top is None or pd.isna(top) else float(top),
                           yref="y", text=t("partial_label", lang, n=period.covered_days), showarrow=False,
                           yanchor="bottom", yshift=2, font={"size": 11, "color": "#52606d"},
                           name="partial")


# --- count axes ------------------------------------------------------------------------------

def span_label_position(left, right, first, last) -> str:
    """Where a shaded span's label goes ("top left", "top right" or "top"), from where the
    span stands on an axis running from `first` to `last` (dates or timestamps): anchored at
    the span's left edge, a label of some 180 px (11 px font) ran off a phone's 280 px plot
    when the span stood past its first third."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    length = (last - first) / pd.Timedelta(days=1) or 1
    begins = (pd.Timestamp(left) - first) / pd.Timedelta(days=1) / length
    ends = (pd.Timestamp(right) - first) / pd.Timedelta(days=1) / length
    if begins <= 0.35:
        return "top left"
    if ends >= 0.6:
        return "top right"
    return "top"


# A note under a chart's title: lines a phone's chart holds whole, in the 13 px font.
NOTE_LINE = 48
NOTE_LINE_PX = 22


def under_title(fig: go.Figure, note: str) -> go.Figure:
    """`note` on its own lines under the title (plain, smaller), the top margin grown to hold
    them: a note placed over the plot's left edge ran off a phone's screen."""
    lines = textwrap.wrap(note, NOTE_LINE, break_long_words=False, break_on_hyphens=False) or [""]
    title = fig.layout.title.text or ""
    spans = "<br>".join(f"<span style='font-size:13px;font-weight:normal'>{line}</span>" for line in lines)
    fig.update_layout(title_text=f"{title}<br>{spans}" if title else spans,
                      margin_t=(fig.layout.margin.t or 0) + NOTE_LINE_PX * len(lines))
    return fig


def count_axis(fig: go.Figure, shown: Iterable, lang: str, *, k: int | None = None, hidden: bool = False,
               secondary_y: bool | None = None, row: int | None = None, col: int | None = None,
               axis: str = "y", note_under_title: bool = False) -> go.Figure:
    """A count axis (y, or x for horizontal bars): whole numbers only, from 0. When nothing
    is shown but something is hidden, no ticks at all and a note saying so: in the middle of
    the plot, or under the title (`note_under_title`, for a figure of several panels)."""
    values = pd.to_numeric(pd.Series(list(shown), dtype="object"), errors="coerce")
    top = values.max()
    where = {k_: v for k_, v in (("row", row), ("col", col), ("secondary_y", secondary_y)) if v is not None}
    def update(**values) -> None:
        properties.set_axes(fig, axis, values, **where)

    if pd.isna(top) and hidden:
        update(range=[0, 1], showticklabels=False, showgrid=False, zeroline=True)
        text = t("all_hidden", lang, k=k) if k else t("all_hidden_plain", lang)
        if note_under_title:
            under_title(fig, text)
        else:
            fig.add_annotation(text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                               font={"size": 14, "color": "#52606d"}, name="all_hidden")
        return fig
    top = 0 if pd.isna(top) else float(top)
    if top < 5:
        # plotly would write 0, 0.2, 0.4... as "0, 0, 0, 1, 1" with a whole-number format
        update(tickmode="linear", tick0=0, dtick=1, range=[0, max(top, 1) * 1.15], tickformat=",d")
    else:
        update(tickformat=",d", rangemode="tozero")
    return fig


# --- lines over periods ----------------------------------------------------------------------

def add_period_line(fig: go.Figure, spans: list[Period], values: list, hover: list[str], *, name: str,
                    colour: str, dash: str = "solid", width: float = 2, legendgroup: str | None = None,
                    markers: bool = True, showlegend: bool = True, **where) -> None:
    """A week's or a month's value held over its whole period (a step), with a point in the
    middle of each period that carries the hover; a period the chosen dates cut has an open
    point. A hidden value (None) is a gap, never 0."""
    group = legendgroup or name
    xs, ys = step_line(spans, values)
    fig.add_scatter(x=xs, y=ys, mode="lines", name=name, line={"color": colour, "dash": dash, "width": width,
                    "shape": "hv"}, connectgaps=False, legendgroup=group, hoverinfo="skip", showlegend=showlegend,
                    **where)
    fig.add_scatter(x=[p.middle.isoformat() for p in spans], y=values, mode="markers" if markers else "none",
                    name=name, legendgroup=group, showlegend=False, customdata=hover,
                    marker={"color": colour, "size": 6, "symbol": ["circle-open" if p.partial else "circle"
                                                                     for p in spans]},
                    hovertemplate="%{customdata}<extra>" + name + "</extra>", **where)


def percent_axis(fig: go.Figure, lang: str, top: float, *, step: float = 0.2, axis: str = "y", **where) -> go.Figure:
    """A share axis from 0 to `top` with ticks every `step`, written by Babel ("60 %" in
    French, with its no-break space; plotly's own ".0%" writes "60%")."""
    count = int(math.floor(top / step + 1e-9)) + 1
    values = [round(i * step, 6) for i in range(count)]
    properties.set_axes(fig, axis, {"tickmode": "array", "tickvals": values,
                                    "ticktext": [i18n.format_percent(v, lang) for v in values], "range": [0, top]},
                        **where)
    return fig

"""Context events on a time chart: a dotted vertical line for a day, a light band for a period,
each named by its short label in the chart's language just above the plot, where it covers
no bar and meets neither the title (above it) nor the legend (under the chart).

The labels are laid out for the narrowest screen (a phone's plot, about 330 px wide): a label
goes in the first row above the plot where it meets no other, up to `LABEL_ROWS` rows; an
event that finds no room is marked by a dot at the top of the plot, and every label and dot
says the event whole in its hover (its date or period, its place, its label). Internal
events, which only the programme's staff receive (queries/events_in_period.sql), are drawn
in another colour and say so.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from terrain import events as context
from terrain import i18n
from terrain.charts import palette

LINE_COLOUR = "#4b5563"
INTERNAL_COLOUR = palette.REDDISH_PURPLE
BAND_COLOUR = "rgba(107, 114, 128, 0.13)"
INTERNAL_BAND_COLOUR = "rgba(204, 121, 167, 0.16)"
LABEL_ROWS = 3
ROW_PX = 18
NARROW_PLOT_PX = 330
CHAR_PX = 6.3           # a character of the 11 px label font, on average
SHOWN_CHARS = 26        # a longer label is cut on the chart ("…"); its hover has it whole


def _day(value) -> dt.date:
    return pd.Timestamp(value).date()


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1].rstrip() + "…"


def _axis_range(fig: go.Figure) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    bounds = fig.layout.xaxis.range
    if not bounds:
        return None
    return pd.Timestamp(bounds[0]), pd.Timestamp(bounds[1])


def of_city(events: pd.DataFrame | None, city: str) -> pd.DataFrame | None:
    """The events of `city` and those everywhere (no city)."""
    if events is None:
        return None
    return events[(events["city"].isna() | (events["city"] == city)).to_numpy(dtype=bool)]


def draw(fig: go.Figure, events: pd.DataFrame | None, *, lang: str) -> go.Figure:
    """Draw `events` (rows of queries/events_in_period.sql) on `fig`, whose x axis is time and
    already has its range (periods.time_axis); events outside the range are left out."""
    if events is None or events.empty:
        return fig
    bounds = _axis_range(fig)
    # a title standing on the plot's top edge (the first small multiple's) keeps its lines:
    # the labels' rows go above them
    title_lines = max((str(note.text or "").count("<br>") + 1 for note in fig.layout.annotations
                       if note.yref == "paper" and note.yanchor == "bottom" and (note.y or 0) >= 0.99
                       and not str(note.name or "").startswith("event:")), default=0)
    base = title_lines * ROW_PX + 2
    placed: list[tuple[float, float, int]] = []   # (left, right, row) of each label, as shares of the axis
    rows_used = 0
    dots = []
    for _, event in events.sort_values(["starts", "event_id"]).iterrows():
        first = pd.Timestamp(_day(event["starts"]))
        period = event["ends"] is not None and not pd.isna(event["ends"])
        last = pd.Timestamp(_day(event["ends"])) + pd.Timedelta(days=1) if period else first
        if bounds is not None:
            if last < bounds[0] or first > bounds[1]:
                continue
            first, last = max(first, bounds[0]), min(last, bounds[1])
        internal = event["audience"] == "internal"
        colour = INTERNAL_COLOUR if internal else LINE_COLOUR
        name = f"event:{event['event_id']}"
        if period:
            fig.add_shape(type="rect", x0=first.isoformat(), x1=last.isoformat(), xref="x", yref="paper", y0=0,
                          y1=1, fillcolor=INTERNAL_BAND_COLOUR if internal else BAND_COLOUR, line_width=0,
                          layer="below", name=name)
        else:
            fig.add_shape(type="line", x0=first.isoformat(), x1=first.isoformat(), xref="x", yref="paper", y0=0,
                          y1=1, line={"color": colour, "width": 1.5, "dash": "dot"}, layer="above", name=name)
        # a long label is cut, never the mark that says it is internal
        label = _shown(context.label_of(event, lang))
        if internal:
            label = f"{label} · {i18n.t('events.internal_mark', lang)}"
        hover = context.line(event, lang)
        share = 0.0 if bounds is None else (first - bounds[0]) / (bounds[1] - bounds[0])
        width = (len(label) * CHAR_PX + 8) / NARROW_PLOT_PX
        left_anchored = share <= 0.5
        extent = (share, share + width) if left_anchored else (share - width, share)
        row = next((r for r in range(LABEL_ROWS)
                    if all(not (extent[0] < right and left < extent[1]) for left, right, at in placed if at == r)), None)
        if row is None:
            dots.append((first, colour, hover, name))
            continue
        placed.append((*extent, row))
        rows_used = max(rows_used, row + 1)
        fig.add_annotation(x=first.isoformat(), xref="x", y=1, yref="paper", yanchor="bottom",
                           yshift=base + row * ROW_PX, xanchor="left" if left_anchored else "right",
                           text=label, hovertext=hover, showarrow=False,
                           font={"size": 11, "color": colour}, bgcolor="rgba(255, 255, 255, 0.85)",
                           borderpad=1, name=name)
    for first, colour, hover, name in dots:
        fig.add_annotation(x=first.isoformat(), xref="x", y=1, yref="paper", yanchor="middle", text="●",
                           hovertext=hover, showarrow=False, font={"size": 10, "color": colour}, name=name)
    if rows_used:
        # the labels' rows go between the title and the plot: the plot gives up their height
        # (a first small chart's title already has its room, made by its builder)
        top = fig.layout.margin.t or 0
        extra = rows_used * ROW_PX + 4
        fig.update_layout(margin={"t": top + extra}, height=(fig.layout.height or 450) + extra)
    return fig

"""A legend under a chart, clear of its axis's labels on any screen.

Plotly places a legend under the plot at a fraction of the plot's height, and turns an axis's
labels when they do not fit side by side (by 30°, then 90°): on a phone (a plot some 280 px
wide) the turned labels of a time or category axis ran into a legend placed a fixed fraction
below (dates, age bands, an axis title under the entries). The builder cannot know the
screen's width, so the legend is placed for the worst case: as far below the plot as the
labels take when turned the way a phone turns them, plus the axis title. On a desktop, where
the labels stay flat, the legend stands a little lower than it needs to; it never meets them.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

PHONE_PLOT_PX = 280     # a plot's width on a 390 px phone, once the y axis's labels have their room
CHAR_PX = 7.0           # a character of a 12–13 px label, on average
LINE_PX = 16            # a line of labels
TICK_PX = 16            # from the plot to its labels: the tick marks drawn outside, and plotly's standoff
TITLE_PX = 26           # an axis title, under its labels
GAP_PX = 8
LEGEND_ROW_PX = 20     # a row of the legend; on a phone, beside a narrow plot, an entry a row
DEFAULT_HEIGHT = 450    # plotly's, and Streamlit's, when a figure sets none
MIN_PLOT_PX = 100       # the least plot a chart keeps above what goes under it (plotly gives up
                        # pushing its margins out when they would leave less, and the legend lands
                        # on the names)


def _lines(text: str) -> tuple[int, int]:
    """(longest line in characters, lines) of a label."""
    parts = str(text).split("<br>")
    return max(len(p) for p in parts), len(parts)


def _labels(fig: go.Figure, name: str, axis) -> list[str] | None:
    """What the axis writes under the plot: its tick texts, else its traces' categories; None
    for numbers or dates that plotly spaces itself (as many as fit flat)."""
    if axis.ticktext is not None and axis.showticklabels is not False:
        return [str(t) for t in axis.ticktext]
    if axis.showticklabels is False:
        return []
    ref = "x" + name.removeprefix("xaxis")
    values: list[str] = []
    for trace in fig.data:
        xs = getattr(trace, "x", None)
        if (getattr(trace, "xaxis", None) or "x") != ref or xs is None or getattr(trace, "orientation", None) == "h":
            continue
        xs = list(xs)
        if xs and isinstance(xs[0], (list, tuple)):   # a multicategory axis: the inner level
            xs = list(xs[-1])
        values += [v for v in xs if isinstance(v, str) and not _is_date(v)]
    return list(dict.fromkeys(values)) or None


def _is_date(text: str) -> bool:
    return len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit()


def labels_px(labels: list[str] | None) -> float:
    """The height the labels take under a phone's plot: flat if they fit side by side, else
    turned by 30°, else by 90°, as plotly turns them (numbers: one flat line)."""
    if labels is None:
        return LINE_PX
    if not labels:
        return 0.0
    longest = max(_lines(t)[0] for t in labels)
    lines = max(_lines(t)[1] for t in labels)
    spacing = PHONE_PLOT_PX / len(labels)
    width = longest * CHAR_PX
    if width + 6 <= spacing:
        return LINE_PX * lines
    if spacing >= LINE_PX * lines / math.sin(math.radians(30)):
        return width * math.sin(math.radians(30)) + LINE_PX * lines * math.cos(math.radians(30))
    return width + LINE_PX * (lines - 1)


def clear_of_labels(fig: go.Figure) -> go.Figure:
    """The legend (horizontal, under the plot) moved down past the lowest x axis's labels and
    title as a phone draws them. A legend elsewhere, or none, is left as it is."""
    layout = fig.layout
    legend = layout.legend
    if layout.showlegend is False or legend.orientation != "h" or legend.y is None or legend.y >= 0 \
            or (legend.yref or "paper") != "paper":
        return fig
    below = 0.0
    bottom = None
    for name in sorted(k for k in layout.to_plotly_json() if k.startswith("xaxis")):
        axis = layout[name]
        anchor = axis.anchor or "y"
        y_axis = layout["yaxis" + anchor.removeprefix("y")] if anchor.startswith("y") else None
        low = (y_axis.domain[0] if y_axis is not None and y_axis.domain else 0.0)
        if bottom is not None and low > bottom + 1e-9:
            continue
        block = labels_px(_labels(fig, name, axis))
        if axis.type == "multicategory":
            block += LINE_PX
        title = axis.title.text if axis.title else None
        block += TICK_PX + (TITLE_PX + LINE_PX * str(title).count("<br>") if title else 0)
        below = block if bottom is None or low < bottom - 1e-9 else max(below, block)
        bottom = low if bottom is None else min(bottom, low)
    # an entry of two lines (a long name beside wide y labels) takes two rows
    lines = {t.name: t.name.count("<br>") + 1 for t in fig.data if t.showlegend is not False and t.name}
    rows = sum(lines.values()) + (1 if legend.title.text else 0)
    height = layout.height or DEFAULT_HEIGHT
    margin = layout.margin
    plot = height - (margin.t or 0) - (margin.b or 0) - below - GAP_PX - rows * LEGEND_ROW_PX
    if plot < MIN_PLOT_PX:   # a short chart grows to hold its names, title and legend under the plot
        fig.update_layout(height=height + MIN_PLOT_PX - plot)
        plot = MIN_PLOT_PX
    fig.update_layout(legend_y=-(below + GAP_PX) / plot)
    return fig

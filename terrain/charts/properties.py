"""A figure's properties set as plotly's `update` sets them, property by property.

`fig.update_layout(...)`, `fig.update_xaxes(...)` read every key as a path into the figure
("title_font" as title.font) and check it against the whole figure's tree, for each axis they
touch: two thirds of the time a chart's layout took (some 20 ms a chart, most charts being
built anew for each page and filter). These helpers set the same values on the same objects:
a nested dict goes into the compound property of that name, as `update` merges it; anything
else, a list or a data property that holds a dict (`labelalias`), is assigned as `update`
assigns it.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.basedatatypes import BasePlotlyType


def set_properties(part: BasePlotlyType, values: dict[str, Any]) -> None:
    """`part.update(values)`, without reading the keys as paths (keys are names, not paths)."""
    for name, value in values.items():
        child = getattr(part, name) if isinstance(value, dict) else None
        if isinstance(child, BasePlotlyType):
            set_properties(child, value)
        else:
            setattr(part, name, value)


def set_axes(fig: go.Figure, letter: str, values: dict[str, Any], **where: Any) -> go.Figure:
    """`fig.update_xaxes(values, **where)` (or y), the same axes chosen by row, col and
    secondary_y, each set with `set_properties`."""
    axes = fig.select_xaxes(**where) if letter == "x" else fig.select_yaxes(**where)
    for axis in axes:
        set_properties(axis, values)
    return fig

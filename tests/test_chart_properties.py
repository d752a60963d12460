"""terrain/charts/properties.py sets what plotly's `update` sets: the same figure, as JSON."""

from __future__ import annotations

import pytest
from plotly.subplots import make_subplots

from terrain.charts import properties


def _figure():
    """Three panels, the middle one with a second y axis, some properties set beforehand."""
    fig = make_subplots(rows=3, cols=1, specs=[[{}], [{"secondary_y": True}], [{}]])
    for row in (1, 2, 3):
        fig.add_scatter(x=["2024-01-01", "2024-02-01"], y=[1, 2], row=row, col=1)
    fig.add_scatter(x=["2024-01-01", "2024-02-01"], y=[3, 4], row=2, col=1, secondary_y=True)
    fig.update_layout(title_font_size=18, legend_font_family="serif")
    fig.update_xaxes(tickfont_size=9, title_text="avant")
    return fig


LAYOUT = {
    "title": {"text": "Un titre", "x": 0, "pad": {"t": 40, "l": 10}, "font": {"color": "#111"}},
    "legend": {"title": {"text": "Villes", "side": "top left"}, "font": {"color": "#222"}, "y": -0.2},
    "xaxis": {"title": {"text": "Mois"}},
    "margin": {"l": 10, "t": 90},
    "hovermode": "x unified",
}
AXES = {"type": "date", "tickvals": ["2024-01-01"], "ticktext": ["janv."],
        "labelalias": {"2024-01-01": "janvier 2024"}, "range": ["2023-12-15", "2024-02-15"],
        "tickfont": {"color": "#222"}, "title": {"font": {"color": "#222"}}}


def test_the_layout_set_as_update_sets_it():
    expected, made = _figure(), _figure()
    expected.update_layout(LAYOUT)
    properties.set_properties(made.layout, LAYOUT)
    assert made.to_plotly_json() == expected.to_plotly_json()
    # a nested dict is merged into what was there, as update merges it
    assert made.layout.title.font.size == 18 and made.layout.legend.font.family == "serif"


@pytest.mark.parametrize("letter, where", [("x", {}), ("x", {"row": 3, "col": 1}), ("y", {}),
                                           ("y", {"row": 2, "col": 1, "secondary_y": True}),
                                           ("y", {"row": 2, "col": 1, "secondary_y": False})])
def test_the_axes_chosen_and_set_as_update_axes_does(letter, where):
    expected, made = _figure(), _figure()
    (expected.update_xaxes if letter == "x" else expected.update_yaxes)(AXES, **where)
    assert properties.set_axes(made, letter, AXES, **where) is made
    assert made.to_plotly_json() == expected.to_plotly_json()
    # a data property holding a dict is given that dict, not walked into
    chosen = made.select_xaxes(**where) if letter == "x" else made.select_yaxes(**where)
    assert all(axis.labelalias == AXES["labelalias"] for axis in chosen)

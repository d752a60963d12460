"""Plotly chart helpers shared by the pages. Colours keep their meaning across pages: one
per site type, one per activity, one per city."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from terrain import indicators

SITE_TYPE_COLOURS = {
    "camp": "#d95f02",
    "shelter": "#1b9e77",
    "day_centre": "#7570b3",
    "emergency_shelter": "#e7298a",
    "mobile_team": "#66a61e",
    "squat": "#a6761d",
}
ACTIVITY_COLOURS = {
    "medical": "#1f77b4",
    "mental_health": "#9467bd",
    "social": "#2ca02c",
    "legal": "#8c564b",
}
CITY_COLOURS = {
    "Calais": "#0b6e99",
    "Grande-Synthe": "#6c9a1f",
    "Paris": "#b8860b",
    "Pantin": "#c2410c",
    "Marseille": "#7c3aed",
}
SUPPRESSED_COLOUR = "#bdbdbd"
FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"
# Streamlit's chart theme writes ticks, axis titles and legends in a grey of 3.7:1 on white;
# WCAG 2.1 AA asks 4.5:1 of text (docs/accessibility.md). This grey reads at 10:1.
TEXT_COLOUR = "#374151"


def base_layout(fig: go.Figure, *, title: str, x_title: str, y_title: str, legend_title: str = "") -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        xaxis_title=x_title, yaxis_title=y_title, legend_title_text=legend_title,
        font={"family": FONT, "size": 13}, margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        # A plain white look set directly: loading plotly's "plotly_white" template costs
        # about 0.2 s per figure.
        plot_bgcolor="white", paper_bgcolor="white", hovermode="x unified",
    )
    fig.update_xaxes(showgrid=False, linecolor="#9ca3af", ticks="outside")
    fig.update_yaxes(gridcolor="#e5e7eb", zerolinecolor="#9ca3af", rangemode="tozero")
    readable = {"color": TEXT_COLOUR}
    fig.update_xaxes(tickfont=readable, title_font=readable)
    fig.update_yaxes(tickfont=readable, title_font=readable)
    fig.update_layout(legend_font=readable, legend_title_font=readable)
    fig.update_traces(colorbar_tickfont=readable, colorbar_title_font=readable, selector={"type": "heatmap"})
    # (outside bars only: inside, plotly picks a colour that stands out from the bar's)
    fig.update_traces(outsidetextfont=readable, selector={"type": "bar"})
    fig.update_annotations(font_color=TEXT_COLOUR, selector=lambda note: note.font.color is None)
    return fig


def stacked_bars(frame: pd.DataFrame, *, x: str, y: str, colour: str, colours: dict[str, str],
                 names: dict[str, str], title: str, x_title: str, y_title: str, legend_title: str,
                 hidden_text: str | None = None) -> go.Figure:
    """Bars stacked by `colour`. A hidden (suppressed) count is not drawn; its hover text
    says "< k" instead ("[c]" where the published set marks it as protecting another), so the
    chart never shows a small number nor a false zero; a figure that leaves out a hidden
    month says "≥ N"."""
    fig = go.Figure()
    marks = pd.Series(indicators.hidden_marks(frame, y), index=frame.index, dtype=object)
    partial = pd.Series(indicators.partial_flags(frame, y), index=frame.index, dtype=bool)
    for key in [k for k in colours if k in set(frame[colour])] + sorted(set(frame[colour]) - set(colours)):
        part = frame[frame[colour] == key]
        values = pd.to_numeric(part[y], errors="coerce")
        hover = [("[c]" if mark == "protect" else hidden_text) if pd.isna(v) and hidden_text
                 else ("≥ " if lower else "") + f"{v:,.0f}".replace(",", " ")
                 for v, mark, lower in zip(values, marks[part.index], partial[part.index])]
        fig.add_bar(x=part[x], y=values.fillna(0), name=names.get(key, str(key)),
                    marker_color=colours.get(key, SUPPRESSED_COLOUR),
                    customdata=hover, hovertemplate="%{customdata}<extra>" + names.get(key, str(key)) + "</extra>")
    fig.update_layout(barmode="stack")
    return base_layout(fig, title=title, x_title=x_title, y_title=y_title, legend_title=legend_title)

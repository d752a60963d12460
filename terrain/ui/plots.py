"""Charts on a page, drawn as their builders made them."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st


def plot(figure: go.Figure, *, key: str, into=None, config: dict | None = None) -> None:
    """Draw `figure` in `into` (a column, a tab; the page by default). Every figure of
    terrain/charts carries its whole look (terrain.charts.TEMPLATE), so Streamlit's chart
    theme is not asked for: the browser would lay it over each chart at every draw, about
    30 ms a chart on a page switch (measured with `bench --browser`)."""
    (into or st).plotly_chart(figure, key=key, theme=None, config=config)

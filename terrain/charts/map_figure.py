"""The map page's map as a plotly figure drawn in SVG: no WebGL, so that a browser without a
graphics card (software rendering) draws it in tens of milliseconds, not seconds.

The figure is a plain cartesian plot in Web Mercator (x: longitude in degrees; y: the
Mercator ordinate, also in degrees, so that both axes share one scale), with the axes hidden
and a scale fixed by the view: its ranges frame the view in a map FIT_WIDTH × MAP_HEIGHT
pixels (terrain/maps.py), and plotly, keeping one unit per pixel on both axes, widens the
longitudes shown when the map is wider. The pixel scale is then the view's zoom whatever the
width, as deck.gl's was, so the place names placed apart at that zoom
(terrain/charts/map.py, place_labels) stay apart on a phone and on a desktop.

Programme managers see one point trace per site type; everyone else sees the areas the
query door coarsened the sites to, as filled polygons, and never a point. The layers,
colours, tooltips and legend are terrain/charts/map.py's; a configured tile basemap still
needs deck.gl (pages/map.py). A map is kept by what it was built from (the figure cache of
terrain/charts/cache.py, shapes by their exact bytes): a rerun with the same rows and view
draws the figure built before.
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Iterable

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
import shapely

from terrain import maps
from terrain.charts import FONT, MODEBAR_REMOVED, SITE_TYPE_COLOURS, TEMPLATE
from terrain.charts import map as site_map
from terrain.charts.cache import figure_cache
from terrain.charts.properties import set_axes, set_properties

# Rounding of the drawn coordinates: a tenth of a pixel at the closest zoom (MAX_ZOOM).
DECIMALS = 5
LABEL_BACKGROUND = "rgba(255,255,255,0.82)"


def _hex(rgba: list[int]) -> str:
    return "rgba({},{},{},{})".format(*rgba[:3], round(rgba[3] / 255, 3))


BOUNDARY_LINE = _hex(site_map.BOUNDARY_LINE)
COMMUNE_LINE = _hex(site_map.COMMUNE_LINE)
DEPARTEMENT_FILL = _hex(site_map.DEPARTEMENT_FILL)
PROGRAMME_DEPARTEMENT_FILL = _hex(site_map.PROGRAMME_DEPARTEMENT_FILL)
AREA_LINE = "#54278f"
LABEL_COLOUR = _hex(site_map.LABEL_COLOUR)


def mercator(latitude: float) -> float:
    """The Mercator ordinate of a latitude, in degrees (the unit of the longitudes)."""
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2)))


def _degrees_per_pixel(view: maps.View) -> float:
    return 360 / (maps._WORLD_PIXELS * 2 ** view.zoom)


def ranges(view: maps.View) -> tuple[list[float], list[float]]:
    """The x and y ranges that frame `view` in a map FIT_WIDTH × MAP_HEIGHT pixels."""
    step = _degrees_per_pixel(view)
    half_x, half_y = maps.FIT_WIDTH / 2 * step, maps.MAP_HEIGHT / 2 * step
    y = mercator(view.latitude)
    return ([round(view.longitude - half_x, 6), round(view.longitude + half_x, 6)],
            [round(y - half_y, 6), round(y + half_y, 6)])


def _rings(geometry) -> Iterable:
    if geometry is None or geometry.is_empty:
        return []
    polygons = geometry.geoms if hasattr(geometry, "geoms") else [geometry]
    return [ring for polygon in polygons for ring in (polygon.exterior, *polygon.interiors)]


def _outline(geometries: Iterable, tolerance: float) -> tuple[list, list]:
    """Every ring of `geometries` as one path (rings apart by None, as plotly draws them),
    simplified to `tolerance` degrees and projected."""
    xs: list = []
    ys: list = []
    for geometry in geometries:
        if geometry is None:
            continue
        simple = geometry.simplify(tolerance, preserve_topology=True) if tolerance else geometry
        for ring in _rings(simple):
            coordinates = shapely.get_coordinates(ring)
            if xs:
                xs.append(None)
                ys.append(None)
            xs.extend(round(float(x), DECIMALS) for x in coordinates[:, 0])
            ys.extend(round(mercator(float(y)), DECIMALS) for y in coordinates[:, 1])
    return xs, ys


def _tolerance(view: maps.View) -> float:
    """Half a pixel at the view's zoom: a simpler outline the eye cannot tell apart."""
    return round(_degrees_per_pixel(view) / 2, 6)


@functools.lru_cache(maxsize=64)
def _departement_paths(view: maps.View, highlighted: frozenset[str]) -> tuple[tuple, tuple]:
    """The départements a view may show (at the widest map), simplified to its zoom: the
    others, then the programme's, as two paths."""
    box = maps.visible_bounds(view)
    shapes = maps.departements().cx[box.west:box.east, box.south:box.north]
    tolerance = _tolerance(view)
    mine = shapes["code"].isin(highlighted)
    return (_outline(shapes.geometry[~mine], tolerance), _outline(shapes.geometry[mine], tolerance))


def _shape(xs: list, ys: list, *, name: str, fill: str | None, line: str, width: float) -> dict:
    return {"type": "scatter", "x": xs, "y": ys, "mode": "lines", "meta": name, "fill": "toself" if fill else "none",
            "fillcolor": fill, "line": {"color": line, "width": width}, "hoverinfo": "skip", "showlegend": False}


# The traces are plain dicts, checked once, by the figure that holds them: plotly checks a
# list value by reading each of its items, and a map's outlines hold some ten thousand
# coordinates (a go.Scatter would be checked once made, and again in the figure).
def _boundaries(view: maps.View, programme_departements: Iterable[str]) -> list[dict]:
    """Départements (the programme's a shade darker) and, in a close view, the communes it
    shows."""
    others, mine = _departement_paths(view, frozenset(programme_departements))
    traces = [_shape(*others, name="departements", fill=DEPARTEMENT_FILL, line=BOUNDARY_LINE, width=1)]
    if mine[0]:
        traces.append(_shape(*mine, name="programme-departements", fill=PROGRAMME_DEPARTEMENT_FILL,
                             line=BOUNDARY_LINE, width=1))
    communes = maps.communes_in_view(view)
    if communes:
        shapes = maps.shapes_of("commune", communes)
        traces.append(_shape(*_outline(shapes.geometry, _tolerance(view)), name="communes", fill=None,
                             line=COMMUNE_LINE, width=1))
    return traces


def _hover(text: str) -> str:
    """A tooltip's lines as plotly's hover label writes them (its own markup escaped)."""
    return "<br>".join(html.escape(line, quote=False) for line in text.split("\n"))


def _labels(shapes: gpd.GeoDataFrame, view: maps.View, *, beside: bool) -> list[dict]:
    """The names of the areas that hold activity, at a point inside each (not at a site),
    moved aside where two would collide at the view's zoom (site_map.place_labels)."""
    points = shapes.geometry.representative_point()
    placed = site_map.place_labels(shapes["nom"].astype(str), points.x.round(5), points.y.round(5), view,
                                   site_map.LABEL_SPOTS_BESIDE if beside else site_map.LABEL_SPOTS)
    return [{"x": round(p.longitude, DECIMALS), "y": round(mercator(p.latitude), DECIMALS),
             "xshift": round(p.dx), "yshift": -round(p.dy), "text": html.escape(p.name, quote=False),
             "showarrow": False, "xanchor": "center", "yanchor": "middle", "bgcolor": LABEL_BACKGROUND,
             "borderpad": 2, "font": {"size": site_map.LABEL_SIZE_PX, "color": LABEL_COLOUR, "family": FONT},
             "name": "label"}
            for p in placed]


def _figure(traces: list, view: maps.View, labels: list[dict], *, height: int) -> go.Figure:
    x_range, y_range = ranges(view)
    fig = go.Figure(data=traces)
    set_properties(fig.layout, {
        "template": TEMPLATE, "height": height, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "showlegend": False,
        "dragmode": False, "hovermode": "closest",
        "font": {"family": FONT, "size": 13}, "annotations": labels,
        "hoverlabel": {"bgcolor": site_map.TOOLTIP_STYLE["backgroundColor"],
                       "font": {"color": "#ffffff", "size": 13}, "align": "left"},
        "modebar": {"remove": MODEBAR_REMOVED, "orientation": "h"},
        # What the map frames, for whoever reads the figure (tests, a saved figure).
        "meta": {"view": {"latitude": view.latitude, "longitude": view.longitude, "zoom": view.zoom}},
    })
    set_axes(fig, "x", {"range": x_range, "visible": False, "fixedrange": True})
    set_axes(fig, "y", {"range": y_range, "visible": False, "fixedrange": True, "scaleanchor": "x", "scaleratio": 1})
    return fig


@figure_cache
def sites_figure(sites: pd.DataFrame, *, view: maps.View, types: Iterable[str], texts: site_map.Texts,
                 height: int = maps.MAP_HEIGHT) -> go.Figure:
    """Programme managers' map: boundaries, one point trace per site type ("sites-<type>"),
    place names. A point's area grows with its activity, comparably across the types that
    measure the same thing; a shelter's fill is its occupancy class, its ring its type."""
    traces = _boundaries(view, sites["departement"].unique())
    measures = {site_map.size_measure(t) for t in site_map.SITE_TYPES} & set(sites.columns)
    top = {measure: site_map.largest_shown(sites[measure]) for measure in measures}
    for site_type in [t for t in site_map.SITE_TYPES if t in set(types)]:
        part = sites[sites["site_type"] == site_type]
        if part.empty:
            continue
        measure = site_map.size_measure(site_type)
        colour = SITE_TYPE_COLOURS[site_type]
        shelter = site_type in site_map.SHELTER_TYPES
        fills = ([_hex(site_map.rgba(site_map.occupancy_colour(rate), 235)) for rate in part["occupancy_rate"]]
                 if shelter else _hex(site_map.rgba(colour, 215)))
        traces.append({
            "type": "scatter", "x": [round(float(v), DECIMALS) for v in part["longitude"]],
            "y": [round(mercator(float(v)), DECIMALS) for v in part["latitude"]],
            "mode": "markers", "meta": f"sites-{site_type}", "showlegend": False,
            "marker": {"size": [2 * site_map.radius_px(v, top.get(measure, 0)) for v in part[measure]],
                       "sizemode": "diameter", "color": fills,
                       "line": {"color": colour, "width": 3 if shelter else 1}},
            "hovertext": [_hover(site_map.site_tooltip(row, texts, marks))
                          for (_, row), marks in zip(part.iterrows(), site_map.tooltip_marks(part))],
            "hoverinfo": "text"})
    holding = maps.shapes_of("commune", sites["commune_code"].unique())
    labels = _labels(holding, view, beside=True) if not holding.empty else []
    return _figure(traces, view, labels, height=height)


@figure_cache
def areas_figure(areas: gpd.GeoDataFrame, *, view: maps.View, measure: str, texts: site_map.Texts,
                 height: int = maps.MAP_HEIGHT) -> go.Figure:
    """Everyone else's map: boundaries and the coarsened areas (maps.area_shapes) as
    polygons filled by `measure` ("area-<kind>-<code>", its tooltip on hover), and their
    names. No point, no site: only the areas' shapes and figures."""
    traces = _boundaries(view, set(areas["departement"]))
    drawable = areas[areas.geometry.notna()]
    labels = []
    if not drawable.empty:
        top = site_map.largest_shown(areas[measure])
        tolerance = _tolerance(view)
        for (_, row), marks in zip(drawable.iterrows(), site_map.tooltip_marks(drawable)):
            xs, ys = _outline([row.geometry], tolerance)
            traces.append({
                "type": "scatter", "x": xs, "y": ys, "mode": "lines",
                "meta": f"area-{row['area_kind']}-{row['area_code']}", "fill": "toself",
                "fillcolor": _hex(site_map.rgba(site_map.area_colour(row[measure], top), 200)),
                "line": {"color": AREA_LINE, "width": 2}, "hoveron": "fills", "hoverinfo": "text",
                "text": _hover(site_map.area_tooltip(row, texts, marks)), "showlegend": False})
        labels = _labels(drawable, view, beside=False)
    return _figure(traces, view, labels, height=height)

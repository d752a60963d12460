"""The map page's colours, tooltips, place names, legend and table, and its deck.gl (pydeck)
layers for a map over a tile basemap (opt-in: TERRAIN_MAP_STYLE). Without tiles, the default,
the map is drawn in SVG from the same pieces (terrain/charts/map_figure.py): deck.gl draws
in WebGL, which a machine without a graphics card renders in software, in seconds.

Programme managers see one point layer per site type; everyone else sees the areas the
query door coarsened the sites to, as filled polygons, and never a point. Boundaries are
drawn from data/geo/ so that the map reads without any tile server.

Colours: a site type keeps its colour from terrain.charts (the point's outline for shelters,
whose fill shows occupancy on a sequential scale; the whole point for the others).

pydeck reads a bare string argument as an accessor expression ("radius" is each row's
radius), so literal strings are quoted: radius_units="'pixels'".
"""

from __future__ import annotations

import functools
import html
import json
import math
from dataclasses import dataclass
from typing import Any, Iterable

import geopandas as gpd
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from terrain import disclosure, i18n, indicators, maps
from terrain.charts import SITE_TYPE_COLOURS, SUPPRESSED_COLOUR

SITE_TYPES = tuple(SITE_TYPE_COLOURS)
SHELTER_TYPES = ("shelter", "emergency_shelter")

# What a point's size shows: the activity that matters for its type.
SIZE_MEASURE = {"shelter": "bed_nights_occupied", "emergency_shelter": "bed_nights_occupied",
                "mobile_team": "people_reached"}
DEFAULT_SIZE_MEASURE = "consultations"
AREA_MEASURES = ("consultations", "bed_nights_occupied", "people_reached")

# Shelter occupancy classes (ColorBrewer Blues: no site type is blue, so the scale cannot
# be read as a type). Upper bounds are exclusive; the last class is "full or over".
OCCUPANCY_CLASSES = (
    (0.50, "#deebf7"),
    (0.80, "#9ecae1"),
    (0.95, "#4292c6"),
    (1.00, "#2171b5"),
    (math.inf, "#08306b"),
)
# Area fill: ColorBrewer Purples from the lightest to the darkest class.
AREA_SCALE = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")

MIN_RADIUS_PX, MAX_RADIUS_PX = 5, 22
BOUNDARY_LINE = [150, 150, 150, 255]
COMMUNE_LINE = [165, 165, 165, 255]
DEPARTEMENT_FILL = [243, 244, 246, 255]
PROGRAMME_DEPARTEMENT_FILL = [230, 232, 236, 255]
LABEL_COLOUR = [31, 41, 51, 255]
TOOLTIP_STYLE = {"backgroundColor": "#1f2933", "color": "#ffffff", "fontSize": "13px",
                 "whiteSpace": "pre-line", "padding": "8px"}


def rgba(hex_colour: str, alpha: int = 255) -> list[int]:
    value = hex_colour.lstrip("#")
    return [int(value[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]


def occupancy_colour(rate: Any) -> str:
    """The fill of a shelter with this occupancy rate; grey when unknown or hidden."""
    if rate is None or pd.isna(rate):
        return SUPPRESSED_COLOUR
    return next(colour for upper, colour in OCCUPANCY_CLASSES if rate < upper)


def largest_shown(values: Iterable[Any]) -> float:
    """The largest visible value, 0 when there is none (all hidden or nothing at all)."""
    top = pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce").max()
    return 0.0 if pd.isna(top) else float(top)


def radius_px(value: Any, largest: float) -> float:
    """A point's radius: area grows with the activity, and a quiet site stays visible."""
    if value is None or pd.isna(value) or not largest or largest <= 0:
        return MIN_RADIUS_PX
    return round(MIN_RADIUS_PX + (MAX_RADIUS_PX - MIN_RADIUS_PX) * math.sqrt(max(float(value), 0) / largest), 1)


def class_step(largest: float) -> float:
    """The width of the area classes: a fifth of the largest value, rounded up to two
    significant digits so that the legend reads 0–1 100, 1 100–2 200... rather than 1 017."""
    if not largest or largest <= 0:
        return 1.0
    raw = largest / len(AREA_SCALE)
    unit = 10 ** (math.floor(math.log10(raw)) - 1)
    return max(math.ceil(raw / unit) * unit, 1.0)


def area_colour(value: Any, largest: float) -> str:
    """The fill of an area: five equal classes up to the largest value shown."""
    if value is None or pd.isna(value):
        return SUPPRESSED_COLOUR
    index = int(float(value) // class_step(largest)) if value > 0 else 0
    return AREA_SCALE[min(index, len(AREA_SCALE) - 1)]


def size_measure(site_type: str) -> str:
    return SIZE_MEASURE.get(site_type, DEFAULT_SIZE_MEASURE)


# --- tooltips ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Texts:
    """What tooltips and legends need to say things in the reader's language, counts as the
    reader may see them ("< 11" when hidden below `threshold`). A record of plain values, so
    that a map built with it is kept by what it was built from (terrain/charts/cache.py)."""
    lang: str
    threshold: int = 0

    def count(self, value: Any, mark: str | None = None) -> str:
        """"< 11" for a hidden count that is one small cell, "[c]" for one hidden to protect
        another (its `mark`, terrain/disclosure/marks.py), the number otherwise."""
        return disclosure.format_count(value, self.threshold, self.number, mark)

    def t(self, key: str, **values: Any) -> str:
        return i18n.t(key, self.lang, **values)

    def number(self, value: Any) -> str:
        return i18n.format_number(value, self.lang)

    def percent(self, value: Any) -> str:
        return i18n.format_percent(value, self.lang)


def _worth_a_line(value: Any) -> bool:
    """A figure gets a tooltip line when it is above zero or hidden ("< k" is something)."""
    return value is not None and (pd.isna(value) or value > 0)


def tooltip_marks(frame: pd.DataFrame) -> list[dict[str, str | None]]:
    """Each row's marks of its hidden counts, in the rows' order (indicators.hidden_marks):
    a tooltip writes a count hidden to protect another as "[c]", as the tables do, not as
    "< k", which it may not be."""
    marks = {column: indicators.hidden_marks(frame, column) for column in ACTIVITY_COLUMNS if column in frame.columns}
    return [{column: marks[column][i] for column in marks} for i in range(len(frame))]


def _figures(row: pd.Series, texts: Texts, *, shelter: bool, marks: dict[str, str | None]) -> list[str]:
    def count(column: str) -> str:
        return texts.count(row[column], marks.get(column))

    lines = [texts.t("map.tooltip.consultations",
                     n=count("consultations") if "consultations" in row else texts.count(0))]
    if _worth_a_line(row.get("people_reached")):
        lines.append(texts.t("map.tooltip.people_reached", n=count("people_reached")))
    if not shelter:
        return lines
    available = row.get("bed_nights_available")
    known = available is not None and pd.notna(available)  # the door may not pass it on
    if known and available == 0:
        return [*lines, texts.t("map.tooltip.no_nights")]
    if known:
        lines.append(texts.t("map.tooltip.bed_nights", occupied=count("bed_nights_occupied"),
                             available=texts.number(available)))
    else:
        lines.append(texts.t("map.tooltip.bed_nights_occupied", n=count("bed_nights_occupied")))
    if "occupancy_rate" in row:
        rate = row["occupancy_rate"]
        lines.append(texts.t("map.tooltip.occupancy_over" if pd.notna(rate) and rate > 1 else "map.tooltip.occupancy",
                             rate=texts.percent(rate) if pd.notna(rate) else texts.t("map.hidden_rate")))
    lines.append(texts.t("map.tooltip.turned_away", n=count("turned_away")))
    return lines


def site_tooltip(row: pd.Series, texts: Texts, marks: dict[str, str | None] | None = None) -> str:
    """Name, type and city, capacity, and the period's figures of one site (`marks`: its
    row's, from tooltip_marks)."""
    lines = [str(row["name"]),
             f"{i18n.label('site_type', row['site_type'], texts.lang)} · {row['city']}"]
    if pd.notna(row.get("bed_capacity")):
        lines.append(texts.t("map.tooltip.capacity", beds=texts.number(row["bed_capacity"])))
    lines += _figures(row, texts, shelter=row["site_type"] in SHELTER_TYPES, marks=marks or {})
    return "\n".join(lines)


def area_tooltip(row: pd.Series, texts: Texts, marks: dict[str, str | None] | None = None) -> str:
    """An area's name and kind, its cities and kinds of site, and its figures for the period
    (coarsened and suppressed by the query door; `marks`: its row's, from tooltip_marks)."""
    types = [t for t in str(row["site_types"] if pd.notna(row["site_types"]) else "").split(",") if t]
    lines = [texts.t(f"map.area_kind.{row['area_kind']}", name=row["nom"])]
    if row["cities"]:   # an area shown as its département names nothing finer
        lines.append(", ".join(row["cities"]))
    if types and pd.notna(row["site_count"]):
        lines.append(texts.t("map.tooltip.sites", n=texts.number(row["site_count"]),
                             types=", ".join(i18n.label("site_type", t, texts.lang) for t in types)))
    # an area that names no kind of site shows its shelter figures where it has beds
    shelter = bool(set(types) & set(SHELTER_TYPES)) or (
        not types and not (pd.notna(row.get("bed_nights_available")) and row.get("bed_nights_available") == 0))
    lines += _figures(row, texts, shelter=shelter, marks=marks or {})
    return "\n".join(lines)


# --- boundaries -------------------------------------------------------------------------------

def _features(shapes: gpd.GeoDataFrame) -> dict:
    return json.loads(shapes.to_json(drop_id=True))


@functools.cache
def _departement_features(highlighted: frozenset[str]) -> dict:
    shapes = maps.departements().copy()
    shapes["tooltip"] = shapes["nom"] + " (" + shapes["code"] + ")"
    shapes["fill"] = [PROGRAMME_DEPARTEMENT_FILL if code in highlighted else DEPARTEMENT_FILL
                      for code in shapes["code"]]
    return _features(shapes)


@functools.cache
def _commune_features(codes: tuple[str, ...]) -> dict:
    return _features(maps.shapes_of("commune", codes))


def boundary_layers(*, programme_departements: Iterable[str], communes: tuple[str, ...] = ()) -> list[pdk.Layer]:
    """Départements (the programme's a shade darker, hoverable for their names) and, in a
    close view, the communes it shows."""
    layers = [pdk.Layer(
        "GeoJsonLayer", id="departements", data=_departement_features(frozenset(programme_departements)),
        filled=True, stroked=True, get_fill_color="properties.fill", get_line_color=BOUNDARY_LINE,
        line_width_units="'pixels'", get_line_width=1, pickable=True)]
    if communes:
        layers.append(pdk.Layer(
            "GeoJsonLayer", id="communes", data=_commune_features(tuple(communes)), filled=False, stroked=True,
            get_line_color=COMMUNE_LINE, line_width_units="'pixels'", get_line_width=1, pickable=False))
    return layers


LABEL_SIZE_PX = 13
LABEL_CHAR_PX = 7.4      # a character of the label font at 13 px, a little generous
LABEL_HEIGHT_PX = 20     # with its background's padding
LABEL_GAP_PX = 4
# Where a label may go, from its place, in pixels (x east, y south): on it, then above,
# below, to either side, and further above or below. A label that fits nowhere is not
# written: its name is in the tooltip of its area or points.
LABEL_SPOTS = ((0, 0), (0, -22), (0, 22), (1, 0), (-1, 0), (0, -44), (0, 44))
# Beside a place rather than on it, where points are drawn there (the sites' map).
LABEL_SPOTS_BESIDE = ((1, 0), (-1, 0), (0, -26), (0, 26), (1, -22), (-1, -22), (1, 22), (-1, 22))


@dataclass(frozen=True)
class Placed:
    name: str
    longitude: float
    latitude: float
    dx: float
    dy: float
    box: tuple[float, float, float, float]   # left, top, right, bottom, pixels from the map's centre


def label_box(name: str, x: float, y: float) -> tuple[float, float, float, float]:
    half_w = (len(name) * LABEL_CHAR_PX + 8) / 2
    half_h = LABEL_HEIGHT_PX / 2
    return x - half_w, y - half_h, x + half_w, y + half_h


def _overlap(a: tuple, b: tuple) -> bool:
    return not (a[2] + LABEL_GAP_PX <= b[0] or b[2] + LABEL_GAP_PX <= a[0]
                or a[3] + LABEL_GAP_PX <= b[1] or b[3] + LABEL_GAP_PX <= a[1])


def place_labels(names: Iterable[str], longitudes: Iterable[float], latitudes: Iterable[float],
                 view: maps.View, spots: tuple = LABEL_SPOTS) -> list[Placed]:
    """Labels that do not collide on a map showing `view`: each, in the order given (the
    first are placed first), goes to the first of LABEL_SPOTS where its box touches no
    label already placed; one that fits nowhere is left out."""
    placed: list[Placed] = []
    for name, longitude, latitude in zip(names, longitudes, latitudes):
        x, y = maps.pixel(longitude, latitude, view)
        half_w = (len(name) * LABEL_CHAR_PX + 8) / 2
        for side, dy in spots:
            dx = side * (half_w + 10)
            box = label_box(name, x + dx, y + dy)
            if not any(_overlap(box, other.box) for other in placed):
                placed.append(Placed(name, longitude, latitude, dx, dy, box))
                break
    return placed


def labels_layer(shapes: gpd.GeoDataFrame, view: maps.View, *, beside: bool = False) -> pdk.Layer:
    """The names of the areas that hold activity, at a point inside each (not at a site),
    moved aside where two would collide at the view's zoom (place_labels); `beside` the
    point where sites are drawn there."""
    points = shapes.geometry.representative_point()
    placed = place_labels(shapes["nom"].astype(str), points.x.round(5), points.y.round(5), view,
                          LABEL_SPOTS_BESIDE if beside else LABEL_SPOTS)
    data = pd.DataFrame({"name": [p.name for p in placed], "longitude": [p.longitude for p in placed],
                         "latitude": [p.latitude for p in placed],
                         "offset": [[round(p.dx), round(p.dy)] for p in placed]})
    return pdk.Layer("TextLayer", id="labels", data=data, get_position=["longitude", "latitude"],
                     get_text="name", get_color=LABEL_COLOUR, get_size=LABEL_SIZE_PX, size_units="'pixels'",
                     get_pixel_offset="offset", get_text_anchor="'middle'", get_alignment_baseline="'center'",
                     font_family="'Source Sans Pro, Helvetica, Arial, sans-serif'",
                     background=True, get_background_color=[255, 255, 255, 210],
                     background_padding=[4, 2, 4, 2])


# --- sites (programme managers) ---------------------------------------------------------------

def site_layers(sites: pd.DataFrame, types: Iterable[str], texts: Texts) -> list[pdk.Layer]:
    """One ScatterplotLayer per site type shown, with id "sites-<type>". Sizes are comparable
    across the layers that measure the same thing (bed-nights, consultations, people reached)."""
    measures = {size_measure(t) for t in SITE_TYPES} & set(sites.columns)
    top = {measure: largest_shown(sites[measure]) for measure in measures}
    layers = []
    for site_type in [t for t in SITE_TYPES if t in set(types)]:
        part = sites[sites["site_type"] == site_type]
        if part.empty:
            continue
        measure = size_measure(site_type)
        type_colour = SITE_TYPE_COLOURS[site_type]
        if site_type in SHELTER_TYPES:
            fills = [rgba(occupancy_colour(rate), 235) for rate in part["occupancy_rate"]]
        else:
            fills = [rgba(type_colour, 215)] * len(part)
        data = pd.DataFrame({
            "longitude": part["longitude"].astype(float).to_numpy(),
            "latitude": part["latitude"].astype(float).to_numpy(),
            "radius": [radius_px(v, top.get(measure, 0)) for v in part[measure]],
            "fill": fills,
            "tooltip": [site_tooltip(row, texts, marks)
                        for (_, row), marks in zip(part.iterrows(), tooltip_marks(part))],
        })
        layers.append(pdk.Layer(
            "ScatterplotLayer", id=f"sites-{site_type}", data=data, get_position=["longitude", "latitude"],
            get_radius="radius", radius_units="'pixels'", get_fill_color="fill", stroked=True,
            get_line_color=rgba(type_colour), line_width_units="'pixels'",
            get_line_width=3 if site_type in SHELTER_TYPES else 1, pickable=True))
    return layers


# --- areas (everyone else) --------------------------------------------------------------------

def area_layer(areas: gpd.GeoDataFrame, measure: str, texts: Texts, top: float) -> pdk.Layer:
    """The coarsened areas (maps.area_shapes) as polygons filled by `measure` on a scale up
    to `top`: layer "areas"."""
    shown = areas[["area_kind", "area_code", "geometry"]].copy()
    shown["fill"] = [rgba(area_colour(v, top), 200) for v in areas[measure]]
    shown["tooltip"] = [area_tooltip(row, texts, marks)
                        for (_, row), marks in zip(areas.iterrows(), tooltip_marks(areas))]
    return pdk.Layer("GeoJsonLayer", id="areas", data=_features(shown), filled=True, stroked=True,
                     get_fill_color="properties.fill", get_line_color=[84, 39, 143, 255],
                     line_width_units="'pixels'", get_line_width=2, pickable=True)


def area_scale(areas: pd.DataFrame, measure: str) -> list[tuple[str, float, float]]:
    """The legend of the area fill: (colour, from, up to) per class."""
    step = class_step(largest_shown(areas[measure]))
    return [(colour, i * step, (i + 1) * step) for i, colour in enumerate(AREA_SCALE)]


# --- the deck -------------------------------------------------------------------------------

class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents it, which triples the weight of
    the boundary coordinates Streamlit sends to the browser on every rerun."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def deck(layers: list[pdk.Layer], view: maps.View, style: str | None, *, height: int = 560) -> pdk.Deck:
    """The map. With no style configured there is no basemap at all: pydeck's sentinel style
    (map_provider=None) is what tells Streamlit not to fetch Carto tiles, which it does for
    map_style=None."""
    base = {"map_provider": "carto", "map_style": style} if style else {"map_provider": None}
    return CompactDeck(
        layers=layers, height=height,
        initial_view_state=pdk.ViewState(latitude=view.latitude, longitude=view.longitude, zoom=view.zoom),
        tooltip={"text": "{tooltip}", "style": TOOLTIP_STYLE}, **base)


# --- the legend (drawn by Streamlit next to the map) ------------------------------------------

def _swatch(fill: str, line: str | None = None, *, round_: bool = True) -> str:
    border = f"border:2px solid {line};" if line else "border:1px solid #999;"
    shape = "border-radius:50%;" if round_ else "border-radius:2px;"
    return (f'<span style="display:inline-block;width:14px;height:14px;margin-right:6px;'
            f'vertical-align:middle;background:{fill};{border}{shape}"></span>')


def site_legend_html(type_counts: dict[str, int], texts: Texts) -> str:
    """Site types with their colour and the number of sites shown, then the occupancy scale."""
    rows = [f"<div><b>{html.escape(texts.t('map.legend.site_types'))}</b></div>"]
    for site_type in SITE_TYPES:
        if site_type in type_counts:
            colour = SITE_TYPE_COLOURS[site_type]
            fill = "#ffffff" if site_type in SHELTER_TYPES else colour
            rows.append(f"<div>{_swatch(fill, colour)}{html.escape(i18n.label('site_type', site_type, texts.lang))}"
                        f" ({type_counts[site_type]})</div>")
    rows.append(f"<div style='margin-top:8px'><b>{html.escape(texts.t('map.legend.occupancy'))}</b></div>")
    bounds = [0.0] + [upper for upper, _ in OCCUPANCY_CLASSES[:-1]]
    for (upper, colour), lower in zip(OCCUPANCY_CLASSES, bounds):
        if math.isinf(upper):
            text = texts.t("map.legend.occupancy_full", rate=texts.percent(lower))
        else:
            text = texts.t("map.legend.occupancy_class", low=texts.percent(lower), high=texts.percent(upper))
        rows.append(f"<div>{_swatch(colour, None)}{html.escape(text)}</div>")
    rows.append(f"<div>{_swatch(SUPPRESSED_COLOUR, None)}{html.escape(texts.t('map.legend.no_nights'))}</div>")
    rows.append(f"<div style='margin-top:8px;color:#52606d'>{html.escape(texts.t('map.legend.size'))}</div>")
    return "<div style='font-size:14px;line-height:1.7'>" + "".join(rows) + "</div>"


def area_legend_html(areas: pd.DataFrame, measure: str, texts: Texts) -> str:
    """The area fill classes for `measure`, and what the polygons stand for."""
    rows = [f"<div><b>{html.escape(texts.t(f'map.measure.{measure}'))}</b></div>"]
    for colour, low, high in area_scale(areas, measure):
        rows.append(f"<div>{_swatch(colour, None, round_=False)}"
                    f"{html.escape(texts.t('map.legend.range', low=texts.number(low), high=texts.number(high)))}</div>")
    if texts.threshold:
        rows.append(f"<div>{_swatch(SUPPRESSED_COLOUR, None, round_=False)}"
                    f"{html.escape(texts.t('map.legend.hidden', k=texts.threshold))}</div>")
    rows.append(f"<div style='margin-top:8px;color:#52606d'>{html.escape(texts.t('map.legend.areas'))}</div>")
    return "<div style='font-size:14px;line-height:1.7'>" + "".join(rows) + "</div>"


# --- whole maps -----------------------------------------------------------------------------

ACTIVITY_COLUMNS = ("consultations", "people_reached", "bed_nights_occupied", "turned_away")


def has_activity(frame: pd.DataFrame) -> bool:
    """Whether any figure of the period is above zero (a hidden count is a count)."""
    columns = [c for c in ACTIVITY_COLUMNS if c in frame.columns]
    values = frame[columns]
    return bool(values.isna().any().any() or (values.fillna(0) > 0).any().any())


def sites_deck(sites: pd.DataFrame, *, view: maps.View, types: Iterable[str], texts: Texts,
               style: str | None) -> pdk.Deck:
    """Programme managers' map: boundaries, one point layer per site type, place names."""
    holding = maps.shapes_of("commune", sites["commune_code"].unique())
    layers = boundary_layers(programme_departements=sites["departement"].unique(),
                             communes=maps.communes_in_view(view))
    layers += site_layers(sites, types, texts)
    if not holding.empty:
        layers.append(labels_layer(holding, view, beside=True))
    return deck(layers, view, style)


def areas_deck(areas: gpd.GeoDataFrame, *, view: maps.View, measure: str, texts: Texts,
               style: str | None) -> pdk.Deck:
    """Everyone else's map: boundaries and the coarsened areas as filled polygons."""
    layers = boundary_layers(programme_departements=set(areas["departement"]),
                             communes=maps.communes_in_view(view))
    drawable = areas[areas.geometry.notna()]
    if not drawable.empty:
        layers += [area_layer(drawable, measure, texts, largest_shown(areas[measure])), labels_layer(drawable, view)]
    return deck(layers, view, style)


# --- the table under the map ------------------------------------------------------------------

FIGURES = ("consultations", "people_reached", "bed_nights_occupied", "bed_nights_available",
           "occupancy_percent", "turned_away")
SITE_COLUMNS = ("site_id", "name", "city", "commune_code", "departement", "site_type", "population_focus",
                "bed_capacity", "latitude", "longitude", *FIGURES)
AREA_COLUMNS = ("area", "area_kind", "area_code", "cities", "site_types", *FIGURES)
SHOWN_SITE_COLUMNS = ("name", "city", "site_type", "bed_capacity", *FIGURES)
SHOWN_AREA_COLUMNS = ("area", "area_kind", "cities", "site_types", *FIGURES)


def table(places: pd.DataFrame, *, city: str, exact: bool, lang: str) -> pd.DataFrame:
    """The rows of the view for the table and its downloads, category names in the reader's
    language; the door's provenance and suppression (frame.attrs) are kept for "< k"."""
    rows = pd.DataFrame(places[maps.in_city(places, city)])
    if "occupancy_rate" in rows.columns:
        rows["occupancy_percent"] = (pd.to_numeric(rows["occupancy_rate"], errors="coerce") * 100).round(1)
    if exact:
        rows["site_type"] = [i18n.label("site_type", v, lang) for v in rows["site_type"]]
        rows["population_focus"] = [i18n.label("population_focus", v, lang) for v in rows["population_focus"]]
    else:
        rows["area"] = rows["nom"]
        rows["area_kind"] = [i18n.t(f"map.area_kind_name.{v}", lang) for v in rows["area_kind"]]
        rows["cities"] = [", ".join(cities) for cities in rows["cities"]]
        rows["site_types"] = [", ".join(i18n.label("site_type", t, lang) for t in str(types).split(",") if t)
                              for types in rows["site_types"]]
    rows = rows[[c for c in (SITE_COLUMNS if exact else AREA_COLUMNS) if c in rows.columns]].reset_index(drop=True)
    rows.attrs = dict(places.attrs)
    return rows


def table_columns(exact: bool, lang: str) -> dict[str, str]:
    """Headers of the columns shown on screen (the downloads carry every column)."""
    return {column: i18n.t(f"map.column.{column}", lang)
            for column in (SHOWN_SITE_COLUMNS if exact else SHOWN_AREA_COLUMNS)}

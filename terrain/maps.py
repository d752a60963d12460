"""Geography for the map page: boundary files, the extent of each view, the basemap setting.

The boundaries (data/geo/, see its SOURCE.md) make the map legible with no tile server, and
they give the shapes that sites are coarsened to for everyone but programme managers
(terrain/disclosure/ decides which area a site goes to; this module only draws it).
"""

from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import geopandas as gpd
import pandas as pd
import shapely

from terrain import ROOT

GEO_DIR = ROOT / "data" / "geo"
FRANCE = "france"
MAP_STYLE_ENV = "TERRAIN_MAP_STYLE"

# deck.gl's Web Mercator world is 512 pixels wide at zoom 0.
_WORLD_PIXELS = 512
# The map is 560 px high, and as wide as its column: about 800 px on a desktop, 340 px on a
# phone. deck.gl keeps the centre and zoom whatever the width, so a view is fitted to the
# narrowest (everything it frames is seen on a phone too), and what a view may show is
# reckoned at the widest (communes to draw).
MAP_WIDTH, MAP_HEIGHT = 900, 560
FIT_WIDTH = 340
# Communes are drawn from this zoom on (a city's surroundings); further out their lines are
# a grey smudge that weighs hundreds of kilobytes.
COMMUNE_ZOOM = 9.0
# A view never zooms closer than a neighbourhood: a city with one site would otherwise
# zoom to a street corner.
MAX_ZOOM = 12.5
MIN_ZOOM = 3.0


@dataclass(frozen=True)
class Bounds:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def around(cls, longitudes: Iterable[float], latitudes: Iterable[float]) -> Bounds:
        lons, lats = list(longitudes), list(latitudes)
        if not lons or not lats:
            raise ValueError("No point to take bounds around.")
        return cls(min(lons), min(lats), max(lons), max(lats))

    @classmethod
    def of_shapes(cls, shapes: gpd.GeoDataFrame) -> Bounds:
        if shapes.empty:
            raise ValueError("No shape to take bounds of.")
        return cls(*(float(v) for v in shapes.total_bounds))

    def contains(self, longitude: float, latitude: float) -> bool:
        return self.west <= longitude <= self.east and self.south <= latitude <= self.north


@dataclass(frozen=True)
class View:
    latitude: float
    longitude: float
    zoom: float


# --- boundaries -------------------------------------------------------------------------------

# Five decimals of a degree are about a metre: finer digits only weigh on the map's JSON,
# which the browser receives on every rerun.
COORDINATE_DECIMALS = 5


def _read(path) -> gpd.GeoDataFrame:
    # GeoJSON (RFC 7946: longitude, latitude on WGS 84) read as JSON: the general reader
    # (pyogrio, GDAL) would add 40 MiB to every app process for six small files.
    features = json.loads(Path(path).read_text(encoding="utf-8"))["features"]
    frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    frame["geometry"] = shapely.transform(frame.geometry.values, lambda xy: xy.round(COORDINATE_DECIMALS))
    return frame


@functools.cache
def departements() -> gpd.GeoDataFrame:
    """The départements of metropolitan France: code, nom, geometry (read once per process)."""
    return _read(GEO_DIR / "departements.geojson")[["code", "nom", "geometry"]]


@functools.cache
def communes() -> gpd.GeoDataFrame:
    """The communes of the programme's départements: code, nom, departement, geometry."""
    parts = [_read(path) for path in sorted(GEO_DIR.glob("communes-*.geojson"))]
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    frame["departement"] = frame["code"].str[:2]
    return frame[["code", "nom", "departement", "geometry"]]


def shapes_of(area_kind: str, codes: Iterable[str]) -> gpd.GeoDataFrame:
    """The shapes of communes or départements by INSEE code: code, nom, geometry."""
    table = {"commune": communes, "departement": departements}.get(area_kind)
    if table is None:
        raise ValueError(f"Unknown area kind {area_kind!r}; expected commune or departement.")
    frame = table()
    return frame[frame["code"].isin(set(codes))][["code", "nom", "geometry"]]


def area_shapes(areas: pd.DataFrame) -> gpd.GeoDataFrame:
    """Coarsened rows (area_kind, area_code, figures...) with each area's name (`nom`) and
    shape, in the rows' order. A commune outside the boundary files (data/geo/ holds the
    programme's départements only) keeps its row, named by its code, with no shape: it is
    listed, not drawn."""
    shapes = pd.concat(
        [shapes_of(kind, areas.loc[areas["area_kind"] == kind, "area_code"]).assign(area_kind=kind)
         for kind in ("commune", "departement")], ignore_index=True)
    joined = areas.merge(shapes.rename(columns={"code": "area_code"}), on=["area_kind", "area_code"], how="left",
                         validate="many_to_one")
    # the rows keep their labels: the door's per-row flags and marks are read by them
    # (terrain/indicators.py), in a part of a result as in the whole
    joined.index = areas.index
    joined["nom"] = joined["nom"].fillna(joined["area_code"])
    result = gpd.GeoDataFrame(joined, geometry="geometry", crs=departements().crs)
    result.attrs = dict(areas.attrs)  # the door's provenance and suppression travel with the rows
    return result


def france_bounds() -> Bounds:
    return Bounds.of_shapes(departements())


# --- views -------------------------------------------------------------------------------------

def parse_view(raw: str | None, cities: Iterable[str]) -> tuple[str, bool]:
    """The view named by a URL parameter: FRANCE or one of `cities`. Returns the view and
    whether the parameter was invalid (it then falls back to FRANCE)."""
    cities = list(cities)
    if raw in (None, "", FRANCE):
        return FRANCE, False
    if raw in cities:
        return raw, False
    return FRANCE, True


def _mercator_y(latitude: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2))


def _latitude(mercator_y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(mercator_y)) - math.pi / 2)


def view_of(bounds: Bounds, *, width: int = FIT_WIDTH, height: int = MAP_HEIGHT, margin: float = 0.15) -> View:
    """The centre and zoom that show `bounds` whole in a map of width × height pixels,
    leaving `margin` of each side free."""
    usable_w, usable_h = width * (1 - 2 * margin), height * (1 - 2 * margin)
    lon_span = max(bounds.east - bounds.west, 1e-9)
    y_south, y_north = _mercator_y(bounds.south), _mercator_y(bounds.north)
    y_span = max(y_north - y_south, 1e-9)
    zoom = min(math.log2(usable_w * 360 / (_WORLD_PIXELS * lon_span)),
               math.log2(usable_h * 2 * math.pi / (_WORLD_PIXELS * y_span)))
    return View(latitude=round(_latitude((y_south + y_north) / 2), 5),
                longitude=round((bounds.west + bounds.east) / 2, 5),
                zoom=round(min(max(zoom, MIN_ZOOM), MAX_ZOOM), 2))


def visible_bounds(view: View, *, width: int = MAP_WIDTH, height: int = MAP_HEIGHT) -> Bounds:
    """What a map of width × height pixels shows around `view`."""
    world = _WORLD_PIXELS * 2 ** view.zoom
    half_lon = width / world * 180
    half_y = height / world * math.pi
    y = _mercator_y(view.latitude)
    return Bounds(view.longitude - half_lon, _latitude(y - half_y), view.longitude + half_lon, _latitude(y + half_y))


def communes_in_view(view: View) -> tuple[str, ...]:
    """The codes of the communes a view shows, when it is close enough to draw them."""
    if view.zoom < COMMUNE_ZOOM:
        return ()
    box = visible_bounds(view)
    shown = communes().cx[box.west:box.east, box.south:box.north]
    return tuple(sorted(shown["code"]))


def map_style() -> str | None:
    """The basemap style configured for this installation, or None for no tiles at all.

    Tiles come from a server (and tell it where our users look): they are opt-in, through
    the TERRAIN_MAP_STYLE environment variable (a style URL, or pydeck's "light"/"road")."""
    return os.environ.get(MAP_STYLE_ENV, "").strip() or None


def france_view() -> View:
    """Metropolitan France whole, for a view with no place to frame."""
    return view_of(france_bounds(), margin=0.04)


def pixel(longitude: float, latitude: float, view: View) -> tuple[float, float]:
    """Where a point falls on a map showing `view`, in pixels from the map's centre (x to
    the east, y to the south), as deck.gl's Web Mercator projection puts it."""
    world = _WORLD_PIXELS * 2 ** view.zoom
    x = (longitude - view.longitude) / 360 * world
    y = -(_mercator_y(latitude) - _mercator_y(view.latitude)) / (2 * math.pi) * world
    return x, y


def in_city(places: pd.DataFrame, city: str) -> pd.Series:
    """Which rows hold activity of `city`: sites by their city, areas by the cities they hold."""
    if city == FRANCE:
        return pd.Series(True, index=places.index)
    if "areas_of_cities" in places.attrs:   # areas, which name no city where shown as a département
        return places["area_code"].isin(places.attrs["areas_of_cities"].get(city, ()))
    if "cities" in places.columns:
        return places["cities"].map(lambda cities: city in cities)
    return places["city"] == city


def view_for_sites(sites: pd.DataFrame, city: str) -> View | None:
    """The view of a city from its sites' exact points (programme managers); France's frames
    every site with a margin (France whole when there is none). None when the city has no
    site in `sites`."""
    if city == FRANCE:
        return view_of(Bounds.around(sites["longitude"], sites["latitude"])) if len(sites) else france_view()
    own = sites[in_city(sites, city)]
    if own.empty:
        return None
    return view_of(Bounds.around(own["longitude"], own["latitude"]))


def view_for_areas(areas: gpd.GeoDataFrame, city: str) -> View | None:
    """The view of a city from the shapes of the areas holding its activity (never from
    points); France's frames every area shown with a margin (France whole when there is
    none). None when no area holds any of the city's sites."""
    if city == FRANCE:
        drawn = areas[areas.geometry.notna()]
        return view_of(Bounds.of_shapes(drawn)) if len(drawn) else france_view()
    own = areas[in_city(areas, city) & areas.geometry.notna()]
    if own.empty:
        return None
    return view_of(Bounds.of_shapes(own))

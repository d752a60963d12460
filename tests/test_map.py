"""The map page: its query, geography, layer builders and the page itself (AppTest) on the
fixture database, with figures computed by hand from tests/fixture_data.py, January 2024:

- Calais camps (camp): 30 + 12 + 3 = 45 consultations.
- Calais emergency shelter (emergency shelter, 50 beds): open 8–21 January, 650 of 700
  bed-nights occupied (92.9 %), 37 people turned away; no consultation.
- Pantin girls' shelter (shelter, 10 beds): 8 consultations; 310 of 310 bed-nights (100 %),
  3 turned away.
- Marseille minors' shelter (shelter, 20 beds): nothing in January (its nights are in February).
- Paris La Chapelle mobile team: 25 + 12 = 37 people reached; no consultation.

Outside the programme, sites go to their commune, or to their département where the commune
holds a single sensitive site (camp, squat, shelter under 30 beds; terrain/disclosure/):
Calais (one camp, and a 50-bed shelter that is not sensitive) goes to département 62,
Pantin (one 10-bed shelter) to 93, Marseille (one 20-bed shelter) to 13; Paris (one mobile
team, not sensitive) stays a commune.
"""

import datetime as dt
import html
import json
import math
import re

import duckdb
import pandas as pd
import pytest

from terrain import ROOT, disclosure, filters, i18n, indicators, maps, queries, roles
from terrain.disclosure import publication
from terrain.charts import SITE_TYPE_COLOURS, SUPPRESSED_COLOUR, map_figure
from terrain.charts import map as site_map
from tests import fixture_data
from tests.apptest import run_page, table_texts

JANUARY = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31)}
FR = lambda key, **values: i18n.t(key, "fr", **values)
RESTRICTED = [role for role in roles.ROLES if not roles.can(role, "see_exact_locations")]
SITE_POINTS = {site[0]: (site[7], site[6]) for site in fixture_data.SITES}  # site_id: (lon, lat)


# --- the query ------------------------------------------------------------------------------

def test_sites_and_their_january_figures_for_a_manager(fixture_con):
    frame = queries.run(fixture_con, "map_sites_activity", JANUARY, role="programme_manager")
    rows = frame.set_index("site_id")
    assert sorted(rows.index) == sorted(SITE_POINTS)  # every site open in January, quiet or not
    assert rows.loc["calais_camps", ["consultations", "bed_nights_occupied"]].tolist() == [45, 0]
    shelter = rows.loc["calais_emergency_shelter"]
    assert (shelter.bed_nights_occupied, shelter.bed_nights_available, shelter.turned_away) == (650, 700, 37)
    assert shelter.occupancy_rate == pytest.approx(650 / 700)
    pantin = rows.loc["pantin_girls_shelter"]
    assert (pantin.consultations, pantin.bed_nights_occupied, pantin.turned_away) == (8, 310, 3)
    assert pantin.occupancy_rate == 1.0
    assert rows.loc["paris_la_chapelle_mobile", "people_reached"] == 37
    assert pd.isna(rows.loc["marseille_minors_shelter", "occupancy_rate"])
    assert (rows.loc["calais_camps", "longitude"], rows.loc["calais_camps", "latitude"]) == (1.88, 50.95)


def test_a_site_closed_before_the_period_is_not_on_the_map(fixture_con):
    # Only the Paris mobile team (opened June 2016) was open in July 2016.
    frame = queries.run(fixture_con, "map_sites_activity", {"start": dt.date(2016, 7, 1), "end": dt.date(2016, 7, 31)},
                        role="programme_manager")
    assert frame["site_id"].tolist() == ["paris_la_chapelle_mobile"]
    assert not site_map.has_activity(frame)


def _shown(value):
    return None if pd.isna(value) else int(value)


# Per area: consultations, people reached, bed-nights occupied, turned away. The whole map's
# total is taken as published (other pages give the programme's totals), so each hidden
# count takes a partner: Pantin's 3 people turned away hide Calais's 37; for donors, Pantin's
# 8 consultations hide Calais's 45 too.
def test_the_monthly_companion_holds_each_months_map(tmp_path):
    # Donors' maps are read from map_sites_activity_by_month (one scan, split by month): each
    # month's rows must be map_sites_activity's for that month alone, with a site closing in
    # January and one opening in February.
    path = fixture_data.build(tmp_path / "sites.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE sites SET closed = DATE '2024-01-15' WHERE site_id = 'pantin_girls_shelter'")
        con.execute("UPDATE sites SET opened = DATE '2024-02-10' WHERE site_id = 'marseille_minors_shelter'")
    con = duckdb.connect(str(path), read_only=True)
    months = queries.run(con, "map_sites_activity_by_month",
                         {"start": dt.date(2023, 11, 1), "end": dt.date(2024, 3, 31)}, role="programme_manager")
    assert months["period"].nunique() == 5 and months["consultations"].sum() > 0
    sites = months.groupby("period")["site_id"].agg(set)
    assert "pantin_girls_shelter" in sites[pd.Timestamp(2024, 1, 1)] - sites[pd.Timestamp(2024, 2, 1)]
    assert "marseille_minors_shelter" in sites[pd.Timestamp(2024, 2, 1)] - sites[pd.Timestamp(2024, 1, 1)]
    for first in pd.date_range("2023-11-01", "2024-03-01", freq="MS"):
        last = (first + pd.offsets.MonthEnd(0)).date()
        alone = queries.run(con, "map_sites_activity", {"start": first.date(), "end": last},
                            role="programme_manager")
        month = months[months["period"] == first].drop(columns="period").reset_index(drop=True)
        pd.testing.assert_frame_equal(month, alone, check_dtype=False)


AREA_FIGURES = {
    "advocacy": {"62": (45, 0, 650, None), "93": (8, 0, 310, None), "13": (0, 0, 0, 0), "75056": (0, 37, 0, 0)},
    # Calais's 45 consultations and 37 people turned away are shown: Pantin's small counts are
    # protected by the totals over cities, which the published set hides instead.
    "donor": {"62": (45, 0, 650, 37), "93": (None, 0, 310, None), "13": (0, 0, 0, 0), "75056": (0, 37, 0, 0)},
}


@pytest.mark.parametrize("role", RESTRICTED)
def test_other_roles_get_areas_and_no_site(role, fixture_con):
    frame = queries.run(fixture_con, "map_sites_activity", JANUARY, role=role)
    assert not {"latitude", "longitude", "site_id", "name"} & set(frame.columns)
    assert set(zip(frame["area_kind"], frame["area_code"])) == {
        ("departement", "62"), ("commune", "75056"), ("departement", "93"), ("departement", "13")}
    figures = {row.area_code: tuple(_shown(row[c]) for c in ("consultations", "people_reached",
                                                              "bed_nights_occupied", "turned_away"))
               for _, row in frame.iterrows()}
    assert figures == AREA_FIGURES[role]
    # Marseille's shelter had no night in January: its area has no occupancy rate, not 0 %
    rates = dict(zip(frame["area_code"], frame["occupancy_rate"]))
    assert pd.isna(rates["13"]) and rates["93"] == 1.0 and rates["62"] == pytest.approx(650 / 700)


@pytest.mark.parametrize("role", RESTRICTED)
def test_a_departement_holding_two_cities_shows_the_rate_of_their_summed_beds(role, tmp_path):
    # Marseille's 20-bed shelter moved to Saint-Denis: Pantin and Marseille, each a single
    # small shelter in its commune, both go to département 93. Its occupancy is their beds
    # added up (January: Pantin's 310 of 310, Marseille nothing; December to February: 832 of
    # 890), never one city's rate (Marseille's 0 or 90 %), and a city's own area keeps its own.
    path = fixture_data.build(tmp_path / "two-cities.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE sites SET commune_code = '93066', departement = '93' WHERE site_id = 'marseille_minors_shelter'")
        publication.build(con)    # as every write of new sites does (store.new_database)
    con = duckdb.connect(str(path), read_only=True)
    winter = {"start": dt.date(2023, 12, 1), "end": dt.date(2024, 2, 29)}
    for period, (occupied, available) in ((JANUARY, (310, 310)), (winter, (832, 890))):
        frame = queries.run(con, "map_sites_activity", period, role=role).set_index("area_code")
        assert frame.loc["93", "cities"] == () and "13" not in frame.index
        assert (frame.loc["93", "bed_nights_occupied"], frame.loc["93", "bed_nights_available"]) == (occupied, available)
        assert frame.loc["93", "occupancy_rate"] == pytest.approx(occupied / available)
        calais = queries.run(con, "occupancy_summary_by_city", {**period, "cities": ["Calais"]}, role=role)
        assert frame.loc["62", "occupancy_rate"] == pytest.approx(calais["occupancy_rate"].iloc[0])
    con.close()


# --- geography ------------------------------------------------------------------------------

def test_boundary_files_hold_france_and_the_programme_communes():
    assert len(maps.departements()) == 96
    assert maps.communes().groupby("departement").size().to_dict() == {
        "13": 119, "59": 648, "62": 891, "75": 1, "93": 40}
    assert maps.shapes_of("commune", ["62193", "93055"]).set_index("code")["nom"].to_dict() == {
        "62193": "Calais", "93055": "Pantin"}
    assert maps.shapes_of("departement", ["59"])["nom"].tolist() == ["Nord"]
    assert (ROOT / "data" / "geo" / "SOURCE.md").is_file()


@pytest.mark.parametrize("raw, expected", [
    (None, ("france", False)), ("", ("france", False)), ("france", ("france", False)),
    ("Calais", ("Calais", False)), ("calais", ("france", True)), ("Lyon", ("france", True)),
    ("'; DROP TABLE sites; --", ("france", True)),
])
def test_view_parameter(raw, expected):
    assert maps.parse_view(raw, ["Calais", "Pantin"]) == expected


def test_a_view_fits_its_bounds_and_never_zooms_to_a_street_corner():
    calais = maps.Bounds.around([1.86, 1.88], [50.95, 50.95])
    view = maps.view_of(calais)
    assert calais.contains(view.longitude, view.latitude)
    assert view.zoom == maps.MAX_ZOOM  # 1.4 km across: clamped
    # A view is fitted to a phone's map, 340 px wide: 70 % of it must hold 1° of longitude,
    # log2(238 × 360 / 512) = 7.39, tighter than the 7.96 that 0.7° of latitude at 50.85° N
    # (0.0193 Mercator radians) allows in 70 % of 560 px: log2(392 × 2π / (512 × 0.0193)).
    wide = maps.view_of(maps.Bounds(1.5, 50.5, 2.5, 51.2))
    assert (wide.longitude, wide.zoom) == (2.0, 7.39)
    france = maps.france_view()
    assert maps.france_bounds().contains(france.longitude, france.latitude)
    assert 3.5 < france.zoom < 6


def test_a_close_view_draws_the_communes_it_shows():
    calais = maps.view_of(maps.Bounds.around([1.86, 1.88], [50.95, 50.95]))
    box = maps.visible_bounds(calais)
    assert box.contains(1.86, 50.95) and box.contains(1.88, 50.95)
    shown = maps.communes_in_view(calais)
    assert "62193" in shown and "93055" not in shown
    assert len(shown) < 30
    assert maps.communes_in_view(maps.france_view()) == ()


# --- layer builders -------------------------------------------------------------------------

@pytest.mark.parametrize("rate, colour", [
    (0.0, "#deebf7"), (0.49, "#deebf7"), (0.5, "#9ecae1"), (650 / 700, "#4292c6"), (0.99, "#2171b5"),
    (1.0, "#08306b"), (1.3, "#08306b"), (float("nan"), SUPPRESSED_COLOUR), (None, SUPPRESSED_COLOUR),
])
def test_occupancy_classes(rate, colour):
    assert site_map.occupancy_colour(rate) == colour


def test_point_size_grows_with_activity_and_a_quiet_site_stays_visible():
    assert site_map.radius_px(0, 650) == site_map.MIN_RADIUS_PX
    assert site_map.radius_px(float("nan"), 650) == site_map.MIN_RADIUS_PX
    assert site_map.radius_px(650, 650) == site_map.MAX_RADIUS_PX
    assert site_map.radius_px(310, 650) == round(5 + 17 * math.sqrt(310 / 650), 1)


@pytest.mark.parametrize("largest, step", [(5087, 1100), (45, 9), (3, 1), (0, 1), (100_000, 20_000)])
def test_area_classes_have_round_steps(largest, step):
    assert site_map.class_step(largest) == step


# --- the page -------------------------------------------------------------------------------

def _page(monkeypatch, fixture_db, role, *, period=("2024-01-01", "2024-01-31"), lang=None, **params):
    monkeypatch.delenv(maps.MAP_STYLE_ENV, raising=False)
    url = {"period": "custom", "from": period[0], "to": period[1]} if period else {}
    return run_page("pages/map.py", role, {**url, **params}, db=fixture_db, monkeypatch=monkeypatch, lang=lang,
                    run=False)


def _deck(at) -> dict:
    """The map as deck.gl draws it (a configured tile basemap)."""
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def _map(at) -> dict:
    """The map as the page draws it by default: a plotly figure in SVG, and no deck.gl."""
    assert not at.get("deck_gl_json_chart")
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    assert charts[0].proto.theme == ""   # drawn as built (ui.plot), its look in its template
    figure = json.loads(charts[0].proto.spec)
    assert all(trace.get("type", "scatter") == "scatter" for trace in figure["data"])  # never scattergl
    return figure


def _traces(figure) -> dict:
    return {trace["meta"]: trace for trace in figure["data"]}


def _view(figure) -> maps.View:
    return maps.View(**figure["layout"]["meta"]["view"])


def _latitude(y: float) -> float:
    return maps._latitude(math.radians(y))


def _labels(figure) -> list[dict]:
    return [note for note in figure["layout"].get("annotations", []) if note.get("name") == "label"]


def _numbers(node):
    if isinstance(node, bool):
        return
    if isinstance(node, (int, float)):
        yield float(node)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _numbers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _numbers(value)


def _widget(at, kind, key):
    return next(w for w in at.get(kind) if w.key == key)


def _lines(hover: str) -> list[str]:
    """A hover label's lines as the reader sees them (plotly writes "&lt;" as "<")."""
    return [html.unescape(line) for line in hover.split("<br>")]


def _points(trace) -> list[dict]:
    """A point trace's points: where, how big, what fill, what tooltip lines."""
    marker = trace["marker"]
    fills = marker["color"] if isinstance(marker["color"], list) else [marker["color"]] * len(trace["x"])
    return [{"longitude": x, "latitude": round(_latitude(y), 5), "radius": size / 2, "fill": fill,
             "tooltip": _lines(text)}
            for x, y, size, fill, text in zip(trace["x"], trace["y"], marker["size"], fills, trace["hovertext"])]


def test_a_manager_sees_one_point_layer_per_site_type(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager").run()
    assert not at.exception
    figure = _map(at)
    layers = _traces(figure)
    assert list(layers) == ["departements", "programme-departements", "sites-camp", "sites-shelter",
                            "sites-emergency_shelter", "sites-mobile_team"]
    assert sorted(note["text"] for note in _labels(figure)) == ["Calais", "Marseille", "Pantin", "Paris"]
    camp = _points(layers["sites-camp"])
    assert [(p["longitude"], p["latitude"]) for p in camp] == [SITE_POINTS["calais_camps"]]
    shelters = {p["tooltip"][0]: p for p in _points(layers["sites-shelter"])}
    pantin = shelters["Hébergement filles Pantin"]
    assert pantin["fill"].startswith("rgba(8,48,107,")  # full: the darkest class
    assert pantin["radius"] == round(5 + 17 * math.sqrt(310 / 650), 1)
    assert "Nuitées occupées\u00a0: 310 sur 310 disponibles" in pantin["tooltip"]
    assert "Refus faute de place\u00a0: 3" in pantin["tooltip"]
    marseille = shelters["Hébergement mineurs Marseille"]
    assert marseille["fill"].startswith("rgba({},{},{},".format(*site_map.rgba(SUPPRESSED_COLOUR)[:3]))
    emergency = _points(layers["sites-emergency_shelter"])[0]
    assert emergency["radius"] == site_map.MAX_RADIUS_PX  # the most bed-nights
    assert "Taux d'occupation\u00a0: 93\u00a0%" in emergency["tooltip"]
    assert layers["sites-emergency_shelter"]["marker"]["line"]["color"] == SITE_TYPE_COLOURS["emergency_shelter"]
    assert "Consultations\u00a0: 45" in camp[0]["tooltip"]
    assert any(c.value.startswith(FR("common.attribution")) for c in at.caption)


def test_the_manager_table_lists_each_site_with_its_figures(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager").run()
    table = at.dataframe[0].value.set_index(FR("map.column.name"))
    assert table.loc["Camps de Calais", FR("map.column.consultations")] == 45
    assert table.loc["Abri d'urgence de Calais", FR("map.column.occupancy_percent")] == 92.9
    assert table.loc["Équipe mobile La Chapelle", FR("map.column.people_reached")] == 37


def test_layer_toggles_leave_out_the_site_types_unticked(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager").run()
    _widget(at, "button_group", "map_layers").set_value(["camp", "mobile_team"]).run()
    assert not at.exception
    assert [i for i in _traces(_map(at)) if i.startswith("sites-")] == ["sites-camp", "sites-mobile_team"]
    # The choice survives a period without any camp.
    _widget(at, "date_input", "f_custom").set_value((dt.date(2016, 7, 1), dt.date(2016, 7, 31))).run()
    assert [i for i in _traces(_map(at)) if i.startswith("sites-")] == ["sites-mobile_team"]
    _widget(at, "date_input", "f_custom").set_value((dt.date(2024, 1, 1), dt.date(2024, 1, 31))).run()
    assert [i for i in _traces(_map(at)) if i.startswith("sites-")] == ["sites-camp", "sites-mobile_team"]
    _widget(at, "button_group", "map_layers").set_value([]).run()
    assert [i.value for i in at.info] == [FR("map.no_layer")]
    assert not [i for i in _traces(_map(at)) if i.startswith("sites-")]


@pytest.mark.parametrize("role", RESTRICTED)
def test_other_roles_see_area_polygons_and_no_site_coordinate(role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role).run()
    assert not at.exception
    figure = _map(at)
    layers = _traces(figure)
    assert list(layers)[:2] == ["departements", "programme-departements"]
    assert set(list(layers)[2:]) == {"area-departement-13", "area-departement-62", "area-departement-93",
                                     "area-commune-75056"}
    # polygons only: no marker anywhere, every area a closed, filled outline
    assert {trace["mode"] for trace in figure["data"]} == {"lines"}
    for uid in [uid for uid in layers if uid.startswith("area-")]:
        assert layers[uid]["fill"] == "toself" and layers[uid]["hoveron"] == "fills"
    numbers = set(_numbers(figure))
    text = at.get("plotly_chart")[0].proto.spec
    for site_id, (lon, lat) in SITE_POINTS.items():
        for value in (lon, lat, round(map_figure.mercator(lat), 5)):
            assert value not in numbers, (site_id, value)
            assert not re.search(rf"(?<![\d.]){re.escape(repr(value))}(?!\d)", text), (site_id, value)
    assert "Camps de Calais" not in text and "Hébergement filles Pantin" not in text
    k = disclosure.threshold(role)
    areas = {uid: _lines(trace["text"]) for uid, trace in layers.items() if uid.startswith("area-")}
    pantin = areas["area-departement-93"]
    # An area shown as its département names nothing finer, whoever reads it.
    assert pantin[0] == "Seine-Saint-Denis (département)"
    assert not any("Pantin" in line or line.startswith("Sites") for line in pantin)
    assert ("Consultations\u00a0: " + ("8" if k == 5 else "< 11")) in pantin
    assert f"Refus faute de place\u00a0: < {k}" in pantin
    calais = areas["area-departement-62"]
    assert "Consultations\u00a0: 45" in calais   # shown to donors too: the total over cities protects Pantin
    # no count or kind of site in an area shown as its département
    assert not any(line.startswith("Sites") or line == "Calais" for line in calais)
    if role == "donor":
        assert "Refus faute de place\u00a0: 37" in calais


@pytest.mark.parametrize("role", RESTRICTED)
def test_the_area_table_shows_hidden_counts_as_less_than_k(role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role).run()
    table = table_texts(at.dataframe[0]).set_index(FR("map.column.area"))   # what the cells read
    assert set(table.index) == {"Pas-de-Calais", "Paris", "Seine-Saint-Denis", "Bouches-du-Rhône"}
    assert table.loc["Seine-Saint-Denis", FR("map.column.turned_away")] == f"< {disclosure.threshold(role)}"
    assert at.dataframe[0].value.set_index(FR("map.column.area")).loc[
        "Seine-Saint-Denis", FR("map.column.turned_away")] == f"< {disclosure.threshold(role)}"  # no number under it
    assert FR("map.column.name") not in at.dataframe[0].value.columns


@pytest.mark.parametrize("role, city, inside", [
    ("programme_manager", "Calais", maps.Bounds(1.86, 50.95, 1.88, 50.95)),
    ("programme_manager", "Pantin", maps.Bounds(2.409, 48.894, 2.409, 48.894)),
    ("advocacy", "Calais", maps.Bounds.of_shapes(maps.shapes_of("departement", ["62"]))),
    ("donor", "Marseille", maps.Bounds.of_shapes(maps.shapes_of("departement", ["13"]))),
])
def test_a_city_view_zooms_to_its_sites_or_areas(role, city, inside, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role, view=city).run()
    assert not at.exception and not at.warning[1:]
    figure = _map(at)
    view = _view(figure)
    assert inside.contains(view.longitude, view.latitude)
    assert view.zoom > 6.5   # a département whole on a phone's map; a city's sites closer
    # Communes are drawn only when the view is close enough to read them.
    assert ("communes" in _traces(figure)) == (view.zoom >= maps.COMMUNE_ZOOM)
    # The figure frames the view: its ranges, one unit per pixel on both axes, at the view's zoom.
    x_range, y_range = figure["layout"]["xaxis"]["range"], figure["layout"]["yaxis"]["range"]
    assert figure["layout"]["yaxis"]["scaleanchor"] == "x"
    assert sum(x_range) / 2 == pytest.approx(view.longitude)
    assert _latitude(sum(y_range) / 2) == pytest.approx(view.latitude)
    degrees_per_pixel = 360 / (512 * 2 ** view.zoom)
    assert (x_range[1] - x_range[0]) / degrees_per_pixel == pytest.approx(maps.FIT_WIDTH, abs=0.01)
    assert (y_range[1] - y_range[0]) / degrees_per_pixel == pytest.approx(maps.MAP_HEIGHT, abs=0.01)
    assert at.query_params["view"] == city


def test_each_city_view_is_offered(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "donor").run()
    control = _widget(at, "button_group", "map_view")
    assert control.options == [FR("map.view_france"), "Calais", "Marseille", "Pantin", "Paris"]


@pytest.mark.parametrize("role", roles.ROLES)
def test_an_unknown_view_in_the_address_falls_back_to_france_with_a_notice(role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role, view="<script>alert(1)</script>").run()
    assert not at.exception
    assert FR("map.invalid_view") in [w.value for w in at.warning]
    france = _page(monkeypatch, fixture_db, role).run()
    assert _view(_map(at)) == _view(_map(france))


def test_a_tampered_period_falls_back_with_a_notice(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "donor", period=None)
    at.query_params["period"] = "'; DROP TABLE sites; --"
    at.run()
    assert not at.exception
    assert FR("common.invalid_parameter", name="period") in [w.value for w in at.warning]


@pytest.mark.parametrize("role", roles.ROLES)
def test_a_period_with_no_activity_says_so(role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role, period=("2016-07-01", "2016-07-31")).run()
    assert not at.exception
    assert FR("map.no_activity") in [i.value for i in at.info]


@pytest.mark.parametrize("preset", [p for p in filters.PRESETS if p != "custom"])
@pytest.mark.parametrize("role", roles.ROLES)
def test_every_preset_runs_for_every_role(preset, role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role, period=None)
    at.query_params["period"] = preset
    at.run()
    assert not at.exception
    assert _map(at)


def test_donors_see_whole_months(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "donor", period=("2024-01-10", "2024-01-20")).run()
    expected = FR("map.caption_areas", period=i18n.format_period(dt.date(2024, 1, 1), dt.date(2024, 1, 31), "fr"))
    assert expected in [c.value for c in at.caption]


def test_the_page_reads_in_english(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager", lang="en").run()
    assert not at.exception
    assert at.title[0].value == "Map of camps and shelters"
    camp = _traces(_map(at))["sites-camp"]
    assert camp["hovertext"] == ["Camps de Calais<br>Camp · Calais<br>Consultations: 45"]


def test_a_configured_basemap_is_used(monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, "programme_manager")
    monkeypatch.setenv(maps.MAP_STYLE_ENV, "light")
    at.run()
    # Tiles need deck.gl (WebGL): only then is the map drawn by it.
    assert not at.get("plotly_chart")
    assert _deck(at)["mapStyle"] == "https://basemaps.cartocdn.com/gl/positron-gl-style/style.json"


def test_all_hidden_or_no_values_give_a_flat_scale():
    assert site_map.largest_shown([pd.NA, None, float("nan")]) == 0.0
    assert site_map.largest_shown([]) == 0.0
    assert site_map.largest_shown([3, pd.NA, 45]) == 45.0
    assert site_map.area_colour(pd.NA, 0.0) == SUPPRESSED_COLOUR
    assert site_map.area_colour(0, 0.0) == site_map.AREA_SCALE[0]


def test_an_area_outside_the_boundary_files_is_listed_not_drawn():
    areas = pd.DataFrame({"area_code": ["62", "69123"], "area_kind": ["departement", "commune"],
                          "departement": ["62", "69"], "cities": [("Calais",), ("Lyon",)],
                          "site_count": [2, 1], "site_types": ["camp,day_centre", "day_centre"],
                          "consultations": [45, 30]})
    shapes = maps.area_shapes(areas)
    assert shapes["nom"].tolist() == ["Pas-de-Calais", "69123"]
    assert shapes.geometry.notna().tolist() == [True, False]
    assert maps.view_for_areas(shapes, "Lyon") is None
    texts = site_map.Texts("fr")
    figure = map_figure.areas_figure(shapes, view=maps.france_view(), measure="consultations", texts=texts)
    drawn = [trace for trace in figure.data if trace.meta.startswith("area-")]
    assert [trace.meta for trace in drawn] == ["area-departement-62"]
    assert drawn[0].fillcolor == map_figure._hex(site_map.rgba(site_map.AREA_SCALE[-1], 200))
    assert [note.text for note in figure.layout.annotations] == ["Pas-de-Calais"]


# --- the frame and the place names (issue 15: Calais cut, labels on top of each other) -------

@pytest.mark.parametrize("role", roles.ROLES)
def test_the_france_view_frames_every_place_shown_with_a_margin_on_a_phone(role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role).run()
    assert not at.exception
    figure = _map(at)
    view = _view(figure)
    points = [(x, _latitude(y)) for uid, trace in _traces(figure).items()
              if uid.startswith(("sites-", "area-")) for x, y in zip(trace["x"], trace["y"]) if x is not None]
    # Calais (the programme's north) and Marseille (its south) are both among them
    assert max(lat for _, lat in points) > 50.9 and min(lat for _, lat in points) < 43.4
    # On a 340 px wide, 560 px high map every place lies at least 40 px inside the frame.
    for longitude, latitude in points:
        x, y = maps.pixel(longitude, latitude, view)
        assert abs(x) <= maps.FIT_WIDTH / 2 - 40 and abs(y) <= maps.MAP_HEIGHT / 2 - 40, (longitude, latitude)


@pytest.mark.parametrize("role", roles.ROLES)
def test_place_names_never_collide_at_the_view_s_zoom(role, monkeypatch, fixture_db):
    at = _page(monkeypatch, fixture_db, role).run()
    figure = _map(at)
    view = _view(figure)
    labels = _labels(figure)
    assert len(labels) == 4
    boxes = []
    for note in labels:
        x, y = maps.pixel(note["x"], _latitude(note["y"]), view)
        boxes.append((note["text"], site_map.label_box(note["text"], x + note["xshift"], y - note["yshift"])))
    for (first, a), (second, b) in [(p, q) for i, p in enumerate(boxes) for q in boxes[i + 1:]]:
        apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        assert apart, f"{first} and {second} overlap"


def test_close_places_are_both_named_one_moved_aside():
    # Paris and Pantin are 6 km apart, Calais and Grande-Synthe 35 km: at the zoom that
    # frames the programme on a phone their names would sit on each other.
    view = maps.view_of(maps.Bounds(1.85, 43.3, 5.4, 51.0))
    places = [("Paris", 2.3522, 48.8566), ("Pantin", 2.4093, 48.8944), ("Calais", 1.8587, 50.9513),
              ("Grande-Synthe", 2.3030, 51.0139), ("Marseille", 5.3698, 43.2965)]
    placed = site_map.place_labels(*zip(*places), view)
    assert [p.name for p in placed] == [name for name, *_ in places]
    moved = {p.name for p in placed if (p.dx, p.dy) != (0, 0)}
    assert moved == {"Pantin", "Grande-Synthe"}
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            assert not site_map._overlap(a.box, b.box), (a.name, b.name)


def test_a_tooltip_writes_a_count_hidden_to_protect_another_as_the_tables_do():
    """A published set tells its hidden counts apart: one small cell reads "< 11", one hidden to
    protect another "[c]" (it may be 11 or more); the map's tooltips say what the tables say."""
    areas = pd.DataFrame({"area_code": ["62", "59"], "area_kind": ["departement", "departement"],
                          "departement": ["62", "59"], "cities": [(), ()], "site_count": [2, 1],
                          "site_types": ["camp,emergency_shelter", "camp,emergency_shelter"],
                          "consultations": pd.array([45, 30], dtype="Int64"),
                          "bed_nights_occupied": pd.array([300, 200], dtype="Int64"),
                          "bed_nights_available": pd.array([400, 250], dtype="Int64"),
                          "turned_away": pd.array([pd.NA, pd.NA], dtype="Int64")})
    areas.attrs["suppression"] = {"k": 11, "counts": ["consultations", "bed_nights_occupied", "turned_away"],
                                  "hidden_marks": {"consultations": [None, None], "bed_nights_occupied": [None, None],
                                                   "turned_away": ["protect", "small"]}}
    shapes = maps.area_shapes(areas)
    texts = site_map.Texts("fr", 11)
    figure = map_figure.areas_figure(shapes, view=maps.france_view(), measure="consultations", texts=texts)
    hover = {trace.meta: trace.text for trace in figure.data if trace.meta.startswith("area-")}
    refused = FR("map.tooltip.turned_away", n="{}").split("{}")[0].replace("<", "&lt;")
    assert refused + "[c]" in hover["area-departement-62"] and "&lt; 11" not in hover["area-departement-62"]
    assert refused + "&lt; 11" in hover["area-departement-59"]
    # the deck's tooltips (a configured basemap) say the same
    layer = site_map.area_layer(shapes, "consultations", texts, 45.0)
    tips = [feature["properties"]["tooltip"] for feature in layer.data["features"]]
    assert tips[0].endswith(FR("map.tooltip.turned_away", n="[c]")) and tips[1].endswith(
        FR("map.tooltip.turned_away", n="< 11"))


def test_the_areas_of_a_part_of_a_result_keep_their_own_marks():
    """The door's marks are read by row label (indicators.hidden_marks): the areas built from
    some rows of a result keep those rows' labels, so each keeps its own mark."""
    areas = pd.DataFrame({"area_code": ["62", "59"], "area_kind": ["departement", "departement"],
                          "departement": ["62", "59"], "cities": [(), ()], "site_count": [2, 1],
                          "site_types": ["camp", "camp"], "consultations": pd.array([pd.NA, pd.NA], dtype="Int64")})
    areas.attrs["suppression"] = {"k": 11, "counts": ["consultations"],
                                  "hidden_marks": {"consultations": ["protect", "small"]}}
    part = areas[areas["area_code"] == "59"]
    assert indicators.hidden_marks(maps.area_shapes(part), "consultations") == ["small"]
    assert indicators.hidden_marks(maps.area_shapes(areas), "consultations") == ["protect", "small"]

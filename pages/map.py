"""Map of camps and shelters: where the programme works and how busy each place was.

Programme managers see each site as a point; every other role gets rows the query door has
already coarsened to communes or départements, drawn as polygons (terrain/disclosure/).
"""

import streamlit as st

from terrain import i18n, maps, ui
from terrain.charts import map as site_map
from terrain.charts import map_figure

ui.page_setup("map")
st.title(ui.tr("map.title"))
cities = ui.query("cities")["city"].tolist()
asked, invalid_view = maps.parse_view(st.query_params.get("view"), cities)
f = ui.sidebar_filters(("period",), cities=cities)
if invalid_view:
    st.warning(ui.tr("map.invalid_view"))
city = st.segmented_control(ui.tr("map.view"), [maps.FRANCE, *cities], default=asked, required=True,
                            key="map_view", format_func=lambda v: ui.tr("map.view_france") if v == maps.FRANCE else v)
st.query_params.pop("view", None)  # sidebar_filters writes the URL; the view goes back in after it
if city != maps.FRANCE:
    st.query_params["view"] = city

frame = ui.query("map_sites_activity", **f.params("start", "end"))
exact = ui.views.map_view().exact   # else the door has coarsened the sites to areas
used = frame.attrs["provenance"]["params"]
st.caption(ui.tr("map.caption_sites" if exact else "map.caption_areas",
                 period=i18n.format_period(used["start"], used["end"], ui.lang())))
if frame.empty:
    st.info(ui.tr("map.no_sites"))
    st.stop()
if not site_map.has_activity(frame):
    st.info(ui.tr("map.no_activity"))
texts = site_map.Texts(ui.lang(), ui.threshold_of(frame))
style = maps.map_style()
places = frame if exact else maps.area_shapes(frame)
view = (maps.view_for_sites if exact else maps.view_for_areas)(places, city)
if view is None:
    st.info(ui.tr("map.view_without_sites", city=city))
    view, city = maps.france_view(), maps.FRANCE

if exact:
    # Every type is offered whatever the period, so that a choice survives a change of period.
    shown = st.pills(ui.tr("map.layers"), site_map.SITE_TYPES, selection_mode="multi",
                     default=site_map.SITE_TYPES, key="map_layers", format_func=lambda t: ui.label("site_type", t))
    if not shown:
        st.info(ui.tr("map.no_layer"))
    drawn = (site_map.sites_deck(frame, view=view, types=shown, texts=texts, style=style) if style
             else map_figure.sites_figure(frame, view=view, types=shown, texts=texts))
    in_view = frame[maps.in_city(frame, city)]
    legend = site_map.site_legend_html(in_view["site_type"].value_counts().to_dict(), texts)
else:
    measure = st.segmented_control(ui.tr("map.measure"), site_map.AREA_MEASURES, default="consultations",
                                   required=True, key="map_measure", format_func=lambda m: ui.tr(f"map.measure.{m}"))
    drawn = (site_map.areas_deck(places, view=view, measure=measure, texts=texts, style=style) if style
             else map_figure.areas_figure(places, view=view, measure=measure, texts=texts))
    legend = site_map.area_legend_html(places, measure, texts)
map_column, legend_column = st.columns([4, 1])
# Drawn in SVG (no WebGL: a browser without a graphics card draws it at once); a tile
# basemap, opt-in, needs deck.gl.
if style:
    map_column.pydeck_chart(drawn, height=maps.MAP_HEIGHT, key="map")
else:
    ui.plot(drawn, key="map", into=map_column, config={"scrollZoom": False})
legend_column.html(legend)
st.caption(ui.tr("common.attribution") + ("" if style else " · " + ui.tr("map.attribution_note")))

table = site_map.table(places, city=city, exact=exact, lang=ui.lang())
st.header(ui.tr("map.table_sites" if exact else "map.table_areas"))
ui.show_table(table, what=ui.tr("map.title"), filters=f, key="map_sites" if exact else "map_areas",
              where="" if city == maps.FRANCE else city, columns=site_map.table_columns(exact, ui.lang()))

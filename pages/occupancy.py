"""Occupancy trends: are the shelters full, how many people were turned away, per city and
per shelter, with the emergency shelter's open spells and the winter-plan levels shaded."""

import streamlit as st

from terrain import i18n, ui
from terrain.charts import occupancy as charts

ui.page_setup("occupancy")
st.title(ui.tr("occupancy.title"))
view = ui.views.occupancy()   # per shelter, or per city and whole months (donors)
f = ui.sidebar_filters(("period", "city", "site", "grain"), cities=ui.query("cities")["city"].tolist(),
                       sites=view.shelters())
lang, nightly = ui.lang(), charts.shows_nights(f.start, f.end, view.per_shelter)
where, site_where = f.params("start", "end", "cities"), f.params("start", "end", "cities", "sites")

without_shelter = [c for c in f.cities if c not in set(ui.query("cities_with_shelters")["city"])]
if without_shelter:  # a city with no shelter has nothing to show here, not "no data"
    st.info(ui.tr(f"occupancy.no_shelter.{'one' if len(without_shelter) == 1 else 'several'}",
                  cities=", ".join(without_shelter)))
    if len(without_shelter) == len(f.cities):
        st.stop()

# The manager's weekly question, answered first: how full was each shelter last month, and
# how many people were turned away (donors: each city, from their published set).
month = view.month_summary(*view.last_month(f, ui.dataset()), f)
month_name = i18n.format_month(month.attrs["provenance"]["params"]["start"], lang)
st.header(ui.tr("occupancy.month_cards.header", month=month_name))
st.caption(ui.tr(f"occupancy.month_cards.caption_{view.level}"))
cards = charts.month_cards(month, tr=ui.tr, lang=lang, threshold=ui.threshold_of(month),
                           city_level=not view.per_shelter)
if not cards:
    st.info(ui.tr("occupancy.month_cards.none", month=month_name))
for first in range(0, len(cards), 4):
    for column, card in zip(st.columns(4), cards[first:first + 4]):
        with column.container(border=True, key=f"month_card_{card.key}"):
            st.markdown(f"**{card.title}**")
            st.metric(ui.tr("occupancy.month_cards.rate"), card.rate, help=card.rate_help)
            st.metric(ui.tr("occupancy.month_cards.refusals"), card.refusals)
            st.caption(card.nights)

cities = ui.query("occupancy_summary_by_city", **where)
shown, k = cities.attrs["provenance"]["params"], ui.threshold_of(cities)
st.caption(ui.tr("occupancy.period_shown", period=i18n.format_period(shown["start"], shown["end"], lang))
           + "  \n" + ui.tr(view.period_note, n=charts.NIGHTLY_MAX_NIGHTS))
if ui.empty_notice(cities):
    st.stop()
by_city = ui.query("occupancy_by_city", grain=f.grain, **where)
spells, levels = view.open_spells_and_levels(by_city, f)
beds_grain = "day" if nightly else f.grain
events = ui.query("events_in_period", **where)
city_beds = ui.query("occupancy_nights_by_city", **where) if nightly else by_city


def panel(row, beds, *, unit: str, key: str, city_level: bool, summary) -> None:
    marks, partial = charts.row_flags(summary, row.name)
    figures = charts.headlines(row, tr=ui.tr, lang=lang, threshold=k, city_level=city_level, marks=marks,
                               partial=partial)
    for column, figure in zip([*st.columns(3), *st.columns(3)], figures):  # beds, then people
        column.metric(figure.label, figure.value, help=figure.help)
    ui.plot(charts.beds_chart(beds, grain=beds_grain, unit=unit, tr=ui.tr, lang=lang, threshold=k,
                              city=row["city"], spells=spells, levels=levels, events=events), key=key)
    if charts.over_capacity(summary.loc[[row.name]], beds):   # said only where a figure passes 100 %
        st.caption(ui.tr("occupancy.over_full_note"))


# Tabs run only the open one's content (a click on another reruns the page): each holds
# six figures and a chart, and drawing every tab's made the page slow to open.
st.header(ui.tr("occupancy.cities_header"))
for tab, (_, row) in zip(st.tabs(cities["city"].tolist(), on_change="rerun", key="occupancy_city_tab"),
                         cities.iterrows()):
    if not tab.open:
        continue
    with tab:
        if row["emergency_nights_open"]:
            st.caption(ui.tr("occupancy.emergency_caption", nights=i18n.format_number(row["emergency_nights_open"], lang)))
        panel(row, city_beds[city_beds["city"] == row["city"]], unit=row["city"], key=f"beds_city_{row['city']}",
              city_level=True, summary=cities)

tables = {"summary_by_city": cities, "by_city": by_city}
if view.per_shelter:
    st.header(ui.tr("occupancy.shelters_header"))
    sites = ui.query("occupancy_summary_by_site", **site_where)
    by_site = ui.query("occupancy_by_site", grain=f.grain, **site_where)
    site_beds = ui.query("occupancy_nights_by_site", **site_where) if nightly else by_site
    if not ui.empty_notice(sites):
        for tab, (_, row) in zip(st.tabs(sites["site_name"].tolist(), on_change="rerun", key="occupancy_site_tab"),
                                 sites.iterrows()):
            if not tab.open:
                continue
            with tab:
                panel(row, site_beds[site_beds["site_id"] == row["site_id"]], unit=row["site_name"],
                      key=f"beds_site_{row['site_id']}", city_level=False, summary=sites)
    tables |= {"summary_by_site": sites, "by_site": by_site} | ({"nights_by_site": site_beds} if nightly else {})

compare, facet, name = (by_site, "site_id", "site_name") if view.per_shelter else (by_city, "city", "city")
st.header(ui.tr(f"occupancy.compare_{view.level}_header"))
if not ui.empty_notice(compare):
    names = dict(zip(compare[facet], compare[name]))
    title = ui.tr(f"occupancy.chart.compare_{view.level}_title",
                  grain=ui.tr(f"occupancy.grain_word.{f.grain}"))
    ui.plot(charts.rate_small_multiples(
        compare, facet=facet, names=names, colours=charts.facet_colours(compare, facet), grain=f.grain,
        title=title, tr=ui.tr, lang=lang, spells=spells, events=events), key="occupancy_compare")
    if charts.over_capacity(compare):
        st.caption(ui.tr("occupancy.over_full_note"))

st.header(ui.tr("occupancy.tables_header"))
titles = {name: ui.tr(f"occupancy.table.{name}", grain=ui.tr(f"occupancy.grain_word.{f.grain}")) for name in tables}
for tab, (name, frame) in zip(st.tabs(list(titles.values()), on_change="rerun", key="occupancy_table_tab"),
                              tables.items()):
    if not tab.open:
        continue
    with tab:
        ui.show_table(charts.for_table(frame, label=ui.label), what=titles[name], filters=f, key=f"occupancy_{name}",
                      columns=charts.table_columns(frame, ui.tr), where="-".join(f.cities))

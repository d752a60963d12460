"""Occupancy trends: are the shelters full, how many people were turned away, per city and
per shelter, with the emergency shelter's open spells and the winter-plan levels shaded."""

import streamlit as st

from terrain import app, i18n, roles
from terrain import filters as flt
from terrain.charts import occupancy as charts

role = app.page_setup("occupancy")
st.title(app.tr("occupancy.title"))
detail = roles.can(role, "see_site_detail")  # donors see cities and whole months only
shelters = app.query("occupancy_shelters") if detail else None
f = app.sidebar_filters(("period", "city", "site", "grain"), cities=app.query("cities")["city"].tolist(),
                        sites=dict(zip(shelters["site_id"], shelters["site_name"])) if detail else None)
lang, nightly = app.lang(), charts.shows_nights(f.start, f.end, detail)
where, site_where = f.params("start", "end", "cities"), f.params("start", "end", "cities", "sites")

without_shelter = [c for c in f.cities if c not in set(app.query("cities_with_shelters")["city"])]
if without_shelter:  # a city with no shelter has nothing to show here, not "no data"
    st.info(app.tr(f"occupancy.no_shelter.{'one' if len(without_shelter) == 1 else 'several'}",
                   cities=", ".join(without_shelter)))
    if len(without_shelter) == len(f.cities):
        st.stop()

# The manager's weekly question, answered first: how full was each shelter last month, and
# how many people were turned away (donors: each city, from their published set).
month_start, month_end = flt.preset_period("last_month", app.dataset().data_as_of)
if not detail:  # donors: the last month published to them (approved), which the door's period ends with
    held = app.query("occupancy_summary_by_city", start=app.dataset().first_day, end=month_end, **f.params("cities"))
    month_start, month_end = flt.preset_period("last_month", held.attrs["provenance"]["params"]["end"])
month = (app.query("occupancy_summary_by_site", start=month_start, end=month_end, **f.params("cities", "sites"))
         if detail else app.query("occupancy_summary_by_city", start=month_start, end=month_end, **f.params("cities")))
month_name = i18n.format_month(month.attrs["provenance"]["params"]["start"], lang)
st.header(app.tr("occupancy.month_cards.header", month=month_name))
st.caption(app.tr(f"occupancy.month_cards.caption_{'shelters' if detail else 'cities'}"))
cards = charts.month_cards(month, tr=app.tr, lang=lang, threshold=app.threshold_of(month), city_level=not detail)
if not cards:
    st.info(app.tr("occupancy.month_cards.none", month=month_name))
for first in range(0, len(cards), 4):
    for column, card in zip(st.columns(4), cards[first:first + 4]):
        with column.container(border=True, key=f"month_card_{card.key}"):
            st.markdown(f"**{card.title}**")
            st.metric(app.tr("occupancy.month_cards.rate"), card.rate, help=card.rate_help)
            st.metric(app.tr("occupancy.month_cards.refusals"), card.refusals)
            st.caption(card.nights)

cities = app.query("occupancy_summary_by_city", **where)
shown, k = cities.attrs["provenance"]["params"], app.threshold_of(cities)
st.caption(app.tr("occupancy.period_shown", period=i18n.format_period(shown["start"], shown["end"], lang))
           + "  \n" + app.tr("occupancy.nightly_note" if detail else "occupancy.whole_months", n=charts.NIGHTLY_MAX_NIGHTS))
if app.empty_notice(cities):
    st.stop()
by_city = app.query("occupancy_by_city", grain=f.grain, **where)
if detail:
    spells, levels = app.query("occupancy_emergency_open_periods", **where), app.query("occupancy_winter_plan", **where)
else:
    spells, levels = charts.spells_from_periods(by_city, f.grain), None
beds_grain = "day" if nightly else f.grain
events = app.query("events_in_period", **where)
city_beds = app.query("occupancy_nights_by_city", **where) if nightly else by_city


def panel(row, beds, *, unit: str, key: str, city_level: bool, summary) -> None:
    marks, partial = charts.row_flags(summary, row.name)
    figures = charts.headlines(row, tr=app.tr, lang=lang, threshold=k, city_level=city_level, marks=marks,
                               partial=partial)
    for column, figure in zip([*st.columns(3), *st.columns(3)], figures):  # beds, then people
        column.metric(figure.label, figure.value, help=figure.help)
    st.plotly_chart(charts.beds_chart(beds, grain=beds_grain, unit=unit, tr=app.tr, lang=lang, threshold=k,
                                      city=row["city"], spells=spells, levels=levels, events=events), key=key)
    if charts.over_capacity(summary.loc[[row.name]], beds):   # said only where a figure passes 100 %
        st.caption(app.tr("occupancy.over_full_note"))


st.header(app.tr("occupancy.cities_header"))
for tab, (_, row) in zip(st.tabs(cities["city"].tolist()), cities.iterrows()):
    with tab:
        if row["emergency_nights_open"]:
            st.caption(app.tr("occupancy.emergency_caption", nights=i18n.format_number(row["emergency_nights_open"], lang)))
        panel(row, city_beds[city_beds["city"] == row["city"]], unit=row["city"], key=f"beds_city_{row['city']}",
              city_level=True, summary=cities)

tables = {"summary_by_city": cities, "by_city": by_city}
if detail:
    st.header(app.tr("occupancy.shelters_header"))
    sites = app.query("occupancy_summary_by_site", **site_where)
    by_site = app.query("occupancy_by_site", grain=f.grain, **site_where)
    site_beds = app.query("occupancy_nights_by_site", **site_where) if nightly else by_site
    if not app.empty_notice(sites):
        for tab, (_, row) in zip(st.tabs(sites["site_name"].tolist()), sites.iterrows()):
            with tab:
                panel(row, site_beds[site_beds["site_id"] == row["site_id"]], unit=row["site_name"],
                      key=f"beds_site_{row['site_id']}", city_level=False, summary=sites)
    tables |= {"summary_by_site": sites, "by_site": by_site} | ({"nights_by_site": site_beds} if nightly else {})

compare, facet = (by_site, "site_id") if detail else (by_city, "city")
st.header(app.tr("occupancy.compare_shelters_header" if detail else "occupancy.compare_cities_header"))
if not app.empty_notice(compare):
    names = dict(zip(compare[facet], compare["site_name" if detail else "city"]))
    title = app.tr(f"occupancy.chart.compare_{'shelters' if detail else 'cities'}_title",
                   grain=app.tr(f"occupancy.grain_word.{f.grain}"))
    st.plotly_chart(charts.rate_small_multiples(
        compare, facet=facet, names=names, colours=charts.facet_colours(compare, facet), grain=f.grain,
        title=title, tr=app.tr, lang=lang, spells=spells, events=events), key="occupancy_compare")
    if charts.over_capacity(compare):
        st.caption(app.tr("occupancy.over_full_note"))

st.header(app.tr("occupancy.tables_header"))
titles = {name: app.tr(f"occupancy.table.{name}", grain=app.tr(f"occupancy.grain_word.{f.grain}")) for name in tables}
for tab, (name, frame) in zip(st.tabs(list(titles.values())), tables.items()):
    with tab:
        app.show_table(charts.for_table(frame, label=app.label), what=titles[name], filters=f, key=f"occupancy_{name}",
                       columns=charts.table_columns(frame, app.tr), where="-".join(f.cities))

"""Winter emergency: a season's cold nights, declared plan levels, emergency shelter and
people turned away, night by night (or month by month) and season against season."""

from dataclasses import replace

import streamlit as st

from terrain import events, glossary, i18n, ui
from terrain.charts import winter as charts

ui.page_setup("winter")
st.title(ui.tr("winter.title"))
data, lang = ui.dataset(), ui.lang()
seasons = charts.seasons_between(data.first_day, data.data_as_of)
asked = st.query_params.get("season")  # read before sidebar_filters rewrites the URL
f = ui.sidebar_filters(("city",), cities=ui.query("cities")["city"].tolist())
season, valid = charts.parse_season(asked, seasons)
if not valid:
    st.warning(ui.tr("winter.invalid_season", season=charts.season_label(season)))
season = st.sidebar.selectbox(ui.tr("winter.season"), seasons, index=seasons.index(season),
                              format_func=charts.season_label, key="f_season")
st.query_params["season"] = str(season)
start, end = charts.season_period(season, data.data_as_of)
where = {"cities": list(f.cities)}
texts = {"tr": ui.tr, "lang": lang}

nights = ui.query("winter_nights_by_season", until=None, **where)
first_day = charts.season_period(seasons[-1], data.data_as_of)[0]
months = ui.query("winter_people_by_city_month", start=first_day, end=data.data_as_of, **where)
people = charts.season_people(ui.query("winter_nights_by_season_city", until=None, **where), months)
hidden = ui.tr("common.suppressed_value", k=ui.threshold_of(months))
st.header(ui.tr("winter.season_heading", season=charts.season_label(season),
                period=i18n.format_period(start, end, lang)))
season_nights, season_people = nights[nights["season"] == season], people[people["season"] == season]
if season_nights.empty:
    st.info(ui.tr("winter.empty_season", season=charts.season_label(season)))
else:
    for heading, figures in charts.headline(season_nights.iloc[0], season_people, label=ui.label,
                                            hidden_text=hidden, **texts):
        if heading:
            st.caption(heading)
        for column, figure in zip(st.columns(4), figures):
            column.metric(figure.label, figure.value, help=figure.help)
    several = " " + ui.tr("winter.several_cities") if len(f.cities) != 1 else ""
    st.caption(ui.tr("winter.definitions", cold_night=glossary.cold_night_text(lang),
                     season_first=glossary.season_first_text(lang), season_last=glossary.season_last_text(lang))
               + several)
    if charts.people_total(season_people, "turned_away_on_cold_nights").partial:
        st.caption(ui.tr("common.totals_exclude_hidden"))
    # People are counted in published months only: nights run to the data's date, people to
    # the last whole month, and the caption says so where the two differ.
    people_end = months.attrs["provenance"]["params"]["end"]
    if months.attrs.get("suppression", {}).get("published") and people_end < end:
        st.caption(ui.tr("common.published_months_note", last=i18n.format_month(people_end, lang)))

    if ui.views.winter().night_by_night:
        daily = ui.query("winter_nights_by_city_day", start=start, end=end, **where)
        if not ui.empty_notice(daily):
            city_names = list(dict.fromkeys(daily["city"]))
            # only the open tab is drawn (a click on another reruns the page)
            for tab, city in zip(st.tabs(city_names, on_change="rerun", key="winter_city_tab"), city_names):
                if not tab.open:
                    continue
                part = daily[daily["city"] == city]
                ui.plot(charts.calendar_heatmap(part, city=city, season=season, label=ui.label, hidden_text=hidden,
                                                **texts), key=f"winter_calendar_{city}", into=tab)
                demand = charts.demand_scatter(part, city=city, hidden_text=hidden, **texts)
                if demand is None:
                    tab.info(ui.tr("winter.demand.no_shelter_nights", city=city))
                else:
                    ui.plot(demand, key=f"winter_demand_{city}", into=tab)
    else:
        monthly = ui.query("winter_nights_by_city_month", start=start, end=end, **where)
        if not ui.empty_notice(monthly):
            ui.plot(charts.monthly_cold_nights(monthly, **texts), key="winter_monthly")
            ui.show_table(charts.month_table(monthly), what=ui.tr("winter.monthly.title"),
                          filters=replace(f, start=start, end=end), where="-".join(f.cities),
                          key="winter_months", columns=charts.table_columns(monthly, ui.tr))
    # The season's calendar has no time axis to draw them on: its context events are listed.
    season_events = ui.query("events_in_period", start=start, end=end, **where)
    if not season_events.empty:
        st.caption("  \n".join([f"**{ui.tr('events.heading')}**",
                                *(events.line(row, lang) for _, row in season_events.iterrows())]))

st.header(ui.tr("winter.comparison.heading"))
if not ui.empty_notice(nights):
    ui.plot(charts.season_comparison(nights, people, hidden_text=hidden, **texts), key="winter_comparison")
    ui.show_table(charts.season_table(people), what=ui.tr("winter.comparison.heading"),
                  filters=replace(f, start=first_day, end=data.data_as_of), where="-".join(f.cities),
                  key="winter_seasons", columns=charts.table_columns(people, ui.tr))
    if any(total.partial for total in
           (charts.people_total(people, c) for c in charts.PEOPLE_COUNTS)):
        st.caption(ui.tr("common.totals_exclude_hidden"))

"""Winter emergency: a season's cold nights, declared plan levels, emergency shelter and
people turned away, night by night (or month by month) and season against season."""

from dataclasses import replace

import streamlit as st

from terrain import app, events, glossary, i18n, roles
from terrain.charts import winter as charts

role = app.page_setup("winter")
st.title(app.tr("winter.title"))
data, lang = app.dataset(), app.lang()
seasons = charts.seasons_between(data.first_day, data.data_as_of)
asked = st.query_params.get("season")  # read before sidebar_filters rewrites the URL
f = app.sidebar_filters(("city",), cities=app.query("cities")["city"].tolist())
season, valid = charts.parse_season(asked, seasons)
if not valid:
    st.warning(app.tr("winter.invalid_season", season=charts.season_label(season)))
season = st.sidebar.selectbox(app.tr("winter.season"), seasons, index=seasons.index(season),
                              format_func=charts.season_label, key="f_season")
st.query_params["season"] = str(season)
start, end = charts.season_period(season, data.data_as_of)
where = {"cities": list(f.cities)}
texts = {"tr": app.tr, "lang": lang}

nights = app.query("winter_nights_by_season", until=None, **where)
first_day = charts.season_period(seasons[-1], data.data_as_of)[0]
months = app.query("winter_people_by_city_month", start=first_day, end=data.data_as_of, **where)
people = charts.season_people(app.query("winter_nights_by_season_city", until=None, **where), months)
hidden = app.tr("common.suppressed_value", k=app.threshold_of(months))
st.header(app.tr("winter.season_heading", season=charts.season_label(season),
                 period=i18n.format_period(start, end, lang)))
season_nights, season_people = nights[nights["season"] == season], people[people["season"] == season]
if season_nights.empty:
    st.info(app.tr("winter.empty_season", season=charts.season_label(season)))
else:
    for heading, figures in charts.headline(season_nights.iloc[0], season_people, label=app.label,
                                            hidden_text=hidden, **texts):
        if heading:
            st.caption(heading)
        for column, figure in zip(st.columns(4), figures):
            column.metric(figure.label, figure.value, help=figure.help)
    several = " " + app.tr("winter.several_cities") if len(f.cities) != 1 else ""
    st.caption(app.tr("winter.definitions", cold_night=glossary.cold_night_text(lang),
                      season_first=glossary.season_first_text(lang), season_last=glossary.season_last_text(lang))
               + several)
    if charts.people_total(season_people, "turned_away_on_cold_nights").partial:
        st.caption(app.tr("common.totals_exclude_hidden"))
    # People are counted in published months only: nights run to the data's date, people to
    # the last whole month, and the caption says so where the two differ.
    people_end = months.attrs["provenance"]["params"]["end"]
    if months.attrs.get("suppression", {}).get("published") and people_end < end:
        st.caption(app.tr("common.published_months_note", last=i18n.format_month(people_end, lang)))

    if roles.allows_grain(role, "day"):
        daily = app.query("winter_nights_by_city_day", start=start, end=end, **where)
        if not app.empty_notice(daily):
            city_names = list(dict.fromkeys(daily["city"]))
            for tab, city in zip(st.tabs(city_names), city_names):
                part = daily[daily["city"] == city]
                tab.plotly_chart(charts.calendar_heatmap(part, city=city, season=season, label=app.label,
                                                         hidden_text=hidden, **texts), key=f"winter_calendar_{city}")
                demand = charts.demand_scatter(part, city=city, hidden_text=hidden, **texts)
                if demand is None:
                    tab.info(app.tr("winter.demand.no_shelter_nights", city=city))
                else:
                    tab.plotly_chart(demand, key=f"winter_demand_{city}")
    else:
        monthly = app.query("winter_nights_by_city_month", start=start, end=end, **where)
        if not app.empty_notice(monthly):
            st.plotly_chart(charts.monthly_cold_nights(monthly, **texts), key="winter_monthly")
            app.show_table(charts.month_table(monthly), what=app.tr("winter.monthly.title"),
                           filters=replace(f, start=start, end=end), where="-".join(f.cities),
                           key="winter_months", columns=charts.table_columns(monthly, app.tr))
    # The season's calendar has no time axis to draw them on: its context events are listed.
    season_events = app.query("events_in_period", start=start, end=end, **where)
    if not season_events.empty:
        st.caption("  \n".join([f"**{app.tr('events.heading')}**",
                                *(events.line(row, lang) for _, row in season_events.iterrows())]))

st.header(app.tr("winter.comparison.heading"))
if not app.empty_notice(nights):
    st.plotly_chart(charts.season_comparison(nights, people, hidden_text=hidden, **texts), key="winter_comparison")
    app.show_table(charts.season_table(people), what=app.tr("winter.comparison.heading"),
                   filters=replace(f, start=first_day, end=data.data_as_of), where="-".join(f.cities),
                   key="winter_seasons", columns=charts.table_columns(people, app.tr))
    if any(total.partial for total in
           (charts.people_total(people, c) for c in charts.PEOPLE_COUNTS)):
        st.caption(app.tr("common.totals_exclude_hidden"))

"""Consultations: how many, of which kind, for whom and where, against the same period a
year earlier. Programme staff get every filter, per site; donors get cities and whole months."""

import streamlit as st

from terrain import app, i18n, roles
from terrain.charts import consultations as charts

role = app.page_setup("consultations")
lang = app.lang()
st.title(app.tr("consultations.title"))
detail = roles.can(role, "see_site_detail")
sites = app.query("consultations_sites") if detail else None
f = app.sidebar_filters(("period", "grain", "city", "site", "activity", "age", "sex", "minors", "girls"),
                        cities=app.query("cities")["city"].tolist(),
                        sites=dict(zip(sites["site_id"], sites["site_name"])) if detail else None)
if detail:
    where = f.params("start", "end", "cities", "sites", "activities", "age_bands", "sexes", "minors_only", "girls_only")
    names = charts.SITE_LEVEL_QUERIES
else:  # city-level queries without the filters whose differences could uncover a hidden count
    where, names = f.params("start", "end", "cities"), charts.CITY_LEVEL_QUERIES
    st.info(app.tr("consultations.city_level_note"))


def query(part: str, **extra):
    return charts.only_activities(app.query(names[part], **{**where, **extra}), f.activities)


def table(frame, part: str) -> None:
    app.show_table(charts.labelled(frame, lang), what=app.tr(f"consultations.table.{part}"), filters=f,
                   key=f"consultations_{part}", columns=charts.table_columns(frame, app.tr), where="-".join(f.cities))


now = query("by_activity")
start, end = charts.shown_period(now)
before = query("by_activity", **dict(zip(("start", "end"), charts.year_earlier(start, end))))
k = app.threshold_of(now)
st.caption(app.tr("consultations.compared_periods", period=i18n.format_period(start, end, lang),
                  before=i18n.format_period(*charts.shown_period(before), lang)))
shown = [None, *[a for a in charts.ACTIVITY_COLOURS if not f.activities or a in f.activities]]
for column, activity in zip(st.columns(len(shown)), shown):
    figure = charts.headline(now, before, activity)
    column.metric(app.label("activity", activity) if activity else app.tr("consultations.all_consultations"),
                  figure.text(lang, k), help=app.tr("consultations.metric_help"),
                  delta=i18n.format_percent(figure.change, lang, signed=True) if figure.change is not None else None)
trend = query("by_period_activity", grain=f.grain)
events = app.query("events_in_period", **f.params("start", "end", "cities"))
if app.empty_notice(trend):
    st.stop()
if k:
    st.caption(app.tr("consultations.totals_leave_out_hidden", k=k))
st.plotly_chart(charts.activity_over_time(trend, lang=lang, grain=f.grain, k=k, events=events), key="consultations_trend")

st.header(app.tr("consultations.by_site_header" if detail else "consultations.by_city_header"))
places = query("by_place")
st.plotly_chart(charts.by_place(places, lang=lang, k=k), key="consultations_by_place")
table(places, "by_place")

st.header(app.tr("consultations.breakdowns_header"))
tabs = st.tabs([app.tr(f"consultations.tab.{part}") for part in charts.BREAKDOWNS])
for tab, (part, (category, colour)) in zip(tabs, charts.BREAKDOWNS.items()):
    with tab:
        frame = query(part)
        if not app.empty_notice(frame):
            st.plotly_chart(charts.breakdown(frame, category, lang=lang, k=k, colour=colour),
                            key=f"consultations_{part}")
            table(frame, part)

st.header(app.tr("consultations.coverage_header"))
st.caption(app.tr("consultations.law_note") + "  \n" + app.tr("consultations.coverage_definition"))
coverage, by_coverage = query("coverage_by_period", grain=f.grain), query("by_coverage")
period = charts.coverage_summary(by_coverage)
if period["share"] is not None and period["unknown_share"] is not None:
    st.caption(app.tr("consultations.coverage_period", share=i18n.format_percent(period["share"], lang),
                      without=i18n.format_number(period["without_coverage"], lang),
                      known=i18n.format_number(period["with_known_coverage"], lang),
                      unknown_share=i18n.format_percent(period["unknown_share"], lang),
                      unknown=i18n.format_number(period["unknown_coverage"], lang),
                      total=i18n.format_number(period["consultations"], lang)))
st.plotly_chart(charts.share_without_coverage(coverage, lang=lang, grain=f.grain, events=events), key="consultations_coverage")
table(by_coverage, "by_coverage")

st.header(app.tr("consultations.year_on_year_header"))
table(charts.year_on_year(now, before, lang), "year_on_year")

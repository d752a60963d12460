"""Consultations: how many, of which kind, for whom and where, against the same period a
year earlier. Programme staff get every filter, per site; donors get cities and whole months."""

import streamlit as st

from terrain import i18n, ui
from terrain.charts import consultations as charts

ui.page_setup("consultations")
lang = ui.lang()
st.title(ui.tr("consultations.title"))
view = ui.views.consultations()   # per site with every filter, or per city (donors)
f = ui.sidebar_filters(("period", "grain", "city", "site", "activity", "age", "sex", "minors", "girls"),
                       cities=ui.query("cities")["city"].tolist(), sites=view.sites())
where, names = f.params(*view.filter_params), view.queries
if view.level == "city":  # without the filters whose differences could uncover a hidden count
    st.info(ui.tr("consultations.city_level_note"))


def query(part: str, **extra):
    return charts.only_activities(ui.query(names[part], **{**where, **extra}), f.activities)


def table(frame, part: str) -> None:
    ui.show_table(charts.labelled(frame, lang), what=ui.tr(f"consultations.table.{part}"), filters=f,
                  key=f"consultations_{part}", columns=charts.table_columns(frame, ui.tr), where="-".join(f.cities))


now = query("by_activity")
start, end = charts.shown_period(now)
before = query("by_activity", **dict(zip(("start", "end"), charts.year_earlier(start, end))))
k = ui.threshold_of(now)
st.caption(ui.tr("consultations.compared_periods", period=i18n.format_period(start, end, lang),
                 before=i18n.format_period(*charts.shown_period(before), lang)))
shown = [None, *[a for a in charts.ACTIVITY_COLOURS if not f.activities or a in f.activities]]
for column, activity in zip(st.columns(len(shown)), shown):
    figure = charts.headline(now, before, activity)
    column.metric(ui.label("activity", activity) if activity else ui.tr("consultations.all_consultations"),
                  figure.text(lang, k), help=ui.tr("consultations.metric_help"),
                  delta=i18n.format_percent(figure.change, lang, signed=True) if figure.change is not None else None)
trend = query("by_period_activity", grain=f.grain)
events = ui.query("events_in_period", **f.params("start", "end", "cities"))
if ui.empty_notice(trend):
    st.stop()
if k:
    st.caption(ui.tr("consultations.totals_leave_out_hidden", k=k))
ui.plot(charts.activity_over_time(trend, lang=lang, grain=f.grain, k=k, events=events), key="consultations_trend")

st.header(ui.tr(f"consultations.by_{view.level}_header"))
places = query("by_place")
ui.plot(charts.by_place(places, lang=lang, k=k), key="consultations_by_place")
table(places, "by_place")

st.header(ui.tr("consultations.breakdowns_header"))
# Only the open tab is drawn (a click on another reruns the page); every tab's figures are
# read, as the page's downloads and the published views expect.
tabs = st.tabs([ui.tr(f"consultations.tab.{part}") for part in charts.BREAKDOWNS], on_change="rerun",
               key="consultations_breakdown_tab")
for tab, (part, (category, colour)) in zip(tabs, charts.BREAKDOWNS.items()):
    frame = query(part)
    if not tab.open:
        continue
    with tab:
        if not ui.empty_notice(frame):
            ui.plot(charts.breakdown(frame, category, lang=lang, k=k, colour=colour), key=f"consultations_{part}")
            table(frame, part)

st.header(ui.tr("consultations.coverage_header"))
st.caption(ui.tr("consultations.law_note") + "  \n" + ui.tr("consultations.coverage_definition"))
coverage, by_coverage = query("coverage_by_period", grain=f.grain), query("by_coverage")
period = charts.coverage_summary(by_coverage)
if period["share"] is not None and period["unknown_share"] is not None:
    st.caption(ui.tr("consultations.coverage_period", share=i18n.format_percent(period["share"], lang),
                     without=i18n.format_number(period["without_coverage"], lang),
                     known=i18n.format_number(period["with_known_coverage"], lang),
                     unknown_share=i18n.format_percent(period["unknown_share"], lang),
                     unknown=i18n.format_number(period["unknown_coverage"], lang),
                     total=i18n.format_number(period["consultations"], lang)))
ui.plot(charts.share_without_coverage(coverage, lang=lang, grain=f.grain, events=events), key="consultations_coverage")
table(by_coverage, "by_coverage")

st.header(ui.tr("consultations.year_on_year_header"))
table(charts.year_on_year(now, before, lang), "year_on_year")

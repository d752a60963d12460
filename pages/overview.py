"""Overview: the period's headline figures, each against the previous period."""

import streamlit as st

from terrain import app, charts, filters as flt, i18n, indicators

role = app.page_setup("overview")
st.title(app.tr("overview.title"))
cities = app.query("cities")["city"].tolist()
f = app.sidebar_filters(("period", "city", "grain"), cities=cities)
st.caption(app.tr("overview.period_vs_previous", period=i18n.format_period(f.start, f.end, app.lang())))
prev_start, prev_end = flt.previous_period(f.start, f.end)
where = {"cities": list(f.cities)}

consultations = app.query("consultations_by_city_activity", start=f.start, end=f.end, **where)
consultations_before = app.query("consultations_by_city_activity", start=prev_start, end=prev_end, **where)
nights = app.query("shelter_nights_by_city", start=f.start, end=f.end, **where)
nights_before = app.query("shelter_nights_by_city", start=prev_start, end=prev_end, **where)
cold = app.query("cold_nights_total", start=f.start, end=f.end, **where)
cold_before = app.query("cold_nights_total", start=prev_start, end=prev_end, **where)


def metric(column, label_key, now, before, *, value=None, previous=None, fmt=None, inverse=False):
    value = indicators.total(now, column) if value is None else value
    previous = indicators.total(before, column) if previous is None else previous
    delta = indicators.change(value, previous)
    fmt = fmt or (lambda v: i18n.format_number(v, app.lang()))
    column.metric(app.tr(label_key), fmt(value) if value is not None else "—",
                  delta=i18n.format_percent(delta, app.lang(), signed=True) if delta is not None else None,
                  delta_color="inverse" if inverse else "normal")


st.subheader(app.tr("overview.consultations"))
by_activity = st.columns(5)
metric(by_activity[0], "overview.all_consultations", consultations, consultations_before,
       value=indicators.total(consultations, "consultations"),
       previous=indicators.total(consultations_before, "consultations"))
for column, activity in zip(by_activity[1:], flt.ACTIVITIES):
    now = consultations[consultations["activity"] == activity]
    before = consultations_before[consultations_before["activity"] == activity]
    column.metric(
        app.label("activity", activity), i18n.format_number(indicators.total(now, "consultations"), app.lang()),
        delta=(lambda d: i18n.format_percent(d, app.lang(), signed=True) if d is not None else None)(
            indicators.change(indicators.total(now, "consultations"), indicators.total(before, "consultations"))))

st.subheader(app.tr("overview.shelters"))
sheltered, occupancy, turned_away, cold_nights = st.columns(4)
occupied = indicators.total(nights, "bed_nights_occupied")
available = indicators.total(nights, "bed_nights_available")
occupied_before = indicators.total(nights_before, "bed_nights_occupied")
available_before = indicators.total(nights_before, "bed_nights_available")
metric(sheltered, "overview.bed_nights", nights, nights_before, value=occupied, previous=occupied_before)
rate, rate_before = indicators.ratio(occupied, available), indicators.ratio(occupied_before, available_before)
occupancy.metric(app.tr("overview.occupancy"),
                 i18n.format_percent(rate, app.lang()) if rate is not None else "—",
                 delta=i18n.format_percent(rate - rate_before, app.lang(), signed=True, points=True)
                 if rate is not None and rate_before is not None else None)
metric(turned_away, "overview.turned_away", nights, nights_before,
       value=indicators.total(nights, "turned_away"), previous=indicators.total(nights_before, "turned_away"),
       inverse=True)
metric(cold_nights, "overview.cold_nights", cold, cold_before,
       value=int(cold["cold_nights"].iloc[0]), previous=int(cold_before["cold_nights"].iloc[0]), inverse=True)
if app.threshold_of(consultations):
    st.caption(app.tr("common.totals_exclude_hidden", k=app.threshold_of(consultations)))

trend = app.query("consultations_by_period_city", start=f.start, end=f.end, grain=f.grain, **where)
if not app.empty_notice(trend):
    st.plotly_chart(charts.stacked_bars(
        trend, x="period", y="consultations", colour="city", colours=charts.CITY_COLOURS,
        names={c: c for c in cities}, title=app.tr("overview.trend_title"),
        x_title=app.tr(f"common.grain_{f.grain}"), y_title=app.tr("overview.trend_y"),
        legend_title=app.tr("common.city"),
        hidden_text=app.tr("common.hidden_count", k=app.threshold_of(trend))), key="overview_trend")
app.show_table(consultations, what=app.tr("overview.consultations"), filters=f, key="overview_consultations",
               columns={"city": app.tr("common.city"), "activity": app.tr("common.activity_label"),
                        "consultations": app.tr("overview.consultations")})

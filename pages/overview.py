"""Overview: the period's headline figures, each against the previous period."""

import pandas as pd
import streamlit as st

from terrain import charts, glossary, i18n, indicators, ui
from terrain import filters as flt

ui.page_setup("overview")
st.title(ui.tr("overview.title"))
if ui.views.overview().months_to_approve:
    # What waits for the manager's approval before donors and the public see it.
    to_approve = ui.query("month_approvals_by_city")
    waiting = to_approve[to_approve["approved_by"].isna()]
    seen = to_approve.loc[to_approve["published"], "month"]
    if seen.empty:
        st.warning(ui.tr("approvals.overview_nothing_published"))
    elif not waiting.empty:
        months = sorted({pd.Timestamp(m).date() for m in waiting["month"]})
        named = ", ".join(i18n.format_month(m, ui.lang()) for m in months)
        st.info(i18n.t_plural("approvals.overview_waiting", len(months), ui.lang(), count=len(months), months=named,
                              until=i18n.format_month(pd.Timestamp(max(seen)).date(), ui.lang())))
    if not waiting.empty or seen.empty:
        # a relative link to the page's address (dashboard.py names it "approvals"), which works
        # behind any prefix nginx serves the app under
        st.markdown(f":material/task_alt: [{ui.tr('common.page.approvals')}](approvals)")
cities = ui.query("cities")["city"].tolist()
f = ui.sidebar_filters(("period", "city", "grain"), cities=cities)
where = {"cities": list(f.cities)}

consultations = ui.query("consultations_by_city_activity", start=f.start, end=f.end, **where)
# The period the figures hold: for donors whole months, up to the last published one; the
# previous period is as long, so a whole month is never set against a part of one.
held = consultations.attrs["provenance"]["params"]
st.caption(ui.tr("overview.period_vs_previous", period=i18n.format_period(held["start"], held["end"], ui.lang())))
if consultations.attrs.get("suppression", {}).get("published"):
    st.caption(ui.tr("common.published_months_note", last=i18n.format_month(held["end"], ui.lang())))
prev_start, prev_end = flt.previous_period(held["start"], held["end"])
consultations_before = ui.query("consultations_by_city_activity", start=prev_start, end=prev_end, **where)
nights = ui.query("shelter_nights_by_city", start=held["start"], end=held["end"], **where)
nights_before = ui.query("shelter_nights_by_city", start=prev_start, end=prev_end, **where)
trend = ui.query("consultations_by_period_city", start=held["start"], end=held["end"], grain=f.grain, **where)
trend_before = ui.query("consultations_by_period_city", start=prev_start, end=prev_end, grain=f.grain, **where)
cold = ui.query("cold_nights_total", start=held["start"], end=held["end"], **where)
cold_before = ui.query("cold_nights_total", start=prev_start, end=prev_end, **where)


def show_metric(column, label, value, previous, *, inverse=False, fmt=None, hidden=None, lower=False, help=None):
    """A headline figure with its change; "masqué" when every cell behind it is hidden (their
    sum may be k or more, so it says no "< k")
    (`value` None, unless `hidden` says otherwise), "—" when there is nothing to show, "≥ N"
    when it leaves hidden cells out (`lower`: no change is worked out from a lower bound)."""
    fmt = fmt or (lambda v: i18n.format_number(v, ui.lang()))
    hidden = value is None if hidden is None else hidden
    delta = None if lower else indicators.change(value, previous)
    shown = (ui.tr("common.at_least", value=fmt(value)) if value is not None and lower
             else fmt(value) if value is not None
             else ui.tr("common.hidden_figure") if hidden else "—")
    column.metric(label, shown,
                  delta=i18n.format_percent(delta, ui.lang(), signed=True) if delta is not None else None,
                  delta_color="inverse" if inverse else "normal",
                  help=ui.tr("overview.hidden_help") if hidden else help)


st.header(ui.tr("overview.consultations"))
by_activity = st.columns(5)
# All consultations are the trend chart's cells added up, so the headline is the chart's sum
# (a donor's activity cells and city totals are hidden apart).
show_metric(by_activity[0], ui.tr("overview.all_consultations"),
            indicators.total(trend, "consultations"), indicators.total(trend_before, "consultations"),
            lower=indicators.leaves_out_hidden(trend, "consultations"))
for column, activity in zip(by_activity[1:], flt.ACTIVITIES):
    now = consultations[consultations["activity"] == activity]
    before = consultations_before[consultations_before["activity"] == activity]
    show_metric(column, ui.label("activity", activity),
                indicators.total(now, "consultations"), indicators.total(before, "consultations"),
                lower=indicators.leaves_out_hidden(now, "consultations"))

st.header(ui.tr("overview.shelters"))
sheltered, occupancy, turned_away, cold_nights = st.columns(4)
occupied, occupied_before = indicators.total(nights, "bed_nights_occupied"), indicators.total(nights_before, "bed_nights_occupied")
available, available_before = indicators.total(nights, "bed_nights_available"), indicators.total(nights_before, "bed_nights_available")
show_metric(sheltered, ui.tr("overview.bed_nights"), occupied, occupied_before)
show_metric(occupancy, ui.tr("overview.occupancy"), indicators.ratio(occupied, available),
            indicators.ratio(occupied_before, available_before), fmt=lambda r: i18n.format_percent(r, ui.lang()),
            hidden=occupied is None, help=ui.tr("overview.occupancy_help"))
show_metric(turned_away, ui.tr("overview.turned_away"), indicators.total(nights, "turned_away"),
            indicators.total(nights_before, "turned_away"), inverse=True, help=ui.tr("overview.turned_away_help"))
# A night counts once however many of the cities were cold that night (as on the Winter page).
show_metric(cold_nights, ui.tr("overview.cold_nights" if len(f.cities) == 1 else "overview.cold_nights_several"),
            int(cold["cold_nights"].iloc[0]), int(cold_before["cold_nights"].iloc[0]), inverse=True,
            help=glossary.definition("cold_night", ui.lang()))
if i18n.shown_above(indicators.ratio(occupied, available)):   # said only where the figure shown passes 100 %
    st.caption(ui.tr("occupancy.over_full_note"))
if ui.threshold_of(consultations):
    st.caption(ui.tr("common.totals_exclude_hidden", k=ui.threshold_of(consultations)))
if not ui.empty_notice(trend):
    ui.plot(charts.stacked_bars(
        trend, x="period", y="consultations", colour="city", colours=charts.CITY_COLOURS,
        names={c: c for c in cities}, title=ui.tr("overview.trend_title"),
        x_title=ui.tr(f"common.grain_{f.grain}"), y_title=ui.tr("overview.trend_y"),
        legend_title=ui.tr("common.city"),
        hidden_text=ui.tr("common.suppressed_value", k=ui.threshold_of(trend))), key="overview_trend")
ui.show_table(consultations, what=ui.tr("overview.consultations"), filters=f, key="overview_consultations",
              columns={"city": ui.tr("common.city"), "activity": ui.tr("common.activity_label"),
                        "consultations": ui.tr("overview.consultations")})

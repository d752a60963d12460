"""Mobile outreach and vaccination: people the mobile teams reached, by place type and team;
vaccine doses by antigen; each campaign's coverage as a range. Programme staff only."""

import streamlit as st

from terrain import i18n, ui
from terrain.charts import outreach as charts

ui.page_setup("outreach")
lang = ui.lang()
st.title(ui.tr("outreach.title"))
teams = ui.query("outreach_teams")
f = ui.sidebar_filters(("period", "grain", "city", "site"), cities=ui.query("cities")["city"].tolist(),
                       sites=dict(zip(teams["team_id"], teams["team_name"])))
st.caption(ui.tr("outreach.period_shown", period=i18n.format_period(f.start, f.end, lang)))


def table(frame, part: str, shaped=None) -> None:
    shown = charts.labelled(frame, lang) if shaped is None else shaped
    ui.show_table(shown, what=ui.tr(f"outreach.table.{part}"), filters=f, key=f"outreach_{part}",
                  columns=charts.table_columns(shown, ui.tr), where="-".join(f.cities))


events = ui.query("events_in_period", **f.params("start", "end", "cities"))
st.header(ui.tr("outreach.outreach_header"))
reached = ui.query("outreach_by_period_place_type", **f.params("start", "end", "grain", "cities", "sites"))
k = ui.threshold_of(reached)
if not ui.empty_notice(reached):
    figures = [(ui.tr("outreach.people_reached"), reached["people_reached"])] + [
        (ui.label("place_type", place), reached.loc[reached["place_type"] == place, "people_reached"])
        for place in charts.PLACE_TYPE_COLOURS]
    for column, (label, values) in zip(st.columns(len(figures)), figures):
        column.metric(label, charts.total_text(values, lang, k), help=ui.tr("outreach.metric_help"))
    st.caption(ui.tr("outreach.reached_note"))
    ui.plot(charts.reached_over_time(reached, lang=lang, grain=f.grain, k=k, events=events), key="outreach_reached")
    by_team = ui.query("outreach_by_team_place_type", **f.params("start", "end", "cities", "sites"))
    ui.plot(charts.reached_by_team(by_team, lang=lang, k=k), key="outreach_by_team")
    table(by_team, "by_team")

st.header(ui.tr("outreach.vaccination_header"))
doses = ui.query("vaccinations_by_period_antigen", **f.params("start", "end", "grain", "cities"))
if not ui.empty_notice(doses):
    st.metric(ui.tr("outreach.doses"), charts.total_text(doses["doses"], lang, ui.threshold_of(doses)),
              help=ui.tr("outreach.doses_help"))
    ui.plot(charts.doses_over_time(doses, lang=lang, grain=f.grain, k=ui.threshold_of(doses), events=events),
            key="outreach_doses")
st.subheader(ui.tr("outreach.campaigns_header"))
campaigns = ui.query("vaccinations_by_campaign", **f.params("start", "end", "cities"))
if not ui.empty_notice(campaigns):
    st.caption(ui.tr("outreach.coverage_note"))
    if charts.has_sphere_antigen(campaigns):   # Sphere's 90 % concerns measles (and MMR) only
        st.info(ui.tr("outreach.sphere_note"))
    ui.plot(charts.coverage_ranges(campaigns, lang=lang), key="outreach_coverage")
    table(campaigns, "campaigns", charts.campaigns_table(campaigns, lang))

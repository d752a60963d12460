"""Mobile outreach and vaccination: people the mobile teams reached, by place type and team;
vaccine doses by antigen; each campaign's coverage as a range. Programme staff only."""

import streamlit as st

from terrain import app, i18n
from terrain.charts import outreach as charts

role = app.page_setup("outreach")
lang = app.lang()
st.title(app.tr("outreach.title"))
teams = app.query("outreach_teams")
f = app.sidebar_filters(("period", "grain", "city", "site"), cities=app.query("cities")["city"].tolist(),
                        sites=dict(zip(teams["team_id"], teams["team_name"])))
st.caption(app.tr("outreach.period_shown", period=i18n.format_period(f.start, f.end, lang)))


def table(frame, part: str, shaped=None) -> None:
    shown = charts.labelled(frame, lang) if shaped is None else shaped
    app.show_table(shown, what=app.tr(f"outreach.table.{part}"), filters=f, key=f"outreach_{part}",
                   columns=charts.table_columns(shown, app.tr), where="-".join(f.cities))


events = app.query("events_in_period", **f.params("start", "end", "cities"))
st.header(app.tr("outreach.outreach_header"))
reached = app.query("outreach_by_period_place_type", **f.params("start", "end", "grain", "cities", "sites"))
k = app.threshold_of(reached)
if not app.empty_notice(reached):
    figures = [(app.tr("outreach.people_reached"), reached["people_reached"])] + [
        (app.label("place_type", place), reached.loc[reached["place_type"] == place, "people_reached"])
        for place in charts.PLACE_TYPE_COLOURS]
    for column, (label, values) in zip(st.columns(len(figures)), figures):
        column.metric(label, charts.total_text(values, lang, k), help=app.tr("outreach.metric_help"))
    st.caption(app.tr("outreach.reached_note"))
    st.plotly_chart(charts.reached_over_time(reached, lang=lang, grain=f.grain, k=k, events=events), key="outreach_reached")
    by_team = app.query("outreach_by_team_place_type", **f.params("start", "end", "cities", "sites"))
    st.plotly_chart(charts.reached_by_team(by_team, lang=lang, k=k), key="outreach_by_team")
    table(by_team, "by_team")

st.header(app.tr("outreach.vaccination_header"))
doses = app.query("vaccinations_by_period_antigen", **f.params("start", "end", "grain", "cities"))
if not app.empty_notice(doses):
    st.metric(app.tr("outreach.doses"), charts.total_text(doses["doses"], lang, app.threshold_of(doses)),
              help=app.tr("outreach.doses_help"))
    st.plotly_chart(charts.doses_over_time(doses, lang=lang, grain=f.grain, k=app.threshold_of(doses),
                                            events=events),
                    key="outreach_doses")
st.subheader(app.tr("outreach.campaigns_header"))
campaigns = app.query("vaccinations_by_campaign", **f.params("start", "end", "cities"))
if not app.empty_notice(campaigns):
    st.caption(app.tr("outreach.coverage_note"))
    if charts.has_sphere_antigen(campaigns):   # Sphere's 90 % concerns measles (and MMR) only
        st.info(app.tr("outreach.sphere_note"))
    st.plotly_chart(charts.coverage_ranges(campaigns, lang=lang), key="outreach_coverage")
    table(campaigns, "campaigns", charts.campaigns_table(campaigns, lang))

"""Advocacy alerts: the episodes of the six alert rules, each with its evidence chart, and
a brief to the authorities prepared from an episode or from the filtered view.

The rules are evaluated on every count (terrain.alerts, as the programme manager); what is
shown here is suppressed for the signed-in role (counts below 5 for advocacy officers)."""

import streamlit as st

from terrain import alerts, app, briefs, disclosure, i18n, roles
from terrain.charts import alerts as charts


@st.cache_data(max_entries=8, show_spinner=False)
def _evaluated(version: str, config: dict, rule: str | None = None, start=None, end=None, city: str | None = None):
    # The whole history for the episodes (an episode keeps its real start), or one rule's
    # evidence around an episode; keyed by the data version, like app.query.
    with app.cursor(version) as con:
        if rule is None:
            return alerts.evaluate(con, config, *alerts.data_bounds(con))
        return alerts.series(con, rule, config, start, end, [city])


role = app.page_setup("alerts")
st.title(app.tr("alerts.title"))
st.caption(app.tr("alerts.intro"))
try:
    config = alerts.load_config()
except alerts.ConfigError as error:
    st.error(app.tr("alerts.config_error", error=str(error)))
    st.stop()
lang, k, data, version = app.lang(), disclosure.threshold(role, "internal"), app.dataset(), app.data_version()
asked, valid = alerts.parse_rules(st.query_params.get("rule"))  # read before sidebar_filters rewrites the URL
if not valid:
    st.warning(app.tr("common.invalid_parameter", name="rule"))
f = app.sidebar_filters(("period", "city"), cities=app.query("cities")["city"].tolist())
chosen = st.sidebar.multiselect(app.tr("alerts.filter.rules"), alerts.RULES, default=list(asked), key="f_rules",
                                format_func=lambda r: app.tr(f"alerts.rule.{r}"), placeholder=app.tr("alerts.filter.all"))
if chosen:
    st.query_params["rule"] = ",".join(chosen)
else:
    st.query_params.pop("rule", None)
status = st.sidebar.segmented_control(app.tr("alerts.filter.status"), ("all", "active"), default="all", key="f_status",
                                      format_func=lambda s: app.tr(f"alerts.status.{s}")) or "all"

everything = _evaluated(version, config)
st.metric(app.tr("alerts.active_count"), len(alerts.select(everything, active_only=True)))
shown = alerts.select(everything, rules=chosen, cities=f.cities, start=f.start, end=f.end, active_only=status == "active")
st.header(app.tr("alerts.period_count", n=len(shown)))
episode = None
if not shown:
    st.info(app.tr("alerts.no_episodes"))
else:
    st.dataframe(charts.episodes_table(shown, lang, k), hide_index=True, width="stretch", key="alerts_episodes")
    if k:
        st.caption(app.tr("alerts.suppressed_note", k=k))
    episode = st.selectbox(app.tr("alerts.episode_select"), shown, key="alerts_episode",
                           format_func=lambda e: charts.episode_label(e, lang))
    st.subheader(app.tr("alerts.evidence_header"))
    start, end = alerts.window_around(episode, data.first_day, data.data_as_of)
    rows = alerts.rows_of(episode, _evaluated(version, config, episode.rule, start, end, episode.city))
    inside = (rows["period"] >= episode.start) & (rows["period_end"] <= episode.end)
    evidence = alerts.for_audience(episode.rule, rows, k, [inside], place_total=False)
    st.plotly_chart(charts.evidence_figure(
        episode.rule, evidence, lang=lang, k=k, title=app.tr(f"alerts.chart_title.{episode.rule}", place=episode.place),
        sd=config[episode.rule].get("sd_above_mean"),
        events=app.query("events_in_period", start=start, end=end, cities=[episode.city] if episode.city else [])),
        key="alerts_evidence")
    if charts.over_capacity(episode.rule, evidence):   # said only where a night shown passes 100 %
        st.caption(app.tr("alerts.over_full_note"))

st.header(app.tr("alerts.brief_header"))
audiences = [a for a in roles.AUDIENCES if roles.can(role, f"prepare_{a}_brief")]
# The brief's rule is the page's: the chosen episode's, or one of the rules the table is
# filtered to. Scope and rule sit outside the form so that the form follows them at once.
scope = st.radio(app.tr("alerts.brief_scope.label"), ("episode", "view") if shown else ("view",), horizontal=True,
                 format_func=lambda s: app.tr(f"alerts.brief_scope.{s}"), key="brief_scope")
rules = [episode.rule] if scope == "episode" else list(chosen or alerts.RULES)
followed = episode.rule if episode and episode.rule in rules else rules[0]
if st.session_state.get("brief_follows") != (rules, followed) or st.session_state.get("brief_rule") not in rules:
    st.session_state["brief_follows"] = (rules, followed)   # the page's choice changed: follow it
    st.session_state["brief_rule"] = followed
rule = st.selectbox(app.tr("alerts.brief_rule"), rules, key="brief_rule", disabled=len(rules) == 1,
                    format_func=lambda r: app.tr(f"alerts.rule.{r}"))
if scope == "episode":
    st.caption(charts.episode_label(episode, lang))
if st.session_state.get("brief_recipient_for") != rule:       # each rule has its usual recipient
    st.session_state["brief_recipient_for"] = rule
    st.session_state["brief_recipient"] = briefs.DEFAULT_RECIPIENT[rule]
produced = st.session_state.get("alerts_produced_brief")
if produced and produced.brief.request.rule != rule:             # never offer a brief of another rule
    st.session_state.pop("alerts_produced_brief")
with st.form("alerts_brief"):
    recipient = st.selectbox(app.tr("alerts.recipient"), briefs.RECIPIENTS, key="brief_recipient",
                             format_func=lambda r: i18n.t(f"briefs.recipient.{r}", lang))
    brief_lang = st.radio(app.tr("alerts.language"), i18n.LANGUAGES, index=i18n.LANGUAGES.index(lang), horizontal=True,
                          key="brief_lang", format_func=lambda code: app.tr(f"common.language_{code}"))
    audience = st.radio(app.tr("alerts.audience"), audiences, horizontal=True, key="brief_audience",
                        format_func=lambda a: app.tr(f"alerts.audience.{a}", k=disclosure.threshold(briefs.BRIEF_ROLE, a)))
    fmt = st.radio(app.tr("alerts.format"), briefs.FORMATS, horizontal=True, key="brief_format",
                   format_func=lambda x: app.tr(f"alerts.format.{x}"))
    submitted = st.form_submit_button(app.tr("alerts.prepare"), key="brief_prepare")
if submitted:
    choices = dict(lang=brief_lang, audience=audience, format=fmt, recipient=recipient)
    request = (briefs.Request.about_episode(episode, **choices) if scope == "episode"
               else briefs.Request.about_view(rule, f.start, f.end, f.cities, **choices))
    user = app.current_user()
    st.session_state.pop("alerts_produced_brief", None)
    try:
        with app.cursor(version) as con:
            st.session_state["alerts_produced_brief"] = briefs.produce(con, request, config, user=user["name"],
                                                                       via=user["via"])
    except briefs.BriefRefused as refusal:
        st.error(str(refusal), icon=":material/block:")
produced = st.session_state.get("alerts_produced_brief")
if produced:
    st.success(app.tr("alerts.brief_ready", name=produced.file_name, sha=produced.sha256[:12]))
    st.download_button(app.tr("alerts.download"), produced.content, produced.file_name, mime=produced.mime_type,
                       key="alerts_download", on_click="ignore")

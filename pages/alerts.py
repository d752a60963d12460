"""Advocacy alerts: the episodes of the six alert rules, each with its evidence chart, and
a brief to the authorities prepared from an episode or from the filtered view.

The rules are evaluated on every count (terrain.alerts, as the programme manager); what is
shown here is suppressed for the signed-in role (counts below 5 for advocacy officers)."""

import streamlit as st

from terrain import alerts, briefs, disclosure, i18n, ui
from terrain.charts import alerts as charts

ui.page_setup("alerts")
st.title(ui.tr("alerts.title"))
st.caption(ui.tr("alerts.intro"))
try:
    config = alerts.load_config()
except alerts.ConfigError as error:
    st.error(ui.tr("alerts.config_error", error=str(error)))
    st.stop()
view = ui.views.alerts()   # the rules' episodes and evidence, hidden for the viewer; its brief audiences
lang, k, data = ui.lang(), view.threshold, ui.dataset()
asked, valid = alerts.parse_rules(st.query_params.get("rule"))  # read before sidebar_filters rewrites the URL
if not valid:
    st.warning(ui.tr("common.invalid_parameter", name="rule"))
f = ui.sidebar_filters(("period", "city"), cities=ui.query("cities")["city"].tolist())
chosen = st.sidebar.multiselect(ui.tr("alerts.filter.rules"), alerts.RULES, default=list(asked), key="f_rules",
                                format_func=lambda r: ui.tr(f"alerts.rule.{r}"), placeholder=ui.tr("alerts.filter.all"))
if chosen:
    st.query_params["rule"] = ",".join(chosen)
else:
    st.query_params.pop("rule", None)
status = st.sidebar.segmented_control(ui.tr("alerts.filter.status"), ("all", "active"), default="all", key="f_status",
                                      format_func=lambda s: ui.tr(f"alerts.status.{s}")) or "all"

everything = view.episodes(config)
st.metric(ui.tr("alerts.active_count"), len(alerts.select(everything, active_only=True)))
shown = alerts.select(everything, rules=chosen, cities=f.cities, start=f.start, end=f.end, active_only=status == "active")
st.header(ui.tr("alerts.period_count", n=len(shown)))
episode = None
if not shown:
    st.info(ui.tr("alerts.no_episodes"))
else:
    st.dataframe(charts.episodes_table(shown, lang, k), hide_index=True, width="stretch", key="alerts_episodes")
    if k:
        st.caption(ui.tr("alerts.suppressed_note", k=k))
    episode = st.selectbox(ui.tr("alerts.episode_select"), shown, key="alerts_episode",
                           format_func=lambda e: charts.episode_label(e, lang))
    st.subheader(ui.tr("alerts.evidence_header"))
    start, end = alerts.window_around(episode, data.first_day, data.data_as_of)
    evidence = view.evidence(episode, config, start, end)
    ui.plot(charts.evidence_figure(
        episode.rule, evidence, lang=lang, k=k, title=ui.tr(f"alerts.chart_title.{episode.rule}", place=episode.place),
        sd=config[episode.rule].get("sd_above_mean"),
        events=ui.query("events_in_period", start=start, end=end, cities=[episode.city] if episode.city else [])),
        key="alerts_evidence")
    if charts.over_capacity(episode.rule, evidence):   # said only where a night shown passes 100 %
        st.caption(ui.tr("alerts.over_full_note"))

st.header(ui.tr("alerts.brief_header"))
# The brief's rule is the page's: the chosen episode's, or one of the rules the table is
# filtered to. Scope and rule sit outside the form so that the form follows them at once.
scope = st.radio(ui.tr("alerts.brief_scope.label"), ("episode", "view") if shown else ("view",), horizontal=True,
                 format_func=lambda s: ui.tr(f"alerts.brief_scope.{s}"), key="brief_scope")
rules = [episode.rule] if scope == "episode" else list(chosen or alerts.RULES)
followed = episode.rule if episode and episode.rule in rules else rules[0]
if st.session_state.get("brief_follows") != (rules, followed) or st.session_state.get("brief_rule") not in rules:
    st.session_state["brief_follows"] = (rules, followed)   # the page's choice changed: follow it
    st.session_state["brief_rule"] = followed
if len(rules) == 1:
    # One rule to brief on: said in words, not offered as a choice that cannot change (a
    # disabled control's faded label reads at 2.6:1 against the page).
    rule = rules[0]
    st.markdown(ui.tr("alerts.brief_rule_fixed", rule=ui.tr(f"alerts.rule.{rule}")))
else:
    rule = st.selectbox(ui.tr("alerts.brief_rule"), rules, key="brief_rule",
                        format_func=lambda r: ui.tr(f"alerts.rule.{r}"))
if scope == "episode":
    st.caption(charts.episode_label(episode, lang))
if st.session_state.get("brief_recipient_for") != rule:       # each rule has its usual recipient
    st.session_state["brief_recipient_for"] = rule
    st.session_state["brief_recipient"] = briefs.DEFAULT_RECIPIENT[rule]
produced = st.session_state.get("alerts_produced_brief")
if produced and produced.brief.request.rule != rule:             # never offer a brief of another rule
    st.session_state.pop("alerts_produced_brief")
with st.form("alerts_brief"):
    recipient = st.selectbox(ui.tr("alerts.recipient"), briefs.RECIPIENTS, key="brief_recipient",
                             format_func=lambda r: i18n.t(f"briefs.recipient.{r}", lang))
    brief_lang = st.radio(ui.tr("alerts.language"), i18n.LANGUAGES, index=i18n.LANGUAGES.index(lang), horizontal=True,
                          key="brief_lang", format_func=lambda code: ui.tr(f"common.language_{code}"))
    audience = st.radio(ui.tr("alerts.audience"), view.brief_audiences, horizontal=True, key="brief_audience",
                        format_func=lambda a: ui.tr(f"alerts.audience.{a}", k=disclosure.threshold(briefs.BRIEF_ROLE, a)))
    fmt = st.radio(ui.tr("alerts.format"), briefs.FORMATS, horizontal=True, key="brief_format",
                   format_func=lambda x: ui.tr(f"alerts.format.{x}"))
    submitted = st.form_submit_button(ui.tr("alerts.prepare"), key="brief_prepare")
if submitted:
    choices = dict(lang=brief_lang, audience=audience, format=fmt, recipient=recipient)
    request = (briefs.Request.about_episode(episode, **choices) if scope == "episode"
               else briefs.Request.about_view(rule, f.start, f.end, f.cities, **choices))
    st.session_state.pop("alerts_produced_brief", None)
    try:
        st.session_state["alerts_produced_brief"] = view.brief(request, config, ui.current_user())
    except briefs.BriefRefused as refusal:
        st.error(str(refusal), icon=":material/block:")
produced = st.session_state.get("alerts_produced_brief")
if produced:
    st.success(ui.tr("alerts.brief_ready", name=produced.file_name, sha=produced.sha256[:12]))
    st.download_button(ui.tr("alerts.download"), produced.content, produced.file_name, mime=produced.mime_type,
                       key="alerts_download", on_click="ignore")

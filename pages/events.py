"""Context events: what helps read the charts (an opening, an eviction, a law, a winter plan),
added and removed by programme managers, drawn on every time chart of their period.

The checks and the write are terrain/events.py, shared with `python -m terrain events`."""

import streamlit as st

from terrain import events, ui
from terrain.importing import loading

ui.page_setup("events")
lang, user = ui.lang(), ui.current_user()["name"]
st.title(ui.tr("events.title"))
st.caption(ui.tr("events.intro"))
cities = ui.query("cities")["city"].tolist()
date_format = "DD/MM/YYYY" if lang == "fr" else "YYYY-MM-DD"
DONE_KEY = "events_done"   # what the last change did, said once after the page is drawn again
if DONE_KEY in st.session_state:
    st.success(st.session_state.pop(DONE_KEY))


def write(change, done_key: str, event_id: str | None = None) -> None:
    """Run one change; say what became of it in one line (nothing changes when it is refused)."""
    try:
        event_id = change() or event_id
    except events.Refused as refused:
        st.error(ui.tr("events.page.refused", reason=refused.message(lang)))
    except loading.FAULTS as fault:
        st.error(ui.tr("events.page.fault", reason=loading.fault_reason(fault)))
    else:
        st.session_state[DONE_KEY] = ui.tr(done_key, event_id=event_id)
        st.rerun()   # the list and the charts read the new version of the file


st.header(ui.tr("events.page.add_heading"))
with st.form("event_add"):
    starts = st.date_input(ui.tr("events.page.starts"), value=ui.dataset().data_as_of, format=date_format,
                           key="event_starts")
    ends = st.date_input(ui.tr("events.page.ends"), value=None, format=date_format, key="event_ends")
    city = st.selectbox(ui.tr("events.page.city"), [None, *cities], key="event_city",
                        format_func=lambda c: ui.tr("events.everywhere") if c is None else c)
    kind = st.selectbox(ui.tr("events.page.kind"), events.KINDS, key="event_kind",
                        format_func=lambda k: ui.tr(f"events.kind.{k}"))
    help_text = ui.tr("events.page.label_help", high=events.LABEL_LENGTH[1])
    label_fr = st.text_input(ui.tr("events.page.label_fr"), max_chars=events.LABEL_LENGTH[1], help=help_text,
                             key="event_label_fr")
    label_en = st.text_input(ui.tr("events.page.label_en"), max_chars=events.LABEL_LENGTH[1], help=help_text,
                             key="event_label_en")
    audience = st.radio(ui.tr("events.page.audience"), events.AUDIENCES, horizontal=True, key="event_audience",
                        format_func=lambda a: ui.tr(f"events.audience.{a}"))
    if st.form_submit_button(ui.tr("events.page.add_button"), type="primary"):
        event = events.Event(starts=starts, ends=ends, city=city, kind=kind, label_fr=label_fr, label_en=label_en,
                             audience=audience)
        problems = events.problems(event, cities)
        for problem in problems:
            st.error(ui.tr("events.page.refused", reason=problem.message(lang)))
        if not problems:
            write(lambda: events.add(event, user=user, via="page"), "events.page.added")

st.header(ui.tr("events.page.list_heading"))
recorded = ui.query("events_recorded")
if recorded.empty:
    st.info(ui.tr("events.page.empty"))
    st.stop()
st.dataframe(events.table(recorded, lang), hide_index=True, width="stretch", key="events_table")
with st.form("event_remove"):
    chosen = st.selectbox(ui.tr("events.page.remove_label"), recorded["event_id"].tolist(), key="event_remove_id",
                          format_func=lambda i: events.line(recorded[recorded["event_id"] == i].iloc[0], lang))
    if st.form_submit_button(ui.tr("events.page.remove_button")):
        write(lambda: events.remove(chosen, user=user, via="page"), "events.page.removed", chosen)

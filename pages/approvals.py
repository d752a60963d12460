"""Month approval: a programme manager checks a city's month and approves it before donors and
the public see it, or reopens an approved month, saying why. Programme managers only.

The rules and the writes are terrain/approvals.py, shared with `python -m terrain approve`."""

import pandas as pd
import streamlit as st

from terrain import app, approvals, i18n, store
from terrain.importing import loading

role = app.page_setup("approvals")
lang, user = app.lang(), app.current_user()["name"]
st.title(app.tr("approvals.title"))
st.caption(app.tr("approvals.page.intro"))

months = app.query("month_approvals_by_city")
months["month"] = pd.to_datetime(months["month"]).dt.date
month_name = lambda m: i18n.format_month(m, lang).capitalize()  # noqa: E731

done = st.session_state.pop("approvals_done", None)
if done:
    st.success(done)

seen = months.loc[months["published"], "month"]
until = max(seen) if len(seen) else None
if until is None:
    st.warning(app.tr("approvals.cli.nothing_published"))
else:
    st.info(app.tr("approvals.cli.published_until", month=i18n.format_month(until, lang)))

waiting = months[months["approved_by"].isna()].sort_values(["month", "city"])
approved = months[months["approved_by"].notna()]


def write(action, *args, **kwargs) -> bool:
    """Make the approval or reopening; one line when it is refused or cannot be written."""
    try:
        with st.spinner(app.tr("approvals.page.writing")):
            result = action(store.db_path(), *args, user=user, via="page", **kwargs)
    except approvals.ApprovalRefused as refused:
        st.error(refused.text(lang))
        return False
    except (store.WriteError, loading.audit.AuditUnavailable, OSError) as fault:
        st.error(app.tr("approvals.cli.fault", reason=loading.fault_reason(fault)))
        return False
    key = "approvals.cli.approved" if action is approvals.approve else "approvals.cli.reopened"
    message = app.tr(key, cities=", ".join(result.cities), month=i18n.format_month(result.month, lang))
    after = result.published_until_after
    message += " " + (app.tr("approvals.cli.published_until", month=i18n.format_month(after, lang)) if after
                      else app.tr("approvals.cli.nothing_published"))
    st.session_state["approvals_done"] = message
    return True


st.header(app.tr("approvals.page.waiting_title"))
if waiting.empty:
    st.success(app.tr("approvals.cli.none_waiting"))
else:
    listed = waiting.groupby("month", sort=True)["city"].apply(", ".join).reset_index()
    st.dataframe(pd.DataFrame({app.tr("approvals.page.month"): [month_name(m) for m in listed["month"]],
                               app.tr("approvals.page.cities_waiting"): listed["city"]}),
                 hide_index=True, width="stretch")
    with st.form("approve"):
        choices = list(listed["month"])
        month = st.selectbox(app.tr("approvals.page.month"), choices, format_func=month_name, key="approve_month")
        of_month = sorted(waiting.loc[waiting["month"] == month, "city"])
        cities = st.multiselect(app.tr("approvals.page.cities"), sorted(waiting["city"].unique()), default=of_month,
                                key="approve_cities", placeholder=app.tr("approvals.page.choose_cities"))
        st.caption(app.tr("approvals.page.approve_help"))
        if st.form_submit_button(app.tr("approvals.page.approve"), type="primary"):
            if write(approvals.approve, cities, month):
                st.rerun()

st.header(app.tr("approvals.page.grid_title"))
recent = sorted(months["month"].unique(), reverse=True)[:12]
if recent:
    shown = months[months["month"].isin(recent)]
    cell = [app.tr("approvals.page.cell_approved", by=by, day=i18n.format_date(pd.Timestamp(at).date(), lang, "short"))
            if isinstance(by, str) else app.tr("approvals.page.cell_waiting")
            for by, at in zip(shown["approved_by"], shown["approved_at"])]
    grid = (shown.assign(cell=cell, shown_month=[month_name(m) for m in shown["month"]])
            .pivot(index=["month", "shown_month"], columns="city", values="cell")
            .sort_index(ascending=False).reset_index(level="month", drop=True).fillna("—"))
    grid.index.name = app.tr("approvals.page.month")
    grid.columns.name = None
    st.dataframe(grid, width="stretch")
    st.caption(app.tr("approvals.page.grid_note"))

st.header(app.tr("approvals.page.reopen_title"))
if approved.empty:
    st.caption(app.tr("approvals.page.nothing_to_reopen"))
else:
    with st.form("reopen"):
        choices = sorted(approved["month"].unique(), reverse=True)
        month = st.selectbox(app.tr("approvals.page.month"), choices, format_func=month_name, key="reopen_month")
        cities = st.multiselect(app.tr("approvals.page.cities"), sorted(approved["city"].unique()), key="reopen_cities",
                                placeholder=app.tr("approvals.page.choose_cities"))
        reason = st.text_area(app.tr("approvals.page.reason"), max_chars=approvals.MAX_REASON, key="reopen_reason")
        st.caption(app.tr("approvals.page.reopen_help"))
        if st.form_submit_button(app.tr("approvals.page.reopen")):
            if write(approvals.reopen, cities, month, reason=reason):
                st.rerun()

history = app.query("month_reopenings_latest", limit=50)
if not history.empty:
    st.subheader(app.tr("approvals.page.history_title"))
    st.dataframe(pd.DataFrame({
        app.tr("approvals.page.month"): [month_name(pd.Timestamp(m).date()) for m in history["month"]],
        app.tr("approvals.page.city"): history["city"],
        app.tr("approvals.page.reopened"): [app.tr("approvals.page.by_on", by=by, day=i18n.format_date(
            pd.Timestamp(at).date(), lang, "short")) for by, at in zip(history["reopened_by"], history["reopened_at"])],
        app.tr("approvals.page.reason"): history["reason"],
        app.tr("approvals.page.was_approved"): [app.tr("approvals.page.by_on", by=by, day=i18n.format_date(
            pd.Timestamp(at).date(), lang, "short")) for by, at in zip(history["approved_by"], history["approved_at"])],
    }), hide_index=True, width="stretch")

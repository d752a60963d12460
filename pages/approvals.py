"""Month approval: a programme manager checks a city's month and approves it before donors and
the public see it, or reopens an approved month, saying why. Programme managers only.

The rules and the writes are terrain/approvals.py, shared with `python -m terrain approve`."""

import pandas as pd
import streamlit as st

from terrain import approvals, i18n, store, ui
from terrain.importing import loading

ui.page_setup("approvals")
lang, user = ui.lang(), ui.current_user()["name"]
st.title(ui.tr("approvals.title"))
st.caption(ui.tr("approvals.page.intro"))

months = ui.query("month_approvals_by_city")
months["month"] = pd.to_datetime(months["month"]).dt.date
month_name = lambda m: i18n.format_month(m, lang).capitalize()  # noqa: E731

done = st.session_state.pop("approvals_done", None)
if done:
    st.success(done)

seen = months.loc[months["published"], "month"]
until = max(seen) if len(seen) else None
withheld = ui.query("published_sets_withheld")
if not withheld.empty:
    st.error(ui.tr("approvals.page.withheld", cells=i18n.format_number(int(withheld["exposed"].max()), lang)))
elif until is None:
    st.warning(ui.tr("approvals.cli.nothing_published"))
else:
    st.info(ui.tr("approvals.cli.published_until", month=i18n.format_month(until, lang)))

waiting = months[months["approved_by"].isna()].sort_values(["month", "city"])
approved = months[months["approved_by"].notna()]


def write(action, *args, **kwargs) -> bool:
    """Make the approval or reopening; one line when it is refused or cannot be written."""
    try:
        with st.spinner(ui.tr("approvals.page.writing")):
            result = action(store.db_path(), *args, user=user, via="page", **kwargs)
    except approvals.ApprovalRefused as refused:
        st.error(refused.text(lang))
        return False
    except (store.WriteError, loading.audit.AuditUnavailable, OSError) as fault:
        st.error(ui.tr("approvals.cli.fault", reason=loading.fault_reason(fault)))
        return False
    key = "approvals.cli.approved" if action is approvals.approve else "approvals.cli.reopened"
    message = ui.tr(key, cities=", ".join(result.cities), month=i18n.format_month(result.month, lang))
    after = result.published_until_after
    message += " " + (ui.tr("approvals.cli.published_until", month=i18n.format_month(after, lang)) if after
                      else ui.tr("approvals.cli.nothing_published"))
    st.session_state["approvals_done"] = message
    return True


st.header(ui.tr("approvals.page.waiting_title"))
if waiting.empty:
    st.success(ui.tr("approvals.cli.none_waiting"))
else:
    listed = waiting.groupby("month", sort=True)["city"].apply(", ".join).reset_index()
    st.dataframe(pd.DataFrame({ui.tr("approvals.page.month"): [month_name(m) for m in listed["month"]],
                               ui.tr("approvals.page.cities_waiting"): listed["city"]}),
                 hide_index=True, width="stretch")
    with st.form("approve"):
        choices = list(listed["month"])
        month = st.selectbox(ui.tr("approvals.page.month"), choices, format_func=month_name, key="approve_month")
        of_month = sorted(waiting.loc[waiting["month"] == month, "city"])
        cities = st.multiselect(ui.tr("approvals.page.cities"), sorted(waiting["city"].unique()), default=of_month,
                                key="approve_cities", placeholder=ui.tr("approvals.page.choose_cities"))
        st.caption(ui.tr("approvals.page.approve_help"))
        if st.form_submit_button(ui.tr("approvals.page.approve"), type="primary"):
            if write(approvals.approve, cities, month):
                st.rerun()

st.header(ui.tr("approvals.page.grid_title"))
recent = sorted(months["month"].unique(), reverse=True)[:12]
if recent:
    shown = months[months["month"].isin(recent)]
    cell = [ui.tr("approvals.page.cell_approved", by=by, day=i18n.format_date(pd.Timestamp(at).date(), lang, "short"))
            if isinstance(by, str) else ui.tr("approvals.page.cell_waiting")
            for by, at in zip(shown["approved_by"], shown["approved_at"])]
    grid = (shown.assign(cell=cell, shown_month=[month_name(m) for m in shown["month"]])
            .pivot(index=["month", "shown_month"], columns="city", values="cell")
            .sort_index(ascending=False).reset_index(level="month", drop=True).fillna("—"))
    grid.index.name = ui.tr("approvals.page.month")
    grid.columns.name = None
    st.dataframe(grid, width="stretch")
    st.caption(ui.tr("approvals.page.grid_note"))

st.header(ui.tr("approvals.page.reopen_title"))
if approved.empty:
    st.caption(ui.tr("approvals.page.nothing_to_reopen"))
else:
    with st.form("reopen"):
        choices = sorted(approved["month"].unique(), reverse=True)
        month = st.selectbox(ui.tr("approvals.page.month"), choices, format_func=month_name, key="reopen_month")
        cities = st.multiselect(ui.tr("approvals.page.cities"), sorted(approved["city"].unique()), key="reopen_cities",
                                placeholder=ui.tr("approvals.page.choose_cities"))
        reason = st.text_area(ui.tr("approvals.page.reason"), max_chars=approvals.MAX_REASON, key="reopen_reason")
        st.caption(ui.tr("approvals.page.reopen_help"))
        if st.form_submit_button(ui.tr("approvals.page.reopen")):
            if write(approvals.reopen, cities, month, reason=reason):
                st.rerun()

history = ui.query("month_reopenings_latest", limit=50)
if not history.empty:
    st.subheader(ui.tr("approvals.page.history_title"))
    st.dataframe(pd.DataFrame({
        ui.tr("approvals.page.month"): [month_name(pd.Timestamp(m).date()) for m in history["month"]],
        ui.tr("approvals.page.city"): history["city"],
        ui.tr("approvals.page.reopened"): [ui.tr("approvals.page.by_on", by=by, day=i18n.format_date(
            pd.Timestamp(at).date(), lang, "short")) for by, at in zip(history["reopened_by"], history["reopened_at"])],
        ui.tr("approvals.page.reason"): history["reason"],
        ui.tr("approvals.page.was_approved"): [ui.tr("approvals.page.by_on", by=by, day=i18n.format_date(
            pd.Timestamp(at).date(), lang, "short")) for by, at in zip(history["approved_by"], history["approved_at"])],
    }), hide_index=True, width="stretch")

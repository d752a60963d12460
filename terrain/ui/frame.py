"""The frame of every page: how many pages run at once, the banner, data date, language
switch and user box, and the access check that stops a page before it reads anything."""

from __future__ import annotations

import contextlib
import os
import threading

import duckdb
import streamlit as st

from terrain import i18n, queries, store
from terrain.importing import loading
from terrain.ui import views
from terrain.ui.data import dataset
from terrain.ui.session import (
    LANG_SWITCH_KEY,
    _language_chosen,
    _run_browser_script,
    current_role,
    current_user,
    lang,
    sign_in_form,
    sign_out,
    stop_past_time_limit,
    tr,
)

# Pages run at once in this process, at most. Streamlit runs each session's script in its own
# thread; past one per core, more at once add no speed (one interpreter lock) but each holds
# its page's working memory (frames, figures, their JSON) until it ends. Measured with 20
# sessions at 100M on two cores (docs/scaling.md): 2 at once served the most pages with the
# least memory.
PAGE_RUNS = int(os.environ.get("TERRAIN_PAGE_RUNS", "2"))
_page_runs = threading.BoundedSemaphore(max(1, PAGE_RUNS))


# The chosen option of a segmented control (the language, a chart's grain), hovered: Streamlit
# tints it with the primary colour at 20 % and keeps its text in that colour, 3.8:1 on the
# sidebar's grey. A darker red reads at 5:1 there and on white (WCAG 2.1 AA, 1.4.3;
# docs/accessibility.md). At rest, the tint is 10 % and the primary colour reads at 4.5:1 or more.
_STYLE = """<style>
button[data-variant="segmented_control"][data-selected="true"]:hover,
button[data-variant="segmented_control"][data-selected="true"]:hover p { color: #a50e26; }
</style>"""


@contextlib.contextmanager
def one_of_few_runs():
    """Run a page only while fewer than PAGE_RUNS others are running (dashboard.py)."""
    with _page_runs:
        yield


def _chrome(role: str | None) -> None:
    """Banner, data date, language switch and user box: on every page, signed in or not."""
    try:
        # A change a writer left half done (killed, power cut) is finished or undone first.
        loading.recover_if_left_over(store.db_path())
        data = dataset()
    except FileNotFoundError:
        st.error(tr("common.no_database", path=str(store.db_path())))
        st.stop()
    except store.OutdatedDatabase as outdated:
        st.error(tr("common.outdated_database", path=str(outdated.path), version=outdated.version))
        st.stop()
    except queries.QueryTimeout as timeout:
        stop_past_time_limit(timeout)
    except (duckdb.Error, OSError, store.NewerDatabase) as error:
        st.error(tr("common.unreadable_database", path=str(store.db_path()),
                    reason=store.reason(error)))
        st.stop()
    if data.is_synthetic:
        st.warning(tr("common.synthetic_banner"), icon="⚠️")
    _run_browser_script()
    st.html(_STYLE)
    with st.sidebar:
        st.session_state[LANG_SWITCH_KEY] = lang()
        st.segmented_control(tr("common.language"), options=list(i18n.LANGUAGES), key=LANG_SWITCH_KEY,
                             required=True, on_change=_language_chosen,
                             format_func=lambda code: i18n.t(f"common.language_{code}", code))
        st.caption(tr("common.data_as_of", date=i18n.format_date(data.data_as_of, lang())))
        if role:
            user = current_user()
            st.caption(tr("common.signed_in_as", name=user["name"], role=tr(f"common.role.{role}")))
            st.button(tr("common.sign_out"), key="sign_out", on_click=sign_out)


def page_setup(page: str) -> None:
    """Every page's first call: it returns only for a viewer who may see the page. A
    signed-out visitor gets the sign-in form only, and a role that may not see the page gets
    a refusal and no data. Pages run this themselves because Streamlit can run a file in
    pages/ directly."""
    role = current_role()
    _chrome(role)
    if role is None:
        sign_in_form()
        st.stop()
    if not views.may_open(page):
        st.error(tr("common.access_refused"))
        st.stop()
    views.get_ready(page)

"""Terrain's entry point: page configuration and navigation, by role.

Each role's menu lists only its pages; each page also checks access itself (see
terrain.ui.page_setup), since Streamlit can run a file in pages/ without this script.
"""

import streamlit as st

from terrain import ROOT, ui

st.set_page_config(page_title="Terrain", page_icon="🩺", layout="wide")

ICONS = {
    "overview": ":material/dashboard:", "map": ":material/map:", "occupancy": ":material/bed:",
    "consultations": ":material/stethoscope:", "outreach": ":material/directions_walk:",
    "winter": ":material/ac_unit:", "alerts": ":material/campaign:", "imports": ":material/upload_file:",
    "approvals": ":material/task_alt:", "events": ":material/event_note:", "glossary": ":material/menu_book:",
}


def _page_frame(page: str):
    """A page that only runs the frame: the sign-in form for a visitor, a refusal for a role
    that may not see the page. Every page has its address in every menu, so that a link to
    it opens there after sign-in, never on Streamlit's "Page not found"."""
    def frame() -> None:
        ui.page_setup(page)  # shows the form or the refusal and stops
    frame.__name__ = f"{page}_frame"
    return frame


menu = ui.views.menu()   # the viewer's pages, and every other page's address
if not menu.pages:
    title = ui.tr("common.sign_in")
    pages = [st.Page(_page_frame("overview"), title=title, url_path="sign-in", default=True)]
    pages += [st.Page(_page_frame(page), title=title, url_path=page, visibility="hidden") for page in menu.others]
    page = st.navigation(pages)
    page.run()  # the sign-in form: light, and never kept waiting behind busy pages
else:
    pages = [st.Page(str(ROOT / "pages" / f"{page}.py"), title=ui.tr(f"common.page.{page}"),
                     icon=ICONS[page], url_path=page, default=page == "overview")
             for page in menu.pages if (ROOT / "pages" / f"{page}.py").exists()]
    pages += [st.Page(_page_frame(page), title=ui.tr(f"common.page.{page}"), url_path=page, visibility="hidden")
              for page in menu.others]
    page = st.navigation(pages)
    with ui.one_of_few_runs():
        page.run()

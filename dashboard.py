"""Terrain's entry point: page configuration and navigation, by role.

Each role's menu lists only its pages; each page also checks access itself (see
terrain.app.page_setup), since Streamlit can run a file in pages/ without this script.
"""

import streamlit as st

from terrain import ROOT, app, roles

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
        app.page_setup(page)  # shows the form or the refusal and stops
    frame.__name__ = f"{page}_frame"
    return frame


role = app.current_role()
if role is None:
    title = app.tr("common.sign_in")
    pages = [st.Page(_page_frame("overview"), title=title, url_path="sign-in", default=True)]
    pages += [st.Page(_page_frame(page), title=title, url_path=page, visibility="hidden") for page in roles.PAGES]
    page = st.navigation(pages)
    page.run()  # the sign-in form: light, and never kept waiting behind busy pages
else:
    allowed = roles.pages_for(role)
    pages = [st.Page(str(ROOT / "pages" / f"{page}.py"), title=app.tr(f"common.page.{page}"),
                     icon=ICONS[page], url_path=page, default=page == "overview")
             for page in allowed if (ROOT / "pages" / f"{page}.py").exists()]
    pages += [st.Page(_page_frame(page), title=app.tr(f"common.page.{page}"), url_path=page, visibility="hidden")
              for page in roles.PAGES if page not in allowed]
    page = st.navigation(pages)
    with app.one_of_few_runs():
        page.run()

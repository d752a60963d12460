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
    "glossary": ":material/menu_book:",
}


def sign_in_page() -> None:
    app.page_setup("overview")  # signed out: shows the sign-in form and stops


role = app.current_role()
if role is None:
    pages = [st.Page(sign_in_page, title=app.tr("common.sign_in"), icon=":material/login:", url_path="sign-in")]
else:
    pages = [st.Page(str(ROOT / "pages" / f"{page}.py"), title=app.tr(f"common.page.{page}"),
                     icon=ICONS[page], url_path=page, default=page == "overview")
             for page in roles.pages_for(role) if (ROOT / "pages" / f"{page}.py").exists()]
page = st.navigation(pages)
if role is None:
    page.run()  # the sign-in form: light, and never kept waiting behind busy pages
else:
    with app.one_of_few_runs():
        page.run()

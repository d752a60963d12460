"""Terrain's server: dashboard.py served by Streamlit's ASGI app, with the routes that give
local sign-in its HttpOnly session cookie (terrain/web.py).

    streamlit run terrain/asgi.py --server.port 8501     (what `make run` does)
    python -m terrain serve --processes N                (N of them behind nginx: terrain/serve.py)
    uvicorn terrain.asgi:app --port 8501                 (any ASGI server)

`streamlit run dashboard.py` still shows the app, but a local sign-in there cannot set its
cookie: a reload signs the user out.
"""

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from terrain import ROOT, charts, web
from terrain.queries import catalogue

# Streamlit takes an app with a pages/ folder beside its script for an old-style multipage
# app until the first run of dashboard.py calls st.navigation: a link to /occupancy opened
# first after a start would run pages/occupancy.py alone, under a menu of file names.
# dashboard.py always calls st.navigation, so it is said here, once, before any session.
PagesManager.uses_pages_directory = False

web.mark_served()


# What a process's first pages would load, loaded before it serves anyone: the query catalogue
# read and probed, plotly's rules and classes (together 0.3–0.4 s of the start, here and not in
# someone's first page; done before serving, so that no page runs beside it).
catalogue.preload()
charts.warm_up()
app = st.App(ROOT / "dashboard.py", routes=web.routes(), middleware=[Middleware(web.BrowserCookieMiddleware)])

if __name__ == "__main__":
    app.run()

"""Streamlit glue between the pages and the rest of Terrain, one concern per module:

- `data`: the shared read-only connection, query results cached per data version, the
  dataset's metadata, and `observe_queries()` (which queries the pages ask);
- `session`: who is signed in (cookie, OIDC), the sign-in form, the interface language;
- `views`: what the signed-in viewer gets on each page (levels, queries, filters, actions):
  the one place below the pages where a role becomes a view;
- `filter_widgets`: the sidebar's filters, read from and written back to the URL;
- `tables`: tables in the reader's language, with their downloads;
- `plots`: charts drawn as terrain/charts made them (their look in their template);
- `frame`: every page's frame (banner, language switch, user box, access check).

A page uses the names below: it calls `page_setup`, asks `views` for its view, reads its filters,
calls `query`, and hands the frames to chart helpers."""

import gc

from terrain.ui import views
from terrain.ui.data import cursor, data_version, dataset, observe_queries
from terrain.ui.filter_widgets import describe_filters, sidebar_filters
from terrain.ui.frame import one_of_few_runs, page_setup
from terrain.ui.plots import plot
from terrain.ui.session import USER_KEY, current_role, current_user, label, lang, tr
from terrain.ui.tables import (
    count_text,
    empty_notice,
    export_context,
    show_table,
    threshold_of,
)
from terrain.ui.views import query

__all__ = [
    "USER_KEY", "count_text", "current_role", "current_user", "cursor", "data_version", "dataset",
    "describe_filters", "empty_notice", "export_context", "label", "lang", "observe_queries", "one_of_few_runs",
    "page_setup", "plot", "query", "show_table", "sidebar_filters", "threshold_of", "tr", "views",
]

# A rerun makes and drops thousands of objects, and now and then Python walks every object the
# process holds to find cycles: a full collection, 100–230 ms counted in a page's CPU (measured
# by `bench`). What the process holds once Streamlit, pandas, plotly and DuckDB are loaded lives
# as long as the process: moved out of the collector's sight, a full collection walks only what
# the pages made since (every module above is loaded by now).
gc.freeze()

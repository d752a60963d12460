"""Helpers for running pages in Streamlit's runtime (AppTest) and reading what they show."""

from __future__ import annotations

import base64
import functools
import json

import numpy as np
import pandas as pd
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.testing.v1 import AppTest

from terrain import ROOT


@functools.cache
def _components() -> BidiComponentManager:
    """Streamlit's registry of installed custom components, found once per process, as a
    served app finds it once at start: each new AppTest otherwise reads the metadata of every
    installed package for them (about 0.12 s a page run, minutes over the suite). The app
    declares no component of its own, so one registry serves every run."""
    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


def run_page(path: str, role: str | None = None, params: dict | None = None, *, db=None, monkeypatch=None,
             lang: str | None = None, user: str = "test", run: bool = True, timeout: float = 60) -> AppTest:
    """The page at `path` ("pages/occupancy.py", "dashboard.py") in Streamlit's runtime, signed
    in as `role`, with `params` in its URL and `lang` chosen in the session; run, and checked to
    show no exception, unless `run=False` (the test sets more before running it). `db`, with
    the test's `monkeypatch`, is the database the page reads (TERRAIN_DB for that test only)."""
    if db is not None:
        monkeypatch.setenv("TERRAIN_DB", str(db))
    at = AppTest.from_file(str(ROOT / path), default_timeout=timeout)
    at._bidi_component_manager = _components()
    if role:
        at.session_state["terrain_user"] = {"name": user, "role": role, "via": "local"}
    if lang:
        at.session_state["terrain_lang"] = lang
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if not run:
        return at
    at.run()
    assert not at.exception, at.exception
    return at


def open_tab(at: AppTest, key: str, label: str):
    """The tab of that label among the tabs keyed `key`, opened as a click would: pages draw
    only the open tab (`st.tabs(..., on_change="rerun")`), so the page runs again when the tab
    is not the open one."""
    [tab] = [tab for tab in at.tabs if tab.label == label]
    if not tab.children:
        at.session_state[key] = label
        at.run()
        [tab] = [tab for tab in at.tabs if tab.label == label]
    return tab


def texts(at: AppTest) -> str:
    """All the text the page shows in markdown, captions, alerts, titles and headings."""
    return " ".join(e.value for kind in ("markdown", "caption", "warning", "error", "info", "title", "header", "subheader")
                    for e in getattr(at, kind) if isinstance(getattr(e, "value", None), str))


def plotly_figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def values(array) -> list:
    """A plotly data array as a list: plotly sends numbers as typed base64 ("bdata")."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).tolist()
    return list(array)


def table_texts(table) -> pd.DataFrame:
    """What a st.dataframe shows in each cell (its Styler's display values), with the same
    headers as `table.value`, which holds the values under the texts (what sorting uses)."""
    import io

    import pyarrow as pa

    shown = table.proto.arrow_data.styler.display_values
    assert shown, "the table carries no display values"
    return pa.ipc.open_stream(io.BytesIO(shown)).read_pandas()


def table_cells(table) -> pd.DataFrame:
    """A st.dataframe's cells as values: numbers where a number is shown (a column with
    hidden counts carries them as text, "1234"), the mark where a count is hidden ("< 11")."""
    values, texts = table.value, table_texts(table)

    def cell(value, text):
        if not isinstance(value, str):
            return text if pd.isna(value) else value
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
        return value

    return pd.DataFrame({column: [cell(v, t) for v, t in zip(values[column], texts[column])]
                         for column in values.columns})

"""Tables as the reader's language writes them, with their downloads: cells formatted once
per table and kept (the heaviest work of a rerun otherwise), hidden counts as "< k" or
"[c]", and the CSV, workbook, context and HXL files, each saying its period, filters,
data date and audience."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from terrain import disclosure, exports, i18n, indicators
from terrain import events as context_events
from terrain import filters as flt
from terrain.charts.cache import ContentsCache
from terrain.ui import views
from terrain.ui.data import dataset
from terrain.ui.filter_widgets import describe_filters
from terrain.ui.session import current_role, lang, tr

# The tables are drawn through a pandas Styler (their cells as the reader's language writes
# them, sorted on the values beneath). pandas caps the cells a Styler renders with a global
# option: it is set once for the process, never per table, since the sessions of one process
# draw their tables at the same time in their own threads.
STYLER_MAX_CELLS = 10_000_000
pd.set_option("styler.render.max_elements", STYLER_MAX_CELLS)


def threshold_of(frame: pd.DataFrame) -> int:
    return int(frame.attrs.get("provenance", {}).get("threshold", 0))


def count_text(frame: pd.DataFrame, value: Any, mark: str | None = None) -> str:
    """A count as shown: "< k" when hidden ("[c]" when its mark says it protects another),
    locale-formatted otherwise."""
    return disclosure.format_count(value, threshold_of(frame), lambda v: i18n.format_number(v, lang()), mark)


def empty_notice(frame: pd.DataFrame) -> bool:
    """Say so in words when a result is empty. Returns True when it was."""
    if frame.empty:
        st.info(tr("common.no_data"))
        return True
    return False


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):   # a list or an array is a value
        return False


def _sort_key(value: Any) -> str:
    # A number as the grid's "smart" sort reads it back as a number: "1234", "0.924".
    return str(value.item() if hasattr(value, "item") else value)


def _shown_styler(table: pd.DataFrame, cells: dict, uuid: str) -> Styler:
    """A Styler whose cells' texts are already written. Streamlit marshals a Styler by asking
    pandas for every cell's HTML rendering (`_compute`, then `_translate`: the heaviest work of
    a page's rerun) and keeps only each cell's display value; this one hands it those values,
    made once per table (`_table_shown`), in the form pandas gives them. Streamlit knows a
    Styler by its exact type, so the instance is a plain Styler answering these two calls."""
    styler = Styler(table, uuid=uuid)
    styler._compute = lambda: styler
    styler._translate = lambda *_args, **_kwargs: cells
    return styler


@dataclass(frozen=True)
class _TableShown:
    table: pd.DataFrame       # the values under the cells (what the grid sorts), headers as labels
    cells: dict               # each cell's text, as pandas' Styler hands it to Streamlit
    config: dict              # Streamlit's column settings
    headers: dict[str, str]   # column -> header, for the downloads
    lower_bounds: bool        # a count leaves out a hidden month ("≥ N")


TABLE_CACHE_ENTRIES = 256
_tables_shown = ContentsCache(TABLE_CACHE_ENTRIES)


@_tables_shown
def _table_shown(frame: pd.DataFrame, columns: dict[str, str] | None, language: str) -> _TableShown:
    """A table as the grid shows it: codes as their names, headers as labels, every cell's
    text by Babel. Kept by the frame's contents and attributes, the page's columns and the
    language (terrain/charts/cache.py), so that a rerun with the same figures formats nothing.

    Streamlit shows a Styler's display values and sorts on the values under them, so a
    column of counts sorts as numbers and dates as dates while every cell reads as the
    reader's language writes it (st.column_config formats are printf patterns in the
    browser's locale, not the reader's language). The grid draws an empty number as "None"
    whatever its text, so a column with hidden counts carries text under its cells: the
    number as the grid's sort reads it ("1234"), or the mark ("< 11", "[c]"), which is also
    what the grid's own export writes; it stays right-aligned like the numbers."""
    readable = exports.with_labels(frame, language)
    texts = exports.cell_texts(readable, language)
    shown = [c for c in columns if c in frame.columns] if columns else list(frame.columns)
    headers = {c: exports.header_of(c, language, columns) for c in shown}
    counts = frame.attrs.get("suppression", {}).get("counts", [])
    lower_bounds = any(any(indicators.partial_flags(frame, c)) for c in counts if c in frame.columns)
    table = readable[shown].rename(columns=headers).reset_index(drop=True)
    table.attrs = {}  # provenance stays with `frame` for the downloads; the grid needs none
    texts = texts[shown].rename(columns=headers).reset_index(drop=True)
    config = {}
    for column in table.columns:
        marked = [bool(text) and _missing(value) for value, text in zip(table[column], texts[column])]
        if any(marked):
            table[column] = [text if mark else "" if _missing(value) else _sort_key(value)
                             for value, text, mark in zip(table[column], texts[column], marked)]
            config[column] = st.column_config.TextColumn(alignment="right")
    # Streamlit starts from each value as a string and puts the text given for a cell in its
    # place: only the cells whose text is not that string need one.
    as_strings = table.astype(str).to_numpy()
    body = [[{"id": f"row{r}_col{c}", "display_value": text}
             for c, text in enumerate(row) if text != as_strings[r, c]]
            for r, row in enumerate(texts.itertuples(index=False, name=None))]
    return _TableShown(table, {"body": body, "cellstyle": [], "table_styles": []}, config, headers, lower_bounds)


def show_table(frame: pd.DataFrame, *, what: str, filters: flt.Filters, key: str,
               columns: dict[str, str] | None = None, where: str = "") -> None:
    """A table in the reader's language, with its downloads: codes as their names, headers
    as labels, numbers, percentages and dates by Babel, hidden counts as "< k" or "[c]",
    never 0; `columns` names and orders the columns shown (the downloads carry the others)."""
    if empty_notice(frame):
        return
    language = lang()
    k = threshold_of(frame)
    shown = _table_shown(frame, columns, language)
    st.dataframe(_shown_styler(shown.table, shown.cells, uuid=key), hide_index=True, width="stretch",
                 key=f"table_{key}", column_config=shown.config)
    headers = shown.headers
    if k:
        # one legend wherever marks are told apart (published sets): "< k", "[c]", "≥ N"
        st.caption(tr("common.marks_legend", k=k) if indicators.marks_told_apart(frame)
                   else tr("common.suppressed_note", k=k) + ("  \n" + tr("common.at_least_note")
                                                              if shown.lower_bounds else ""))
    if not views.may_download():
        return
    _download_buttons(frame, export_context(frame, what=what, filters=filters, headers=headers), key=key,
                      where=where or "all", filters=filters)


def export_context(frame: pd.DataFrame, *, what: str, filters: flt.Filters,
                   headers: dict[str, str]) -> exports.ExportContext:
    """What a download of `frame` says about itself, for the signed-in reader: the period its
    figures hold (for donors whole months, up to the last published one), the filters, the
    data's date, the audience, the source query, and the context events of the period as the
    reader may see them (the door keeps internal ones from donors)."""
    role, language, data = current_role(), lang(), dataset()
    provenance = frame.attrs.get("provenance", {})
    held = provenance.get("params") or {}
    start, end = held.get("start", filters.start), held.get("end", filters.end)
    events = views.query("events_in_period", start=start, end=end, cities=list(filters.cities))
    return exports.ExportContext(
        title=what, period_start=start, period_end=end,
        filters=describe_filters(filters), data_as_of=data.data_as_of,
        audience=tr(f"common.role.{role}"), is_synthetic=data.is_synthetic, lang=language,
        queries=[provenance.get("query", "")], headers=headers,
        events=[context_events.line(row, language) for _, row in events.iterrows()])


def _download_buttons(frame: pd.DataFrame, ctx: exports.ExportContext, *, key: str, where: str,
                      filters: flt.Filters) -> None:
    """The CSV for the reader's Excel first, then the workbook, the CSV's context, and the
    HXL CSV for humanitarian data tools. The files are made when a button is clicked, not
    on every run of the page, and a click does not run the page again: a download changes
    nothing it shows, and a run begun by one click replaces the buttons under the next."""
    def name(what: str, ext: str) -> str:
        return exports.export_filename(what, where, filters.start, filters.end, ext)

    files = [
        ("tables.download_csv", "tables.download_csv_help", exports.to_spreadsheet_csv_bytes,
         name(key, "csv"), "text/csv", f"csv_{key}"),
        ("tables.download_xlsx", "tables.download_xlsx_help", exports.to_xlsx_bytes, name(key, "xlsx"),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"xlsx_{key}"),
        ("tables.download_context", "tables.download_context_help", exports.context_text_bytes,
         name(f"{key}_{tr('tables.context_slug')}", "txt"), "text/plain", f"context_{key}"),
        ("tables.download_hxl", "tables.download_hxl_help", exports.to_csv_bytes,
         name(f"{key}_{tr('tables.hxl_slug')}", "csv"), "text/csv", f"hxl_{key}"),
    ]
    for column, (text, help_text, make, filename, mime, button_key) in zip(st.columns(len(files)), files):
        column.download_button(tr(text), functools.partial(make, frame, ctx), filename, mime=mime,
                               key=button_key, help=tr(help_text), on_click="ignore",
                               type="primary" if button_key == f"csv_{key}" else "secondary")

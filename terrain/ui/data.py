"""Data access for the pages: the process's shared read-only connection, query results
cached per data version, the dataset's metadata, and a hook to observe which queries the
pages ask and what they are given, cache hits included (the differencing tests use it; the
benchmark listens at the door itself, terrain.queries.observe)."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from terrain import definitions, queries, store
from terrain.queries.observers import Observers


class _Cursors:
    """The cursors of one version's read-only connection, kept between uses with the
    programme's definitions on them: putting those on a new cursor (the macros of
    terrain/definitions.sql and relations.sql) takes about 35 ms, as long as a small query.
    A cursor is used by one thread at a time; one that failed is closed, not kept, and so is
    one whose definitions are no longer those of config/definitions.toml."""

    KEPT = 8

    def __init__(self, path: Path) -> None:
        self.connection = store.open_readonly(path)
        self._idle: list = []
        self._lock = threading.Lock()

    def take(self):
        with self._lock:
            con = self._idle.pop() if self._idle else None
        return store.use(con or self.connection.cursor())

    def give_back(self, con) -> None:
        try:
            mark = con.execute("SELECT getvariable('terrain_definitions')").fetchall()[0][0]
            current = definitions.load().mark
        except (duckdb.Error, definitions.DefinitionsError):
            con.close()
            return
        with self._lock:
            if mark == current and len(self._idle) < self.KEPT:
                self._idle.append(con)
                return
        con.close()


@st.cache_resource(max_entries=4, show_spinner=False)
def _connection(path: str, version: str) -> _Cursors:
    # One read-only connection per version of the file; a swapped-in file has a new version,
    # so the next rerun opens it while sessions still reading the old one finish.
    return _Cursors(Path(path))


def data_version() -> str:
    return store.data_version(store.db_path())


@contextlib.contextmanager
def cursor(version: str):
    """A cursor of the process's shared read-only connection to that version of the data:
    one DuckDB instance (one cache of the file's blocks) for every session and page."""
    cursors = _connection(str(store.db_path()), version)
    con = cursors.take()
    try:
        yield con
    except BaseException:
        con.close()
        raise
    cursors.give_back(con)


@st.cache_data(max_entries=1024, show_spinner=False)
def _run_cached(name: str, params: dict, role: str, audience: str, version: str) -> pd.DataFrame:
    with cursor(version) as con:
        return queries.run(con, name, params, role=role, audience=audience)


# Who listens to what the pages ask (`observe_queries`).
_asked = Observers()


def observe_queries() -> contextlib.AbstractContextManager[list[tuple[str, dict, str, str, pd.DataFrame]]]:
    """While open, a list of the calls the pages ask of the door through `run`, as (name,
    params, role, audience, frame), cache hits included: what a page asks and is given (a
    copy of the frame; its records are shared, and never changed: terrain/queries/door.py,
    `Record`), not what the door ran."""
    return _asked.observe()


def run(name: str, params: dict, role: str, audience: str = "internal") -> pd.DataFrame:
    """A named query for that role and audience, cached per data version."""
    frame = _run_cached(name, params, role, audience, data_version())
    if _asked.listening():
        _asked.tell((name, params, role, audience, frame.copy()))
    return frame


@dataclass(frozen=True)
class Dataset:
    name: str
    is_synthetic: bool
    data_as_of: dt.date
    first_day: dt.date
    schema_version: int


@st.cache_data(show_spinner=False)
def _dataset(version: str) -> Dataset:
    with cursor(version) as con:
        row = queries.read_rows(con, "dataset_metadata", {}).iloc[0]
    return Dataset(str(row["dataset_name"]), bool(row["is_synthetic"]),
                   pd.Timestamp(row["data_as_of"]).date(), pd.Timestamp(row["first_day"]).date(),
                   int(row["schema_version"]))


def dataset() -> Dataset:
    return _dataset(data_version())

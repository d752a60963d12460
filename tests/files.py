"""A database file read in a test as it is on disk now, for the price of an ATTACH.

A new DuckDB instance costs some 20 ms of CPU (its catalog of functions is built again), and
the tests read files by the thousand. Here every read is a cursor of this process's one
in-memory instance, with the file attached read-only as `db` and in use, and detached
afterwards: the file is opened anew each time (never an instance kept for a file since
replaced, which `duckdb.connect(path)` could hand back) and closed again for the writers of
other processes. One file at a time per process (a lock: threads wait for each other; a
read inside another read of the same thread is refused by DuckDB, `db` being attached).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb

_one_at_a_time = threading.RLock()


@functools.cache
def _instance() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


@contextlib.contextmanager
def attached(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor that reads the file at `path`, read-only: its tables by their names (or as
    `db.<table>`)."""
    with _one_at_a_time:
        instance = _instance()
        cursor = instance.cursor()
        attached = False
        try:
            cursor.execute("ATTACH $path AS db (READ_ONLY)", {"path": str(path)})
            attached = True
            cursor.execute("USE db")
            yield cursor
        finally:
            # closed first (which ends a transaction the reader left open or aborted), then
            # detached by the instance, so that the next read finds no `db`
            cursor.close()
            if attached:
                instance.execute("DETACH db")


def rows(path: Path, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
    """The rows of one statement on the file at `path`."""
    with attached(path) as con:
        return con.execute(sql, dict(params or {})).fetchall()


def figure(path: Path, sql: str) -> Any:
    """The one value of a statement that returns one row of one column; None where there is
    no file at `path`."""
    return rows(path, sql)[0][0] if path.exists() else None

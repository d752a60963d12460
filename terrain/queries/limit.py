"""The time limit of a query call, as Datasette puts one on every query.

A call to the door (`run`) may run several statements (month by month, the published
months); they share one deadline. Past it, a timer thread interrupts the statement running
(`con.interrupt()`, DuckDB's way to stop a query from another thread) and the call raises
QueryTimeout; the connection stays usable for the next call.

A timer that fires as its call ends must not interrupt the next query on the connection:
the timer interrupts only while holding a lock and while its call is still open, and the
call is closed under that same lock before it returns (tests/test_query_limit.py).

The limit is TERRAIN_QUERY_SECONDS (default 30 s; 0 for none), read at each call.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping
from typing import Any, Self

import duckdb
import pandas as pd

from terrain.queries.errors import QueryError, QueryTimeout

VARIABLE = "TERRAIN_QUERY_SECONDS"
DEFAULT_SECONDS = 30.0


def seconds_from(text: str | None) -> float | None:
    """The limit a setting gives, in seconds: the default when unset, None (no limit) for 0.
    QueryError for anything but a finite number of seconds, 0 or more."""
    if text is None or not text.strip():
        return DEFAULT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise QueryError(f"{VARIABLE} must be a number of seconds (0 for no limit), not {text!r}.")
    return seconds or None


def configured_seconds() -> float | None:
    return seconds_from(os.environ.get(VARIABLE))


class TimeLimit:
    """The statements of one call on one connection, under one deadline.

    Used as a context manager around the call: `with TimeLimit(con, seconds, name) as db:`
    then `db.rows(sql, params)` for each statement. `seconds` None runs without a limit.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float | None, name: str):
        self.seconds, self.name = seconds, name
        self.expired = False
        self._con = con
        self._lock = threading.Lock()
        self._open = False
        self._timer: threading.Timer | None = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._con

    def __enter__(self) -> Self:
        self._open = True
        if self.seconds is not None:
            self._timer = threading.Timer(self.seconds, self.expire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self._open = False
        if self._timer is not None:
            self._timer.cancel()   # cannot stop a callback already started: hence the lock

    def expire(self) -> None:
        """The deadline: interrupt the statement running, if the call is still open."""
        with self._lock:
            if self._open:
                self.expired = True
                self._con.interrupt()

    def rows(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        """One statement's whole result; QueryTimeout once the deadline has passed."""
        return self._run(sql, params, lambda result: result.df())

    def row(self, sql: str, params: Mapping[str, Any]) -> tuple | None:
        """The row of a statement that returns one (None if it returns none), as Python
        values: no frame made for one row (a frame costs some 4 ms, more than the statement,
        on each call that reads the published months). The result is read whole (a result
        left half read would block the connection)."""
        return self._run(sql, params, lambda result: next(iter(result.fetchall()), None))

    def _run(self, sql: str, params: Mapping[str, Any], fetch):
        if self.expired:
            raise QueryTimeout(self.name, self.seconds or 0)
        try:
            return fetch(self._con.execute(sql, dict(params)))
        except duckdb.InterruptException:
            if self.expired:
                raise QueryTimeout(self.name, self.seconds or 0) from None
            raise

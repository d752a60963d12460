"""The door itself: `run`, through which every figure Terrain shows comes.

A call names a query of the catalogue (catalogue.py) and a viewer (a role and an audience,
viewer.py). The door checks the parameters, applies the viewer's rules (terrain/roles.py)
and disclosure control (terrain/disclosure/) to the result, so a page cannot forget them, and
runs the call's statements under one time limit (limit.py).

For roles whose counts are suppressed, a city-level query runs over every city and is
filtered afterwards, so which cells are hidden never depends on the city filter (two filters
cannot be differenced to recover a hidden cell). For roles that see months only, a query with
a period runs month by month and the months are put together (months.py, combine.py), so
which cells are hidden never depends on the period either. Donors and anything public read
the published sets (published.py), never the rows.

A query whose rows are not figures but context (the events drawn on the charts) may name an
`audience:` column: its rows marked 'internal' never reach a donor nor anything public (the
rows whose reader is a published set); the programme's staff see them.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from terrain import definitions
from terrain.queries import limit, viewer
from terrain.queries.catalogue import Query, check_params, load
from terrain.queries.combine import combine, combine_areas, side_by_side
from terrain.queries.errors import AccessDenied
from terrain.queries.months import (
    lines_within_a_month,
    month_numbers,
    monthly_rows,
    months_as_seen,
    months_for,
)
from terrain.queries.observers import Observers
from terrain.queries.published import (
    ended_with_published,
    from_published,
    within_published,
)
from terrain.queries.seen import as_seen
from terrain.queries.viewer import Viewer, coarsens, constrain

# Who listens to the calls that reach `run` (`observe`).
_calls = Observers()


def observe() -> contextlib.AbstractContextManager[list[tuple[str, dict, str, str]]]:
    """While open, a list of the calls that reach `run`, as (name, params, role, audience), from
    any caller and thread: what the door was asked, before its checks (the benchmark's hook)."""
    return _calls.observe()


def execute(con: duckdb.DuckDBPyConnection, query: Query, params: Mapping[str, Any]) -> pd.DataFrame:
    """Run a query as written, once, fetching the whole (aggregated) result: no viewer, no
    time limit (for code that reads a published set whole, terrain/publish.py)."""
    definitions.ensure(con)
    return con.execute(query.sql, dict(params)).df()


def run(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None, *,
        role: str, audience: str = "internal") -> pd.DataFrame:
    """Run the named query for a role and return what that role may see.

    Raises QueryError (a malformed query or call), AccessDenied (not for this role), or
    QueryTimeout (past the time limit; the connection stays usable).
    """
    _calls.tell((name, dict(params or {}), role, audience))
    query = load(name)
    params = dict(params or {})
    check_params(query, params)
    who = viewer.of(role, audience)
    effective = constrain(who, query, params)
    cities = None
    if who.threshold > 1 and query.level == "city" and query.hides and effective.get("cities"):
        cities, effective["cities"] = list(effective["cities"]), []
    ready = definitions.ensure(con) if _needs_definitions(name, who.published is not None) else con
    with limit.TimeLimit(ready, limit.configured_seconds(), name) as db:
        if who.published is not None and query.hides:
            if not query.published:
                raise AccessDenied(f"The {who.published} audience sees the published figures only, "
                                   f"which do not answer {name}.")
            k = who.published_threshold
            effective = within_published(db, effective, who.published)
            frame = from_published(db, query, effective, who.published, k)
        else:
            k = who.threshold
            if who.published is not None:
                effective = ended_with_published(db, effective, who.published)
            frame = _from_rows(db, query, effective, who)
    if cities is not None and "city" in frame.columns:
        frame = frame[frame["city"].isin(cities)].reset_index(drop=True)
    if query.audience_column and who.published is not None:
        frame = frame[(frame[query.audience_column] == "public").to_numpy(dtype=bool)].reset_index(drop=True)
    frame.attrs = {key: Record(value) if isinstance(value, dict) else value for key, value in frame.attrs.items()}
    frame.attrs["provenance"] = Record({"query": name, "params": effective, "role": role,
                                        "audience": audience, "threshold": k})
    return frame


class Record(dict):
    """A record a result carries in its `attrs` (its provenance, what was hidden), read and
    never changed once the door returns it: pandas copies a frame's `attrs` deeply into each
    frame made from it (a column taken, a filter, a sum), and a record holding a mark per row
    would be copied whole at each of a page's steps. This one is passed on as it is. To
    change what a result says, make a new record (`{**record, ...}`)."""

    def __deepcopy__(self, memo: dict) -> Record:
        return self


# What the door itself reads for a reader of the published sets (terrain/queries/published.py).
PUBLISHED_STATEMENTS = ("published_months", "published_cells_by_city_month", "sites_with_areas")


@functools.cache
def _needs_definitions(name: str, published: bool) -> bool:
    """Whether a run of the query reads the definitions' macros or variables: a reader of
    the published sets reads them through the door's own statements; anyone else through the
    query's SQL and its monthly companion's. A run that does not goes without them: no
    `ensure`, some 40 ms of macros on a new connection (an import's checks, a command)."""
    query = load(name)
    if published and query.hides:
        names = list(PUBLISHED_STATEMENTS)
    else:
        names = [name, *([query.monthly] if query.monthly else []), *(["published_months"] if published else [])]
    return any(definitions.needed_by(load(n).sql) for n in names)


def _from_rows(db: limit.TimeLimit, query: Query, params: dict[str, Any], who: Viewer) -> pd.DataFrame:
    """The query's rows as the viewer sees them: in one run, or month by month and put
    together for a role that sees months only."""
    months = months_for(query, params, who)
    if not months:
        return as_seen(query, db.rows(query.sql, params), who)
    if query.grain != "none":
        lines = lines_within_a_month(query)
        whole = db.rows(query.sql, params)
        if "period" in whole.columns and not coarsens(who, query):
            return months_as_seen(query, whole, who, lines, len(months))
        return side_by_side([as_seen(query, month, who, lines)
                             for month in monthly_rows(db, query, params, months, whole)])
    if query.monthly and coarsens(who, query):
        whole = db.rows(load(query.monthly).sql, params)
        return combine_areas(query, whole.drop(columns="period"), month_numbers(whole, months), who.threshold)
    rows = [db.rows(query.sql, {**params, "start": first, "end": last}) for first, last in months]
    if coarsens(who, query):
        shown = [month for month in rows if not month.empty]
        stacked = pd.concat(shown, ignore_index=True) if shown else rows[0]
        numbers = np.repeat(np.arange(len(shown)), [len(month) for month in shown])
        return combine_areas(query, stacked, numbers, who.threshold)
    return combine(query, [as_seen(query, month, who) for month in rows], who.threshold)

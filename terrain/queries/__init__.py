"""The query door: every figure Terrain shows comes through `run`.

    queries.run(con, name, params, role=..., audience=...)   what a viewer may see
    queries.read_rows(con, name, params)                     the rows as they are (see below)
    queries.read_published(con, name, params)                a published set, read whole

Its parts, each with one job: catalogue.py (the query files, their headers and parameters),
viewer.py (who reads: a role and audience resolved once), door.py (`run`, and `observe`,
the hook through which the benchmark hears every call: observers.py), limit.py (the time
limit of a call), months.py and combine.py (month by month, and the months put together),
seen.py (one run's rows as a viewer sees them), published.py (answers from the published
sets), errors.py (what the door raises), dates.py (whole months).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

from terrain.queries.catalogue import (
    _PROBE_PARAMS,
    QUERIES_DIR,
    Query,
    Rate,
    check_combinations,
    check_params,
    check_published,
    combined_by_month,
    load,
    names,
    parse,
)
from terrain.queries.door import execute, observe, run
from terrain.queries.errors import AccessDenied, QueryError, QueryTimeout
from terrain.queries.limit import configured_seconds
from terrain.queries.viewer import ROWS_READER, Viewer, published_reader

__all__ = [
    "QUERIES_DIR",
    "ROWS_READER",
    "_PROBE_PARAMS",
    "AccessDenied",
    "Query",
    "QueryError",
    "QueryTimeout",
    "Rate",
    "Viewer",
    "check_combinations",
    "check_params",
    "check_published",
    "combined_by_month",
    "configured_seconds",
    "execute",
    "load",
    "names",
    "observe",
    "parse",
    "published_reader",
    "read_published",
    "read_rows",
    "run",
]


# read_rows and read_published call `run` as this package holds it, so that whoever observes
# the door by wrapping `queries.run` (the benchmark, terrain/bench.py) sees these calls too.

def read_rows(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A query's rows as they are, no count hidden: the entrance for code that must decide on
    the rows (the alert rules, the import checks, the data's own metadata), never for a page
    or an output. What it returns reaches a viewer only through terrain/disclosure: the alert
    evidence of internal drafts through `alerts.for_audience`, anything that leaves the
    programme through the published sets (`read_published`)."""
    return run(con, name, params, role=ROWS_READER)


def read_published(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A query over the published sets (terrain/disclosure/publication.py), whose cells are
    already suppressed for their audience: what public briefs and packs read."""
    if not name.startswith("published_"):
        raise QueryError(f"{name!r} does not read the published sets; read_published only runs published_* queries.")
    return run(con, name, params, role=ROWS_READER)

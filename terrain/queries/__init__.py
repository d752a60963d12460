"""The query door: every figure Terrain shows comes through `run` (see door.py)."""

from terrain.queries.door import *
from terrain.queries.door import (  # noqa: F401
    _PROBE_PARAMS,
    QUERIES_DIR,
    AccessDenied,
    Query,
    QueryError,
    check_combinations,
    combined_by_month,
    execute,
    load,
    names,
    parse,
    published_reader,
    read_published,
    read_rows,
    run,
)

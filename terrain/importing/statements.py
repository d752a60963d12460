"""The fixed SQL statements an import runs, read from terrain/importing/sql/<file>.sql.

Each statement follows a `-- name: <name>` line and ends at the next one. The rows of the
file travel as an Arrow table registered under the name `incoming`; no SQL is ever built
from strings.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Mapping

import duckdb
import pandas as pd
import pyarrow as pa

SQL_DIR = Path(__file__).with_name("sql")
_NAME_LINE = re.compile(r"^--\s*name:\s*([a-z_]+)\s*$", re.M)


@functools.cache
def statements(file: str) -> dict[str, str]:
    text = (SQL_DIR / f"{file}.sql").read_text(encoding="utf-8")
    parts = _NAME_LINE.split(text)
    # parts: [preamble, name1, body1, name2, body2, ...]
    return {name: body.strip().rstrip(";").strip() for name, body in zip(parts[1::2], parts[2::2])}


def run(con: duckdb.DuckDBPyConnection, file: str, name: str, incoming: pa.Table | None = None,
        params: Mapping[str, Any] | None = None) -> list[tuple]:
    """Run one statement, with `incoming` registered for it; return all its rows."""
    sql = statements(file)[name]
    if incoming is not None:
        con.register("incoming", incoming)
    try:
        result = con.execute(sql, dict(params)) if params else con.execute(sql)
        return result.fetchall() if result.description else []
    finally:
        if incoming is not None:
            con.unregister("incoming")


def first_rows(con: duckdb.DuckDBPyConnection, file: str, name: str, keep: int) -> tuple[pd.DataFrame, int]:
    """The first `keep` rows of a statement over the view `incoming`, and how many more it
    returned (read in batches: a statement may return a row for each of millions)."""
    reader = con.sql(statements(file)[name]).to_arrow_reader(1 << 16)
    kept, count = [], 0
    for batch in reader:
        if count < keep:
            kept.append(batch.slice(0, keep - count))
        count += batch.num_rows
    table = pa.Table.from_batches(kept, schema=reader.schema)
    return table.to_pandas(), max(count - keep, 0)

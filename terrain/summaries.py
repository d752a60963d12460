"""Summary tables of the consultations (terrain/summaries.sql), rebuilt from the base table.

Writers call `refresh(con)` on the new database file before it is swapped in (the demo
generator, an import), so the summaries always match the consultations the app reads. It
rebuilds every table whole: idempotent, and at 100 million consultations a minute or two,
which an import of the week's data can afford (measured by `python -m terrain bench`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SQL_FILE = Path(__file__).with_name("summaries.sql")
TABLES = ("consultations_daily", "consultations_daily_diagnosis", "consultations_daily_coverage",
          "consultations_daily_visit", "site_diagnoses_daily")


def refresh(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)build every summary table from the base tables; return each one's row count.

    Atomicity comes from the caller's new database file (terrain.store.new_database): a
    failure leaves the file unused, so no half-built summary is ever read."""
    con.execute(SQL_FILE.read_text(encoding="utf-8"))
    return {table: int(con.table(table).aggregate("count(*)").fetchall()[0][0]) for table in TABLES}

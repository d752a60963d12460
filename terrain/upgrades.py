"""What an upgrade does to the rows of a file an older Terrain wrote.

Most versions only added tables that every writer rebuilds (the summaries, the published
sets): the file is copied as it is. A version that changes a table's columns cannot be
reached by ALTER TABLE (DuckDB adds no CHECK that way, nor alters a table another refers
to), so such a file is rebuilt: the new file is created from terrain/schema.sql and every
table's rows are copied into it by column name, a column the old table lacks being filled
as its version says (`FILLERS`). Tables the schema does not hold (the demo's planted events)
are copied as they are; the derived tables are rebuilt by the writer, not copied.

Version 5 gave each vaccination campaign its target ages as age bands: an older campaign gets
them from its target ages in words (terrain/campaigns.py); where the words state no age that
can be read, from the bands its doses were given in, and where it has none, every known
band. The upgrade says which campaign got which bands and how, so that a wrong guess is seen
and corrected (a campaigns import replaces them).

Version 7 changed how the published sets are suppressed (a place whose total is small has its
breakdowns marked "small or zero" whole; terrain/disclosure/publication.py) and made a set
with cells its build could not protect publish nothing: a file of version 6 is copied, and its
published sets, their views included, are rebuilt with the new rules like every derived table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from terrain import campaigns, summaries
from terrain.disclosure import publication

# Files older than this version are rebuilt into the schema; newer ones are copied.
REBUILT_BEFORE = 5
_PREVIOUS = "previous"


@dataclass(frozen=True)
class CampaignBands:
    """How an upgraded campaign got its target age bands: `source` is "words" (read from its
    target ages), "doses" (the bands its doses were given in) or "all" (every known band)."""
    campaign_id: str
    target_ages: str
    bands: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Upgrade:
    """An upgrade that changed the file: the version it had, and what it filled in."""
    from_version: int
    campaigns: tuple[CampaignBands, ...] = ()


def campaign_bands(target_ages: str, dose_bands: list[str]) -> tuple[tuple[str, ...], str]:
    """The bands of an older campaign and how they were found (see the module docstring)."""
    read = campaigns.bands_in_words(target_ages)
    if read:
        return read, "words"
    given = tuple(band for band in campaigns.KNOWN_BANDS if band in set(dose_bands))
    if given:
        return given, "doses"
    return campaigns.KNOWN_BANDS, "all"


def _derived_campaign_bands(con: duckdb.DuckDBPyConnection) -> list[CampaignBands]:
    rows = con.execute("""
        SELECT k.campaign_id, k.target_ages,
               coalesce(list(DISTINCT v.age_band::VARCHAR) FILTER (WHERE v.age_band IS NOT NULL), []) AS dose_bands
        FROM previous.vaccination_campaigns AS k
        LEFT JOIN previous.vaccinations AS v USING (campaign_id)
        GROUP BY ALL
        ORDER BY k.campaign_id""").fetchall()
    found = []
    for campaign_id, target_ages, dose_bands in rows:
        bands, source = campaign_bands(target_ages, list(dose_bands))
        found.append(CampaignBands(campaign_id, target_ages, bands, source))
    return found


def _fill_campaign_bands(con: duckdb.DuckDBPyConnection) -> list[CampaignBands]:
    found = _derived_campaign_bands(con)
    con.register("derived_bands", pd.DataFrame({"campaign_id": [c.campaign_id for c in found],
                                                "target_age_bands": [list(c.bands) for c in found]}))
    try:
        con.execute("""
            INSERT INTO vaccination_campaigns BY NAME
            SELECT k.*, b.target_age_bands::age_band[] AS target_age_bands
            FROM previous.vaccination_campaigns AS k
            JOIN derived_bands AS b USING (campaign_id)""")
    finally:
        con.unregister("derived_bands")
    return found


# (table, column a version added) -> how the column is filled when the old table lacks it;
# the filler inserts the table's rows whole and says what it did.
FILLERS = {("vaccination_campaigns", "target_age_bands"): _fill_campaign_bands}


def _columns(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[str]]:
    rows = con.execute("""
        SELECT t.table_name, list(c.column_name ORDER BY c.column_index)
        FROM duckdb_tables() AS t
        JOIN duckdb_columns() AS c USING (database_name, schema_name, table_name)
        WHERE t.database_name = $database AND t.schema_name = 'main'
        GROUP BY t.table_name, t.table_oid
        ORDER BY t.table_oid""", {"database": database}).fetchall()
    return {name: list(columns) for name, columns in rows}


UPGRADE_APPROVER = "upgrade to schema 6"


def approve_published_months(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> int:
    """Schema 6 puts an approval before publication. A file from before it published every whole
    month: each of them is recorded as approved by the upgrade, for every city with a site open
    in it, so that donors and the public keep seeing what they saw. Returns the approvals made."""
    return publication.approve_through(con, dt.date.max.replace(day=1), UPGRADE_APPROVER, now)


def before_schema_6(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> None:
    """A copied file from before schema 6: its published sets were tables that are views now
    (rebuilt by the writer), and its months were published without an approval."""
    database = con.execute("SELECT current_database()").fetchone()[0]
    tables = _columns(con, database)
    for table, statement in (("published_cells", "DROP TABLE published_cells"),
                             ("published_sets", "DROP TABLE published_sets")):
        if table in tables:   # a table in schema 5, a view since
            con.execute(statement)
    approve_published_months(con, now)


def add_missing_tables(con: duckdb.DuckDBPyConnection, schema_file: Path) -> list[str]:
    """Create, empty, the tables of this version's schema that a copied older file lacks
    (tables a version added beside the rows, such as the months' approvals); returns their
    names. Their statements are read from the schema itself, so each table is written once."""
    fresh = duckdb.connect()
    try:
        fresh.execute(schema_file.read_text(encoding="utf-8"))
        wanted = fresh.execute("SELECT table_name, sql FROM duckdb_tables() ORDER BY table_oid").fetchall()
    finally:
        fresh.close()
    database = con.execute("SELECT current_database()").fetchone()[0]
    present = set(_columns(con, database))
    added = []
    for table, statement in wanted:
        if table not in present:
            con.execute(statement)
            added.append(table)
    return added


def rows_into_schema(con: duckdb.DuckDBPyConnection, source: Path) -> tuple[CampaignBands, ...]:
    """Copy the rows of the older file `source` into the new file behind `con`, which holds
    this version's schema (tables in their order of creation, so that a row's references
    exist before it). Returns what the fillers filled in."""
    database = con.execute("SELECT current_database()").fetchone()[0]
    con.execute("ATTACH $path AS previous (READ_ONLY)", {"path": str(source)})
    filled: list[CampaignBands] = []
    try:
        new, old = _columns(con, database), _columns(con, _PREVIOUS)
        derived = {*summaries.TABLES, *publication.TABLES}
        for table, columns in new.items():
            if table not in old or table in derived:
                continue
            missing = [c for c in columns if c not in old[table]]
            if missing:
                fillers = {FILLERS.get((table, column)) for column in missing}
                if None in fillers or len(fillers) != 1:
                    raise ValueError(f"Terrain cannot fill {table}.{', '.join(missing)} in an older file.")
                filled += fillers.pop()(con)
                continue
            rows = con.sql("SELECT * FROM query_table($name)", params={"name": f"{_PREVIOUS}.main.{table}"})
            rows.select(*[duckdb.ColumnExpression(c) for c in columns]).insert_into(table)
        for table in old:
            if table not in new and table not in derived:   # kept as it was (the demo's planted events)
                con.sql("SELECT * FROM query_table($name)", params={"name": f"{_PREVIOUS}.main.{table}"}).create(table)
    finally:
        con.execute("DETACH previous")
    return tuple(filled)

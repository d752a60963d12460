"""A file's checked rows, typed, in a DuckDB file of their own until they are loaded.

A file is checked a part at a time (terrain/importing/validation.py); each part's typed rows
are appended here, so that what spans parts (a key written twice, a key already in the
database) is answered in SQL over all of them, and the load copies them from here into the
new database file without holding them in memory. The folder is private to one import and
removed when it ends; one a killed import left is removed by the next (`remove_left_over`).

The rows are the table's columns, `row_number` (the row as the spreadsheet numbers it) and
`key_ok` (whether every key column parsed and kept its rules: only those rows are matched by
key). The statements of terrain/importing/sql/ read them as the view `incoming`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd
import pyarrow as pa

from terrain.importing import statements

PREFIX = "terrain-import-"
# DuckDB's memory while an import checks and loads: past it, DuckDB spills to the import's own
# folder. A file of any length then imports in a few hundred MB.
MEMORY_LIMIT = "256MB"


class Staging:
    """The staged rows of one import, attached to `con` as the catalog `staging`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, folder: Path):
        self.con, self.folder, self.path = con, folder, folder / "rows.duckdb"
        self.has_rows = False
        self._created = False
        con.execute("SET memory_limit = $limit", {"limit": MEMORY_LIMIT})
        con.execute("SET temp_directory = $folder", {"folder": str(folder / "spill")})
        con.execute("ATTACH $path AS staging", {"path": str(self.path)})

    def add(self, rows: pa.Table) -> None:
        self.con.register("part", rows)
        try:
            if not self._created:
                self.con.execute("CREATE TABLE staging.staged_rows AS SELECT * FROM part")
                self.con.execute("CREATE TEMP VIEW incoming AS "
                                 "SELECT * EXCLUDE (key_ok) FROM staging.staged_rows WHERE key_ok")
                self._created = True
            else:
                self.con.execute("INSERT INTO staging.staged_rows SELECT * FROM part")
        finally:
            self.con.unregister("part")
        self.has_rows = self.has_rows or rows.num_rows > 0

    def run(self, file: str, name: str) -> list[tuple]:
        return statements.run(self.con, file, name)

    def first_rows(self, file: str, name: str, keep: int) -> tuple[pd.DataFrame, int]:
        """The first `keep` rows a statement returns, and how many more it returned."""
        return statements.first_rows(self.con, file, name, keep)

    def close(self) -> None:
        """Detach, so that the load can attach the rows from the new database's connection,
        and give the instance its memory limit and temporary folder back (settings of the
        instance, which terrain/instances.py lends again)."""
        if self._created:
            self.con.execute("DROP VIEW IF EXISTS temp.incoming")
        self.con.execute("DETACH staging")
        self.con.execute("RESET memory_limit")
        # (DuckDB keeps a folder it spilled to: the instance, then not as it was lent, is closed)
        with contextlib.suppress(duckdb.NotImplementedException):
            self.con.execute("RESET temp_directory")


@contextlib.contextmanager
def folder() -> Iterator[Path]:
    """A private folder for one import's staged rows, removed when it ends."""
    remove_left_over()
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def loaded_from(con: duckdb.DuckDBPyConnection, folder: Path) -> Iterator[None]:
    """The staged rows as the view `incoming` on `con` (the new database's connection)."""
    con.execute("SET memory_limit = $limit", {"limit": MEMORY_LIMIT})
    con.execute("SET temp_directory = $folder", {"folder": str(folder / "spill")})
    con.execute("ATTACH $path AS staging (READ_ONLY)", {"path": str(folder / "rows.duckdb")})
    try:
        con.execute("CREATE TEMP VIEW incoming AS SELECT * EXCLUDE (key_ok) FROM staging.staged_rows WHERE key_ok")
        yield
    finally:
        con.execute("DROP VIEW IF EXISTS temp.incoming")
        con.execute("DETACH staging")


def remove_left_over() -> list[Path]:
    """Remove the folders of imports whose process is gone (killed, or the machine stopped)."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            pid = int(path.name[len(PREFIX):].split("-", 1)[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

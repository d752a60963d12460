"""The DuckDB file: where it lives, how readers open it, how writers replace it.

Readers and a writer of one DuckDB file lock each other out, so a writer never writes into
the file the app has open: it builds a new file beside it and swaps it in with os.replace,
which is atomic on one filesystem. A reader keeps the old file's inode until it reopens; the
data version (inode, size, mtime) tells it when to.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Iterator

import duckdb

from terrain import ROOT, SCHEMA_VERSION, summaries
from terrain.disclosure import publication

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
KEPT_VERSIONS = 3


def db_path() -> Path:
    """The database the app and the command line use: $TERRAIN_DB or data/terrain.duckdb."""
    return Path(os.environ.get("TERRAIN_DB") or ROOT / "data" / "terrain.duckdb")


def data_version(path: Path) -> str:
    """Changes whenever the file at `path` is replaced; part of every cache key."""
    st = os.stat(path)
    return f"{st.st_ino}-{st.st_size}-{st.st_mtime_ns}"


ATTACHED_AS = "terrain"


class OutdatedDatabase(Exception):
    """The file was written by an older Terrain whose layout the queries no longer read."""

    def __init__(self, path: Path, version: int):
        super().__init__(f"{path} was written by an older Terrain (schema {version}; this one reads "
                         f"{SCHEMA_VERSION}): run `python -m terrain upgrade --db {path}` (the data are kept).")
        self.path, self.version = Path(path), version


def open_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the file at `path` as it is now.

    duckdb.connect(path) shares one database per path within a process, so after a swap it
    would keep serving the replaced file while an older connection lives. A private
    in-memory connection that attaches the file opens the file that is there now. Cursors
    do not inherit USE: call `use(cursor)` on each.
    """
    if not Path(path).exists():
        raise FileNotFoundError(f"No Terrain database at {path}: run `python -m terrain demo` or import data.")
    con = duckdb.connect()
    con.execute("ATTACH $path AS terrain (READ_ONLY)", {"path": str(path)})
    use(con)
    version = recorded_version(con)
    if version is not None and version < SCHEMA_VERSION:
        con.close()
        raise OutdatedDatabase(Path(path), version)
    return con


def recorded_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version the file's metadata records (None before any metadata row)."""
    versions = con.execute("SELECT schema_version FROM metadata").fetchall()
    return versions[0][0] if versions else None


def use(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("USE terrain")
    return con


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))


def backup_paths(path: Path) -> list[Path]:
    """Previous versions of `path`, newest first (path.1 is the one just replaced)."""
    return [Path(f"{path}.{i}") for i in range(1, KEPT_VERSIONS + 1)]


def _rotate_backups(path: Path) -> None:
    backups = backup_paths(path)
    for older, newer in zip(reversed(backups), list(reversed(backups))[1:]):
        if newer.exists():
            os.replace(newer, older)
    if path.exists():
        # A hard link keeps the current file as version 1 without copying it, and the
        # os.replace that follows swaps in the new file atomically.
        with contextlib.suppress(FileNotFoundError):
            backups[0].unlink()
        try:
            os.link(path, backups[0])
        except OSError:
            shutil.copy2(path, backups[0])


@contextlib.contextmanager
def new_database(target: Path, *, keep_backup: bool = False,
                 copy_from: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to a new database file that replaces `target` on success.

    The file starts with the schema, or as a copy of `copy_from` (for imports that add to
    existing data). When the block ends, the summary tables are rebuilt from what it wrote
    (the pages read them), and so are the published sets of every audience
    (terrain/disclosure/publication.py: all that donors and the public see), so every file
    that is swapped in has summaries and published sets that match its rows. If the block raises, the new file is deleted and `target` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.new")
    for leftover in (tmp, Path(f"{tmp}.wal")):
        leftover.unlink(missing_ok=True)
    if copy_from is not None:
        shutil.copyfile(copy_from, tmp)
        con = duckdb.connect(str(tmp))
    else:
        con = duckdb.connect(str(tmp))
        create_schema(con)
    try:
        yield con
        summaries.refresh(con)
        publication.build(con)
        con.execute("CHECKPOINT")
        con.close()
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise
    if keep_backup:
        _rotate_backups(target)
    os.replace(tmp, target)


def upgrade(target: Path) -> bool:
    """Rewrite an older file in this version's layout, keeping the replaced one as a backup.
    Schema 2 added the summary tables, schema 3 the published sets, which every new file
    gets; False if already current."""
    target = Path(target)
    probe = duckdb.connect()
    try:
        probe.execute("ATTACH $path AS terrain (READ_ONLY)", {"path": str(target)})
        version = recorded_version(use(probe))
    finally:
        probe.close()
    if version is None or version >= SCHEMA_VERSION:
        return False
    with new_database(target, keep_backup=True, copy_from=target) as con:
        con.execute("UPDATE metadata SET schema_version = $version", {"version": SCHEMA_VERSION})
    return True


def rollback(target: Path) -> Path:
    """Put the previous version back in place of `target` (the current one is discarded)."""
    target = Path(target)
    backups = backup_paths(target)
    if not backups[0].exists():
        raise FileNotFoundError(f"No previous version of {target} to roll back to.")
    os.replace(backups[0], target)
    for older, newer in zip(backups[1:], backups):
        if older.exists():
            os.replace(older, newer)
    return target

"""The DuckDB file: where it lives, how readers open it, how writers replace it.

Readers and a writer of one DuckDB file lock each other out, so a writer never writes into
the file the app has open: it builds a new file beside it and swaps it in with os.replace,
which is atomic on one filesystem. A reader keeps the old file's inode until it reopens; the
data version (inode, size, mtime) tells it when to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import glob
import json
import os
import shutil
import signal
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from terrain import ROOT, SCHEMA_VERSION, definitions, summaries, upgrades
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


class NewerDatabase(Exception):
    """The file was written by a newer Terrain, whose layout this one does not know."""

    def __init__(self, path: Path, version: int):
        super().__init__(f"{path} was written by a newer Terrain (schema {version}; this one reads {SCHEMA_VERSION}): "
                         "update Terrain to read it.")
        self.path, self.version = Path(path), version


def check_version(path: Path, version: int | None) -> None:
    """OutdatedDatabase or NewerDatabase unless the file's layout is this Terrain's."""
    if version is not None and version < SCHEMA_VERSION:
        raise OutdatedDatabase(Path(path), version)
    if version is not None and version > SCHEMA_VERSION:
        raise NewerDatabase(Path(path), version)


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
    try:
        check_version(path, recorded_version(con))
    except (OutdatedDatabase, NewerDatabase):
        con.close()
        raise
    return con


def recorded_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version the file's metadata records (None before any metadata row)."""
    versions = con.execute("SELECT schema_version FROM metadata").fetchall()
    return versions[0][0] if versions else None


def use(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Make the attached file the connection's default and put the programme's definitions
    on it (terrain/definitions.sql): every query may call them."""
    con.execute("USE terrain")
    return definitions.ensure(con)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))


def backup_paths(path: Path) -> list[Path]:
    """Previous versions of `path`, newest first (path.1 is the one just replaced)."""
    return [Path(f"{path}.{i}") for i in range(1, KEPT_VERSIONS + 1)]


# --- the write protocol -------------------------------------------------------------------
#
# Every writer (import, rollback, upgrade, demo) follows one protocol, so that a crash at any
# instruction leaves the old version or the new one, and an audit that says which:
#
# 1. Under the writer lock (one writer per database, across processes and threads), finish or
#    undo what a dead writer left (`recover`) and remove its temporary files.
# 2. Build the new version in a temporary file beside the database; CHECKPOINT, close, fsync.
# 3. Record the change in the audit as under way (the `begin` hook). If the audit cannot be
#    written, nothing has moved: the temporary file is removed and the error raised.
# 4. Write the intent, fsynced with its folder: the layout of the files before and after, by
#    inode (the database, its previous versions .1 to .3, and the temporary file).
# 5. Arrange the files into the new layout, one hard link and one rename at a time, each
#    atomic and each followed by an fsync of the folder; every intermediate state holds every
#    inode still needed under some name, so the arrangement can be finished from any of them.
# 6. Record the outcome in the audit (the `finish` hook), then remove the intent.
#
# `recover` reads a left-over intent: if the new version's inode still exists it finishes the
# arrangement (the change happened), else it puts back the old layout; then it records the
# outcome in the audit (the hook is idempotent) and removes the intent. TERRAIN_FAULT_AT names
# a step at which the writing process kills itself: the crash tests run real writers with it.

INTENT_SUFFIX = ".intent"
LOCK_SUFFIX = ".import.lock"
_SWAP_SUFFIX = ".swap"
_FAULT_VARIABLE = "TERRAIN_FAULT_AT"
_held = threading.local()


class WriteError(Exception):
    """A write that could not be made; nothing changed. The message is one line for the user."""


@dataclass(frozen=True)
class Change:
    """What a write is, for its audit: `note` is saved with the intent (JSON), `begin(id,
    note)` records the change as under way and raises if the audit cannot be written,
    `finish(id, note, done)` records whether it happened (and must be idempotent), and
    `abandon()` says that no change is under way any more: one the audit still holds as under
    way died before its intent was written, and changed nothing."""
    op: str
    note: dict
    begin: Callable[[str, dict], None]
    finish: Callable[[str, dict, bool], None]
    abandon: Callable[[], None] | None = None


def _step(name: str) -> None:
    """A fault-injection point: the crash tests kill the writer here (never set otherwise)."""
    if os.environ.get(_FAULT_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)


@contextlib.contextmanager
def writer_lock(target: Path, *, blocking: bool = True) -> Iterator[None]:
    """One writer at a time per database, across processes and threads; re-entrant within a
    thread (an import holds it while it checks the file and while it writes). With
    `blocking=False`, BlockingIOError when another writer holds it."""
    target = Path(target)
    held = getattr(_held, "paths", None)
    if held is None:
        held = _held.paths = {}
    key = str(target.resolve())
    if held.get(key):
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    lock_path = target.with_name(target.name + LOCK_SUFFIX)
    handle = _locked(lock_path, blocking)
    with handle:
        held[key] = 1
        try:
            yield
        finally:
            held.pop(key, None)
            # The file goes while it is still locked, so no one can take a lock on it after
            # this: a writer that opened it meanwhile finds, once it holds it, that it is no
            # longer the file at this path, and opens the new one (_locked).
            with contextlib.suppress(OSError):   # (a folder one may lock in but not delete from)
                lock_path.unlink()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _locked(lock_path: Path, blocking: bool):
    """An open handle on `lock_path`, exclusively locked, that is the file at that path."""
    while True:
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock_path, "a")
        except OSError as error:
            raise WriteError(f"Cannot write in {lock_path.parent}: {error.strerror or error}.") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            if os.fstat(handle.fileno()).st_ino == os.stat(lock_path).st_ino:
                return handle
        except FileNotFoundError:
            pass     # removed by the writer we waited for: take the next one
        except BaseException:
            handle.close()
            raise
        handle.close()


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path, follow_symlinks=False).st_ino
    except FileNotFoundError:
        return None


def _names(target: Path) -> dict[str, Path]:
    """The files of a database's layout, by role: "" the database, ".1" to ".3" its previous
    versions."""
    return {"": target, **{f".{i}": backup for i, backup in enumerate(backup_paths(target), start=1)}}


def _intent_path(target: Path) -> Path:
    return target.with_name(target.name + INTENT_SUFFIX)


def _write_intent(target: Path, intent: dict) -> None:
    path = _intent_path(target)
    draft = path.with_name(path.name + ".draft")
    with open(draft, "w", encoding="utf-8") as handle:
        json.dump(intent, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(draft, path)
    _fsync_path(target.parent, directory=True)


def _arrange(target: Path, layout: dict[str, int | None], sources: list[Path]) -> bool:
    """Put the files in `layout` (role -> inode wanted there, None for no file), finding each
    inode under any name of the layout or in `sources`. A name is only overwritten once the
    inode it holds is in place wherever it is wanted, so every step can be resumed. False if
    an inode wanted is nowhere to be found."""
    names = _names(target)
    candidates = [*names.values(), *sources]
    while True:
        where: dict[int, Path] = {}
        for path in candidates:
            ino = _inode(path)
            if ino is not None:
                where.setdefault(ino, path)
        pending = [role for role, ino in layout.items() if _inode(names[role]) != ino]
        if not pending:
            return True
        moved = False
        for role in pending:
            name, wanted, current = names[role], layout[role], _inode(names[role])
            still_needed = current is not None and any(
                ino == current and _inode(names[other]) != current for other, ino in layout.items() if other != role)
            if still_needed:
                continue
            if wanted is None:
                name.unlink(missing_ok=True)
            else:
                if wanted not in where:
                    return False
                swap = name.with_name(name.name + _SWAP_SUFFIX)
                swap.unlink(missing_ok=True)
                os.link(where[wanted], swap)
                _step(f"linked{role or ':db'}")
                os.replace(swap, name)
            _fsync_path(target.parent, directory=True)
            _step(f"placed{role or ':db'}")
            moved = True
            break
        if not moved:   # a cycle: cannot happen with the layouts below, but never loop for ever
            raise WriteError(f"The files of {target} cannot be put in order; nothing was removed.")


def _settle(target: Path, intent: dict) -> bool:
    """Finish the arrangement an intent describes (True), or put the layout before it back
    (False) when the new version is gone."""
    after = {role: ino for role, ino in intent["after"].items()}
    sources = [Path(intent["new_file"])] if intent.get("new_file") else []
    done = _arrange(target, after, sources)
    if not done:
        before = {role: ino for role, ino in intent["before"].items()}
        _arrange(target, {r: i for r, i in before.items() if i is None or _located(target, i, sources)}, sources)
    for source in sources:
        source.unlink(missing_ok=True)
        Path(f"{source}.wal").unlink(missing_ok=True)
    _fsync_path(target.parent, directory=True)
    return done


def _located(target: Path, ino: int, sources: list[Path]) -> bool:
    return any(_inode(path) == ino for path in [*_names(target).values(), *sources])


def _leftovers(target: Path) -> list[Path]:
    """Temporary files writers of `target` make: new versions, swaps, drafts of an intent."""
    folder = target.parent
    if not folder.exists():
        return []
    found = list(folder.glob(f".{glob.escape(target.name)}.*.new"))
    found += list(folder.glob(f".{glob.escape(target.name)}.*.new.wal"))
    found += list(folder.glob(f"{glob.escape(target.name)}*{_SWAP_SUFFIX}"))
    found.append(_intent_path(target).with_name(_intent_path(target).name + ".draft"))
    return [path for path in found if path.exists()]


def recover(target: Path, hooks: Change | None = None) -> bool | None:
    """Under the writer lock: settle a change a dead writer left half done (finish it if its
    new version exists, else put the old layout back), record its outcome (`hooks.finish`),
    say that nothing is under way any more (`hooks.abandon`), and remove the temporary files
    dead writers left. Returns whether a left-over change was finished (True), undone
    (False), or None if there was none."""
    target = Path(target)
    finish = hooks.finish if hooks else None
    with writer_lock(target):
        path, settled = _intent_path(target), None
        if path.exists():
            try:
                intent = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                intent = None     # torn before its rename: no file had moved yet
            if intent is not None:
                settled = _settle(target, intent)
                if finish is not None:
                    finish(intent["id"], {**intent["note"], "recovered": True}, settled)
            path.unlink()
            _fsync_path(target.parent, directory=True)
        if hooks is not None and hooks.abandon is not None:
            hooks.abandon()
        for leftover in _leftovers(target):
            leftover.unlink(missing_ok=True)
        return settled


def recover_if_left_over(target: Path, hooks: Change | None = None) -> bool | None:
    """`recover`, for readers (the app on each run): only when a change was left half done,
    and only if no writer is at work (a writer recovers first thing anyway)."""
    target = Path(target)
    if not _intent_path(target).exists():
        return None
    try:
        with writer_lock(target, blocking=False):
            return recover(target, hooks)
    except BlockingIOError:
        return None


def _commit(target: Path, layout_after: dict[str, int | None], new_file: Path | None, change: Change | None) -> None:
    """Steps 3 to 6 of the protocol, under the writer lock."""
    names = _names(target)
    intent = {"id": uuid.uuid4().hex, "op": change.op if change else "write", "note": change.note if change else {},
              "new_file": str(new_file) if new_file else None,
              "before": {role: _inode(path) for role, path in names.items()}, "after": layout_after}
    if change is not None:
        try:
            change.begin(intent["id"], intent["note"])
        except Exception as error:   # the audit cannot say what is about to happen: nothing moves
            raise WriteError(f"Nothing was changed: {error}.") from None
    _step("audit_begun")
    _write_intent(target, intent)
    _step("intent_written")
    done = _settle(target, intent)
    _step("arranged")
    if change is not None:
        try:
            change.finish(intent["id"], intent["note"], done)
        except Exception as error:   # the intent stays: the next writer or the app settles the audit
            raise WriteError(f"The change was made, but {error}; the audit will say so once it can be "
                             "written (next import, or the app's next start).") from None
    _step("audit_finished")
    _intent_path(target).unlink()
    _fsync_path(target.parent, directory=True)
    if not done:
        raise WriteError(f"The new version of {target} was lost before it could be put in place; the previous "
                         "version is kept.")


@contextlib.contextmanager
def new_database(target: Path, *, keep_backup: bool = False, copy_from: Path | None = None,
                 compact: bool = False, derived: bool = True,
                 change: Change | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to a new database file that replaces `target` on success.

    The file starts with the schema, or as a copy of `copy_from` (for imports that add to
    existing data; with `compact`, rewritten table by table rather than copied byte for byte,
    so that the space rows deleted by the block leave behind is not carried on from version to
    version: a replace asks for it). When the block ends, the summary tables are rebuilt from what it wrote
    (the pages read them), and so are the published sets of every audience
    (terrain/disclosure/publication.py: all that donors and the public see), so every file
    that is swapped in has summaries and published sets that match its rows. Then the file
    is put in place by the write protocol above, the replaced one kept as `target`.1 when
    `keep_backup`. If the block raises, the new file is deleted and `target` is untouched.

    A block that changes no row the summaries or the published sets are built from (an
    approval, a context event: tables a manager keeps beside the rows) passes `derived=False`
    with `copy_from`: the copy's summaries and published sets still match its rows, so they
    are kept as they are, and the write costs a copy of the file, not a rebuild.
    """
    if not derived and copy_from is None:
        raise ValueError("A write that keeps the derived tables starts from a copy (copy_from).")
    target = Path(target)
    with writer_lock(target):
        recover(target, change)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.new")
        try:
            if copy_from is not None and compact:
                _copy_compacted(copy_from, tmp)
                con = duckdb.connect(str(tmp))
            elif copy_from is not None:
                shutil.copyfile(copy_from, tmp)
                con = duckdb.connect(str(tmp))
            else:
                con = duckdb.connect(str(tmp))
                create_schema(con)
        except (OSError, duckdb.IOException) as error:
            _remove(tmp)
            raise WriteError(_space_message(target, error)) from None
        try:
            yield con
            if derived:
                summaries.refresh(con)
                publication.build(con)
            con.execute("CHECKPOINT")
            con.close()
            _fsync_path(tmp)
        except BaseException as error:
            con.close()
            _remove(tmp)
            if isinstance(error, (OSError, duckdb.IOException, duckdb.OutOfMemoryException)):
                raise WriteError(_space_message(target, error)) from None
            raise
        _step("built")
        names = _names(target)
        current = {role: _inode(path) for role, path in names.items()}
        after = {"": _inode(tmp)}
        if keep_backup and current[""] is not None:
            after.update({".1": current[""], ".2": current[".1"], ".3": current[".2"]})
        else:
            after.update({role: current[role] for role in names if role})
        try:
            _commit(target, after, tmp, change)
        except BaseException:
            _remove(tmp)
            raise


def _copy_compacted(source: Path, destination: Path) -> None:
    """`source` rewritten into the new file `destination`: the same schema, constraints and
    rows, without the free blocks deleted rows leave in a DuckDB file."""
    con = duckdb.connect()
    try:
        con.execute("ATTACH $path AS previous (READ_ONLY)", {"path": str(source)})
        con.execute("ATTACH $path AS fresh", {"path": str(destination)})
        con.execute("COPY FROM DATABASE previous TO fresh")
        con.execute("CHECKPOINT fresh")
    finally:
        con.close()


def _remove(tmp: Path) -> None:
    for path in (tmp, Path(f"{tmp}.wal")):
        path.unlink(missing_ok=True)


def reason(error: BaseException) -> str:
    """What went wrong with a file, in one line: an OS error's own words (no errno, no
    traceback), or the first line of DuckDB's message. How every fault around a file is told."""
    return str(getattr(error, "strerror", None) or error).splitlines()[0]


def _space_message(target: Path, error: BaseException) -> str:
    text = reason(error)
    return f"Cannot write a new version of {target}: {text}. Nothing was changed."


def upgrade(target: Path, change: Change | None = None) -> upgrades.Upgrade | None:
    """Rewrite an older file in this version's layout, keeping the replaced one as a backup.
    Schema 2 added the summary tables, schema 3 the published sets, schema 4 their cold
    nights, which every new file gets; schema 5 the campaigns' target age bands, for which an
    older file is rebuilt into the schema (terrain/upgrades.py); schema 6 the months'
    approvals, every month an older file published being approved by the upgrade; schema 7
    the published sets' "small or zero" marks and their refusal of a set with exposed cells,
    which the upgrade's writer rebuilds as every writer does. None if already current."""
    target = Path(target)
    with writer_lock(target):
        recover(target, change)
        probe = duckdb.connect()
        try:
            probe.execute("ATTACH $path AS terrain (READ_ONLY)", {"path": str(target)})
            version = recorded_version(use(probe))
        finally:
            probe.close()
        if version is not None and version > SCHEMA_VERSION:
            raise NewerDatabase(target, version)
        if version is None or version == SCHEMA_VERSION:
            return None
        rebuild = version < upgrades.REBUILT_BEFORE
        filled: tuple = ()
        with new_database(target, keep_backup=True, copy_from=None if rebuild else target, change=change) as con:
            if rebuild:
                filled = upgrades.rows_into_schema(con, target)
            else:
                upgrades.add_missing_tables(con, SCHEMA_FILE)
            if version < 6:
                upgrades.before_schema_6(con, dt.datetime.now().replace(microsecond=0))
            con.execute("UPDATE metadata SET schema_version = $version", {"version": SCHEMA_VERSION})
    return upgrades.Upgrade(version, filled)


def rollback(target: Path, change: Change | None = None) -> Path:
    """Put the previous version back in place of `target` (the current one is discarded),
    by the write protocol: each version moves up one place, .1 becoming the database."""
    target = Path(target)
    with writer_lock(target):
        recover(target, change)
        names = _names(target)
        current = {role: _inode(path) for role, path in names.items()}
        if current[".1"] is None:
            raise FileNotFoundError(f"No previous version of {target} to roll back to.")
        after = {"": current[".1"], ".1": current[".2"], ".2": current[".3"], ".3": None}
        _commit(target, after, None, change)
    return target

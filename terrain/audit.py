"""The audit directory and the briefs log.

The audit directory ($TERRAIN_AUDIT_DIR or data/audit/) holds the small DuckDB files that
must outlive the main database, which an import or a rollback replaces whole: the import
audit (terrain/importing/audit.py), the publication ledger (terrain/disclosure/ledger.py) and
the briefs log below. Each is opened for the moment of one read or write (`opened`), and a
process that finds one held by another's write waits for it.

A file is attached, for its read or write, to an in-memory DuckDB instance the process keeps
(terrain/instances.py), and detached after it.

The briefs log says who produced which brief, when, with which parameters, and the file's
SHA-256, so that a figure quoted by a préfecture can be traced to the brief that gave it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any, Iterator, Mapping

import duckdb
import pandas as pd

from terrain import ROOT, instances

AUDIT_FILE = "briefs.duckdb"
# How long a process waits for an audit file another one is writing: a write holds it for
# milliseconds, ten seconds is a writer stuck, and its error is said.
LOCK_WAIT_SECONDS = 10.0
_PAUSE_S = 0.05

_CREATE = """
CREATE TABLE IF NOT EXISTS brief_audit (
    recorded_at  TIMESTAMP NOT NULL,
    user_name    VARCHAR NOT NULL,
    via          VARCHAR NOT NULL,
    rule         VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    city         VARCHAR,
    lang         VARCHAR NOT NULL,
    audience     VARCHAR NOT NULL,
    threshold    INTEGER NOT NULL,
    format       VARCHAR NOT NULL,
    recipient    VARCHAR NOT NULL,
    file_name    VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL CHECK (regexp_full_match(sha256, '[0-9a-f]{64}')),
    data_as_of   DATE,
    dataset_name VARCHAR,
    parameters   JSON NOT NULL
)
"""
_INSERT = """
INSERT INTO brief_audit VALUES ($recorded_at, $user_name, $via, $rule, $period_start, $period_end, $city,
    $lang, $audience, $threshold, $format, $recipient, $file_name, $sha256, $data_as_of, $dataset_name, $parameters)
"""
_LIST = "SELECT * EXCLUDE (parameters), parameters FROM brief_audit ORDER BY recorded_at DESC LIMIT $limit"
_COLUMNS = ("rule", "period_start", "period_end", "city", "lang", "audience", "threshold", "format", "recipient",
            "file_name", "sha256", "data_as_of", "dataset_name")


def audit_dir() -> Path:
    return Path(os.environ.get("TERRAIN_AUDIT_DIR") or ROOT / "data" / "audit")


def audit_path() -> Path:
    return audit_dir() / AUDIT_FILE


@contextlib.contextmanager
def opened(path: Path, *, read_only: bool,
           wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to an audit file for one read or write (the block). Another process
    writing the file holds DuckDB's lock on it for that moment: the file is tried again until
    the lock is free, for `wait_seconds` at most, then DuckDB's error is raised; any other
    error is raised at once. A file of no bytes that DuckDB could lock (so that no process is
    writing it: one left by a writer that met a full disk before DuckDB wrote its header) is
    removed before a write, which then makes it anew. After the block, what it left
    unfinished is rolled back and the file let go (terrain/instances.py)."""
    deadline = time.monotonic() + wait_seconds
    attach = "ATTACH $path AS audit_file (READ_ONLY)" if read_only else "ATTACH $path AS audit_file"
    with contextlib.ExitStack() as held:
        while True:
            try:
                con = held.enter_context(instances.attached(attach, "DETACH audit_file", {"path": str(path)}))
            except (duckdb.IOException, duckdb.ConnectionException, duckdb.ResourceInUseException) as error:
                if not read_only and _left_empty(path, error):
                    path.unlink(missing_ok=True)
                    continue
                if not _held(error) or time.monotonic() > deadline:
                    raise
                time.sleep(_PAUSE_S)
                continue
            break
        con.execute("USE audit_file")
        yield con


def _held(error: duckdb.Error) -> bool:
    """Whether DuckDB refused the file because another connection holds it: its lock, taken
    by another process, or another DuckDB instance of this process that has it open."""
    return isinstance(error, (duckdb.ConnectionException, duckdb.ResourceInUseException)) \
        or "lock" in str(error).lower()


def _left_empty(path: Path, error: duckdb.Error) -> bool:
    """Whether DuckDB refused the file as no database after taking its lock (it locks a file
    before reading its header: a file being made by another process is refused as held, not
    as this), and the file still has no bytes."""
    try:
        return "not a valid duckdb database file" in str(error).lower() and path.stat().st_size == 0
    except FileNotFoundError:
        return False


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def record_brief(*, user: str, via: str, entry: Mapping[str, Any], parameters: Mapping[str, Any],
                 recorded_at: dt.datetime | None = None) -> None:
    """Add one produced brief to the log. `entry` holds the columns of the log (rule, period,
    file name and hash...); `parameters` everything the brief was made with, kept as JSON."""
    missing = [column for column in _COLUMNS if column not in entry]
    if missing:
        raise ValueError(f"A brief audit record needs {', '.join(missing)}.")
    if not user:
        raise ValueError("A brief audit record needs the user who produced it.")
    path = audit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with opened(path, read_only=False) as con:
        con.execute(_CREATE)
        con.execute(_INSERT, {
            **{column: entry[column] for column in _COLUMNS},
            "recorded_at": recorded_at or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
            "user_name": user, "via": via,
            "parameters": json.dumps(dict(parameters), default=_json_default, ensure_ascii=False, sort_keys=True),
        })


def recent_briefs(limit: int = 50) -> pd.DataFrame:
    """The last briefs produced, newest first (empty when none was ever produced)."""
    path = audit_path()
    if not path.exists():
        return pd.DataFrame()
    with opened(path, read_only=True) as con:
        return con.execute(_LIST, {"limit": limit}).df()

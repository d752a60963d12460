"""The import audit: every attempt to load a file, and every rollback, in a small DuckDB file.

The file is imports.duckdb in the audit directory ($TERRAIN_AUDIT_DIR, or data/audit/, the
directory the briefs audit uses too; this module only ever touches its own file and its
`import_audit` table). A row says who, when, which file (name, size, SHA-256), which table,
how many rows, the outcome and a summary of the problems: their kind, column, count and
first rows, never a cell's value, since a refused cell may be exactly the personal data the
guard kept out of the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from terrain import audit as audit_files   # the audit directory, its files' connections
from terrain import store

FILE_NAME = "imports.duckdb"
OUTCOMES = ("loaded", "refused", "checked", "failed", "rolled_back", "upgraded", "demo_built", "applying",
            "approved", "reopened", "events_changed")
# A change to the database file is recorded as "applying" before any file moves (the intent),
# then as what happened: its outcome, or "failed" (terrain/store.py, the write protocol).
# Two processes cannot write one DuckDB file at once: a writer that finds it locked waits
# (terrain/audit.py, `opened`).

CREATE = """
CREATE TABLE IF NOT EXISTS import_audit (
    attempted_at   TIMESTAMP NOT NULL,
    user_name      VARCHAR NOT NULL,
    via            VARCHAR NOT NULL,
    file_name      VARCHAR,
    file_sha256    VARCHAR,
    file_bytes     BIGINT,
    table_name     VARCHAR,
    database_path  VARCHAR NOT NULL,
    replace_rows   BOOLEAN NOT NULL,
    dry_run        BOOLEAN NOT NULL,
    row_count      BIGINT NOT NULL,
    replaced_count BIGINT NOT NULL,
    outcome        VARCHAR NOT NULL,
    problem_count  BIGINT NOT NULL,
    warning_count  BIGINT NOT NULL,
    problems       JSON,
    data_as_of     DATE,
    duration_ms    BIGINT NOT NULL
)"""
# Files written before changes were recorded as under way have no attempt_id.
MIGRATE = "ALTER TABLE import_audit ADD COLUMN IF NOT EXISTS attempt_id VARCHAR"
INSERT = """
INSERT INTO import_audit BY NAME SELECT $attempted_at AS attempted_at, $user_name AS user_name, $via AS via,
    $file_name AS file_name, $file_sha256 AS file_sha256, $file_bytes AS file_bytes, $table_name AS table_name,
    $database_path AS database_path, $replace_rows AS replace_rows, $dry_run AS dry_run, $row_count AS row_count,
    $replaced_count AS replaced_count, $outcome AS outcome, $problem_count AS problem_count,
    $warning_count AS warning_count, $problems AS problems, $data_as_of AS data_as_of,
    $duration_ms AS duration_ms, $attempt_id AS attempt_id"""
SETTLE = """
UPDATE import_audit SET outcome = $outcome, data_as_of = coalesce($data_as_of, data_as_of),
    duration_ms = $duration_ms, problems = $problems
WHERE attempt_id = $attempt_id AND outcome = 'applying'"""
RECENT = """
SELECT attempted_at, user_name, via, file_name, file_sha256, table_name, row_count, replaced_count,
       outcome, problem_count, warning_count, problems, data_as_of, database_path
FROM import_audit
ORDER BY attempted_at DESC
LIMIT $limit"""


class AuditUnavailable(Exception):
    """The audit cannot be written: the change it would record is not made."""


@dataclass
class Attempt:
    user_name: str
    via: str                      # "cli" or "page"
    database_path: str
    outcome: str
    file_name: str | None = None
    file_sha256: str | None = None
    file_bytes: int | None = None
    table_name: str | None = None
    replace_rows: bool = False
    dry_run: bool = False
    row_count: int = 0
    replaced_count: int = 0
    problem_count: int = 0
    warning_count: int = 0
    problems: list[dict] = field(default_factory=list)
    data_as_of: dt.date | None = None
    duration_ms: int = 0
    attempted_at: dt.datetime = field(default_factory=dt.datetime.now)
    attempt_id: str | None = None


def audit_path() -> Path:
    return audit_files.audit_dir() / FILE_NAME


def record(attempt: Attempt) -> None:
    """Add one attempt; raises if the audit cannot be written (then nothing may change)."""
    if attempt.outcome not in OUTCOMES:
        raise ValueError(f"Unknown outcome {attempt.outcome!r}; expected one of {', '.join(OUTCOMES)}.")
    values = asdict(attempt)
    values["problems"] = json.dumps(attempt.problems, ensure_ascii=False)
    with _writing() as con:
        con.execute(INSERT, values)


def settle(attempt_id: str, outcome: str, *, data_as_of: dt.date | None = None, duration_ms: int = 0,
           problems: list[dict] | None = None) -> None:
    """Say what became of a change recorded as "applying" (idempotent: a settled attempt
    stays as it was)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"Unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}.")
    with _writing() as con:
        con.execute(SETTLE, {"attempt_id": attempt_id, "outcome": outcome, "data_as_of": data_as_of,
                             "duration_ms": duration_ms, "problems": json.dumps(problems or [], ensure_ascii=False)})


def abandon(database_path: str) -> None:
    """Changes to `database_path` still recorded as under way while no writer is at work
    died before any file moved: they changed nothing (terrain/store.py)."""
    if not audit_path().exists():
        return
    target = Path(database_path).resolve()
    with _writing() as con:
        under_way = con.execute("SELECT attempt_id, database_path FROM import_audit WHERE outcome = 'applying'").fetchall()
        for attempt_id, path in under_way:
            if Path(path).resolve() == target:
                con.execute("""UPDATE import_audit SET outcome = 'failed', problems = '[{"kind": "interrupted"}]'
                               WHERE attempt_id = $id AND outcome = 'applying'""", {"id": attempt_id})


@contextlib.contextmanager
def _writing():
    path = audit_path()
    with contextlib.ExitStack() as held:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = held.enter_context(audit_files.opened(path, read_only=False))
        except (OSError, duckdb.Error) as error:
            raise AuditUnavailable(_cannot(path, error)) from None
        try:
            con.execute(CREATE)
            con.execute(MIGRATE)
            yield con
            con.execute("CHECKPOINT")
        except duckdb.Error as error:
            raise AuditUnavailable(_cannot(path, error)) from None


def _cannot(path: Path, error: BaseException) -> str:
    reason = store.reason(error)
    return f"the import audit {path} cannot be written ({reason})"


def recent(limit: int = 200) -> pd.DataFrame:
    """The latest attempts, newest first (an empty frame before the first one)."""
    path = audit_path()
    if not path.exists():
        return pd.DataFrame(columns=["attempted_at", "user_name", "via", "file_name", "file_sha256", "table_name",
                                     "row_count", "replaced_count", "outcome", "problem_count", "warning_count",
                                     "problems", "data_as_of", "database_path"])
    with audit_files.opened(path, read_only=True) as con:
        return con.execute(RECENT, {"limit": limit}).df()

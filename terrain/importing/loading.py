"""Loading real data: validated, atomic, audited imports, shared by the Import page and the
commands `import`, `rollback` and `upgrade` (terrain/cli/).

An import reads the file (terrain/importing/reading.py), checks all of it
(terrain/importing/validation.py) against a read-only snapshot of the database, a part at
a time with its typed rows staged on disk (terrain/importing/staging.py: a file of any
length costs a few hundred MB of memory), and loads it only if nothing is wrong: into a NEW database file, a copy of the current one, swapped
in atomically (terrain/store.py), the previous versions kept for `rollback`. Readers of the
running app see the old file or the new one, never a half-applied import. Every attempt is
audited (terrain/importing/audit.py). Imports into one database run one at a time (a lock
file beside it), so an import is checked against the very data it is applied to.

Policies:
- The whole file or nothing: a single problem refuses the file, and every problem is
  reported with its row (as the spreadsheet numbers it) and column.
- Personal data (names, dates of birth, phone numbers, e-mail, addresses, free text,
  identifiers) refuses the file, whether a column's name or a cell's value betrays it.
- Duplicates: a row whose key is already in the database (same site and night, same
  city and day...) is refused, unless the import replaces existing rows (--replace): then
  a site or a campaign is updated in place (other rows refer to it), other rows are
  replaced; consultations, which have no key, are replaced by site and day (a file stands
  for every consultation of each site and day it contains).
- Real and synthetic data never mix: an import into the synthetic demo database is
  refused. --start-real (the page has the same option) loads the file into a new, empty
  real database in place of the demo, which stays the previous version (rollback restores
  it). To try imports on the demo, the page loads them into a copy of it (`trial`: the file
  terrain.trial.duckdb beside it, synthetic too, discarded at will), never into the demo; in
  that copy the template's example row is taken and a row already there is replaced. Marking the demo real would present invented figures as real; keeping it synthetic
  would show real rows to anyone with the published demo password.
- "Data as of" becomes the latest day of activity or weather in the database after the
  import (not the day of the import: a Tuesday import of last week's data is as of Sunday).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pandas as pd

from terrain import SCHEMA_VERSION, i18n, instances, queries, store, upgrades
from terrain.importing import audit, dhis2, findings, reading, staging, statements, tables, validation
from terrain.importing.findings import Finding

Progress = Callable[[float, str], None]
CLI_LISTED_PER_PROBLEM = 20


@dataclass
class Report:
    """What an import did, for the page, the CLI and the audit."""

    file_name: str
    sha256: str
    size: int
    table: str
    database: Path
    outcome: str = "refused"
    detection: reading.Detection | None = None
    rows: int = 0
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    replaced: int = 0
    decimal_comma: bool = False
    date_formats: tuple[str, ...] = ()
    data_as_of: dt.date | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        return findings.total(self.problems)

    @property
    def warning_count(self) -> int:
        return findings.total(self.warnings)

    def detected(self, lang: str) -> str:
        """How the file was read, in words: "Lu comme CSV : encodage Windows-1252, ..."."""
        d = self.detection
        if d is None:
            return ""
        if d.format == "csv":
            separator = {";": "semicolon", ",": "comma", "\t": "tab"}[d.separator]
            parts = [i18n.t("imports.detected.csv", lang, encoding=d.encoding,
                            separator=i18n.t(f"imports.separator.{separator}", lang))]
            if d.byte_order_mark:
                parts.append(i18n.t("imports.detected.bom", lang))
        else:
            parts = [i18n.t("imports.detected.xlsx", lang, sheet=d.sheet)]
        if self.decimal_comma:
            parts.append(i18n.t("imports.detected.decimal_comma", lang))
        if self.date_formats:
            formats = " + ".join(i18n.t(f"imports.detected.{f}", lang) for f in self.date_formats)
            parts.append(i18n.t("imports.detected.dates", lang, formats=formats))
        parts.append(i18n.t("imports.detected.rows", lang, rows=i18n.format_number(self.rows, lang)))
        return ", ".join(parts)


# --- the shared implementation -------------------------------------------------------------

@contextlib.contextmanager
def _snapshot(db: Path, *, empty: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only view of the database to check a file against (an empty schema for a new
    database). Attached to an in-memory instance of its own (terrain/instances.py):
    duckdb.connect(path) would hand back any instance this process still holds for the path,
    possibly one of a replaced file."""
    if empty:
        attach, params = "ATTACH ':memory:' AS current_data", {}
    else:
        attach, params = "ATTACH $path AS current_data (READ_ONLY)", {"path": str(db)}
    with instances.attached(attach, "DETACH current_data", params) as con:
        con.execute("USE current_data")
        if empty:
            store.create_schema(con)
        else:
            version = store.recorded_version(con)
            if version is not None and version > SCHEMA_VERSION:
                raise store.NewerDatabase(db, version)
        yield con


def _is_synthetic(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(queries.read_rows(con, "dataset_metadata", {})["is_synthetic"].iloc[0])


def import_file(data: bytes | Path, file_name: str, table: str, *, db: Path | None = None, replace: bool = False,
                sheet: str | None = None, dry_run: bool = False, start_real: bool = False, trial: bool = False,
                user: str, via: str, progress: Progress | None = None,
                today: dt.date | None = None, chunk_rows: int = reading.CHUNK_ROWS) -> Report:
    """Check a file and, unless dry_run or anything is wrong, load it; audit the attempt.

    `data` is the file's bytes (the page's upload) or its path (the command line: read a
    part at a time, never whole), `file_name` its name as the user knows it. Returns the
    report; the database changes only if report.outcome == "loaded"."""
    if table not in tables.IMPORTABLE:
        raise ValueError(f"Unknown table {table!r}; importable: {', '.join(tables.IMPORTABLE)}.")
    started = time.monotonic()
    progress = progress or (lambda fraction, stage: None)
    db = Path(db or store.db_path())
    base = db      # what the file is checked against, and what the new version copies
    if trial:
        if start_real or not database_is_synthetic(db):
            raise ValueError("A trial import goes into a copy of the synthetic demo only.")
        db = trial_path(db)
        base = db if db.exists() else base
    source = reading.Source(file_name, path=data) if isinstance(data, Path) else reading.Source(file_name, data=data)
    report = Report(file_name, source.sha256(), source.size, table, db)

    def attempt(outcome: str) -> audit.Attempt:
        return audit.Attempt(
            user_name=user, via=via, database_path=str(db), outcome=outcome, file_name=file_name,
            file_sha256=report.sha256, file_bytes=report.size, table_name=table, replace_rows=replace,
            dry_run=dry_run, row_count=report.rows, replaced_count=report.replaced,
            problem_count=report.problem_count, warning_count=report.warning_count,
            problems=findings.summary(report.problems + report.warnings), data_as_of=report.data_as_of,
            duration_ms=round(1000 * (time.monotonic() - started)))

    # A load is recorded as under way before any file moves, then settled (the write protocol).
    change = store.Change("import", {}, begin=lambda id_, note: audit.record(
        dataclasses.replace(attempt("applying"), attempt_id=id_)), finish=_settle_audit,
        abandon=lambda: audit.abandon(str(db)))
    lock = contextlib.nullcontext() if dry_run else store.writer_lock(db)
    written = False
    try:
        with lock:
            # (a change a dead writer left is settled by the write itself, store.new_database,
            # before anything moves; checking a file against either version is sound)
            written = _check(report, source, base, sheet=sheet, replace=replace, start_real=start_real, trial=trial,
                             today=today, progress=progress, apply=not dry_run, change=change, chunk_rows=chunk_rows)
    except Exception:
        report.outcome = "failed"
        raise
    finally:
        if not written:
            audit.record(attempt(report.outcome))
    progress(1.0, "done")
    return report


def import_dhis2(data: bytes, file_name: str, mapping: dhis2.MappingFile, *, db: Path | None = None,
                 replace: bool = False, dry_run: bool = False, start_real: bool = False, trial: bool = False,
                 user: str, via: str, progress: Progress | None = None,
                 today: dt.date | None = None) -> tuple[Report, dhis2.Translation | None]:
    """A DHIS2 dataValueSets export (CSV or JSON), translated by `mapping` into its Terrain
    table, then checked and loaded as any import (terrain/importing/dhis2.py); `trial` as for
    import_file. Values the mapping cannot take refuse the file, each named by its line, and
    are audited as a refused attempt; nothing changes."""
    db = Path(db or store.db_path())
    source = reading.Source(file_name, data=data)
    report = Report(file_name, source.sha256(), source.size, mapping.table, trial_path(db) if trial else db)
    try:
        values, export_format = dhis2.read_values(data)
    except dhis2.Unreadable as error:
        report.problems = [dhis2.DHIS2Finding(error.kind, None, params=error.params)]
        translation = None
    else:
        translation = dhis2.translate(values, mapping)
        translation.format = export_format
        report.problems, report.warnings = translation.problems, translation.warnings
    if report.problems:
        audit.record(audit.Attempt(
            user_name=user, via=via, database_path=str(report.database), outcome="refused", file_name=file_name,
            file_sha256=report.sha256, file_bytes=report.size, table_name=mapping.table, replace_rows=replace,
            dry_run=dry_run, problem_count=report.problem_count, warning_count=report.warning_count,
            problems=findings.summary(report.problems + report.warnings)))
        return report, translation
    loaded = import_file(translation.csv, f"{file_name} (DHIS2 → {mapping.table})", mapping.table, db=db,
                         replace=replace, dry_run=dry_run, start_real=start_real, trial=trial, user=user, via=via,
                         progress=progress, today=today)
    loaded.warnings = translation.warnings + loaded.warnings
    return loaded, translation


def _settle_audit(attempt_id: str, note: dict, done: bool) -> None:
    """The outcome of a change the audit holds as under way: what it said it would be if the
    files are in place, "failed" otherwise (terrain/store.py finishes or undoes it)."""
    as_of = note.get("data_as_of")
    said = [{"kind": "finished_after_interruption"}] if done and note.get("recovered") else []
    audit.settle(attempt_id, note.get("outcome", "loaded") if done else "failed",
                 data_as_of=dt.date.fromisoformat(as_of) if done and as_of else None,
                 problems=said if done else [{"kind": "interrupted"}])


def _check(report: Report, source: reading.Source, base: Path, *, sheet, replace, start_real, trial, today, progress,
           apply, change: store.Change, chunk_rows: int) -> bool:
    """Read and check the file against `base`, and load it when `apply` and all is well,
    into report.database (`base` itself, or the trial copy made from it). True once the
    load went through the write protocol, which audited it (loaded, or failed)."""
    db = report.database
    exists = base.exists()
    progress(0.0, "reading")
    # (read once per version of the file: the Import page asks at every rerun)
    synthetic = exists and database_is_synthetic(base)
    fresh = not exists or (start_real and synthetic)
    replace = replace or trial
    with staging.folder() as folder:
        with _snapshot(base, empty=fresh) as con:
            read = [0.0]      # how much of the file is read

            def reading_progress(fraction: float) -> None:
                read[0] = fraction
                progress(0.88 * fraction, "reading")

            try:
                opened = reading.read(source, expected=tables.tables()[report.table].names, sheet=sheet,
                                      progress=reading_progress, chunk_rows=chunk_rows)
                report.detection = opened.detection
                staged = staging.Staging(con, folder)
                check = validation.FileCheck(opened.headers, report.table, con, staged, replace=replace, today=today,
                                             progress=progress, trial=trial)
                for part in opened.chunks:
                    check.add(part, read[0])
                checked = check.finish()
                staged.close()
            except reading.Unreadable as unreadable:
                report.problems.append(Finding(unreadable.kind, params=unreadable.params))
                return False
        report.rows = checked.rows
        report.problems += checked.problems
        report.warnings += checked.warnings
        report.replaced = checked.replaced
        report.decimal_comma, report.date_formats = checked.decimal_comma, checked.date_formats
        if synthetic and not start_real and not trial:
            report.problems.append(Finding("synthetic_database"))
        if start_real and exists and not synthetic:
            report.problems.append(Finding("not_synthetic"))
        if report.problems:
            report.outcome = "refused"
            return False
        if not apply:
            report.outcome = "checked"
            return False

        progress(0.92, "applying")
        try:
            # (a trial copy keeps no previous version: discarding it is its undo)
            with store.new_database(db, keep_backup=exists and not trial, copy_from=None if fresh else base,
                                    compact=replace and not trial, change=change) as con:
                if fresh:
                    statements.run(con, "metadata", "create_real", params={
                        "today": today or tables.today(), "schema_version": SCHEMA_VERSION,
                        "now": dt.datetime.now().replace(microsecond=0)})
                with staging.loaded_from(con, folder):
                    if replace:
                        statements.run(con, report.table, "replace_existing")
                    statements.run(con, report.table, "insert")
                statements.run(con, "metadata", "after_import", params={"schema_version": SCHEMA_VERSION})
                report.data_as_of = statements.run(con, "metadata", "data_as_of")[0][0]
                change.note.update({"outcome": "loaded", "data_as_of": report.data_as_of.isoformat()
                                    if report.data_as_of else None})
        except (duckdb.ConstraintException, duckdb.ConversionException) as refused:
            # A rule the checks do not know yet (the schema changed): the file is still refused whole.
            report.problems.append(Finding("database_refused", params={"reason": str(refused).splitlines()[0]}))
            report.outcome = "refused"
            return False
    report.outcome = "loaded"
    return True


def whole_file_change(db: Path, user: str, via: str, op: str, outcome: str, *, subject: str | None = None,
                      table: str | None = None, details: list[dict] | None = None) -> store.Change:
    """A whole-file change (rollback, upgrade, demo, a month's approval) as the audit records
    it: under way, then its outcome or "failed". `subject` names what changed where a file's
    name would stand (a city and month), `details` what the history keeps of it."""
    started = time.monotonic()

    def begin(attempt_id: str, note: dict) -> None:
        audit.record(audit.Attempt(user_name=user, via=via, database_path=str(db), outcome="applying",
                                   attempt_id=attempt_id, file_name=subject, table_name=table,
                                   problems=list(details or [])))

    def finish(attempt_id: str, note: dict, done: bool) -> None:
        if note.get("recovered") or note.get("outcome") != outcome:
            _settle_audit(attempt_id, note, done)     # a dead writer's change, settled first
            return
        audit.settle(attempt_id, outcome if done else "failed", duration_ms=round(1000 * (time.monotonic() - started)),
                     problems=list(details or []) if done else [*(details or []), {"kind": "interrupted"}])
    return store.Change(op, {"outcome": outcome}, begin=begin, finish=finish, abandon=lambda: audit.abandon(str(db)))


def rollback(db: Path | None = None, *, user: str, via: str) -> Path:
    """Put the previous version of the database back; audited. FileNotFoundError if none."""
    db = Path(db or store.db_path())
    try:
        return store.rollback(db, whole_file_change(db, user, via, "rollback", "rolled_back"))
    except FileNotFoundError:
        audit.record(audit.Attempt(user_name=user, via=via, database_path=str(db), outcome="failed",
                                   problems=[{"kind": "no_previous_version"}]))
        raise


def upgrade(db: Path | None = None, *, user: str, via: str) -> upgrades.Upgrade | None:
    """Rewrite a database written by an older Terrain in this version's layout (the old file
    kept as the previous version, so rollback undoes it); audited when it changes the file.
    None when the file is already current; else what the upgrade filled in."""
    db = Path(db or store.db_path())
    return store.upgrade(db, whole_file_change(db, user, via, "upgrade", "upgraded"))


def recover_if_left_over(db: Path | None = None) -> bool | None:
    """`recover` for the app's readers: only when a change was left half done and no writer
    is at work."""
    return store.recover_if_left_over(Path(db or store.db_path()), _recovery(Path(db or store.db_path())))


def recover(db: Path | None = None) -> bool | None:
    """Finish or undo a change a dead writer left half done, and say so in the audit; remove
    what dead writers left behind (terrain/store.py `recover`)."""
    return store.recover(Path(db or store.db_path()), _recovery(Path(db or store.db_path())))


def _recovery(db: Path) -> store.Change:
    """The audit's side of a recovery: no change of its own, only what dead writers left."""
    def refuse(attempt_id: str, note: dict) -> None:
        raise AssertionError("a recovery begins no change")
    return store.Change("recover", {}, begin=refuse, finish=_settle_audit, abandon=lambda: audit.abandon(str(db)))


def _lines(found: list[Finding], file_name: str, lang: str, limit: int | None) -> list[str]:
    lines = []
    for finding in found:
        lines += [text for _, text in findings.messages(finding, file_name, lang, limit)]
        if limit is not None and len(finding.rows) > limit:
            more = i18n.format_number(len(finding.rows) - limit, lang)
            lines.append("    " + i18n.t("imports.cli.more", lang, count=more))
    return lines


def problem_lines(report: Report, lang: str, limit: int | None = CLI_LISTED_PER_PROBLEM) -> list[str]:
    """Every problem as a line of text ("file, row 5, column “x”: ..."), at most `limit`
    rows of each kind followed by how many more (None: every row)."""
    return _lines(report.problems, report.file_name, lang, limit)


def warning_lines(report: Report, lang: str, limit: int | None = CLI_LISTED_PER_PROBLEM) -> list[str]:
    return _lines(report.warnings, report.file_name, lang, limit)


def problems_frame(report: Report, lang: str, limit: int | None = 1_000) -> pd.DataFrame:
    """The problems (or, if none, the warnings), one per line in row order, with headers
    in `lang`: row, column, what is wrong."""
    frame = findings.frame(report.problems or report.warnings, lang, limit)
    # About the whole file: no row, no column, rather than "None".
    frame["row"] = frame["row"].astype("string").fillna("")
    frame["column"] = frame["column"].fillna("")
    return frame.rename(columns={c: i18n.t(f"imports.frame.{c}", lang) for c in frame.columns})


def problems_csv(report: Report, lang: str) -> bytes:
    """Every problem and warning, one per line, as a CSV French Excel opens."""
    frame = findings.frame(report.problems + report.warnings, lang, limit=None)
    frame.insert(0, "file", report.file_name)
    frame = frame.rename(columns={c: i18n.t(f"imports.frame.{c}", lang) for c in frame.columns})
    return frame.to_csv(index=False, sep=";").encode("utf-8-sig")


def database_is_synthetic(db: Path | None = None) -> bool:
    """Whether the database file on disk now is the synthetic demo (read like table_rows)."""
    path = Path(db or store.db_path())
    return _file_facts(str(path), store.data_version(path))[0]


@functools.lru_cache(maxsize=8)
def _file_facts(path: str, version: str) -> tuple[bool, pd.DataFrame]:
    """Whether the file at `path` is synthetic, and its tables' rows, read once per version of
    the file (`version` changes whenever it is replaced): the Import page asks at every rerun."""
    with _snapshot(Path(path), empty=False) as con:
        return _is_synthetic(con), queries.read_rows(con, "table_row_counts", {})


def trial_path(db: Path | None = None) -> Path:
    """The copy of the demo that imports on the demo go into: terrain.trial.duckdb beside
    terrain.duckdb. It is made at the first trial import, from the demo."""
    db = Path(db or store.db_path())
    return db.with_name(f"{db.stem}.trial{db.suffix}")


def discard_trial(db: Path | None = None) -> bool:
    """Delete the trial copy (the demo is untouched). False when there was none."""
    trial = trial_path(db)
    with store.writer_lock(trial):
        recover(trial)       # a trial import killed half way is settled before the file goes
        existed = trial.exists()
        trial.unlink(missing_ok=True)
    return existed


def trial_version(db: Path | None = None) -> str:
    """Changes whenever the trial copy is replaced ("" while there is none)."""
    trial = trial_path(db)
    return store.data_version(trial) if trial.exists() else ""


def trial_contents_frame(lang: str, db: Path | None = None) -> pd.DataFrame:
    """Each importable table's rows in the demo and in its trial copy, and the difference."""
    demo, copy = table_rows(db), table_rows(trial_path(db))
    frame = pd.DataFrame({
        "table_name": [i18n.t(f"imports.table.{t}", lang) for t in demo["table_name"]],
        "demo_rows": [i18n.format_number(n, lang) for n in demo["row_count"]],
        "copy_rows": [i18n.format_number(n, lang) for n in copy["row_count"]],
        "added": [("+" if n > 0 else "") + i18n.format_number(n, lang) if n else ""
                  for n in copy["row_count"].to_numpy() - demo["row_count"].to_numpy()]})
    names = {"table_name": i18n.t("imports.audit.table_name", lang), "demo_rows": i18n.t("imports.trial.demo_rows", lang),
             "copy_rows": i18n.t("imports.trial.copy_rows", lang), "added": i18n.t("imports.trial.added", lang)}
    return frame.rename(columns=names)


def table_rows(db: Path | None = None) -> pd.DataFrame:
    """Rows and latest date of each importable table, read from the file on disk now.

    Not through the app's cached connection: right after an import that connection may
    still be the replaced file's (see the lead's note on store.open_readonly)."""
    path = Path(db or store.db_path())
    return _file_facts(str(path), store.data_version(path))[1].copy()


def contents_frame(lang: str, db: Path | None = None) -> pd.DataFrame:
    """table_rows with translated headers and table names, dates as YYYY-MM-DD."""
    frame = table_rows(db)
    frame["table_name"] = [i18n.t(f"imports.table.{t}", lang) for t in frame["table_name"]]
    frame["latest"] = pd.to_datetime(frame["latest"]).dt.strftime("%Y-%m-%d").fillna("")
    return frame.rename(columns={c: i18n.t(f"imports.audit.{c}", lang) for c in frame.columns})


def history_frame(lang: str, limit: int = 200) -> pd.DataFrame:
    """The latest import attempts, with translated headers, tables and outcomes."""
    frame = audit.recent(limit)
    shown = frame[["attempted_at", "user_name", "via", "file_name", "table_name", "row_count", "outcome",
                   "problem_count", "warning_count", "file_sha256"]].copy()
    shown["table_name"] = [i18n.t(f"imports.table.{t}", lang) if t in tables.IMPORTABLE else "" for t in shown["table_name"]]
    shown["outcome"] = [i18n.t(f"imports.outcome.{o}", lang) for o in shown["outcome"]]
    return shown.rename(columns={c: i18n.t(f"imports.audit.{c}", lang) for c in shown.columns})


# What can go wrong around a file rather than in it: no space, a folder that cannot be
# written, a database file that is damaged or from another Terrain, an audit that cannot be
# written. Each is one line, in the user's language, and nothing has changed.
FAULTS = (store.WriteError, store.NewerDatabase, store.OutdatedDatabase, audit.AuditUnavailable, duckdb.Error,
          OSError)


def fault_reason(fault: BaseException) -> str:
    """A fault as one line of text (the first line of its message)."""
    if isinstance(fault, OSError) and fault.strerror:
        text = f"{fault.strerror}: {fault.filename}" if fault.filename else fault.strerror
    else:
        text = str(fault)
    return (text.strip().splitlines() or [type(fault).__name__])[0]

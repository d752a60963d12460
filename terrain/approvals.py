"""Approval of months: a programme manager checks a city's month and approves it before anyone
outside the programme sees it, as DHIS2 and ActivityInfo do.

- A **month to approve** is a whole month (the month in progress never) with a city that had a
  site open in it (the view `months_to_approve`, terrain/disclosure/published_tables.sql).
- Donors and the public see the months up to the **cutoff**: the month before the first one
  still waiting for a city (the view `publication_cutoff`; the published sets stop there, and
  say so). Each month of the published grid is suppressed on its own, so an approval or a
  reopening moves only how far the readers see: no cell changes.
- An import that changes an approved month is refused (terrain/importing/sql/*.sql, the
  statement `approved_months`) until the month is **reopened**, with a reason; the reopening
  is kept in the database (`month_reopenings`) and in the audit, with who and when.

Each approval or reopening is a new version of the database file, written by the write
protocol (terrain/store.py) as a copy that keeps its summaries and published sets, and
audited as under way before anything moves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from terrain import i18n, queries, store
from terrain.importing import loading

MIN_REASON = 5
MAX_REASON = 500


class ApprovalRefused(Exception):
    """An approval or reopening that cannot be made; nothing changed. `key` and `values` are
    its message in the catalogue (approvals.refused.*)."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values

    def text(self, lang: str) -> str:
        shown = {name: i18n.format_month(value, lang) if isinstance(value, dt.date) else value
                 for name, value in self.values.items()}
        return i18n.t(f"approvals.refused.{self.key}", lang, **shown)


@dataclass(frozen=True)
class Done:
    """What an approval or a reopening changed: the cities of the month, and how far donors
    and the public see before and after."""
    month: dt.date
    cities: tuple[str, ...]
    published_until_before: dt.date | None
    published_until_after: dt.date | None = None
    skipped: tuple[str, ...] = field(default=())   # already approved (approve) — nothing to do


def parse_month(text: str) -> dt.date:
    """"2026-10" (or a date in the month) as the month's first day; ValueError otherwise."""
    text = text.strip()
    try:
        if len(text) == 7:
            return dt.date.fromisoformat(f"{text}-01")
        return dt.date.fromisoformat(text).replace(day=1)
    except ValueError:
        raise ValueError(f"{text!r} is not a month (YYYY-MM).") from None


def status(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every month to approve with its city: approved_by/approved_at (None: waiting) and
    whether donors and the public see it yet. Newest month first."""
    frame = queries.read_rows(con, "month_approvals_by_city")
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame


def published_until(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last month donors and the public see (None: none yet)."""
    return _until(status(con))


def waiting(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The months still waiting for an approval, oldest first, with their cities."""
    frame = status(con)
    frame = frame[frame["approved_by"].isna()]
    return frame.sort_values(["month", "city"]).reset_index(drop=True)


def _audit_details(op: str, month: dt.date, cities: list[str], reason: str | None) -> list[dict]:
    detail = {"kind": f"month_{op}", "month": month.strftime("%Y-%m"), "cities": cities}
    if reason is not None:
        detail["reason"] = reason
    return [detail]


def _check_cities(frame: pd.DataFrame, month: dt.date, cities: list[str]) -> pd.DataFrame:
    if not cities:
        raise ApprovalRefused("no_city")
    of_month = frame[frame["month"] == month]
    if of_month.empty:
        if frame.empty or month > max(frame["month"]):
            raise ApprovalRefused("not_whole", month=month)
        raise ApprovalRefused("no_month", month=month)
    unknown = sorted(set(cities) - set(of_month["city"]))
    if unknown:
        raise ApprovalRefused("no_site_open", city=", ".join(unknown), month=month)
    return of_month[of_month["city"].isin(cities)]


def approve(db: Path | None, cities: list[str], month: dt.date, *, user: str, via: str,
            now: dt.datetime | None = None) -> Done:
    """Approve `month` for `cities` (one write for all of them). Cities already approved for
    it are left as they are and named in `skipped`; if all are, nothing is written."""
    db = Path(db or store.db_path())
    month = month.replace(day=1)
    # Checked and written under one hold of the writer lock, as an import is: two managers
    # approving at once, or an import in between, are one after the other.
    with store.writer_lock(db):
        return _approve(db, cities, month, user=user, via=via, now=now)


def _approve(db: Path, cities: list[str], month: dt.date, *, user: str, via: str, now: dt.datetime | None) -> Done:
    with store.open_readonly(db) as con:
        frame = status(con)
    before = _until(frame)
    rows = _check_cities(frame, month, list(dict.fromkeys(cities)))
    to_approve = sorted(rows.loc[rows["approved_by"].isna(), "city"])
    skipped = tuple(sorted(rows.loc[rows["approved_by"].notna(), "city"]))
    if not to_approve:
        return Done(month, (), before, before, skipped)
    change = loading.whole_file_change(db, user, via, "approve", "approved", subject=_subject(to_approve, month),
                                       table="month_approvals", details=_audit_details("approval", month, to_approve, None))
    stamp = (now or dt.datetime.now()).replace(microsecond=0)
    with store.new_database(db, keep_backup=True, copy_from=db, derived=False, change=change) as con:
        for city in to_approve:
            con.execute("INSERT INTO month_approvals VALUES ($city, $month, $user, $at)",
                        {"city": city, "month": month, "user": user, "at": stamp})
        after = _until(status(con))
    return Done(month, tuple(to_approve), before, after, skipped)


def reopen(db: Path | None, cities: list[str], month: dt.date, *, reason: str, user: str, via: str,
           now: dt.datetime | None = None) -> Done:
    """Reopen `month` for `cities`, which must all be approved: their approvals are removed
    and kept, with `reason`, in month_reopenings and the audit."""
    db = Path(db or store.db_path())
    month = month.replace(day=1)
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise ApprovalRefused("no_reason", least=MIN_REASON)
    if len(reason) > MAX_REASON:
        raise ApprovalRefused("long_reason", most=MAX_REASON)
    with store.writer_lock(db):
        return _reopen(db, cities, month, reason=reason, user=user, via=via, now=now)


def _reopen(db: Path, cities: list[str], month: dt.date, *, reason: str, user: str, via: str,
            now: dt.datetime | None) -> Done:
    with store.open_readonly(db) as con:
        frame = status(con)
    before = _until(frame)
    rows = _check_cities(frame, month, list(dict.fromkeys(cities)))
    not_approved = sorted(rows.loc[rows["approved_by"].isna(), "city"])
    if not_approved:
        raise ApprovalRefused("not_approved", city=", ".join(not_approved), month=month)
    chosen = sorted(rows["city"])
    change = loading.whole_file_change(db, user, via, "reopen", "reopened", subject=_subject(chosen, month),
                                       table="month_approvals", details=_audit_details("reopening", month, chosen, reason))
    stamp = (now or dt.datetime.now()).replace(microsecond=0)
    with store.new_database(db, keep_backup=True, copy_from=db, derived=False, change=change) as con:
        for city in chosen:
            con.execute("""
                INSERT INTO month_reopenings
                SELECT city, month, $user, $at, $reason, approved_by, approved_at
                FROM month_approvals WHERE city = $city AND month = $month""",
                        {"city": city, "month": month, "user": user, "at": stamp, "reason": reason})
            con.execute("DELETE FROM month_approvals WHERE city = $city AND month = $month",
                        {"city": city, "month": month})
        after = _until(status(con))
    return Done(month, tuple(chosen), before, after)


def reopenings(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    """The latest reopenings, newest first."""
    return queries.read_rows(con, "month_reopenings_latest", {"limit": limit})


def _until(frame: pd.DataFrame) -> dt.date | None:
    seen = frame.loc[frame["published"], "month"]
    return max(seen) if len(seen) else None


def _subject(cities: list[str], month: dt.date) -> str:
    return f"{', '.join(cities)} {month.strftime('%Y-%m')}"

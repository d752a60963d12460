"""`python -m terrain approve`: approve a city's month for donors and the public, reopen it
(--undo, with a reason), or list the months waiting (--list). The rules are
terrain/approvals.py."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path

import duckdb

from terrain import approvals, i18n, store
from terrain.cli import BAD, DB_HELP, DONE, LANG_HELP, REFUSED, languages, parse
from terrain.importing import audit, loading


def _say(shown_in: tuple[str, ...], key: str, stream=None, **values) -> None:
    for index, lang in enumerate(shown_in):
        shown = {k: i18n.format_month(v, lang) if isinstance(v, dt.date) else v for k, v in values.items()}
        print(("  " if index else "") + i18n.t(key, lang, **shown), file=stream or sys.stdout)


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m terrain approve",
        description="Approve a city's month for donors and the public, reopen it (--undo, with a reason), "
                    "or list the months waiting (--list).")
    parser.add_argument("--city", action="append", default=[], help="a city (repeat for several)")
    parser.add_argument("--all-cities", action="store_true", help="every city with a site open in the month")
    parser.add_argument("--month", default=None, help="the month, YYYY-MM")
    parser.add_argument("--undo", action="store_true", help="reopen the month (needs --reason)")
    parser.add_argument("--reason", default=None, help="why the month is reopened (kept in the audit)")
    parser.add_argument("--list", action="store_true", help="list the months waiting for an approval")
    parser.add_argument("--db", type=Path, default=None, help=DB_HELP)
    parser.add_argument("--user", default=None, help="who approves, for the audit (default: the login name)")
    parser.add_argument("--lang", choices=(*i18n.LANGUAGES, "both"), default="both", help=LANG_HELP)
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    shown_in = languages(args.lang)
    db = Path(args.db or store.db_path())
    if not db.exists():
        _say(shown_in, "approvals.cli.no_file", sys.stderr, path=str(db))
        return REFUSED
    try:
        if args.list:
            return _list(db, shown_in)
        if args.month is None or not (args.city or args.all_cities):
            _say(shown_in, "approvals.cli.usage", sys.stderr)
            return BAD
        try:
            month = approvals.parse_month(args.month)
        except ValueError:
            _say(shown_in, "approvals.cli.bad_month", sys.stderr, text=args.month)
            return BAD
        cities = args.city
        if args.all_cities:
            with store.open_readonly(db) as con:
                frame = approvals.status(con)
            cities = sorted(frame.loc[frame["month"] == month, "city"]) or ["—"]
        user = args.user or getpass.getuser()
        if args.undo:
            done = approvals.reopen(db, cities, month, reason=args.reason or "", user=user, via="cli")
            _say(shown_in, "approvals.cli.reopened", cities=", ".join(done.cities), month=month)
        else:
            done = approvals.approve(db, cities, month, user=user, via="cli")
            if done.skipped:
                _say(shown_in, "approvals.cli.already", cities=", ".join(done.skipped), month=month)
            if done.cities:
                _say(shown_in, "approvals.cli.approved", cities=", ".join(done.cities), month=month)
        _say_published(shown_in, done.published_until_after)
        return DONE
    except approvals.ApprovalRefused as refused:
        for index, lang in enumerate(shown_in):
            print(("  " if index else "") + refused.text(lang), file=sys.stderr)
        return REFUSED
    except (store.WriteError, store.OutdatedDatabase, store.NewerDatabase, OSError, duckdb.Error,
            audit.AuditUnavailable) as fault:
        _say(shown_in, "approvals.cli.fault", sys.stderr, reason=loading.fault_reason(fault))
        return REFUSED


def _say_published(shown_in: tuple[str, ...], until: dt.date | None) -> None:
    if until is None:
        _say(shown_in, "approvals.cli.nothing_published")
    else:
        _say(shown_in, "approvals.cli.published_until", month=until)


def _list(db: Path, shown_in: tuple[str, ...]) -> int:
    with store.open_readonly(db) as con:
        frame = approvals.waiting(con)
        until = approvals.published_until(con)
    _say_published(shown_in, until)
    if frame.empty:
        _say(shown_in, "approvals.cli.none_waiting")
        return DONE
    for month, rows in frame.groupby("month", sort=True):
        _say(shown_in, "approvals.cli.waiting", month=month, cities=", ".join(rows["city"]))
    return DONE

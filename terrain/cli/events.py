"""`python -m terrain events list|add|remove`: the context events drawn on the charts
(terrain/events.py). A change is a new version of the database file, audited."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path

from terrain import events, i18n, store
from terrain.cli import BAD, DB_HELP, DONE, LANG_HELP, REFUSED, languages, parse
from terrain.importing import loading


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m terrain events",
                                     description="List, add or remove the context events drawn on the charts.")
    parser.add_argument("--lang", choices=(*i18n.LANGUAGES, "both"), default="both", help=LANG_HELP)
    commands = parser.add_subparsers(dest="action", required=True)
    for name in ("list", "add", "remove"):
        sub = commands.add_parser(name)
        sub.add_argument("--db", type=Path, default=None, help=DB_HELP)
        sub.add_argument("--lang", choices=(*i18n.LANGUAGES, "both"), default=argparse.SUPPRESS)
        if name == "list":
            sub.add_argument("--audience", choices=events.AUDIENCES, default=None,
                             help="public: the events donors and public outputs carry; default: all")
            continue
        sub.add_argument("--user", default=None, help="who changes the events, for the audit (default: the login name)")
        if name == "remove":
            sub.add_argument("event_id", help="the event's id (python -m terrain events list)")
            continue
        sub.add_argument("--starts", type=_date, required=True, help="the day, or the period's first day (YYYY-MM-DD)")
        sub.add_argument("--ends", type=_date, default=None, help="a period's last day (none: a single day)")
        sub.add_argument("--city", default=None, help="the city (none: everywhere)")
        sub.add_argument("--kind", choices=events.KINDS, required=True)
        most = events.LABEL_LENGTH[1]
        sub.add_argument("--fr", dest="label_fr", required=True, help=f"short label in French ({most} characters at most)")
        sub.add_argument("--en", dest="label_en", required=True, help=f"short label in English ({most} characters at most)")
        sub.add_argument("--audience", choices=events.AUDIENCES, default="public",
                         help="public: shown with the figures wherever they go (default); internal: staff only")
        sub.add_argument("--id", dest="event_id", default=None, help="the event's id (default: date-kind-city)")
    return parser


def _say(shown_in: tuple[str, ...], key: str, stream=None, **values) -> None:
    for index, lang in enumerate(shown_in):
        print(("  " if index else "") + i18n.t(key, lang, **values), file=stream or sys.stdout)


def command(argv: list[str]) -> int:
    args = parse(_parser(), argv)
    if isinstance(args, int):
        return args
    shown_in = languages(args.lang)
    db = Path(args.db or store.db_path())
    if not db.exists():
        _say(shown_in, "events.cli.no_database", sys.stderr, path=str(db))
        return BAD
    try:
        if args.action == "list":
            rows = events.recorded_in(db)
            if args.audience:
                rows = rows[rows["audience"] == args.audience]
            for _, row in rows.iterrows():
                print(f"{row['event_id']}\t{events.line(row, shown_in[0])}")
            _say(shown_in, "events.cli.listed", count=i18n.format_number(len(rows), shown_in[0]))
            return DONE
        user = args.user or getpass.getuser()
        if args.action == "add":
            event = events.Event(starts=args.starts, ends=args.ends, city=args.city, kind=args.kind,
                                 label_fr=args.label_fr, label_en=args.label_en, audience=args.audience,
                                 event_id=args.event_id)
            event_id = events.add(event, db=db, user=user, via="cli")
            _say(shown_in, "events.cli.added", event_id=event_id, db=str(db))
        else:
            events.remove(args.event_id, db=db, user=user, via="cli")
            _say(shown_in, "events.cli.removed", event_id=args.event_id, db=str(db))
        return DONE
    except events.Refused as refused:
        for index, lang in enumerate(shown_in):
            print(("  " if index else "") + i18n.t("events.cli.refused", lang, reason=refused.message(lang)),
                  file=sys.stderr)
        return REFUSED
    except loading.FAULTS as fault:
        _say(shown_in, "events.cli.fault", sys.stderr, reason=loading.fault_reason(fault))
        return BAD

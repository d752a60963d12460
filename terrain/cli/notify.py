"""`python -m terrain notify`: new alert episodes and the digests by e-mail (terrain/notify.py).

Exit status REFUSED when a message could not be sent (it stays queued for the next run).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from terrain import ROOT, alerts, briefs, notify, store
from terrain.cli import BAD, DB_HELP, DONE, REFUSED, parse


def command(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terrain notify",
                                     description="Send the new alert episodes and the digests by e-mail.")
    parser.add_argument("--db", type=Path, default=None, help=DB_HELP)
    parser.add_argument("--dry-run", action="store_true", help="say what would be queued, queue and send nothing")
    parser.add_argument("--config", type=Path, default=None, help="recipients (default: config/notify.toml)")
    parser.add_argument("--alerts-config", type=Path, default=None, help="thresholds (default: config/alerts.toml)")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    try:
        settings = notify.load_config(args.config)
        config = alerts.load_config(args.alerts_config)
    except (notify.ConfigError, alerts.ConfigError) as error:
        print(f"python -m terrain notify: {error}", file=sys.stderr)
        return BAD
    if not settings.recipients:
        print(f"No recipient in {args.config or notify.CONFIG_PATH.relative_to(ROOT)}: nothing to send.")
        return DONE
    server = None
    if not args.dry_run:
        url = notify.smtp_url()
        if not url:
            print("python -m terrain notify: no SMTP account: set TERRAIN_SMTP_URL "
                  "(smtp://user:password@host:port?starttls=1) or [smtp] url in .streamlit/secrets.toml.",
                  file=sys.stderr)
            return BAD
        try:
            server = notify.parse_smtp_url(url)
        except ValueError as error:
            print(f"python -m terrain notify: {error}", file=sys.stderr)
            return BAD
    db = args.db or store.db_path()
    try:
        outcome = notify.run(db, settings, config, server, dry_run=args.dry_run)
    except (FileNotFoundError, store.OutdatedDatabase, store.NewerDatabase, duckdb.Error) as error:
        print(f"python -m terrain notify: cannot open the database: {error}", file=sys.stderr)
        return BAD
    except sqlite3.Error as error:
        print(f"python -m terrain notify: cannot use the outbox {notify.outbox_path()}: {error}", file=sys.stderr)
        return BAD
    except briefs.BriefRefused as refusal:
        print(f"python -m terrain notify: a brief could not be made: {refusal}", file=sys.stderr)
        return REFUSED
    if args.dry_run:
        for message in outcome.queued:
            print(f"would queue for {message.recipient}: {message.subject}")
        print(f"{len(outcome.queued)} message(s) would be queued; nothing sent (--dry-run).")
        return DONE
    print(f"{len(outcome.queued)} message(s) queued, {len(outcome.sent)} sent, "
          f"{outcome.waiting} waiting in {notify.outbox_path()}.")
    for key, why in dict(outcome.failed).items():
        print(f"not sent: {key.split('|')[1]} ({key.split('|')[0]}): {why}", file=sys.stderr)
    return REFUSED if outcome.failed else DONE

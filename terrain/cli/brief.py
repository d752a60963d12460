"""`python -m terrain brief`: a brief to the authorities from an alert rule's evidence
(terrain/briefs.py), written to a file and recorded in the audit."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from terrain import ROOT, alerts, audit, briefs, i18n, roles, store
from terrain.cli import BAD, DB_HELP, DONE, REFUSED, iso_date, parse


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers: the uid still says who
        return f"uid:{os.getuid()}"


def command(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terrain brief",
                                     description="Write a brief to the authorities from an alert rule's evidence.")
    parser.add_argument("--db", type=Path, default=None, help=DB_HELP)
    parser.add_argument("--rule", required=True, choices=alerts.RULES)
    parser.add_argument("--from", dest="start", required=True, type=iso_date, help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", required=True, type=iso_date, help="last day (YYYY-MM-DD)")
    parser.add_argument("--city", default=None)
    parser.add_argument("--lang", choices=i18n.LANGUAGES, default="fr")
    parser.add_argument("--audience", choices=roles.AUDIENCES, default="internal")
    parser.add_argument("--format", choices=briefs.FORMATS, default="pdf")
    parser.add_argument("--recipient", choices=briefs.RECIPIENTS, default=None,
                        help="recipient type (default: by rule, e.g. the préfecture for cold exclusion)")
    parser.add_argument("--out", type=Path, required=True, help="file to write")
    parser.add_argument("--config", type=Path, default=None, help="thresholds file (default: config/alerts.toml)")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    try:
        request = briefs.Request(rule=args.rule, start=args.start, end=args.end, lang=args.lang,
                                 audience=args.audience, format=args.format, city=args.city,
                                 recipient=args.recipient)
        config = alerts.load_config(args.config)
    except (ValueError, alerts.ConfigError) as error:
        print(f"python -m terrain brief: {error}", file=sys.stderr)
        return BAD
    if args.out.suffix.lower() != f".{args.format}":
        print(f"python -m terrain brief: --out {args.out} should end in .{args.format}.", file=sys.stderr)
        return BAD
    try:
        con = store.open_readonly(args.db or store.db_path())
    except (FileNotFoundError, store.OutdatedDatabase, store.NewerDatabase, duckdb.Error) as error:
        print(f"python -m terrain brief: cannot open the database: {error}", file=sys.stderr)
        return BAD
    try:
        config_name = str(args.config) if args.config else str(alerts.CONFIG_PATH.relative_to(ROOT))
        produced = briefs.produce(con, request, config, user=_os_user(), via="cli", config_name=config_name)
    except briefs.BriefRefused as refusal:
        print(f"python -m terrain brief: {refusal}", file=sys.stderr)
        return REFUSED
    finally:
        con.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(produced.content)
    print(f"Brief written to {args.out} ({len(produced.content):,} bytes, sha256 {produced.sha256}); "
          f"recorded in {audit.audit_path()}.")
    return DONE

"""`python -m terrain publish`: an audience's whole published set, as an open-data pack.

The pack and its checks are terrain/publish.py."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from terrain import publish, store
from terrain.cli import DB_HELP, DONE, REFUSED, parse


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terrain publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("--audience", choices=publish.AUDIENCES, required=True)
    parser.add_argument("--db", type=Path, default=None, help=DB_HELP)
    parser.add_argument("--out", type=Path, required=True, help="folder to write the pack into")
    parser.add_argument("--user", default=None, help="who publishes (recorded in the release ledger)")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    try:
        pack = publish.publish(args.db or store.db_path(), args.audience, args.out,
                               user=args.user or os.environ.get("USER") or getpass.getuser())
    except publish.PublishRefused as refusal:
        print(f"Refused: {refusal}", file=sys.stderr)
        return REFUSED
    print(f"Published set of the {args.audience} audience written to {args.out} "
          f"({pack.cells:,} cells, {pack.hidden:,} hidden, {pack.first_month} to {pack.last_month}; "
          f"{', '.join(p.name for p in pack.written)}).")
    return DONE

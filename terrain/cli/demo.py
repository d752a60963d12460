"""`python -m terrain demo`: build the synthetic demo database.

The demo never replaces real data: over a database that is not the synthetic demo (or that
cannot be read, so that no one can say), it refuses and changes nothing. Over an earlier demo
it keeps that one as the previous version. It takes the writers' lock and is audited like
an import (terrain/store.py, the write protocol).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path

import duckdb

from terrain import demo, store
from terrain.cli import BAD, DB_HELP, DONE, REFUSED, iso_date, parse
from terrain.importing import loading


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terrain demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help=DB_HELP)
    parser.add_argument("--consultations", type=int, default=None,
                        help="number of consultation rows (default: the volume the sites' daily rates give, "
                             "docs/demo-data.md)")
    parser.add_argument("--seed", type=int, default=42, help="random seed: the same seed gives the same data")
    parser.add_argument("--as-of", type=iso_date, default=None, metavar="DATE",
                        help="the data's last day, YYYY-MM-DD (default: today)")
    parser.add_argument("--user", default=None, help="who builds it, for the audit (default: the login name)")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    if args.consultations is not None and args.consultations < 0:
        parser.print_usage()
        print("--consultations must be zero or more.")
        return BAD
    out = Path(args.out or store.db_path())
    started = time.perf_counter()
    try:
        with store.writer_lock(out):
            loading.recover(out)
            if out.exists():
                try:
                    synthetic = loading.database_is_synthetic(out)
                except store.NewerDatabase as newer:
                    print(f"python -m terrain demo: {newer} It is left as it is.", file=sys.stderr)
                    return REFUSED
                except (duckdb.Error, IndexError, KeyError):
                    print(f"python -m terrain demo: {out} exists and cannot be read as a Terrain database; "
                          "it is left as it is (move it away to build the demo there).", file=sys.stderr)
                    return REFUSED
                if not synthetic:
                    print(f"python -m terrain demo: {out} holds real data; the demo never replaces it "
                          "(choose another --out).", file=sys.stderr)
                    return REFUSED
            change = loading.whole_file_change(out, args.user or getpass.getuser(), "cli", "demo", "demo_built")
            counts = demo.generate(out, consultations=args.consultations, seed=args.seed, as_of=args.as_of,
                                   progress=True, keep_backup=out.exists(), change=change)
    except store.WriteError as error:
        print(f"python -m terrain demo: {error}", file=sys.stderr)
        return BAD
    except ValueError as error:  # a period the programme did not run in (generate checks it first)
        print(f"python -m terrain demo: {error}", file=sys.stderr)
        return BAD
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    print(f"Synthetic demo database written to {out} in {time.perf_counter() - started:.1f} s ({summary}).")
    return DONE

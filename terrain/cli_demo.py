"""`python -m terrain demo`: build the synthetic demo database."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from terrain import demo, store


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terrain demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="database file (default: $TERRAIN_DB or data/terrain.duckdb)")
    parser.add_argument("--consultations", type=int, default=None,
                        help=f"number of consultation rows (default: about {demo.DEFAULT_CONSULTATIONS_PER_YEAR:,} a year)")
    parser.add_argument("--seed", type=int, default=42, help="random seed: the same seed gives the same data")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.consultations is not None and args.consultations < 0:
        parser.print_usage()
        print("--consultations must be zero or more.")
        return 2
    out = args.out or store.db_path()
    started = time.perf_counter()
    counts = demo.generate(out, consultations=args.consultations, seed=args.seed, progress=True)
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    print(f"Synthetic demo database written to {out} in {time.perf_counter() - started:.1f} s ({summary}).")
    return 0

"""`python -m terrain loadtest`: many people on the app at once.

Starts the app behind nginx on the benchmark's demo database and runs `--sessions` sessions
speaking Streamlit's websocket protocol for `--duration` seconds (terrain/perf/loadtest.py).
Exit status REFUSED when any session met an error.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from terrain import serve
from terrain.cli import BAD, DONE, REFUSED, parse
from terrain.perf import bench, loadtest


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terrain loadtest", description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="simultaneous sessions (default 20)")
    parser.add_argument("--duration", type=float, default=60, help="seconds each session moves through the pages once signed in (default 60)")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which sessions start (default 10)")
    parser.add_argument("--consultations", type=int, default=bench.DEFAULT_SIZES[0],
                        help="size of the benchmark demo database to serve (default 1000000)")
    parser.add_argument("--db", type=Path, default=None, help="serve this database instead")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--processes", type=int, action="append", default=None,
                        help="app processes behind nginx (default 1); repeat it to compare, e.g. "
                             "--processes 1 --processes 2")
    parser.add_argument("--json", type=Path, default=None, help="also write the runs' figures as JSON")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    processes = args.processes or [1]
    if (not 1 <= args.sessions <= loadtest.MAX_SESSIONS or not 0 < args.duration <= loadtest.MAX_DURATION_S
            or args.ramp < 0 or not all(1 <= n <= 64 for n in processes)):
        parser.print_usage()
        print(f"Between 1 and {loadtest.MAX_SESSIONS} sessions, a duration of at most {loadtest.MAX_DURATION_S} s, "
              "a ramp ≥ 0, between 1 and 64 processes.")
        return BAD
    db = args.db or bench.database_for(args.consultations, args.seed)[0]
    reports = []
    for n in processes:
        try:
            with tempfile.TemporaryDirectory(prefix="terrain-load-") as workdir, \
                    loadtest.running_app(db, Path(workdir), n) as fleet:
                print(f"{n} app process{'es' if n > 1 else ''} behind nginx at {fleet.url}; "
                      f"{args.sessions} sessions for {args.duration:.0f} s...", file=sys.stderr)
                report = loadtest.load_test(fleet.url, fleet.pids, sessions=args.sessions, duration_s=args.duration,
                                            ramp_s=args.ramp)
        except serve.ServeError as error:
            print(error, file=sys.stderr)
            return REFUSED
        print(loadtest.summary(report, db), flush=True)
        reports.append(report)
    if len(reports) > 1:
        first = reports[0].as_dict()["pages"] or 1
        for report in reports[1:]:
            print(f"{report.processes} processes served {report.as_dict()['pages'] / first:.2f} times the pages "
                  f"of {reports[0].processes}.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"database": str(db), "runs": [r.as_dict() for r in reports]}, indent=1))
    return DONE if not any(r.errors for r in reports) else REFUSED

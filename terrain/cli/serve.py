"""`python -m terrain serve`: the app on every core, behind nginx.

The processes and nginx are terrain/serve.py. The command runs until Ctrl-C or SIGTERM,
checking the processes' health; a process restarted is said on a line of its own.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from terrain import ROOT, serve
from terrain.cli import BAD, DB_HELP, DONE, REFUSED, parse


class _Stop(Exception):
    pass


def _raise_stop(signum, frame) -> None:
    raise _Stop(signal.Signals(signum).name)


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terrain serve", description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="app processes (default: one per core, here %(default)s)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8501),
                        help="the public port nginx listens on (default 8501)")
    parser.add_argument("--address", default="127.0.0.1",
                        help="the address nginx listens on (default 127.0.0.1; 0.0.0.0 for every interface)")
    parser.add_argument("--db", type=Path, default=None, help=DB_HELP)
    parser.add_argument("--run-dir", type=Path, default=None, help="nginx's configuration, logs and pid (default data/run/)")
    parser.add_argument("--print-config", action="store_true",
                        help="print the nginx configuration for these options and stop")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    if not 1 <= args.processes <= 64:
        print("Between 1 and 64 app processes.", file=sys.stderr)
        return BAD
    run_dir = (args.run_dir or ROOT / "data" / "run").resolve()
    if args.print_config:
        print(serve.shown_config(args.processes, port=args.port, address=args.address, run_dir=run_dir), end="")
        return DONE
    env = dict(os.environ)
    if args.db is not None:
        env["TERRAIN_DB"] = str(args.db.resolve())
    db = Path(env.get("TERRAIN_DB") or ROOT / "data" / "terrain.duckdb")
    if not db.exists():
        print(f"No database at {db}: build the demo with `python -m terrain demo`, or give --db.", file=sys.stderr)
        return BAD
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        with serve.running(args.processes, port=args.port, address=args.address, run_dir=run_dir, env=env) as fleet:
            print(f"Terrain: {args.processes} app process{'es' if args.processes > 1 else ''} behind nginx on "
                  f"{fleet.url} (logs in {run_dir}). Ctrl-C stops them all.", flush=True)
            while True:
                time.sleep(serve.HEALTH_EVERY_S)
                fleet.check()
                while fleet.events:
                    print(fleet.events.pop(0), flush=True)
    except _Stop:
        print("Stopped.", flush=True)
        return DONE
    except serve.ServeError as error:
        print(error, file=sys.stderr)
        return REFUSED
    except FileNotFoundError as error:
        print(f"{error.filename} is not installed: nginx is needed (Debian: apt-get install nginx).", file=sys.stderr)
        return BAD
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

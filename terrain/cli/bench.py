"""`python -m terrain bench`: how fast each page's queries are at scale, and how much memory.

What is measured and how: terrain/perf/bench.py; with --imports, terrain/perf/bench_imports.py;
with --browser, terrain/perf/bench_browser.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from terrain import roles
from terrain.cli import BAD, DONE, REFUSED, parse
from terrain.perf import bench


def _bench_imports(args: argparse.Namespace) -> int:
    from terrain.perf import bench_imports

    csv_sizes = bench_imports.CSV_SIZES if args.import_csv is None else args.import_csv
    xlsx_sizes = bench_imports.XLSX_SIZES if args.import_xlsx is None else args.import_xlsx
    figures = bench_imports.bench(csv_sizes, xlsx_sizes, args.data_dir / "imports")
    print()
    print(bench_imports.table(figures))
    print("\n".join(bench_imports.check_targets(figures)))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"imports": [f.as_dict() for f in figures]}, indent=2) + "\n",
                             encoding="utf-8")
        print(f"\nFigures written to {args.json}")
    return DONE if all(f.outcome == "loaded" for f in figures) else REFUSED


def _bench_browser(args: argparse.Namespace, pages: Sequence[str]) -> int:
    """The pages in Chromium, on the same databases; the JSON file, if it already holds the
    other figures, keeps them beside "browser"."""
    from terrain.perf import bench_browser

    lacking = bench_browser.missing()
    if lacking:
        print(lacking)
        return BAD
    sizes = []
    for consultations in args.consultations:
        db, _, _ = bench.database_for(consultations, args.seed, args.data_dir)
        print(f"Driving Chromium through every page for every role on {db.name}...", file=sys.stderr)
        figures = bench_browser.measure(db, consultations, pages=pages, repeat=args.repeat,
                                        progress=lambda line: print(line, file=sys.stderr))
        sizes.append(figures)
        print()
        print(bench_browser.table(figures), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        kept = json.loads(args.json.read_text(encoding="utf-8")) if args.json.exists() else {}
        kept = kept if isinstance(kept, dict) else {}
        args.json.write_text(json.dumps({**kept, **bench_browser.as_json(sizes)}, indent=2) + "\n", encoding="utf-8")
        print(f"\nFigures written to {args.json}")
    return REFUSED if any(size.errors for size in sizes) else DONE


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terrain bench", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--consultations", type=int, nargs="+", default=list(bench.DEFAULT_SIZES), metavar="N",
                        help="database sizes (default: 1000000 10000000; 50000000 100000000 on request)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed runs of each call after a warm-up (default 7); with --browser, "
                             "rounds of sign-in, switches and visits (default 3)")
    parser.add_argument("--budget", type=float, default=5.0, metavar="SECONDS",
                        help="stop repeating a call once it has taken this long in all (default 5)")
    parser.add_argument("--pages", nargs="+", default=None, help="only these pages (default: every page)")
    parser.add_argument("--data-dir", type=Path, default=bench.BENCH_DIR, help="where the databases are kept")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas alternative")
    parser.add_argument("--imports", action="store_true",
                        help="time imports instead (terrain/perf/bench_imports.py): CSV files of --import-csv rows "
                             "and XLSX files of --import-xlsx rows")
    parser.add_argument("--browser", action="store_true",
                        help="time the pages in Chromium instead (terrain/perf/bench_browser.py): first visit and "
                             "page switch to the last chart drawn, for every role, p50 and p95 over --repeat "
                             "rounds; with --json, adds \"browser\" to the file (its other figures are kept)")
    parser.add_argument("--import-csv", type=int, nargs="*", default=None, metavar="N",
                        help="CSV sizes for --imports (default: 1000000 5000000 20000000)")
    parser.add_argument("--import-xlsx", type=int, nargs="*", default=None, metavar="N",
                        help="XLSX sizes for --imports (default: 1000000)")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    if args.repeat is None:
        args.repeat = 3 if args.browser else 7
    unknown = sorted(set(args.pages or ()) - set(roles.PAGES))
    if unknown or any(n < 0 for n in args.consultations) or args.repeat < 1:
        parser.print_usage()
        print(f"Unknown pages: {', '.join(unknown)}" if unknown else "Sizes must be ≥ 0 and --repeat ≥ 1.")
        return BAD
    pages = [p for p in (args.pages or bench.available_pages()) if (bench.PAGES_DIR / f"{p}.py").exists()]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Machine: {os.cpu_count()} cores, load average {load:.1f} at start "
          f"(timings on a busy machine are slower than on an idle one).")
    if args.imports:
        return _bench_imports(args)
    if args.browser:
        return _bench_browser(args, pages)
    sizes = []
    for consultations in args.consultations:
        size = bench.bench_size(consultations, seed=args.seed, directory=args.data_dir, pages=pages,
                                repeat=args.repeat, budget_s=args.budget, pandas=not args.no_pandas)
        sizes.append(size)
        print()
        print(bench.table(size), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(bench.as_json(sizes), indent=2) + "\n", encoding="utf-8")
        print(f"\nFigures written to {args.json}")
    return DONE

"""`python -m terrain alerts`: the advocacy alert episodes active on a date, or started since
one (terrain/alerts.py); `python -m terrain alerts evaluate`: the rules scored against what the
demo generator planted (terrain/alerts_evaluation.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

from terrain import ROOT, alerts, alerts_evaluation, store
from terrain.cli import BAD, DB_HELP, DONE, REFUSED, iso_date, parse


def _line(episode: alerts.Episode) -> str:
    plain = episode.to_dict()
    place = episode.city if not episode.site_name else f"{episode.city} — {episode.site_name}"
    if episode.subject:
        place += f" ({episode.subject})"
    status = "active" if episode.active else "ended"
    figures = ", ".join(f"{k}={plain['figures'][k]}" for k, v in episode.figures.items() if v is not None)
    return (f"{episode.rule:<19} {episode.start} → {episode.end} [{status}] {place}: "
            f"peak {plain['peak']} on {episode.peak_on}; {figures}")


def _open(config_path: Path | None, db: Path | None) -> tuple[alerts.Config, duckdb.DuckDBPyConnection, Path] | int:
    """The thresholds and a read-only connection an alerts command works on, or, after one
    line on stderr, its exit status when either cannot be had."""
    try:
        config = alerts.load_config(config_path)
    except alerts.ConfigError as error:
        print(f"Bad alerts configuration: {error}", file=sys.stderr)
        return BAD
    path = db or store.db_path()
    try:
        return config, store.open_readonly(path), path
    except (FileNotFoundError, store.OutdatedDatabase, store.NewerDatabase, duckdb.Error) as error:
        print(f"Cannot open the database: {error}", file=sys.stderr)
        return BAD


def command(argv: list[str]) -> int:
    if argv[:1] == ["evaluate"]:
        return evaluate_command(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m terrain alerts",
                                     description="List the advocacy alert episodes active on a date, or started since a date.")
    parser.add_argument("--db", type=Path, default=None, help=DB_HELP)
    parser.add_argument("--as-of", type=iso_date, default=None, help="evaluate up to this day (default: the data's as-of date)")
    parser.add_argument("--since", type=iso_date, default=None, help="list the episodes that started on or after this day")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--config", type=Path, default=None,
                        help=f"thresholds file (default: {alerts.CONFIG_PATH.relative_to(ROOT)})")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    opened = _open(args.config, args.db)
    if isinstance(opened, int):
        return opened
    config, con, _ = opened
    try:
        first_day, data_as_of = alerts.data_bounds(con)
        # Nights after the data's date hold no figure, which would end every episode.
        as_of = min(args.as_of or data_as_of, data_as_of)
        if args.since and args.since > as_of:
            print(f"--since ({args.since}) is after the as-of date ({as_of}).", file=sys.stderr)
            return BAD
        episodes = alerts.evaluate(con, config, first_day, as_of)
    finally:
        con.close()
    shown = alerts.started_since(episodes, args.since) if args.since else alerts.active_on(episodes, as_of)
    if args.json:
        print(json.dumps({"as_of": as_of.isoformat(), "since": args.since.isoformat() if args.since else None,
                          "data_as_of": data_as_of.isoformat(), "config": str(args.config or alerts.CONFIG_PATH),
                          "episodes": [e.to_dict() for e in shown]}, ensure_ascii=False, indent=2))
        return DONE
    what = f"started since {args.since}" if args.since else f"active on {as_of}"
    print(f"{len(shown)} alert episode(s) {what} (data as of {data_as_of}).")
    for episode in shown:
        print(_line(episode))
    return DONE


def evaluate_command(argv: list[str]) -> int:
    """`python -m terrain alerts evaluate`: DONE when every rule scored meets its targets."""
    parser = argparse.ArgumentParser(prog="python -m terrain alerts evaluate",
                                     description="Score the alert rules against what the demo generator planted.")
    parser.add_argument("--db", type=Path, default=None, help=DB_HELP)
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the scores as JSON")
    parser.add_argument("--config", type=Path, default=None, help="thresholds file (default: config/alerts.toml)")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    opened = _open(args.config, args.db)
    if isinstance(opened, int):
        return opened
    config, con, path = opened
    try:
        scores = alerts_evaluation.evaluate(con, config)
    except alerts_evaluation.NoPlantedEvents:
        print(f"{path} holds no planted events: only a demo database built by this version of Terrain "
              "(python -m terrain demo) can be scored.", file=sys.stderr)
        return BAD
    finally:
        con.close()
    print(alerts_evaluation.table(scores))
    met = [s.meets_targets for s in scores if s.meets_targets is not None]
    print(f"Targets (sensitivity ≥ {alerts_evaluation.TARGET_SENSITIVITY:.0%} within {alerts_evaluation.WITHIN_DAYS} "
          f"days, ≤ {alerts_evaluation.TARGET_FALSE_ALARMS:g} false alarm per site-year): "
          f"{'met' if all(met) else 'not met'} by the rules scored.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rules": [s.as_dict() for s in scores]}, indent=2) + "\n", encoding="utf-8")
    return DONE if all(met) else REFUSED

"""`python -m terrain alerts evaluate`: how well the alerts find what the demo generator planted.

The demo generator records the outbreaks it plants (table `demo_planted_events`: site,
diagnosis group, first and last day). Each is scored against the outbreak rule's signal
weeks at that site for that group, a week's figures being known at its end (Sunday):

- detected: a signal week ends on or after the outbreak's first day and starts on or before
  its last; days to detection: from the first day to the end of the first such week;
- sensitivity: the share of planted outbreaks detected within `WITHIN_DAYS` days;
- false alarms: episodes none of whose signal weeks meets a planted outbreak of their site
  and group (or the `WITHIN_DAYS` days after it, while cases come down), per site-year of
  observed weeks (every site with consultations, every group).

The other rules are definitions rather than detections (a night is at capacity or is not):
the generator plants no event for them, and the table says so instead of a score.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pandas as pd

from terrain import alerts

WITHIN_DAYS = 14
WEEKS_PER_YEAR = 365.25 / 7
TARGET_SENSITIVITY = 0.9
TARGET_FALSE_ALARMS = 1.0
PLANTED = {"outbreak_signal": "outbreak"}


@dataclass(frozen=True)
class Score:
    rule: str
    planted: int | None
    detected: int | None
    sensitivity: float | None
    median_days_to_detection: float | None
    false_alarms: int | None
    site_years: float | None
    false_alarms_per_site_year: float | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "planted": self.planted, "detected": self.detected,
                "sensitivity": None if self.sensitivity is None else round(self.sensitivity, 3),
                "median_days_to_detection": self.median_days_to_detection,
                "false_alarms": self.false_alarms,
                "site_years": None if self.site_years is None else round(self.site_years, 1),
                "false_alarms_per_site_year": None if self.false_alarms_per_site_year is None
                else round(self.false_alarms_per_site_year, 3), "note": self.note}

    @property
    def meets_targets(self) -> bool | None:
        if self.sensitivity is None:
            return None
        return self.sensitivity >= TARGET_SENSITIVITY and self.false_alarms_per_site_year <= TARGET_FALSE_ALARMS


class NoPlantedEvents(Exception):
    """The database is not a demo built by this version: there is nothing to score against."""


def planted_events(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    try:
        rows = con.execute("SELECT event, city, site_id, subject, starts, ends FROM demo_planted_events "
                           "ORDER BY starts, city, site_id, subject").fetchall()
    except duckdb.CatalogException:
        raise NoPlantedEvents() from None
    return pd.DataFrame(rows, columns=["event", "city", "site_id", "subject", "starts", "ends"])


def score_outbreaks(frame: pd.DataFrame, episodes: Sequence[alerts.Episode], planted: pd.DataFrame,
                    first_day: dt.date, last_day: dt.date) -> Score:
    """Score the outbreak rule's evidence (`alerts.series`) and episodes against what was planted."""
    planted = planted[(planted["event"] == "outbreak") & (planted["ends"] >= first_day)
                      & (planted["starts"] <= last_day)]
    signals = frame[frame["holds"].astype(bool)][["site_id", "diagnosis_group", "period", "period_end"]]
    delays = []
    for event in planted.itertuples():
        hits = signals[(signals["site_id"] == event.site_id) & (signals["diagnosis_group"] == event.subject)
                       & (signals["period_end"] >= event.starts) & (signals["period"] <= event.ends)]
        if len(hits):
            delays.append((min(hits["period_end"]) - event.starts).days)
    in_time = [d for d in delays if d <= WITHIN_DAYS]

    def explained(episode: alerts.Episode) -> bool:
        weeks = signals[(signals["site_id"] == episode.site_id) & (signals["diagnosis_group"] == episode.subject)
                        & (signals["period"] >= episode.start) & (signals["period_end"] <= episode.end)]
        mine = planted[(planted["site_id"] == episode.site_id) & (planted["subject"] == episode.subject)]
        return any(((weeks["period_end"] >= e.starts) & (weeks["period"] <= e.ends + dt.timedelta(days=WITHIN_DAYS))).any()
                   for e in mine.itertuples())
    false_alarms = sum(not explained(e) for e in episodes)
    observed = frame[frame["observed"].astype(bool)].drop_duplicates(["site_id", "period"])
    site_years = len(observed) / WEEKS_PER_YEAR
    return Score("outbreak_signal", len(planted), len(in_time), len(in_time) / len(planted) if len(planted) else None,
                 float(statistics.median(delays)) if delays else None, false_alarms, site_years,
                 false_alarms / site_years if site_years else None)


def evaluate(con: duckdb.DuckDBPyConnection, config: alerts.Config) -> list[Score]:
    planted = planted_events(con)
    first_day, last_day = alerts.data_bounds(con)
    scores = []
    for rule in alerts.RULES:
        if rule == "outbreak_signal":
            frame = alerts.series(con, rule, config, first_day, last_day)
            episodes = alerts.episodes_in(rule, frame, config)
            scores.append(score_outbreaks(frame, episodes, planted, first_day, last_day))
        else:
            scores.append(Score(rule, None, None, None, None, None, None, None,
                                "a definition, not a detection: the generator plants no event for it"))
    return scores


def table(scores: Sequence[Score]) -> str:
    lines = [f"{'rule':<20}{'planted':>8}{'detected':>9}{'sensitivity':>12}{'median days':>12}"
             f"{'false alarms':>13}{'site-years':>11}{'per site-year':>14}"]
    for s in scores:
        if s.planted is None:
            lines.append(f"{s.rule:<20}  {s.note}")
            continue
        lines.append(f"{s.rule:<20}{s.planted:>8}{s.detected:>9}{s.sensitivity:>12.0%}"
                     f"{s.median_days_to_detection if s.median_days_to_detection is not None else '-':>12}"
                     f"{s.false_alarms:>13}{s.site_years:>11.1f}{s.false_alarms_per_site_year:>14.2f}")
    return "\n".join(lines)


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terrain alerts evaluate",
                                     description="Score the alert rules against what the demo generator planted.")
    parser.add_argument("--db", type=Path, default=None, help="database file (default: $TERRAIN_DB or data/terrain.duckdb)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the scores as JSON")
    parser.add_argument("--config", type=Path, default=None, help="thresholds file (default: config/alerts.toml)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    opened = alerts.open_for_command(args.config, args.db)
    if isinstance(opened, int):
        return opened
    config, con, path = opened
    try:
        scores = evaluate(con, config)
    except NoPlantedEvents:
        print(f"{path} holds no planted events: only a demo database built by this version of Terrain "
              "(python -m terrain demo) can be scored.", file=sys.stderr)
        return 2
    finally:
        con.close()
    print(table(scores))
    met = [s.meets_targets for s in scores if s.meets_targets is not None]
    print(f"Targets (sensitivity ≥ {TARGET_SENSITIVITY:.0%} within {WITHIN_DAYS} days, ≤ {TARGET_FALSE_ALARMS:g} "
          f"false alarm per site-year): {'met' if all(met) else 'not met'} by the rules scored.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rules": [s.as_dict() for s in scores]}, indent=2) + "\n", encoding="utf-8")
    return 0 if all(met) else 1

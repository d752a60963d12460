"""`python -m terrain alerts evaluate`: how well the alerts find what the demo generator planted.

The demo generator records what it plants (table `demo_planted_events`: event, city, site
or none, subject, first and last day): outbreaks at a site, periods of pressure on a
shelter's beds, cold spells in a city, waves of unaccompanied minors at a site, and the
loss of health coverage in a city after the 2023 law. Each rule is scored against the events
it is meant to find (`PLANTED`), at the places it watches (a site, or a city), on the
periods where its condition held, a period's figures being known at its end:

- detected: a period where the rule held at the event's place ends on or after the event's
  first day and starts on or before its last; days to detection: from the first day to the
  end of the first such period;
- sensitivity: the share of planted events detected within `WITHIN_DAYS` days;
- false alarms: episodes none of whose holding periods meets a planted event of their place
  (or the `WITHIN_DAYS` days after it, while things come back to normal), per place-year of
  observed periods (site-years, or city-years for the rules that watch cities).

A rule with no event of its kind in the period says so instead of a score.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any, Sequence

import duckdb
import pandas as pd

from terrain import alerts

WITHIN_DAYS = 14
TARGET_SENSITIVITY = 0.9
TARGET_FALSE_ALARMS = 1.0


@dataclass(frozen=True)
class Target:
    """What a rule is scored against: the planted events of a kind, and how an event's place
    is matched with the rule's (its evidence columns against the event's)."""

    event: str
    match: tuple[tuple[str, str], ...]     # (evidence column, planted column)
    place_kind: str                        # "site" or "city": the unit of the false alarms' years


PLANTED: dict[str, Target] = {
    "shelter_saturation": Target("shelter_pressure", (("site_id", "site_id"),), "site"),
    "cold_exclusion": Target("cold_spell", (("city", "city"),), "city"),
    "winter_gap": Target("cold_spell", (("city", "city"),), "city"),
    "minors_surge": Target("minors_wave", (("site_id", "site_id"),), "site"),
    "outbreak_signal": Target("outbreak", (("site_id", "site_id"), ("diagnosis_group", "subject")), "site"),
    "access_to_care": Target("coverage_loss", (("city", "city"),), "city"),
}
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
    detected_at_all: int | None = None   # at any delay while the event lasted

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "planted": self.planted, "detected": self.detected,
                "detected_at_all": self.detected_at_all,
                "sensitivity": None if self.sensitivity is None else round(self.sensitivity, 3),
                "median_days_to_detection": self.median_days_to_detection,
                "false_alarms": self.false_alarms,
                "site_years": None if self.site_years is None else round(self.site_years, 1),
                "false_alarms_per_site_year": None if self.false_alarms_per_site_year is None
                else round(self.false_alarms_per_site_year, 3),
                "places": {"site": "sites", "city": "cities"}[PLANTED[self.rule].place_kind], "note": self.note}

    @property
    def meets_targets(self) -> bool | None:
        """None when there is nothing to score; with no planted event, the false alarms alone."""
        quiet = self.false_alarms_per_site_year is None or self.false_alarms_per_site_year <= TARGET_FALSE_ALARMS
        if self.sensitivity is None:
            return None if self.false_alarms_per_site_year is None else quiet
        return self.sensitivity >= TARGET_SENSITIVITY and quiet


class NoPlantedEvents(Exception):
    """The database is not a demo built by this version: there is nothing to score against."""


def planted_events(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    try:
        rows = con.execute("SELECT event, city, site_id, subject, starts, ends FROM demo_planted_events "
                           "ORDER BY starts, city, site_id, subject").fetchall()
    except (duckdb.CatalogException, duckdb.BinderException):  # not a demo, or one of an earlier version
        raise NoPlantedEvents() from None
    return pd.DataFrame(rows, columns=["event", "city", "site_id", "subject", "starts", "ends"])


def _at(rows: pd.DataFrame, columns: Sequence[str], values: Sequence[Any]) -> pd.Series:
    mask = pd.Series(True, index=rows.index)
    for column, value in zip(columns, values):
        mask &= rows[column] == value
    return mask


# Where a planted event could make a rule hold at all: its place observed during the event,
# and for the winter gap a night when no emergency shelter was open (most cold spells fall
# when it is open), for cold exclusion a night when a shelter was.
_APPLIES: dict[str, Any] = {
    "winter_gap": lambda rows: ~rows["shelter_open"].astype("boolean").fillna(False).astype(bool),
    "cold_exclusion": lambda rows: rows["beds_available"].notna(),
}


def score(rule: str, frame: pd.DataFrame, episodes: Sequence[alerts.Episode], planted: pd.DataFrame,
          first_day: dt.date, last_day: dt.date) -> Score:
    """Score one rule's evidence (`alerts.series`) and episodes against what was planted."""
    target = PLANTED[rule]
    columns = [c for c, _ in target.match]
    events = planted[(planted["event"] == target.event) & (planted["ends"] >= first_day)
                     & (planted["starts"] <= last_day)]
    if frame.empty:
        return Score(rule, 0, 0, None, None, 0, 0.0, None, "nothing observed")
    observed = frame[frame["observed"].astype(bool)]
    holding = frame[frame["holds"].astype(bool)]
    applies = _APPLIES.get(rule, lambda rows: pd.Series(True, index=rows.index))
    relevant, delays = [], []
    for event in events.itertuples():
        values = [getattr(event, p) for _, p in target.match]
        during = observed[_at(observed, columns, values) & (observed["period_end"] >= event.starts)
                          & (observed["period"] <= event.ends)]
        if during.empty or not applies(during).any():
            continue
        relevant.append(event)
        hits = holding[_at(holding, columns, values) & (holding["period_end"] >= event.starts)
                       & (holding["period"] <= event.ends)]
        if len(hits):
            delays.append((min(hits["period_end"]) - event.starts).days)
    in_time = [d for d in delays if d <= WITHIN_DAYS]

    def explained(episode: alerts.Episode) -> bool:
        values = [{"site_id": episode.site_id, "city": episode.city, "diagnosis_group": episode.subject}[c]
                  for c in columns]
        periods = holding[_at(holding, columns, values) & (holding["period"] >= episode.start)
                          & (holding["period_end"] <= episode.end)]
        mine = events[_at(events, [p for _, p in target.match], values)]
        return any(((periods["period_end"] >= e.starts)
                    & (periods["period"] <= e.ends + dt.timedelta(days=WITHIN_DAYS))).any()
                   for e in mine.itertuples())
    false_alarms = sum(not explained(e) for e in episodes)
    place = ["site_id"] if target.place_kind == "site" else ["city"]
    spans = observed.drop_duplicates([*place, "period"])
    place_years = float(sum((spans["period_end"] - spans["period"]).map(lambda d: d.days + 1))) / 365.25
    note = "" if relevant else f"no planted {target.event.replace('_', ' ')} where the rule could hold"
    return Score(rule, len(relevant), len(in_time), len(in_time) / len(relevant) if relevant else None,
                 float(statistics.median(delays)) if delays else None, false_alarms, place_years,
                 false_alarms / place_years if place_years else None, note, len(delays))


def evaluate(con: duckdb.DuckDBPyConnection, config: alerts.Config) -> list[Score]:
    planted = planted_events(con)
    first_day, last_day = alerts.data_bounds(con)
    scores = []
    for rule in alerts.RULES:
        frame = alerts.series(con, rule, config, first_day, last_day)
        episodes = alerts.episodes_in(rule, frame, config)
        scores.append(score(rule, frame, episodes, planted, first_day, last_day))
    return scores


def table(scores: Sequence[Score]) -> str:
    lines = [f"{'rule':<20}{'planted':>8}{'in 14 d':>8}{'at all':>7}{'sensitivity':>12}{'median days':>12}"
             f"{'false alarms':>13}{'place-years':>12}{'per place-year':>15}"]
    for s in scores:
        if s.sensitivity is None:
            lines.append(f"{s.rule:<20}{s.planted or 0:>8}  {s.note}; false alarms {s.false_alarms} "
                         f"in {s.site_years or 0:.1f} {PLANTED[s.rule].place_kind}-years")
            continue
        lines.append(f"{s.rule:<20}{s.planted:>8}{s.detected:>8}{s.detected_at_all:>7}{s.sensitivity:>12.0%}"
                     f"{s.median_days_to_detection if s.median_days_to_detection is not None else '-':>12}"
                     f"{s.false_alarms:>13}{s.site_years:>12.1f}{s.false_alarms_per_site_year:>15.2f}")
    return "\n".join(lines)

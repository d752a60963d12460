"""Advocacy alerts: six rules evaluated on the data, each yielding episodes with their evidence.

A rule is a named query (queries/alert_*.sql) that gives, for each place (a shelter, a site,
a city), a series of nights, weeks or months with their figures; a condition computed on
that series with the thresholds of config/alerts.toml; and the episode logic all rules
share (`find_episodes`): an episode starts the first period the condition holds, fires once,
and ends when the condition has not held for `clear_after` periods in a row; a later period
where it holds starts a new episode.

Weekly rules count whole weeks (Monday to Sunday) and monthly rules whole months: a week
still under way would look like a fall. Places with no data for a period (a site not yet
open, a week with no consultation) are "not observed", never zero, so a site that opens is
not compared with the year before it existed.

Rules must see every count to decide: they run through the query door as the programme
manager. What they find is suppressed for its audience where it is shown (pages/alerts.py
through terrain.disclosure, terrain/briefs.py).

Command line (scheduled runs): `python -m terrain alerts [--db PATH] [--as-of DATE]
[--since DATE] [--json] [--config PATH]` lists the episodes active on the as-of date (by
default the data's), or with --since those that started since a date.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd

from terrain import ROOT, disclosure, queries

CONFIG_PATH = ROOT / "config" / "alerts.toml"
RULES = ("shelter_saturation", "cold_exclusion", "winter_gap", "minors_surge", "outbreak_signal",
         "access_to_care")


# --- configuration ----------------------------------------------------------------------

class ConfigError(ValueError):
    """The thresholds file cannot be used; the message names the key."""


@dataclass(frozen=True)
class Setting:
    kind: str            # "int" or "float"
    low: float = 0
    high: float = 0


_CLEAR_AFTER = Setting("int", 1, 31)
SETTINGS: dict[str, dict[str, Setting]] = {
    "shelter_saturation": {"occupancy_at_least": Setting("float", 0.5, 2.0),
                           "saturated_nights": Setting("int", 1, 31),
                           "window_nights": Setting("int", 1, 31), "clear_after": _CLEAR_AFTER},
    "cold_exclusion": {"turned_away_at_least": Setting("int", 1, 1000), "clear_after": _CLEAR_AFTER},
    "winter_gap": {"clear_after": _CLEAR_AFTER},
    "minors_surge": {"weeks": Setting("int", 1, 26), "ratio_at_least": Setting("float", 1.0, 10.0),
                     "count_at_least": Setting("int", 1, 100_000), "clear_after": _CLEAR_AFTER},
    "outbreak_signal": {"baseline_weeks": Setting("int", 4, 104), "baseline_weeks_at_least": Setting("int", 2, 104),
                        "guard_weeks": Setting("int", 0, 8), "sd_above_mean": Setting("float", 0.0, 10.0),
                        "cases_at_least": Setting("int", 1, 10_000), "measles_cases_at_least": Setting("int", 1, 1000),
                        "history_years": Setting("int", 1, 10), "history_years_at_least": Setting("int", 1, 10),
                        "history_half_window_weeks": Setting("int", 0, 8),
                        "clear_after": _CLEAR_AFTER},
    "access_to_care": {"months": Setting("int", 1, 12), "points_above_year_before": Setting("float", 0.5, 100.0),
                       "consultations_at_least": Setting("int", 1, 1_000_000), "clear_after": _CLEAR_AFTER},
}

Config = Mapping[str, Mapping[str, Any]]
# Keys of earlier thresholds files that are now definitions shared by every page.
_MOVED_TO_DEFINITIONS = {"cold_tmin_at_most": "tmin_at_most", "cold_vigilance": "vigilance"}


def _checked(key: str, value: Any, setting: Setting, source: str) -> Any:
    where = f"{source}: {key}"
    # TOML booleans are not numbers here, even though Python counts True as 1.
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if setting.kind == "int" and not (numeric and isinstance(value, int)):
        raise ConfigError(f"{where} must be a whole number from {setting.low:g} to {setting.high:g}; got {value!r}.")
    if setting.kind == "float" and not (numeric and math.isfinite(value)):
        raise ConfigError(f"{where} must be a number from {setting.low:g} to {setting.high:g}; got {value!r}.")
    if not setting.low <= value <= setting.high:
        raise ConfigError(f"{where} must be from {setting.low:g} to {setting.high:g}; got {value!r}.")
    return float(value) if setting.kind == "float" else value


def parse_config(table: Mapping[str, Any], source: str = "alerts configuration") -> dict[str, dict[str, Any]]:
    """Check a thresholds table (as read from TOML): every rule, every key, nothing else."""
    unknown = sorted(set(table) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"{source}: unknown rule [{unknown[0]}]; the rules are {', '.join(RULES)}.")
    config: dict[str, dict[str, Any]] = {}
    for rule, settings in SETTINGS.items():
        section = table.get(rule)
        if not isinstance(section, Mapping):
            raise ConfigError(f"{source}: the section [{rule}] is missing.")
        extra = sorted(set(section) - set(settings))
        if extra and extra[0] in _MOVED_TO_DEFINITIONS:
            raise ConfigError(f"{source}: {rule}.{extra[0]} is no longer set per rule: a cold night is defined once, "
                              f"for pages, alerts and briefs alike, in config/definitions.toml ([cold_night] "
                              f"{_MOVED_TO_DEFINITIONS[extra[0]]}). Remove it here.")
        if extra:
            raise ConfigError(f"{source}: unknown key {rule}.{extra[0]}; [{rule}] takes {', '.join(settings)}.")
        missing = [key for key in settings if key not in section]
        if missing:
            raise ConfigError(f"{source}: {rule}.{missing[0]} is missing.")
        config[rule] = {key: _checked(f"{rule}.{key}", section[key], setting, source)
                        for key, setting in settings.items()}
    outbreak = config["outbreak_signal"]
    if outbreak["baseline_weeks_at_least"] > outbreak["baseline_weeks"]:
        raise ConfigError(f"{source}: outbreak_signal.baseline_weeks_at_least ({outbreak['baseline_weeks_at_least']}) "
                          f"cannot exceed outbreak_signal.baseline_weeks ({outbreak['baseline_weeks']}).")
    if outbreak["history_years_at_least"] > outbreak["history_years"]:
        raise ConfigError(f"{source}: outbreak_signal.history_years_at_least ({outbreak['history_years_at_least']}) "
                          f"cannot exceed outbreak_signal.history_years ({outbreak['history_years']}).")
    saturation = config["shelter_saturation"]
    if saturation["saturated_nights"] > saturation["window_nights"]:
        raise ConfigError(f"{source}: shelter_saturation.saturated_nights ({saturation['saturated_nights']}) "
                          f"cannot exceed shelter_saturation.window_nights ({saturation['window_nights']}).")
    return config


def load_config(path: Path | None = None) -> dict[str, dict[str, Any]]:
    path = Path(path or CONFIG_PATH)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"No alerts configuration at {path}.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error}).") from None
    return parse_config(table, str(path))


# --- episodes -----------------------------------------------------------------------------

def find_episodes(holds: Sequence[bool], clear_after: int = 1) -> list[tuple[int, int]]:
    """(first, last) positions of each run of `holds` where the condition held, a run ending
    after `clear_after` positions in a row where it did not. Unknown (NA) counts as not held."""
    if clear_after < 1:
        raise ValueError("clear_after must be 1 or more.")
    found: list[tuple[int, int]] = []
    first = last = None
    quiet = 0
    for position, held in enumerate(holds):
        if held is not None and not pd.isna(held) and bool(held):
            if first is None:
                first = position
            last, quiet = position, 0
        elif first is not None:
            quiet += 1
            if quiet >= clear_after:
                found.append((first, last))
                first = None
    if first is not None:
        found.append((first, last))
    return found


@dataclass(frozen=True)
class Episode:
    rule: str
    city: str
    start: dt.date
    end: dt.date
    active: bool                  # not yet cleared on the last day evaluated
    peak: float
    peak_on: dt.date
    figures: dict[str, Any] = field(default_factory=dict)
    site_id: str | None = None
    site_name: str | None = None
    site_type: str | None = None
    bed_capacity: int | None = None
    population_focus: str | None = None
    subject: str | None = None    # the diagnosis group of an outbreak signal

    @property
    def place(self) -> str:
        return self.site_name or self.city

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start <= end and self.end >= start

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "active": self.active, "city": self.city, "site_id": self.site_id,
                "site_name": self.site_name, "site_type": self.site_type, "subject": self.subject,
                "peak": _plain(self.peak), "peak_on": self.peak_on.isoformat(),
                "figures": {k: _plain(v) for k, v in self.figures.items()}}


def _plain(value: Any) -> Any:
    """A figure as JSON knows it: numpy and pandas numbers become int or float."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return round(float(value), 4)
    return value


# --- periods ------------------------------------------------------------------------------

def period_start(day: dt.date, step: str) -> dt.date:
    if step == "week":
        return day - dt.timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    return day


def period_end(first: dt.date, step: str) -> dt.date:
    if step == "week":
        return first + dt.timedelta(days=6)
    if step == "month":
        return (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
    return first


def shift(first: dt.date, step: str, periods: int) -> dt.date:
    if step == "week":
        return first + dt.timedelta(weeks=periods)
    if step == "month":
        return (pd.Timestamp(first) + pd.DateOffset(months=periods)).date()
    return first + dt.timedelta(days=periods)


def periods_between(start: dt.date, end: dt.date, step: str) -> list[dt.date]:
    """The whole periods from the one holding `start` to the last one ending by `end`."""
    out, current = [], period_start(start, step)
    while period_end(current, step) <= end:
        out.append(current)
        current = shift(current, step, 1)
    return out


# --- rules --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    name: str
    query: str
    step: str                                   # day, week or month
    place: tuple[str, ...]                      # the columns naming one series
    peak_column: str
    peak_is_min: bool
    conditions: Callable[[pd.DataFrame, Mapping[str, Any]], pd.DataFrame]
    summary: Callable[[pd.DataFrame, Mapping[str, Any]], dict[str, Any]]
    lookback: Callable[[Mapping[str, Any]], int] = lambda settings: 0
    # Periods before the condition first holds that belong to the episode's evidence (a
    # saturation window counts the nights before the one that makes it hold).
    span_back: Callable[[Mapping[str, Any]], int] = lambda settings: 0
    # Where the peak is looked for: the periods where the condition holds, or the marked
    # ones (a saturation's full nights, some of which come before the condition holds).
    peak_over: str = "holds"
    # The rows whose counts a summary adds up (its published totals cover these only).
    counted: Callable[[pd.DataFrame], pd.Series] = lambda rows: pd.Series(True, index=rows.index)


_DESCRIPTORS = ("city", "site_id", "site_name", "site_type", "bed_capacity", "population_focus", "diagnosis_group")


def _complete(raw: pd.DataFrame, place: tuple[str, ...], date_column: str, periods: list[dt.date]) -> pd.DataFrame:
    """One row per place and period: periods with no row are added, their figures NA
    (`observed` False), so rolling windows see them as unknown rather than zero."""
    if raw.empty or not periods:
        return pd.DataFrame(columns=[*raw.columns, "period", "observed"])
    raw = raw.rename(columns={date_column: "period"}).copy()
    raw["period"] = pd.to_datetime(raw["period"]).dt.date
    raw["observed"] = True
    descriptors = [c for c in _DESCRIPTORS if c in raw.columns and c not in place]
    labels = raw.drop_duplicates(list(place))[[*place, *descriptors]]
    grid = labels.merge(pd.DataFrame({"period": periods}), how="cross")
    figures = raw.drop(columns=descriptors)
    out = grid.merge(figures, on=[*place, "period"], how="left")
    out["observed"] = out["observed"].astype("boolean").fillna(False).astype(bool)
    return out.sort_values([*place, "period"]).reset_index(drop=True)


def _by_place(frame: pd.DataFrame, place: tuple[str, ...]):
    return frame.groupby(list(place), sort=False, dropna=False)


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    values = frame[column]
    if values.dtype == np.float64:   # already numbers (`_as_floats`): no copy
        return values
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _as_floats(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its numeric columns (booleans aside) as float64, NA as NaN: what `_number`
    gives, converted once for a frame whose slices are summed hundreds of times."""
    converted = {c: pd.to_numeric(frame[c], errors="coerce").astype("float64") for c in frame.columns
                 if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
                 and frame[c].dtype != np.float64}
    return frame.assign(**converted) if converted else frame.copy(deep=False)


def _cold(frame: pd.DataFrame) -> pd.Series:
    """Cold nights as the query's `cold_night` column says (terrain/definitions.sql)."""
    return frame["cold_night"].astype("boolean").fillna(False).astype(bool)


def _count(rows: pd.DataFrame, column: str, where: pd.Series | None = None) -> int:
    values = _number(rows, column)
    if where is not None:
        values = values[where.astype(bool)]
    return int(values.fillna(0).sum())


_SHELTER_COUNTS = ("beds_occupied", "turned_away", "turned_away_minors", "turned_away_girls")


def _closed_nights_unknown(frame: pd.DataFrame) -> pd.DataFrame:
    """A closed shelter's night has no count (the query gives 0s so the door can suppress):
    nobody was counted, which is not "nobody was turned away"."""
    closed = frame["beds_available"].isna()
    for column in _SHELTER_COUNTS:
        frame[column] = _number(frame, column).where(~closed)
    return frame


# Shelter saturation: nights at or over capacity, on enough of the last nights.

def _saturation_conditions(frame: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    frame = _closed_nights_unknown(frame)
    occupied, available = _number(frame, "beds_occupied"), _number(frame, "beds_available")
    # Compared on the counts (occupied >= threshold x beds), not on a rounded ratio.
    frame["saturated"] = ((available > 0) & (occupied >= settings["occupancy_at_least"] * available - 1e-9)).fillna(False)
    window = settings["window_nights"]
    frame["saturated_in_window"] = _by_place(frame, ("site_id",))["saturated"].transform(
        lambda s: s.astype(int).rolling(window, min_periods=1).sum()).astype(int)
    frame["holds"] = frame["saturated_in_window"] >= settings["saturated_nights"]
    frame["marked"] = frame["saturated"]
    return frame


def _saturation_summary(rows: pd.DataFrame, settings: Mapping[str, Any]) -> dict[str, Any]:
    saturated = rows["saturated"].astype(bool)
    rates = _number(rows, "occupancy_rate")
    return {
        "nights": len(rows), "open_nights": int(_number(rows, "beds_available").notna().sum()),
        "saturated_nights": int(saturated.sum()),
        "max_occupancy": float(rates.max()) if rates.notna().any() else None,
        "beds": int(_number(rows, "beds_available").max()) if _number(rows, "beds_available").notna().any() else None,
        "turned_away": _count(rows, "turned_away"),
        "turned_away_minors": _count(rows, "turned_away_minors"),
        "turned_away_girls": _count(rows, "turned_away_girls"),
    }


# Cold exclusion: a cold night and people turned away.

def _cold_conditions(frame: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    frame = _closed_nights_unknown(frame)
    frame["cold"] = _cold(frame)
    frame["holds"] = frame["cold"] & (_number(frame, "turned_away") >= settings["turned_away_at_least"]).fillna(False)
    frame["marked"] = frame["holds"]
    return frame


def _cold_counted(rows: pd.DataFrame) -> pd.Series:
    return rows["cold"].astype(bool)


def _cold_summary(rows: pd.DataFrame, settings: Mapping[str, Any]) -> dict[str, Any]:
    cold = _cold_counted(rows)
    tmin = _number(rows, "tmin_c")
    return {
        "nights": len(rows), "cold_nights": int(cold.sum()),
        "exclusion_nights": int(rows["holds"].astype(bool).sum()),
        "turned_away": _count(rows, "turned_away", cold),
        "turned_away_minors": _count(rows, "turned_away_minors", cold),
        "turned_away_girls": _count(rows, "turned_away_girls", cold),
        "coldest_c": float(tmin[cold].min()) if cold.any() and tmin[cold].notna().any() else None,
    }


# Winter gap: a cold night of the season and no emergency shelter open.

def _gap_conditions(frame: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    frame["cold"] = _cold(frame) & frame["observed"]
    is_open = frame["shelter_open"].astype("boolean").fillna(False).astype(bool)
    frame["holds"] = frame["cold"] & ~is_open
    frame["marked"] = frame["holds"]
    return frame


def _gap_summary(rows: pd.DataFrame, settings: Mapping[str, Any]) -> dict[str, Any]:
    gap = rows["holds"].astype(bool)
    tmin = _number(rows, "tmin_c")
    return {
        "nights": len(rows), "gap_nights": int(gap.sum()), "cold_nights": int(rows["cold"].astype(bool).sum()),
        "open_nights": int(rows["shelter_open"].astype("boolean").fillna(False).sum()),
        "coldest_c": float(tmin[gap].min()) if gap.any() else None,
    }


def _in_window_of_holding(frame: pd.DataFrame, place: tuple[str, ...], size: int) -> pd.Series:
    """Periods inside the window of some period where the condition holds: the weeks
    (months) whose figures made it hold are the evidence, not only the last of them."""
    return _by_place(frame, place)["holds"].transform(
        lambda s: s[::-1].astype(int).rolling(size, min_periods=1).max()[::-1]).astype(bool)


# Minors surge: the last weeks against the same weeks a year earlier.

_YEAR_IN_WEEKS = 52


def _minors_conditions(frame: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    weeks = settings["weeks"]
    frame["minors_consultations"] = _number(frame, "minors_consultations")
    grouped = _by_place(frame, ("site_id",))["minors_consultations"]
    frame["year_before"] = grouped.shift(_YEAR_IN_WEEKS)
    frame["recent"] = grouped.transform(lambda s: s.rolling(weeks, min_periods=weeks).sum())
    frame["recent_year_before"] = _by_place(frame, ("site_id",))["recent"].shift(_YEAR_IN_WEEKS)
    frame["ratio"] = frame["recent"] / frame["recent_year_before"].where(frame["recent_year_before"] > 0)
    frame["holds"] = ((frame["recent"] >= settings["count_at_least"])
                      & (frame["ratio"] >= settings["ratio_at_least"])).fillna(False).astype(bool)
    frame["marked"] = _in_window_of_holding(frame, ("site_id",), weeks)
    return frame


def _minors_counted(rows: pd.DataFrame) -> pd.Series:
    """Weeks observed this year and a year earlier: the only ones compared."""
    return rows["minors_consultations"].notna() & rows["year_before"].notna()


def _at_peak(rows: pd.DataFrame, column: str) -> pd.Series | None:
    """The row where the rule held most strongly (its own rolling figure at its highest):
    the figures a reader compares with the rule's threshold. Over a whole episode, weeks or
    months on either side of the peak water a rate down below the threshold that fired it."""
    holding = rows[rows["holds"].astype(bool)]
    values = _number(holding, column)
    return None if values.notna().sum() == 0 else holding.loc[values.idxmax()]


def _minors_summary(rows: pd.DataFrame, settings: Mapping[str, Any]) -> dict[str, Any]:
    both = _minors_counted(rows)
    now, before = _count(rows, "minors_consultations", both), _count(rows, "year_before", both)
    peak = _at_peak(rows, "ratio")
    return {
        "weeks": len(rows), "surge_weeks": int(rows["holds"].astype(bool).sum()),
        "consultations": now, "consultations_year_before": before,
        # the rule's own window at its peak: `weeks` weeks against the same weeks a year earlier
        "ratio": None if peak is None else float(peak["ratio"]), "window_weeks": settings["weeks"],
    }


# Outbreak signal: the CDC's EARS C2 method (Hutwagner et al. 2003; Fricker et al. 2008),
# on weeks. A week's share of consultations in the group is compared with the shares of the
# `baseline_weeks` weeks that end `guard_weeks` before it (the guard band keeps an outbreak's
# first rise out of its own baseline); weeks that signalled are left out of later baselines,
# so that an outbreak does not raise the bar for the next. The statistic is the excess over
# the baseline mean in standard deviations, the deviation being at least the binomial one of
# the week's own share (a steady baseline has an SD of 0: one more case would then signal).
# Shares, not counts: a site's activity grows and shrinks with its teams and the camps, and
# the share of a diagnosis does not. Suspected measles signals on its cases alone: one
# suspected case is investigated (WHO), and the data hold no baseline before January 2016.

_MEASLES = "suspected_measles"


def _outbreak_conditions(frame: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    frame["cases"] = _number(frame, "cases")
    frame["consultations"] = _number(frame, "consultations")
    frame["share"] = frame["cases"] / frame["consultations"].where(frame["consultations"] > 0)
    for column in ("baseline_share", "threshold_share", "baseline_mean", "threshold", "statistic"):
        frame[column] = np.nan
    frame["method"] = ""
    frame["holds"] = False
    for _, rows in _by_place(frame, ("site_id", "diagnosis_group")):
        _ears_c2(frame, rows.sort_values("period").index, settings)
    frame["holds"] = frame["holds"].astype(bool)
    frame["marked"] = frame["holds"]
    return frame


def _ears_c2(frame: pd.DataFrame, index: pd.Index, settings: Mapping[str, Any]) -> None:
    """The C2 statistic of one site's weekly shares of one group, week by week (a week that
    signals is left out of the baselines after it)."""
    n, guard, k = settings["baseline_weeks"], settings["guard_weeks"], settings["sd_above_mean"]
    measles = frame.at[index[0], "diagnosis_group"] == _MEASLES
    share = frame.loc[index, "share"].to_numpy(dtype=float)
    cases = frame.loc[index, "cases"].to_numpy(dtype=float)
    seen = frame.loc[index, "consultations"].to_numpy(dtype=float)
    usable = ~np.isnan(share)                     # observed, and not a signal
    holds = np.zeros(len(index), dtype=bool)
    mean, sd, threshold, statistic = (np.full(len(index), np.nan) for _ in range(4))
    years, half = settings["history_years"], settings["history_half_window_weeks"]
    method = np.full(len(index), "", dtype=object)
    for t in range(len(index)):
        if np.isnan(share[t]):
            continue
        if measles:
            holds[t] = cases[t] >= settings["measles_cases_at_least"]
            method[t] = "cases"
        else:
            # With enough earlier years, the same weeks of those years (historical limits):
            # a season's usual level is not an outbreak. Otherwise the last n usable weeks
            # before the guard band (C2); where the history is too short for a guard band,
            # the weeks just before (C1), as EARS does.
            before, seen_years = _same_weeks_before(~np.isnan(share), holds, t, years, half)
            method[t] = "historical_limits"
            if seen_years < settings["history_years_at_least"]:
                before = np.flatnonzero(usable[:max(0, t - guard)])[-n:]
                method[t] = "ears_c2"
                if len(before) < settings["baseline_weeks_at_least"]:
                    before = np.flatnonzero(usable[:t])[-n:]
                    method[t] = "ears_c1"
            baseline = share[before]
            if len(baseline) >= settings["baseline_weeks_at_least"]:
                mean[t], sd[t] = baseline.mean(), baseline.std(ddof=1)
                spread = max(sd[t], math.sqrt(max(mean[t] * (1 - mean[t]), 0) / seen[t]))
                threshold[t] = mean[t] + k * spread
                statistic[t] = (share[t] - mean[t]) / spread if spread > 0 else math.inf
                holds[t] = bool(share[t] > threshold[t] and cases[t] >= settings["cases_at_least"])
        if holds[t]:
            usable[t] = False
    # The chart, the briefs and the disclosure rules read cases: the baseline and threshold
    # as cases at the week's own number of consultations.
    frame.loc[index, "holds"] = holds
    frame.loc[index, "baseline_share"] = mean
    frame.loc[index, "threshold_share"] = threshold
    frame.loc[index, "baseline_mean"] = mean * seen
    frame.loc[index, "threshold"] = threshold * seen
    frame.loc[index, "statistic"] = statistic
    frame.loc[index, "method"] = method


def _same_weeks_before(observed: np.ndarray, signalled: np.ndarray, t: int, years: int,
                       half: int) -> tuple[np.ndarray, int]:
    """Positions of the baseline weeks of week t in the historical limits: the observed weeks
    within `half` weeks of it in each of the `years` years before (52 weeks apart), and how
    many of those years have one. Weeks that signalled are left out, as outbreaks are, unless
    the same weeks signalled in two years or more and in most years: a rise that comes back
    every year at the same time is the season, which the baseline must hold."""
    windows = []
    for year in range(1, years + 1):
        centre = t - _YEAR_IN_WEEKS * year
        windows.append([p for p in range(centre - half, centre + half + 1) if 0 <= p < t and observed[p]])
    observed_years = sum(bool(window) for window in windows)
    signal_years = sum(any(signalled[p] for p in window) for window in windows)
    # A season: signals at these weeks in two years or more, and in most of the years seen
    # (outbreaks that fall near the same weeks by chance rarely do both).
    seasonal = signal_years >= 2 and 2 * signal_years > observed_years
    found = [p for window in windows for p in window if seasonal or not signalled[p]]
    seen = sum(any(seasonal or not signalled[p] for p in window) for window in windows)
    return np.array(found, dtype=int), seen


def _outbreak_summary(rows: pd.DataFrame, settings: Mapping[str, Any]) -> dict[str, Any]:
    signal = rows["holds"].astype(bool)
    first = rows[signal].iloc[0] if signal.any() else None

    def figure(column: str, digits: int) -> float | None:
        return None if first is None or pd.isna(first[column]) else round(float(first[column]), digits)
    return {
        "weeks": len(rows), "signal_weeks": int(signal.sum()),
        "cases": _count(rows, "cases"), "consultations": _count(rows, "consultations"),
        # in the first signal week: cases expected at the baseline's share, and the threshold
        "baseline_mean": figure("baseline_mean", 2), "threshold": figure("threshold", 2),
        "baseline_share": figure("baseline_share", 4), "threshold_share": figure("threshold_share", 4),
    }


# Access to care: the share with no health coverage against the same months a year earlier.
# The share is of the consultations whose coverage is known (none, AME or PUMa/CSS): an
# unknown coverage is neither, so it stays out of the denominator and its share is told beside.

_YEAR_IN_MONTHS = 12


def _access_conditions(frame: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    months = settings["months"]
    for column in ("consultations", "with_known_coverage", "without_coverage"):
        frame[column] = _number(frame, column)
        frame[f"{column}_year_before"] = _by_place(frame, ("city",))[column].shift(_YEAR_IN_MONTHS)
        frame[f"{column}_window"] = _by_place(frame, ("city",))[column].transform(
            lambda s: s.rolling(months, min_periods=months).sum())
        frame[f"{column}_window_year_before"] = _by_place(frame, ("city",))[f"{column}_window"].shift(_YEAR_IN_MONTHS)
    frame["share"] = frame["without_coverage_window"] / frame["with_known_coverage_window"]
    frame["share_year_before"] = (frame["without_coverage_window_year_before"]
                                  / frame["with_known_coverage_window_year_before"])
    frame["change_points"] = 100 * (frame["share"] - frame["share_year_before"])
    enough = ((frame["with_known_coverage_window"] >= settings["consultations_at_least"])
              & (frame["with_known_coverage_window_year_before"] >= settings["consultations_at_least"]))
    frame["holds"] = (enough & (frame["change_points"] >= settings["points_above_year_before"])).fillna(False).astype(bool)
    frame["marked"] = _in_window_of_holding(frame, ("city",), months)
    return frame


def _access_counted(rows: pd.DataFrame) -> pd.Series:
    """Months observed this year and a year earlier: the only ones compared."""
    return rows["consultations"].notna() & rows["consultations_year_before"].notna()


def _access_summary(rows: pd.DataFrame, settings: Mapping[str, Any]) -> dict[str, Any]:
    both = _access_counted(rows)
    total, without = _count(rows, "consultations", both), _count(rows, "without_coverage", both)
    known, known_before = _count(rows, "with_known_coverage", both), _count(rows, "with_known_coverage_year_before", both)
    total_before = _count(rows, "consultations_year_before", both)
    without_before = _count(rows, "without_coverage_year_before", both)
    share = without / known if known else None
    share_before = without_before / known_before if known_before else None
    peak = _at_peak(rows, "change_points")
    if peak is not None:
        # the shares and the rise the rule measured (its `months` months against the same
        # months a year earlier) at their peak; over the rows as a whole when it never held
        share, share_before = float(peak["share"]), float(peak["share_year_before"])
    return {
        "months": len(rows), "alert_months": int(rows["holds"].astype(bool).sum()),
        "consultations": total, "with_known_coverage": known, "without_coverage": without, "share": share,
        "unknown_share": (total - known) / total if total else None,
        "consultations_year_before": total_before, "with_known_coverage_year_before": known_before,
        "without_coverage_year_before": without_before, "share_year_before": share_before,
        "change_points": 100 * (share - share_before) if share is not None and share_before is not None else None,
        "window_months": settings["months"] if peak is not None else None,
    }


RULE_SPECS: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("shelter_saturation", "shelter_nights_by_site_day", "day", ("site_id",), "occupancy_rate", False,
         _saturation_conditions, _saturation_summary,
         lookback=lambda s: s["window_nights"] - 1, span_back=lambda s: s["window_nights"] - 1, peak_over="marked"),
    Rule("cold_exclusion", "shelter_nights_with_weather", "day", ("site_id",), "turned_away", False,
         _cold_conditions, _cold_summary, counted=_cold_counted),
    Rule("winter_gap", "winter_nights_with_shelter_open", "day", ("city",), "tmin_c", True, _gap_conditions, _gap_summary),
    Rule("minors_surge", "consultations_minors_by_site_week", "week", ("site_id",), "ratio", False,
         _minors_conditions, _minors_summary, lookback=lambda s: s["weeks"] - 1 + _YEAR_IN_WEEKS,
         span_back=lambda s: s["weeks"] - 1, counted=_minors_counted),
    Rule("outbreak_signal", "outbreak_cases_by_site_week", "week", ("site_id", "diagnosis_group"), "cases", False,
         _outbreak_conditions, _outbreak_summary,
         lookback=lambda s: max(s["baseline_weeks"] + s["guard_weeks"],
                                s["history_years"] * _YEAR_IN_WEEKS + s["history_half_window_weeks"])),
    Rule("access_to_care", "consultations_coverage_by_city_month", "month", ("city",), "change_points", False,
         _access_conditions, _access_summary, lookback=lambda s: s["months"] - 1 + _YEAR_IN_MONTHS,
         span_back=lambda s: s["months"] - 1, counted=_access_counted),
)}


def _rule(name: str) -> Rule:
    if name not in RULE_SPECS:
        raise ValueError(f"Unknown rule {name!r}; the rules are {', '.join(RULES)}.")
    return RULE_SPECS[name]


def series(con: duckdb.DuckDBPyConnection, rule: str, config: Config, start: dt.date, end: dt.date,
           cities: Sequence[str] = ()) -> pd.DataFrame:
    """The rule's evidence from `start` to `end`: one row per place and whole period, with
    the figures, `holds` (the condition) and `marked` (the periods that are evidence)."""
    spec, settings = _rule(rule), config[rule]
    periods = periods_between(start, end, spec.step)
    if not periods:
        return pd.DataFrame()
    first = shift(periods[0], spec.step, -spec.lookback(settings))
    everything = periods_between(first, end, spec.step)
    raw = queries.read_rows(con, spec.query, {"start": first, "end": period_end(everything[-1], spec.step),
                                              "cities": list(cities)})
    # Pandas deep-copies a frame's attrs into every frame made from it: the door's record is
    # left off while the rule works (its own provenance is set at the end).
    raw.attrs = {}
    frame = _complete(raw, spec.place, spec.step, everything)  # the date column is named after the step
    if frame.empty:
        return frame
    frame = spec.conditions(frame, settings)
    frame["period_end"] = [period_end(p, spec.step) for p in frame["period"]]
    frame = frame[frame["period"] >= periods[0]].reset_index(drop=True)
    frame.attrs["provenance"] = {"query": spec.query, "params": {
        "start": first, "end": period_end(everything[-1], spec.step), "cities": list(cities)}}
    return frame


def episodes_in(rule: str, frame: pd.DataFrame, config: Config) -> list[Episode]:
    """The episodes of one rule's evidence (as `series` gives it), place by place."""
    spec, settings = _rule(rule), config[rule]
    if frame.empty:
        return []
    found = []
    working = _as_floats(frame)
    working.attrs = {}   # not deep-copied into every slice (see `series`)
    for _, rows in _by_place(working, spec.place):
        rows = rows.sort_values("period").reset_index(drop=True)
        last_position = len(rows) - 1
        for first, last in find_episodes(rows["holds"].tolist(), settings["clear_after"]):
            window = rows.iloc[max(0, first - spec.span_back(settings)):last + 1]
            marked = window[window["marked"].astype(bool)]
            if marked.empty:  # what made it hold lies before the evaluated period
                marked = window[window["holds"].astype(bool)]
            evidence = rows.loc[marked.index[0]:marked.index[-1]]
            candidates = evidence[evidence[spec.peak_over].astype(bool)]
            values = _number(candidates, spec.peak_column)
            if values.notna().any():
                at = values.idxmin() if spec.peak_is_min else values.idxmax()
            else:
                at = marked.index[0]
            head = rows.iloc[0]
            found.append(Episode(
                rule=rule, city=str(head["city"]),
                start=evidence["period"].iloc[0], end=evidence["period_end"].iloc[-1],
                active=last + settings["clear_after"] > last_position,
                peak=_peak(rule, rows.loc[at, spec.peak_column]), peak_on=rows.loc[at, "period"],
                figures=spec.summary(evidence, settings),
                site_id=_text(head, "site_id"), site_name=_text(head, "site_name"),
                site_type=_text(head, "site_type"), bed_capacity=_whole(head, "bed_capacity"),
                population_focus=_text(head, "population_focus"), subject=_text(head, "diagnosis_group")))
    return found


def _peak(rule: str, value: Any) -> Any:
    """A peak as its kind reads: a count is a whole number (people, cases), a rate is not."""
    if value is None or pd.isna(value):
        return None
    return int(value) if _rule(rule).peak_column in ADDITIVE_COUNTS[rule] else float(value)


def _text(row: pd.Series, column: str) -> str | None:
    return None if column not in row or pd.isna(row[column]) else str(row[column])


def _whole(row: pd.Series, column: str) -> int | None:
    return None if column not in row or pd.isna(row[column]) else int(row[column])


def evaluate(con: duckdb.DuckDBPyConnection, config: Config, start: dt.date, end: dt.date, *,
             rules: Sequence[str] = RULES, cities: Sequence[str] = ()) -> list[Episode]:
    """Every episode of the rules from `start` to `end`, in order of start."""
    found = []
    for rule in rules:
        found += episodes_in(rule, series(con, rule, config, start, end, cities), config)
    return sorted(found, key=lambda e: (e.start, RULES.index(e.rule), e.city, e.place, e.subject or ""))


def summarise(rule: str, frame: pd.DataFrame, config: Config) -> dict[str, Any]:
    """The rule's figures over some rows of its evidence (a period, a place)."""
    return _rule(rule).summary(frame, config[rule])


def active_on(episodes: Sequence[Episode], day: dt.date) -> list[Episode]:
    """Episodes under way on `day` (evaluated up to that day): not yet cleared."""
    return [e for e in episodes if e.active and e.start <= day]


def started_since(episodes: Sequence[Episode], day: dt.date) -> list[Episode]:
    """Episodes that fired on or after `day`: each fires once, when it starts."""
    return [e for e in episodes if e.start >= day]


def select(episodes: Sequence[Episode], *, rules: Sequence[str] = (), cities: Sequence[str] = (),
           start: dt.date | None = None, end: dt.date | None = None, active_only: bool = False) -> list[Episode]:
    """The episodes of some rules and cities (empty: all) that overlap a period, newest first."""
    chosen = [e for e in episodes
              if (not rules or e.rule in rules) and (not cities or e.city in cities)
              and (start is None or end is None or e.overlaps(start, end)) and (e.active or not active_only)]
    return sorted(chosen, key=lambda e: (e.start, -RULES.index(e.rule)), reverse=True)


def parse_rules(text: str | None) -> tuple[tuple[str, ...], bool]:
    """Rules named in a URL parameter ("cold_exclusion,winter_gap"): the known ones, in
    rule order, and whether every name was known."""
    names = [name for name in (text or "").split(",") if name]
    return tuple(rule for rule in RULES if rule in names), all(name in RULES for name in names)


_MARGIN = {"day": 14, "week": 8, "month": 6}


def window_around(episode: Episode, first_day: dt.date, last_day: dt.date) -> tuple[dt.date, dt.date]:
    """The episode with some context before and after (two weeks, eight weeks or six months),
    within the data."""
    step = _rule(episode.rule).step
    start = shift(period_start(episode.start, step), step, -_MARGIN[step])
    end = period_end(shift(period_start(episode.end, step), step, _MARGIN[step]), step)
    return max(start, first_day), min(end, last_day)


def rows_of(episode: Episode, frame: pd.DataFrame) -> pd.DataFrame:
    """The evidence rows of the episode's place (its site, its city, its diagnosis group)."""
    if frame.empty:
        return frame
    keep = pd.Series(True, index=frame.index)
    for column in _rule(episode.rule).place:
        value = episode.subject if column == "diagnosis_group" else getattr(episode, column)
        keep &= frame[column] == value
    return frame[keep].reset_index(drop=True)


# --- disclosure ----------------------------------------------------------------------------
#
# The rules decide on every count; what they find is shown to an audience that may not see
# small counts. Counts of people or events below the audience's threshold are hidden, and
# so is any rate or mean computed from a hidden count (a share times a visible total gives
# back the hidden count).

# Counts whose totals are published beside them (a place's total in a sentence, an
# episode's in a table): hidden with complementary suppression along those lines.
ADDITIVE_COUNTS = {
    "shelter_saturation": ("beds_occupied", "turned_away", "turned_away_minors", "turned_away_girls"),
    "cold_exclusion": ("beds_occupied", "turned_away", "turned_away_minors", "turned_away_girls"),
    "winter_gap": (),
    "minors_surge": ("minors_consultations", "year_before"),
    "outbreak_signal": ("cases",),
    "access_to_care": ("consultations", "with_known_coverage", "without_coverage", "consultations_year_before",
                       "with_known_coverage_year_before", "without_coverage_year_before"),
}
# Sums over rolling windows and means of counts: no total is published from them, so only
# the small ones are hidden. A small shelter's beds go too: with its full nights marked,
# they would say how many people slept there.
SMALL_ONLY = {
    "shelter_saturation": ("beds_available",),
    "cold_exclusion": ("beds_available",),
    "minors_surge": ("recent", "recent_year_before"),
    "outbreak_signal": ("baseline_mean", "threshold"),
    "access_to_care": ("consultations_window", "with_known_coverage_window", "without_coverage_window",
                       "consultations_window_year_before", "with_known_coverage_window_year_before",
                       "without_coverage_window_year_before"),
}
EVIDENCE_RATES = {
    "occupancy_rate": ("beds_occupied", "beds_available"),
    "ratio": ("recent", "recent_year_before"),
    "share": ("with_known_coverage_window", "without_coverage_window"),
    "share_year_before": ("with_known_coverage_window_year_before", "without_coverage_window_year_before"),
    "change_points": ("with_known_coverage_window", "without_coverage_window", "with_known_coverage_window_year_before",
                      "without_coverage_window_year_before"),
}
FIGURE_COUNTS = frozenset({
    "turned_away", "turned_away_minors", "turned_away_girls", "consultations", "consultations_year_before",
    "cases", "baseline_mean", "threshold", "without_coverage", "without_coverage_year_before",
    "with_known_coverage", "with_known_coverage_year_before",
    # A small shelter's capacity tells how many people a full night held.
    "beds",
})
FIGURE_RATES = {
    "max_occupancy": ("beds",),
    "ratio": ("consultations", "consultations_year_before"),
    "share": ("with_known_coverage", "without_coverage"),
    "share_year_before": ("with_known_coverage_year_before", "without_coverage_year_before"),
    "change_points": ("with_known_coverage", "without_coverage", "with_known_coverage_year_before",
                      "without_coverage_year_before"),
    "unknown_share": ("consultations", "with_known_coverage"),
}
# What an episode's peak is made of: itself a count, or a rate of some figures.
PEAK_DEPENDS_ON = {
    "shelter_saturation": ("beds",), "cold_exclusion": ("peak",), "winter_gap": (),
    "minors_surge": ("consultations", "consultations_year_before"), "outbreak_signal": ("peak",),
    "access_to_care": ("with_known_coverage", "without_coverage", "with_known_coverage_year_before",
                       "without_coverage_year_before"),
}


def hidden(value: Any, k: int) -> bool:
    """Whether a count (or a mean of counts) is hidden from an audience whose threshold is
    k: from 1 to k - 1, as terrain.disclosure hides them. Zero is shown ("nobody" discloses
    no one); a missing value is hidden."""
    if value is None or pd.isna(value):
        return True
    return k > 1 and 0 < value < k


def for_audience(rule: str, rows: pd.DataFrame, k: int, totals: Sequence[pd.Series] = (), *,
                 place_total: bool = True) -> pd.DataFrame:
    """Evidence rows as an audience may see them: small counts missing, with the partners
    that keep them from being worked out of the totals published beside them, and the rates
    made of a hidden count. Rows with no figure (a closed shelter, a week not observed) stay
    missing.

    `totals` are boolean masks over `rows`, one per set of rows whose total is published
    (an episode's, in a table); each place's own total is too, unless `place_total` is
    False. Only the rows a summary
    counts (`Rule.counted`) are in a total, and a row in no published total is a line of its
    own, so that totals nobody publishes cost no suppression."""
    if k <= 1 or rows.empty:
        return rows
    spec = _rule(rule)
    counted = spec.counted(rows).to_numpy(dtype=bool)
    shown = rows.copy()
    lines, frame = [], rows[list(spec.place)].copy()
    everything = [pd.Series(True, index=rows.index)] if place_total else []
    for number, mask in enumerate([*everything, *totals]):
        inside = counted & mask.reindex(rows.index, fill_value=False).to_numpy(dtype=bool)
        frame[f"_line{number}"] = np.where(inside, 0, -1 - np.arange(len(rows)))
        lines.append([*spec.place, f"_line{number}"])
    for column in ADDITIVE_COUNTS[rule]:
        if column not in rows.columns:
            continue
        known = rows[column].notna().to_numpy()
        part = frame[known].assign(**{column: pd.to_numeric(rows.loc[known, column]).astype("int64")})
        protected = disclosure.suppress_counts(part.reset_index(drop=True), [column], k, lines)
        values = pd.array([pd.NA] * len(rows), dtype="Int64")
        values[known] = protected[column].to_numpy()
        shown[column] = values
    for column in SMALL_ONLY.get(rule, ()):
        if column in shown.columns:
            values = pd.to_numeric(shown[column], errors="coerce")
            shown[column] = values.where(~values.apply(lambda v: hidden(v, k)))
    for rate, parts in EVIDENCE_RATES.items():
        present = [p for p in parts if p in shown.columns]
        if rate in shown.columns and present:
            lost = shown[present].isna().any(axis=1) & rows[present].notna().all(axis=1)
            shown[rate] = shown[rate].where(~lost)
    return shown


def shown_figures(rule: str, figures: Mapping[str, Any], peak: Any, k: int) -> tuple[dict[str, Any], Any]:
    """An episode's (or a period's) figures and peak as an audience may see them: hidden
    ones are None."""
    shown = {key: (None if key in FIGURE_COUNTS and hidden(value, k) else value) for key, value in figures.items()}
    for rate, parts in FIGURE_RATES.items():
        if rate in shown and any(part in shown and shown[part] is None for part in parts):
            shown[rate] = None
    depends = PEAK_DEPENDS_ON[rule]
    peak_hidden = (hidden(peak, k) if depends == ("peak",)
                   else any(part in shown and shown[part] is None for part in depends))
    return shown, (None if peak_hidden else peak)


def data_bounds(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date]:
    """The first day of the data and its "as of" date."""
    row = queries.read_rows(con, "dataset_metadata", {}).iloc[0]
    return pd.Timestamp(row["first_day"]).date(), pd.Timestamp(row["data_as_of"]).date()

"""Page filters: periods, places and categories, kept in the URL so a link reproduces a view.

Pure functions: parse the URL's query parameters into `Filters` (falling back to defaults,
with a notice, on anything invalid or tampered with) and write them back.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

from terrain import definitions

# Each preset but "custom" is a whole calendar period: whole weeks (Monday to Sunday), whole
# months, a winter season, a civil year, the last ones the data reach (the season and the year
# in progress stop at the data's as-of date). A month of four days drawn beside whole months
# looks like a collapse; a preset never makes one.
PRESETS = ("last_month", "last_4_weeks", "last_3_months", "winter_season", "year", "custom")
DEFAULT_PRESET = "last_3_months"
ACTIVITIES = ("medical", "mental_health", "social", "legal")
AGE_BANDS = ("0-14", "15-17", "18-24", "25-34", "35+", "unknown")
SEXES = ("F", "M", "X")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLUG = re.compile(r"[a-z][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class Filters:
    preset: str = DEFAULT_PRESET
    start: dt.date = dt.date(2016, 1, 1)
    end: dt.date = dt.date(2016, 1, 1)
    year: int | None = None
    grain: str = "month"
    cities: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    minors_only: bool = False
    girls_only: bool = False
    notices: tuple[str, ...] = field(default=(), compare=False)

    def params(self, *names: str) -> dict:
        """The query parameters named, as the .sql files expect them (lists, dates)."""
        values = {
            "start": self.start, "end": self.end, "grain": self.grain,
            "cities": list(self.cities), "sites": list(self.sites),
            "activities": list(self.activities), "age_bands": list(self.age_bands),
            "sexes": list(self.sexes), "minors_only": self.minors_only, "girls_only": self.girls_only,
        }
        return {name: values[name] for name in names}


# The winter season is defined once, in terrain/definitions.py.
season_of = definitions.season_of
season_bounds = definitions.season_bounds


def _month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def last_whole_month_end(as_of: dt.date) -> dt.date:
    """The last day of the last whole month the data reach: `as_of` itself when it is a
    month's last day, else the last day of the month before."""
    following = as_of + dt.timedelta(days=1)
    return as_of if following.day == 1 else _month_start(as_of) - dt.timedelta(days=1)


def last_whole_week_end(as_of: dt.date) -> dt.date:
    """The last Sunday on or before `as_of` (weeks run Monday to Sunday, as in the queries)."""
    return as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)


def preset_period(preset: str, as_of: dt.date, year: int | None = None) -> tuple[dt.date, dt.date]:
    """The period of a preset: the last whole calendar period the data reach (see PRESETS)."""
    if preset == "last_month":
        end = last_whole_month_end(as_of)
        return end.replace(day=1), end
    if preset == "last_4_weeks":
        end = last_whole_week_end(as_of)
        return end - dt.timedelta(days=27), end
    if preset == "last_3_months":
        end = last_whole_month_end(as_of)
        return _month_start(end, 2), end
    if preset == "winter_season":
        start, end = season_bounds(season_of(as_of))
        return start, min(end, as_of)
    if preset == "year":
        year = year or as_of.year
        return dt.date(year, 1, 1), min(dt.date(year, 12, 31), as_of)
    raise ValueError(f"Preset {preset!r} has no fixed period.")


def _date(text: str | None) -> dt.date | None:
    if not text or not _ISO_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _choices(raw: str | None, allowed: Iterable[str], name: str, notices: list[str]) -> tuple[str, ...]:
    if not raw:
        return ()
    allowed = list(allowed)
    values = [v for v in raw.split(",") if v]
    kept = tuple(v for v in allowed if v in values)
    if len(kept) != len(set(values)):
        notices.append(name)
    return kept


def parse(query_params: Mapping[str, str], *, as_of: dt.date, first_day: dt.date,
          cities: Iterable[str] = (), sites: Iterable[str] = (),
          grains: Iterable[str] = ("month", "week")) -> Filters:
    """Filters from URL parameters. Anything invalid falls back to its default, and its
    name is listed in `notices` so the page can say so; nothing here raises."""
    notices: list[str] = []
    grains = tuple(grains)
    preset = query_params.get("period", DEFAULT_PRESET)
    if preset not in PRESETS:
        notices.append("period")
        preset = DEFAULT_PRESET
    year = None
    if preset == "year":
        raw_year = query_params.get("year", "")
        if raw_year.isdigit() and first_day.year <= int(raw_year) <= as_of.year:
            year = int(raw_year)
        else:
            if raw_year:
                notices.append("year")
            year = as_of.year
    if preset == "custom":
        start, end = _date(query_params.get("from")), _date(query_params.get("to"))
        if start is None or end is None or start > end or end < first_day or start > as_of:
            notices.append("period")
            preset = DEFAULT_PRESET
        else:
            start, end = max(start, first_day), min(end, as_of)
    if preset != "custom":
        start, end = preset_period(preset, as_of, year)

    grain = query_params.get("grain", grains[0])
    if grain not in grains:
        notices.append("grain")
        grain = grains[0]
    return Filters(
        preset=preset, start=start, end=end, year=year, grain=grain,
        cities=_choices(query_params.get("city"), cities, "city", notices),
        sites=_choices(query_params.get("site"), sites, "site", notices),
        activities=_choices(query_params.get("activity"), ACTIVITIES, "activity", notices),
        age_bands=_choices(query_params.get("age"), AGE_BANDS, "age", notices),
        sexes=_choices(query_params.get("sex"), SEXES, "sex", notices),
        minors_only=_flag(query_params.get("minors"), "minors", notices),
        girls_only=_flag(query_params.get("girls"), "girls", notices),
        notices=tuple(dict.fromkeys(notices)),
    )


def _flag(raw: str | None, name: str, notices: list[str]) -> bool:
    if raw in (None, "", "0"):
        return False
    if raw == "1":
        return True
    notices.append(name)
    return False


def to_query_params(filters: Filters) -> dict[str, str]:
    """The URL parameters that reproduce `filters` (defaults left out)."""
    out: dict[str, str] = {"period": filters.preset}
    if filters.preset == "year" and filters.year:
        out["year"] = str(filters.year)
    if filters.preset == "custom":
        out["from"], out["to"] = filters.start.isoformat(), filters.end.isoformat()
    out["grain"] = filters.grain
    for key, values in (("city", filters.cities), ("site", filters.sites),
                        ("activity", filters.activities), ("age", filters.age_bands),
                        ("sex", filters.sexes)):
        if values:
            out[key] = ",".join(values)
    if filters.minors_only:
        out["minors"] = "1"
    if filters.girls_only:
        out["girls"] = "1"
    return out


def with_period(filters: Filters, preset: str, as_of: dt.date, *, year: int | None = None,
                start: dt.date | None = None, end: dt.date | None = None) -> Filters:
    if preset == "custom":
        return replace(filters, preset=preset, start=start, end=end, year=None)
    s, e = preset_period(preset, as_of, year)
    return replace(filters, preset=preset, start=s, end=e, year=year if preset == "year" else None)


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before [start, end]."""
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)

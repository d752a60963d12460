"""Whole months: the calendar arithmetic of roles that see months only."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from terrain.queries.errors import QueryError


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def as_date(value: Any, name: str) -> dt.date:
    """A parameter's value as a date; QueryError if it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise QueryError(f"${name} must be a date, not {value!r}.") from None


def months_between(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The first and last day of each month from `start`'s to `end`'s."""
    months, first = [], month_start(start)
    while first <= end:
        months.append((first, month_end(first)))
        first = month_end(first) + dt.timedelta(days=1)
    return months

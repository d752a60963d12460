"""Month by month: how a query is run for a role that sees whole months only.

Such a role gets every query with a period ($start and $end) month by month: each month is
run and suppressed alone, so what is hidden in a month never depends on the period or the
cities asked for (the months are then put together by combine.py). A query that counts no
one (weather, nights) hides nothing and runs once. A month-grain query is run once over the
period and split by its `period` column; a whole-period query may name a `monthly:`
companion that gives the same rows for every month at once, so that the door scans once and
splits by month instead of running the query once per month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from terrain.queries.catalogue import Query
from terrain.queries.combine import suppression_of
from terrain.queries.dates import months_between
from terrain.queries.errors import QueryError
from terrain.queries.limit import TimeLimit
from terrain.queries.seen import as_seen
from terrain.queries.viewer import Viewer


def months_for(query: Query, params: Mapping[str, Any], who: Viewer) -> list[tuple[dt.date, dt.date]]:
    """The months a query is run for, one by one; none when it is run once for the period.
    A query that counts no one (weather, nights) hides nothing, so it runs once."""
    if not who.months_only or not {"start", "end"} <= query.params or not query.hides:
        return []
    return months_between(params["start"], params["end"])


def monthly_rows(db: TimeLimit, query: Query, params: Mapping[str, Any],
                 months: list[tuple[dt.date, dt.date]], whole: pd.DataFrame | None = None) -> list[pd.DataFrame]:
    """Each month's rows of a month-grain query, as if it had been run for that month alone.

    A month-grain query groups its rows by `period`, the month they fall in, so its run over
    the whole period holds each month's run: it is run once and split (one scan instead of
    one per month). A query without a `period` column is run month by month.
    tests/test_queries.py checks, for every such query, that the split equals the runs.
    """
    whole = db.rows(query.sql, params) if whole is None else whole
    if "period" not in whole.columns:
        return [db.rows(query.sql, {**params, "start": first, "end": last}) for first, last in months]
    period = pd.to_datetime(whole["period"]).dt.date
    return [whole[(period == first).to_numpy()].reset_index(drop=True) for first, _ in months]


def months_as_seen(query: Query, whole: pd.DataFrame, who: Viewer,
                   lines: tuple[tuple[str, ...], ...], month_count: int) -> pd.DataFrame:
    """A month series (rows grouped by `period`) as the viewer sees it, each month suppressed as
    if it had been run alone, rows in month order.

    A month where no count is small hides nothing, whatever its lines (partners only protect
    a small cell), so all such months are suppressed together, cell by cell; each month with a
    small count is suppressed alone with its lines. The same cells are hidden as by one run per
    month, for a fraction of the work: most months of a long series have no small count, and
    months with no row cost nothing.
    """
    k = who.threshold
    period = pd.to_datetime(whole["period"]).to_numpy()
    order = np.argsort(period, kind="stable")
    whole, period = whole.take(order).reset_index(drop=True), period[order]
    counts = [c for c in query.counts if c in whole.columns]
    values = whole[counts].to_numpy(dtype="float64", na_value=np.nan)
    small = ((values >= 1) & (values < k)).any(axis=1) if k > 1 else np.zeros(len(whole), dtype=bool)
    alone = np.isin(period, np.unique(period[small]))
    pieces = [(np.flatnonzero(~alone), ())] + [(np.flatnonzero(period == month), lines)
                                               for month in np.unique(period[alone])]
    parts, positions = [], []
    for rows, month_lines in pieces:
        if len(rows) or not positions:
            parts.append(as_seen(query, whole.iloc[rows].reset_index(drop=True), who, month_lines))
            positions.append(rows)
    shown = [part for part in parts if not part.empty] or parts[:1]
    frame = pd.concat(shown, ignore_index=True)
    at = np.concatenate([rows for rows, part in zip(positions, parts) if not part.empty] or [np.arange(0)])
    frame = frame.iloc[np.argsort(at, kind="stable")].reset_index(drop=True) if len(at) == len(frame) else frame
    frame.attrs = {}
    if (suppression := suppression_of(parts)) is not None:
        frame.attrs["suppression"] = {**suppression, "months": month_count}
    return frame


def month_numbers(whole: pd.DataFrame, months: list[tuple[dt.date, dt.date]]) -> np.ndarray:
    """For each row of a month-grain result, the rank of its month among the months that have
    rows (0, 1, …, in month order)."""
    firsts = np.array([np.datetime64(first, "D") for first, _ in months])
    periods = pd.to_datetime(whole["period"]).to_numpy().astype("datetime64[D]")
    if not np.isin(periods, firsts).all():
        raise QueryError("A monthly companion's `period` must be the first day of a month of the period asked.")
    return np.unique(np.searchsorted(firsts, periods), return_inverse=True)[1].reshape(-1)


def lines_within_a_month(query: Query) -> tuple[tuple[str, ...], ...]:
    """The lines of a time series that still mean something in a one-month run.

    A line that does not name the period ("city" in rows per period and city) declares a
    total over the periods. Month by month there is one period, so such a line would declare
    each cell its own published total, and hide every neighbour of a hidden cell in turn. No
    such total reaches a role that sees months other than as a sum of visible monthly cells,
    so these lines are left out; lines within the period and the whole table's ("*") stay.
    """
    return tuple(line for line in query.lines if not line or "period" in line)


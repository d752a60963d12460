"""Small computations on query results that several pages and the briefs share."""

from __future__ import annotations

import pandas as pd

from terrain import disclosure


def total(frame: pd.DataFrame, column: str) -> int:
    """A total as it may be published: hidden cells are left out (see disclosure)."""
    if frame.empty or column not in frame.columns:
        return 0
    return disclosure.published_total(frame, column)


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change, or None when there is nothing to compare with."""
    if current is None or previous is None or pd.isna(current) or pd.isna(previous) or previous == 0:
        return None
    return (current - previous) / previous


def ratio(numerator: float, denominator: float) -> float | None:
    if not denominator:
        return None
    return numerator / denominator

"""Small computations on query results that several pages and the briefs share."""

from __future__ import annotations

import numpy as np
import pandas as pd

from terrain import disclosure


def total(frame: pd.DataFrame, column: str) -> int | None:
    """A total as it may be published: hidden cells are left out (see disclosure).

    None when every non-zero cell is hidden: the visible sum would read as a false zero."""
    if frame.empty or column not in frame.columns:
        return 0
    visible = disclosure.published_total(frame, column)
    if visible == 0 and frame[column].isna().any():
        return None
    return visible


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change, or None when there is nothing to compare with."""
    if current is None or previous is None or pd.isna(current) or pd.isna(previous) or previous == 0:
        return None
    return (current - previous) / previous


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def leaves_out_hidden(frame: pd.DataFrame, column: str) -> bool:
    """Whether a total of `column` leaves hidden cells out (a cell hidden, or a figure that
    itself leaves out a hidden month): it is then a lower bound, shown "≥ N"."""
    if frame.empty or column not in frame.columns:
        return False
    return bool(frame[column].isna().any()) or any(partial_flags(frame, column))


def partial_flags(frame: pd.DataFrame, column: str) -> list[bool]:
    """For each row, whether its figure leaves out a hidden month. The door gives the flags
    of its whole result, by row number; a slice of it keeps its rows' numbers as index."""
    flags = (frame.attrs.get("suppression") or {}).get("partial_rows", {}).get(column)
    if not flags:
        return [False] * len(frame)
    return [bool(flags[i]) if isinstance(i, (int, np.integer)) and 0 <= i < len(flags) else False
            for i in frame.index]

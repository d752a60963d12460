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


def hidden_marks(frame: pd.DataFrame, column: str) -> list[str | None]:
    """For each row, how its hidden figure reads: "small" ("< k": one small cell), "protect"
    ("[c]": hidden to protect another, or a sum of hidden cells that may be k or more), or
    None (shown, or a result that does not tell them apart: every hidden cell reads "< k").
    By row number, as `partial_flags`."""
    marks = (frame.attrs.get("suppression") or {}).get("hidden_marks", {}).get(column)
    if not marks:
        return [None] * len(frame)
    return [marks[i] if isinstance(i, (int, np.integer)) and 0 <= i < len(marks) else None for i in frame.index]


def marks_told_apart(frame: pd.DataFrame) -> bool:
    """Whether the result's hidden figures are marked small or neutral (published sets)."""
    return bool((frame.attrs.get("suppression") or {}).get("hidden_marks"))

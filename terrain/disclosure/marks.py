"""How a published figure reads: shown, hidden as small ("< 11"), hidden to protect another
cell ("[c]"), or a sum that leaves hidden cells out ("≥ N").

One legend for every output. Where the marks are told apart (k > 10, terrain/disclosure/
attack.py `distinct_marks`), a reader knows that a small cell holds 1 to k - 1, a cell of a
breakdown marked whole ("small or zero", read "< k" too) 0 to k - 1, and a protecting one at
least k; a sum's lower bound says no more than that. Under the internal threshold every
hidden cell reads alike and may be 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from terrain.disclosure import attack


@dataclass(frozen=True)
class Sum:
    """Published cells added up (months of a measure, say)."""
    shown: int          # the shown cells' total
    small: int          # how many cells are hidden as small
    protect: int        # how many are hidden to protect another
    k: int
    small_or_zero: int = 0   # how many are marked small or zero (0 to k - 1)

    @property
    def hidden(self) -> int:
        return self.small + self.protect + self.small_or_zero

    @property
    def exact(self) -> int | None:
        """The figure, when no cell of it is hidden."""
        return self.shown if not self.hidden else None

    @property
    def lower_bound(self) -> int:
        """The least the figure can be, from the shown cells and the marks alone."""
        if not attack.distinct_marks(self.k):
            return self.shown
        return self.shown + self.small + self.protect * attack.protect_floor(self.k)

    def mark(self) -> str:
        """'shown'; 'small' ("< k") for a figure that is one small cell (or one small-or-zero
        cell) and zeros; 'protect' for
        hidden cells and nothing shown to bound them to k or more; 'at_least' for a lower
        bound of k or more."""
        if not self.hidden:
            return "shown"
        if (attack.distinct_marks(self.k) and self.small + self.small_or_zero == 1 and not self.protect
                and not self.shown):
            return "small"
        # A bound under k ("at least 2") says no more than the marks, and reads as a small
        # count shown: such a sum is told as hidden.
        return "at_least" if self.lower_bound >= self.k else "protect"


def add_up(values: Iterable, statuses: Iterable[str], k: int) -> Sum:
    """Cells of a published set (value, status 'shown' / 'small' / 'small_or_zero' /
    'protect'), added up."""
    shown = small = protect = small_or_zero = 0
    for value, status in zip(values, statuses):
        if status == "shown":
            shown += 0 if value is None or pd.isna(value) else int(value)
        elif status == "small":
            small += 1
        elif status == "protect":
            protect += 1
        elif status == "small_or_zero":
            small_or_zero += 1
        else:
            raise ValueError(f"Unknown cell status {status!r}.")
    return Sum(shown, small, protect, k, small_or_zero)

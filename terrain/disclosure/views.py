"""A page's query answered from an audience's published set instead of the rows.

A query that donors or public outputs reach declares, in its header, how its columns are read
from the published cells (terrain/disclosure/publication.py):

    -- published: consultations by activity
    -- published: bed_nights_occupied, nights_full as nights_at_capacity, turned_away
    -- published: consultations, consultations[health_coverage=none] as without_coverage
    -- published: consultations[diagnosis_group=hypothermia_frostbite+respiratory_infection] as cold_related

Each item is a measure's total in a city and month, or its cells summed over some categories
of one breakdown (`[breakdown=a+b]`: a derived figure, hidden when any of its cells is), or,
for one item at most, the categories of a breakdown as rows (`by`). The query door
(terrain/queries/) reads the cells month by month and puts the months together as it does
for any month-grain or whole-period query; nothing here reads a row of the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from terrain.disclosure import publication

_ITEM = re.compile(
    r"(?P<measure>[a-z_]+)"
    r"(?:\s+by\s+(?P<by>[a-z_]+)|\[(?P<breakdown>[a-z_]+)=(?P<categories>[^\]]+)\])?"
    r"(?:\s+as\s+(?P<column>[a-z_]+))?")
# Columns the door can work out from the month alone. A winter season (1 November to 31 March)
# is named by the year it starts; a query with a season has rows for winter months only.
WINTER_MONTHS = (11, 12, 1, 2, 3)
CALENDAR = {"season": lambda month: month.year if month.month >= 11 else month.year - 1}
ONLY_MONTHS = {"season": WINTER_MONTHS}


class SpecError(ValueError):
    """A `-- published:` header that does not name cells of the published sets."""


@dataclass(frozen=True)
class PublishedColumn:
    column: str                       # the query's column (or, for `by`, the value column)
    measure: str
    breakdown: str = "all"
    categories: tuple[str, ...] = ("*",)
    by: bool = False                  # the breakdown's categories are rows

    @property
    def category_columns(self) -> tuple[str, ...]:
        return publication.CATEGORY_COLUMNS.get(self.breakdown, (self.breakdown,)) if self.by else ()


def parse(spec: str) -> tuple[PublishedColumn, ...]:
    items = []
    for text in (part.strip() for part in spec.split(",") if part.strip()):
        match = _ITEM.fullmatch(text)
        if not match:
            raise SpecError(f"{text!r} is not 'measure', 'measure by breakdown' or 'measure[breakdown=a+b]', "
                            "optionally followed by 'as column'.")
        measure = match["measure"]
        if measure not in publication.MEASURE:
            raise SpecError(f"{measure!r} is not a published measure ({', '.join(publication.MEASURE)}).")
        breakdown = match["by"] or match["breakdown"] or "all"
        if breakdown != "all" and breakdown not in publication.MEASURE[measure].breakdowns:
            raise SpecError(f"{measure!r} has no breakdown {breakdown!r}.")
        categories = tuple(match["categories"].split("+")) if match["categories"] else (
            publication.CATEGORIES[breakdown] if match["by"] else ("*",))
        unknown = [c for c in categories if c not in publication.CATEGORIES[breakdown]]
        if unknown:
            raise SpecError(f"{unknown} are not categories of {breakdown!r}.")
        items.append(PublishedColumn(match["column"] or measure, measure, breakdown, categories, bool(match["by"])))
    if sum(item.by for item in items) > 1:
        raise SpecError("at most one item can give its categories as rows ('by').")
    columns = [item.column for item in items]
    if len(set(columns)) != len(columns):
        raise SpecError(f"columns named twice: {sorted({c for c in columns if columns.count(c) > 1})}.")
    return tuple(items)


def measures(items: tuple[PublishedColumn, ...]) -> list[str]:
    return sorted({item.measure for item in items})


def breakdowns(items: tuple[PublishedColumn, ...]) -> list[str]:
    """The breakdowns whose cells the items read (what published_cells_by_city_month is
    asked for, with `measures`)."""
    return sorted({item.breakdown for item in items})


def provided(items: tuple[PublishedColumn, ...]) -> set[str]:
    """The columns a published view gives (besides `period`, `city` and rates)."""
    return {c for item in items for c in (item.column, *item.category_columns)}


def month_rows(cells: pd.DataFrame, items: tuple[PublishedColumn, ...]) -> pd.DataFrame:
    """The query's rows per month and city from its published cells (rows of
    published_cells_by_city_month), a hidden figure <NA> with its mark beside it
    (`mark_column`). A summed item is hidden when any of its cells is. Rows where every value
    is a shown 0 are left out, as a query over the rows has no row where nothing happened.
    `period` is the month's first day (datetime64)."""
    # Each cell's place (its month and city), numbered in the order places are first seen.
    place, first = groups(cells, ["period", "city"])
    measure = cells["measure"].to_numpy(dtype=object)
    breakdown = cells["breakdown"].to_numpy(dtype=object)
    category = cells["category"].to_numpy(dtype=object)
    value = cells["value"].to_numpy(dtype="float64", na_value=np.nan)
    by = next((item for item in items if item.by), None)
    columns: dict[str, object] = {}
    if by is not None:
        at = np.flatnonzero((measure == by.measure) & (breakdown == by.breakdown))
        columns |= {"period": cells["period"].to_numpy()[at], "city": cells["city"].array.take(at)}
        columns[by.column] = _counts(value[at], np.isnan(value[at]))
        status = cells["status"].to_numpy(dtype=object)[at]
        columns[mark_column(by.column)] = np.array([_MARK_OF_STATUS.get(s) for s in status], dtype=object)
        parts = [str(c).split(" ", len(by.category_columns) - 1) for c in category[at]]
        for i, column in enumerate(by.category_columns):
            columns[column] = np.array([part[i] for part in parts], dtype=object)
        row_place = place[at]
    else:
        columns |= {"period": cells["period"].to_numpy()[first], "city": cells["city"].array.take(first)}
        row_place = np.arange(len(first))
    summed = [item for item in items if not item.by]
    if summed:
        # Every summed item's cells at once: per item, month and city, the sum of the shown
        # values, how many cells are hidden and how many of those are small, counted with
        # numpy over each cell's place among the rows' places.
        hidden_cell = np.isnan(value)
        shown_cell = np.where(hidden_cell, 0.0, value)
        small_cell = cells["status"].isin(("small", "small_or_zero")).to_numpy(dtype=bool)

        def per_row(at: np.ndarray, weights: np.ndarray) -> np.ndarray:
            """The cells `at` added up by month and city, for each row."""
            return np.bincount(place[at], weights=weights, minlength=len(first))[row_place]
        for item in summed:
            at = np.flatnonzero((measure == item.measure) & (breakdown == item.breakdown)
                                & np.isin(category, list(item.categories)))
            found = per_row(at, np.ones(len(at))) > 0   # none of its cells in a month and city: no figure
            rest, n_hidden, small = (per_row(at, cell[at]) for cell in (shown_cell, hidden_cell, small_cell))
            off = ~found | (n_hidden > 0)
            columns[item.column] = pd.arrays.IntegerArray(rest.astype(np.int64), off)
            # How a hidden figure reads: "small" when it is one small cell and zeros, else a
            # neutral mark (a sum of hidden cells may be k or more).
            columns[mark_column(item.column)] = np.where(
                ~off, None, np.where((n_hidden == 1) & (small == 1) & (rest == 0), "small", "protect")).astype(object)
    nothing = np.ones(len(row_place), dtype=bool)
    for item in items:
        figures = columns[item.column]
        nothing &= ~figures.isna() & (figures.to_numpy(dtype="int64", na_value=-1) == 0)
    keep = np.flatnonzero(~nothing)
    return pd.DataFrame({c: v[keep] for c, v in columns.items()})


def groups(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group among the distinct values of `keys` (a missing value is a value),
    numbered in the order the groups are first seen, and the first row of each group. No
    keys: one group (none for no row)."""
    if not keys:
        return np.zeros(len(frame), dtype=np.int64), np.arange(min(len(frame), 1))
    group = np.zeros(len(frame), dtype=np.int64)
    for c in keys:
        # the groups so far, each split by this key's values (numbered again at each key, so
        # that the numbers stay below the number of rows squared whatever the keys)
        code, uniques = pd.factorize(frame[c], sort=False, use_na_sentinel=False)
        group = pd.factorize(group * (len(uniques) + 1) + code, sort=False)[0].astype(np.int64)
    return group, np.unique(group, return_index=True)[1]


def _counts(values: np.ndarray, hidden: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(hidden, 0, values).astype(np.int64), hidden)


MARK_PREFIX = "__mark_"
# How a hidden cell reads on a page: a cell of a breakdown marked whole (0 to k - 1) reads as a
# small one, "< k", which is true of it too.
_MARK_OF_STATUS = {"small": "small", "small_or_zero": "small", "protect": "protect"}


def mark_column(column: str) -> str:
    """The companion column that says how a hidden figure of `column` reads ("small",
    "protect"; None where it is shown). The door takes it off before anyone sees the rows."""
    return f"{MARK_PREFIX}{column}"

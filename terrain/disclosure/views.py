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


def provided(items: tuple[PublishedColumn, ...]) -> set[str]:
    """The columns a published view gives (besides `period`, `city` and rates)."""
    return {c for item in items for c in (item.column, *item.category_columns)}


def month_rows(cells: pd.DataFrame, items: tuple[PublishedColumn, ...]) -> pd.DataFrame:
    """The query's rows per month and city from its published cells (rows of
    published_cells_by_city_month), a hidden figure <NA> with its mark beside it
    (`mark_column`). A summed item is hidden when any of its cells is. Rows where every value
    is a shown 0 are left out, as a query over the rows has no row where nothing happened."""
    cells = cells.assign(period=pd.to_datetime(cells["period"]).dt.date)
    keys = ["period", "city"]
    by = next((item for item in items if item.by), None)
    if by is not None:
        mine = cells[(cells["measure"] == by.measure) & (cells["breakdown"] == by.breakdown)]
        rows = mine[[*keys, "category", "value"]].rename(columns={"value": by.column})
        rows[mark_column(by.column)] = [status if status in ("small", "protect") else None for status in mine["status"]]
        parts = [str(c).split(" ", len(by.category_columns) - 1) for c in rows["category"]]
        for i, column in enumerate(by.category_columns):
            rows[column] = [part[i] for part in parts]
        rows = rows.drop(columns="category")
    else:
        rows = cells[keys].drop_duplicates()
    for item in items:
        if item.by:
            continue
        mine = cells[(cells["measure"] == item.measure) & (cells["breakdown"] == item.breakdown)
                     & cells["category"].isin(item.categories)]
        by_key = [mine[k] for k in keys]
        values = mine["value"].groupby(by_key, sort=False).sum(min_count=1).astype("Int64")
        hidden = mine["value"].isna().groupby(by_key, sort=False).any()
        values[hidden.reindex(values.index).to_numpy(dtype=bool)] = pd.NA
        # How a hidden figure reads: "small" when it is one small cell and zeros, else a
        # neutral mark (a sum of hidden cells may be k or more).
        small = (mine["status"] == "small").groupby(by_key, sort=False).sum()
        n_hidden = mine["value"].isna().groupby(by_key, sort=False).sum()
        rest = mine["value"].fillna(0).groupby(by_key, sort=False).sum()
        mark = pd.Series(np.where(n_hidden == 0, None, np.where((n_hidden == 1) & (small == 1) & (rest == 0),
                                                                "small", "protect")), index=values.index, dtype=object)
        rows = rows.merge(pd.DataFrame({item.column: values, mark_column(item.column): mark}).reset_index(),
                          on=keys, how="left")
    value_columns = [item.column for item in items]
    for column in value_columns:
        rows[column] = pd.array(rows[column], dtype="Int64")
    nothing = np.ones(len(rows), dtype=bool)
    for column in value_columns:
        nothing &= (rows[column] == 0).fillna(False).to_numpy(dtype=bool)
    return rows[~nothing].reset_index(drop=True)


MARK_PREFIX = "__mark_"


def mark_column(column: str) -> str:
    """The companion column that says how a hidden figure of `column` reads ("small",
    "protect"; None where it is shown). The door takes it off before anyone sees the rows."""
    return f"{MARK_PREFIX}{column}"

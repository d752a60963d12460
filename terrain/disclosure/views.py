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
        rows[mark_column(by.column)] = [_MARK_OF_STATUS.get(status) for status in mine["status"]]
        parts = [str(c).split(" ", len(by.category_columns) - 1) for c in rows["category"]]
        for i, column in enumerate(by.category_columns):
            rows[column] = [part[i] for part in parts]
        rows = rows.drop(columns="category")
    else:
        rows = cells[keys].drop_duplicates()
    summed = [item for item in items if not item.by]
    if summed:
        # Every summed item's cells at once, each tagged with its column (a cell may serve
        # several items): per column, month and city, the sum of the shown values, how many
        # cells are hidden and how many of those are small.
        of_breakdown = cells.groupby(["measure", "breakdown"], sort=False).indices
        category = cells["category"].to_numpy(dtype=object)
        picked = []
        for item in summed:
            at = of_breakdown.get((item.measure, item.breakdown), np.array([], dtype=np.int64))
            at = at[np.isin(category[at], list(item.categories))]
            picked.append(cells.iloc[at][[*keys, "value", "status"]].assign(column=item.column))
        mine = pd.concat(picked, ignore_index=True)
        hidden = mine["value"].isna().to_numpy()
        parts = pd.DataFrame({"column": mine["column"], "period": mine["period"], "city": mine["city"],
                              "rest": mine["value"].fillna(0).to_numpy(dtype=np.int64), "hidden": hidden,
                              "small": mine["status"].isin(("small", "small_or_zero")).to_numpy(dtype=bool)})
        totals = parts.groupby(["column", *keys], sort=False)[["rest", "hidden", "small"]].sum()
        at = pd.MultiIndex.from_frame(rows[keys])
        named = set(totals.index.get_level_values("column"))
        for item in summed:
            if item.column in named:
                mine = totals.xs(item.column, level="column").reindex(at)
            else:   # none of its cells in these months and cities
                mine = pd.DataFrame({"rest": np.nan, "hidden": 0, "small": 0}, index=at)
            found = mine["rest"].notna().to_numpy()
            n_hidden, small = mine["hidden"].to_numpy(), mine["small"].to_numpy()
            values = pd.array(mine["rest"].to_numpy(), dtype="Int64")
            values[~found | (n_hidden > 0)] = pd.NA
            # How a hidden figure reads: "small" when it is one small cell and zeros, else a
            # neutral mark (a sum of hidden cells may be k or more).
            mark = np.where(~found | (n_hidden == 0), None,
                            np.where((n_hidden == 1) & (small == 1) & (mine["rest"].to_numpy() == 0),
                                     "small", "protect"))
            rows[item.column] = values
            rows[mark_column(item.column)] = pd.Series(mark, dtype=object).to_numpy()
    value_columns = [item.column for item in items]
    for column in value_columns:
        rows[column] = pd.array(rows[column], dtype="Int64")
    nothing = np.ones(len(rows), dtype=bool)
    for column in value_columns:
        nothing &= (rows[column] == 0).fillna(False).to_numpy(dtype=bool)
    return rows[~nothing].reset_index(drop=True)


MARK_PREFIX = "__mark_"
# How a hidden cell reads on a page: a cell of a breakdown marked whole (0 to k - 1) reads as a
# small one, "< k", which is true of it too.
_MARK_OF_STATUS = {"small": "small", "small_or_zero": "small", "protect": "protect"}


def mark_column(column: str) -> str:
    """The companion column that says how a hidden figure of `column` reads ("small",
    "protect"; None where it is shown). The door takes it off before anyone sees the rows."""
    return f"{MARK_PREFIX}{column}"

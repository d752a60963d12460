"""Each audience's published set: one grid of cells, suppressed as a whole, once per data version.

Everything a donor or the public sees (pages, downloads, maps, briefs, the `publish` pack) is
read from these cells, never from the rows. The grid is fixed, so that two readers, two pages
or two periods always meet the same cells hidden alike:

- one cell per **measure** × **breakdown category** × **city** × **calendar month**, zeros
  included, from the first month with data to the last whole month before the data's as-of
  date (the month in progress is never published);
- **margins**: a measure's total over the categories of each breakdown (breakdown `all`,
  category `*`: the same total for every breakdown, so the breakdowns of the consultations
  are tied to one another through it), and the total over the cities (city `*`);
- **relations** between measures, declared in `RELATIONS`: minors turned away are among all
  the people turned away; an unaccompanied minor is under 18 or of unknown age (the schema's
  rule); bed-nights occupied are at most twice those available;
- **derived measures** are published only as the sum of their base cells (`DERIVED`): cold-
  related consultations are the hypothermia and respiratory cells, added up by whoever reads
  them, so no new cell can be set against the base ones (their share is of the medical
  consultations, the `activity` cell `medical`: queries/winter_people_by_city_month.sql).

Suppression (`suppress_block`) works on one block at a time, a family of measures in one month
(no relation crosses months or families): counts of people from 1 to k - 1 are hidden as small;
where small and protecting cells are marked apart, a place whose total of a measure is small
has every cell of its breakdowns marked "small or zero" (0 to k - 1), zeros included, since a
total of at most k - 1 over several small cells each known to hold at least 1 would narrow
them all (nine consultations over seven diagnosis groups: each group 1 to 4, the total 7 to
10); then partners are hidden until every hidden cell keeps at least `attack.MIN_VALUES` possible
values against the integer program of terrain/disclosure/attack.py, which sees what the
audience sees. Nights, beds and weather count no one and are published as they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from terrain import definitions
from terrain.disclosure import attack, thresholds
from terrain.disclosure.attack import PROTECT, SHOWN, SMALL, SMALL_OR_ZERO, Relation

AUDIENCES = ("donor", "public", "advocacy")
# Whose rules each published set follows (terrain/disclosure/thresholds.py holds the thresholds).
_RULES = {"donor": ("donor", "public"), "public": ("advocacy", "public"), "advocacy": ("advocacy", "internal")}
ALL_CITIES = "*"
TOTAL = ("all", "*")
KEY_COLUMNS = ("measure", "breakdown", "category", "city")   # a cell of a block; then its month
STATUS_NAMES = {SHOWN: "shown", SMALL: "small", PROTECT: "protect", SMALL_OR_ZERO: "small_or_zero"}
_STATUS_TEXT = np.array([STATUS_NAMES.get(code) for code in range(max(STATUS_NAMES) + 1)], dtype=object)
GRID_SQL = Path(__file__).with_name("grid_cells_from_rows.sql")
TABLES_SQL = Path(__file__).with_name("published_tables.sql")
MAX_REPAIR_ROUNDS = 500
TABLES = ("published_grid", "published_grid_sets", "published_grid_months", "published_grid_cities",
          "published_grid_blocks")


def threshold(audience: str) -> int:
    if audience not in _RULES:
        raise ValueError(f"Unknown audience {audience!r}; expected one of {', '.join(AUDIENCES)}.")
    return thresholds.threshold(*_RULES[audience])


@dataclass(frozen=True)
class Measure:
    name: str
    family: str                     # measures linked by relations are suppressed together
    breakdowns: tuple[str, ...]     # besides the total ("all")
    counts_people: bool             # False: nights and beds, published as they are
    over_cities: bool = True        # the total over cities is published (city "*")
    hxl: str = ""


MEASURES = (
    Measure("consultations", "consultations",
            ("activity", "diagnosis_group", "age_sex", "unaccompanied_minor", "health_coverage", "visit_referred"),
            True, hxl="#indicator+consultations"),
    Measure("bed_nights_occupied", "shelter", (), True, hxl="#indicator+bed_nights+occupied"),
    # Refusals: people turned away counted night by night, so not #affected (which counts people).
    Measure("turned_away", "shelter", (), True, hxl="#indicator+num+refusals"),
    Measure("turned_away_minors", "shelter", (), True, hxl="#indicator+num+refusals+children"),
    Measure("turned_away_girls", "shelter", (), True, hxl="#indicator+num+refusals+f+children"),
    Measure("turned_away_on_cold_nights", "shelter", (), True, hxl="#indicator+num+refusals+cold"),
    Measure("bed_nights_available", "shelter", (), False, hxl="#capacity+bed_nights"),
    Measure("nights_open", "shelter", (), False, over_cities=False, hxl="#indicator+nights_open"),
    Measure("nights_full", "shelter", (), False, over_cities=False, hxl="#indicator+nights_full"),
    Measure("emergency_nights_open", "shelter", (), False, over_cities=False, hxl="#indicator+nights_open+emergency"),
    Measure("cold_nights", "shelter", (), False, over_cities=False, hxl="#indicator+nights+cold"),
    Measure("cold_nights_without_emergency_shelter", "shelter", (), False, over_cities=False,
            hxl="#indicator+nights+cold+no_emergency_shelter"),
    Measure("people_reached", "outreach", ("place_type",), True, hxl="#reached"),
    Measure("doses", "vaccination", ("antigen",), True, hxl="#indicator+doses"),
)
MEASURE = {m.name: m for m in MEASURES}
FAMILIES = tuple(dict.fromkeys(m.family for m in MEASURES))

_AGES = ("0-14", "15-17", "18-24", "25-34", "35+", "unknown")
_SEXES = ("F", "M", "X")
# A breakdown crossing two categories names its cells "a b" (age band and sex, visit and
# referral); CATEGORY_COLUMNS says which columns a reader's rows split them into.
CATEGORY_COLUMNS = {"age_sex": ("age_band", "sex"), "visit_referred": ("visit", "referred")}
CATEGORIES: dict[str, tuple[str, ...]] = {
    "all": ("*",),
    "activity": ("medical", "mental_health", "social", "legal"),
    "diagnosis_group": (
        "respiratory_infection", "skin_infection_scabies", "trauma_violence", "hypothermia_frostbite",
        "mental_health", "digestive", "acute_diarrhoea", "chronic_disease", "dental",
        "musculoskeletal", "foot_wounds", "eye_ear", "urinary_genital", "pregnancy_care",
        "sexual_violence", "suspected_measles", "tuberculosis_suspected", "fever_other",
        "vaccination_check", "other"),
    "age_sex": tuple(f"{age} {sex}" for age in _AGES for sex in _SEXES),
    "unaccompanied_minor": ("yes", "no", "unknown"),
    "health_coverage": ("none", "AME", "PUMa_CSS", "unknown"),
    "visit_referred": tuple(f"{visit} {referred}" for visit in ("new", "follow_up") for referred in ("yes", "no")),
    "place_type": ("street", "squat", "camp"),
    "antigen": ("measles", "mmr", "dtp", "hepatitis_b", "influenza", "covid19"),
}

# Relations between measures, in every city and in the total over cities:
# (name, [(measure, breakdown, category, coefficient)...]) meaning sum(coefficient × cell) <= 0.
RELATIONS = (
    ("minors among the people turned away",
     (("turned_away_minors", "all", "*", 1.0), ("turned_away", "all", "*", -1.0))),
    ("girls among the people turned away",
     (("turned_away_girls", "all", "*", 1.0), ("turned_away", "all", "*", -1.0))),
    ("people turned away on cold nights among all people turned away",
     (("turned_away_on_cold_nights", "all", "*", 1.0), ("turned_away", "all", "*", -1.0))),
    ("at most two people a bed (mattresses on the floor)",
     (("bed_nights_occupied", "all", "*", 1.0), ("bed_nights_available", "all", "*", -2.0))),
    ("an unaccompanied minor is under 18 or of unknown age",
     (("consultations", "unaccompanied_minor", "yes", 1.0),
      *(("consultations", "age_sex", f"{age} {sex}", -1.0) for age in ("0-14", "15-17", "unknown") for sex in _SEXES))),
)
# Measures published only as sums of base cells: (measure, breakdown, categories added up).
DERIVED = {
    "cold_related_consultations": ("consultations", "diagnosis_group", ("hypothermia_frostbite", "respiratory_infection")),
}


def _keys(family: str, cities: list[str]) -> list[tuple[str, str, str, str]]:
    """Every cell of one month of a family, in a fixed order: (measure, breakdown, category, city)."""
    keys = []
    for measure in (m for m in MEASURES if m.family == family):
        places = [*cities, ALL_CITIES] if measure.over_cities else list(cities)
        for breakdown in ("all", *measure.breakdowns):
            for category in CATEGORIES[breakdown]:
                keys.extend((measure.name, breakdown, category, city) for city in places)
    return keys


def _relations(keys: list[tuple[str, str, str, str]], cities: list[str]) -> list[Relation]:
    """The margins and declared relations of one month of a family, over positions in `keys`."""
    at = {key: i for i, key in enumerate(keys)}
    relations = []
    measures = dict.fromkeys(key[0] for key in keys)
    for name in measures:
        measure = MEASURE[name]
        places = [*cities, ALL_CITIES] if measure.over_cities else list(cities)
        for breakdown in measure.breakdowns:   # categories add up to the total, in each place
            for city in places:
                parts = [at[(name, breakdown, category, city)] for category in CATEGORIES[breakdown]]
                relations.append(Relation((*parts, at[(name, *TOTAL, city)]), (*[1.0] * len(parts), -1.0)))
        if measure.over_cities:
            for breakdown in ("all", *measure.breakdowns):   # cities add up to the total over cities
                for category in CATEGORIES[breakdown]:
                    parts = [at[(name, breakdown, category, city)] for city in cities]
                    relations.append(Relation((*parts, at[(name, breakdown, category, ALL_CITIES)]),
                                              (*[1.0] * len(parts), -1.0)))
    for _, terms in RELATIONS:
        if not all(term[0] in measures for term in terms):
            continue
        for city in [*cities, ALL_CITIES]:
            cells = [(at.get((m, b, c, city)), coefficient) for m, b, c, coefficient in terms]
            if all(position is not None for position, _ in cells):
                relations.append(Relation(tuple(p for p, _ in cells), tuple(c for _, c in cells), inequality=True))
    return relations


def block_layout(family: str, cities: list[str]) -> tuple[list[tuple[str, str, str, str]], list[Relation]]:
    """The cells of one month of a family, in their fixed order, and the relations between them."""
    keys = _keys(family, cities)
    return keys, _relations(keys, cities)


# --- suppression of one block ------------------------------------------------------------------

class _Tables:
    """A block's cells as tables, one per measure and breakdown: its places (cities, then the
    total over cities, as in the block's keys) as rows, the breakdown's categories as columns,
    each entry a cell's position in the block. Made when first asked for."""

    def __init__(self, keys: list[tuple[str, str, str, str]], at: dict[tuple[str, str, str, str], int]):
        self._keys, self._at = keys, at
        self._places: dict[str, list[str]] = {}
        self._tables: dict[tuple[str, str], np.ndarray] = {}

    def places(self, measure: str) -> list[str]:
        if measure not in self._places:
            self._places[measure] = list(dict.fromkeys(key[3] for key in self._keys if key[0] == measure))
        return self._places[measure]

    def place(self, measure: str, city: str) -> int:
        return self.places(measure).index(city)

    def table(self, measure: str, breakdown: str) -> np.ndarray:
        if (measure, breakdown) not in self._tables:
            self._tables[(measure, breakdown)] = np.array(
                [[self._at[(measure, breakdown, category, place)] for category in CATEGORIES[breakdown]]
                 for place in self.places(measure)], dtype=np.int64)
        return self._tables[(measure, breakdown)]


def suppress_block(values: np.ndarray, sensitive: np.ndarray, keys: list[tuple[str, str, str, str]],
                   relations: list[Relation], k: int) -> tuple[np.ndarray, int]:
    """The status of every cell of a block (SHOWN, SMALL, SMALL_OR_ZERO or PROTECT), and how
    many hidden cells could not be protected (0 unless the block's relations pin a cell
    whatever is hidden).

    Small counts of people (1 to k - 1) are hidden; where the marks are told apart, the
    breakdowns of a place whose total is small are marked whole (`_open_rows`).
    Each total that then holds a single hidden cell gets a partner. Then the integer program
    bounds every hidden cell, and each cell left with too few possible values gets a move: in
    its breakdown's table (cities and the total over cities as rows, categories as columns),
    the three other corners of the cheapest rectangle through it are hidden, so that it can go
    up and down with them while every margin stays the same; a city's total moves with one
    pair of cells in every breakdown. Partners are counts of at least k (a zero is shown or
    already marked, a small count is already hidden), those with room to move first. Repeated
    until no hidden cell is exposed; then the last resorts, each followed by the same repair,
    for what partners do not protect.
    """
    status = np.zeros(len(values), dtype=np.int8)
    if k <= 1:
        return status, 0
    status[sensitive & (values >= 1) & (values < k)] = SMALL
    if not status.any():
        return status, 0
    layout = _Tables(keys, {key: i for i, key in enumerate(keys)})
    if attack.distinct_marks(k):
        # A place whose total is small has all its breakdowns marked whole: fewer than k
        # people, so every cell under k, marked alike, says no more than the total does (shown
        # one by one, zeros as 0 and each small cell as at least 1, they pin the total and
        # each other).
        small_totals = [int(i) for i in np.flatnonzero(status == SMALL) if keys[i][1:3] == TOTAL]
        _open_rows(status, sensitive, values, keys, layout, small_totals, k)
    floor = attack.protect_floor(k)
    roomy = floor + attack.values_needed(k) - 1
    of_cell: dict[int, list[int]] = {}
    for r, relation in enumerate(relations):
        for cell in relation.cells:
            of_cell.setdefault(int(cell), []).append(r)

    # What a reader loses when a cell is hidden: pages show cities, and add them up where
    # they need all cities, so a total over cities is the cheapest partner; a city's total of
    # a measure (its headline, its trend) the dearest.
    weight = np.array([0.1 if key[3] == ALL_CITIES else 10.0 if key[1:3] == TOTAL else 1.0 for key in keys])

    def costs(cells: np.ndarray) -> np.ndarray:
        """What hiding each cell costs: nothing if hidden, its weighted value if it can protect,
        inf if it cannot (a zero, a count of no one, a small count)."""
        value = values[cells]
        cost = value * weight[cells] + np.where(value >= roomy, 0.0, 1e6)
        cost[value < max(k, 1)] = np.inf
        if floor == 0:
            cost[value == 0] = 1e9   # a zero, where zeros may protect: the last resort
        cost[~sensitive[cells]] = np.inf
        cost[status[cells] != SHOWN] = 0.0
        return cost

    def hide(cells) -> list[int]:
        added = [int(c) for c in cells if status[c] == SHOWN]
        status[added] = PROTECT
        return added

    def slack(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """How far each cell can go down and up under its mark (hidden as it is, or as a partner)."""
        value = values[cells].astype(float)
        small = (status[cells] == SMALL) & bool(floor)
        under_k = small | ((status[cells] == SMALL_OR_ZERO) & bool(floor))
        return (np.where(small, value - 1.0, np.where(under_k, value, value - float(floor))),
                np.where(under_k, k - 1.0 - value, np.inf))

    def rectangle(cell: int) -> list[int]:
        measure, breakdown, category, city = keys[cell]
        table = layout.table(measure, breakdown)   # places × categories, positions in the block
        here = layout.place(measure, city)
        there = [p for p in range(table.shape[0]) if p != here]
        if breakdown != "all":
            own = CATEGORIES[breakdown].index(category)
            others = [c for c in range(table.shape[1]) if c != own]
            # every rectangle through the cell, other places first, then other categories
            row = np.tile(table[here, others], len(there))
            column = np.repeat(table[there, own], len(others))
            diagonal = table[np.ix_(there, others)].ravel()
            total = costs(row) + costs(column) + costs(diagonal)
            (down, up), (row_down, row_up) = slack(np.array([cell])), slack(row)
            (column_down, column_up), (diagonal_down, diagonal_up) = slack(column), slack(diagonal)
            # the cell goes up as its row and column partners go down, and the other way
            moves = (np.minimum.reduce([np.broadcast_to(up, row.shape), row_down, column_down, diagonal_up])
                     + np.minimum.reduce([np.broadcast_to(down, row.shape), row_up, column_up, diagonal_down]))
            total = np.where(np.isfinite(total) & (moves < attack.values_needed(k) - 1), total + 1e7, total)
            if not len(total) or not np.isfinite(total).any():
                return []
            best = int(np.argmin(total))   # the first of the cheapest
            return hide([row[best], column[best], diagonal[best]])
        breakdowns = MEASURE[measure].breakdowns
        if not breakdowns or not there:
            return []
        total, chosen = costs(table[there, 0]), [[int(c)] for c in table[there, 0]]
        for each in breakdowns:   # a city's total: one pair of cells in every breakdown
            pairs = layout.table(measure, each)
            pair_costs = costs(pairs[here, :])[None, :] + costs(pairs[there, :].ravel()).reshape(len(there), -1)
            cheapest = np.argmin(pair_costs, axis=1)
            total = total + pair_costs[np.arange(len(there)), cheapest]
            for i, c in enumerate(cheapest):
                chosen[i] += [int(pairs[here, c]), int(pairs[there[i], c])]
        if not np.isfinite(total).any():
            return []
        return hide(chosen[int(np.argmin(total))])

    def partner(cell: int) -> list[int]:
        near = np.array([c for r in of_cell.get(cell, []) for c in relations[r].cells], dtype=np.int64)
        candidates = [(price, int(c)) for price, c in zip(costs(near), near)
                      if np.isfinite(price) and status[c] == SHOWN]
        if not candidates:
            return []
        return hide([min(candidates)[1]])

    for relation in relations:   # every total with a single hidden cell gets a partner
        if not relation.inequality and int(np.count_nonzero(status[list(relation.cells)])) == 1:
            hidden = next(int(c) for c in relation.cells if status[c] != SHOWN)
            rectangle(hidden) or partner(hidden)
    # Repaired against the linear relaxation first (a cell it finds exposed is exposed, and it
    # is ten times faster), then against whole numbers until nothing is exposed. Hiding a cell
    # only widens what the others can hold (the truth stays within every mark, so the reader's
    # set of possible tables only grows): after a round, only the cells still exposed and
    # those just hidden need their ranges worked out again.
    # Programs solved, kept for the block: the whole-number pass begins with the relaxation
    # the first pass solved, and a repair leaves most components as they were.
    solved: dict = {}
    witnessed: dict = {}   # and the whole-number values each cell was seen to take: hiding only widens

    def repair() -> list[int]:
        bad: list[int] = []
        again: set[int] | None = None
        for integer in (False, True):
            again = None     # the first round looks at every hidden cell
            for _ in range(MAX_REPAIR_ROUNDS):
                lowest, highest = attack.ranges(values, status, relations, k, only=again,
                                                enough=attack.values_needed(k), integer=integer, solved=solved,
                                                witnessed=witnessed)
                bad = [int(c) for c in attack.exposed(lowest, highest, k)]
                if not bad:
                    break
                again = set(bad)
                repaired = False
                for cell in bad:
                    added = rectangle(cell) or partner(cell)
                    again.update(added)
                    repaired = repaired or bool(added)
                if not repaired:
                    break
        if bad or again is None:
            return bad
        # the last rounds looked at the repaired cells only: check the whole block once more
        lowest, highest = attack.ranges(values, status, relations, k, enough=attack.values_needed(k), solved=solved,
                                        witnessed=witnessed)
        return [int(c) for c in attack.exposed(lowest, highest, k)]

    def hide_around(cells: list[int], whole_tables: bool) -> bool:
        """Hide every count of at least k that shares a margin or a relation with one of
        `cells`, or, with `whole_tables`, every one of their breakdowns' tables (all places,
        all categories): the last resorts when no rectangle of partners gives a cell room."""
        if whole_tables:
            near = np.concatenate([layout.table(keys[cell][0], keys[cell][1]).ravel() for cell in cells])
        else:
            near = np.array([c for cell in cells for r in of_cell.get(cell, []) for c in relations[r].cells],
                            dtype=np.int64)
        return bool(hide(near[np.isfinite(costs(near)) & (values[near] >= max(k, 1))]))

    def withhold_block(_) -> bool:
        """Hide every count of people of the block: under k marked small or zero (where the
        marks are told apart), k or more as protecting."""
        before = status.copy()
        if attack.distinct_marks(k):
            status[sensitive & (values < k) & (status != PROTECT)] = SMALL_OR_ZERO
        hide(np.flatnonzero(sensitive & ((values >= k) | (floor == 0))))
        return not np.array_equal(before, status)

    # What the partners do not protect (the small cells of a row add up to a small sum, and the
    # row is tied to a small one elsewhere, or a column shown whole pins what a few small rows
    # hold together): the rows of those cells are marked whole, then their neighbours of at
    # least k are hidden, then their breakdowns' whole tables, then every count of people of
    # the block, repairing after each step.
    steps = [lambda cells: attack.distinct_marks(k) and _open_rows(status, sensitive, values, keys, layout, cells, k),
             lambda cells: hide_around(cells, whole_tables=False),
             lambda cells: hide_around(cells, whole_tables=True),
             withhold_block]
    bad = repair()
    while bad:
        if not any(step(bad) for step in steps):
            break
        bad = repair()
    return status, len(bad)


def _open_rows(status: np.ndarray, sensitive: np.ndarray, values: np.ndarray, keys: list[tuple[str, str, str, str]],
               layout: _Tables, cells: list[int], k: int) -> bool:
    """Mark SMALL_OR_ZERO every cell under k of the row of each of `cells` (its place's cells
    of its breakdown; every breakdown of the place for a total), zeros included. Whether any
    cell changed."""
    changed = False
    for cell in cells:
        measure, breakdown, _, place = keys[cell]
        here = layout.place(measure, place)
        for each in (MEASURE[measure].breakdowns if breakdown == "all" else (breakdown,)):
            row = layout.table(measure, each)[here]
            under = row[sensitive[row] & (values[row] < k) & np.isin(status[row], (SHOWN, SMALL))]
            status[under] = SMALL_OR_ZERO
            changed = changed or bool(len(under))
    return changed


# --- the grid ------------------------------------------------------------------------------------

def months_published(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    """The first month with data and the last whole month before the data's as-of date."""
    found = con.execute("""
        SELECT (SELECT data_as_of FROM metadata),
               least((SELECT min(consulted_on) FROM consultations_daily), (SELECT min(night) FROM shelter_nights),
                     (SELECT min(visited_on) FROM outreach), (SELECT min(vaccinated_on) FROM vaccinations))
    """).fetchall()
    if not found or found[0][0] is None or found[0][1] is None:
        return None
    as_of, first_day = found[0]
    following = as_of + dt.timedelta(days=1)
    last = (following.replace(day=1) - dt.timedelta(days=1)).replace(day=1)   # last whole month
    first = first_day.replace(day=1)
    return (first, last) if first <= last else None


def approve_through(con: duckdb.DuckDBPyConnection, last_month: dt.date, by: str, at: dt.datetime) -> int:
    """Record every month up to `last_month` (at most the last whole month) as approved by
    `by`, for each city with a site open in it (months already approved are kept as they
    are): what an upgrade from before approvals, the demo and test databases start from
    (terrain/approvals.py approves one city's month at a time). Reads the metadata and the
    sites only, so it runs inside a writer's block before the derived tables exist. Returns
    the approvals made."""
    before = con.execute("SELECT count(*) FROM month_approvals").fetchone()[0]
    con.execute("""
        INSERT INTO month_approvals
        SELECT DISTINCT s.city, m.month::DATE, $by, $at
        FROM range((SELECT date_trunc('month', min(opened)) FROM sites),
                   least($last::DATE, date_trunc('month', (SELECT data_as_of FROM metadata) + 1) - INTERVAL 1 MONTH)
                       + INTERVAL 1 MONTH,
                   INTERVAL 1 MONTH) AS m(month)
        JOIN sites AS s ON s.opened <= last_day(m.month) AND (s.closed IS NULL OR s.closed >= m.month)
        ON CONFLICT DO NOTHING""", {"by": by, "at": at, "last": last_month})
    return con.execute("SELECT count(*) FROM month_approvals").fetchone()[0] - before


def true_grid(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every cell of the grid with its true value (zeros included). Reads the rows."""
    span = months_published(con)
    columns = ["measure", "breakdown", "category", "city", "month", "value"]
    if span is None:
        return pd.DataFrame(columns=columns)
    first, last = span
    definitions.ensure(con)
    found = con.execute(GRID_SQL.read_text(encoding="utf-8"), {"first_month": first, "last_month": last}).df()
    cities = [row[0] for row in con.execute("SELECT DISTINCT city FROM sites ORDER BY city").fetchall()]
    months = pd.date_range(first, last, freq="MS").date
    frames = []
    for family in FAMILIES:
        keys = pd.DataFrame(_keys(family, cities), columns=columns[:4])
        frames.append(keys.merge(pd.DataFrame({"month": months}), how="cross"))
    grid = pd.concat(frames, ignore_index=True)
    found["month"] = pd.to_datetime(found["month"]).dt.date
    by_city = found.groupby(["measure", "breakdown", "category", "month"], as_index=False)["value"].sum()
    by_city["city"] = ALL_CITIES
    values = pd.concat([found, by_city[columns]], ignore_index=True)
    grid = grid.merge(values, on=columns[:5], how="left")
    grid["value"] = grid["value"].fillna(0).astype("int64")
    return grid


def build(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """(Re)build the published sets of every audience inside the writer's database file.

    Called by terrain.store.new_database before a new file is swapped in, like the summary
    tables, so every data version carries its own published sets. Returns, per audience,
    what was built: cells, hidden cells, cells that could not be protected, seconds, and
    its blocks (a family in a month), how many of them solved (the others were found
    suppressed already, in the previous version or earlier in this build).

    A block whose cells, layout and threshold are those of a block of the previous version
    (the writer's file starts as a copy of it), suppressed by the same code, is taken as it
    was (`published_grid_blocks`): suppression is a function of those alone, so the cells
    are those a new solve would give, and an import that changes a week solves that week's
    month only."""
    known = _known_blocks(con)
    con.execute(TABLES_SQL.read_text(encoding="utf-8"))
    grid = true_grid(con)
    report: dict[str, dict] = {}
    if grid.empty:
        return {audience: {"cells": 0, "hidden": 0, "exposed": 0, "seconds": 0.0, "blocks": 0, "blocks_solved": 0}
                for audience in AUDIENCES}
    cities = sorted(c for c in grid["city"].unique() if c != ALL_CITIES)
    done: dict[int, tuple[np.ndarray, int, float, int, int]] = {}
    # the grid's cells as Arrow columns, which each audience's values and statuses join
    cells = pa.table({**{c: pa.array(grid[c].to_numpy(dtype=object), type=pa.string()) for c in KEY_COLUMNS},
                      "month": pa.array(grid["month"].to_numpy(dtype=object), type=pa.date32())})
    made: dict[str, tuple[str, int, np.ndarray, int]] = {}
    for audience in AUDIENCES:
        k = threshold(audience)
        if k not in done:
            started = time.perf_counter()
            status, left, blocks, solved = _suppress_grid(grid, cities, k, known, made)
            done[k] = (status, left, time.perf_counter() - started, blocks, solved)
        status, left, seconds, blocks, solved = done[k]
        published = cells.append_column("value", pa.array(grid["value"].to_numpy(), type=pa.int64(),
                                                          mask=status != SHOWN))
        published = published.append_column("status", pa.array(_STATUS_TEXT[status], type=pa.string()))
        con.register("published_frame", published)
        con.execute("""
            INSERT INTO published_grid
            SELECT $audience, measure, breakdown, category, city, month, value, status, $k FROM published_frame
        """, {"audience": audience, "k": k})
        con.unregister("published_frame")
        report[audience] = {"k": k, "cells": int(len(grid)), "hidden": int((status != SHOWN).sum()),
                            "exposed": int(left), "seconds": round(seconds, 2), "blocks": blocks,
                            "blocks_solved": solved}
    blocks = pd.DataFrame([(digest, family, k, _statuses_text(statuses), left)
                           for digest, (family, k, statuses, left) in made.items()],
                          columns=["digest", "family", "k", "statuses", "exposed"])
    con.register("blocks_frame", blocks)
    con.execute("INSERT INTO published_grid_blocks SELECT * FROM blocks_frame")
    con.unregister("blocks_frame")
    for audience, facts in report.items():
        con.execute("""
            INSERT INTO published_grid_sets VALUES ($audience, $k, $exposed)
        """, {"audience": audience, "k": facts["k"], "exposed": facts["exposed"]})
    con.execute("""
        INSERT INTO published_grid_months
        SELECT audience, month, count(*), count(*) FILTER (WHERE status <> 'shown')
        FROM published_grid
        GROUP BY audience, month
    """)
    con.execute("""
        INSERT INTO published_grid_cities
        SELECT s.city, m.month
        FROM (SELECT DISTINCT month FROM published_grid_months) AS m
        JOIN sites AS s ON s.opened <= last_day(m.month) AND (s.closed IS NULL OR s.closed >= m.month)
        UNION
        SELECT city, month
        FROM published_grid
        WHERE audience = 'donor' AND city <> $everywhere
          AND measure NOT IN ('cold_nights', 'cold_nights_without_emergency_shelter')
          AND (value > 0 OR status <> 'shown')
    """, {"everywhere": ALL_CITIES})
    return report


# What a block's statuses are worked out by: this module (the grid's layout, the relations,
# suppress_block), the integer program (attack.py) and its solver. A change to any of them
# makes every block of the next build new.
_SUPPRESSED_BY = hashlib.blake2b(
    Path(__file__).read_bytes() + Path(attack.__file__).read_bytes()
    + importlib.metadata.version("highspy").encode(), digest_size=16).digest()


def block_digest(family: str, k: int, keys: list[tuple[str, str, str, str]], values: np.ndarray,
                 sensitive: np.ndarray) -> str:
    """What a block's statuses are a function of: its family, threshold, cells in their order
    (the cities among them, which give its relations), their values and which count people,
    and the code that suppresses it."""
    return _digest_of_block(_digest_of_layout(family, k, keys), values, sensitive)


def _digest_of_layout(family: str, k: int, keys: list[tuple[str, str, str, str]]):
    """The part of a block's digest that every month of a family shares (hashed once a build)."""
    digest = hashlib.blake2b(_SUPPRESSED_BY, digest_size=20)
    digest.update(repr((family, int(k), keys)).encode("utf-8"))
    return digest


def _digest_of_block(layout, values: np.ndarray, sensitive: np.ndarray) -> str:
    digest = layout.copy()
    digest.update(np.ascontiguousarray(values, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(sensitive, dtype=bool).tobytes())
    return digest.hexdigest()


def _statuses_text(statuses: np.ndarray) -> str:
    return (np.asarray(statuses, dtype=np.uint8) + ord("0")).tobytes().decode("ascii")


def _may_be_of(statuses: np.ndarray, values: np.ndarray, sensitive: np.ndarray, k: int) -> bool:
    """Whether statuses kept for a block fit it at first sight: one per cell, known marks
    only, every small count of people hidden. (A file whose kept blocks were changed by
    hand is then solved again rather than trusted.)"""
    if len(statuses) != len(values) or not np.isin(statuses, list(STATUS_NAMES)).all():
        return False
    small = sensitive & (values >= 1) & (values < k) if k > 1 else np.zeros(len(values), dtype=bool)
    return bool((statuses[small] != SHOWN).all())


def _known_blocks(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[np.ndarray, int]]:
    """The blocks the file's previous version suppressed, by digest (none in a new file, or
    in one built before blocks were kept)."""
    present = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' "
                          "AND table_name = 'published_grid_blocks'").fetchall()[0][0]
    if not present:
        return {}
    return {digest: (np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int8) - ord("0"), int(exposed))
            for digest, text, exposed in con.execute(
                "SELECT digest, statuses, exposed FROM published_grid_blocks").fetchall()}


def _suppress_grid(grid: pd.DataFrame, cities: list[str], k: int, known: dict[str, tuple[np.ndarray, int]],
                   made: dict[str, tuple[str, int, np.ndarray, int]]) -> tuple[np.ndarray, int, int, int]:
    """Every cell's status, the cells left exposed, how many blocks, and how many of them
    were solved (the others found in `known` or `made`); each block's statuses are added to
    `made` by digest."""
    status = np.zeros(len(grid), dtype=np.int8)
    left = 0
    blocks = solved = 0
    measure_of_row, measures = pd.factorize(grid["measure"])
    counts_people = np.array([MEASURE[m].counts_people for m in measures], dtype=bool)[measure_of_row]
    families = np.array([MEASURE[m].family for m in measures], dtype=object)[measure_of_row]
    month_of_row = pd.factorize(grid["month"], sort=True)[0]
    # each row's cell (measure, breakdown, category, city) as one number, and the same number
    # for a block's keys: a row's place in its block is then found by a hash lookup
    cell_of_row = np.zeros(len(grid), dtype=np.int64)
    numbering = []
    for column in KEY_COLUMNS:
        codes, names = pd.factorize(grid[column])
        if (codes < 0).any():
            raise ValueError(f"The grid holds a cell with no {column}")
        cell_of_row = cell_of_row * (len(names) + 1) + codes
        numbering.append(({name: code for code, name in enumerate(names)}, len(names) + 1))
    all_values = grid["value"].to_numpy()
    for family in FAMILIES:
        keys = _keys(family, cities)
        relations = _relations(keys, cities)
        layout = _digest_of_layout(family, k, keys)
        rows = np.flatnonzero(families == family)
        if not len(rows):
            continue
        # each grid row's place in its block's keys; then the rows by month, each month's in
        # the keys' order: one block after another
        cell_of_key = []
        for key in keys:
            number = 0
            for part, (codes, size) in zip(key, numbering):
                number = number * size + codes.get(part, size - 1)   # size - 1: a name no row has
            cell_of_key.append(number)
        local = pd.Index(cell_of_key).get_indexer(cell_of_row[rows])
        if (local < 0).any():
            raise ValueError(f"The grid holds a cell of {family} outside its block's layout")
        months = month_of_row[rows]
        in_order = np.lexsort((local, months))
        for block in np.split(rows[in_order], np.flatnonzero(np.diff(months[in_order])) + 1):
            values, sensitive = all_values[block], counts_people[block]
            digest = _digest_of_block(layout, values, sensitive)
            blocks += 1
            if digest not in made:
                kept = known.get(digest)
                if kept is None or not _may_be_of(kept[0], values, sensitive, k):
                    kept, solved = suppress_block(values, sensitive, keys, relations, k), solved + 1
                made[digest] = (family, k, *kept)
            _, _, block_status, block_left = made[digest]
            status[block] = block_status
            left += block_left
    return status, left, blocks, solved

"""The published sets (terrain/disclosure/publication.py), the `publish` pack and the release ledger.

The first tests attack the pack as its reader would: an integer program built from nothing but
cells.csv and metadata.json, and solved here (`_Program`), not with the builder's own model and
code (terrain/disclosure/attack.py), so that a mistake shared by the builder and its checker
cannot hide an exposed cell. The true values come from the rows of the same database.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
import highspy
from scipy.optimize import LinearConstraint

from terrain import SCHEMA_VERSION, demo, filters, queries, store
from terrain.__main__ import main
from terrain.disclosure import ledger, publication
from terrain.disclosure.attack import PROTECT, SHOWN, SMALL, SMALL_OR_ZERO, Relation

D = dt.date
AS_OF = D(2026, 11, 30)   # the reference demo (tests/conftest.py): the full default, 2016-01-01 to 2026-11-30
MIN_VALUES = 5           # the fewest possible values a hidden cell may keep (restated, not imported)
CAP = 10_000_000         # an upper bound far above any count (see `_bound_group`)


# --- the database and the packs, built once -------------------------------------------------------

@pytest.fixture(scope="module")
def full_db(reference_demo, tmp_path_factory) -> Path:
    path = shutil.copyfile(reference_demo, tmp_path_factory.mktemp("full") / "terrain.duckdb")
    # every whole month approved (the demo leaves its last one waiting): these tests compare
    # what donors and managers read, month by month, up to the last whole month
    with duckdb.connect(str(path)) as con:
        publication.approve_through(con, AS_OF, "test", dt.datetime.combine(AS_OF, dt.time(9, 0)))
    return path


@pytest.fixture(scope="module")
def audit_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("audit")


@pytest.fixture(scope="module")
def packs(full_db, audit_dir, tmp_path_factory) -> dict[str, Path]:
    """The donor and public packs, written by the real command (the public one goes in a
    ledger of its own)."""
    out = tmp_path_factory.mktemp("packs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TERRAIN_AUDIT_DIR", str(audit_dir))
        for audience in ("donor", "public"):
            assert main(["publish", "--audience", audience, "--db", str(full_db), "--out", str(out / audience),
                         "--user", "tester"]) == 0
    return {audience: out / audience for audience in ("donor", "public")}


@pytest.fixture(scope="module")
def truth(full_db) -> pd.DataFrame:
    """Every cell's true value, keyed as the pack writes it."""
    with duckdb.connect(str(full_db), read_only=True) as con:
        grid = publication.true_grid(con)
    return grid.assign(month=pd.to_datetime(grid["month"]).dt.strftime("%Y-%m"))


def read_pack(folder: Path) -> tuple[pd.DataFrame, dict]:
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    cells = pd.read_csv(folder / "cells.csv", skiprows=[1], dtype=str, keep_default_na=False)
    return cells, meta


def _key_of(frame: pd.DataFrame) -> list[tuple]:
    return list(zip(frame["measure"], frame["breakdown"], frame["category"], frame["city"], frame["month"]))


# --- an attacker that reads the pack only ----------------------------------------------------------

@dataclass
class Attack:
    """What a reader of one pack works out: the range of every hidden cell."""
    cells: int = 0
    hidden: int = 0
    blocks: int = 0
    solves: int = 0
    seconds: float = 0.0
    margins_checked: int = 0   # margins and relations whose cells are all shown
    ranges: dict = field(default_factory=dict)         # (measure, breakdown, category, city, month) -> (low, high)
    untrue: list = field(default_factory=list)         # a true value outside the model: the model is wrong
    inconsistent: list = field(default_factory=list)   # a margin of shown cells that does not add up


def block_rows(meta: dict, family: str) -> list[tuple[list[tuple[tuple, float]], bool]]:
    """The margins and relations of one family's month, read from the metadata: each a list of
    (cell key, coefficient) and whether it is an equality (else sum <= 0)."""
    dimensions = meta["dimensions"]
    cities, everywhere, categories = dimensions["city"], dimensions["all_cities"], dimensions["categories"]
    total = categories["all"][0]
    measures = [m for m in meta["measures"] if m["family"] == family]
    rows = []
    for m in measures:
        places = [*cities, everywhere] if m["total_over_cities"] else list(cities)
        for breakdown in m["breakdowns"]:
            if breakdown == "all":
                continue
            for place in places:   # the categories of each breakdown add up to the total
                rows.append(([((m["name"], breakdown, c, place), 1.0) for c in categories[breakdown]]
                             + [((m["name"], "all", total, place), -1.0)], True))
        if m["total_over_cities"]:
            for breakdown in m["breakdowns"]:   # the cities add up to '*'
                for category in categories[breakdown]:
                    rows.append(([((m["name"], breakdown, category, city), 1.0) for city in cities]
                                 + [((m["name"], breakdown, category, everywhere), -1.0)], True))
    names = {m["name"] for m in measures}
    family_of = {m["name"]: m["family"] for m in meta["measures"]}
    for relation in meta["relations"]:
        assert relation["sense"].startswith("sum(coefficient * cell) <= 0, in each city and in '*'")
        assert len({family_of[term["measure"]] for term in relation["terms"]}) == 1, "a relation across blocks"
        if {term["measure"] for term in relation["terms"]} <= names:
            for place in [*cities, everywhere]:
                rows.append(([((t["measure"], t["breakdown"], t["category"], place), float(t["coefficient"]))
                              for t in relation["terms"]], False))
    return rows


def attack_pack(cells: pd.DataFrame, meta: dict, truth: dict | None = None) -> Attack:
    """Bound every hidden cell of the pack, block by block (a family of measures in a month).

    `truth` (key -> true value) is used only to check that the model holds the truth, never
    to solve."""
    result = Attack(cells=len(cells))
    kind = {mark: name for name, mark in meta["marks"].items()}
    knows = meta["reader_knows"]
    # kinds of hidden cells told apart by the reader's bounds must be marked apart
    for name, mark in meta["marks"].items():
        assert knows[name] == knows[kind[mark]], f"{name} and {kind[mark]} share the mark {mark!r}"
    low_of = {name: float(knows[name][0]) for name in meta["marks"]}
    high_of = {name: float(CAP if knows[name][1] is None else knows[name][1]) for name in meta["marks"]}
    family_of = {m["name"]: m["family"] for m in meta["measures"]}
    cells = cells.assign(family=cells["measure"].map(family_of))
    assert cells["family"].notna().all()
    rows_of = {family: block_rows(meta, family) for family in dict.fromkeys(family_of.values())}
    started = time.perf_counter()
    for (family, month), block in cells.groupby(["family", "month"], sort=True):
        keys = list(zip(block["measure"], block["breakdown"], block["category"], block["city"]))
        assert len(set(keys)) == len(keys)
        value = dict(zip(keys, block["value"]))
        mark = dict(zip(keys, block["mark"]))
        hidden = [key for key in keys if mark[key]]
        assert all(value[key] == "" for key in hidden) and all(value[key] != "" for key in keys if not mark[key])
        result.hidden += len(hidden)
        position = {key: i for i, key in enumerate(hidden)}
        equal, at_most = [], []
        for terms, is_equality in rows_of[family]:
            assert all(key in value for key, _ in terms), f"a margin names a cell the pack lacks: {terms}"
            coefficients = np.zeros(len(hidden))
            constant = 0.0
            for key, coefficient in terms:
                if key in position:
                    coefficients[position[key]] += coefficient
                else:
                    constant += coefficient * int(value[key])
            if not coefficients.any():
                result.margins_checked += 1
                holds = constant == 0 if is_equality else constant <= 0
                if not holds:
                    result.inconsistent.append((month, terms))
                continue
            (equal if is_equality else at_most).append((coefficients, -constant))
        if not hidden:
            continue
        result.blocks += 1
        low = np.array([low_of[kind[mark[key]]] for key in hidden])
        high = np.array([high_of[kind[mark[key]]] for key in hidden])
        if truth is not None:
            _check_truth([(month, key) for key in hidden], truth, low, high, equal, at_most, result)
        lowest, highest, solves = _bound(low, high, equal, at_most)
        result.solves += solves
        for key, lo, hi in zip(hidden, lowest, highest):
            result.ranges[(*key, month)] = (lo, hi)
    result.seconds = time.perf_counter() - started
    return result


def _check_truth(cells, truth, low, high, equal, at_most, result) -> None:
    x = np.array([truth[(*key, month)] for month, key in cells], dtype=float)
    wrong = [cells[i] for i in np.flatnonzero((x < low) | (x > high))]
    wrong += [("margin", cells[0][0], list(np.flatnonzero(c))) for c, b in equal if np.dot(c, x) != b]
    wrong += [("relation", cells[0][0], list(np.flatnonzero(c))) for c, b in at_most if np.dot(c, x) > b]
    result.untrue.extend(wrong)


def _bound(low: np.ndarray, high: np.ndarray, equal: list, at_most: list) -> tuple[np.ndarray, np.ndarray, int]:
    """The smallest and largest whole value of each hidden cell of a block. Cells that no row
    links are independent: the block is solved one linked group at a time (same answer, smaller
    programs); a cell no row names is bounded by its mark alone."""
    n = len(low)
    group = list(range(n))

    def find(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for coefficients, _ in (*equal, *at_most):
        first, *others = (find(int(i)) for i in np.flatnonzero(coefficients))
        for other in others:
            group[other] = find(first)
    lowest, highest = low.copy(), high.copy()
    solves = 0
    for root in sorted({find(i) for i in range(n)}):
        members = np.array([i for i in range(n) if find(i) == root])
        constraints = []
        for rows, is_equality in ((equal, True), (at_most, False)):
            mine = [(c[members], b) for c, b in rows if c[members].any()]
            if mine:
                rhs = np.array([b for _, b in mine])
                matrix = np.array([c for c, _ in mine])
                constraints.append(LinearConstraint(matrix, rhs if is_equality else -np.inf, rhs))
        if constraints:
            lowest[members], highest[members], count = _bound_group(low[members], high[members], constraints)
            solves += count
    return lowest, highest, solves


class _Program:
    """A linked group's integer program (its cells' bounds and the rows that tie them), for
    one objective after another. Each is solved over the real numbers first, from where the
    last one left off: an optimum there that is a whole-number point is the whole-number
    optimum (no whole-number point does better than the best real one, and this one is
    whole). Any other is solved again in whole numbers, with no gap allowed between the
    optimum found and its bound. (HiGHS through highspy: scipy's `milp` takes 3 ms a program,
    most of it setting the program up again, and the attack solves thousands.)"""

    def __init__(self, low: np.ndarray, high: np.ndarray, constraints: list[LinearConstraint]):
        matrix = np.vstack([np.atleast_2d(c.A) for c in constraints])
        lower = np.concatenate([np.broadcast_to(c.lb, (np.atleast_2d(c.A).shape[0],)) for c in constraints])
        upper = np.concatenate([np.broadcast_to(c.ub, (np.atleast_2d(c.A).shape[0],)) for c in constraints])
        self.n = matrix.shape[1]
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = self.n, matrix.shape[0]
        model.col_cost_ = np.zeros(self.n)
        model.col_lower_, model.col_upper_ = low.astype(float), high.astype(float)
        model.row_lower_ = np.where(np.isinf(lower), -highspy.kHighsInf, lower).astype(float)
        model.row_upper_ = upper.astype(float)
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        rows, columns = np.nonzero(matrix.T)   # column by column
        model.a_matrix_.start_ = np.searchsorted(rows, np.arange(self.n + 1)).astype(np.int32)
        model.a_matrix_.index_ = columns.astype(np.int32)
        model.a_matrix_.value_ = matrix.T[rows, columns].astype(float)
        self.model = model
        self.real, self.whole = self._solver(integer=False), None

    def _solver(self, integer: bool) -> highspy.Highs:
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        if integer:
            solver.setOptionValue("mip_rel_gap", 0.0)
            solver.setOptionValue("mip_abs_gap", 0.0)
        solver.passModel(self.model)
        if integer:
            solver.changeColsIntegrality(self.n, np.arange(self.n, dtype=np.int32),
                                         np.full(self.n, int(highspy.HighsVarType.kInteger), dtype=np.uint8))
        return solver

    def optimum(self, objective: np.ndarray) -> np.ndarray:
        """A whole-number point that minimises `objective`."""
        point = self._solve(self.real, objective)
        if not np.allclose(point, np.round(point), rtol=0.0, atol=1e-7):
            self.whole = self.whole or self._solver(integer=True)
            point = self._solve(self.whole, objective)
        return np.round(point)

    def _solve(self, solver: highspy.Highs, objective: np.ndarray) -> np.ndarray:
        solver.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), objective.astype(float))
        solver.run()
        state = solver.getModelStatus()
        assert state == highspy.HighsModelStatus.kOptimal, f"the pack's own figures are infeasible or unsolved: {state}"
        return np.array(solver.getSolution().col_value)


def _bound_group(low: np.ndarray, high: np.ndarray, constraints) -> tuple[np.ndarray, np.ndarray, int]:
    """The smallest and largest whole value of each of a linked group of cells.

    Every solution found is a whole-number point the reader cannot rule out, so a cell whose
    values across solutions already span MIN_VALUES is protected without a solve of its own
    (its range is then the span seen, which the true range contains). Two solutions that push
    the small cells down and the others up, then the other way, cover most cells first. CAP
    only removes values a reader could not rule out: a range found under it is never wider
    than the true one. No gap is allowed between a whole-number optimum and its bound: a
    cell's least value is its least value, not one close to it."""
    n = len(low)
    seen_low, seen_high = np.full(n, np.inf), np.full(n, -np.inf)
    lowest, highest = np.full(n, np.nan), np.full(n, np.nan)
    solves = 0

    program = _Program(low, high, constraints)

    def solve(objective: np.ndarray) -> np.ndarray:
        nonlocal solves
        solves += 1
        point = program.optimum(objective)
        np.minimum(seen_low, point, out=seen_low)
        np.maximum(seen_high, point, out=seen_high)
        return point

    small_first = np.where(high < CAP, 1.0, -1.0)
    solve(small_first)
    solve(-small_first)
    for i in range(n):
        if seen_high[i] - seen_low[i] >= MIN_VALUES - 1:
            lowest[i], highest[i] = seen_low[i], seen_high[i]
            continue
        objective = np.zeros(n)
        objective[i] = 1.0
        lowest[i] = solve(objective)[i]
        if seen_high[i] - lowest[i] >= MIN_VALUES - 1:   # its least value is far enough below one seen
            highest[i] = seen_high[i]
            continue
        highest[i] = solve(-objective)[i]
    return lowest, highest, solves


# --- 1. the attack ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def attacks(packs, truth) -> dict[str, tuple[pd.DataFrame, dict, Attack]]:
    truth_of = dict(zip(_key_of(truth), truth["value"]))
    found, attacked = {}, {}
    for audience, folder in packs.items():
        cells, meta = read_pack(folder)
        # Donors and the public get the same cells: a pack the same as one attacked already,
        # in its cells and in all the attacker reads of its metadata, is attacked once.
        same = ((folder / "cells.csv").read_bytes(),
                json.dumps({key: meta[key] for key in ("marks", "reader_knows", "dimensions", "measures",
                                                        "relations")}, sort_keys=True))
        if same not in attacked:
            attacked[same] = attack_pack(cells, meta, truth_of)
        found[audience] = (cells, meta, attacked[same])
    return found


def narrowed(ranges: dict) -> list[tuple]:
    """Hidden cells a reader narrows to fewer than MIN_VALUES values, with their width. A cell
    the reader pins at 0 is not one: that says what a shown zero says (no one), as for a
    category with no one in any city under a breakdown marked whole."""
    return sorted((cell, high - low + 1) for cell, (low, high) in ranges.items()
                  if high - low + 1 < MIN_VALUES and high != 0)


@pytest.mark.parametrize("audience", ["donor", "public"])
def test_no_hidden_cell_of_the_pack_can_be_narrowed_below_five_values(attacks, audience):
    cells, meta, attack = attacks[audience]
    widths = {cell: high - low + 1 for cell, (low, high) in attack.ranges.items()}
    smallest = min(widths.values())
    print(f"\n{audience}: {attack.cells:,} cells, {attack.hidden:,} hidden in {attack.blocks} blocks; "
          f"smallest range found {smallest:.0f} values ({sum(w == smallest for w in widths.values())} cells); "
          f"{attack.solves:,} integer programs solved in {attack.seconds:.1f} s; "
          f"{attack.margins_checked:,} margins and relations of shown cells add up")

    assert meta["threshold"] == 11 and meta["min_values_per_hidden_cell"] == MIN_VALUES
    assert meta["reader_knows"]["small"] == [1, 10] and meta["reader_knows"]["protect"] == [11, None]
    assert meta["reader_knows"]["small_or_zero"] == [0, 10]
    assert attack.hidden > 1_000 and len(attack.ranges) == attack.hidden
    exposed = narrowed(attack.ranges)
    assert exposed == [], f"hidden cells a reader of the {audience} pack narrows to fewer than {MIN_VALUES} values"
    # a small cell's mark alone bounds it to 1..10, a small-or-zero one to 0..10
    assert all(widths[cell] <= 10 for cell, mark in zip(_key_of(cells), cells["mark"]) if mark == "< 11")
    assert all(widths[cell] <= 11 for cell, mark in zip(_key_of(cells), cells["mark"]) if mark == "[0-10]")


@pytest.mark.parametrize("audience", ["donor", "public"])
def test_every_mark_and_every_shown_figure_of_the_pack_is_true(attacks, truth, audience):
    cells, _, attack = attacks[audience]
    both = cells.merge(truth, on=["measure", "breakdown", "category", "city", "month"], how="outer", indicator=True)
    assert len(cells) == len(truth) and (both["_merge"] == "both").all()   # the whole grid, zeros included
    shown = both[both["mark"] == ""]
    assert (shown["value_x"].astype("int64") == shown["value_y"]).all()
    assert shown["value_y"].eq(0).any()   # zeros are shown
    small = both.loc[both["mark"] == "< 11", "value_y"]
    small_or_zero = both.loc[both["mark"] == "[0-10]", "value_y"]
    protect = both.loc[both["mark"] == "[c]", "value_y"]
    assert {"", "< 11", "[c]"} <= set(both["mark"]) <= {"", "< 11", "[0-10]", "[c]"}
    assert small.between(1, 10).all() and small_or_zero.between(0, 10).all() and (protect >= 11).all()
    # the model holds the truth (each true value within its mark, every margin and relation
    # exact), and every margin whose cells are all shown adds up
    assert attack.untrue == [] and attack.inconsistent == []
    assert attack.margins_checked > 10_000


def test_a_pack_of_few_people_marks_small_totals_rows_whole_and_gives_none_away(tmp_path, monkeypatch):
    """Seven months of a small programme (700 consultations): many a city's month holds
    fewer than 11 people, so its breakdowns are marked "[0-10]" whole, zeros included. The
    same attacker finds no hidden cell narrowed, every mark true."""
    db = tmp_path / "terrain.duckdb"
    demo.generate(db, consultations=700, seed=1, start=D(2023, 9, 1), as_of=D(2024, 4, 15))
    with duckdb.connect(str(db)) as con:
        publication.approve_through(con, D(2024, 3, 1), "test", dt.datetime(2024, 4, 15, 9))
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    assert main(["publish", "--audience", "donor", "--db", str(db), "--out", str(tmp_path / "pack"),
                 "--user", "tester"]) == 0
    cells, meta = read_pack(tmp_path / "pack")
    with duckdb.connect(str(db), read_only=True) as con:
        grid = publication.true_grid(con)
    truth = dict(zip(_key_of(grid.assign(month=pd.to_datetime(grid["month"]).dt.strftime("%Y-%m"))), grid["value"]))

    assert meta["marks"]["small_or_zero"] == "[0-10]" and meta["reader_knows"]["small_or_zero"] == [0, 10]
    marked_whole = [truth[key] for key, mark in zip(_key_of(cells), cells["mark"]) if mark == "[0-10]"]
    assert len(marked_whole) > 500 and 0 in marked_whole and max(marked_whole) <= 10 and max(marked_whole) >= 1
    attack = attack_pack(cells, meta, truth)
    assert attack.untrue == [] and attack.inconsistent == []
    assert narrowed(attack.ranges) == []


# --- 2. the grid adds up, and says what the rows say ---------------------------------------------

def published(db: Path, audience: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("""
            SELECT measure, breakdown, category, city, month, value, status, k
            FROM published_cells WHERE audience = $audience
        """, {"audience": audience}).df()


def test_shown_activities_add_up_to_the_consultations_of_their_city_and_month(full_db):
    cells = published(full_db, "donor")
    consultations = cells[cells["measure"] == "consultations"]
    activities = consultations[consultations["breakdown"] == "activity"]
    by_activity = activities.pivot_table(index=["city", "month"], columns="category", values="value", aggfunc="first")
    complete = by_activity.dropna()   # every activity shown
    totals = consultations[consultations["breakdown"] == "all"].set_index(["city", "month"])["value"]
    complete = complete[totals.reindex(complete.index).notna()]

    assert len(complete) > 300
    assert (complete.sum(axis=1) == totals.reindex(complete.index)).all()
    # ... and the cities add up to '*' wherever all six totals are shown
    by_city = totals.unstack("city").dropna()
    assert len(by_city) > 50
    assert (by_city.drop(columns="*").sum(axis=1) == by_city["*"]).all()


RAW_FIGURES = {
    # a measure's total per city and month, straight from the rows (not the summary tables)
    ("consultations", "all", "*"): """
        SELECT s.city, strftime(c.consulted_on, '%Y-%m') AS month, count(*) AS truth
        FROM consultations AS c JOIN sites AS s USING (site_id)
        WHERE c.consulted_on < $before GROUP BY ALL""",
    ("consultations", "activity", "legal"): """
        SELECT s.city, strftime(c.consulted_on, '%Y-%m') AS month, count(*) AS truth
        FROM consultations AS c JOIN sites AS s USING (site_id)
        WHERE c.consulted_on < $before AND c.activity = 'legal' GROUP BY ALL""",
    ("turned_away", "all", "*"): """
        SELECT s.city, strftime(n.night, '%Y-%m') AS month, sum(n.turned_away) AS truth
        FROM shelter_nights AS n JOIN sites AS s USING (site_id)
        WHERE n.night < $before GROUP BY ALL""",
    ("people_reached", "place_type", "squat"): """
        SELECT s.city, strftime(o.visited_on, '%Y-%m') AS month, sum(o.people_reached) AS truth
        FROM outreach AS o JOIN sites AS s ON s.site_id = o.team_id
        WHERE o.visited_on < $before AND o.place_type = 'squat' GROUP BY ALL""",
}


@pytest.mark.parametrize("cell", list(RAW_FIGURES), ids="/".join)
def test_published_figures_are_those_of_the_rows(full_db, packs, cell):
    """Every city and month of one measure, from the pack, against SQL on the raw rows: shown
    figures equal, '< 11' where the rows hold 1 to 10, '[c]' where they hold 11 or more."""
    cells, _ = read_pack(packs["public"])
    measure, breakdown, category = cell
    series = cells[(cells["measure"] == measure) & (cells["breakdown"] == breakdown)
                   & (cells["category"] == category) & (cells["city"] != "*")]
    with duckdb.connect(str(full_db), read_only=True) as con:
        rows = con.execute(RAW_FIGURES[cell], {"before": D(2026, 12, 1)}).df()
    both = series.merge(rows, on=["city", "month"], how="left").fillna({"truth": 0})
    assert len(both) == 5 * 131   # five cities, January 2016 to November 2026
    shown = both[both["mark"] == ""]
    assert (shown["value"].astype("int64") == shown["truth"]).all()
    assert both.loc[both["mark"] == "< 11", "truth"].between(1, 10).all()
    assert (both.loc[both["mark"] == "[c]", "truth"] >= 11).all()
    assert ((both["truth"] == 0) == (both["value"] == "0")).all()   # zeros shown, as zeros
    assert both["truth"].sum() > 0 and len(shown) > 0
    largest = both[both["month"] == "2024-01"].sort_values("truth").iloc[-1]
    print(f"\n{measure} {breakdown} {category}, {largest['city']}, 2024-01: rows {largest['truth']:.0f}, "
          f"published {largest['value'] or largest['mark']}")


# --- 3. the month in progress ----------------------------------------------------------------------

SMALL_DEMO = dict(consultations=2_000, start=D(2024, 1, 1))


@pytest.fixture(scope="module")
def small_demos(tmp_path_factory):
    """Small demo databases, one per (seed, as_of), built when first asked for."""
    folder = tmp_path_factory.mktemp("small")
    built: dict[tuple[int, dt.date, str], Path] = {}

    def build(seed: int, as_of: dt.date, copy: str = "") -> Path:
        if (seed, as_of, copy) not in built:
            path = folder / f"seed{seed}-{as_of}{copy}.duckdb"
            demo.generate(path, seed=seed, as_of=as_of, **SMALL_DEMO)
            built[(seed, as_of, copy)] = path
        return built[(seed, as_of, copy)]
    return build


@pytest.mark.parametrize(("as_of", "last_month"), [
    (D(2024, 3, 15), D(2024, 2, 1)),    # March is in progress
    (D(2024, 3, 1), D(2024, 2, 1)),     # ... from its first day
    (D(2024, 3, 31), D(2024, 3, 1)),    # the last day of March: March is whole
    (D(2024, 2, 29), D(2024, 2, 1)),    # the last day of a leap February
], ids=["15 March", "1 March", "31 March", "29 February"])
def test_the_month_in_progress_is_never_published(small_demos, tmp_path, monkeypatch, as_of, last_month):
    db = small_demos(5, as_of)
    following = (last_month + dt.timedelta(days=32)).replace(day=1)
    with duckdb.connect(str(db), read_only=True) as con:
        rows_after = con.execute("SELECT count(*) FROM consultations WHERE consulted_on >= $following",
                                 {"following": following}).fetchall()[0][0]
        sets = con.execute("SELECT audience, first_month, last_month FROM published_sets ORDER BY audience").fetchall()
        months = con.execute("SELECT audience, max(month) FROM published_cells GROUP BY ALL").fetchall()
    # the demo leaves the last whole month waiting for its approval: donors and the public stop
    # the month before (terrain/approvals.py); the programme's own set does not wait
    approved = (last_month - dt.timedelta(days=1)).replace(day=1)
    seen = {"advocacy": last_month, "donor": approved, "public": approved}
    assert sets == [(audience, D(2024, 1, 1), seen[audience]) for audience in ("advocacy", "donor", "public")]
    assert dict(months) == seen
    # the rows of the month in progress exist, and are not published
    assert (rows_after > 0) == (as_of.month != last_month.month)

    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    assert main(["publish", "--audience", "donor", "--db", str(db), "--out", str(tmp_path / "pack")]) == 0
    cells, meta = read_pack(tmp_path / "pack")
    assert meta["last_month"] == f"{approved:%Y-%m}" == cells["month"].max()
    assert meta["first_month"] == "2024-01" and meta["data_as_of"].startswith(as_of.isoformat())


# --- 4. determinism ----------------------------------------------------------------------------------

PUBLISHED_DIGEST = "SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM published_cells AS t"


def digest(db: Path) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(PUBLISHED_DIGEST).fetchall()[0]


def test_the_same_seed_gives_the_same_published_cells(small_demos):
    first = digest(small_demos(5, D(2024, 3, 31)))
    again = digest(small_demos(5, D(2024, 3, 31), copy="-again"))
    other = digest(small_demos(6, D(2024, 3, 31)))

    assert first == again
    assert other != first and other[0] == first[0]   # the same grid, other figures


def test_donors_and_the_public_get_the_same_set(full_db, packs):
    cells = {audience: published(full_db, audience) for audience in publication.AUDIENCES}
    donor, public, advocacy = (cells[a].sort_values(["measure", "breakdown", "category", "city", "month"],
                                                    ignore_index=True) for a in publication.AUDIENCES)

    assert set(donor["k"]) == set(public["k"]) == {11} and set(advocacy["k"]) == {5}
    pd.testing.assert_frame_equal(donor, public)
    assert (donor["status"] != "shown").sum() > 1_000
    assert not donor["status"].equals(advocacy["status"])   # another threshold, another set
    assert (packs["donor"] / "cells.csv").read_bytes() == (packs["public"] / "cells.csv").read_bytes()


# --- 5. nothing to publish, or a wrong command ------------------------------------------------------

def empty_database(path: Path, *, with_metadata: bool) -> Path:
    with store.new_database(path) as con:
        if with_metadata:
            con.execute("INSERT INTO metadata VALUES (1, 'empty', true, $as_of, $version, $created)",
                        {"as_of": D(2024, 3, 31), "version": SCHEMA_VERSION, "created": dt.datetime(2024, 4, 1)})
    return path


@pytest.mark.parametrize("with_metadata", [False, True], ids=["schema only", "metadata but no rows"])
@pytest.mark.parametrize("audience", ["donor", "public"])
def test_publish_refuses_a_database_with_no_data(tmp_path, monkeypatch, capsys, with_metadata, audience):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    db = empty_database(tmp_path / "empty.duckdb", with_metadata=with_metadata)

    assert main(["publish", "--audience", audience, "--db", str(db), "--out", str(tmp_path / "pack")]) == 1
    assert "Refused" in capsys.readouterr().err
    assert not (tmp_path / "pack").exists()
    assert not ledger.ledger_path().exists()   # nothing recorded either


@pytest.mark.parametrize("argv", [
    ["--audience", "advocacy"],       # not an audience a pack is written for
    ["--audience", "everyone"],
    [],                               # no audience
    ["--audience", "donor", "--no-such-option"],
], ids=["advocacy", "unknown audience", "no audience", "unknown option"])
def test_publish_refuses_bad_arguments(full_db, tmp_path, argv):
    assert main(["publish", *argv, "--db", str(full_db), "--out", str(tmp_path / "pack")]) == 2
    assert not (tmp_path / "pack").exists()


# --- 6. the release ledger -------------------------------------------------------------------------

def test_publishing_the_same_public_pack_again_is_accepted(full_db, packs, audit_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(audit_dir))   # where the `packs` fixture recorded it
    assert main(["publish", "--audience", "public", "--db", str(full_db), "--out", str(tmp_path / "again"),
                 "--user", "tester"]) == 0
    with duckdb.connect(str(ledger.ledger_path()), read_only=True) as con:
        releases = con.execute("SELECT audience, user_name, cells FROM releases").fetchall()
    assert releases == [("public", "tester", 59_081)] * 2   # the donor pack is not a public release
    assert (tmp_path / "again" / "cells.csv").read_bytes() == (packs["public"] / "cells.csv").read_bytes()
    assert json.loads((tmp_path / "again" / "metadata.json").read_text())["release_id"] != \
        json.loads((packs["public"] / "metadata.json").read_text())["release_id"]


def as_pack(frame: pd.DataFrame) -> pd.DataFrame:
    """Published cells as cells.csv reads them (what `attack_pack` takes)."""
    marks = {"shown": "", "small": "< 11", "protect": "[c]"}
    return pd.DataFrame({
        "measure": frame["measure"], "breakdown": frame["breakdown"], "category": frame["category"],
        "city": frame["city"], "month": pd.to_datetime(frame["month"]).dt.strftime("%Y-%m"),
        "value": [str(v) if s == "shown" else "" for v, s in zip(frame["value"], frame["status"])],
        "mark": frame["status"].map(marks)})


def described(cell: tuple) -> str:
    """A cell as the ledger names it."""
    measure, breakdown, category, city, month = cell
    return f"{measure} ({breakdown} {category}), {city}, {month}: hidden in every release"


@pytest.fixture(scope="module")
def given_away(full_db, packs, truth):
    """The first month of consultations in which showing one protecting cell, with its true
    value, gives a hidden cell away; the block as published, the block with that cell shown,
    and the cells this file's attacker narrows below five values in it."""
    public = published(full_db, "public")
    public = public[public["measure"] == "consultations"]
    truth_of = dict(zip(_key_of(truth), truth["value"]))
    _, meta = read_pack(packs["public"])
    for month, block in public.groupby("month", sort=True):
        for index in block.index[block["status"] == "protect"][:5]:
            shown = block.copy()
            cell = (*block.loc[index, ["measure", "breakdown", "category", "city"]], f"{month:%Y-%m}")
            shown.loc[index, ["value", "status"]] = truth_of[cell], "shown"
            attack = attack_pack(as_pack(shown), meta)
            narrowed = sorted(c for c, (low, high) in attack.ranges.items() if high - low + 1 < MIN_VALUES)
            if narrowed:
                return block, shown, cell, narrowed
    raise AssertionError("no protecting cell of the consultations gives anything away once shown")


def record(cells: pd.DataFrame, what: str) -> ledger.Release:
    return ledger.record(cells, what=what, user="tester", audience="public", data_as_of=AS_OF,
                         dataset_name="test", k=11)


def test_a_release_that_shows_a_protecting_cell_is_refused_and_names_the_cell_given_away(
        given_away, tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path))
    block, shown, revealed, narrowed = given_away
    print(f"\nshowing {revealed} gives away {narrowed}")

    # the ledger names the cells this file's attacker narrows, and no other (five at most)
    found = " ".join(ledger.problems(shown, block, 11))
    assert found.count("hidden in every release") == sum(described(cell) in found for cell in narrowed) \
        == min(len(narrowed), 5)
    record(block, "first")
    with pytest.raises(ledger.ReleaseRefused) as refusal:
        record(shown, "second")
    assert any(described(cell) in str(refusal.value) for cell in narrowed)
    assert len(ledger.released_before()) == len(block)   # the refused release left no trace
    assert ledger.problems(block, block, 11) == []        # the same cells again are fine


@pytest.mark.parametrize(("change", "accepted"), [(3, False), (-3, False), (10, False), (11, True), (50, True)])
def test_a_revision_smaller_than_k_is_refused(given_away, tmp_path, monkeypatch, change, accepted):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path))
    block = given_away[0]
    total = block.index[(block["breakdown"] == "all") & (block["city"] == "*")][0]
    before = int(block.loc[total, "value"])
    revised = block.copy()
    revised.loc[total, "value"] = before + change
    record(block, "first")

    if accepted:
        record(revised, "revised")
        assert len(ledger.released_before()) == 2 * len(block)
    else:
        with pytest.raises(ledger.ReleaseRefused) as refusal:
            record(revised, "revised")
        month = pd.Timestamp(block.loc[total, "month"])
        assert (f"consultations (all *), *, {month:%Y-%m}: {before} released before, {before + change} now"
                in str(refusal.value))
        assert len(ledger.released_before()) == len(block)


def test_a_revision_does_not_let_a_protecting_cell_through(given_away, tmp_path, monkeypatch):
    """The release of the first ledger test, whose shown protecting cell gives a hidden one
    away, with the block's total over cities also revised by 50 (late rows, say): the cells
    given away are still given away, whatever else was revised."""
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path))
    block, shown, _, narrowed = given_away
    revised = shown.copy()
    total = revised.index[(revised["breakdown"] == "all") & (revised["city"] == "*")][0]
    revised.loc[total, "value"] += 50
    record(block, "first")

    with pytest.raises(ledger.ReleaseRefused) as refusal:
        record(revised, "revised")
    assert any(described(cell) in str(refusal.value) for cell in narrowed)


# --- 7. suppression of one block, by hand -------------------------------------------------------------

PLACES = ("street", "squat", "camp")


def outreach_block(rows: dict[str, tuple[int, int, int]]):
    """People reached in cities A and B by place type, with every margin, in block order."""
    keys, relations = publication.block_layout("outreach", list(rows))
    value = {}
    for city, counts in rows.items():
        value.update({("place_type", place, city): n for place, n in zip(PLACES, counts)})
        value[("all", "*", city)] = sum(counts)
    for breakdown, category in [*(("place_type", p) for p in PLACES), ("all", "*")]:
        value[(breakdown, category, "*")] = sum(value[(breakdown, category, city)] for city in rows)
    return keys, relations, np.array([value[key[1:]] for key in keys])


# Cells are named "category city". With cities A and B the table is (rows A, B, *):
# (name, rows, k, small, protect[, small or zero])
#            street  squat  camp | all
#    A        a1     a2     a3   | a
#    B        b1     b2     b3   | b
#    *        ...
SUPPRESSION_CASES = [
    # nothing below k: nothing hidden
    ("no small count", {"A": (12, 20, 30), "B": (40, 25, 35)}, 11, set(), set()),
    ("11 is not small", {"A": (11, 20, 30), "B": (40, 25, 35)}, 11, set(), set()),
    ("5 is not small at k = 5", {"A": (5, 20, 30), "B": (40, 25, 35)}, 5, set(), set()),
    # A street = 3 needs a partner in its row (A squat or A camp), one in its column (B street or
    # * street) and the fourth corner. The totals over cities are the cheapest partners
    # (a tenth of their value): A squat 20 + (* street 43 + * squat 45) / 10 = 28.8, against 85
    # through B; then A street can go 1..10 with A squat 13..22, and every margin holds.
    ("one small cell: its row, column and diagonal", {"A": (3, 20, 30), "B": (40, 25, 35)}, 11,
     {"street A"}, {"squat A", "street *", "squat *"}),
    ("10 is small", {"A": (10, 20, 30), "B": (40, 25, 35)}, 11, {"street A"}, {"squat A", "street *", "squat *"}),
    ("the same at k = 5", {"A": (3, 20, 30), "B": (40, 25, 35)}, 5, {"street A"}, {"squat A", "street *", "squat *"}),
    # A squat 12 could only go down to 11 (one value): the partner with room to move is A camp
    ("a partner with room to move", {"A": (3, 12, 30), "B": (40, 12, 35)}, 11,
     {"street A"}, {"camp A", "street *", "camp *"}),
    # zeros are never hidden: A's only possible row partner is camp; * street (3) is small itself
    ("zeros stay shown", {"A": (3, 0, 40), "B": (0, 0, 50)}, 11, {"street A", "street *"}, {"camp A", "camp *"}),
    # B's total and the grand total are 2: B's row and the row of all cities are marked whole,
    # zeros included (0..10), and move together with their totals; A's zeros stay shown
    ("small totals mark their rows whole", {"A": (0, 0, 0), "B": (2, 0, 0)}, 11,
     {"* B", "* *"}, set(), {"street B", "squat B", "camp B", "street *", "squat *", "camp *"}),
    # the same at k = 5, where every hidden cell reads alike and may be 0 anyway: no row is
    # marked whole, the small cells move together
    ("small cells that move together at k = 5", {"A": (0, 0, 0), "B": (2, 0, 0)}, 5,
     {"street B", "* B", "street *", "* *"}, set()),
    # the whole street column is small: its row partners are the squat column
    ("a small column", {"A": (3, 20, 30), "B": (4, 25, 35)}, 11,
     {"street A", "street B", "street *"}, {"squat A", "squat B", "squat *"}),
]


def test_the_attacker_finds_what_a_reader_works_out_in_whole_numbers():
    # the attacker of this file must be able to fail the tests above: a small cell alone in a
    # shown row is pinned; two small cells of a row and a column shown are pinned too
    table = Relation((0, 1, 2), (1.0, 1.0, -1.0))           # a + b = total
    values = np.array([3.0, 40.0, 43.0])
    assert narrowed(attack_block(values, np.array([SMALL, SHOWN, SHOWN]), [table], 11)) == [(0, 1)]
    both = [Relation((0, 1, 2), (1.0, 1.0, -1.0)), Relation((0, 3), (1.0, -1.0))]   # a + b = 10, a = 4
    found = attack_block(np.array([4.0, 6.0, 10.0, 4.0]), np.array([SMALL, SMALL, SHOWN, SHOWN]), both, 11)
    assert found == {0: (4.0, 4.0), 1: (6.0, 6.0)}
    # in whole numbers: x + y = 5 and 2x <= 5 leave y 3 to 5 (over the real numbers 2.5 to 5),
    # and x 0 to 2; the real optimum 2.5 is not a whole number, so it is solved again
    low, high = np.zeros(2), np.full(2, CAP)
    lowest, highest, _ = _bound(low, high, [(np.array([1.0, 1.0]), 5.0)], [(np.array([2.0, 0.0]), 5.0)])
    assert (list(lowest), list(highest)) == ([0.0, 3.0], [2.0, 5.0])


def attack_block(values: np.ndarray, status: np.ndarray, relations, k: int) -> dict[int, tuple[float, float]]:
    """This file's attacker on one block: the range of each hidden cell, from its mark
    (restated here: 1..k-1 small, 0..k-1 small or zero, k.. protecting where marks are
    distinct, 0.. for all where they are not) and the block's relations."""
    hidden = np.flatnonzero(status != SHOWN)
    if not len(hidden):
        return {}
    distinct = k > 2 * MIN_VALUES
    low = np.array([{SMALL: 1, SMALL_OR_ZERO: 0, PROTECT: k}[status[i]] if distinct else 0 for i in hidden],
                   dtype=float)
    high = np.array([k - 1 if distinct and status[i] in (SMALL, SMALL_OR_ZERO) else CAP for i in hidden],
                    dtype=float)
    where = {cell: j for j, cell in enumerate(hidden)}
    equal, at_most = [], []
    for relation in relations:
        coefficients = np.zeros(len(hidden))
        constant = 0.0
        for cell, coefficient in zip(relation.cells, relation.coefficients):
            if cell in where:
                coefficients[where[cell]] += coefficient
            else:
                constant += coefficient * values[cell]
        if coefficients.any():
            (at_most if relation.inequality else equal).append((coefficients, -constant))
    lowest, highest, _ = _bound(low, high, equal, at_most)
    return {int(cell): (lo, hi) for cell, lo, hi in zip(hidden, lowest, highest)}


@pytest.mark.parametrize(("rows", "k", "small", "protect", "small_or_zero"),
                         [(*case[1:], *([set()] if len(case) == 5 else [])) for case in SUPPRESSION_CASES],
                         ids=[case[0] for case in SUPPRESSION_CASES])
def test_suppress_block_hides_the_cells_worked_out_by_hand(rows, k, small, protect, small_or_zero):
    keys, relations, values = outreach_block(rows)
    status, left = publication.suppress_block(values, np.ones(len(keys), dtype=bool), keys, relations, k)
    name = [f"{category} {city}" for _, _, category, city in keys]

    assert left == 0
    assert {name[i] for i in np.flatnonzero(status == SMALL)} == small
    assert {name[i] for i in np.flatnonzero(status == PROTECT)} == protect
    assert {name[i] for i in np.flatnonzero(status == SMALL_OR_ZERO)} == small_or_zero
    if k == 11:
        assert (status[values == 0] != SMALL).all() and (status[values == 0] != PROTECT).all()
    # ... and this file's attacker agrees that each hidden cell keeps at least five values
    assert narrowed(attack_block(values, status, relations, k)) == []


# The consultations of one month in cities A and B, one person a tuple of categories: activity,
# diagnosis group, age band and sex, unaccompanied minor, health coverage, visit and referral.
BREAKDOWN_ORDER = ("activity", "diagnosis_group", "age_sex", "unaccompanied_minor", "health_coverage",
                   "visit_referred")


def consultations_block(people: dict[str, list[tuple[str, ...]]]):
    keys, relations = publication.block_layout("consultations", list(people))
    everyone = [person for city in people for person in people[city]]
    values = []
    for _, breakdown, category, city in keys:
        mine = everyone if city == publication.ALL_CITIES else people[city]
        if breakdown == "all":
            values.append(len(mine))
        else:
            at = BREAKDOWN_ORDER.index(breakdown)
            values.append(sum(1 for person in mine if person[at] == category))
    return keys, relations, np.array(values)


def _person(draw_from: st.DataObject) -> tuple[str, ...]:
    age_sex = draw_from.draw(st.sampled_from(publication.CATEGORIES["age_sex"]))
    minor_or_unknown = age_sex.split(" ")[0] in ("0-14", "15-17", "unknown")
    return (draw_from.draw(st.sampled_from(publication.CATEGORIES["activity"])),
            draw_from.draw(st.sampled_from(publication.CATEGORIES["diagnosis_group"])),
            age_sex,
            draw_from.draw(st.sampled_from(("yes", "no", "unknown") if minor_or_unknown else ("no", "unknown"))),
            draw_from.draw(st.sampled_from(publication.CATEGORIES["health_coverage"])),
            draw_from.draw(st.sampled_from(publication.CATEGORIES["visit_referred"])))


def test_a_small_total_over_many_small_groups_is_not_given_away():
    """Nine unaccompanied minors seen in A in a month, over seven diagnosis groups (the
    differencing demo's Marseille in July 2020). Marked one by one ("< 11" for each group,
    0 for the others), a reader would add up seven groups of at least 1 under a total of at
    most 10: the total 7 to 10, each group 1 to 4. A's breakdowns are marked whole instead."""
    groups = ("respiratory_infection", "skin_infection_scabies", "digestive", "dental", "fever_other",
              "vaccination_check", "other", "other", "other")
    a = [("medical", group, "15-17 M", "yes", "none", "new no") for group in groups]
    b = [("medical", "respiratory_infection", "25-34 M", "no", "AME", "new no")] * 150 \
        + [("mental_health", "mental_health", "18-24 F", "no", "none", "follow_up no")] * 90
    keys, relations, values = consultations_block({"A": a, "B": b})
    status, left = publication.suppress_block(values, np.ones(len(keys), dtype=bool), keys, relations, 11)

    assert left == 0
    of_a = [i for i, key in enumerate(keys) if key[3] == "A"]
    total_a = keys.index(("consultations", "all", "*", "A"))
    assert status[total_a] == SMALL
    assert all(status[i] == SMALL_OR_ZERO for i in of_a if i != total_a)   # zeros included
    assert narrowed(attack_block(values, status, relations, 11)) == []
    # marked one by one, with the same partners, the same block gives A away
    one_by_one = status.copy()
    opened = one_by_one == SMALL_OR_ZERO
    one_by_one[opened & (values == 0)] = SHOWN
    one_by_one[opened & (values > 0)] = SMALL
    given_away = attack_block(values, one_by_one, relations, 11)
    assert given_away[total_a] == (7, 10)
    assert given_away[keys.index(("consultations", "diagnosis_group", "dental", "A"))] == (1, 4)


def test_when_no_partner_is_enough_the_breakdown_s_whole_table_is_hidden():
    """A and B saw 3 people each, 6 in all, 5 of them in medical consultations; C and D saw
    150 each. With A's and B's rows marked whole and partners found cell by cell, the medical
    column stays shown for C, D and all cities, so a reader knows A and B hold 5 medical
    consultations together, and the sixth person, somewhere among A's and B's three other
    activities, pins each of those six cells to 0 or 1. The last resorts hide the activities'
    whole table (every count of 11 or more)."""
    def many(n: int, activity: str) -> list[tuple[str, ...]]:
        return [(activity, "other", "35+ M", "no", "AME", "new no")] * n

    people = {"A": many(3, "medical"), "B": many(2, "medical") + many(1, "legal"),
              "C": many(89, "medical") + many(14, "mental_health") + many(25, "social") + many(22, "legal"),
              "D": many(89, "medical") + many(24, "mental_health") + many(15, "social") + many(22, "legal")}
    keys, relations, values = consultations_block(people)
    status, left = publication.suppress_block(values, np.ones(len(keys), dtype=bool), keys, relations, 11)

    assert left == 0 and narrowed(attack_block(values, status, relations, 11)) == []
    activities = [i for i, key in enumerate(keys) if key[1] == "activity"]
    assert all(status[i] == (PROTECT if values[i] >= 11 else SMALL_OR_ZERO) for i in activities)
    # with the medical column shown, B's legal consultation is 0 or 1
    medical_shown = status.copy()
    for city in ("C", "D", publication.ALL_CITIES):
        medical_shown[keys.index(("consultations", "activity", "medical", city))] = SHOWN
    given_away = attack_block(values, medical_shown, relations, 11)
    assert given_away[keys.index(("consultations", "activity", "legal", "B"))] == (0, 1)


@settings(max_examples=12)
@given(st.data(), st.integers(0, 14), st.integers(0, 40))
@example(None, 9, 200).via("A's nine people each in a group of their own; B large")
def test_no_hidden_cell_of_a_consultations_block_can_be_narrowed(data, in_a, in_b):
    """Any month of consultations in two cities, drawn person by person: the block's
    suppression leaves no hidden cell a reader narrows below five values (this file's
    attacker, not the builder's), every mark holds its true value, a zero is hidden only in a
    row marked whole, and a place whose total is small has its breakdowns marked whole. The
    explicit example ties A's row to the row of all cities (B has no one in A's groups): the
    small cells of all cities add up to 9, so that row is marked whole too."""
    if data is None:   # the explicit example: every person of A in a diagnosis group of their own
        groups = publication.CATEGORIES["diagnosis_group"]
        people = {"A": [("medical", groups[i], "0-14 F", "yes", "none", "new no") for i in range(in_a)],
                  "B": [("social", "other", "35+ M", "no", "AME", "new yes")] * in_b}
    else:
        people = {"A": [_person(data) for _ in range(in_a)], "B": [_person(data) for _ in range(in_b)]}
    keys, relations, values = consultations_block(people)
    status, left = publication.suppress_block(values, np.ones(len(keys), dtype=bool), keys, relations, 11)

    assert left == 0
    assert (values[status == SMALL] >= 1).all() and (values[status == SMALL] <= 10).all()
    assert (values[status == SMALL_OR_ZERO] <= 10).all() and (values[status == PROTECT] >= 11).all()
    small_places = {key[3] for i, key in enumerate(keys) if key[1] == "all" and status[i] == SMALL}
    assert all(status[i] == SMALL_OR_ZERO for i, key in enumerate(keys) if key[3] in small_places and key[1] != "all")
    assert narrowed(attack_block(values, status, relations, 11)) == []


def test_suppress_block_leaves_counts_of_no_one_alone():
    keys, relations, values = outreach_block({"A": (3, 20, 30), "B": (40, 25, 35)})
    status, left = publication.suppress_block(values, np.zeros(len(keys), dtype=bool), keys, relations, 11)
    assert not status.any() and left == 0


# --- 8. a donor's figure is the manager's wherever nothing is hidden ------------------------------

PUBLISHED_QUERIES = [name for name in queries.names()
                     if queries.load(name).published and not queries.load(name).exact_locations]
LAST_PUBLISHED = D(2026, 11, 30)   # the full demo's as-of is 4 December: November is the last whole month


@pytest.mark.parametrize("preset", [p for p in filters.PRESETS if p != "custom"])
@pytest.mark.parametrize("name", PUBLISHED_QUERIES)
def test_a_donors_figure_is_the_managers_wherever_no_cell_is_hidden(full_db, name, preset):
    """Over each period preset, every figure a donor sees equals the manager's over the same
    whole months (up to the last published one), unless it leaves out a hidden month, and is
    then below it: a donor's figure never contradicts the manager's."""
    query = queries.load(name)
    start, end = filters.preset_period(preset, AS_OF)
    values = {"start": start, "end": end, "cities": [], "grain": "month"}
    con = store.open_readonly(full_db)
    try:
        donor = queries.run(con, name, {p: values[p] for p in query.params}, role="donor")
        used = donor.attrs["provenance"]["params"]
        whole = {**values, "start": used["start"], "end": min(used["end"], LAST_PUBLISHED)}
        manager = queries.run(con, name, {p: whole[p] for p in query.params}, role="programme_manager")
    finally:
        con.close()
    assert used["start"].day == 1 and not donor.empty
    counts = [c for c in query.counts if c in donor.columns]
    keys = [c for c in donor.columns if c not in counts and c not in {r.column for r in query.rates}
            and not pd.api.types.is_float_dtype(donor[c]) and c not in dict(query.combine)]
    expected = manager.set_index(keys)
    partial = donor.attrs["suppression"].get("partial_rows", {})
    marks = donor.attrs["suppression"]["hidden_marks"]
    compared = 0
    for i, row in enumerate(donor.itertuples(index=False)):
        row = row._asdict()
        key = tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]
        for column in counts:
            true = int(expected.loc[key, column]) if key in expected.index else 0
            if pd.isna(row[column]):
                # "< 11" only for a figure that is small; every hidden figure carries a mark
                assert marks[column][i] in ("small", "protect"), (name, preset, key, column)
                if marks[column][i] == "small":
                    assert 1 <= true <= 10, (name, preset, key, column, true)
                continue
            assert marks[column][i] is None
            if partial.get(column, [False] * len(donor))[i]:
                assert row[column] < true, (name, preset, key, column)
            else:
                assert row[column] == true, (name, preset, key, column)
                compared += 1
    assert compared > 0


def test_the_internal_advocacy_set_holds_no_cell_narrowed_below_five_values(full_db, truth, tmp_path):
    """The internal drafts' set (k = 5), where every hidden cell reads alike ("[c]") and may
    be a zero: the same attack, on the same pack layout, finds nothing either."""
    con = store.open_readonly(full_db)
    try:
        cells = queries.execute(con, queries.load("published_cells"), {"audience": "advocacy"})
        facts = con.execute("SELECT dataset_name, is_synthetic, data_as_of FROM metadata").df().iloc[0].to_dict()
    finally:
        con.close()
    from terrain import publish
    meta = publish.metadata("advocacy", 5, cells, facts)
    assert set(meta["marks"].values()) == {"[c]"} and meta["reader_knows"]["small"] == [0, None]
    publish.write_pack(cells, meta, tmp_path / "advocacy")
    pack, meta = read_pack(tmp_path / "advocacy")
    attack = attack_pack(pack, meta, dict(zip(_key_of(truth), truth["value"])))
    widths = [high - low + 1 for low, high in attack.ranges.values()]
    print(f"\nadvocacy: {attack.cells:,} cells, {attack.hidden:,} hidden in {attack.blocks} blocks; smallest range "
          f"{min(widths):.0f} values; {attack.solves:,} integer programs in {attack.seconds:.1f} s")
    assert attack.hidden > 1_000 and attack.untrue == [] and attack.inconsistent == []
    assert narrowed(attack.ranges) == []


def test_publish_refuses_a_file_that_is_no_database_in_one_line(tmp_path, capsys):
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database" * 100)
    assert main(["publish", "--audience", "donor", "--db", str(broken), "--out", str(tmp_path / "pack")]) == 1
    printed = capsys.readouterr().err.strip().splitlines()
    assert len(printed) == 1 and printed[0].startswith("Refused:") and "Traceback" not in printed[0]
    assert not (tmp_path / "pack").exists()


def test_programs_kept_between_passes_give_the_same_ranges_and_are_not_solved_again():
    """A block's repair keeps what it solved (terrain/disclosure/attack.py, `solved`): the
    ranges read from it are those solved afresh, and asking again solves nothing new."""
    from terrain.disclosure import attack as program

    # a two-by-two table of small counts (a b / c d) with its margins shown: each cell moves
    # with the three others (cells: a, b, a+b, c, d, c+d, a+c, b+d, all)
    values = np.array([3, 4, 7, 5, 6, 11, 8, 10, 18], dtype=float)
    status = np.full(9, program.SHOWN)
    status[[0, 1, 3, 4]] = program.SMALL
    relations = [program.Relation((0, 1, 2), (1, 1, -1)), program.Relation((3, 4, 5), (1, 1, -1)),
                 program.Relation((0, 3, 6), (1, 1, -1)), program.Relation((1, 4, 7), (1, 1, -1)),
                 program.Relation((6, 7, 8), (1, 1, -1))]
    fresh = program.ranges(values, status, relations, 11)
    kept: dict = {}
    first = program.ranges(values, status, relations, 11, solved=kept)
    solved = len(kept)
    again = program.ranges(values, status, relations, 11, solved=kept)
    for ranges in (first, again):
        np.testing.assert_array_equal(ranges[0], fresh[0])
        np.testing.assert_array_equal(ranges[1], fresh[1])
    assert solved > 0 and len(kept) == solved   # nothing solved the second time
    # a changed component is another program: its answers are solved, not read
    status[2] = program.SMALL   # a row total hidden too
    program.ranges(values, status, relations, 11, solved=kept)
    assert len(kept) > solved


def _two_way(data) -> tuple[np.ndarray, np.ndarray, list[Relation]]:
    """A table of places × categories drawn by Hypothesis, with its row, column and grand
    totals, its small counts marked small and some other cells hidden as partners: the cells in
    order (each place's categories then its total, then the column totals and the grand total)."""
    places, categories = data.draw(st.integers(2, 4)), data.draw(st.integers(2, 4))
    table = np.array(data.draw(st.lists(st.lists(st.sampled_from([0, 1, 2, 3, 6, 9, 11, 14, 25, 40]),
                                                 min_size=categories, max_size=categories),
                                        min_size=places, max_size=places)), dtype=float)
    width = categories + 1
    values = np.concatenate([np.append(row, row.sum()) for row in table]
                            + [np.append(table.sum(axis=0), table.sum())])
    relations = [Relation((*range(p * width, p * width + categories), p * width + categories),
                          (1.0,) * categories + (-1.0,)) for p in range(places + 1)]
    relations += [Relation((*(p * width + c for p in range(places + 1)),), (1.0,) * places + (-1.0,))
                  for c in range(width)]
    status = np.where((values >= 1) & (values < 11), SMALL, SHOWN)
    partners = data.draw(st.lists(st.sampled_from(np.flatnonzero(values >= 11).tolist() or [0]), max_size=4))
    status[[p for p in partners if values[p] >= 11]] = PROTECT
    return values, status, relations


@settings(max_examples=60, derandomize=True)
@given(st.data(), st.booleans())
def test_the_quick_ranges_find_the_same_cells_exposed_as_the_whole_ones(data, false_truth):
    """The builder's ranges (`enough`: a span seen from the truth and from the solutions found,
    one side of a cell solved at a time) find exposed exactly the hidden cells whose whole range
    is too narrow, and never say a cell holds a value outside its whole range. With the hidden
    cells' values made up (not a table the relations allow), they must not start from them."""
    from terrain.disclosure import attack as program

    values, status, relations = _two_way(data)
    exact_low, exact_high = program.ranges(values, status, relations, 11)
    told = values.copy()
    if false_truth:   # every hidden cell said to hold 40: the totals no longer add up
        told[status != SHOWN] = 40
    low, high = program.ranges(told, status, relations, 11, enough=program.values_needed(11))
    hidden = status != SHOWN
    assert np.array_equal(program.exposed(low, high, 11), program.exposed(exact_low, exact_high, 11))
    assert (low[hidden] >= exact_low[hidden]).all() and (high[hidden] <= exact_high[hidden]).all()


@settings(max_examples=60, derandomize=True)
@given(st.data(), st.booleans())
def test_values_seen_in_one_call_serve_the_next_only_while_the_tables_possible_only_grow(data, grow):
    """The whole-number values a cell was seen to take (`witnessed`) carry over to the next call
    when the reader's possible tables only grew (more cells hidden: a repair), and are forgotten
    when they may have shrunk (a hidden cell shown again): either way the cells found exposed
    are those of the whole ranges."""
    from terrain.disclosure import attack as program

    values, status, relations = _two_way(data)
    kept: dict = {}
    program.ranges(values, status, relations, 11, enough=program.values_needed(11), witnessed=kept)
    later = status.copy()
    if grow:    # partners hidden
        more = data.draw(st.lists(st.sampled_from(np.flatnonzero(values >= 11).tolist() or [0]), max_size=4))
        later[[c for c in more if values[c] >= 11]] = PROTECT
    else:       # some hidden cells shown again
        shown_again = data.draw(st.lists(st.sampled_from(np.flatnonzero(status != SHOWN).tolist() or [0]),
                                         min_size=1, max_size=4))
        later[shown_again] = SHOWN
    exact_low, exact_high = program.ranges(values, later, relations, 11)
    low, high = program.ranges(values, later, relations, 11, enough=program.values_needed(11), witnessed=kept)
    hidden = later != SHOWN
    assert np.array_equal(program.exposed(low, high, 11), program.exposed(exact_low, exact_high, 11))
    assert (low[hidden] >= exact_low[hidden]).all() and (high[hidden] <= exact_high[hidden]).all()


def test_a_relaxation_s_fractional_solutions_are_not_carried_into_the_whole_number_pass():
    """One hidden cell x with 1 <= 2x <= 9 (two shown cells bound it): over the real numbers
    it spans 0.5 to 4.5 and looks protected; in whole numbers it holds 1 to 4, four values,
    and is exposed. The relaxation's pass, then the whole-number pass with what it saw kept:
    only the truth and whole solutions carry over, so the second finds it exposed."""
    from terrain.disclosure import attack as program

    values = np.array([2.0, 9.0, 1.0])
    status = np.array([PROTECT, SHOWN, SHOWN])
    relations = [Relation((0, 1), (2.0, -1.0), inequality=True), Relation((0, 2), (-2.0, 1.0), inequality=True)]
    kept, seen = {}, {}
    relaxed = program.ranges(values, status, relations, 5, enough=5, integer=False, solved=kept, witnessed=seen)
    assert list(program.exposed(*relaxed, 5)) == []
    whole = program.ranges(values, status, relations, 5, enough=5, solved=kept, witnessed=seen)
    assert list(program.exposed(*whole, 5)) == [0] and (whole[0][0], whole[1][0]) == (1.0, 4.0)


def test_values_seen_are_forgotten_when_a_relation_is_added_to_the_same_list():
    """A relation appended to the list a caller passes again narrows what a reader can say:
    the values seen before are forgotten, and the cell the new relation pins is found exposed."""
    from terrain.disclosure import attack as program

    # a + b = 30 (shown), a and b hidden as partners (11 or more): each of them 11 to 19
    values = np.array([14.0, 16.0, 30.0, 14.0])
    status = np.array([PROTECT, PROTECT, SHOWN, SHOWN])
    relations = [Relation((0, 1, 2), (1.0, 1.0, -1.0))]
    seen: dict = {}
    first = program.ranges(values, status, relations, 11, enough=5, witnessed=seen)
    assert list(program.exposed(*first, 11)) == []
    relations.append(Relation((0, 3), (1.0, -1.0)))   # a = the shown 14: a and b are pinned
    again = program.ranges(values, status, relations, 11, enough=5, witnessed=seen)
    assert list(program.exposed(*again, 11)) == [0, 1]

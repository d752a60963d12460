"""What a reader can work out about the hidden cells of a published set: an integer program.

The reader is assumed to know every visible cell; every relation the set declares (a margin
is the sum of its cells; minors turned away are among all people turned away; bed-nights
occupied are at most twice those available); that a cell marked small ("< k") holds 1 to
k - 1, that a cell of a place whose total is small holds 0 to k - 1 (its whole breakdown is
marked, zeros included: SMALL_OR_ZERO), and that a cell hidden to protect another ("[c]")
holds at least k (zeros are shown elsewhere and small cells are marked small, so a
protecting cell is neither); under the internal
threshold, where all hidden cells read alike, only that a hidden cell holds at least 0. For each hidden
cell, the smallest and the largest whole number it can hold under all of that is its range:
a cell is protected when its range holds at least `MIN_VALUES` values.

`ranges` solves it with HiGHS (highspy), one component at a time: hidden cells that no
relation links are bounded apart, so the problem splits into blocks (a month of one family of
measures at most, usually one breakdown of one month).
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass

import highspy
import numpy as np

SHOWN, SMALL, PROTECT = 0, 1, 2
UNSEEN = 3   # a cell no output has shown or marked: a reader knows only that it is at least 0
SMALL_OR_ZERO = 4   # a cell of a breakdown marked whole, zeros included: 0 to k - 1
HIDDEN_MARKS = (SMALL, PROTECT, SMALL_OR_ZERO)
MIN_VALUES = 5   # a hidden cell must keep at least this many possible values
PRIMAL_SIMPLEX = 4   # HiGHS's simplex_strategy


@dataclass(frozen=True)
class Relation:
    """sum(coefficients[i] * cell[cells[i]]) == 0, or <= 0 when `inequality`."""
    cells: tuple[int, ...]
    coefficients: tuple[float, ...]
    inequality: bool = False


def _components(variables: np.ndarray, rows: list[tuple[np.ndarray, np.ndarray, float, bool]]) -> list[list[int]]:
    """Groups of row indices whose variables are linked (union-find over the variables)."""
    parent = {int(v): int(v) for v in variables}

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for cells, _, _, _ in rows:
        first = find(int(cells[0]))
        for other in cells[1:]:
            root = find(int(other))
            if root != first:
                parent[root] = first
    groups: dict[int, list[int]] = {}
    for index, (cells, _, _, _) in enumerate(rows):
        groups.setdefault(find(int(cells[0])), []).append(index)
    return list(groups.values())


def _hidden_rows(values: np.ndarray, status: np.ndarray, relations: list[Relation]):
    """Each relation over its hidden cells, the visible ones moved to the right-hand side.
    A relation whose cells are all visible says nothing; it is left out."""
    rows = []
    for relation in relations:
        cells = np.asarray(relation.cells, dtype=np.int64)
        coefficients = np.asarray(relation.coefficients, dtype=float)
        hidden = status[cells] != SHOWN
        if not hidden.any():
            continue
        constant = float(np.dot(coefficients[~hidden], values[cells[~hidden]]))
        rows.append((cells[hidden], coefficients[hidden], -constant, relation.inequality))
    return rows


def ranges(values: np.ndarray, status: np.ndarray, relations: list[Relation], k: int,
           upper: np.ndarray | None = None, only: set[int] | None = None,
           enough: int | None = None, integer: bool = True,
           solved: dict | None = None, witnessed: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest value each hidden cell can hold (NaN for visible cells).

    The bounds are worked out from the visible cells' `values`; `upper` gives known upper
    bounds (inf where none). `only` restricts the work to those hidden cells: the others are
    left NaN (their components are solved for these cells alone). With `enough`, a cell whose
    values seen in the solutions found so far already span `enough` values is not solved for:
    its range is then the span seen, a lower bound of the true one (enough to tell a protected
    cell from an exposed one, much faster). The span seen starts from the hidden cells' true
    `values` where they meet every bound and relation (the truth is a table the reader cannot
    rule out: one point of the set, never a bound of it), and a cell's bounds are solved for
    one at a time, the side with more room first, until its span is enough: about half the
    programs of solving both sides of every cell, for the same cells found exposed (their
    ranges are solved whole). With `integer` False, the
    linear relaxation is solved instead: its ranges contain the integer ones, so a cell it
    finds exposed is exposed (ten times faster; a cell it finds protected must still be
    checked with whole numbers). `solved`, a dict the caller keeps between calls, holds every
    program solved, by what it is made of: a later call asking the same of a component that
    has not changed (the whole-number pass after the relaxation's, the components a repair
    did not touch) reads the answer instead of solving again. `witnessed`, another dict the
    caller keeps between calls, holds the whole-number values each cell was seen to take (in
    the truth and the whole-number solutions found): while the tables a reader cannot rule out
    only grow from one call to the next (cells hidden, marks widened, the same relations and
    values: a repair), each of those tables is still one, and a later call starts from them
    (the whole-number pass does not solve again what the relaxation's already showed with
    whole numbers). Where the set may have shrunk they are forgotten.
    """
    values = np.asarray(values, dtype=float)
    status = np.asarray(status)
    low_all, high_all = bounds_of(status, k, upper)
    seen = None if witnessed is None else _witnessed(witnessed, values, status, relations, low_all, high_all)
    lowest = np.full(len(values), np.nan)
    highest = np.full(len(values), np.nan)
    hidden = np.flatnonzero(status != SHOWN)
    if not len(hidden):
        return lowest, highest
    rows = _hidden_rows(values, status, relations)
    linked = set()
    for cells, _, _, _ in rows:
        linked.update(int(c) for c in cells)
    for cell in hidden:  # a hidden cell no relation mentions is bounded by its mark alone
        if int(cell) not in linked:
            lowest[cell], highest[cell] = low_all[cell], high_all[cell]
    for group in _components(np.array(sorted(linked), dtype=np.int64), rows):
        cells = np.unique(np.concatenate([rows[i][0] for i in group]))
        wanted = None if only is None else np.array([int(c) in only for c in cells], dtype=bool)
        if wanted is not None and not wanted.any():
            continue
        _solve_component(cells, [rows[i] for i in group], low_all, high_all, lowest, highest, enough, integer,
                         wanted, solved, values, seen)
    return lowest, highest


def _witnessed(witnessed: dict, values: np.ndarray, status: np.ndarray, relations: list[Relation],
               low_all: np.ndarray, high_all: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The whole-number values seen of each cell (lowest, highest) in earlier calls, if every
    table a reader could not rule out then is one now: the same relations and values, and each
    cell's bounds (a shown cell's: its value) the same or wider. Else none (new, empty spans).
    The spans returned are updated in place by the call."""
    shown = status == SHOWN
    low_now, high_now = np.where(shown, values, low_all), np.where(shown, values, high_all)
    before, now = witnessed.get("bounds"), tuple(relations)   # (a list changed in place is told apart)
    still = (before is not None and witnessed.get("relations") == now
             and np.array_equal(witnessed["values"], values, equal_nan=True)
             and bool(np.all(low_now <= before[0])) and bool(np.all(high_now >= before[1])))
    if not still:
        witnessed.update(relations=now, values=values.copy(),
                         low=np.full(len(values), np.inf), high=np.full(len(values), -np.inf))
    witnessed["bounds"] = (low_now, high_now)
    return witnessed["low"], witnessed["high"]


def _quiet_solver() -> highspy.Highs:
    """A HiGHS instance that prints nothing: the first one of a process prints a banner on
    the standard output (from C++, so at the file descriptor), which would land in the
    output of `demo`, `import` or `publish`."""
    global _BANNER_SHOWN
    if not _BANNER_SHOWN:
        sys.stdout.flush()
        saved, sink = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(sink, 1)
            solver = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(sink)
        _BANNER_SHOWN = True
    else:
        solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    return solver


_BANNER_SHOWN = False


def _solve_component(cells, rows, low_all, high_all, lowest, highest, enough: int | None = None,
                     integer: bool = True, wanted: np.ndarray | None = None, solved: dict | None = None,
                     values: np.ndarray | None = None,
                     seen: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Bounds of each cell of one component: one program built once, its objective changed
    cell by cell (HiGHS re-solves from where it stood). The linear relaxation is solved first;
    with `integer`, an optimum that is not a whole-number point is solved again in whole
    numbers (a whole-number optimum of the relaxation is the integer optimum). With `enough`,
    the span seen of every cell starts at its true value in `values` if the true values meet
    every bound and relation, and at the whole-number values `seen` (lowest, highest of every
    cell of the block, updated here) holds; every solution found widens it; a cell already spanning
    `enough` values is skipped, and a cell's side with more room is solved first, the other
    only if the span is still short. With `wanted`, only those cells' bounds are worked out."""
    position = {int(c): i for i, c in enumerate(cells)}
    n = len(cells)
    columns: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    row_lower, row_upper = [], []
    for r, (row_cells, coefficients, rhs, inequality) in enumerate(rows):
        for cell, coefficient in zip(row_cells, coefficients):
            columns[position[int(cell)]].append((r, float(coefficient)))
        row_lower.append(-highspy.kHighsInf if inequality else rhs)
        row_upper.append(rhs)
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = n, len(rows)
    model.col_cost_ = np.zeros(n)
    model.col_lower_ = low_all[cells].astype(float)
    model.col_upper_ = np.where(np.isinf(high_all[cells]), highspy.kHighsInf, high_all[cells]).astype(float)
    model.row_lower_, model.row_upper_ = np.array(row_lower, dtype=float), np.array(row_upper, dtype=float)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = np.cumsum([0, *(len(column) for column in columns)]).astype(np.int32)
    model.a_matrix_.index_ = np.array([r for column in columns for r, _ in column], dtype=np.int32)
    model.a_matrix_.value_ = np.array([v for column in columns for _, v in column], dtype=float)
    solvers: dict[bool, highspy.Highs] = {}
    # What the program is made of: the same cells, bounds and relations give the same optima.
    made_of = None if solved is None else hashlib.blake2b(b"".join(
        np.ascontiguousarray(part).tobytes() for part in (
            np.asarray(cells, dtype=np.int64), model.col_lower_, model.col_upper_, model.row_lower_,
            model.row_upper_, model.a_matrix_.start_, model.a_matrix_.index_, model.a_matrix_.value_)),
        digest_size=16).digest()

    def solver_for(whole: bool) -> highspy.Highs:
        if whole not in solvers:
            solver = _quiet_solver()
            if not whole:   # a re-solve after a change of objective starts from the last basis
                solver.setOptionValue("presolve", "off")
                # which is still feasible: the primal simplex goes on from it (the dual one,
                # HiGHS's default, starts over): a 3,000-consultation demo's sets in 13.0 s, not 15.2
                solver.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
            solver.passModel(model)
            if whole:
                solver.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                             np.full(n, int(highspy.HighsVarType.kInteger), dtype=np.uint8))
            solvers[whole] = solver
        return solvers[whole]

    def optimum(i: int, sign: float, whole: bool) -> tuple[float, np.ndarray | None]:
        if made_of is None:
            return solve(i, sign, whole)
        key = (made_of, i, sign, whole)
        if key not in solved:
            solved[key] = solve(i, sign, whole)
        return solved[key]

    def solve(i: int, sign: float, whole: bool) -> tuple[float, np.ndarray | None]:
        solver = solver_for(whole)
        solver.changeColCost(i, sign)
        solver.run()
        state = solver.getModelStatus()
        if state == highspy.HighsModelStatus.kOptimal:
            found = sign * solver.getInfo().objective_function_value, np.array(solver.getSolution().col_value)
            solver.changeColCost(i, 0.0)
            return found
        solver.changeColCost(i, 0.0)
        if sign < 0 and state in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return np.inf, None   # the truth is a solution, so this is unbounded, not infeasible
        raise RuntimeError(f"The published set is inconsistent around cell {cells[i]}: {state}")

    seen_low = np.full(n, np.inf)
    seen_high = np.full(n, -np.inf)
    if enough is not None and values is not None:
        truth = _feasible(np.asarray(values, dtype=float)[cells], model, columns)
        if truth is not None:
            seen_low, seen_high = truth.copy(), truth.copy()
    # whole-number values seen, kept for later calls (a relaxation's point may be fractional)
    whole_low, whole_high = seen_low.copy(), seen_high.copy()
    if enough is not None and seen is not None:
        np.minimum(whole_low, seen[0][cells], out=whole_low)
        np.maximum(whole_high, seen[1][cells], out=whole_high)
        np.minimum(seen_low, whole_low, out=seen_low)
        np.maximum(seen_high, whole_high, out=seen_high)

    def spans(i: int) -> bool:
        return enough is not None and seen_high[i] - seen_low[i] >= enough - 1

    for i, cell in enumerate(cells):
        if wanted is not None and not wanted[i]:
            continue
        if spans(i):
            lowest[cell], highest[cell] = seen_low[i], seen_high[i]
            continue
        order = (1.0, -1.0)
        if enough is not None and np.isfinite(seen_low[i]) and \
                high_all[cell] - seen_high[i] >= seen_low[i] - low_all[cell]:
            order = (-1.0, 1.0)   # more room above what is seen: the largest value first
        for sign in order:
            if spans(i):   # the first side solved gave it enough room
                lowest[cell], highest[cell] = seen_low[i], seen_high[i]
                break
            value, point = optimum(i, sign, False)
            if integer and point is not None and not _whole(point):
                value, point = optimum(i, sign, True)
            if integer and np.isfinite(value):
                value = round(value)
            if point is None:   # unbounded above: in whole numbers too (from the truth, along
                seen_high[i] = whole_high[i] = np.inf   # a whole multiple of the direction)
            elif enough is not None:
                np.minimum(seen_low, point, out=seen_low)
                np.maximum(seen_high, point, out=seen_high)
                if _whole(point):
                    np.minimum(whole_low, point, out=whole_low)
                    np.maximum(whole_high, point, out=whole_high)
            if sign > 0:
                lowest[cell] = value
            else:
                highest[cell] = value
    if seen is not None:
        seen[0][cells], seen[1][cells] = whole_low, whole_high


def _feasible(point: np.ndarray, model: highspy.HighsLp,
              columns: list[list[tuple[int, float]]]) -> np.ndarray | None:
    """`point` if it meets every bound and relation of the program (within 1e-6), else None.
    `columns`: each cell's relations, as (row, coefficient)."""
    tolerance = 1e-6
    lower, upper = np.asarray(model.col_lower_), np.asarray(model.col_upper_)
    if not (np.all(np.isfinite(point)) and np.all(point >= lower - tolerance) and np.all(point <= upper + tolerance)):
        return None
    sums = np.zeros(model.num_row_)
    for value, column in zip(point, columns):
        for row, coefficient in column:
            sums[row] += coefficient * value
    if np.all(sums >= np.asarray(model.row_lower_) - tolerance) and np.all(sums <= np.asarray(model.row_upper_) + tolerance):
        return point
    return None


def _whole(point: np.ndarray) -> bool:
    """Whether a solution is a whole-number point (np.allclose to its rounding, atol 1e-6)."""
    rounded = np.round(point)
    return bool(np.all(np.abs(point - rounded) <= 1e-6 + 1e-5 * np.abs(rounded)))


def values_needed(k: int) -> int:
    """How many possible values a hidden cell must keep, whatever the threshold."""
    return MIN_VALUES


def distinct_marks(k: int) -> bool:
    """Whether small cells ("< k") and protecting ones ("[c]") are marked apart. They are in
    anything published or shown to donors (k = 11). Under the internal threshold of 5 they
    cannot be: "< 5" says 1 to 4, and four cells of 1 under a hidden total of 4 would be
    given away by their marks alone, so every hidden cell there reads alike ("masqué"), may
    be a zero, and a reader knows only that it is at least 0."""
    return k > 2 * MIN_VALUES


def protect_floor(k: int) -> int:
    """The least value a reader knows a protecting cell holds: k where marks are distinct
    (a zero is shown or marked small or zero, and small cells are marked small), else 0."""
    return k if distinct_marks(k) else 0


def bounds_of(status: np.ndarray, k: int, upper: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """What the marks alone say of each hidden cell: 1..k-1 for small, 0..k-1 for small or
    zero, k.. for protecting where marks are distinct; 0.. for every hidden cell where they
    are not."""
    if distinct_marks(k):
        low = np.where(status == SMALL, 1.0, np.where(status == PROTECT, float(k), 0.0))
        high = np.where((status == SMALL) | (status == SMALL_OR_ZERO), float(k - 1), np.inf)
    else:
        low, high = np.zeros(len(status)), np.full(len(status), np.inf)
    high = np.where(status == UNSEEN, np.inf, high)
    if upper is not None:
        high = np.minimum(high, upper)
    return low, high


def exposed(lowest: np.ndarray, highest: np.ndarray, k: int) -> np.ndarray:
    """Hidden cells whose range holds fewer values than `values_needed(k)`, but for a cell
    that can only be 0: a reader who works that out learns what a shown zero says (no one),
    as for a category with no one in any city, whose total over cities is a shown 0."""
    width = highest - lowest
    return np.flatnonzero(~np.isnan(width) & (width < values_needed(k) - 1) & (highest != 0))


def exposed_marked(lowest: np.ndarray, highest: np.ndarray, status: np.ndarray, k: int) -> np.ndarray:
    """`exposed`, among cells an output marked hidden (not those it never showed)."""
    return np.array([i for i in exposed(lowest, highest, k) if status[i] != UNSEEN], dtype=np.int64)

"""Statistical disclosure control: what each audience may learn about the people counted.

The people in these data are exposed: camps are evicted, minors' ages are contested. A count
of 2 unaccompanied girls at one site in one month points at two people. So every table that
leaves the programme follows the practice of the OCHA Centre for Humanitarian Data (Guidance
Note on Statistical Disclosure Control), CASD's output rules (no count below 11 leaves the
secure environment) and the ONS guidance on small numbers:

- primary suppression: a count of 1 to k - 1 is hidden. The threshold k comes from the
  audience (terrain/roles.py): 0 for programme managers, 5 for internal advocacy drafts, 11
  for anything published or shown to donors. Zero is shown: "nobody" discloses no one
  (a zero is hidden only as a partner, when nothing else can protect a cell).
- complementary (secondary) suppression: where a line's total is published (by this table
  or by another query), more cells are hidden so that the total minus the visible cells never
  gives back a hidden one, alone or through a chain of lines;
- rates are hidden with their denominator, and with their numerator when it is hidden;
- places are coarsened: no point, no site name outside the programme, and a commune holding a
  single sensitive site is shown as its département.

What an attacker is assumed to know, against which `suppress_counts` is checked: every
visible cell; the true total of every line group whose total is 0 or at least k (a total
from 1 to k - 1 is itself a small count, which whoever publishes it must hide, and totals
derived from others by subtraction come with them); that a hidden cell holds a whole number
of at least 0 (a zero may be hidden as a partner, so a hidden cell is not known to be at
least 1); and, taking the "< k" label at its word, that it is at most k - 1. Each hidden
cell is checked against that knowledge, and one that could be worked out exactly gets
another partner. The check is exact for a two-way table with its row, column and grand
totals; for other line structures it errs towards hiding more. A hidden cell can stay
derivable only when the published totals give it away themselves (nothing visible is left
to hide around it); `attrs["suppression"]["derivable"]` counts those. Count columns are
protected one by one: relations between columns (minors are a part of all people turned
away) are not modelled.

Everything here is a pure function of pandas frames: the input is never modified.
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

# --- small counts -----------------------------------------------------------------------------


def suppress_counts(df: pd.DataFrame, counts: Sequence[str], k: int,
                    lines: Sequence[Sequence[str]] = ()) -> pd.DataFrame:
    """`df` with counts from 1 to k - 1 hidden (<NA>), and the partners that protect them.

    `lines` lists the groupings whose totals are, or may be, published: ["month"] means each
    month's total is known, [] the whole table's. For each group with a hidden cell, partners
    are hidden (smallest value first, then row order) until the group holds at least two
    hidden cells whose true values add up to k or more, so their sum is not a small count
    either; a zero is taken as a partner only when no non-zero cell is left. The lines are
    revisited until nothing changes, since a partner hidden for one line can expose another.
    Then each hidden cell is checked against everything an attacker knows (see the module
    docstring); a cell that can still be worked out exactly gets another partner, and so on.

    Each count column becomes nullable Int64; k <= 1 hides nothing. `result.attrs
    ["suppression"]` records k, the columns, how many cells were hidden per column, and
    ("derivable") how many hidden cells the published totals themselves give away: that only
    happens when no visible cell is left to hide, e.g. a line of two hidden 10s whose total,
    20, is published.
    """
    groups, group_lines = _line_groups(df, lines)
    result = df.copy()
    hidden_per_column, derivable_per_column = {}, {}
    for column in counts:
        values = _true_counts(df[column], column)
        hidden = (values >= 1) & (values < k)
        derivable = np.zeros(len(values), dtype=bool)
        if hidden.any() and groups:
            hidden, derivable = _protect(_Table(values, groups, group_lines, k), hidden)
        result[column] = pd.array(np.where(hidden, None, values), dtype="Int64")
        hidden_per_column[column] = int(hidden.sum())
        derivable_per_column[column] = int(derivable.sum())
    result.attrs = {**df.attrs, "suppression": {
        "k": k, "counts": list(counts), "suppressed": hidden_per_column,
        "derivable": derivable_per_column}}
    return result


def _true_counts(column: pd.Series, name: str) -> np.ndarray:
    if column.isna().any():
        raise ValueError(f"Count column {name!r} has missing values: a count is 0 when nothing "
                         "happened (coalesce it in SQL), never missing.")
    values = column.to_numpy(dtype="float64")
    if (values < 0).any() or (values != np.round(values)).any():
        raise ValueError(f"Count column {name!r} must hold whole numbers of at least 0.")
    return values.astype(np.int64)


def _line_groups(df: pd.DataFrame, lines: Sequence[Sequence[str]]) -> tuple[list[np.ndarray], list[int]]:
    """Row positions of every group of every line, each in row order, and the position in
    `lines` of each group's line."""
    groups, group_lines = [], []
    for number, line in enumerate(lines):
        if not line:
            found = [np.arange(len(df))]
        else:
            grouped = df.groupby(list(line), sort=False, dropna=False, observed=True)
            found = [np.sort(np.asarray(rows)) for rows in grouped.indices.values()]
        kept = [rows for rows in found if len(rows)]
        groups += kept
        group_lines += [number] * len(kept)
    return groups, group_lines


def _total_is_known(total: int, k: int) -> bool:
    return total == 0 or total >= k


class _Table:
    """One count column and its line groups, with what the attacker knows of them."""

    def __init__(self, values: np.ndarray, groups: list[np.ndarray], group_lines: list[int], k: int):
        self.values, self.groups, self.group_lines, self.k = values, groups, group_lines, k
        self.allowance = _Allowance(_COLUMN_BUDGET)
        totals = [int(values[rows].sum()) for rows in groups]
        self.known = [_total_is_known(total, k) for total in totals]
        self.groups_of_cell: list[list[int]] = [[] for _ in values]
        for g, rows in enumerate(groups):
            for cell in rows:
                self.groups_of_cell[cell].append(g)
        # A zero hidden in a group whose published total is 0 is given away: useless as a partner.
        self.useless_zeros = np.zeros(len(values), dtype=bool)
        for rows, total in zip(groups, totals):
            if total == 0:
                self.useless_zeros[rows] = True

    def known_groups(self) -> list[int]:
        return [g for g, known in enumerate(self.known) if known]


def _protect(table: _Table, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complementary suppression: the line rule first, then partners for any cell the
    attacker could still work out, until none can be or nothing is left to hide.
    Returns the hidden cells and those that stay derivable."""
    hidden = hidden.copy()
    # Cells the published totals give away even with every cell hidden: hiding more cannot
    # protect them, and seeking partners for them would hide the whole table for nothing.
    # (Pinned with everything hidden means pinned with anything hidden, for the attacker who
    # reads a hidden cell as any number >= 0.) Only proven ones: a search that ran out of
    # budget proves nothing, and such a cell keeps getting partners.
    given_away = set(_derivable_cells(table, np.ones(len(hidden), dtype=bool), proven_only=True))
    table.allowance = _Allowance(_COLUMN_BUDGET)
    while True:
        _apply_line_rule(table, hidden)
        derivable = _derivable_cells(table, hidden)
        partners = {partner for cell in derivable if cell not in given_away
                    if (partner := _partner_for(cell, table, hidden)) is not None}
        if not partners:
            return hidden, np.isin(np.arange(len(hidden)), derivable)
        hidden[sorted(partners)] = True


def _apply_line_rule(table: _Table, hidden: np.ndarray) -> None:
    changed = True
    while changed:
        changed = False
        for rows in table.groups:
            while hidden[rows].any() and not _line_is_protected(table.values[rows][hidden[rows]], table.k):
                partner = _smallest_visible(rows, table, hidden, zeros_allowed=hidden[rows].sum() < 2)
                if partner is None:
                    break  # every non-zero cell is hidden: the group's total is below k
                hidden[partner] = True
                changed = True


def _line_is_protected(hidden_values: np.ndarray, k: int) -> bool:
    return len(hidden_values) >= 2 and int(hidden_values.sum()) >= k


def _smallest_visible(rows: np.ndarray, table: _Table, hidden: np.ndarray, *,
                      zeros_allowed: bool) -> int | None:
    """The visible cell of `rows` whose hiding costs the reader least: the smallest non-zero
    value, the first in row order among equals; a zero only when allowed and none is left."""
    visible = rows[~hidden[rows]]
    non_zero = visible[table.values[visible] > 0]
    if len(non_zero):
        return int(non_zero[np.argmin(table.values[non_zero])])
    zeros = visible[~table.useless_zeros[visible]]
    return int(zeros[0]) if zeros_allowed and len(zeros) else None


def _partner_for(cell: int, table: _Table, hidden: np.ndarray) -> int | None:
    """Another cell to hide so that `cell` can no longer be worked out: the smallest visible
    cell sharing a published line with it, else one in the published lines tied to it
    through other hidden cells."""
    own = [g for g in table.groups_of_cell[cell] if table.known[g]]
    for candidate_groups in (own, _tied_groups(cell, table, hidden)):
        if candidate_groups:
            rows = np.unique(np.concatenate([table.groups[g] for g in candidate_groups]))
            partner = _smallest_visible(rows, table, hidden, zeros_allowed=True)
            if partner is not None:
                return partner
    return None


def _tied_groups(cell: int, table: _Table, hidden: np.ndarray) -> list[int]:
    """The published groups linked to `cell` through chains of hidden cells."""
    reached, tied, frontier = {cell}, set(), [cell]
    while frontier:
        for g in table.groups_of_cell[frontier.pop()]:
            if table.known[g] and g not in tied:
                tied.add(g)
                rows = table.groups[g]
                for other in rows[hidden[rows]].tolist():
                    if other not in reached:
                        reached.add(other)
                        frontier.append(other)
    return sorted(tied)


# --- the attacker's arithmetic ------------------------------------------------------------------
#
# The hidden cells are unknowns; each published line total gives an equation: the hidden
# cells of the group add up to the total minus its visible cells. A hidden cell is derivable
# when every whole-number solution within the attacker's bounds gives it its true value.
#
# Given one solution, the question is whether a "move" exists: a change of +1 or -1 to some
# hidden cells, this one included, that keeps every equation balanced and every cell within
# bounds. In a two-way table with its margins (a totally unimodular system), any other
# solution contains such a move, so the test is exact there; with other line structures,
# finding a move proves the cell safe and not finding one counts it as derivable, as does a
# search that runs out of budget: the answer is then more suppression, never a leak. The
# true values are a solution for the attacker who reads hidden cells as any number >= 0;
# for the one who reads "< k" as a bound, a solution is first reached from them by moves
# that bring any partner of k or more under k.

_SEARCH_BUDGET = 20_000  # steps per search: ample for tables of a few thousand cells
# Steps for all the searches of one count column. Searches over a two-way table take none (a
# path search does); other line structures can need many searches that each run out, which
# took tens of seconds on some donor tables. Once spent, every search counts as run out:
# its cell is taken as derivable and gets a partner, so the table ends hidden more, never less.
_COLUMN_BUDGET = 200_000


class _Allowance:
    def __init__(self, steps: int):
        self.left = steps

Equation = tuple[tuple[int, ...], int]


def _derivable_cells(table: _Table, hidden: np.ndarray, *, proven_only: bool = False) -> list[int]:
    """The hidden non-zero cells the attacker can work out; with `proven_only`, only those
    proven so for the attacker who reads a hidden cell as any number >= 0 (otherwise a
    search that runs out of budget counts its cell in, and both readings are checked)."""
    cells = np.flatnonzero(hidden)
    position = {int(cell): i for i, cell in enumerate(cells)}
    truth = [int(table.values[cell]) for cell in cells]
    equations: dict[tuple[int, ...], tuple[int, int]] = {}  # unknowns -> (total, line)
    for g in table.known_groups():
        rows = table.groups[g]
        hidden_rows = rows[hidden[rows]]
        if len(hidden_rows):
            rhs = int(table.values[hidden_rows].sum())  # the total minus the visible cells
            equations.setdefault(tuple(position[int(c)] for c in hidden_rows), (rhs, table.group_lines[g]))
    derivable = []
    for variables, component_equations in _components(len(cells), _without_redundant(equations)):
        derivable += [int(cells[i]) for i in _pinned(variables, truth, component_equations, table.k,
                                                     table.allowance, proven_only=proven_only)]
    return sorted(derivable)


def _without_redundant(equations: dict[tuple[int, ...], tuple[int, int]]) -> list[Equation]:
    """The equations less those that are the sum of others: a group whose unknowns are
    exactly those of some other line's equations inside it (a grand total, when every row
    total is published; a city's total, when each of its weeks' totals is). Dropping them
    leaves the same solutions, and often the shape of a two-way table, searched as a graph."""
    kept = dict(equations)
    for unknowns in sorted(equations, key=len, reverse=True):
        inside: dict[int, int] = {}  # line -> how many of its equations' unknowns lie inside
        spilling = set()
        members = set(unknowns)
        for other, (_, line) in kept.items():
            if other == unknowns or line == equations[unknowns][1]:
                continue
            covered = sum(1 for v in other if v in members)
            if covered == len(other):
                inside[line] = inside.get(line, 0) + covered
            elif covered:
                spilling.add(line)
        # A line's groups are disjoint, so its equations inside cover all the unknowns when
        # their sizes add up to them.
        if any(count == len(unknowns) and line not in spilling for line, count in inside.items()):
            del kept[unknowns]
    return sorted((unknowns, total) for unknowns, (total, _) in kept.items())


def _components(n: int, equations: list[Equation]) -> Iterator[tuple[list[int], list[Equation]]]:
    """Independent sub-systems: the unknowns linked by shared equations, and their equations."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for variables, _ in equations:
        for v in variables[1:]:
            parent[root(v)] = root(variables[0])
    members: dict[int, set[int]] = {}
    equations_of: dict[int, list[Equation]] = {}
    for variables, rhs in equations:
        r = root(variables[0])
        members.setdefault(r, set()).update(variables)
        equations_of.setdefault(r, []).append((variables, rhs))
    for r, variables in members.items():
        yield sorted(variables), equations_of[r]


def _pinned(variables: list[int], truth: list[int], equations: list[Equation], k: int,
            allowance: _Allowance, *, proven_only: bool = False) -> list[int]:
    """The non-zero unknowns of one sub-system that the attacker pins to their true value.

    Two readings of a hidden cell: any whole number >= 0; or, taking the "< k" label at its
    word, one from 0 to k - 1. Each is checked by moves from a solution of that reading:
    the true values, or, where a partner of k or more makes the label false, a solution of
    the attacker's (mistaken) system, which can still land on a cell's true value."""
    pinned = _pinned_from(truth, variables, truth, equations, allowance, ceiling=None,
                          proven_only=proven_only)
    if proven_only:
        return sorted(pinned)
    try:
        attacker_view = _solution_under_ceiling(variables, truth, equations, k - 1, allowance)
    except _SearchTooLong:
        return sorted(pinned | {v for v in variables if 0 < truth[v] <= k - 1})
    if attacker_view is not None:
        pinned |= _pinned_from(attacker_view, variables, truth, equations, allowance, ceiling=k - 1)
    return sorted(pinned)


def _pinned_from(point: list[int] | dict[int, int], variables: list[int], truth: list[int],
                 equations: list[Equation], allowance: _Allowance, ceiling: int | None,
                 proven_only: bool = False) -> set[int]:
    """The non-zero cells that every solution within [0, ceiling] gives their true value,
    given one such solution `point`. A move found for one cell frees every cell it changes."""
    can_rise = {v: ceiling is None or point[v] < ceiling for v in variables}
    can_fall = {v: point[v] > 0 for v in variables}
    search = _MoveSearch(equations, can_rise, can_fall, allowance)
    pinned, free = set(), set()
    for v in variables:
        if truth[v] == 0 or point[v] != truth[v] or v in free:
            continue
        move = search.move_through(v)
        if move is None:
            if not (proven_only and search.ran_out):
                pinned.add(v)
        else:
            free.update(move)
    return pinned


def _solution_under_ceiling(variables: list[int], truth: list[int], equations: list[Equation],
                            ceiling: int, allowance: _Allowance) -> dict[int, int] | None:
    """A solution with every unknown within [0, ceiling], reached from the true values by
    moves that lower the cells above the ceiling; None when there is none (the attacker then
    sees that the labels cannot all hold). Raises _SearchTooLong when a search runs out."""
    point = {v: truth[v] for v in variables}
    while True:
        over = [v for v in variables if point[v] > ceiling]
        if not over:
            return point
        search = _MoveSearch(equations, {v: point[v] < ceiling for v in variables},
                             {v: point[v] > 0 for v in variables}, allowance)
        move = search.move_through(over[0], steps=(-1,))
        if move is None and search.ran_out:
            raise _SearchTooLong
        if move is None:
            return None
        # Take the move as many times as the bounds allow, not one unit at a time.
        times = min([ceiling - point[v] for v, step in move.items() if step > 0]
                    + [point[v] - (ceiling if point[v] > ceiling else 0) for v, step in move.items() if step < 0])
        for v, step in move.items():
            point[v] += step * times


class _SearchTooLong(Exception):
    pass


class _MoveSearch:
    """Search for a balanced move through a given cell: a path search in a graph when the
    equations have the shape of a two-way table, else a depth-first search within a budget."""

    def __init__(self, equations: list[Equation], can_rise: dict[int, bool], can_fall: dict[int, bool],
                 allowance: _Allowance):
        self.equations, self.allowance = equations, allowance
        self.equations_of: dict[int, list[int]] = {}
        for e, (variables, _) in enumerate(equations):
            for v in variables:
                self.equations_of.setdefault(v, []).append(e)
        self.allowed = {+1: can_rise, -1: can_fall}
        self.graph = _TwoWayGraph.of(equations, self.equations_of, self.allowed)

    def move_through(self, i: int, steps: tuple[int, ...] = (+1, -1)) -> dict[int, int] | None:
        """A move (cell -> +1 or -1) changing cell i by one of `steps`, or None when there is
        none or the search ran out of budget (then `ran_out` is set)."""
        self.ran_out = False
        if self.graph is not None:
            return next((move for step in steps if self.allowed[step][i]
                         and (move := self.graph.cycle_through(i, step)) is not None), None)
        self.budget = start = min(_SEARCH_BUDGET, self.allowance.left)
        self.seen: set[frozenset] = set()
        try:
            for step in steps:
                if self.allowed[step][i]:
                    move = {i: step}
                    if self._extend(move, self._shift({}, i, step)):
                        return move
        except _SearchTooLong:
            self.ran_out = True
        finally:
            self.allowance.left -= start - max(self.budget, 0)
        return None

    def _shift(self, imbalance: dict[int, int], v: int, step: int) -> dict[int, int]:
        shifted = dict(imbalance)
        for e in self.equations_of[v]:
            shifted[e] = shifted.get(e, 0) + step
            if shifted[e] == 0:
                del shifted[e]
        return shifted

    def _extend(self, move: dict[int, int], imbalance: dict[int, int]) -> bool:
        """Whether `move` extends to one where every equation balances (`move` is left
        holding it). Takes the unbalanced equation with the fewest ways to balance it and
        tries each: one more cell moved against the imbalance. Every balanced extension moves
        one of those cells that way, so the search misses none."""
        if not imbalance:
            return True
        state = frozenset(move.items())
        if state in self.seen:
            return False
        self.seen.add(state)
        self.budget -= 1
        if self.budget < 0:
            raise _SearchTooLong
        best: tuple[int, list[int]] | None = None
        for e in sorted(imbalance, key=lambda e: len(self.equations[e][0])):
            variables = self.equations[e][0]
            if best is not None and len(variables) >= len(best[1]):
                # Which unbalanced equation to branch on only orders the search; scanning the
                # long ones (a grand total) costs more than a better choice would save.
                break
            step = -1 if imbalance[e] > 0 else +1
            options = [v for v in variables if v not in move and self.allowed[step][v]]
            if len(options) < abs(imbalance[e]):
                return False
            if best is None or len(options) < len(best[1]):
                best = (step, options)
        step, options = best
        for v in options:
            move[v] = step
            if self._extend(move, self._shift(imbalance, v, step)):
                return True
            del move[v]
        return False


class _TwoWayGraph:
    """The equations of a table whose published lines are two partitions of its cells (rows
    and columns: "city; diagnosis_group"), or one, as a directed graph where a move is a
    cycle, so that whether a cell can move is a path search instead of a search over sets of
    cells, which took tens of seconds on a donor's year of city × diagnosis tables.

    Each equation is a node, coloured by a two-colouring of the equations (A and B) in which
    a cell in two equations joins an A and a B; one more node, FREE, stands for every total
    that is not published. Raising a cell by 1 is an arc from its A side to its B side (FREE
    where it has no equation there), lowering it the reverse arc. An equation balances when
    as many used arcs leave its node as enter it, which is what a cycle gives every node; so
    a cell can move by `step` exactly when that arc lies on a directed cycle whose other arcs
    are other cells' allowed moves. FREE needs no balance: all of it being one node counts
    every path from one unpublished total to another as a cycle.
    """

    FREE = -1

    def __init__(self, ends: dict[int, tuple[int, int]], allowed: dict[int, dict[int, bool]]):
        self.ends = ends  # cell -> (A node, B node)
        self.arcs_from: dict[int, list[tuple[int, int, int]]] = {}  # node -> [(next node, cell, step)]
        for v, (a, b) in ends.items():
            if allowed[+1][v]:
                self.arcs_from.setdefault(a, []).append((b, v, +1))
            if allowed[-1][v]:
                self.arcs_from.setdefault(b, []).append((a, v, -1))

    @classmethod
    def of(cls, equations: list[Equation], equations_of: dict[int, list[int]],
           allowed: dict[int, dict[int, bool]]) -> _TwoWayGraph | None:
        """The graph, or None when some cell lies in more than two equations or the
        equations cannot be two-coloured (e.g. rows, columns and a grand total)."""
        if any(len(of) > 2 for of in equations_of.values()):
            return None
        neighbours: dict[int, set[int]] = {e: set() for e in range(len(equations))}
        for of in equations_of.values():
            if len(of) == 2:
                neighbours[of[0]].add(of[1])
                neighbours[of[1]].add(of[0])
        colour: dict[int, int] = {}
        for start in neighbours:
            if start in colour:
                continue
            colour[start], frontier = 0, [start]
            while frontier:
                e = frontier.pop()
                for other in neighbours[e]:
                    if other not in colour:
                        colour[other] = 1 - colour[e]
                        frontier.append(other)
                    elif colour[other] == colour[e]:
                        return None
        ends = {}
        for v, of in equations_of.items():
            side = {colour[e]: e for e in of}
            ends[v] = (side.get(0, cls.FREE), side.get(1, cls.FREE))
        return cls(ends, allowed)

    def cycle_through(self, cell: int, step: int) -> dict[int, int] | None:
        """The move of a shortest cycle through the cell's arc for `step`, or None."""
        a, b = self.ends[cell]
        start, goal = (b, a) if step > 0 else (a, b)
        came_by: dict[int, tuple[int, int, int] | None] = {start: None}
        frontier = [start]
        while frontier and goal not in came_by:
            reached = []
            for node in frontier:
                for following, v, v_step in self.arcs_from.get(node, ()):
                    if v != cell and following not in came_by:
                        came_by[following] = (node, v, v_step)
                        reached.append(following)
            frontier = reached
        if goal not in came_by:
            return None
        move, node = {cell: step}, goal
        while (arc := came_by[node]) is not None:
            node, v, v_step = arc
            move[v] = v_step
        return move


# --- rates and totals -------------------------------------------------------------------------


def suppress_rates(df: pd.DataFrame, rate: str, denominator: str, k: int, *,
                   numerator: str | None = None) -> pd.DataFrame:
    """`df` with `rate` hidden (<NA>) where its denominator is below k or hidden.

    A rate over a small denominator is a small count in disguise (1 of 3 is 33 %), and a rate
    next to its visible numerator gives the denominator back; so the rate goes with its
    denominator. Name the `numerator` column too when it is a suppressed count: a visible
    rate and denominator give the numerator back (rate x denominator). Missing values in
    either column always hide the rate; k <= 1 otherwise hides nothing.
    """
    result = df.copy()
    rates = pd.array(df[rate], dtype="Float64")
    denominators = pd.array(df[denominator], dtype="Float64")
    hide = np.asarray(pd.isna(denominators) | pd.isna(rates), dtype=bool)
    if k > 1:
        hide |= np.asarray((denominators < k).fillna(True), dtype=bool)
    if numerator is not None:
        hide |= np.asarray(pd.isna(df[numerator]), dtype=bool)
    rates[hide] = pd.NA
    result[rate] = rates
    return result


def published_total(df: pd.DataFrame, col: str) -> int:
    """The total of `col` over its visible cells only.

    Restricted audiences are given this total, never the true one: a true total minus the
    visible cells would give back the sum of the hidden ones (and the hidden cell itself when
    only one is hidden). The visible sum adds nothing to what the table already shows.
    """
    return int(pd.to_numeric(df[col]).dropna().sum())


def format_count(value: object, k: int, fmt: Callable[[object], str] = str, mark: str | None = None) -> str:
    """A count as the reader sees it: a hidden one as "< k" (never "0", never blank, which
    would read as nobody or as no data), or "[c]" where its mark says it is hidden to protect
    another (terrain/disclosure/marks.py); others through `fmt` (e.g. a French number format).
    With k <= 1 nothing is hidden, so a missing value is shown as missing: "–"."""
    if pd.isna(value):
        if k <= 1:
            return "–"
        return "[c]" if mark == "protect" else f"< {k}"
    return fmt(value)

"""The release ledger: every public output, with the cells it showed, checked against those
released before it.

A statistical office checks a new table against its earlier releases: two tables that are
each safe can give a hidden cell away together (the first hides a cell that the second
shows, and a margin of the first then gives the other hidden cell). So every public output
(a `publish` pack, a public brief, an export) is recorded here with its cells, and a new one
is refused when, together with everything released before, it would narrow a hidden cell to
fewer than `attack.MIN_VALUES` values, or when it revises an earlier figure by less than k
(the revision itself would be a small count).

The ledger is a small DuckDB file in the audit directory ($TERRAIN_AUDIT_DIR or data/audit/),
not in the main database, which an import or a rollback replaces whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import pandas as pd

from terrain import audit
from terrain.disclosure import attack, publication
from terrain.disclosure.attack import HIDDEN_MARKS, PROTECT, SHOWN, SMALL, SMALL_OR_ZERO, UNSEEN

LEDGER_FILE = "releases.duckdb"
_CREATE = """
CREATE TABLE IF NOT EXISTS releases (
    release_id   VARCHAR PRIMARY KEY,
    recorded_at  TIMESTAMP NOT NULL,
    user_name    VARCHAR NOT NULL,
    what         VARCHAR NOT NULL,
    audience     VARCHAR NOT NULL,
    data_as_of   DATE,
    dataset_name VARCHAR,
    cells        BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS released_cells (
    release_id  VARCHAR NOT NULL,
    measure     VARCHAR NOT NULL,
    breakdown   VARCHAR NOT NULL,
    category    VARCHAR NOT NULL,
    city        VARCHAR NOT NULL,
    month       DATE NOT NULL,
    value       BIGINT,
    status      VARCHAR NOT NULL
);
"""
_STATUS = {"shown": SHOWN, "small": SMALL, "small_or_zero": SMALL_OR_ZERO, "protect": PROTECT}


class Problem(str):
    """Why a release is refused, as an English sentence (the string itself), with what an
    output in another language needs to say it: the kind ("revised", "narrowed",
    "inconsistent"), the measure, city and month, and the figures (before and now, or the
    narrowed range)."""
    kind: str
    measure: str
    city: str
    month: dt.date
    figures: tuple

    def __new__(cls, text: str, kind: str, measure: str, city: str, month: dt.date, figures: tuple = ()) -> "Problem":
        problem = super().__new__(cls, text)
        problem.kind, problem.measure, problem.city, problem.month, problem.figures = kind, measure, city, month, figures
        return problem


class ReleaseRefused(Exception):
    """A public output that, with what was released before, would give a hidden cell away."""

    def __init__(self, problems: list[Problem]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Release:
    release_id: str
    cells: int


def ledger_path() -> Path:
    return audit.audit_dir() / LEDGER_FILE


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with audit.opened(path, read_only=False) as con:
        con.execute(_CREATE)
        yield con


def released_before(path: Path | None = None) -> pd.DataFrame:
    """Every cell released so far, latest release last."""
    path = path or ledger_path()
    if not path.exists():
        return pd.DataFrame(columns=["measure", "breakdown", "category", "city", "month", "value", "status", "recorded_at"])
    with _opened(path) as con:
        return con.execute("""
            SELECT c.measure, c.breakdown, c.category, c.city, c.month, c.value, c.status, r.recorded_at
            FROM released_cells AS c JOIN releases AS r USING (release_id)
            ORDER BY r.recorded_at
        """).df()


def problems(cells: pd.DataFrame, earlier: pd.DataFrame, k: int) -> list[Problem]:
    """Why `cells` (an output's published cells) may not be released after `earlier`; [] if
    it may. Each block (a family of measures in one month) that both hold is checked as a
    reader holding both would see it: a cell is known if any release shows it."""
    if earlier.empty or cells.empty:
        return []
    key = ["measure", "breakdown", "category", "city", "month"]
    cells = cells.assign(month=pd.to_datetime(cells["month"]).dt.date)
    earlier = earlier.assign(month=pd.to_datetime(earlier["month"]).dt.date)
    found: list[Problem] = []
    shown_before = earlier[earlier["status"] == "shown"].drop_duplicates(key, keep="last")
    both = cells[cells["status"] == "shown"].merge(shown_before[[*key, "value"]], on=key, suffixes=("", "_before"))
    revised = both[both["value"] != both["value_before"]]
    small_change = revised[(revised["value"] - revised["value_before"]).abs() < k]
    revised_keys = set(zip(revised["measure"], revised["breakdown"], revised["category"], revised["city"], revised["month"]))
    for row in small_change.head(5).itertuples():
        found.append(Problem(f"{row.measure} ({row.breakdown} {row.category}), {row.city}, {row.month:%Y-%m}: "
                             f"{row.value_before} released before, {row.value} now; the difference is a small count.",
                             "revised", row.measure, row.city, row.month, (int(row.value_before), int(row.value))))
    cities = sorted(c for c in cells["city"].unique() if c != publication.ALL_CITIES)
    family_of = {m.name: m.family for m in publication.MEASURES}
    cells = cells.assign(family=cells["measure"].map(family_of))
    earlier = earlier.assign(family=earlier["measure"].map(family_of))
    earlier_blocks = earlier.groupby(["family", "month"], sort=False).indices
    layouts = {family: publication.block_layout(family, cities) for family in publication.FAMILIES}
    for (family, month), block in cells.groupby(["family", "month"], sort=True):
        if (family, month) not in earlier_blocks:
            continue
        keys, relations = layouts[family]
        at = {k_: i for i, k_ in enumerate(keys)}
        values = np.zeros(len(keys))
        status = np.full(len(keys), SHOWN, dtype=np.int8)
        seen = np.zeros(len(keys), dtype=bool)
        before = earlier.iloc[earlier_blocks[(family, month)]]
        hidden_everywhere = np.ones(len(keys), dtype=bool)
        known = (values, status, seen, hidden_everywhere)
        _read(before, at, *known)
        known_before = tuple(array.copy() for array in known)
        _read(block, at, *known)
        if all(np.array_equal(now, then) for now, then in zip(known, known_before)):
            # The block tells a reader nothing the earlier releases did not: what they gave
            # away together was checked when the last of them was recorded (a block released
            # once is the published set's own, protected when it was built).
            continue
        status[~hidden_everywhere] = SHOWN
        status[~seen] = UNSEEN
        if not np.isin(status, HIDDEN_MARKS).any():
            continue
        try:
            lowest, highest = attack.ranges(values, status, relations, k)
        except RuntimeError:
            # Revised figures beside earlier ones no longer add up: a reader can trust neither
            # value of a revised cell, so it is left out and the rest checked again.
            for key_ in revised_keys:
                i = at.get(key_[:4]) if key_[4] == month else None
                if i is not None:
                    status[i] = UNSEEN
            try:
                lowest, highest = attack.ranges(values, status, relations, k)
            except RuntimeError:
                found.append(Problem(f"{family}, {month:%Y-%m}: figures revised since an earlier release no longer "
                                     "add up with the figures it showed, so what the two give away together cannot "
                                     "be checked.", "inconsistent", family, publication.ALL_CITIES, month))
                continue
        for i in attack.exposed_marked(lowest, highest, status, k)[:5]:
            measure, breakdown, category, city = keys[i]
            found.append(Problem(f"{measure} ({breakdown} {category}), {city}, {month:%Y-%m}: hidden in every "
                                 f"release, but with the earlier releases it can only be {lowest[i]:.0f} to "
                                 f"{highest[i]:.0f}.", "narrowed", measure, city, month,
                                 (int(lowest[i]), int(highest[i]))))
    return found


def _read(frame: pd.DataFrame, at: dict, values: np.ndarray, status: np.ndarray, seen: np.ndarray,
          hidden_everywhere: np.ndarray) -> None:
    """What a reader knows of a block once `frame`'s cells are read too, put in the arrays: a
    cell is seen, its value is the last shown, it is small if any release marked it small (1
    to k - 1 says more than "small or zero", 0 to k - 1)."""
    for row in frame.itertuples():
        i = at.get((row.measure, row.breakdown, row.category, row.city))
        if i is None:
            continue
        seen[i] = True
        if row.status == "shown":
            values[i] = row.value
            hidden_everywhere[i] = False
        elif status[i] != SMALL:
            status[i] = _STATUS[row.status]


def record(cells: pd.DataFrame, *, what: str, user: str, audience: str, data_as_of: dt.date | None,
           dataset_name: str | None, k: int, path: Path | None = None) -> Release:
    """Check `cells` against every earlier release and record them; ReleaseRefused if they
    would give a hidden cell away (nothing is recorded then)."""
    path = path or ledger_path()
    found = problems(cells, released_before(path), k)
    if found:
        raise ReleaseRefused(found)
    release_id = uuid.uuid4().hex
    with _opened(path) as con:
        con.execute("BEGIN")
        con.execute("INSERT INTO releases VALUES ($id, $at, $user, $what, $audience, $as_of, $dataset, $cells)",
                    {"id": release_id, "at": dt.datetime.now(), "user": user, "what": what, "audience": audience,
                     "as_of": data_as_of, "dataset": dataset_name, "cells": len(cells)})
        frame = cells[["measure", "breakdown", "category", "city", "month", "value", "status"]].assign(release_id=release_id)
        con.register("released_frame", frame)
        con.execute("""INSERT INTO released_cells SELECT release_id, measure, breakdown, category, city, month, value, status
                       FROM released_frame""")
        con.unregister("released_frame")
        con.execute("COMMIT")
    return Release(release_id, len(cells))

"""A new data version solves again only the blocks its change reaches.

A block (a family of measures in one month, for one threshold) is suppressed from its cells'
values, their layout and the threshold alone; `publication.build` keeps each block's statuses
by a digest of those and of the code (the table published_grid_blocks), and the next version,
which starts as a copy of the file, takes a block it finds there as it is. These tests hold
that to what matters: the published sets are cell for cell those of a build that solves every
block, after a change in one month, after a real import, and after kept statuses were changed
by hand; and a change in one month solves that month's blocks only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from terrain import summaries
from terrain.disclosure import publication
from terrain.importing import loading
from tests.test_demo import TABLE_DIGESTS

# Everything the published sets are: each table whole, in a fixed order.
SETS = {table: TABLE_DIGESTS[table] for table in publication.TABLES}
MONTHS = 3   # the approvals demo: January to March 2024


def _sets(path: Path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {table: con.execute(sql).fetchall()[0] for table, sql in SETS.items()}


def _solving_every_block(path: Path, folder: Path) -> dict[str, tuple]:
    """The published sets of a copy of `path` rebuilt with no block kept: every block solved."""
    whole = shutil.copyfile(path, folder / "whole.duckdb")
    with duckdb.connect(str(whole)) as con:
        con.execute("DELETE FROM published_grid_blocks")
        report = publication.build(con)
    assert report["donor"]["blocks_solved"] > 0
    return _sets(whole)


@pytest.fixture
def db(approvals_demo, tmp_path) -> Path:
    return shutil.copyfile(approvals_demo, tmp_path / "terrain.duckdb")


def test_a_change_in_one_month_solves_that_month_s_blocks_only_and_gives_the_cells_of_a_whole_build(db, tmp_path):
    with duckdb.connect(str(db)) as con:
        removed = con.execute("DELETE FROM consultations WHERE consulted_on BETWEEN '2024-02-01' AND '2024-02-10'"
                              ).fetchall()[0][0]
        summaries.refresh(con)
        report = publication.build(con)
    assert removed > 0
    for audience in publication.AUDIENCES:
        facts = report[audience]
        assert facts["blocks"] == len(publication.FAMILIES) * MONTHS
        # February's consultations only (the other families' blocks are as they were)
        assert facts["blocks_solved"] == 1, (audience, facts)
    assert _sets(db) == _solving_every_block(db, tmp_path)


def test_an_unchanged_file_rebuilt_solves_nothing(db):
    before = _sets(db)
    with duckdb.connect(str(db)) as con:
        report = publication.build(con)
    assert [report[audience]["blocks_solved"] for audience in publication.AUDIENCES] == [0, 0, 0]
    assert _sets(db) == before


def test_an_import_into_the_trial_copy_gives_the_cells_of_a_whole_build(db, tmp_path):
    # A night of frost in Calais, then a month of weather unchanged: the shelter family's
    # February block may change (cold nights), nothing else does.
    csv = "city;day;tmin_c;tmax_c;vigilance\nCalais;2024-02-07;-6,5;1;orange\n"
    report = loading.import_file(csv.encode(), "gel.csv", "weather_daily", db=db, trial=True, user="tester",
                                 via="test")
    assert report.ok and report.outcome == "loaded", report.problems
    trial = loading.trial_path(db)
    assert _sets(trial) == _solving_every_block(trial, tmp_path)


def test_kept_statuses_changed_by_hand_are_solved_again(db, tmp_path):
    # Every kept block made to show all its cells: a block with a small count of people must
    # be solved again, not trusted.
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE published_grid_blocks SET statuses = repeat('0', length(statuses))")
        report = publication.build(con)
    assert report["donor"]["blocks_solved"] > 0
    assert _sets(db) == _solving_every_block(db, tmp_path)


KEYS = publication.block_layout("outreach", ["Calais", "Paris"])[0]
VALUES = np.arange(len(KEYS), dtype=np.int64) % 7
SENSITIVE = np.ones(len(KEYS), dtype=bool)


@pytest.mark.parametrize("change", [
    {"family": "shelter"},
    {"k": 5},
    {"keys": publication.block_layout("outreach", ["Calais", "Pantin"])[0]},
    {"values": np.where(np.arange(len(KEYS)) == 3, VALUES + 1, VALUES)},
    {"sensitive": np.arange(len(KEYS)) != 0},
], ids=["family", "threshold", "cities", "one value", "one cell counts no one"])
def test_a_block_s_digest_changes_with_each_thing_its_statuses_depend_on(change):
    given = {"family": "outreach", "k": 11, "keys": KEYS, "values": VALUES, "sensitive": SENSITIVE}
    assert publication.block_digest(**given) == publication.block_digest(**{**given, "values": VALUES.copy()})
    assert publication.block_digest(**given) != publication.block_digest(**{**given, **change})

"""In-memory DuckDB instances that files are attached to for a moment, kept for the next moment.

A new DuckDB instance costs some 20 ms (DuckDB fills its catalogue of functions); attaching a
file to one that exists costs about one. The short reads and writes of the audit directory's
files and the snapshot an import is checked against each take an instance for their block
(`attached`): their ATTACH runs on a cursor of it, and their DETACH after the block.

An instance is lent to one block at a time, so two blocks never share a name. The block's
cursor is closed before the instance goes back, and with it what the block left unfinished
(rolled back) and its temporary objects. An instance comes back as it was lent, or it is
closed and never lent again: with nothing attached, no table or view made in its own
database, and the settings Terrain's code changes as they were made (a setting such as
memory_limit is the instance's, not the cursor's). A block works in the file it attached: a
macro, sequence or type it made in the instance's own database would not be seen here
(reading DuckDB's list of functions costs as much as a new instance).

A process forked from this one lends instances of its own: the parent's pool (its lock
perhaps held by another thread at the fork) and its instances (their threads) are the
parent's.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Iterator, Mapping

import duckdb

# What a lent instance is checked for when it comes back, in one statement: the databases
# attached to it, the tables and views made in its own, and the settings Terrain's code changes (every
# `SET` of a DuckDB setting in terrain/: tests/test_instances.py holds this list to the code).
_STATE = """
    SELECT (SELECT list(database_name ORDER BY database_name) FROM duckdb_databases()) AS databases,
           (SELECT count(*) FROM duckdb_tables() WHERE database_name = 'memory')
           + (SELECT count(*) FROM duckdb_views() WHERE database_name = 'memory' AND NOT internal) AS made,
           current_setting('memory_limit'), current_setting('temp_directory'), current_setting('threads'),
           current_setting('preserve_insertion_order'), current_setting('enable_progress_bar')
"""
# Instances kept idle; more are made while they are all lent (one per block running at once).
_KEPT = 8


class _Pool:
    def __init__(self):
        self.lock = threading.Lock()
        self.idle: list[duckdb.DuckDBPyConnection] = []
        self.made: list[tuple] | None = None   # an instance's state (_STATE) as DuckDB makes it


_POOL = _Pool()
_LEFT_BY_PARENT: list[_Pool] = []   # in a forked child, the parent's: kept, never used nor closed


def _after_fork_in_child() -> None:
    global _POOL
    _LEFT_BY_PARENT.append(_POOL)
    _POOL = _Pool()


os.register_at_fork(after_in_child=_after_fork_in_child)


@contextlib.contextmanager
def attached(attach: str, detach: str, params: Mapping[str, Any]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of an in-memory instance on which `attach` ran with `params`, for the block
    alone; `detach` runs once the block's cursor is closed. An error of `attach` is raised as
    DuckDB gives it, with nothing left attached."""
    pool = _POOL
    with pool.lock:
        instance = pool.idle.pop() if pool.idle else None
    if instance is None:
        instance = duckdb.connect()
        if pool.made is None:
            pool.made = instance.execute(_STATE).fetchall()
    try:
        con = instance.cursor()
        try:
            con.execute(attach, dict(params))
        except BaseException:
            con.close()
            raise
        try:
            yield con
        finally:
            con.close()
            # What the block committed is in the file's log already: a DETACH whose checkpoint
            # fails (a full disk) loses none of it, and an instance left holding the file is
            # closed below.
            with contextlib.suppress(duckdb.Error):
                instance.execute(detach)
    finally:
        _give_back(pool, instance)


def _give_back(pool: _Pool, instance: duckdb.DuckDBPyConnection) -> None:
    try:
        as_lent = instance.execute(_STATE).fetchall() == pool.made
    except duckdb.Error:
        as_lent = False
    if as_lent:   # (to its own pool: one from before a fork, in the child, is never lent again)
        with pool.lock:
            if len(pool.idle) < _KEPT:
                pool.idle.append(instance)
                return
    instance.close()

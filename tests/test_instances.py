"""The DuckDB instances files are attached to for a moment (terrain/instances.py): each block
has one to itself, and the next block gets an instance with nothing attached, no table or view
in its own database, and the settings Terrain's code sets as DuckDB makes them, whatever the
last block did to the one it had."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time

import duckdb
import pytest

from terrain import ROOT, instances

SCRATCH = ("ATTACH ':memory:' AS scratch", "DETACH scratch", {})
WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])     # refused at once while another process holds the file
con.execute("CREATE TABLE written AS SELECT 1 AS n")
con.close()
"""


def _setting(name: str) -> str:
    with instances.attached(*SCRATCH) as con:
        return con.execute("SELECT current_setting($name)", {"name": name}).fetchall()[0][0]


def test_a_setting_a_block_changed_is_not_lent_to_the_next():
    made_with = _setting("threads")
    with instances.attached(*SCRATCH) as con:
        con.execute("SET threads = 7")      # the instance's setting, not the cursor's
        assert con.execute("SELECT current_setting('threads')").fetchall() == [(7,)]
    assert _setting("threads") == made_with


def test_every_duckdb_setting_terrain_sets_is_checked_when_an_instance_comes_back():
    """A block may change a setting of its instance (the import's staging sets its memory
    limit and spill folder): each setting any code of terrain/ or queries/ sets (SET, PRAGMA)
    is one the pool reads."""
    settings = {name for (name,) in duckdb.connect().execute("SELECT name FROM duckdb_settings()").fetchall()}
    sources = [*ROOT.joinpath("terrain").rglob("*.py"), *ROOT.joinpath("terrain").rglob("*.sql"),
               *ROOT.joinpath("queries").rglob("*.sql")]
    changed = {name.lower() for path in sources
               for name in re.findall(r"\b(?:SET\s+(?:GLOBAL\s+|SESSION\s+)?|PRAGMA\s+)(\w+)",
                                      path.read_text(encoding="utf-8"), flags=re.IGNORECASE)} & settings
    assert {"memory_limit", "temp_directory"} <= changed    # (the search finds what is there)
    read = set(re.findall(r"current_setting\('(\w+)'\)", instances._STATE))
    assert changed <= read


def test_a_file_a_block_left_attached_is_let_go(tmp_path):
    """The instance is closed, which lets the file go: another process writes it at once."""
    left = tmp_path / "left.duckdb"
    with instances.attached(*SCRATCH) as con:
        con.execute("ATTACH $path AS left_behind", {"path": str(left)})
        con.execute("CREATE TABLE left_behind.t AS SELECT 1 AS n")
    other = subprocess.run([sys.executable, "-c", WRITER, str(left)], capture_output=True, text=True, timeout=60)
    assert other.returncode == 0, other.stderr
    with instances.attached("ATTACH $path AS left_behind (READ_ONLY)", "DETACH left_behind", {"path": str(left)}) as con:
        assert con.execute("SELECT n FROM left_behind.written").fetchall() == [(1,)]


def test_what_a_block_made_outside_its_file_is_not_seen_by_the_next():
    """(A temporary table lives on the block's cursor, which is closed; the instance's own
    database outlives it, and an instance with a table or view made there is not lent again.)"""
    with instances.attached(*SCRATCH) as con:
        con.execute("CREATE TEMP TABLE temporary_rows AS SELECT 1 AS n")
        con.execute("CREATE TABLE memory.main.own_rows AS SELECT 1 AS n")
    with instances.attached(*SCRATCH) as con:
        for reading in ("SELECT * FROM temporary_rows", "SELECT * FROM memory.main.own_rows"):
            with pytest.raises(duckdb.CatalogException):
                con.execute(reading)
    with instances.attached(*SCRATCH) as con:
        con.execute("CREATE VIEW memory.main.own_view AS SELECT 1 AS n")
    with instances.attached(*SCRATCH) as con:
        with pytest.raises(duckdb.CatalogException):
            con.execute("SELECT * FROM memory.main.own_view")


def test_blocks_at_once_each_have_an_instance_of_their_own():
    """Two threads inside a block at the same time, under the same name: neither is refused."""
    both_inside = threading.Barrier(2, timeout=60)
    found: dict[int, object] = {}

    def block(n: int) -> None:
        try:
            with instances.attached(*SCRATCH) as con:
                con.execute("CREATE TABLE scratch.mine AS SELECT $n AS n", {"n": n})
                both_inside.wait()
                found[n] = con.execute("SELECT n FROM scratch.mine").fetchall()
        except Exception as error:     # (said in the assertion below)
            found[n] = error
            both_inside.abort()
    threads = [threading.Thread(target=block, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert found == {1: [(1,)], 2: [(2,)]}


def test_a_forked_child_lends_instances_of_its_own():
    with instances.attached(*SCRATCH):
        pass
    kept = list(instances._POOL.idle)
    assert kept     # the parent keeps the instance for its next block
    pid = os.fork()
    if pid == 0:    # the child: none of the parent's instances is lent to it
        status = 1
        try:
            with instances.attached(*SCRATCH) as con:
                con.execute("CREATE TABLE scratch.t AS SELECT 42 AS n")
                ok = con.execute("SELECT n FROM scratch.t").fetchall() == [(42,)]
            status = 0 if ok and not any(i in instances._POOL.idle for i in kept) and instances._POOL.idle else 1
        finally:
            os._exit(status)
    deadline = time.monotonic() + 60
    while (ended := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if ended[0] == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert ended[0] == pid and os.waitstatus_to_exitcode(ended[1]) == 0
    assert instances._POOL.idle == kept   # and the parent's are still its own


def test_no_more_instances_are_kept_than_the_pool_keeps():
    """Blocks at once each make an instance while none is idle; once they end, the pool keeps
    `_KEPT` of them for the next blocks and closes the others."""
    with contextlib.ExitStack() as blocks:
        cursors = [blocks.enter_context(instances.attached(*SCRATCH)) for _ in range(instances._KEPT + 3)]
        assert instances._POOL.idle == []
        assert len(cursors) == instances._KEPT + 3
    assert len(instances._POOL.idle) == instances._KEPT

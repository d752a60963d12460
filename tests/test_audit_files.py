"""The audit directory's files (import audit, publication ledger, briefs log) are opened for
the moment of one read or write; a process that finds one held by another process's write
waits for it (terrain/audit.py, `opened`), and says DuckDB's error once it has waited long
enough. The other process here is a real one, holding DuckDB's lock on the file."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time

import duckdb
import pytest

from terrain import ROOT, audit
from terrain.disclosure import ledger
from terrain.importing import audit as import_audit

HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS held (n INTEGER)")
print("held", flush=True)
sys.stdin.readline()
con.execute("INSERT INTO held VALUES (1)")
con.close()
print("released", flush=True)
"""


@pytest.fixture
def holder(tmp_path):
    """A process holding a DuckDB file of the audit directory for its write, until told."""
    path = tmp_path / "audit" / "held.duckdb"
    path.parent.mkdir()
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    with pytest.raises(duckdb.IOException):   # held: a plain connection is refused at once
        duckdb.connect(str(path), read_only=True)

    def release() -> None:
        process.stdin.write("\n")
        process.stdin.flush()
    yield path, release
    with contextlib.suppress(BrokenPipeError):   # (ended already: nothing to tell it)
        release()
    process.wait(timeout=30)


@contextlib.contextmanager
def _opened_released_after(seconds: float, release, path, *, read_only: bool):
    """`audit.opened` begun while the file is held, `release` called from a timer `seconds`
    later: the connection, and how long it took to get."""
    timer = threading.Timer(seconds, release)
    began = time.monotonic()
    timer.start()
    try:
        with audit.opened(path, read_only=read_only) as con:
            timer.join()
            yield con, time.monotonic() - began
    finally:
        timer.join()


@pytest.mark.parametrize("read_only", [True, False])
def test_a_file_held_by_another_process_is_waited_for(holder, read_only):
    path, release = holder
    with _opened_released_after(0.3, release, path, read_only=read_only) as (con, waited):
        assert waited >= 0.3           # opened once the other process let go,
        assert con.execute("SELECT count(*) FROM held").fetchall() == [(1,)]   # and its write is there


def test_a_file_held_too_long_is_said_with_duckdb_s_error(holder):
    path, _ = holder
    began = time.monotonic()
    with pytest.raises(duckdb.IOException, match="lock"):
        with audit.opened(path, read_only=False, wait_seconds=0.5):
            pass
    assert time.monotonic() - began >= 0.5


def test_a_file_of_no_bytes_is_replaced_by_a_write_and_refused_to_a_read(tmp_path):
    path = tmp_path / "empty.duckdb"
    path.write_bytes(b"")      # a writer met a full disk before DuckDB wrote its header
    with pytest.raises(duckdb.IOException, match="not a valid DuckDB database file"):
        with audit.opened(path, read_only=True):       # (no one holds it: said at once)
            pass
    with audit.opened(path, read_only=False) as con:
        assert con.execute("SELECT 42").fetchall() == [(42,)]


def test_a_file_another_instance_of_this_process_holds_is_waited_for(tmp_path):
    """DuckDB refuses a file to a second instance of one process while another has it open:
    waited for, like another process's lock."""
    path = tmp_path / "briefs.duckdb"
    writer = duckdb.connect(str(path))
    writer.execute("CREATE TABLE held AS SELECT 1 AS n")
    with pytest.raises(duckdb.ResourceInUseException):
        duckdb.connect().execute("ATTACH $path AS elsewhere (READ_ONLY)", {"path": str(path)})
    with _opened_released_after(0.3, writer.close, path, read_only=True) as (reader, waited):
        assert waited >= 0.3
        assert reader.execute("SELECT n FROM held").fetchall() == [(1,)]


MAKER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.lockf(fd, fcntl.LOCK_EX)    # as DuckDB locks a file it makes, before writing its header
print("making", flush=True)
sys.stdin.readline()
"""


def test_a_file_of_no_bytes_another_process_is_making_is_waited_for_not_removed(tmp_path):
    path = tmp_path / "making.duckdb"
    process = subprocess.Popen([sys.executable, "-c", MAKER, str(path)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "making"
        made = path.stat().st_ino
        began = time.monotonic()
        with pytest.raises(duckdb.IOException, match="lock"):
            with audit.opened(path, read_only=False, wait_seconds=0.5):
                pass
        assert time.monotonic() - began >= 0.5
        assert path.stat().st_ino == made and path.stat().st_size == 0   # still the other's file
    finally:
        process.kill()
        process.wait(timeout=30)


def test_a_file_that_is_no_database_is_said_at_once(tmp_path):
    path = tmp_path / "broken.duckdb"
    path.write_bytes(b"no database here" * 64)
    for read_only in (True, False):
        began = time.monotonic()
        with pytest.raises(duckdb.IOException, match="not a valid DuckDB database file"):
            with audit.opened(path, read_only=read_only, wait_seconds=60):
                pass
        assert time.monotonic() - began < 30     # not waited for as if another process held it
    assert path.read_bytes() == b"no database here" * 64    # and left as it is


def test_the_import_audit_the_ledger_and_the_briefs_log_all_wait(tmp_path, monkeypatch):
    """Each of the three files, held by another process, is written once it is free."""
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path))
    writes = {
        import_audit.audit_path(): lambda: import_audit.record(import_audit.Attempt(
            user_name="tester", via="test", database_path=str(tmp_path / "terrain.duckdb"), outcome="failed")),
        ledger.ledger_path(): lambda: ledger.released_before(),
        audit.audit_path(): lambda: audit.record_brief(user="tester", via="test", entry=_brief_entry(),
                                                       parameters={}),
    }
    for path, write in writes.items():
        process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout.readline().strip() == "held"
            timer = threading.Timer(0.3, lambda: (process.stdin.write("\n"), process.stdin.flush()))
            timer.start()
            write()
            timer.join()
            assert process.stdout.readline().strip() == "released"
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
    assert len(import_audit.recent()) == 1
    assert len(audit.recent_briefs()) == 1


def _brief_entry() -> dict:
    import datetime as dt
    return {"rule": "cold_exclusion", "period_start": dt.date(2024, 1, 8), "period_end": dt.date(2024, 1, 21),
            "city": "Calais", "lang": "fr", "audience": "public", "threshold": 11, "format": "pdf",
            "recipient": "prefecture", "file_name": "note.pdf", "sha256": "0" * 64, "data_as_of": None,
            "dataset_name": None}


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])     # refused at once while another process holds the file
print(con.execute("SELECT count(*) FROM kept").fetchall()[0][0])
"""


def test_a_block_that_fails_leaves_nothing_half_done_and_lets_the_file_go(tmp_path):
    """What a failed block began is rolled back, and the file is let go: another process can
    write it at once, and the next block of this one opens it again."""
    path = tmp_path / "briefs.duckdb"
    with audit.opened(path, read_only=False) as con:
        con.execute("CREATE TABLE kept (n INTEGER PRIMARY KEY)")
        con.execute("INSERT INTO kept VALUES (1)")
    with pytest.raises(duckdb.ConstraintException):
        with audit.opened(path, read_only=False) as con:
            con.execute("BEGIN")
            con.execute("INSERT INTO kept VALUES (2)")
            con.execute("INSERT INTO kept VALUES (1)")
    other = subprocess.run([sys.executable, "-c", READER, str(path)], capture_output=True, text=True, timeout=60)
    assert other.returncode == 0, other.stderr
    assert other.stdout.strip() == "1"
    with audit.opened(path, read_only=True) as con:
        assert con.execute("SELECT n FROM kept").fetchall() == [(1,)]


FULL_AFTER_COMMIT = """
import datetime as dt, os, resource, signal, sys
os.environ["TERRAIN_AUDIT_DIR"] = sys.argv[1]
from terrain import ROOT, audit
entry = {"rule": "cold_exclusion", "period_start": dt.date(2024, 1, 8), "period_end": dt.date(2024, 1, 21),
         "city": "Calais", "lang": "fr", "audience": "public", "threshold": 11, "format": "pdf",
         "recipient": "prefecture", "file_name": "note.pdf", "sha256": "0" * 64, "data_as_of": None,
         "dataset_name": None}
audit.record_brief(user="tester", via="test", entry=entry, parameters={})
# The disk is then full for this file: a few bytes more than it holds. The entry's commit goes
# to the file's log, a new and small file; the checkpoint that would move it into the file cannot.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (audit.audit_path().stat().st_size + 1000, resource.RLIM_INFINITY))
audit.record_brief(user="tester", via="test", entry=entry, parameters={"note": "x" * 10_000})
print("recorded")
"""
COUNT = "import duckdb, sys; print(duckdb.connect(sys.argv[1]).execute('SELECT count(*) FROM brief_audit').fetchall()[0][0])"


def test_an_entry_committed_before_its_checkpoint_meets_a_full_disk_is_said_written(tmp_path):
    """What a block committed is in the file's log: a checkpoint that then fails (a full disk)
    loses none of it, so the write is not reported as failed (a brief would be refused for a
    trace that exists), and the next reader finds the entry."""
    wrote = subprocess.run([sys.executable, "-c", FULL_AFTER_COMMIT, str(tmp_path)], capture_output=True, text=True,
                           timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (wrote.returncode, wrote.stdout.strip()) == (0, "recorded"), wrote.stderr[-500:]
    assert (tmp_path / f"{audit.AUDIT_FILE}.wal").exists()    # the checkpoint did fail: the entry is in the log
    read = subprocess.run([sys.executable, "-c", COUNT, str(tmp_path / audit.AUDIT_FILE)], capture_output=True,
                          text=True, timeout=60)
    assert read.stdout.strip() == "2", read.stderr[-500:]

"""Imports while the app reads: no reader ever fails, and every read sees the database as
it was before an import or after it, never a half-applied import."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path


from terrain import ROOT, queries, store
from terrain.importing import loading
from tests import fixture_data

D = dt.date
NIGHTS = "site_id;night;beds_available;beds_occupied;turned_away;turned_away_minors;turned_away_girls"
IMPORTS = 4


def night_file(directory: Path, day: int) -> Path:
    path = directory / f"nuit-{day}.csv"
    path.write_bytes(f"{NIGHTS}\r\nmarseille_minors_shelter;{day:02d}/04/2024;20;18;0;0;0\r\n".encode("cp1252"))
    return path


def expected_states() -> set[tuple]:
    """(shelter nights, latest night, data as of) before any import and after each one:
    each import adds one night in April, which also moves "data as of" (the fixture's
    weather ends on 31 March)."""
    return {(74, D(2024, 2, 29), D(2024, 3, 31))} | {after_import(k) for k in range(1, IMPORTS + 1)}


def after_import(day: int) -> tuple:
    return 74 + day, D(2024, 4, day), D(2024, 4, day)


class Reader(threading.Thread):
    """Reads continuously through the query door, like the app: one read-only connection,
    reopened when the file's data version changes."""

    def __init__(self, db: Path):
        super().__init__(daemon=True)
        self.db, self.stop, self.seen, self.errors = db, threading.Event(), [], []
        self.read = threading.Condition()
        self.written = threading.Event()    # set once the writer is done
        self.reads_after_writing = 0        # whole reads begun after that

    def wait_for(self, done, timeout: float = 60) -> None:
        """Until `done()` holds or a read fails; a failure past the deadline."""
        with self.read:
            assert self.read.wait_for(lambda: done() or self.errors, timeout), "the reader stalled"

    def saw(self, state: tuple) -> None:
        self.wait_for(lambda: state in self.seen)

    def run(self) -> None:
        con, version = None, None
        while not self.stop.is_set():
            after_writing = self.written.is_set()
            try:
                current = store.data_version(self.db)
                if current != version:
                    if con is not None:
                        con.close()
                    con, version = store.open_readonly(self.db), current
                tables = queries.run(con, "table_row_counts", {}, role="programme_manager").set_index("table_name")
                meta = queries.run(con, "dataset_metadata", {}, role="programme_manager")
                state = (int(tables.loc["shelter_nights", "row_count"]), tables.loc["shelter_nights", "latest"].date(),
                         meta["data_as_of"].iloc[0].date())
                with self.read:
                    self.seen.append(state)
                    self.reads_after_writing += after_writing
                    self.read.notify_all()
            except Exception as error:  # any failure is what this test looks for
                with self.read:
                    self.errors.append(repr(error))
                    self.read.notify_all()
        if con is not None:
            con.close()


def watch(db: Path, write) -> Reader:
    """`write(reader)` while the reader reads: it starts after the reader's first read, and
    the reader stops after a whole read begun once the writer was done."""
    reader = Reader(db)
    reader.start()
    reader.wait_for(lambda: reader.seen)
    try:
        write(reader)
    finally:
        reader.written.set()
        reader.wait_for(lambda: reader.reads_after_writing)
        reader.stop.set()
    reader.join(timeout=30)
    return reader


def test_a_reader_sees_the_old_or_the_new_data_while_another_process_imports(tmp_path):
    db = fixture_data.build(tmp_path / "terrain.duckdb", is_synthetic=False, approved=False)
    environment = {**os.environ, "TERRAIN_AUDIT_DIR": str(tmp_path / "audit")}

    def import_with_the_command_line(reader):
        for day in range(1, IMPORTS + 1):
            done = subprocess.run([sys.executable, "-m", "terrain", "import", str(night_file(tmp_path, day)),
                                   "--table", "shelter_nights", "--db", str(db), "--user", "test"],
                                  cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            reader.saw(after_import(day))   # the next import starts once the reader has seen this one

    reader = watch(db, import_with_the_command_line)
    assert reader.errors == []
    assert set(reader.seen) <= expected_states()
    assert reader.seen[0] == (74, D(2024, 2, 29), D(2024, 3, 31))
    assert reader.seen[-1] == (78, D(2024, 4, 4), D(2024, 4, 4))
    assert set(reader.seen) == expected_states()  # every version was read, while the next import ran
    assert reader.seen == sorted(reader.seen)     # and never went back to an older version


def test_a_reader_in_the_same_process_as_the_import_sees_old_or_new(tmp_path, monkeypatch):
    # The page imports inside the app's process, next to the sessions reading.
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    db = fixture_data.build(tmp_path / "terrain.duckdb", is_synthetic=False, approved=False)

    def import_in_this_process(reader):
        for day in range(1, IMPORTS + 1):
            data = night_file(tmp_path, day).read_bytes()
            report = loading.import_file(data, f"nuit-{day}.csv", "shelter_nights", db=db, user="test", via="test")
            assert report.outcome == "loaded", loading.problem_lines(report, "en")

    reader = watch(db, import_in_this_process)
    assert reader.errors == []
    assert set(reader.seen) <= expected_states()
    assert reader.seen[-1] == (78, D(2024, 4, 4), D(2024, 4, 4))
    assert reader.seen == sorted(reader.seen)


def test_a_connection_opened_after_an_import_sees_it_while_an_old_one_is_still_open(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    db = fixture_data.build(tmp_path / "terrain.duckdb", is_synthetic=False, approved=False)
    old = store.open_readonly(db)    # the app keeps one per data version in st.cache_resource
    loading.import_file(night_file(tmp_path, 1).read_bytes(), "nuit-1.csv", "shelter_nights", db=db,
                        user="test", via="test")
    new = store.open_readonly(db)
    try:
        assert new.execute("SELECT count(*) FROM shelter_nights").fetchall() == [(75,)]
    finally:
        new.close()
        old.close()

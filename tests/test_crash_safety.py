"""Every writer killed at every step of the write protocol (terrain/store.py).

A real writer process (`python -m terrain import | rollback | upgrade | demo`, forked from a
server that imported the command line once: tests/commands.py) is started with
TERRAIN_FAULT_AT naming one step; it kills itself there with SIGKILL, as a power cut or an
OOM killer would, at exactly that instruction (no timing luck). Then, for each step:

- the database opens and is exactly the old version or the new one, and so is each previous
  version (.1 to .3): the files are told apart by their contents;
- recovery (what the next writer, or the app, does first) leaves the old version if the kill
  came before the intent was written, the new one if after, and the audit says which, with
  nothing left "applying";
- no temporary file remains, and the next import and a rollback work.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from terrain import ROOT, SCHEMA_VERSION, store
from terrain.importing import audit, loading
from tests import commands, files, fixture_data

NEW_DATABASE_STEPS = ("built", "audit_begun", "intent_written", "linked.3", "placed.3", "linked.2", "placed.2",
                      "linked.1", "placed.1", "linked:db", "placed:db", "arranged", "audit_finished")
# A demo over an earlier demo: there is only that one to keep, as .1.
DEMO_STEPS = ("built", "audit_begun", "intent_written", "linked.1", "placed.1", "linked:db", "placed:db", "arranged",
              "audit_finished")
ROLLBACK_STEPS = ("audit_begun", "intent_written", "linked:db", "placed:db", "linked.1", "placed.1", "linked.2",
                  "placed.2", "placed.3", "arranged", "audit_finished")
# Steps before the intent is on disk: nothing has moved, the old version stays.
BEFORE_INTENT = {"built", "audit_begun"}
WEATHER = "city;day;tmin_c;tmax_c;vigilance\nCalais;{day};-2,5;4;yellow\n"


def _reader(sql: str):
    """A function reading one figure of a database file, None where there is no file."""
    def read(path: Path) -> int | None:
        return files.figure(path, sql)
    return read


_weather_rows = _reader("SELECT count(*) FROM db.weather_daily")
_schema = _reader("SELECT schema_version FROM db.metadata")


def _layout(db: Path, read) -> tuple:
    return tuple(read(path) for path in [db, *store.backup_paths(db)])


def _env(folder: Path, step: str | None = None) -> dict:
    # Each folder its own temporary folder: what an import stages there is seen apart.
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TERRAIN_AUDIT_DIR": str(folder / "audit"), "PYTHONPATH": str(ROOT),
           "TMPDIR": str(folder / "tmp")}
    env.pop("TERRAIN_FAULT_AT", None)
    if step:
        env["TERRAIN_FAULT_AT"] = step
    return env


def _import_day(folder: Path, db: Path, day: str, step: str | None = None) -> subprocess.CompletedProcess:
    csv = folder / f"weather_{day}.csv"
    csv.write_text(WEATHER.format(day=day), encoding="utf-8")
    return commands.run(["import", str(csv), "--table", "weather_daily", "--db", str(db), "--lang", "en",
                         "--user", "tester"], env=_env(folder, step), timeout=120)


@pytest.fixture(scope="module")
def four_versions(tmp_path_factory) -> Path:
    """A real database with three previous versions: weather rows base, +1, +2, +3."""
    folder = tmp_path_factory.mktemp("versions")
    db = fixture_data.build(folder / "terrain.duckdb", is_synthetic=False, approved=False)
    for day in ("2024-04-01", "2024-04-02", "2024-04-03"):
        assert _import_day(folder, db, day).returncode == 0
    return db


def _copy(db: Path, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for source in [db, *store.backup_paths(db)]:
        if source.exists():
            shutil.copy2(source, folder / source.name)
    return folder / db.name


def _writer(kind: str, folder: Path, db: Path, step: str) -> subprocess.CompletedProcess:
    if kind == "import":
        return _import_day(folder, db, "2024-04-04", step)
    args = {"rollback": ["rollback", "--db", str(db), "--lang", "en"],
            "upgrade": ["upgrade", "--db", str(db), "--lang", "en"],
            "demo": ["demo", "--out", str(db), "--consultations", "0"]}[kind]
    return commands.run(args, env=_env(folder, step))


def _earlier_demo(folder: Path) -> Path:
    """A demo built by the command line in `folder` (its audit beside it), then told apart
    from the next demo by one weather row less."""
    folder.mkdir(parents=True)
    db = folder / "terrain.duckdb"
    result = commands.run(["demo", "--out", str(db), "--consultations", "0"], env=_env(folder))
    assert result.returncode == 0, result.stderr
    marker = duckdb.connect(str(db))
    marker.execute("DELETE FROM weather_daily WHERE day = (SELECT max(day) FROM weather_daily) AND city = 'Calais'")
    marker.close()
    return db


def _prepare(kind: str, base: Path, folder: Path, earlier_demo: Path) -> tuple[Path, tuple, tuple, object]:
    """The database to write, its layout before and after the writer, and how to read a file."""
    if kind == "demo":      # a demo over an earlier demo (one copy each): that one is kept as .1
        shutil.copytree(earlier_demo.parent, folder)
        db = folder / earlier_demo.name
        full = _weather_rows(db) + 1
        return db, (full - 1, None, None, None), (full, full - 1, None, None), _weather_rows
    db = _copy(base, folder)
    if kind == "upgrade":   # the live file as an older Terrain wrote it
        con = duckdb.connect(str(db))
        con.execute("UPDATE metadata SET schema_version = $v", {"v": SCHEMA_VERSION - 1})
        con.close()
        return db, (SCHEMA_VERSION - 1, SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION), \
            (SCHEMA_VERSION, SCHEMA_VERSION - 1, SCHEMA_VERSION, SCHEMA_VERSION), _schema
    before = _layout(db, _weather_rows)
    base_rows = before[0]
    if kind == "import":
        return db, before, (base_rows + 1, base_rows, base_rows - 1, base_rows - 2), _weather_rows
    return db, before, (base_rows - 1, base_rows - 2, base_rows - 3, None), _weather_rows


CASES = ([("import", s) for s in NEW_DATABASE_STEPS] + [("rollback", s) for s in ROLLBACK_STEPS]
         + [("upgrade", s) for s in NEW_DATABASE_STEPS] + [("demo", s) for s in DEMO_STEPS])


@pytest.fixture(scope="module")
def killed(four_versions, tmp_path_factory):
    """Every writer killed at every step, two at a time (each in its own folder)."""
    root = tmp_path_factory.mktemp("killed")
    earlier_demo = _earlier_demo(root / "earlier-demo")

    def run(case):
        prepared = _prepare(case[0], four_versions, root / f"{case[0]}-{case[1]}", earlier_demo)
        db = prepared[0]
        return case, (prepared, _writer(case[0], db.parent, db, case[1]))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        done = dict(pool.map(run, CASES))
    return {case: value[0] for case, value in done.items()}, {case: value[1] for case, value in done.items()}


@pytest.mark.parametrize("kind, step", CASES)
def test_a_writer_killed_at_any_step_leaves_the_old_or_the_new_version(killed, kind, step, monkeypatch):
    prepared, results = killed
    db, before, after, read = prepared[(kind, step)]
    result = results[(kind, step)]
    assert result.returncode == -9, f"the writer did not reach {step!r}: {result.returncode} {result.stderr[-500:]}"
    # The database itself is the old version or the new one; the previous versions may be
    # half way through their rotation, each still one of the known versions.
    layout = _layout(db, read)
    assert layout[0] in (before[0], after[0]), layout
    assert set(layout) <= {*before, *after}, layout

    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(db.parent / "audit"))
    loading.recover(db)   # what the next writer, or the app, does first
    expected = before if step in BEFORE_INTENT else after
    assert _layout(db, read) == expected
    if read is _weather_rows:   # (an upgrade's old version is an older Terrain's file)
        store.open_readonly(db).close()
    leftovers = sorted(p.name for p in db.parent.iterdir()
                       if p.name not in {db.name, *(b.name for b in store.backup_paths(db)), f"{db.name}.import.lock",
                                         "audit", "tmp"} and not p.name.endswith(".csv"))
    assert leftovers == []
    outcomes = audit.recent()
    assert "applying" not in set(outcomes["outcome"])
    wanted = {"import": "loaded", "rollback": "rolled_back", "upgrade": "upgraded", "demo": "demo_built"}[kind]
    if step == "built":     # killed before the audit heard of it: no row claims a change
        assert len(outcomes) == _rows_before(kind)
    else:
        latest = outcomes.iloc[0]
        assert latest["outcome"] == (wanted if step not in BEFORE_INTENT else "failed"), latest.to_dict()
        if step not in BEFORE_INTENT and step != "audit_finished":
            assert "finished_after_interruption" in latest["problems"]

    # The next write and a rollback work; the next import removes the rows a killed one staged.
    staged = sorted(p.name for p in (db.parent / "tmp").iterdir())
    assert all(name.startswith("terrain-import-") for name in staged) and (kind == "import") == bool(staged), staged
    if kind != "demo":
        assert _import_day(db.parent, db, "2024-04-05").returncode == 0
        assert list((db.parent / "tmp").iterdir()) == []
        assert loading.rollback(db, user="tester", via="test") == db
        assert _layout(db, read)[0] == expected[0]


def _rows_before(kind: str) -> int:
    """Audit rows a prepared folder holds before its writer runs (the demo built before)."""
    return {"demo": 1}.get(kind, 0)

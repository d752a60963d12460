"""Faults around a file rather than in it: no space, a folder or an audit that cannot be
written, a database that is damaged, foreign or from a newer Terrain. Each gives one clear
line (exit 2, or 1 for a refusal), never a traceback, and nothing changes or stays behind.
The commands run as real processes; a full disk is a file-size limit (RLIMIT_FSIZE) on the
writer, which makes its writes fail as a full disk does."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from terrain import ROOT, SCHEMA_VERSION, i18n
from tests import commands, fixture_data
from tests.apptest import run_page

WEATHER = "city;day;tmin_c;tmax_c;vigilance\nCalais;2024-04-03;-2,5;4;yellow\n"


@pytest.fixture(scope="module")
def real_db(tmp_path_factory) -> Path:
    return fixture_data.build(tmp_path_factory.mktemp("real") / "terrain.duckdb", is_synthetic=False, approved=False)


@pytest.fixture
def db(real_db, tmp_path) -> Path:
    copy = tmp_path / "data" / "terrain.duckdb"
    copy.parent.mkdir()
    shutil.copy2(real_db, copy)
    return copy


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _terrain(*args: str, audit: Path, file_size: int | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TERRAIN_AUDIT_DIR": str(audit), "PYTHONPATH": str(ROOT)}
    return commands.run(list(args), env=env, file_size=file_size)


def _one_line(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _only_the_database(folder: Path, db: Path) -> None:
    left = sorted(p.name for p in folder.iterdir() if p.name not in {db.name, f"{db.name}.import.lock"})
    assert left == [], left


def _damage(db: Path, damage: str) -> None:
    """Cut the file short, fill it with random bytes, or mark it as a newer Terrain's."""
    if damage == "truncated":
        db.write_bytes(db.read_bytes()[:100_000])
    elif damage == "random":
        db.write_bytes(os.urandom(300_000))
    else:
        con = duckdb.connect(str(db))
        con.execute("UPDATE metadata SET schema_version = $v", {"v": SCHEMA_VERSION + 1})
        con.close()


def _weather_file(tmp_path: Path) -> Path:
    path = tmp_path / "weather.csv"
    path.write_text(WEATHER, encoding="utf-8")
    return path


def test_a_full_disk_during_an_import_changes_nothing_and_leaves_nothing(db, tmp_path):
    before = _digest(db)
    result = _terrain("import", str(_weather_file(tmp_path)), "--table", "weather_daily", "--db", str(db),
                      "--lang", "en", audit=tmp_path / "audit", file_size=db.stat().st_size // 2)
    line = _one_line(result, 2)
    assert line.startswith("Could not be done: Cannot write a new version of") and "File too large" in line
    assert line.endswith("Nothing was changed.")
    assert _digest(db) == before
    _only_the_database(db.parent, db)


def test_an_audit_that_cannot_be_written_stops_the_change_before_it_is_made(db, tmp_path):
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the audit folder should be")
    before = _digest(db)
    result = _terrain("import", str(_weather_file(tmp_path)), "--table", "weather_daily", "--db", str(db),
                      "--lang", "fr", audit=blocked / "audit")
    line = _one_line(result, 2)
    assert line.startswith("Opération impossible") and "imports.duckdb" in line
    assert _digest(db) == before
    _only_the_database(db.parent, db)


def test_an_audit_file_left_empty_by_a_full_disk_is_started_again(db, tmp_path):
    audit = tmp_path / "audit"
    audit.mkdir()
    (audit / "imports.duckdb").write_bytes(b"")
    result = _terrain("import", str(_weather_file(tmp_path)), "--table", "weather_daily", "--db", str(db),
                      "--lang", "en", audit=audit)
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(audit / "imports.duckdb"), read_only=True)
    assert con.execute("SELECT outcome FROM import_audit").fetchall() == [("loaded",)]
    con.close()


@pytest.mark.parametrize("damage", ["truncated", "random", "newer"])
@pytest.mark.parametrize("command", ["import", "upgrade", "rollback", "demo"])
def test_a_damaged_or_foreign_database_gives_one_line_and_stays_as_it_is(db, tmp_path, damage, command):
    _damage(db, damage)
    before = _digest(db)
    args = {"import": ["import", str(_weather_file(tmp_path)), "--table", "weather_daily", "--db", str(db)],
            "upgrade": ["upgrade", "--db", str(db)], "rollback": ["rollback", "--db", str(db)],
            "demo": ["demo", "--out", str(db), "--consultations", "0"]}[command]
    result = _terrain(*args, *([] if command == "demo" else ["--lang", "en"]), audit=tmp_path / "audit")
    code = {"rollback": 1, "demo": 1}.get(command, 2)
    line = _one_line(result, code)
    if damage == "newer" and command in ("import", "upgrade"):
        assert "written by a newer Terrain" in line
    assert _digest(db) == before
    _only_the_database(db.parent, db)


def test_demo_over_real_data_exits_1_and_changes_nothing(db, tmp_path):
    before = _digest(db)
    line = _one_line(_terrain("demo", "--out", str(db), "--consultations", "0", audit=tmp_path / "audit"), 1)
    assert "holds real data" in line
    assert _digest(db) == before
    _only_the_database(db.parent, db)


def test_a_folder_that_cannot_hold_the_database_gives_one_line(tmp_path):
    (tmp_path / "file").write_text("in the way")
    line = _one_line(_terrain("import", str(_weather_file(tmp_path)), "--table", "weather_daily", "--db",
                              str(tmp_path / "file" / "terrain.duckdb"), "--lang", "en", audit=tmp_path / "audit"), 2)
    assert line.startswith("Could not be done: Cannot write in")


@pytest.mark.parametrize("damage", ["random", "newer"])
def test_a_page_over_a_damaged_database_says_so_in_one_line(db, monkeypatch, damage):
    _damage(db, damage)
    monkeypatch.setenv("TERRAIN_DB", str(db))
    for page in ("overview", "imports"):
        at = run_page(f"pages/{page}.py", "programme_manager", user="tester")
        [error] = [e.value for e in at.error]
        lead = i18n.t("common.unreadable_database", "fr", path=str(db), reason="").split("(")[0]
        assert error.startswith(lead) and "\n" not in error, error


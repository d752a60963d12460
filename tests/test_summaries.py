"""The summary tables count exactly what the consultations table holds (tests/fixture_data.py)."""

import datetime as dt
import shutil

import duckdb
import pytest

from terrain import SCHEMA_VERSION, store, summaries
from terrain.importing import audit
from terrain.__main__ import main
from tests import fixture_data


@pytest.fixture
def con(fixture_db, tmp_path):
    path = tmp_path / "summaries.duckdb"
    shutil.copyfile(fixture_db, path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


def _rows(con, table, *columns):
    return sorted(con.table(table).select(*columns).fetchall())


def test_every_summary_adds_up_to_the_consultations(con):
    counts = summaries.refresh(con)

    assert list(counts) == list(summaries.TABLES)
    consultations = sum(group[-1] for group in fixture_data.CONSULTATION_GROUPS)  # 88
    for table in summaries.TABLES:
        assert con.table(table).aggregate("sum(consultations)::BIGINT").fetchall() == [(consultations,)], table


def test_one_row_per_day_site_and_categories_with_its_count(con):
    summaries.refresh(con)

    # Six groups of identical consultations in the fixture: one row each, with its size.
    assert _rows(con, "consultations_daily", "consulted_on", "site_id", "activity", "consultations") == [
        (dt.date(2023, 12, 5), "calais_camps", "medical", 20),
        (dt.date(2024, 1, 10), "calais_camps", "medical", 30),
        (dt.date(2024, 1, 12), "calais_camps", "mental_health", 12),
        (dt.date(2024, 1, 15), "calais_camps", "social", 3),
        (dt.date(2024, 1, 20), "pantin_girls_shelter", "medical", 8),
        (dt.date(2024, 2, 5), "marseille_minors_shelter", "medical", 15)]
    assert _rows(con, "site_diagnoses_daily", "consulted_on", "diagnosis_group", "consultations")[:2] == [
        (dt.date(2023, 12, 5), "respiratory_infection", 20), (dt.date(2024, 1, 10), "respiratory_infection", 30)]
    assert _rows(con, "consultations_daily_visit", "consulted_on", "visit", "referred")[3] == (
        dt.date(2024, 1, 15), "new", True)


def test_refresh_is_idempotent_and_follows_new_rows(con):
    first = summaries.refresh(con)
    assert summaries.refresh(con) == first

    con.execute("INSERT INTO consultations SELECT * FROM consultations WHERE consulted_on = DATE '2024-01-15'")
    summaries.refresh(con)

    assert _rows(con, "consultations_daily", "consulted_on", "consultations")[3] == (dt.date(2024, 1, 15), 6)
    assert summaries.refresh(con)["consultations_daily"] == first["consultations_daily"]


def test_every_written_database_carries_its_summaries(fixture_db):
    # tests/fixture_data.py writes through terrain.store.new_database, as the demo and imports do.
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        for table in summaries.TABLES:
            assert con.table(table).aggregate("sum(consultations)::BIGINT").fetchall() == [(88,)], table


def _as_written_by_schema_1(path):
    with duckdb.connect(str(path)) as con:
        con.execute("""
            DROP TABLE consultations_daily; DROP TABLE consultations_daily_diagnosis;
            DROP TABLE consultations_daily_coverage; DROP TABLE consultations_daily_visit;
            DROP TABLE site_diagnoses_daily;
            UPDATE metadata SET schema_version = 1""")
        assert not {row[0] for row in con.execute("SHOW TABLES").fetchall()} & set(summaries.TABLES)


def test_an_older_file_is_refused_with_the_command_that_upgrades_it(fixture_db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    path = tmp_path / "old.duckdb"
    shutil.copyfile(fixture_db, path)
    _as_written_by_schema_1(path)

    with pytest.raises(store.OutdatedDatabase, match="python -m terrain upgrade"):
        store.open_readonly(path)

    assert main(["upgrade", "--db", str(path), "--lang", "en"]) == 0
    assert "rewritten" in capsys.readouterr().out
    con = store.open_readonly(path)
    try:
        assert con.table("consultations_daily").aggregate("sum(consultations)::BIGINT").fetchall() == [(88,)]
        assert con.execute("SELECT schema_version FROM metadata").fetchall() == [(SCHEMA_VERSION,)]
    finally:
        con.close()
    # The file as it was is kept, and a second upgrade changes nothing.
    with duckdb.connect(str(store.backup_paths(path)[0]), read_only=True) as old:
        assert old.execute("SELECT schema_version FROM metadata").fetchall() == [(1,)]
    assert main(["upgrade", "--db", str(path), "--lang", "en"]) == 0
    assert "already" in capsys.readouterr().out
    # The upgrade is in the audit, once: the second run changed nothing.
    recorded = audit.recent()
    assert list(recorded["outcome"]) == ["upgraded"] and list(recorded["database_path"]) == [str(path)]

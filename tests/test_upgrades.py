"""Upgrading a file written before campaigns had target age bands (schema 4): the file is
rebuilt into this schema, every row kept, each campaign's bands read from its target ages in
words, or from its doses' ages, and the upgrade says which and how."""

import datetime as dt
import shutil

import duckdb
import pytest

from terrain import SCHEMA_VERSION, queries, store
from terrain.__main__ import main
from tests import fixture_data

D = dt.date
CAMPAIGNS = [
    ("mmr-2024-pantin", "mmr", D(2024, 1, 15), D(2024, 1, 31), "15-17 ans / 15-17 years", ["15-17"], 20, 40),
    # words that state no age: the bands its doses were given in
    ("dtp-2024-pantin", "dtp", D(2024, 1, 15), D(2024, 1, 31), "rattrapage", ["15-17"], 20, 40),
    # neither: every known band
    ("flu-2024-calais", "influenza", D(2024, 1, 15), D(2024, 1, 31), "à préciser", ["35+"], 10, 20),
]
DOSES = [
    (D(2024, 1, 20), "pantin_girls_shelter", "mmr-2024-pantin", "mmr", "15-17", 14),
    (D(2024, 1, 20), "pantin_girls_shelter", "mmr-2024-pantin", "mmr", "18-24", 3),
    (D(2024, 1, 21), "pantin_girls_shelter", "dtp-2024-pantin", "dtp", "15-17", 6),
    (D(2024, 1, 21), "pantin_girls_shelter", "dtp-2024-pantin", "dtp", "0-14", 2),
    (D(2024, 1, 21), "pantin_girls_shelter", "dtp-2024-pantin", "dtp", "unknown", 1),
]
TABLES = ("sites", "shelter_nights", "consultations", "outreach", "vaccinations", "weather_daily", "winter_plan")


def _as_written_by_schema_4(path):
    """The file as Terrain 4 wrote it: campaigns without target_age_bands, and a table the
    schema does not know (the demo's planted events)."""
    with duckdb.connect(str(path)) as con:
        con.execute("ALTER TABLE vaccination_campaigns DROP COLUMN target_age_bands")
        con.execute("CREATE TABLE demo_planted_events (event VARCHAR NOT NULL, starts DATE NOT NULL)")
        con.execute("INSERT INTO demo_planted_events VALUES ('outbreak', DATE '2024-01-08')")
        con.execute("UPDATE metadata SET schema_version = 4")


def _counts(path):
    with duckdb.connect(str(path), read_only=True) as con:
        return {table: con.execute("SELECT count(*) FROM query_table($t)", {"t": table}).fetchone()[0]
                for table in TABLES}


@pytest.fixture
def old_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    path = fixture_data.build(tmp_path / "old.duckdb", campaigns=CAMPAIGNS, vaccinations=DOSES)
    _as_written_by_schema_4(path)
    return path


def test_an_older_file_gets_its_campaigns_bands_and_says_how(old_file, capsys):
    before = _counts(old_file)
    with pytest.raises(store.OutdatedDatabase):
        store.open_readonly(old_file)

    assert main(["upgrade", "--db", str(old_file), "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "Campagne mmr-2024-pantin\u00a0: tranches d'âge ciblées 15-17, lues dans ses âges ciblés" in out
    assert "Campagne dtp-2024-pantin\u00a0: ses âges ciblés «\u00a0rattrapage\u00a0» ne disent aucun âge lisible\u00a0; " \
           "tranches d'âge ciblées 0-14, 15-17, celles où ses doses ont été données (à vérifier)." in out
    assert "Campagne flu-2024-calais\u00a0: ses âges ciblés «\u00a0à préciser\u00a0» ne disent aucun âge lisible et " \
           "elle n'a aucune dose\u00a0; toutes les tranches d'âge connues (0-14, 15-17, 18-24, 25-34, 35+)" in out
    assert "colonne target_age_bands" in out

    con = store.open_readonly(old_file)
    try:
        assert con.execute("SELECT schema_version FROM metadata").fetchall() == [(SCHEMA_VERSION,)]
        bands = dict(con.execute("SELECT campaign_id, target_age_bands::VARCHAR[] FROM vaccination_campaigns").fetchall())
        assert bands == {"mmr-2024-pantin": ["15-17"], "dtp-2024-pantin": ["0-14", "15-17"],
                         "flu-2024-calais": ["0-14", "15-17", "18-24", "25-34", "35+"]}
        # Coverage now counts the target ages: 14 of the MMR campaign's 17 doses.
        frame = queries.run(con, "vaccinations_by_campaign", {"start": D(2024, 1, 1), "end": D(2024, 1, 31),
                                                               "cities": []}, role="programme_manager")
        mmr = frame.set_index("campaign_id").loc["mmr-2024-pantin"]
        assert (mmr.doses_in_target, mmr.doses_outside_target) == (14, 3)
        assert (mmr.coverage_low, mmr.coverage_high) == pytest.approx((14 / 40, 14 / 20))
        # Every row kept, the table the schema does not hold too, the summaries rebuilt.
        assert con.execute("SELECT * FROM demo_planted_events").fetchall() == [("outbreak", D(2024, 1, 8))]
        assert con.table("consultations_daily").aggregate("sum(consultations)::BIGINT").fetchall() == [(88,)]
    finally:
        con.close()
    assert _counts(old_file) == before
    # The file as it was is kept, and rollback would put it back.
    shutil.copyfile(store.backup_paths(old_file)[0], old_file.with_name("kept.duckdb"))
    with duckdb.connect(str(old_file.with_name("kept.duckdb")), read_only=True) as kept:
        assert kept.execute("SELECT schema_version FROM metadata").fetchall() == [(4,)]
    assert main(["upgrade", "--db", str(old_file), "--lang", "en"]) == 0
    assert "already" in capsys.readouterr().out


def test_the_rebuilt_file_keeps_the_schema_s_rules(old_file):
    store.upgrade(old_file)
    with duckdb.connect(str(old_file)) as con:
        with pytest.raises(duckdb.ConstraintException):
            con.execute("UPDATE vaccination_campaigns SET target_age_bands = ['unknown'] WHERE campaign_id = "
                        "'mmr-2024-pantin'")
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO sites SELECT * FROM sites LIMIT 1")   # its primary key

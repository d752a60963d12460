"""DHIS2 dataValueSets in: the shipped example is the demo's, it loads through the command
line into a real database and gives back the demo's rows, a defective export is refused
by name with the database unchanged, and the reader and translator hold for any input."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
import tomllib

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terrain import ROOT, store
from terrain.importing import audit, dhis2

EXAMPLE = ROOT / "examples" / "dhis2"
MAPPING = EXAMPLE / "mapping.toml"


@pytest.fixture(scope="module")
def demo_db(reference_demo):
    """The default demo as the example was built from (seed 42, as of 30 November 2026)."""
    return reference_demo


@pytest.fixture
def real_db(demo_db, tmp_path, monkeypatch):
    """A new real database holding the example's sites (loaded in place of a demo copy)."""
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    path = tmp_path / "terrain.duckdb"
    shutil.copy(demo_db, path)
    done = _cli("import", str(EXAMPLE / "sites.csv"), "--table", "sites", "--db", str(path), "--start-real",
                env_audit=tmp_path / "audit")
    assert done.returncode == 0, done.stderr
    return path


def _cli(*args: str, env_audit) -> subprocess.CompletedProcess:
    import os
    env = {**os.environ, "TERRAIN_AUDIT_DIR": str(env_audit)}
    return subprocess.run([sys.executable, "-m", "terrain", *args, "--lang", "en"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)


def _nights(path, sites, first, last) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT * FROM shelter_nights WHERE site_id IN $sites AND night BETWEEN $first AND $last "
                           "ORDER BY site_id, night", {"sites": sites, "first": first, "last": last}).fetchall()
    finally:
        con.close()


def test_the_shipped_example_is_built_from_the_demo(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        files = dhis2.example_files(con, dhis2.load_mapping(MAPPING))
    finally:
        con.close()
    for name, content in files.items():
        assert (EXAMPLE / name).read_bytes() == content, f"{name}: run python -m terrain.importing.dhis2 {EXAMPLE}"


@pytest.mark.parametrize("export", ["dataValueSets_2026-10.json", "dataValueSets_2026-10.csv"])
def test_an_export_loads_through_the_command_line_and_gives_back_the_demo_rows(export, demo_db, real_db, tmp_path):
    mapping = dhis2.load_mapping(MAPPING)
    sites = sorted(mapping.org_units.values())
    done = _cli("import", str(EXAMPLE / export), "--from", "dhis2", "--mapping", str(MAPPING), "--db", str(real_db),
                env_audit=tmp_path / "audit")
    assert done.returncode == 0, done.stderr
    assert "465 values read" in done.stdout and "93 rows for table shelter_nights" in done.stdout
    october = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    loaded = _nights(real_db, sites, *october)
    assert len(loaded) == 93 and loaded == _nights(demo_db, sites, *october)
    attempts = audit.recent()
    assert attempts.iloc[0]["outcome"] == "loaded" and "DHIS2 → shelter_nights" in attempts.iloc[0]["file_name"]
    # The same export again: the nights are already there, refused unless replaced.
    again = _cli("import", str(EXAMPLE / export), "--from", "dhis2", "--mapping", str(MAPPING), "--db", str(real_db),
                 env_audit=tmp_path / "audit")
    assert again.returncode == 1
    replaced = _cli("import", str(EXAMPLE / export), "--from", "dhis2", "--mapping", str(MAPPING), "--db",
                    str(real_db), "--replace", env_audit=tmp_path / "audit")
    assert replaced.returncode == 0, replaced.stderr


DEFECTIVE = """dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value
tN3kBedsAvl,2026W40,OuPantinMin,HllvX50cXC0,HllvX50cXC0,20
XXunknownDE,20261003,OuPantinMin,HllvX50cXC0,HllvX50cXC0,2
tN3kBedsOcc,20261003,OuNowhere01,HllvX50cXC0,HllvX50cXC0,3
tN3kBedsOcc,202610,OuPantinMin,HllvX50cXC0,HllvX50cXC0,12.5
tN3kTurnAll,20261004,OuPantinMin,HllvX50cXC0,HllvX50cXC0,-1
tN3kBedsAvl,20261005,OuPantinMin,aBadCombo01,HllvX50cXC0,4
"""


def test_a_defective_export_is_refused_by_name_and_nothing_changes(real_db, tmp_path):
    path = tmp_path / "defective.csv"
    path.write_text(DEFECTIVE)
    before = hashlib.sha256(real_db.read_bytes()).hexdigest()
    done = _cli("import", str(path), "--from", "dhis2", "--mapping", str(MAPPING), "--db", str(real_db),
                env_audit=tmp_path / "audit")
    assert done.returncode == 1
    for named in ("row 2, column “period”: period 2026W40 is weekly",
                  "row 3, column “dataElement”: data element XXunknownDE is not in the mapping file",
                  "row 4, column “orgUnit”: organisation unit OuNowhere01 has no Terrain site",
                  "row 5, column “period”: period 202610 is monthly",
                  "row 5, column “value”: value “12.5” of tN3kBedsOcc is not a count",
                  "row 6, column “value”: value “-1” of tN3kTurnAll is not a count",
                  ("row 7, column “categoryOptionCombo”: data element tN3kBedsAvl has no mapping for category "
                  "option combo aBadCombo01")):
        assert named in done.stderr, (named, done.stderr)
    assert hashlib.sha256(real_db.read_bytes()).hexdigest() == before
    assert audit.recent().iloc[0]["outcome"] == "refused"


def test_a_night_missing_a_value_is_named():
    mapping = dhis2.load_mapping(MAPPING)
    values = [dhis2.DataValue(2, "tN3kBedsAvl", "20261001", "OuPantinMin", dhis2.DEFAULT_COMBO, dhis2.DEFAULT_COMBO, "20")]
    translation = dhis2.translate(values, mapping)
    missing = {c for f in translation.problems if f.kind == "missing_column" for c in f.values["column"]}
    assert missing == {"beds_occupied", "turned_away", "turned_away_minors", "turned_away_girls"}
    assert translation.csv == b""


CONSULTATIONS = """
table = "consultations"
[org_units]
OuParisMob1 = "paris_mobile_team"
[defaults]
visit = "first"
unaccompanied_minor = "unknown"
diagnosis_group = "other"
health_coverage = "unknown"
referred = false
[[values]]
data_element = "cOnsultMed1"
category_option_combo = "cMale1824ab"
rows = true
set = { activity = "medical", sex = "M", age_band = "18-24" }
[[values]]
data_element = "cOnsultMed1"
category_option_combo = "cFemale1824"
rows = true
set = { activity = "medical", sex = "F", age_band = "18-24" }
"""


def test_counts_become_rows_for_a_table_of_one_row_per_consultation():
    mapping = dhis2.parse_mapping(tomllib.loads(CONSULTATIONS))
    values = [dhis2.DataValue(2, "cOnsultMed1", "20260105", "OuParisMob1", "cMale1824ab", dhis2.DEFAULT_COMBO, "3"),
              dhis2.DataValue(3, "cOnsultMed1", "20260105", "OuParisMob1", "cFemale1824", dhis2.DEFAULT_COMBO, "2"),
              dhis2.DataValue(4, "cOnsultMed1", "20260106", "OuParisMob1", "cFemale1824", dhis2.DEFAULT_COMBO, "0")]
    translation = dhis2.translate(values, mapping)
    assert not translation.problems
    lines = translation.csv.decode().splitlines()
    assert lines[0].startswith("consulted_on,site_id,activity")
    assert len(lines) == 1 + 5
    assert sum(",M,unknown," in line or ",M," in line for line in lines[1:]) == 3
    assert all("2026-01-05" in line and "paris_mobile_team" in line for line in lines[1:])


@pytest.mark.parametrize(("text", "says"), [
    ('table = "winter_plan"\n[org_units]\na = "b"\n', "table must be one of"),
    ('table = "shelter_nights"\n[[values]]\ndata_element = "x"\ncolumn = "beds_available"\n', "[org_units]"),
    ('table = "shelter_nights"\n[org_units]\na = "b"\n[[values]]\ndata_element = "x"\ncolumn = "beds"\n',
     "no column 'beds'"),
    ('table = "shelter_nights"\n[org_units]\na = "b"\n[[values]]\ndata_element = "x"\ncolumn = "night"\n',
     "comes from the period"),
    ('table = "shelter_nights"\n[org_units]\na = "b"\n[[values]]\ndata_element = "x"\ncolumn = "beds_available"\n',
     "nothing fills shelter_nights.beds_occupied"),
    ('table = "shelter_nights"\n[org_units]\na = "b"\n[[values]]\ndata_element = "x"\n', "either column"),
    ('table = "shelter_nights"\ncolour = 1\n', "unknown key 'colour'"),
])
def test_a_wrong_mapping_is_refused_by_name(text, says):
    with pytest.raises(dhis2.MappingError, match=says.replace("[", r"\[").replace("]", r"\]")):
        dhis2.parse_mapping(tomllib.loads(text))


uids = st.from_regex(r"[A-Za-z][A-Za-z0-9]{10}", fullmatch=True)
days = st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)).map(lambda d: d.strftime("%Y%m%d"))
weeks = st.builds(lambda y, w: f"{y}W{w}", st.integers(2000, 2030), st.integers(1, 53))
months = st.builds(lambda y, m: f"{y}{m:02d}", st.integers(2000, 2030), st.integers(1, 12))
values = st.lists(st.builds(dhis2.DataValue, st.just(0), uids, st.one_of(days, weeks, months), uids, uids, uids,
                            st.one_of(st.integers(0, 10**6).map(str), st.text(max_size=12)), st.booleans()),
                  max_size=30)


@given(values)
@settings(max_examples=60, deadline=None)
def test_what_is_written_as_dhis2_reads_back_the_same(written):
    for encode in (dhis2.to_csv, dhis2.to_json):
        read, _ = dhis2.read_values(encode(written))
        strip = [(v.data_element, v.period, v.org_unit, v.combo, v.attribute_combo, v.value.strip()
                  if encode is dhis2.to_csv else v.value, v.deleted) for v in written]
        assert [(v.data_element, v.period, v.org_unit, v.combo, v.attribute_combo, v.value, v.deleted)
                for v in read] == [s for s in strip if encode is dhis2.to_json or any(
                    cell.strip() for cell in (s[0], s[1], s[2], s[3], s[4], s[5]))]


@given(days)
def test_a_day_is_daily(period):
    assert dhis2.period_type(period) == "daily" and dhis2.day_of(period).strftime("%Y%m%d") == period


@given(st.one_of(weeks, months))
def test_weeks_and_months_never_pass_for_a_day(period):
    assert dhis2.day_of(period) is None and dhis2.period_type(period) in ("weekly", "monthly")


@given(values)
@settings(max_examples=60, deadline=None)
def test_translate_never_crashes_and_never_both_loads_and_refuses(written):
    translation = dhis2.translate(written, dhis2.load_mapping(MAPPING))
    assert bool(translation.problems) == (translation.csv == b"") or (not written and translation.csv)


@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused_in_one_line(data):
    try:
        dhis2.read_values(data)
    except dhis2.Unreadable as error:
        assert error.kind in ("empty", "not_utf8", "bad_json", "no_data_values", "bad_json_item", "bad_csv",
                              "csv_columns")


def test_store_is_untouched_by_a_dry_run(real_db, tmp_path):
    before = store.open_readonly(real_db)
    before.close()
    digest = hashlib.sha256(real_db.read_bytes()).hexdigest()
    done = _cli("import", str(EXAMPLE / "dataValueSets_2026-10.csv"), "--from", "dhis2", "--mapping", str(MAPPING),
                "--db", str(real_db), "--dry-run", env_audit=tmp_path / "audit")
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256(real_db.read_bytes()).hexdigest() == digest

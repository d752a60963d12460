"""Attacks on the approval of months (terrain/approvals.py): every way a figure of a month that
waits for its approval could reach a donor or the public, every way an import could change an
approved month, a writer killed during an approval or a reopening, an approval racing an
import, and the cutoff against a pure-Python oracle for any set of approvals."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import io
import itertools
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import docx
import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terrain import (
    ROOT,
    SCHEMA_VERSION,
    alerts,
    approvals,
    briefs,
    notify,
    store,
)
from terrain.__main__ import main
from terrain.disclosure import ledger, publication
from terrain.importing import audit, dhis2, loading
from tests import commands, files, fixture_data
from tests.apptest import plotly_figures, run_page, texts, values

D = dt.date
AS_OF = D(2024, 3, 31)
JANUARY, FEBRUARY, MARCH = D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)
PERIOD = {"period": "custom", "from": "2024-01-01", "to": "2024-03-31"}


# --- databases -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_db(approvals_demo):
    """The small demo of tests/test_approvals.py: January and February approved, March waiting."""
    return approvals_demo


@pytest.fixture
def db(demo_db, tmp_path, monkeypatch):
    path = tmp_path / "terrain.duckdb"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    monkeypatch.setenv("TERRAIN_DB", str(path))
    return path


@pytest.fixture
def real_demo(db):
    """The same file marked as real data, so that imports go into it (the demo refuses them)."""
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE metadata SET is_synthetic = false")
    return db


@pytest.fixture
def real_db(tmp_path, monkeypatch):
    """The hand-built fixture as real data, every whole month (to March 2024) approved."""
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    return fixture_data.build(tmp_path / "real.duckdb", is_synthetic=False)


def read(path, sql, params=None):
    return files.rows(path, sql, params)


def cutoff(path):
    return read(path, "SELECT approved_until FROM publication_cutoff")[0][0]


def donor_cell(path, measure, city, month):
    """A city's total of a measure in a month as a donor reads it (None: not published)."""
    found = read(path, """SELECT value FROM published_cells WHERE audience = 'donor' AND measure = $measure
                          AND breakdown = 'all' AND city = $city AND month = $month""",
                 {"measure": measure, "city": city, "month": month})
    return found[0][0] if found else None


def file_state(path):
    st_ = os.stat(path)
    return st_.st_ino, st_.st_mtime_ns


def csv_of(path, sql, out, params=None):
    """Rows of the database as an import file (dates as ISO text)."""
    with files.attached(path) as con:
        frame = con.execute(sql, params or {}).df()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    frame.to_csv(out, index=False)
    return Path(out)


def load(path, file, table, **options):
    return loading.import_file(Path(file), Path(file).name, table, db=Path(path), user="attacker", via="cli",
                               **options)


# --- 1. nothing of the month waiting reaches a donor or the public ------------------------------

MARCH_TEXT = re.compile(r"mars 2024|2024-03")
# What a donor page may say of March: the data's date and the period the donor asked for.
ALLOWED_MARCH = ("Données au 31 mars 2024", "au 31 mars 2024")


def march_in_texts(at) -> list[str]:
    shown = texts(at)
    for allowed in ALLOWED_MARCH:
        shown = shown.replace(allowed, "")
    return [m.group(0) for m in re.finditer(r".{0,60}(mars 2024|2024-03).{0,40}", shown)]


def march_points(figure) -> list[str]:
    """Points of a chart at March 2024 that carry a figure of March. A step line closes on the
    month after its last one with the same value (the line's end), which is no figure."""
    found = []
    for trace in figure.get("data", []):
        xs = [str(x) for x in values(trace.get("x", []))]
        ys = values(trace.get("y", [])) if "y" in trace else [None] * len(xs)
        for i, x in enumerate(xs):
            if not x.startswith("2024-03"):
                continue
            closing = trace.get("type") == "scatter" and i > 0 and i == len(xs) - 1 and ys[i] == ys[i - 1]
            if not closing and ys[i] is not None:
                found.append(f"{trace.get('name')}: {x} = {ys[i]}")
    return found


@pytest.mark.parametrize("page", ["overview", "occupancy", "consultations", "winter", "map", "outreach"])
def test_no_donor_page_shows_a_figure_of_the_month_waiting(db, page):
    at = run_page(f"pages/{page}.py", "donor", PERIOD)
    assert not at.exception
    assert cutoff(db) == FEBRUARY
    tables = [table.value for table in at.dataframe]
    in_tables = [f"{column}={value}" for frame in tables for column in frame.columns for value in frame[column]
                 if MARCH_TEXT.search(str(value))]
    in_charts = [point for figure in plotly_figures(at) for point in march_points(figure)]
    assert (march_in_texts(at), in_tables, in_charts) == ([], [], [])
    # the same page shows March to the programme's staff: the attack is not vacuous
    manager = run_page(f"pages/{page}.py", "programme_manager", PERIOD)
    seen = [point for figure in plotly_figures(manager) for point in march_points(figure)]
    seen += [v for table in manager.dataframe for c in table.value.columns for v in table.value[c]
             if MARCH_TEXT.search(str(v))]
    assert seen or page in ("map", "overview", "winter")
    if page == "winter":   # its month table (nights and weather, read as they are) ends with February too
        months = {value for table in tables if "Mois" in table.columns for value in table["Mois"]}
        assert months == {"2024-01", "2024-02"}


@pytest.mark.parametrize("audience", ["donor", "public"])
def test_the_publish_pack_and_the_ledger_stop_at_the_cutoff(db, tmp_path, audience, capsys):
    out = tmp_path / "pack"
    assert main(["publish", "--audience", audience, "--db", str(db), "--out", str(out), "--user", "eve"]) == 0
    capsys.readouterr()
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert meta["last_month"] == "2024-02"
    months = set(pd.read_csv(out / "cells.csv", skiprows=[1])["month"])
    assert months == {"2024-01", "2024-02"}
    if audience == "public":
        released = ledger.released_before()
        assert set(pd.to_datetime(released["month"]).dt.strftime("%Y-%m")) == {"2024-01", "2024-02"}


def test_a_public_brief_ends_with_the_last_approved_month(db):
    con = store.open_readonly(db)
    try:
        config = alerts.load_config()
        with pytest.raises(briefs.BriefRefused, match="février 2024"):
            briefs.produce(con, briefs.Request(rule="cold_exclusion", start=MARCH, end=AS_OF, audience="public",
                                               lang="fr", format="docx"), config, user="eve", via="test")
        produced = briefs.produce(con, briefs.Request(rule="cold_exclusion", start=JANUARY, end=AS_OF,
                                                      audience="public", lang="en", format="docx"),
                                  config, user="eve", via="test")
    finally:
        con.close()
    document = docx.Document(io.BytesIO(produced.content))
    text = " ".join([p.text for p in document.paragraphs]
                    + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert "Period: January – February 2024 (whole months; period asked for: 1 January – 31 March 2024)" in text
    # a public context event of the period keeps its own dates (the winter shelter open until
    # 31 March): a fact of the calendar, not a figure of March
    rest = (text.replace("period asked for: 1 January – 31 March 2024", "").replace("Data as of: 31 March 2024", "")
            .replace("22 January – 31 March 2024 — Calais — Winter shelter open", ""))
    assert "March" not in rest, rest[max(0, rest.find("March") - 300):rest.find("March") + 100]


def test_a_donor_digest_announces_the_last_approved_month_only(db):
    """notify's donor digest named the last whole month (March, waiting) as published, with no
    figure in it, and its key would have stopped March's real digest once approved."""
    chosen = notify.parse_config(tomllib.loads(
        '[settings]\nsender = "Terrain <terrain@example.org>"\n'
        '[[recipient]]\naddress = "donor@example.org"\nrole = "donor"\nlang = "en"\nepisodes = false\n'))
    con = store.open_readonly(db)
    try:
        digests = [m for m in notify.plan(con, chosen, alerts.load_config(), set(), attach=False)
                   if m.kind == "digest"]
    finally:
        con.close()
    assert [m.key for m in digests] == ["digest|donor@example.org|month|2024-02-01"]
    assert "February 2024" in digests[0].subject and "up to February 2024" in digests[0].body
    assert "March" not in digests[0].body.replace("Data as of 31 March 2024", "")
    assert "• Calais" in digests[0].body

    approvals.approve(db, approvals.waiting(store.open_readonly(db))["city"].tolist(), MARCH, user="alice", via="cli")
    con = store.open_readonly(db)
    try:
        after = [m.key for m in notify.plan(con, chosen, alerts.load_config(), {digests[0].key}, attach=False)]
    finally:
        con.close()
    assert after == ["digest|donor@example.org|month|2024-03-01"]


# --- 2. a city appearing mid-way, and approvals out of order ---------------------------------------

def test_a_new_city_in_an_approved_month_moves_the_cutoff_back_until_it_is_approved(real_db, tmp_path):
    assert cutoff(real_db) == MARCH
    file = tmp_path / "sites.csv"
    csv_of(real_db, """SELECT 'lyon_squats' AS site_id, 'Squats de Lyon' AS name, 'Lyon' AS city,
                              '69123' AS commune_code, '69' AS departement, 'squat' AS site_type, 45.76 AS latitude,
                              4.84 AS longitude, NULL AS bed_capacity, 'mixed' AS population_focus,
                              DATE '2024-02-10' AS opened, NULL AS closed""", file)
    report = load(real_db, file, "sites")
    assert report.outcome == "loaded", loading.problem_lines(report, "en")
    # Lyon had a site open in February and March, approved by no one: donors stop in January
    assert cutoff(real_db) == JANUARY
    assert read(real_db, "SELECT month FROM months_to_approve WHERE city = 'Lyon' AND approved_by IS NULL "
                         "ORDER BY month") == [(FEBRUARY,), (MARCH,)]
    assert donor_cell(real_db, "consultations", "Marseille", FEBRUARY) is None
    # March approved for Lyon first publishes nothing: February still waits for it
    approvals.approve(real_db, ["Lyon"], MARCH, user="alice", via="cli")
    assert cutoff(real_db) == JANUARY
    approvals.approve(real_db, ["Lyon"], FEBRUARY, user="alice", via="cli")
    assert cutoff(real_db) == MARCH
    assert donor_cell(real_db, "consultations", "Marseille", FEBRUARY) == 15


def test_approving_a_later_month_never_publishes_a_reopened_one(db):
    calais_february = donor_cell(db, "consultations", "Calais", FEBRUARY)
    assert calais_february is not None
    approvals.reopen(db, ["Calais"], FEBRUARY, reason="February consultations resent", user="bob", via="cli")
    assert cutoff(db) == JANUARY and donor_cell(db, "consultations", "Calais", FEBRUARY) is None
    done = approvals.approve(db, approvals.status(store.open_readonly(db)).query("month == @MARCH")["city"].tolist(),
                             MARCH, user="alice", via="cli")
    assert done.published_until_after == JANUARY
    assert cutoff(db) == JANUARY
    assert read(db, "SELECT max(month) FROM published_cells WHERE audience IN ('donor', 'public')") == [(JANUARY,)]
    assert donor_cell(db, "consultations", "Calais", MARCH) is None
    assert read(db, "SELECT last_month FROM published_sets WHERE audience = 'public'") == [(JANUARY,)]
    approvals.approve(db, ["Calais"], FEBRUARY, user="alice", via="cli")
    assert cutoff(db) == MARCH and donor_cell(db, "consultations", "Calais", FEBRUARY) == calais_february


# --- 3. a writer killed during an approval or a reopening --------------------------------------------

# The small demo has no previous version: the approval keeps the current one as .1.
STEPS = ("built", "audit_begun", "intent_written", "linked.1", "placed.1", "linked:db", "placed:db", "arranged",
         "audit_finished")
BEFORE_INTENT = {"built", "audit_begun"}
WRITES = {
    "approve": (["approve", "--month", "2024-03", "--all-cities"], "approved"),
    "reopen": (["approve", "--month", "2024-01", "--city", "Calais", "--undo", "--reason",
                "January nights counted twice"], "reopened"),
}


def _approvals(path: Path) -> int | None:
    return files.figure(path, "SELECT count(*) FROM month_approvals")


def _killed_writer(case, demo_db, root):
    kind, step = case
    folder = root / f"{kind}-{step}"
    folder.mkdir()
    db = folder / "terrain.duckdb"
    shutil.copyfile(demo_db, db)
    env = {**os.environ, "TERRAIN_AUDIT_DIR": str(folder / "audit"), "PYTHONPATH": str(ROOT),
           "TERRAIN_FAULT_AT": step}
    args, _ = WRITES[kind]
    result = commands.run([*args, "--db", str(db), "--user", "tester", "--lang", "en"], env=env)
    return case, (db, result)


@pytest.fixture(scope="module")
def killed(demo_db, tmp_path_factory):
    root = tmp_path_factory.mktemp("killed")
    cases = list(itertools.product(WRITES, STEPS))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return dict(pool.map(lambda case: _killed_writer(case, demo_db, root), cases))


@pytest.mark.parametrize("kind, step", list(itertools.product(WRITES, STEPS)))
def test_an_approval_killed_at_any_step_leaves_the_old_or_the_new_version(killed, demo_db, kind, step, monkeypatch):
    db, result = killed[(kind, step)]
    assert result.returncode == -9, f"the writer did not reach {step!r}: {result.returncode} {result.stderr[-300:]}"
    old = _approvals(demo_db)
    new = old + 4 if kind == "approve" else old - 1       # four cities approved for March; Calais reopened
    assert _approvals(db) in (old, new)
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(db.parent / "audit"))
    loading.recover(db)
    expected = old if step in BEFORE_INTENT else new
    assert _approvals(db) == expected
    assert _approvals(Path(f"{db}.1")) == (None if step in BEFORE_INTENT else old)
    store.open_readonly(db).close()
    if kind == "reopen":   # the reopening's own record goes with the version it belongs to
        assert read(db, "SELECT count(*) FROM month_reopenings") == [(0 if step in BEFORE_INTENT else 1,)]
        assert cutoff(db) == (FEBRUARY if step in BEFORE_INTENT else None)
    else:
        assert cutoff(db) == (FEBRUARY if step in BEFORE_INTENT else MARCH)
    leftovers = sorted(p.name for p in db.parent.iterdir()
                       if p.name not in {db.name, f"{db.name}.1", f"{db.name}.import.lock", "audit"})
    assert leftovers == []
    outcomes = audit.recent()
    assert "applying" not in set(outcomes["outcome"])
    if step == "built":    # killed before the audit heard of it
        assert outcomes.empty
    else:
        latest = outcomes.iloc[0]
        assert latest["outcome"] == ("failed" if step in BEFORE_INTENT else WRITES[kind][1]), latest.to_dict()
    # and the next approval goes through
    assert main(["approve", "--db", str(db), "--month", "2024-03", "--all-cities", "--user", "tester",
                 "--lang", "en"]) == 0


# --- 4. imports that would change an approved month ------------------------------------------------

def test_weather_of_a_city_the_programme_left_is_refused_in_an_approved_month(real_demo, tmp_path):
    """Grande-Synthe has sites (closed in 2016), so the grid publishes its cold nights, but no
    site open in 2024 and so no approval of its own: its weather got into January unchecked."""
    assert donor_cell(real_demo, "cold_nights", "Grande-Synthe", JANUARY) == 0
    file = tmp_path / "weather.csv"
    file.write_text("city;day;tmin_c;tmax_c;vigilance\nGrande-Synthe;2024-01-10;-5;2;orange\n", encoding="utf-8")
    before = file_state(real_demo)
    report = load(real_demo, file, "weather_daily")
    assert report.outcome == "refused" and [f.kind for f in report.problems] == ["approved_month"]
    assert "2024-01 is approved for Calais, Marseille, Pantin, Paris" in loading.problem_lines(report, "en")[0]
    assert file_state(real_demo) == before
    assert donor_cell(real_demo, "cold_nights", "Grande-Synthe", JANUARY) == 0
    # a month no city has approved takes it
    file.write_text("city;day;tmin_c;tmax_c;vigilance\nGrande-Synthe;2024-03-10;-5;2;orange\n", encoding="utf-8")
    assert load(real_demo, file, "weather_daily").outcome == "loaded"


def shelter_row(path, out, **change):
    frame_sql = "SELECT * FROM sites WHERE site_id = 'calais_emergency_shelter'"
    file = csv_of(path, frame_sql, out)
    frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    for column, value in change.items():
        frame[column] = value
    frame.to_csv(file, index=False)
    return file


@pytest.mark.parametrize("change, months", [
    ({"opened": "2024-01-01"}, "2024-01"),      # cold nights of 4–9 January become winter gaps
    ({"closed": "2024-02-15"}, "2024-02"),      # the nights after it are no longer gaps
    ({"site_type": "shelter"}, "2024-01, 2024-02"),
])
def test_an_emergency_shelter_whose_days_in_service_change_in_an_approved_month_is_refused(real_demo, tmp_path,
                                                                                           change, months):
    """A cold night with the emergency shelter in service and none open is a winter gap, a
    published figure: moving its opening or closing day changed approved months unchecked."""
    gaps = {m: donor_cell(real_demo, "cold_nights_without_emergency_shelter", "Calais", m) for m in (JANUARY, FEBRUARY)}
    before = file_state(real_demo)
    report = load(real_demo, shelter_row(real_demo, tmp_path / "sites.csv", **change), "sites", replace=True)
    assert report.outcome == "refused" and [f.kind for f in report.problems] == ["approved_month"]
    assert f"{months} is approved for Calais" in loading.problem_lines(report, "en")[0]
    assert file_state(real_demo) == before
    assert {m: donor_cell(real_demo, "cold_nights_without_emergency_shelter", "Calais", m)
            for m in (JANUARY, FEBRUARY)} == gaps


def test_an_emergency_shelter_opened_earlier_loads_once_its_month_is_reopened(real_demo, tmp_path):
    file = shelter_row(real_demo, tmp_path / "sites.csv", opened="2024-01-01")
    approvals.reopen(real_demo, ["Calais"], JANUARY, reason="emergency shelter opened on 1 January", user="carol",
                     via="cli")
    report = load(real_demo, file, "sites", replace=True)
    assert report.outcome == "loaded", loading.problem_lines(report, "en")
    gaps = read(real_demo, """SELECT value FROM published_grid WHERE audience = 'advocacy' AND city = 'Calais'
                              AND measure = 'cold_nights_without_emergency_shelter' AND month = '2024-01-01'""")
    assert gaps == [(5,)]     # 4, 6, 7, 8 and 9 January: cold, the shelter in service and not open


def test_a_new_emergency_shelter_in_an_approved_month_is_refused(real_demo, tmp_path):
    file = shelter_row(real_demo, tmp_path / "sites.csv", site_id="marseille_emergency_shelter", city="Marseille",
                       commune_code="13055", departement="13", opened="2024-02-01")
    report = load(real_demo, file, "sites")
    assert [f.kind for f in report.problems] == ["approved_month"]
    assert "2024-02 is approved for Marseille" in loading.problem_lines(report, "en")[0]
    # opened in March, which waits, it loads
    file = shelter_row(real_demo, tmp_path / "sites.csv", site_id="marseille_emergency_shelter", city="Marseille",
                       commune_code="13055", departement="13", opened="2024-03-01")
    assert load(real_demo, file, "sites").outcome == "loaded"


def test_a_site_closed_before_its_activity_cannot_publish_its_city_unapproved(real_demo, tmp_path):
    """March approved for every city but Paris; a sites import then closes Paris's only site on
    29 February. Paris had no site open in March any more, so March was published with Paris's
    March figures, which no one approved."""
    approvals.approve(real_demo, ["Calais", "Marseille", "Pantin"], MARCH, user="alice", via="cli")
    file = csv_of(real_demo, "SELECT * FROM sites WHERE site_id = 'paris_la_chapelle_mobile'", tmp_path / "sites.csv")
    frame = pd.read_csv(file, dtype=str, keep_default_na=False).assign(closed="2024-02-29")
    frame.to_csv(file, index=False)
    report = load(real_demo, file, "sites", replace=True)
    assert report.outcome == "loaded", loading.problem_lines(report, "en")
    assert read(real_demo, "SELECT approved_by FROM months_to_approve WHERE city = 'Paris' AND month = $m",
                {"m": MARCH}) == [(None,)]
    assert cutoff(real_demo) == FEBRUARY
    assert donor_cell(real_demo, "people_reached", "Paris", MARCH) is None
    approvals.approve(real_demo, ["Paris"], MARCH, user="alice", via="cli")
    assert cutoff(real_demo) == MARCH and donor_cell(real_demo, "people_reached", "Paris", MARCH) > 0


@pytest.mark.parametrize("change", [{"city": "Paris"}, {"site_type": "squat"}])
def test_moving_a_site_with_activity_in_an_approved_month_or_changing_its_kind_is_refused(real_db, tmp_path, change):
    file = csv_of(real_db, "SELECT * FROM sites WHERE site_id = 'calais_camps'", tmp_path / "sites.csv")
    pd.read_csv(file, dtype=str, keep_default_na=False).assign(**change).to_csv(file, index=False)
    before = file_state(real_db)
    report = load(real_db, file, "sites", replace=True)
    assert [f.kind for f in report.problems] == ["approved_month"]
    assert "2023-12, 2024-01 is approved for" in loading.problem_lines(report, "en")[0] or \
        "2024-01 is approved for" in loading.problem_lines(report, "en")[0]
    assert file_state(real_db) == before


ACTIVITY = {   # a row of each table in an approved month, sent again (replacing itself)
    "consultations": ("SELECT * FROM consultations WHERE consulted_on = '2024-01-15'", "2024-01 is approved for Calais"),
    "vaccinations": ("SELECT * FROM vaccinations", "2024-01 is approved for Pantin"),
    "outreach": ("SELECT * FROM outreach WHERE place_type = 'street'", "2024-01 is approved for Paris"),
    "shelter_nights": ("SELECT * FROM shelter_nights WHERE night = '2024-02-10'", "2024-02 is approved for Marseille"),
    "weather_daily": ("SELECT * FROM weather_daily WHERE city = 'Pantin' AND day = '2024-03-03'",
                      "2024-03 is approved for Pantin"),
}


@pytest.mark.parametrize("table", ACTIVITY)
def test_any_activity_in_an_approved_month_is_refused(real_db, tmp_path, table):
    sql, says = ACTIVITY[table]
    file = csv_of(real_db, sql, tmp_path / f"{table}.csv")
    before = file_state(real_db)
    report = load(real_db, file, table, replace=True)
    assert report.outcome == "refused" and {f.kind for f in report.problems} == {"approved_month"}
    assert says in loading.problem_lines(report, "en")[0]
    assert file_state(real_db) == before


def test_a_dhis2_export_into_an_approved_month_is_refused_by_name(real_db, tmp_path):
    mapping = dhis2.load_mapping(ROOT / "examples" / "dhis2" / "mapping.toml")
    head = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"
    values_ = {"tN3kBedsAvl": 20, "tN3kBedsOcc": 19, "tN3kTurnAll": 0, "tN3kTurnMin": 0, "tN3kTurnGrl": 0}
    lines = [f"{element},20240210,OuMarsMinSh,HllvX50cXC0,HllvX50cXC0,{value}" for element, value in values_.items()]
    before = file_state(real_db)
    report, _ = loading.import_dhis2((head + "\n".join(lines) + "\n").encode(), "export.csv", mapping, db=real_db,
                                     replace=True, user="attacker", via="cli")
    assert report.outcome == "refused" and {f.kind for f in report.problems} == {"approved_month"}
    assert "2024-02 is approved for Marseille" in loading.problem_lines(report, "en")[0]
    assert file_state(real_db) == before
    assert audit.recent().iloc[0]["outcome"] == "refused"


# --- 5. an approval racing an import, and two approvals racing ------------------------------------

def _cli(folder: Path, *args: str) -> commands.Started:
    env = {**os.environ, "TERRAIN_AUDIT_DIR": str(folder / "audit"), "PYTHONPATH": str(ROOT)}
    env.pop("TERRAIN_FAULT_AT", None)
    return commands.start([*args, "--lang", "en"], env=env)


def _finish(process: commands.Started) -> tuple[int, str]:
    out, err = process.communicate(timeout=180)
    assert "Traceback" not in out + err
    return process.returncode, out + err


@pytest.mark.parametrize("round_", range(2))
def test_an_approval_and_an_import_of_the_same_month_at_once_keep_both_or_refuse_the_import(real_demo, tmp_path,
                                                                                            round_):
    file = tmp_path / "weather.csv"
    file.write_text("city;day;tmin_c;tmax_c;vigilance\nCalais;2024-03-15;-7,5;1;red\n", encoding="utf-8")
    rows = read(real_demo, "SELECT count(*) FROM weather_daily")[0][0]
    importing = _cli(tmp_path, "import", str(file), "--table", "weather_daily", "--replace", "--db", str(real_demo),
                     "--user", "carol")
    approving = _cli(tmp_path, "approve", "--month", "2024-03", "--all-cities", "--db", str(real_demo),
                     "--user", "alice")
    (imported, said), (approved, _) = _finish(importing), _finish(approving)
    assert approved == 0
    assert read(real_demo, "SELECT count(*) FROM month_approvals WHERE month = $m", {"m": MARCH}) == [(4,)]
    history = list(audit.recent(10)["outcome"].iloc[::-1])
    cold = read(real_demo, "SELECT tmin_c FROM weather_daily WHERE city = 'Calais' AND day = '2024-03-15'")[0][0]
    if imported == 0:    # the import went first; the approval approved the month with it
        assert history == ["loaded", "approved"] and cold == -7.5
        assert donor_cell(real_demo, "cold_nights", "Calais", MARCH) >= 1
    else:                # the approval went first; the import was refused whole, by name
        assert imported == 1 and "2024-03 is approved for Calais" in said
        assert history == ["approved", "refused"] and cold != -7.5
    assert read(real_demo, "SELECT count(*) FROM weather_daily")[0][0] == rows
    assert "applying" not in history and cutoff(real_demo) == MARCH


def test_two_managers_approving_the_same_month_at_once_approve_it_once(db, tmp_path):
    first, second = (_cli(tmp_path, "approve", "--month", "2024-03", "--all-cities", "--db", str(db), "--user", who)
                     for who in ("alice", "bob"))
    outcomes = [_finish(first), _finish(second)]
    # checked and written under one hold of the lock: the second finds the month approved
    # (it failed on the approval already there, "Constraint Error: Duplicate key ...")
    assert [code for code, _ in outcomes] == [0, 0]
    said = sorted(text.splitlines()[0] for _, text in outcomes)
    assert said == ["March 2024 approved for Calais, Marseille, Pantin, Paris.",
                    "March 2024 was already approved for Calais, Marseille, Pantin, Paris."]
    assert read(db, "SELECT count(*), count(DISTINCT approved_by) FROM month_approvals WHERE month = $m",
                {"m": MARCH}) == [(4, 1)]
    assert list(audit.recent(10)["outcome"]) == ["approved"]
    assert cutoff(db) == MARCH


# --- 6. the cutoff against an oracle ----------------------------------------------------------------

MONTHS = [D(2024, m, 1) for m in range(1, 7)]
# Each city's site (opened, closed) and the months it has consultations in. Bordeaux's and
# Nantes's dates are drawn by the test; their rows stay where they are, so that a site whose
# dates leave its rows outside is still a city with figures in those months.
GRID_SITES = {"Calais": (D(2023, 1, 1), None), "Bordeaux": (D(2024, 3, 15), None),
              "Nantes": (D(2023, 6, 1), D(2024, 2, 10)), "Grande-Synthe": (D(2015, 1, 1), D(2016, 12, 31))}
ACTIVE = {"Calais": MONTHS, "Bordeaux": MONTHS[2:], "Nantes": MONTHS[:2], "Grande-Synthe": []}


@pytest.fixture(scope="module")
def grid_db(tmp_path_factory):
    """Six whole months, four cities: one open throughout, one opening mid-way, one closing,
    and one the programme left long ago that has only weather (cold nights in January)."""
    path = tmp_path_factory.mktemp("oracle") / "grid.duckdb"
    with store.new_database(path) as con:
        con.execute("INSERT INTO metadata VALUES (1, 'oracle', false, DATE '2024-06-30', $v, TIMESTAMP '2024-07-01')",
                    {"v": SCHEMA_VERSION})
        for city, (opened, closed) in GRID_SITES.items():
            site = city.lower().replace("-", "_") + "_site"
            con.execute("INSERT INTO sites VALUES ($site, $city, $city, '75056', '75', 'camp', 48.8, 2.3, NULL, 'mixed', "
                        "$opened, $closed)", {"site": site, "city": city, "opened": opened, "closed": closed})
            for month in ACTIVE[city]:
                con.executemany("INSERT INTO consultations VALUES (?, ?, 'medical', 'new', '25-34', 'M', 'no', 'other', "
                                "'none', false)", [(month.replace(day=5), site)] * 12)
        con.executemany("INSERT INTO weather_daily VALUES ('Grande-Synthe', ?, -4.0, 2.0, 'orange')",
                        [(D(2024, 1, d),) for d in range(5, 9)])
    return path


def oracle(sites: dict, approved: set) -> dt.date | None:
    """The last month such that every city with a site open or figures in it, in it and every
    month before it, is approved."""
    last = None
    for month in MONTHS:
        month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
        expected = {city for city, (opened, closed) in sites.items()
                    if opened <= month_end and (closed is None or closed >= month)}
        expected |= {city for city, months in ACTIVE.items() if month in months}
        if not expected <= {city for city, m in approved if m == month}:
            break
        last = month
    return last


CITY_MONTHS = sorted(itertools.product(GRID_SITES, MONTHS))
DAYS_2024 = st.dates(D(2023, 12, 1), D(2024, 7, 31))


# any set of approvals, and (mostly) all of them but a few, so that the cutoff runs far
APPROVALS = st.one_of(st.sets(st.sampled_from(CITY_MONTHS)),
                      st.sets(st.sampled_from(CITY_MONTHS), max_size=3).map(lambda left: set(CITY_MONTHS) - left))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(approved=APPROVALS, bordeaux_opened=DAYS_2024,
       nantes_closed=st.one_of(st.none(), DAYS_2024))
def test_the_cutoff_is_the_last_month_every_city_of_it_and_before_is_approved(grid_db, approved, bordeaux_opened,
                                                                             nantes_closed):
    sites = {**GRID_SITES, "Bordeaux": (bordeaux_opened, None),
             "Nantes": (min(D(2023, 6, 1), nantes_closed or D(2023, 6, 1)), nantes_closed)}
    with duckdb.connect(str(grid_db)) as con:
        con.execute("DELETE FROM month_approvals")
        for city, (opened, closed) in sites.items():
            con.execute("UPDATE sites SET opened = $opened, closed = $closed WHERE city = $city",
                        {"opened": opened, "closed": closed, "city": city})
        publication.build(con)   # as every write of new sites does (store.new_database)
        for city, month in sorted(approved):
            con.execute("INSERT INTO month_approvals VALUES ($city, $month, 'prop', TIMESTAMP '2024-07-01')",
                        {"city": city, "month": month})
        found = con.execute("SELECT approved_until FROM publication_cutoff").fetchone()[0]
        published = con.execute("SELECT max(month) FROM published_cells WHERE audience = 'donor'").fetchone()[0]
        last_months = dict(con.execute("SELECT audience, last_month FROM published_sets").fetchall())
    assert found == oracle(sites, approved)
    assert published == found and last_months["donor"] == last_months["public"] == found
    assert last_months["advocacy"] == MONTHS[-1]      # the programme's own set is never cut


def test_the_winter_season_headline_of_a_donor_counts_published_months_only(db):
    """The emergency shelter's nights open in the season, as a donor reads them on the Winter
    page, count March's 31 nights, which wait for their approval (the month table stops in
    February since the door ends nights and weather with the published months)."""
    at = run_page("pages/winter.py", "donor", {"cities": "Calais"})
    assert not at.exception
    months = next(t.value for t in at.dataframe if "Mois" in t.value.columns)
    published = int(months.loc[months["Ville"] == "Calais", "Nuits d'ouverture de l'abri d'urgence"].sum())
    assert published == 39      # January 10, February 29
    season = next(m.value for m in at.metric if m.label == "Nuits d'ouverture de l'abri d'urgence")
    assert season == str(published)     # not 70, which counted March's 31 nights too

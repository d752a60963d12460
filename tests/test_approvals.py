"""Approval of months (terrain/approvals.py): donors and the public see approved months only, an
approval changes no published cell, an import into an approved month is refused until the month
is reopened with a reason, and every approval and reopening is in the audit."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import duckdb
import pandas as pd
import pytest

from terrain import SCHEMA_VERSION, approvals, i18n, queries, store, upgrades
from terrain.__main__ import main
from terrain.disclosure import publication
from terrain.importing import audit, loading
from tests import files, fixture_data
from tests.apptest import run_page, texts

D = dt.date
# A small demo whose data end on 31 March 2024: it approves January and February and leaves
# March, its last whole month, waiting (terrain/demo.py).
AS_OF = D(2024, 3, 31)
REFUSED = i18n.t("common.access_refused", "fr")


@pytest.fixture(scope="module")
def demo_db(approvals_demo):
    return approvals_demo   # tests/conftest.py: seed 5, 2,000 consultations, 1 January to AS_OF


@pytest.fixture
def db(demo_db, tmp_path, monkeypatch):
    path = tmp_path / "terrain.duckdb"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    monkeypatch.setenv("TERRAIN_DB", str(path))
    return path


def read(path, sql, params=None):
    return files.rows(path, sql, params)


def last_months(path):
    return dict(read(path, "SELECT audience, last_month FROM published_sets"))


DIGEST = """SELECT count(*), md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM {} AS t
            WHERE audience = 'donor' AND month <= DATE '2024-02-01'"""


def cities_of(path, month):
    return [city for (city,) in read(path, "SELECT city FROM months_to_approve WHERE month = $m ORDER BY city",
                                     {"m": month})]


def audit_rows(outcome):
    frame = audit.recent(50)
    return frame[frame["outcome"] == outcome].reset_index(drop=True)


def test_the_demo_leaves_its_last_month_waiting(db):
    assert last_months(db) == {"advocacy": D(2024, 3, 1), "donor": D(2024, 2, 1), "public": D(2024, 2, 1)}
    waiting = read(db, "SELECT DISTINCT month FROM months_to_approve WHERE approved_by IS NULL")
    assert waiting == [(D(2024, 3, 1),)]
    # nothing of March reaches a donor or the public, though March is in the grid
    assert read(db, "SELECT count(*) FROM published_cells WHERE audience IN ('donor', 'public') AND month >= '2024-03-01'") \
        == [(0,)]
    assert read(db, "SELECT count(*) FROM published_grid WHERE audience = 'donor' AND month = '2024-03-01'")[0][0] > 0


def test_approving_every_city_publishes_the_month_and_changes_no_cell(db, capsys):
    grid_before = read(db, DIGEST.format("published_grid"))
    cells_before = read(db, DIGEST.format("published_cells"))
    inode = os.stat(db).st_ino
    cities = cities_of(db, D(2024, 3, 1))
    assert len(cities) >= 2

    # one city approved: March still waits for the others, donors still stop in February
    assert main(["approve", "--db", str(db), "--month", "2024-03", "--city", cities[0], "--user", "alice",
                 "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"March 2024 approved for {cities[0]}." in out and "up to February 2024 included" in out
    assert last_months(db)["donor"] == D(2024, 2, 1)
    assert os.stat(db).st_ino != inode        # a new version of the file, by the write protocol

    assert main(["approve", "--db", str(db), "--month", "2024-03", "--all-cities", "--user", "alice",
                 "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"March 2024 was already approved for {cities[0]}." in out and "up to March 2024 included" in out
    assert last_months(db) == {"advocacy": D(2024, 3, 1), "donor": D(2024, 3, 1), "public": D(2024, 3, 1)}
    # the cells are the grid's as they were: an approval moves how far readers see, nothing else
    assert read(db, DIGEST.format("published_grid")) == grid_before
    assert read(db, DIGEST.format("published_cells")) == cells_before
    assert read(db, "SELECT count(*) FROM published_cells WHERE audience = 'donor' AND month = '2024-03-01'") \
        == read(db, "SELECT count(*) FROM published_grid WHERE audience = 'donor' AND month = '2024-03-01'")
    approved = read(db, "SELECT city, approved_by FROM month_approvals WHERE month = '2024-03-01' ORDER BY city")
    assert approved == [(city, "alice") for city in cities]

    rows = audit_rows("approved")
    assert list(rows["user_name"]) == ["alice", "alice"]
    assert sorted(rows["file_name"]) == sorted([f"{cities[0]} 2024-03", f"{', '.join(cities[1:])} 2024-03"])
    assert set(rows["table_name"]) == {"month_approvals"}


def test_the_month_in_progress_and_a_city_without_a_site_are_refused(db, capsys):
    before = os.stat(db)
    assert main(["approve", "--db", str(db), "--month", "2024-04", "--city", "Calais", "--lang", "en"]) == 1
    assert "April 2024 is not a whole month yet" in capsys.readouterr().err
    assert main(["approve", "--db", str(db), "--month", "2024-03", "--city", "Lyon", "--lang", "en"]) == 1
    assert "No site was open in Lyon in March 2024" in capsys.readouterr().err
    assert main(["approve", "--db", str(db), "--month", "mars", "--city", "Calais", "--lang", "en"]) == 2
    assert "is not a month (YYYY-MM)" in capsys.readouterr().err
    after = os.stat(db)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert audit_rows("approved").empty


def test_reopening_needs_a_reason_cuts_the_readers_back_and_is_kept(db, capsys):
    city = cities_of(db, D(2024, 1, 1))[0]
    inode = os.stat(db).st_ino
    assert main(["approve", "--db", str(db), "--month", "2024-01", "--city", city, "--undo", "--lang", "en"]) == 1
    assert "Say why the month is reopened" in capsys.readouterr().err
    assert os.stat(db).st_ino == inode and audit_rows("reopened").empty

    assert main(["approve", "--db", str(db), "--month", "2024-01", "--city", city, "--undo", "--user", "bob",
                 "--reason", "January nights counted twice at one shelter", "--lang", "en"]) == 0
    assert "no month is approved yet" in capsys.readouterr().out.lower()
    # January waits again, so donors and the public see nothing: February is after it
    sets = dict(read(db, "SELECT audience, cells FROM published_sets"))
    assert sets["donor"] == sets["public"] == 0 and sets["advocacy"] > 0
    assert read(db, "SELECT city, month, reopened_by, reason, approved_by FROM month_reopenings") == [
        (city, D(2024, 1, 1), "bob", "January nights counted twice at one shelter", "demo")]
    rows = audit_rows("reopened")
    assert list(rows["user_name"]) == ["bob"]
    assert "January nights counted twice" in rows["problems"][0]
    # reopening a month that is not approved says so
    assert main(["approve", "--db", str(db), "--month", "2024-03", "--all-cities", "--undo",
                 "--reason", "checking again", "--lang", "en"]) == 1
    assert "March 2024 is not approved for" in capsys.readouterr().err


def test_the_list_says_what_waits(db, capsys):
    assert main(["approve", "--db", str(db), "--list", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "jusqu'à février 2024 inclus" in out
    assert f"mars 2024 attend la validation de\u00a0: {', '.join(cities_of(db, D(2024, 3, 1)))}." in out


# --- imports into approved months ----------------------------------------------------------------

@pytest.fixture
def real_db(tmp_path, monkeypatch):
    """The hand-built fixture as real data, every whole month approved."""
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    return fixture_data.build(tmp_path / "real.duckdb", is_synthetic=False)


def nights_file(path, day, out):
    with duckdb.connect(str(path), read_only=True) as con:
        frame = con.execute("SELECT * FROM shelter_nights WHERE night = $day ORDER BY site_id", {"day": day}).df()
    frame["night"] = pd.to_datetime(frame["night"]).dt.strftime("%Y-%m-%d")
    frame.to_csv(out, index=False)
    return frame


def test_an_import_into_an_approved_month_is_refused_until_it_is_reopened(real_db, tmp_path):
    file = tmp_path / "nights.csv"
    rows = nights_file(real_db, D(2024, 1, 15), file)
    cities = sorted(set(read(real_db, "SELECT city FROM sites WHERE site_id IN (SELECT site_id FROM shelter_nights "
                                      "WHERE night = '2024-01-15')")[i][0] for i in range(len(rows))))
    before = os.stat(real_db)
    report = loading.import_file(file, "nights.csv", "shelter_nights", db=real_db, replace=True, user="carol", via="cli")
    assert report.outcome == "refused"
    assert {f.kind for f in report.problems} == {"approved_month"}
    lines = loading.problem_lines(report, "en")
    assert len(lines) == len(rows) and all("2024-01 is approved for" in line for line in lines)
    assert (os.stat(real_db).st_ino, os.stat(real_db).st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    approvals.reopen(real_db, cities, D(2024, 1, 1), reason="January shelter nights resent", user="carol", via="cli")
    report = loading.import_file(file, "nights.csv", "shelter_nights", db=real_db, replace=True, user="carol", via="cli")
    assert report.outcome == "loaded", loading.problem_lines(report, "en")
    # in the audit: the refusal, the reopening with its reason, then the load
    history = audit.recent(10).iloc[::-1]
    assert list(history["outcome"]) == ["refused", "reopened", "loaded"]
    assert "January shelter nights resent" in history["problems"].iloc[1]


def test_new_rows_in_an_approved_month_are_refused_too(real_db, tmp_path):
    file = tmp_path / "nights.csv"
    frame = nights_file(real_db, D(2024, 2, 10), tmp_path / "february.csv")
    frame.assign(night="2024-03-10").to_csv(file, index=False)     # a night March does not have yet
    report = loading.import_file(file, "nights.csv", "shelter_nights", db=real_db, user="carol", via="cli")
    assert [f.kind for f in report.problems] == ["approved_month"]
    assert "2024-03 is approved for Marseille" in loading.problem_lines(report, "en")[0]
    approvals.reopen(real_db, ["Marseille"], D(2024, 3, 1), reason="March nights were missing", user="carol", via="cli")
    report = loading.import_file(file, "nights.csv", "shelter_nights", db=real_db, user="carol", via="cli")
    assert report.outcome == "loaded", loading.problem_lines(report, "en")
    assert read(real_db, "SELECT count(*) FROM shelter_nights WHERE night = '2024-03-10'") == [(1,)]


# --- upgrade from schema 5 ------------------------------------------------------------------------

def as_schema_5(path):
    """The file as Terrain 5 wrote it: published sets as tables, no approvals."""
    with duckdb.connect(str(path)) as con:
        for statement in ("DROP VIEW published_sets", "DROP VIEW published_cells", "DROP VIEW publication_cutoff",
                          "DROP VIEW months_to_approve"):
            con.execute(statement)
        con.execute("CREATE TABLE published_cells AS SELECT * FROM published_grid")
        con.execute("""CREATE TABLE published_sets AS SELECT audience, any_value(k) AS k, min(month) AS first_month,
                       max(month) AS last_month, count(*) AS cells, 0 AS hidden, 0 AS exposed
                       FROM published_grid GROUP BY audience""")
        for statement in ("DROP TABLE published_grid", "DROP TABLE published_grid_sets", "DROP TABLE month_reopenings",
                          "DROP TABLE month_approvals"):
            con.execute(statement)
        con.execute("UPDATE metadata SET schema_version = 5")


def test_an_upgraded_file_keeps_what_its_readers_saw(db, capsys):
    as_schema_5(db)
    assert main(["upgrade", "--db", str(db), "--lang", "en"]) == 0
    assert read(db, "SELECT schema_version FROM metadata") == [(SCHEMA_VERSION,)]
    # Terrain 5 published every whole month: the upgrade approved them all, and says by whom
    assert last_months(db) == {"advocacy": D(2024, 3, 1), "donor": D(2024, 3, 1), "public": D(2024, 3, 1)}
    assert read(db, "SELECT DISTINCT approved_by FROM month_approvals") == [(upgrades.UPGRADE_APPROVER,)]
    assert read(db, "SELECT count(*) FROM months_to_approve WHERE approved_by IS NULL") == [(0,)]


def test_a_file_of_schema_6_gets_its_published_sets_rebuilt_under_the_new_rules(db, capsys):
    """Terrain 6 published a set whatever cells its build could not protect (its view of the
    cutoff had no refusal) and marked each small cell alone: the upgrade rebuilds the sets."""
    rebuilt = read(db, "SELECT audience, status, count(*) FROM published_grid GROUP BY ALL ORDER BY ALL")
    with duckdb.connect(str(db)) as con:
        con.execute("""CREATE OR REPLACE VIEW publication_cutoff AS
                       SELECT max(month) AS approved_until FROM published_grid_months
                       WHERE month < coalesce((SELECT min(month) FROM months_to_approve WHERE approved_by IS NULL),
                                              DATE '9999-12-01')""")
        con.execute("UPDATE published_grid_sets SET exposed = 18 WHERE audience IN ('donor', 'public')")
        con.execute("UPDATE metadata SET schema_version = 6")
    assert last_months(db)["donor"] == D(2024, 2, 1)   # what Terrain 6 served
    assert main(["upgrade", "--db", str(db), "--lang", "en"]) == 0
    assert read(db, "SELECT schema_version FROM metadata") == [(SCHEMA_VERSION,)]
    assert read(db, "SELECT audience, exposed FROM published_grid_sets ORDER BY 1") == [
        ("advocacy", 0), ("donor", 0), ("public", 0)]
    assert read(db, "SELECT audience, status, count(*) FROM published_grid GROUP BY ALL ORDER BY ALL") == rebuilt
    assert last_months(db)["donor"] == D(2024, 2, 1)
    # and the refusal is in the file's views again
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE published_grid_sets SET exposed = 1 WHERE audience = 'public'")
    assert last_months(db)["donor"] is None


# --- the page and the Overview ------------------------------------------------------------------

def test_a_manager_approves_the_waiting_month_on_the_page(db):
    at = run_page("pages/approvals.py", "programme_manager")
    assert not at.exception
    shown = texts(at)
    assert "Mois à valider" in shown and "jusqu'à février 2024 inclus" in shown
    assert at.selectbox(key="approve_month").value == D(2024, 3, 1)
    assert at.multiselect(key="approve_cities").value == cities_of(db, D(2024, 3, 1))
    at.button[0].click().run()
    assert not at.exception
    assert "jusqu'à mars 2024 inclus" in texts(at)
    assert "Aucun mois n'attend de validation." in " ".join(s.value for s in at.success)
    assert last_months(db)["donor"] == D(2024, 3, 1)
    assert list(audit_rows("approved")["user_name"]) == ["test"]


def test_the_page_refuses_a_reopening_without_a_reason(db):
    at = run_page("pages/approvals.py", "programme_manager")
    at.selectbox(key="reopen_month").set_value(D(2024, 1, 1))
    at.multiselect(key="reopen_cities").set_value(cities_of(db, D(2024, 1, 1))[:1])
    at.text_area(key="reopen_reason").input("oops")
    at.button[1].click().run()
    assert not at.exception
    assert "Dites pourquoi le mois est rouvert" in " ".join(e.value for e in at.error)
    assert last_months(db)["donor"] == D(2024, 2, 1) and audit_rows("reopened").empty


def test_a_set_its_build_could_not_protect_publishes_nothing_and_the_page_says_why(db, tmp_path, capsys):
    """No build leaves such a set any more (tests/test_publication.py attacks them): the file
    is altered by hand as a build that failed to protect 3 hidden cells would leave it."""
    before = read(db, "SELECT count(*) FROM published_cells WHERE audience = 'advocacy'")
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE published_grid_sets SET exposed = 3 WHERE audience = 'donor'")

    assert read(db, "SELECT count(*) FROM published_cells WHERE audience IN ('donor', 'public')") == [(0,)]
    assert last_months(db) == {"donor": None, "public": None, "advocacy": D(2024, 3, 1)}
    assert read(db, "SELECT count(*) FROM published_cells WHERE audience = 'advocacy'") == before
    assert main(["publish", "--audience", "public", "--db", str(db), "--out", str(tmp_path / "pack"),
                 "--user", "tester"]) == 1
    said = capsys.readouterr().err.strip()
    assert "3 hidden figures of the published sets could be worked out" in said and len(said.splitlines()) == 1
    assert not (tmp_path / "pack").exists()
    at = run_page("pages/approvals.py", "programme_manager")
    assert not at.exception
    assert any("3 chiffres masqués de leur jeu publié pourraient être recalculés" in e.value for e in at.error)
    assert not any("Aucun mois n'est encore validé" in w.value for w in at.warning)


@pytest.mark.parametrize("role", ["advocacy", "donor"])
def test_only_managers_reach_the_page(db, role):
    at = run_page("pages/approvals.py", role)
    assert not at.exception
    assert REFUSED in [e.value for e in at.error]
    assert "Mois à valider" not in texts(at)


def test_the_overview_shows_managers_what_waits_and_donors_the_approved_months_only(db):
    manager = run_page("pages/overview.py", "programme_manager", {"period": "custom", "from": "2024-01-01",
                                                                   "to": "2024-03-31"})
    assert not manager.exception
    assert "1 mois attend votre validation (mars 2024)" in " ".join(i.value for i in manager.info)
    donor = run_page("pages/overview.py", "donor", {"period": "custom", "from": "2024-01-01", "to": "2024-03-31"})
    assert not donor.exception
    shown = texts(donor)
    # the period asked for runs to March; what a donor reads stops at February, and says so
    assert "du 1er janvier au 29 février 2024, comparée" in shown and "jusqu'à février 2024 inclus" in shown
    assert "attend votre validation" not in shown

    approvals.approve(db, cities_of(db, D(2024, 3, 1)), D(2024, 3, 1), user="alice", via="cli")
    donor = run_page("pages/overview.py", "donor", {"period": "custom", "from": "2024-01-01", "to": "2024-03-31"})
    assert "du 1er janvier au 31 mars 2024, comparée" in texts(donor) and "jusqu'à mars 2024 inclus" in texts(donor)
    manager = run_page("pages/overview.py", "programme_manager", {"period": "custom", "from": "2024-01-01",
                                                                   "to": "2024-03-31"})
    assert not manager.info or "attend" not in " ".join(i.value for i in manager.info)


def test_a_trial_on_the_demo_loads_rows_of_an_approved_month_and_says_a_real_database_would_not(db, tmp_path):
    file = tmp_path / "nights.csv"
    frame = nights_file(db, D(2024, 2, 10), file)
    report = loading.import_file(file, "nights.csv", "shelter_nights", db=db, trial=True, user="dana", via="page")
    assert report.outcome == "loaded", loading.problem_lines(report, "en")
    assert [w.kind for w in report.warnings if w.kind == "approved_month"] == ["approved_month"]
    assert len(loading.warning_lines(report, "en", limit=None)) >= len(frame)
    assert last_months(db)["donor"] == D(2024, 2, 1)      # the demo itself is untouched


def test_a_donors_period_ends_where_the_connections_file_stops_and_follows_an_approval_made_on_it(db):
    """The door reads an audience's last published month once per connection to a file opened
    read-only (a file in place never changes); on a connection that can write, each call asks
    again, so an approval recorded on it shows at the next call."""
    def donor_end(con):
        frame = queries.run(con, "consultations_by_city_activity",
                            {"start": D(2024, 1, 1), "end": D(2024, 3, 31), "cities": []}, role="donor")
        return frame.attrs["provenance"]["params"]["end"]

    before = store.open_readonly(db)
    try:
        assert donor_end(before) == D(2024, 2, 29)
        approvals.approve(db, cities_of(db, D(2024, 3, 1)), D(2024, 3, 1), user="alice", via="cli")
        after = store.open_readonly(db)   # the file now in place: March approved
        try:
            assert donor_end(after) == D(2024, 3, 31)
            assert donor_end(before) == D(2024, 2, 29)   # the replaced file, still open, as it was
        finally:
            after.close()
    finally:
        before.close()

    approvals.reopen(db, cities_of(db, D(2024, 3, 1)), D(2024, 3, 1), reason="figures to check", user="alice",
                     via="cli")
    with duckdb.connect(str(db)) as writable:
        assert donor_end(writable) == D(2024, 2, 29)
        publication.approve_through(writable, D(2024, 3, 1), "alice", dt.datetime(2024, 4, 2))
        assert donor_end(writable) == D(2024, 3, 31)

"""Imports: every kind of defect refused with its row and column and nothing changed; real
files (French Excel CSV, XLSX) loaded; --replace, rollback, the demo database, the audit,
the templates, the command line and the page."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from terrain import ROOT, store
from terrain.cli import import_ as import_cli, rollback as rollback_cli, templates as templates_cli
from terrain.importing import anonymity, audit, loading, reading, staging, tables, templates, validation
from tests import files, fixture_data
from tests.apptest import run_page, texts

D = dt.date
TODAY = D(2024, 6, 30)   # "today" for the checks: dates after it are in the future

# One fixed query per table: every row, in a fixed order, hashed.
TABLE_DIGESTS = {
    "metadata": "SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), ''))"
        " FROM metadata AS t",
    "sites": "SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), ''))"
        " FROM sites AS t",
    "shelter_nights": "SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), ''))"
        " FROM shelter_nights AS t",
    "consultations": "SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), ''))"
        " FROM consultations AS t",
    "outreach": "SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), ''))"
        " FROM outreach AS t",
    "vaccination_campaigns": "SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), ''))"
        " FROM vaccination_campaigns AS t",
    "vaccinations": "SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), ''))"
        " FROM vaccinations AS t",
    "weather_daily": "SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), ''))"
        " FROM weather_daily AS t",
    "winter_plan": "SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), ''))"
        " FROM winter_plan AS t",
}


@pytest.fixture(autouse=True)
def audit_dir(tmp_path, monkeypatch):
    directory = tmp_path / "audit"
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(directory))
    return directory


@pytest.fixture(scope="module")
def real_fixture(tmp_path_factory):
    return fixture_data.build(tmp_path_factory.mktemp("real") / "terrain.duckdb", is_synthetic=False, approved=False)


@pytest.fixture
def db(tmp_path, real_fixture):
    """A fresh copy of the fixture database, marked real (not synthetic)."""
    return Path(shutil.copyfile(real_fixture, tmp_path / "terrain.duckdb"))


def state(path: Path) -> tuple:
    """What must not change when a file is refused: the file itself and every table."""
    with files.attached(path) as con:
        contents = {table: con.execute(sql).fetchall()[0] for table, sql in TABLE_DIGESTS.items()}
    return os.stat(path).st_ino, hashlib.sha256(path.read_bytes()).hexdigest(), contents


def rows_of(path: Path, sql: str, params: dict | None = None) -> list[tuple]:
    return files.rows(path, sql, params)


def csv(*lines: str, encoding: str = "cp1252") -> bytes:
    return "\r\n".join(lines).encode(encoding) + b"\r\n"


def load(data: bytes, table: str, db: Path, name: str = "semaine.csv", **options) -> loading.Report:
    options.setdefault("today", TODAY)
    return loading.import_file(data, name, table, db=db, user="test", via="test", **options)


# --- every kind of defect -----------------------------------------------------------------------

NIGHTS = "site_id;night;beds_available;beds_occupied;turned_away;turned_away_minors;turned_away_girls"
NIGHT = "marseille_minors_shelter;04/03/2024;20;18;0;0;0"
CONSULTS = ("consulted_on;site_id;activity;visit;age_band;sex;unaccompanied_minor;diagnosis_group;"
            "health_coverage;referred")
CONSULT = "05/03/2024;calais_camps;medical;new;18-24;M;no;respiratory_infection;none;no"
SITES = ("site_id;name;city;commune_code;departement;site_type;latitude;longitude;bed_capacity;"
         "population_focus;opened;closed")
SITE = "lille_shelter;Hébergement Lille-Sud;Lille;59350;59;shelter;50,6292;3,0573;25;mixed;01/02/2024;"
WEATHER = "city;day;tmin_c;tmax_c;vigilance"
PLAN = "area;area_kind;starts;ends;level"
CAMPAIGNS = "campaign_id;antigen;starts;ends;target_ages;target_age_bands;population_low;population_high"
VACCINES = "vaccinated_on;site_id;campaign_id;antigen;age_band;doses"

# (table, file lines, kind, row, column): each file has exactly one problem, at that row
# (as a spreadsheet numbers it: the header is row 1) and column (None: the whole row).
DEFECTS = {
    "missing column": ("shelter_nights", [NIGHTS.rsplit(";", 1)[0], NIGHT.rsplit(";", 1)[0]],
                       "missing_column", 1, "turned_away_girls"),
    "unknown column": ("shelter_nights", [NIGHTS + ";lits", NIGHT + ";3"], "unknown_column", 1, "lits"),
    "column twice": ("shelter_nights", [NIGHTS + ";night", NIGHT + ";04/03/2024"], "duplicate_column", 1, "night"),
    "column without a name": ("shelter_nights", [NIGHTS + ";", NIGHT + ";oups"], "unnamed_column", 1, "H"),
    "too many cells": ("shelter_nights", [NIGHTS.replace(";", ","), NIGHT.replace(";", ","),
                                          "marseille_minors_shelter,05/03/2024,20,18,5,0,0,0"],
                       "wrong_cell_count", 3, None),
    "not a whole number": ("shelter_nights", [NIGHTS, NIGHT, "marseille_minors_shelter;05/03/2024;20;dix-huit;0;0;0"],
                           "not_integer", 3, "beds_occupied"),
    "not a date": ("shelter_nights", [NIGHTS, NIGHT.replace("04/03/2024", "31/02/2024")], "not_date", 2, "night"),
    "missing value": ("shelter_nights", [NIGHTS, "marseille_minors_shelter;04/03/2024;;18;0;0;0"],
                      "missing_value", 2, "beds_available"),
    "negative count": ("shelter_nights", [NIGHTS, "marseille_minors_shelter;04/03/2024;20;18;-2;0;0"],
                       "negative", 2, "turned_away"),
    "above the schema's maximum": ("shelter_nights", [NIGHTS, "marseille_minors_shelter;04/03/2024;2500;18;0;0;0"],
                                   "above_maximum", 2, "beds_available"),
    "occupied far beyond capacity": ("shelter_nights", [NIGHTS, "marseille_minors_shelter;04/03/2024;20;45;0;0;0"],
                                     "beyond_capacity", 2, "beds_occupied"),
    "minors above the total": ("shelter_nights", [NIGHTS, "marseille_minors_shelter;04/03/2024;20;20;1;3;0"],
                               "more_than_other", 2, "turned_away_minors"),
    "date in the future": ("shelter_nights", [NIGHTS, NIGHT.replace("04/03/2024", "01/07/2024")],
                           "in_future", 2, "night"),
    "before the site opened": ("shelter_nights", [NIGHTS, "calais_emergency_shelter;01/01/2023;50;10;0;0;0"],
                               "before_opened", 2, "night"),
    "unknown site": ("shelter_nights", [NIGHTS, NIGHT.replace("marseille_minors_shelter", "marseille_shelter")],
                     "unknown_site", 2, "site_id"),
    "duplicate in the file": ("shelter_nights", [NIGHTS, NIGHT, NIGHT.replace(";18;", ";17;")],
                              "duplicate_in_file", 3, None),
    "already in the database": ("shelter_nights", [NIGHTS, "marseille_minors_shelter;10/02/2024;20;18;0;0;0"],
                                "already_in_database", 2, None),
    "category outside the list": ("consultations", [CONSULTS, CONSULT.replace(";medical;", ";dentistry;")],
                                  "not_category", 2, "activity"),
    "not yes or no": ("consultations", [CONSULTS, CONSULT.replace(";none;no", ";none;peut-être")],
                      "not_boolean", 2, "referred"),
    "a minor in an adult age band": ("consultations", [CONSULTS, CONSULT.replace(";18-24;M;no;", ";25-34;M;yes;")],
                                     "minor_with_adult_age", 2, "age_band"),
    "not a number": ("weather_daily", [WEATHER, "Calais;01/04/2024;froid;4;yellow"], "not_number", 2, "tmin_c"),
    "below the schema's minimum": ("weather_daily", [WEATHER, "Calais;01/04/2024;-55;4;yellow"],
                                   "below_minimum", 2, "tmin_c"),
    "minimum above maximum": ("weather_daily", [WEATHER, "Calais;01/04/2024;5;2;yellow"],
                              "more_than_other", 2, "tmin_c"),
    "unknown city": ("weather_daily", [WEATHER, "Lile;01/04/2024;-2;4;yellow"], "unknown_city", 2, "city"),
    "ends before it starts": ("winter_plan", [PLAN, "62;departement;11/02/2024;05/02/2024;grand_froid"],
                              "before_other", 2, "ends"),
    "unknown area": ("winter_plan", [PLAN, "99;departement;05/02/2024;11/02/2024;grand_froid"],
                     "unknown_area", 2, "area"),
    "bad id format": ("sites", [SITES, SITE.replace("lille_shelter", "Lille Shelter")], "bad_format", 2, "site_id"),
    "name too short": ("sites", [SITES, SITE.replace("Hébergement Lille-Sud", "H")], "bad_length", 2, "name"),
    "commune outside its département": ("sites", [SITES, SITE.replace("59350", "62193")],
                                        "commune_outside_departement", 2, "commune_code"),
    "shelter without beds": ("sites", [SITES, SITE.replace(";25;", ";;")], "shelter_without_beds", 2, "bed_capacity"),
    "population not above zero": ("vaccination_campaigns",
                                  [CAMPAIGNS, "measles-2024-marseille;measles;01/03/2024;31/03/2024;6-15;0-14;0;200"],
                                  "not_above", 2, "population_low"),
    "high estimate below the low one": ("vaccination_campaigns",
                                        [CAMPAIGNS, "measles-2024-marseille;measles;01/03/2024;31/03/2024;6-15;0-14;300;200"],
                                        "less_than_other", 2, "population_high"),
    # A campaign's target age bands: known ages only ("unknown" is no age), one or more.
    "an unknown age as a target band": ("vaccination_campaigns",
                                        [CAMPAIGNS, "measles-2024-marseille;measles;01/03/2024;31/03/2024;6-15;"
                                                    "\"0-14, unknown\";100;200"],
                                        "not_categories", 2, "target_age_bands"),
    "a target band that is no age band": ("vaccination_campaigns",
                                          [CAMPAIGNS, "measles-2024-marseille;measles;01/03/2024;31/03/2024;6-15;"
                                                      "0-15;100;200"],
                                          "not_categories", 2, "target_age_bands"),
    "no target band": ("vaccination_campaigns",
                       [CAMPAIGNS, "measles-2024-marseille;measles;01/03/2024;31/03/2024;6-15;;100;200"],
                       "missing_value", 2, "target_age_bands"),
    "unknown campaign": ("vaccinations", [VACCINES, "12/03/2024;pantin_girls_shelter;rougeole-2099;dtp;15-17;3"],
                         "unknown_campaign", 2, "campaign_id"),
    "the template's example row": ("outreach", ["visited_on;team_id;place_type;people_reached",
                                                "2024-03-06;paris_la_chapelle_mobile;street;31"],
                                   "example_row", 2, None),
    "a column of names": ("consultations", [CONSULTS + ";Nom", CONSULT + ";Dupont"], "personal_column", 1, "Nom"),
    "dates of birth": ("consultations", [CONSULTS + ";Date de naissance", CONSULT + ";14/03/2007"],
                       "personal_column", 1, "Date de naissance"),
    "an e-mail in a cell": ("consultations", [CONSULTS, CONSULT.replace(";medical;", ";jean.dupont@example.org;")],
                            "personal_value", 2, "activity"),
    "a French mobile number in a cell": ("consultations",
                                         [CONSULTS, CONSULT.replace(";respiratory_infection;", ";06 12 34 56 78;")],
                                         "personal_value", 2, "diagnosis_group"),
    "an international number in a cell": ("consultations",
                                          [CONSULTS, CONSULT.replace(";respiratory_infection;", ";+33 6 12 34 56 78;")],
                                          "personal_value", 2, "diagnosis_group"),
    "a date of birth in a text column": ("vaccination_campaigns",
                                         [CAMPAIGNS, "measles-2024-marseille;measles;01/03/2024;31/03/2024;14/03/2007;0-14;100;200"],
                                         "personal_value", 2, "target_ages"),
    "no data row": ("shelter_nights", [NIGHTS], "no_rows", None, None),
}


@pytest.mark.parametrize("table, lines, kind, row, column", DEFECTS.values(), ids=DEFECTS.keys())
def test_each_defect_is_refused_at_its_row_and_column_and_nothing_changes(db, table, lines, kind, row, column):
    before = state(db)
    report = load(csv(*lines), table, db)
    assert report.outcome == "refused"
    assert [(f.kind, f.column) for f in report.problems] == [(kind, column)]
    assert report.problems[0].rows.tolist() == ([row] if row else [])
    for lang in ("fr", "en"):   # the message exists in both languages and says where
        (line,) = loading.problem_lines(report, lang)
        assert line.startswith(f"semaine.csv, {'ligne' if lang == 'fr' else 'row'} {row}" if row else "semaine.csv")
    assert state(db) == before
    assert not store.backup_paths(db)[0].exists()


def test_a_night_after_the_site_closed_is_refused(db):
    closed = SITE.replace("01/02/2024;", "01/02/2024;29/02/2024")
    assert load(csv(SITES, closed), "sites", db).outcome == "loaded"
    before = state(db)
    report = load(csv(NIGHTS, "lille_shelter;28/02/2024;25;20;0;0;0", "lille_shelter;01/03/2024;25;20;0;0;0"),
                  "shelter_nights", db)
    assert [(f.kind, f.column, f.rows.tolist()) for f in report.problems] == [("after_closed", "night", [3])]
    assert loading.problem_lines(report, "en") == [
        "semaine.csv, row 3, column “night”: 2024-03-01 is after site lille_shelter closed (2024-02-29)."]
    assert state(db) == before


def test_the_list_of_problems_downloads_whole_as_a_csv(db):
    bad = [NIGHTS] + [f"marseille_minors_shelter;{day:02d}/03/2024;20;-1;0;0;0" for day in range(1, 31)]
    report = load(csv(*bad), "shelter_nights", db)
    assert len(loading.problem_lines(report, "fr")) == 21          # 20 rows, then how many more
    lines = loading.problems_csv(report, "fr").decode("utf-8-sig").splitlines()
    assert lines[0] == "Fichier;Ligne;Colonne;Problème"
    assert len(lines) == 31 and lines[30].startswith("semaine.csv;31;beds_occupied;-1")


def test_a_file_loaded_as_the_wrong_table_names_the_right_one(db):
    report = load(csv(NIGHTS, NIGHT), "consultations", db)
    assert report.problems[-1].kind == "other_table"
    assert loading.problem_lines(report, "en")[-1] == (
        "semaine.csv, row 1: this file's columns are those of the table “Shelter nights”: "
        "choose it as the table to load (--table shelter_nights on the command line).")


@pytest.mark.parametrize("data, name, kind", [
    (b"", "vide.csv", "empty_file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "ancien.xls", "xls_format"),
    (b"PK\x03\x04 not really a workbook", "abime.xlsx", "unreadable"),
])
def test_a_file_that_cannot_be_read_is_refused_and_nothing_changes(db, data, name, kind):
    before = state(db)
    report = load(data, "shelter_nights", db, name=name)
    assert (report.outcome, [f.kind for f in report.problems]) == ("refused", [kind])
    assert loading.problem_lines(report, "en")[0].startswith(f"{name}: ")
    assert state(db) == before


def test_every_problem_of_a_file_is_reported_at_once(db):
    report = load(csv(NIGHTS, NIGHT.replace("04/03/2024", "31/02/2024"),
                      "marseille_minors_shelter;05/03/2024;20;-1;x;0;0",
                      "nowhere;06/03/2024;20;5;0;0;0"), "shelter_nights", db)
    found = sorted((int(row), f.column, f.kind) for f in report.problems for row in f.rows)
    assert found == [(2, "night", "not_date"), (3, "beds_occupied", "negative"),
                     (3, "turned_away", "not_integer"), (4, "site_id", "unknown_site")]


def test_the_allowed_values_are_listed_in_the_message(db):
    report = load(csv(CONSULTS, CONSULT.replace(";medical;", ";dentistry;")), "consultations", db)
    assert loading.problem_lines(report, "en") == [
        "semaine.csv, row 2, column “activity”: “dentistry” is not an allowed value; "
        "allowed values: medical, mental_health, social, legal."]
    assert loading.problem_lines(report, "fr") == [
        "semaine.csv, ligne 2, colonne «\u00a0activity\u00a0»\u00a0: «\u00a0dentistry\u00a0» n'est pas une valeur "
        "permise\u00a0; valeurs permises\u00a0: medical, mental_health, social, legal."]


@pytest.mark.parametrize("header, reason", [
    ("prénom", "name"), ("first_name", "name"), ("DOB", "birth_date"), ("date_naissance", "birth_date"),
    ("Téléphone", "phone"), ("e-mail", "email"), ("Courriel", "email"), ("Adresse", "address"),
    ("commentaires", "free_text"), ("Observations", "free_text"), ("N° dossier", "identifier"),
])
def test_columns_named_like_personal_data_are_refused_with_the_reason(db, header, reason):
    report = load(csv(NIGHTS + f";{header}", NIGHT + ";x"), "shelter_nights", db)
    (finding,) = report.problems
    assert (finding.kind, finding.column, finding.params["reason"].key) == (
        "personal_column", header, f"imports.personal.{reason}")


@pytest.mark.parametrize("header", ["site_name", "nom du site", "night", "team_id", "turned_away_minors"])
def test_column_names_about_places_and_counts_are_not_personal(header):
    assert anonymity.personal_column(header) is None


def test_full_dates_are_taken_for_dates_of_birth_only_in_a_column_not_about_dates(db):
    report = load(csv(NIGHTS + ";visite le;groupe", NIGHT + ";04/03/2024;14/03/2007"), "shelter_nights", db)
    assert [(f.kind, f.column) for f in report.problems] == [
        ("unknown_column", "visite le"), ("unknown_column", "groupe"), ("personal_value", "groupe")]


def test_a_personal_value_is_never_repeated_in_messages_or_the_audit(db):
    phone = "06 12 34 56 78"
    report = load(csv(NIGHTS, NIGHT.replace("04/03/2024", phone)), "shelter_nights", db)
    assert [f.kind for f in report.problems] == ["personal_value"]   # not also "not a date"
    shown = " ".join(loading.problem_lines(report, "fr") + loading.problem_lines(report, "en"))
    assert phone not in shown and "numéro de téléphone" in shown and "phone number" in shown
    (attempt,) = audit.recent().to_dict("records")
    assert phone not in json.dumps(attempt, default=str)
    assert json.loads(attempt["problems"]) == [
        {"severity": "problem", "kind": "personal_value", "column": "night", "count": 1, "rows": [2]}]


def test_an_import_into_the_synthetic_demo_is_refused(tmp_path):
    demo = fixture_data.build(tmp_path / "demo.duckdb", is_synthetic=True, approved=False)
    before = state(demo)
    report = load(csv(NIGHTS, NIGHT), "shelter_nights", demo)
    assert [f.kind for f in report.problems] == ["synthetic_database"]
    assert state(demo) == before


# --- real files load -----------------------------------------------------------------------------

def test_a_french_excel_csv_loads_with_its_accents_and_decimal_commas(db):
    data = csv(SITES, SITE, "lille_maraude;Équipe mobile Lille-Moulins;Lille;59350;59;mobile_team;50,6190;3,0700;;"
                            "mixed;15/01/2024;")
    assert data.decode("cp1252").count("É") == 1 and b"\xc9" in data   # Windows-1252 bytes, not UTF-8
    report = load(data, "sites", db, name="sites lille.csv")
    assert report.outcome == "loaded"
    assert report.detected("fr") == ("Lu comme CSV\u00a0: encodage Windows-1252, séparateur «\u00a0;\u00a0» "
                                     "(point-virgule), virgule décimale, dates JJ/MM/AAAA, lignes de données\u00a0: 2")
    assert rows_of(db, "SELECT site_id, name, latitude, longitude, bed_capacity, opened, closed FROM sites "
                       "WHERE city = 'Lille' ORDER BY site_id") == [
        ("lille_maraude", "Équipe mobile Lille-Moulins", 50.619, 3.07, None, D(2024, 1, 15), None),
        ("lille_shelter", "Hébergement Lille-Sud", 50.6292, 3.0573, 25, D(2024, 2, 1), None)]


def test_a_week_of_nights_loads_and_dates_the_data(db):
    lines = [NIGHTS] + [f"marseille_minors_shelter;{day:02d}/04/2024;20;{15 + day};{day % 2};0;0" for day in range(1, 8)]
    report = load(csv(*lines), "shelter_nights", db)
    assert (report.outcome, report.rows, report.data_as_of) == ("loaded", 7, D(2024, 4, 7))
    assert [w.kind for w in report.warnings] == ["overflow_night"]
    assert report.warnings[0].rows.tolist() == [7, 8]            # 21 and 22 beds occupied for 20
    assert rows_of(db, "SELECT count(*), sum(beds_occupied), sum(turned_away) FROM shelter_nights "
                       "WHERE night BETWEEN '2024-04-01' AND '2024-04-07'") == [(7, 133, 4)]
    assert rows_of(db, "SELECT is_synthetic, data_as_of FROM metadata") == [(False, D(2024, 4, 7))]


def test_a_file_whose_check_spills_to_disk_is_checked_and_the_next_import_too(db, monkeypatch):
    """Past its memory limit DuckDB spills an import's rows to the import's own folder, and
    keeps that folder for the instance (terrain/instances.py then closes the instance rather
    than lend it again): the check ends with the file's own findings, and the next import of
    the process is checked and loaded."""
    visit = "calais_camps;medical;new;25-34;M;no;other;AME;no"
    lines = [CONSULTS] + [f"{D(2023, 1, 1) + dt.timedelta(days=n % 120):%d/%m/%Y};{visit}" for n in range(120_000)]
    spilled = []
    close = staging.Staging.close

    def close_seen(self):     # (whether DuckDB spilled into the import's folder, then the close itself)
        spilled.append(any((self.folder / "spill").glob("*")))
        close(self)
    with monkeypatch.context() as low:
        low.setattr(staging, "MEMORY_LIMIT", "12MB")   # (the check of these rows spills at 12 MB, and at 16)
        low.setattr(staging.Staging, "close", close_seen)
        report = load(csv(*lines), "consultations", db, dry_run=True)
    assert spilled == [True]
    assert (report.outcome, report.rows, report.problems) == ("checked", 120_000, [])
    assert load(csv(*lines), "consultations", db).outcome == "loaded"
    assert rows_of(db, "SELECT sum(consultations) FROM consultations_daily WHERE consulted_on < '2023-05-01'") \
        == [(120_000,)]


def test_utf8_with_a_byte_order_mark_commas_and_iso_dates_loads(db):
    data = "\ufeffcity,day,tmin_c,tmax_c,vigilance\nPantin,2024-04-01,-0.5,7,Orange\n".encode("utf-8")
    report = load(data, "weather_daily", db)
    assert report.outcome == "loaded"
    assert report.detection == reading.Detection("csv", encoding="UTF-8", byte_order_mark=True, separator=",")
    assert rows_of(db, "SELECT tmin_c, vigilance::VARCHAR FROM weather_daily WHERE city = 'Pantin' "
                       "AND day = '2024-04-01'") == [(-0.5, "orange")]


@pytest.mark.parametrize("data, encoding", [
    ("café".encode("utf-8"), "UTF-8"), ("café".encode("cp1252"), "Windows-1252"),
    ("œuvre".encode("cp1252"), "Windows-1252"), (b"caf\xe9 \x81", "Latin-1"),
])
def test_the_encoding_is_detected(data, encoding):
    assert reading.decode(data)[1] == encoding


def test_categories_read_in_any_case_or_as_their_label(db):
    report = load(csv(CONSULTS, "05/03/2024;calais_camps;Médical;NEW;18-24;Masculin;Non;Respiratory infection;AME;oui"),
                  "consultations", db)
    assert report.outcome == "loaded"
    assert rows_of(db, "SELECT activity::VARCHAR, visit::VARCHAR, sex::VARCHAR, unaccompanied_minor::VARCHAR, "
                       "diagnosis_group::VARCHAR, health_coverage::VARCHAR, referred FROM consultations "
                       "WHERE consulted_on = '2024-03-05'") == [
        ("medical", "new", "M", "no", "respiratory_infection", "AME", True)]


def workbook(rows: list[list], sheet: str = "Feuil1", first_sheet: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    if first_sheet:
        book.active.title = first_sheet
        book.active.append(["rien"])
        target = book.create_sheet(sheet)
    else:
        target = book.active
        target.title = sheet
    for row in rows:
        target.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_workbook_loads(db):
    data = workbook([NIGHTS.split(";"), ["pantin_girls_shelter", dt.datetime(2024, 4, 2), 10, 10, 2, 1, 2],
                     [None] * 7,   # a blank row is skipped, but keeps the numbering
                     ["pantin_girls_shelter", "03/04/2024", 10.0, 9, 0, 0, 0]])
    report = load(data, "shelter_nights", db, name="semaine.xlsx")
    assert (report.outcome, report.rows) == ("loaded", 2)
    assert report.detected("en").startswith("Read as an Excel workbook (XLSX): sheet “Feuil1”")
    assert rows_of(db, "SELECT night, beds_occupied, turned_away_girls FROM shelter_nights WHERE night >= '2024-04-01'"
                   " ORDER BY night") == [(D(2024, 4, 2), 10, 2), (D(2024, 4, 3), 9, 0)]


def test_an_xlsx_problem_names_the_spreadsheet_row(db):
    data = workbook([NIGHTS.split(";"), ["pantin_girls_shelter", "2024-04-02", 10, 10, 0, 0, 0], [None] * 7,
                     ["pantin_girls_shelter", "2024-04-03", 10, -9, 0, 0, 0]])
    report = load(data, "shelter_nights", db, name="semaine.xlsx")
    assert [(f.kind, f.rows.tolist()) for f in report.problems] == [("negative", [4])]


def test_a_named_sheet_is_read_and_an_unknown_one_refused(db):
    data = workbook([WEATHER.split(";"), ["Calais", "2024-04-01", -1, 5, "yellow"]], sheet="météo", first_sheet="notes")
    assert load(data, "weather_daily", db, name="m.xlsx", sheet="météo", dry_run=True).outcome == "checked"
    report = load(data, "weather_daily", db, name="m.xlsx", sheet="meteo")
    assert [(f.kind, f.params) for f in report.problems] == [("unknown_sheet", {"sheet": "meteo", "sheets": "notes, météo"})]


# --- duplicates and --replace -------------------------------------------------------------------

def test_replace_overwrites_the_nights_with_the_same_key(db):
    report = load(csv(NIGHTS, "marseille_minors_shelter;10/02/2024;20;20;4;4;0"), "shelter_nights", db, replace=True)
    assert (report.outcome, report.replaced) == ("loaded", 1)
    assert rows_of(db, "SELECT count(*) FROM shelter_nights") == [(74,)]
    assert rows_of(db, "SELECT beds_occupied, turned_away FROM shelter_nights WHERE site_id = 'marseille_minors_shelter'"
                       " AND night = '2024-02-10'") == [(20, 4)]


def test_replace_takes_the_place_of_every_consultation_of_the_site_and_day(db):
    # The fixture has 30 consultations at calais_camps on 10 January 2024 and 88 in all.
    lines = [CONSULTS] + [CONSULT.replace("05/03/2024", "10/01/2024")] * 2
    assert [f.kind for f in load(csv(*lines), "consultations", db).problems] == ["already_in_database"]
    report = load(csv(*lines), "consultations", db, replace=True)
    assert (report.outcome, report.replaced) == ("loaded", 30)
    assert rows_of(db, "SELECT count(*) FROM consultations") == [(60,)]
    assert rows_of(db, "SELECT count(*) FROM consultations WHERE consulted_on = '2024-01-10'") == [(2,)]


def test_replace_updates_a_site_that_other_tables_refer_to(db):
    line = "marseille_minors_shelter;Hébergement mineurs Marseille;Marseille;13055;13;shelter;43,30;5,38;24;minors;02/06/2020;"
    report = load(csv(SITES, line), "sites", db, replace=True)
    assert (report.outcome, report.replaced) == ("loaded", 1)
    assert rows_of(db, "SELECT bed_capacity FROM sites WHERE site_id = 'marseille_minors_shelter'") == [(24,)]
    assert rows_of(db, "SELECT count(*) FROM shelter_nights WHERE site_id = 'marseille_minors_shelter'") == [(29,)]


# --- atomicity, versions, rollback, metadata ---------------------------------------------------

def test_a_load_swaps_in_a_new_file_and_keeps_the_previous_one(db):
    before = state(db)
    assert load(csv(NIGHTS, NIGHT), "shelter_nights", db).outcome == "loaded"
    after = state(db)
    assert after[0] != before[0]                                  # a new file (inode), not an edit
    assert state(store.backup_paths(db)[0]) == before              # the previous version, intact
    assert after[2]["shelter_nights"][0] == before[2]["shelter_nights"][0] + 1


def test_rollback_restores_the_previous_version_exactly(db):
    before = state(db)
    load(csv(NIGHTS, NIGHT), "shelter_nights", db)
    load(csv(WEATHER, "Calais;01/04/2024;-1;5;yellow"), "weather_daily", db)
    loading.rollback(db, user="test", via="test")
    assert rows_of(db, "SELECT count(*) FROM weather_daily WHERE day = '2024-04-01'") == [(0,)]
    loading.rollback(db, user="test", via="test")
    assert state(db)[1:] == before[1:]
    with pytest.raises(FileNotFoundError):
        loading.rollback(db, user="test", via="test")
    assert list(audit.recent()["outcome"]) == ["failed", "rolled_back", "rolled_back", "loaded", "loaded"]


def test_start_real_replaces_the_demo_with_a_new_real_database(tmp_path):
    demo = fixture_data.build(tmp_path / "demo.duckdb", is_synthetic=True, approved=False)
    report = load(csv(SITES, SITE), "sites", demo, start_real=True)
    assert report.outcome == "loaded"
    assert rows_of(demo, "SELECT dataset_name, is_synthetic FROM metadata") == [("Terrain", False)]
    assert rows_of(demo, "SELECT site_id FROM sites") == [("lille_shelter",)]
    assert rows_of(demo, "SELECT count(*) FROM consultations") == [(0,)]     # no synthetic row came along
    loading.rollback(demo, user="test", via="test")                         # the demo is the previous version
    assert rows_of(demo, "SELECT is_synthetic, (SELECT count(*) FROM consultations) FROM metadata") == [(True, 88)]


def test_start_real_is_refused_on_a_real_database(db):
    before = state(db)
    assert [f.kind for f in load(csv(NIGHTS, NIGHT), "shelter_nights", db, start_real=True).problems] == ["not_synthetic"]
    assert state(db) == before


def test_an_import_into_a_new_path_creates_a_real_database(tmp_path):
    path = tmp_path / "nouvelle" / "terrain.duckdb"
    assert load(csv(SITES, SITE), "sites", path).outcome == "loaded"
    assert rows_of(path, "SELECT is_synthetic, data_as_of FROM metadata") == [(False, TODAY)]
    assert load(csv(NIGHTS, "lille_shelter;03/03/2024;25;20;0;0;0"), "shelter_nights", path).outcome == "loaded"
    assert rows_of(path, "SELECT data_as_of FROM metadata") == [(D(2024, 3, 3),)]


# --- the audit -----------------------------------------------------------------------------------

def test_every_attempt_is_audited_with_the_file_hash(db, audit_dir):
    good, bad = csv(NIGHTS, NIGHT), csv(NIGHTS, NIGHT.replace(";18;", ";-18;"))
    load(bad, "shelter_nights", db, name="mauvais.csv")
    load(good, "shelter_nights", db, name="bon.csv", dry_run=True)
    load(good, "shelter_nights", db, name="bon.csv")
    assert (audit_dir / "imports.duckdb").exists()
    history = audit.recent()
    assert list(zip(history["file_name"], history["outcome"], history["row_count"], history["problem_count"])) == [
        ("bon.csv", "loaded", 1, 0), ("bon.csv", "checked", 1, 0), ("mauvais.csv", "refused", 1, 1)]
    assert list(history["file_sha256"]) == [hashlib.sha256(good).hexdigest()] * 2 + [hashlib.sha256(bad).hexdigest()]
    assert set(history["user_name"]) == {"test"}
    assert json.loads(history["problems"].iloc[2]) == [
        {"severity": "problem", "kind": "negative", "column": "beds_occupied", "count": 1, "rows": [2]}]


# --- warnings ------------------------------------------------------------------------------------

def test_a_week_far_above_the_sites_usual_weeks_is_a_warning_not_a_refusal(db):
    # Ten weeks of five consultations a week at Marseille (from Monday 4 March) after the
    # fixture's week of 15 (5 February), then a week of 40: median 5 over 11 weeks.
    usual = [CONSULT.replace("05/03/2024", (D(2024, 3, 4) + dt.timedelta(weeks=w, days=d)).strftime("%d/%m/%Y"))
             .replace("calais_camps", "marseille_minors_shelter") for w in range(10) for d in range(5)]
    assert load(csv(CONSULTS, *usual), "consultations", db).outcome == "loaded"
    busy = [CONSULT.replace("05/03/2024", (D(2024, 5, 13) + dt.timedelta(days=d % 7)).strftime("%d/%m/%Y"))
            .replace("calais_camps", "marseille_minors_shelter") for d in range(40)]
    report = load(csv(CONSULTS, *busy), "consultations", db)
    assert report.outcome == "loaded"
    (warning,) = report.warnings
    assert loading.warning_lines(report, "en") == [
        "semaine.csv, row 2, column “site_id”: week of 2024-05-13 at site marseille_minors_shelter: 40 consultations, "
        "far from the usual week (median 5 over 11 previous weeks)."]


# --- the schema is the source ----------------------------------------------------------------------

def test_the_unchanged_database_check_covers_every_table():
    assert set(TABLE_DIGESTS) == {"metadata", *tables.IMPORTABLE}


def test_every_check_of_the_schema_is_a_rule_of_the_import():
    for table in tables.tables().values():
        assert set(table.cross_checks) <= set(validation._Checker.CROSS_CHECKS), table.name


def test_a_campaign_loads_its_target_age_bands_as_listed_or_named(db):
    lines = [CAMPAIGNS, "measles-2024-marseille;measles;01/03/2024;31/03/2024;6 mois - 15 ans;\"15-17 ans; 0-14\";100;200",
             "flu-2024-calais;influenza;01/03/2024;31/03/2024;15 ans et plus;15-17|18-24, 25-34 , 35+;300;400"]
    report = load(csv(*lines), "vaccination_campaigns", db)
    assert report.outcome == "loaded", [(f.kind, f.column) for f in report.problems]
    assert rows_of(db, "SELECT campaign_id, target_age_bands::VARCHAR[] FROM vaccination_campaigns "
                       "WHERE campaign_id <> 'mmr-2024-pantin' ORDER BY campaign_id") == [
        ("flu-2024-calais", ["15-17", "18-24", "25-34", "35+"]), ("measles-2024-marseille", ["0-14", "15-17"])]
    # --replace updates a campaign the doses refer to, its bands with it.
    lines = [CAMPAIGNS, "mmr-2024-pantin;mmr;15/01/2024;31/01/2024;15-17 ans et 18-24 ans;15-17, 18-24;20;40"]
    assert load(csv(*lines), "vaccination_campaigns", db, replace=True).outcome == "loaded"
    assert rows_of(db, "SELECT target_age_bands::VARCHAR[] FROM vaccination_campaigns WHERE campaign_id = "
                       "'mmr-2024-pantin'") == [(["15-17", "18-24"],)]


def test_a_dose_outside_its_campaigns_target_ages_is_loaded_with_a_warning(db):
    lines = [VACCINES, "22/01/2024;pantin_girls_shelter;mmr-2024-pantin;mmr;18-24;3",
             "22/01/2024;pantin_girls_shelter;mmr-2024-pantin;mmr;unknown;2",
             "22/01/2024;pantin_girls_shelter;mmr-2024-pantin;mmr;15-17;4",
             "22/01/2024;pantin_girls_shelter;;dtp;25-34;1"]
    report = load(csv(*lines), "vaccinations", db)
    assert report.outcome == "loaded" and not report.problems
    (warning,) = report.warnings
    assert (warning.kind, warning.column, warning.rows.tolist()) == ("dose_outside_target_ages", "age_band", [2])
    assert loading.i18n.t("imports.warning.dose_outside_target_ages", "fr", value="18-24", campaign="mmr-2024-pantin",
                          bands="15-17").startswith("dose à 18-24, hors des tranches d'âge ciblées")


def test_columns_types_keys_and_categories_come_from_the_schema():
    nights, consultations, vaccinations = (tables.tables()[t] for t in ("shelter_nights", "consultations", "vaccinations"))
    assert nights.key == ("site_id", "night") and nights.key_is_unique
    assert (nights.column("beds_available").low, nights.column("beds_available").high) == (0, 2000)
    assert consultations.key == ("consulted_on", "site_id") and not consultations.key_is_unique
    assert consultations.column("activity").categories == ("medical", "mental_health", "social", "legal")
    assert consultations.column("site_id").references == "sites"
    assert vaccinations.column("antigen").categories == ("measles", "mmr", "dtp", "hepatitis_b", "influenza", "covid19")
    assert vaccinations.column("campaign_id").required is False
    bands = tables.tables()["vaccination_campaigns"].column("target_age_bands")
    assert (bands.kind, bands.required, bands.categories) == ("categories", True, ("0-14", "15-17", "18-24", "25-34", "35+"))
    assert tables.tables()["sites"].column("site_id").pattern == "[a-z][a-z0-9_]{1,62}"


# --- templates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("table", tables.IMPORTABLE)
def test_each_template_reads_back_with_only_its_example_row_to_replace(db, table):
    names = tables.tables()[table].names
    assert templates.template_csv(table).decode("utf-8-sig").splitlines()[0] == ";".join(names)
    for kind, data in (("csv", templates.template_csv(table)), ("xlsx", templates.template_xlsx(table))):
        report = load(data, table, db, name=f"modele.{kind}", dry_run=True, today=D(2025, 1, 1))
        assert [(f.kind, f.rows.tolist()) for f in report.problems] == [("example_row", [2])], (table, kind)


def test_the_xlsx_template_describes_each_column_and_lists_the_allowed_values():
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("consultations")))
    assert book.sheetnames == ["consultations", "listes", "description"]
    assert book["listes"].sheet_state == "hidden"
    described = list(book["description"].iter_rows(values_only=True))
    assert described[0][:5] == ("Colonne / Column", "Type (fr)", "Obligatoire (fr)", "Valeurs permises (fr)",
                                "Description (fr)")
    assert [row[0] for row in described[1:]] == list(tables.tables()["consultations"].names)
    sex = next(row for row in described if row[0] == "sex")
    assert sex[1:4] == ("valeur d'une liste", "Oui", "F, M, X")
    validations = {str(v.sqref): v.formula1 for v in book["consultations"].data_validations.dataValidation}
    assert validations["F2:F10000"] == "listes!$D$2:$D$4"    # sex: the 4th list, three values


def test_templates_command_writes_three_files_per_table(tmp_path):
    assert templates_cli.command(["--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.iterdir())) == 3 * len(tables.IMPORTABLE)
    description = (tmp_path / "terrain_weather_daily_description.csv").read_bytes()
    assert description.startswith(b"\xef\xbb\xbf") and "de -40 à 45".encode() in description


# --- the command line ------------------------------------------------------------------------------

def test_cli_exit_status_loaded_checked_refused_and_bad_arguments(db, tmp_path, capsys):
    good, bad = tmp_path / "bon.csv", tmp_path / "mauvais.csv"
    good.write_bytes(csv(NIGHTS, "marseille_minors_shelter;04/03/2024;20;18;0;0;0"))
    bad.write_bytes(csv(NIGHTS, "marseille_minors_shelter;05/03/2024;20;-18;0;0;0"))
    before = state(db)
    assert import_cli.command([str(good), "--table", "shelter_nights", "--db", str(db), "--dry-run"]) == 0
    assert state(db) == before
    assert import_cli.command([str(bad), "--table", "shelter_nights", "--db", str(db)]) == 1
    assert state(db) == before
    err = capsys.readouterr().err
    assert "mauvais.csv, ligne 2, colonne «\u00a0beds_occupied\u00a0»\u00a0: -18\u00a0: un nombre négatif" in err
    assert "mauvais.csv, row 2, column “beds_occupied”: -18: a negative number is impossible here." in err
    assert import_cli.command([str(good), "--table", "shelter_nights", "--db", str(db), "--lang", "en"]) == 0
    assert "Loaded into “shelter_nights” (rows: 1)" in capsys.readouterr().out
    assert import_cli.command([str(good), "--table", "repas", "--db", str(db)]) == 2
    assert import_cli.command([str(good), "--db", str(db)]) == 2
    assert import_cli.command([str(tmp_path / "absent.csv"), "--table", "sites", "--db", str(db)]) == 2


def test_cli_rollback_exit_status(db):
    load(csv(NIGHTS, NIGHT), "shelter_nights", db)
    assert rollback_cli.command(["--db", str(db)]) == 0
    assert rollback_cli.command(["--db", str(db)]) == 1


# --- the page --------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["advocacy", "donor"])
def test_the_import_page_refuses_advocacy_and_donors(db, monkeypatch, role):
    monkeypatch.setenv("TERRAIN_DB", str(db))
    at = run_page("pages/imports.py", role)
    assert not at.exception
    assert "Votre rôle ne donne pas accès à cette page." in [e.value for e in at.error]
    assert not at.file_uploader and not at.get("download_button") and not at.dataframe


def test_a_manager_uploads_a_file_checks_it_then_loads_it(db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(db))
    at = run_page("pages/imports.py", "programme_manager")
    assert not at.exception
    assert "50\u00a0Mo au plus" in texts(at)
    at.selectbox(key="import_table").set_value("shelter_nights")
    at.file_uploader(key="import_file_0").upload("semaine.csv", csv(NIGHTS, NIGHT), "text/csv")
    at.run()
    assert not at.exception
    assert [e.value for e in at.success] == [
        "Fichier valide, prêt à être chargé dans «\u00a0Nuits d'hébergement\u00a0» (lignes\u00a0: 1)."]
    assert rows_of(db, "SELECT count(*) FROM shelter_nights") == [(74,)]   # checked, not loaded yet
    at.button(key="import_load").click().run()
    assert not at.exception
    assert [e.value for e in at.success] == [
        "Chargé dans «\u00a0Nuits d'hébergement\u00a0» (lignes\u00a0: 1). Données au 31 mars 2024."]
    assert at.file_uploader(key="import_file_1").value is None     # emptied, ready for the next file
    assert rows_of(db, "SELECT count(*) FROM shelter_nights") == [(75,)]
    history = next(d.value for d in at.dataframe if "Empreinte SHA-256" in d.value.columns)
    assert list(history["Résultat"]) == ["chargé", "vérifié (sans chargement)"]
    counts = next(d.value for d in at.dataframe if "Lignes" in d.value.columns and "Table" in d.value.columns)
    assert counts.set_index("Table").loc["Nuits d'hébergement", "Lignes"] == 75


def test_a_manager_sees_every_problem_of_a_refused_upload(db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(db))
    at = run_page("pages/imports.py", "programme_manager", {"lang": "en"})
    at.selectbox(key="import_table").set_value("shelter_nights")
    at.file_uploader(key="import_file_0").upload(
        "semaine.csv", csv(NIGHTS, NIGHT.replace(";18;", ";45;"), "nowhere;05/03/2024;20;5;0;0;0"), "text/csv")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["File refused (problems: 2). The database has not changed."]
    problems = next(t.value for t in at.table if "Problem" in t.value.columns)   # a table that wraps its text
    assert list(zip(problems["Row"], problems["Column"])) == [("2", "beds_occupied"), ("3", "site_id")]
    assert all(b.key != "import_load" for b in at.button)   # nothing to load


# --- every message exists in both languages -------------------------------------------------------

def test_every_kind_of_problem_stage_outcome_and_reason_has_its_text():
    import re
    from terrain import i18n
    sources = "".join((ROOT / "terrain" / name).read_text(encoding="utf-8")
                      for name in ("importing/loading.py", "importing/validation.py", "importing/reading.py"))
    kinds = set(re.findall(r'(?:at_rows|Finding|header_problem|Unreadable|refuse)\(\s*"([a-z_]+)"', sources))
    kinds |= set(validation.NOT_PARSED.values())
    assert {"personal_value", "already_in_database", "synthetic_database", "not_category", "xls_format"} <= kinds
    catalogue = i18n.catalogue()
    missing = [kind for kind in kinds if f"imports.problem.{kind}" not in catalogue
               and f"imports.warning.{kind}" not in catalogue]
    missing += [key for key in (
        *(f"imports.personal.{reason}" for reason in anonymity.PERSONAL_WORDS),
        *(f"imports.outcome.{outcome}" for outcome in audit.OUTCOMES),
        *(f"imports.table.{table}" for table in tables.IMPORTABLE),
        *(f"imports.stage.{stage}" for stage in ("reading", "anonymity", "columns", "rules", "database",
                                                 "applying", "done")),
    ) if key not in catalogue]
    assert missing == []


def test_progress_only_moves_forward_through_the_stages(db):
    heard = []
    data = workbook([NIGHTS.split(";")] + [["pantin_girls_shelter", f"2024-04-{d:02d}", 10, 9, 0, 0, 0]
                                           for d in range(1, 29)])
    load(data, "shelter_nights", db, name="avril.xlsx", progress=lambda done, stage: heard.append((done, stage)))
    fractions = [done for done, _ in heard]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [stage for _, stage in heard][-2:] == ["applying", "done"]
    assert {stage for _, stage in heard} == {"reading", "anonymity", "columns", "rules", "database", "applying", "done"}


# --- trying imports on the demo: into a copy, never into the demo ---------------------------------

@pytest.fixture(scope="module")
def synthetic_fixture(tmp_path_factory):
    return fixture_data.build(tmp_path_factory.mktemp("synthetic") / "terrain.duckdb", is_synthetic=True, approved=False)


@pytest.fixture
def demo(tmp_path, synthetic_fixture):
    """A fresh copy of the fixture database, synthetic (the demo)."""
    return Path(shutil.copyfile(synthetic_fixture, tmp_path / "terrain.duckdb"))


def _template(table: str, suffix: str) -> bytes:
    return templates.template_csv(table) if suffix == "csv" else templates.template_xlsx(table)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
@pytest.mark.parametrize("table", tables.IMPORTABLE)
def test_the_unchanged_template_loads_into_a_trial_copy_and_the_demo_stays_as_it_was(demo, table, suffix):
    before = state(demo)
    report = load(_template(table, suffix), table, demo, name=f"terrain_{table}.{suffix}", trial=True)
    assert (report.outcome, report.rows, report.problems) == ("loaded", 1, [])
    assert [f.kind for f in report.warnings] == ["example_row"]   # said, not refused
    assert state(demo) == before
    copy = loading.trial_path(demo)
    assert copy == demo.with_name("terrain.trial.duckdb")
    assert rows_of(copy, "SELECT is_synthetic FROM metadata") == [(True,)]   # the copy is labelled synthetic too
    changed = {name for name, digest in state(copy)[2].items() if digest != before[2][name]}
    assert changed - {"metadata"} == {table}
    # Nothing but the demo and the copy is left beside them: no lock, no intent, no backup.
    assert sorted(p.name for p in demo.parent.iterdir() if p.name != "audit") == ["terrain.duckdb", "terrain.trial.duckdb"]
    assert loading.discard_trial(demo) is True and not copy.exists()
    assert loading.discard_trial(demo) is False
    assert state(demo) == before


def test_trial_imports_add_up_in_the_copy_and_the_page_shows_them(demo, monkeypatch):
    first = "lille_shelter;Hébergement Lille-Sud;Lille;59350;59;shelter;50,6292;3,0573;25;mixed;01/02/2024;"
    second = "lille_day;Accueil de jour Lille;Lille;59350;59;day_centre;50,6290;3,0570;;mixed;01/02/2024;"
    assert load(csv(SITES, first), "sites", demo, trial=True).outcome == "loaded"
    assert load(csv(SITES, second), "sites", demo, trial=True).outcome == "loaded"
    assert rows_of(loading.trial_path(demo), "SELECT site_id FROM sites WHERE city = 'Lille' ORDER BY 1") == [
        ("lille_day",), ("lille_shelter",)]
    assert rows_of(demo, "SELECT count(*) FROM sites WHERE city = 'Lille'") == [(0,)]
    monkeypatch.setenv("TERRAIN_DB", str(demo))
    at = run_page("pages/imports.py", "programme_manager")
    assert not at.exception
    assert "copie d'essai" in texts(at) and "terrain.trial.duckdb" in texts(at)
    assert all(t.key != "import_replace" for t in at.toggle)    # in the copy a row already there is replaced
    [contents] = [d.value.set_index("Table") for d in at.dataframe if "Lignes dans la copie d'essai" in d.value.columns]
    assert (contents.loc["Sites", "Lignes dans la démonstration"], contents.loc["Sites", "Lignes dans la copie d'essai"],
            contents.loc["Sites", "Différence"]) == ("5", "7", "+2")
    at.button(key="trial_discard").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Copie d'essai supprimée. La démonstration n'a jamais changé."]
    assert not loading.trial_path(demo).exists()
    assert not [d for d in at.dataframe if "Lignes dans la copie d'essai" in d.value.columns]


def test_a_trial_is_for_the_demo_only(db):
    with pytest.raises(ValueError):
        load(csv(NIGHTS, NIGHT), "shelter_nights", db, trial=True)
    assert not loading.trial_path(db).exists()


def test_outside_a_trial_the_example_row_is_still_refused(db):
    report = load(templates.template_csv("shelter_nights"), "shelter_nights", db, name="terrain_shelter_nights.csv")
    assert "example_row" in [f.kind for f in report.problems]


# --- a file that is not what its name says ----------------------------------------------------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=3000).filter(lambda b: not b.startswith((reading.XLSX_MAGIC, reading.XLS_MAGIC))
                                                   and not b.isspace()))
def test_a_xlsx_that_is_no_workbook_is_named_so_in_one_line(data):
    with pytest.raises(reading.Unreadable) as refused:
        reading.read(reading.Source("export de la semaine.xlsx", data=data))
    assert refused.value.kind == "not_what_its_name_says"
    assert refused.value.params["actual"].key in {f"imports.contents.{k}" for k in
                                                  ("pdf", "image", "rtf", "compressed", "text", "binary")}


@pytest.mark.parametrize("head,kind", [(b"%PDF-1.7\n", "pdf"), (b"\x89PNG\r\n\x1a\n", "image"), (b"\xff\xd8\xff\xe0", "image"),
                                       (b"{\\rtf1\\ansi", "rtf"), (b"\x1f\x8b\x08", "compressed")])
@given(tail=st.binary(max_size=500))
@settings(max_examples=20, deadline=None)
def test_a_csv_that_is_a_document_or_an_image_is_named_so(head, kind, tail):
    with pytest.raises(reading.Unreadable) as refused:
        reading.read(reading.Source("semaine.csv", data=head + tail))
    assert (refused.value.kind, refused.value.params["actual"].key) == ("not_what_its_name_says", f"imports.contents.{kind}")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300))
@settings(max_examples=200, deadline=None)
def test_text_is_text_whatever_its_encoding(text):
    for encoding in ("utf-8", "utf-8-sig", "utf-16"):
        assert reading.contents_kind(text.encode(encoding)) == "text"


def test_a_damaged_workbook_gets_one_line_not_a_problem_per_garbled_cell(demo):
    damaged = bytearray(templates.template_xlsx("consultations"))
    damaged[:4] = os.urandom(4).replace(b"P", b"Q")   # its first bytes lost: no longer a zip
    report = load(bytes(damaged), "consultations", demo, name="consultations.xlsx", trial=True, dry_run=True)
    assert [f.kind for f in report.problems] == ["not_what_its_name_says"]
    assert loading.problem_lines(report, "fr") == [
        "consultations.xlsx\u00a0: ce fichier porte le nom d'un classeur Excel (.xlsx) mais n'en est pas un — son "
        "contenu\u00a0: des données illisibles (le fichier est sans doute endommagé). Ouvrez-le dans son logiciel et "
        "enregistrez-le à nouveau en .xlsx ou en CSV."]
    renamed = load(csv(NIGHTS, NIGHT), "shelter_nights", demo, name="semaine.xlsx", trial=True, dry_run=True)
    assert loading.problem_lines(renamed, "en") == [
        "semaine.xlsx: this file is named as an Excel workbook (.xlsx) but is not one — its contents: text (a renamed "
        "CSV?). Open it in its application and save it again as .xlsx or CSV."]


def test_a_workbook_named_csv_is_still_read_as_the_workbook_it_is(demo):
    report = load(_template("shelter_nights", "xlsx"), "shelter_nights", demo, name="semaine.csv", trial=True,
                  dry_run=True)
    assert (report.detection.format, report.problems) == ("xlsx", [])


# --- the writers' lock leaves no file behind ---------------------------------------------------------

def test_no_lock_file_stays_after_an_import_or_a_refusal(db):
    assert load(csv(NIGHTS, NIGHT), "shelter_nights", db).outcome == "loaded"
    assert load(csv(NIGHTS, NIGHT), "shelter_nights", db).outcome == "refused"   # already there
    assert not list(db.parent.glob("*.lock"))


def test_the_lock_still_lets_one_writer_in_at_a_time_when_it_removes_its_file(tmp_path):
    import threading
    target, inside, most, errors = tmp_path / "terrain.duckdb", [0], [0], []
    guard = threading.Lock()

    def writer():
        try:
            for _ in range(40):
                with store.writer_lock(target):
                    with guard:
                        inside[0] += 1
                        most[0] = max(most[0], inside[0])
                    os.sched_yield()
                    with guard:
                        inside[0] -= 1
        except Exception as error:   # noqa: BLE001 - reported below
            errors.append(error)
    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (errors, most[0]) == ([], 1)
    assert not (tmp_path / "terrain.duckdb.import.lock").exists()

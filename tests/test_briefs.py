"""Briefs to the authorities, read back as their reader gets them (python-docx, pypdf): the
key figures and dates, the synthetic marking on every page, the audience's threshold, no
small count, no site named in a publication, and the briefs log.

On tests/fixture_data.py, 8–21 January 2024 in Calais: nine cold nights (8–16 January, −3 °C)
on which the emergency shelter turned people away 37 times (37 refusals, night by night: the
fixture cannot tell how many people they were), 3 of them refusals of minors. Calais's only camp
is its only site a publication may not point at, so a publication names the département
(Pas-de-Calais, 62) instead of the commune, as the donors' map does.
"""

import datetime as dt
import getpass
import hashlib
import io
import json
import re

import docx
import duckdb
import pandas as pd
import pytest
from pypdf import PdfReader

from terrain import SCHEMA_VERSION, alerts, audit, briefs, i18n, store, summaries
from terrain.cli import brief as brief_cli
from terrain.disclosure import ledger, marks, publication
from tests import fixture_data

D = dt.date
CONFIG = alerts.load_config()
MARKER_FR = "DONNÉES SYNTHÉTIQUES — DÉMONSTRATION"
COLD_SPELL = dict(rule="cold_exclusion", start=D(2024, 1, 8), end=D(2024, 1, 21), city="Calais")


@pytest.fixture(autouse=True)
def audit_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    return tmp_path / "audit"


def flat(text: str) -> str:
    """Text as one line of single spaces: PDF extraction breaks lines where the page does."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def pages(content: bytes, fmt: str) -> list[str]:
    """The text of each page of a PDF; for a Word file, the body, then each header and footer."""
    if fmt == "pdf":
        return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages]
    document = docx.Document(io.BytesIO(content))
    body = [p.text for p in document.paragraphs]
    body += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    margins = [p.text for section in document.sections for part in (section.header, section.footer)
               for p in part.paragraphs]
    return [flat("\n".join(body))] + [flat(text) for text in margins]


def produce(db, *, user="tester", **request):
    con = store.open_readonly(db)
    try:
        return briefs.produce(con, briefs.Request(**request), CONFIG, user=user, via="test")
    finally:
        con.close()


def small_counts(text: str, k: int) -> list[str]:
    """Counts of people, refusals, consultations or cases shown below k (none may be)."""
    found = re.findall(r"(?<![\d,.−-])(\d+) (?:personnes?|people|person|mineurs?|minors?|filles?|girls?|"
                       r"refus|refusals?|consultations?|cas|cases?)\b(?!\()", text)
    return [n for n in found if 0 < int(n) < k]


EXPECTED = {
    # Refusals summed over nights are refusals, never people: the same person refused on three
    # nights counts three.
    ("fr", "internal"): ["Du 8 au 21 janvier 2024, par 9 nuits de froid, on compte 37 refus de mise à l'abri faute "
                         "de place au centre d'hébergement d'urgence de Calais.",
                         "Dont moins de 5 refus concernant des mineurs.",
                         "une personne refusée trois nuits compte trois refus", "−3,0 °C", "Destinataire : Préfecture",
                         "Abri d'urgence de Calais", "8 janv. 2024", "16 janv. 2024", "Données au", "31 mars 2024",
                         "effectifs inférieurs à 5 masqués", "shelter_nights_with_weather"],
    # For the public: the whole month, from the public's published set, the city named by its
    # département; refusals, not people (one person refused on two nights is two refusals).
    ("fr", "public"): ["En janvier 2024, dans le département Pas-de-Calais (62), 37 refus faute de place ont été "
                       "enregistrés lors de nuits de froid (9 nuits de froid sur la période).",
                       "Pas-de-Calais (62) — Janvier 2024", "Janvier 2024 (mois entiers ; période demandée : du 8 "
                       "au 21 janvier 2024)", "Chiffres publiés, mois par mois", "31 mars 2024",
                       "registre des publications"],
    ("en", "internal"): ["8–21 January 2024: 37 refusals of shelter for lack of room at the emergency shelter in "
                         "Calais, on 9 cold nights.", "Of these, fewer than 5 refusals concerned minors.",
                         "a person turned away on three nights counts three refusals", "−3.0 °C",
                         "Recipient: Préfecture", "8 Jan 2024", "16 Jan 2024", "Data as of", "31 March 2024",
                         "counts below 5 hidden"],
    ("en", "public"): ["In January 2024, in the département Pas-de-Calais (62): 37 refusals for lack of room on cold "
                       "nights (9 cold nights in the period).", "counts below 11 hidden",
                       "no place is located more precisely than its commune", "January 2024 (whole months; period "
                       "asked for: 8–21 January 2024)"],
}


@pytest.mark.parametrize("fmt", briefs.FORMATS)
@pytest.mark.parametrize("lang, audience", sorted(EXPECTED))
def test_cold_exclusion_brief_reads_back(fixture_db, lang, audience, fmt):
    produced = produce(fixture_db, lang=lang, audience=audience, format=fmt, **COLD_SPELL)
    text = pages(produced.content, fmt)
    everything = " ".join(text)
    for expected in EXPECTED[(lang, audience)]:
        assert flat(expected) in everything
    # Never the people-words of one night for a sum over nights.
    for wrong in ("personnes n'ont pas pu", "mises à l'abri", "37 personnes", "37 people", "could not be given a bed",
                  "Personnes refusées", "People turned away"):
        assert wrong not in everything
    # The synthetic marking on every page (PDF), in the header and footer (Word).
    marked = text if fmt == "pdf" else text[1:]
    assert marked and all(MARKER_FR in page for page in marked)
    k = 11 if audience == "public" else 5
    # The rule's definition states its thresholds ("at least 1 person"): not a count. Page
    # headers and footers are left out, so that a paragraph cut by a page reads whole.
    running = re.compile(r"(SYNTHETIC DATA — DEMONSTRATION · )?DONNÉES SYNTHÉTIQUES — DÉMONSTRATION|Page \d+/\d+")
    body = flat(" ".join(running.sub(" ", page) for page in text))
    figures = body.replace(flat(briefs.definition("cold_exclusion", CONFIG["cold_exclusion"], lang)), "")
    assert figures != body and small_counts(figures, k) == []
    assert "3 mineurs" not in everything and "3 minors" not in everything
    if audience == "public":
        assert re.search(r"(?<!Pas-de-)Calais", everything) is None  # neither the commune nor the site
        assert "Abri d'urgence" not in everything
    assert "50.95" not in everything and "50,95" not in everything  # never a coordinate


def test_pdf_has_the_chart_and_a_title(fixture_db):
    produced = produce(fixture_db, lang="fr", audience="public", format="pdf", **COLD_SPELL)
    reader = PdfReader(io.BytesIO(produced.content))
    assert sum(len(page.images) for page in reader.pages) == 1
    assert reader.metadata.title == i18n.t("briefs.title.cold_exclusion", "fr")


def test_docx_has_the_chart_and_an_editable_table(fixture_db):
    produced = produce(fixture_db, lang="en", audience="internal", format="docx", **COLD_SPELL)
    document = docx.Document(io.BytesIO(produced.content))
    assert len(document.inline_shapes) == 1
    header, *rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert header == ["Place", "From", "To", "Cold nights", "Refusals for lack of room", "of which minors",
                      "Lowest (°C)"]
    assert rows == [["Abri d'urgence de Calais", "8 Jan 2024", "16 Jan 2024", "9", "37", "hidden", "−3.0\u00a0°C"]]


def test_real_data_carries_no_synthetic_marking(tmp_path):
    real = fixture_data.build(tmp_path / "real.duckdb", is_synthetic=False)
    for fmt in briefs.FORMATS:
        produced = produce(real, lang="en", audience="internal", format=fmt, **COLD_SPELL)
        everything = " ".join(pages(produced.content, fmt))
        assert "SYNTHETIC" not in everything and "SYNTHÉTIQUES" not in everything
        assert "37 refusals" in everything


def test_a_period_with_no_episode_says_so(fixture_db):
    produced = produce(fixture_db, rule="winter_gap", start=D(2024, 1, 1), end=D(2024, 1, 31), city="Calais",
                       lang="fr", audience="internal", format="pdf")
    assert "Aucun épisode de la règle « Froid sans mise à l'abri d'urgence » n'a été relevé du 1er au 31 " \
           "janvier 2024 (Calais)." in " ".join(pages(produced.content, "pdf"))
    assert produced.brief.charts == []


# --- complementary suppression in the table --------------------------------------------------

@pytest.fixture(scope="module")
def two_spells_db(tmp_path_factory):
    # Marseille (two sensitive sites: the commune is named), January 2024: a cold spell on
    # 2–4 January (10 people turned away each night: 30), another on 20–21 (3 each: 6).
    turned = {D(2024, 1, d): 10 for d in (2, 3, 4)} | {D(2024, 1, d): 3 for d in (20, 21)}
    nights = [D(2024, 1, 1) + dt.timedelta(days=n) for n in range(31)]
    path = tmp_path_factory.mktemp("spells") / "db.duckdb"
    with store.new_database(path) as con:
        con.execute("INSERT INTO metadata VALUES (1, 'two spells', true, DATE '2024-01-31', $v, TIMESTAMP '2024-02-01')",
                    {"v": SCHEMA_VERSION})
        con.executemany("INSERT INTO sites VALUES (?, ?, 'Marseille', '13055', '13', ?, 43.3, 5.4, ?, 'minors', "
                        "DATE '2020-01-01', NULL)",
                        [("marseille_shelter", "Abri Marseille", "shelter", 20),
                         ("marseille_squats", "Squats Marseille", "squat", None)])
        con.register("rows", pd.DataFrame([("marseille_shelter", n, 20, 20, turned.get(n, 0), 0, 0) for n in nights]))
        con.execute("INSERT INTO shelter_nights SELECT * FROM rows")
        con.register("rows", pd.DataFrame([("Marseille", n, -2.0 if n in turned else 5.0, 8.0, "green") for n in nights]))
        con.execute("INSERT INTO weather_daily SELECT * FROM rows")
        publication.approve_through(con, D(2024, 1, 1), "test", dt.datetime(2024, 2, 1))   # January approved
    return path


def test_a_public_brief_holds_whole_months_so_no_episode_can_be_subtracted(two_spells_db):
    # Two spells in January: 30 refusals in the first, 6 in the second. An internal draft
    # counts each episode; a brief for the public holds January whole, as published.
    produced = produce(two_spells_db, rule="cold_exclusion", start=D(2024, 1, 1), end=D(2024, 1, 31),
                       lang="fr", audience="public", format="docx")
    brief = produced.brief
    assert brief.sentences == ["En janvier 2024, à Marseille, 36 refus faute de place ont été enregistrés lors de "
                               "nuits de froid (5 nuits de froid sur la période)."]
    assert brief.table[1:] == [["Marseille", "Janvier 2024", "5", "36"]] and brief.table_note is None
    # (the day the note is produced is printed too: on the 6th or the 30th of a month it is no figure)
    produced_on = i18n.format_date(dt.date.today(), "fr")
    assert not re.search(r"\b(30|6)\b", " ".join(pages(produced.content, "docx")).replace(produced_on, ""))
    internal = produce(two_spells_db, rule="cold_exclusion", start=D(2024, 1, 1), end=D(2024, 1, 31),
                       lang="fr", audience="internal", format="docx").brief
    assert [row[4] for row in internal.table[1:]] == ["30", "6"] and internal.table_note is None


def test_an_internal_saturation_brief_counts_refusals_not_people(two_spells_db):
    # The Marseille shelter was full all January and turned people away 36 times over its
    # nights: 36 refusals, which may be far fewer people.
    for lang, expected in (("fr", "Refus faute de place sur la période\u00a0: 36."),
                           ("en", "Refusals for lack of room in the period: 36.")):
        brief = produce(two_spells_db, rule="shelter_saturation", start=D(2024, 1, 1), end=D(2024, 1, 31),
                        lang=lang, audience="internal", format="docx").brief
        assert expected in brief.sentences
        assert not [s for s in brief.sentences if re.search(r"36 (personnes|people)|refusées|turned away", s)]
        header = brief.table[0]
        assert header[-1] == i18n.t("briefs.column.turned_away", lang) == {"fr": "Refus faute de place",
                                                                           "en": "Refusals for lack of room"}[lang]


def test_public_briefs_differenced_day_by_day_show_nothing(fixture_db):
    """The issue's case: a public brief to 30 December and one to 31 December differed by the
    one person turned away on the 31st. A public brief holds whole months, so every end day
    of a month gives the same brief as the whole month."""
    con = store.open_readonly(fixture_db)
    try:
        def figures(start, end):
            brief = briefs.compose(con, briefs.Request(rule="shelter_saturation", start=start, end=end, city="Pantin",
                                                       audience="public"), CONFIG, today=D(2024, 4, 1))
            return brief.sentences, brief.table, brief.covers
        whole = {1: figures(D(2024, 1, 1), D(2024, 1, 31)), 2: figures(D(2024, 1, 1), D(2024, 2, 29))}
        for end in [D(2024, 1, 8) + dt.timedelta(days=n) for n in range(24 + 29)]:
            assert figures(D(2024, 1, 8), end) == whole[end.month]
    finally:
        con.close()
    assert whole[2][2] == ("Seine-Saint-Denis (93)", D(2024, 1, 1), D(2024, 2, 29))
    assert whole[1][0] == ["En janvier 2024, dans le département Seine-Saint-Denis (93), toutes les places "
                           "d'hébergement du programme étaient occupées pendant 31 nuits sur 31 nuits d'ouverture "
                           "(taux d'occupation moyen\u00a0: 100\u00a0%).",
                           "Moins de 11 refus faute de place ont été enregistrés sur la période."]


def test_a_public_brief_of_the_month_in_progress_is_refused_in_one_line(fixture_db, tmp_path, capsys):
    with pytest.raises(briefs.BriefRefused, match=r"dernier mois publié\u00a0: mars 2024"):
        produce(fixture_db, rule="cold_exclusion", start=D(2024, 4, 1), end=D(2024, 4, 20), audience="public")
    out = tmp_path / "brief.pdf"
    status = brief_cli.command(["--db", str(fixture_db), "--rule", "cold_exclusion", "--from", "2024-04-01", "--to",
                             "2024-04-20", "--audience", "public", "--lang", "en", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 1 and not out.exists() and audit.recent_briefs().empty
    assert err.count("\n") == 1 and "No whole month of this period is published yet (last month published: " \
        "March 2024)" in err and "Traceback" not in err


def test_the_ledger_refuses_a_brief_that_would_give_a_revision_away(fixture_db, tmp_path, capsys):
    # A pack released before a correction showed 30 refusals on cold nights in Calais in
    # January; the corrected data say 37. A brief showing 37 would give the 7 away.
    ledger.record(pd.DataFrame([("turned_away_on_cold_nights", "all", "*", "Calais", D(2024, 1, 1), 30, "shown")],
                               columns=["measure", "breakdown", "category", "city", "month", "value", "status"]),
                  what="earlier pack", user="someone", audience="public", data_as_of=D(2024, 2, 29),
                  dataset_name="earlier", k=11)
    out = tmp_path / "brief.pdf"
    status = brief_cli.command(["--db", str(fixture_db), "--rule", "cold_exclusion", "--from", "2024-01-08", "--to",
                             "2024-01-21", "--audience", "public", "--lang", "en", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 1 and not out.exists() and audit.recent_briefs().empty
    assert err == ("python -m terrain brief: Brief refused: together with earlier releases it would let a hidden "
                   "figure be worked out. Refusals for lack of room on cold nights, Calais, January 2024: 30 "
                   "released before, 37 now; the difference is a small count.\n")
    assert len(ledger.released_before()) == 1   # nothing more recorded
    internal = produce(fixture_db, rule="cold_exclusion", start=D(2024, 1, 8), end=D(2024, 1, 21), audience="internal")
    assert internal.brief.released is None     # an internal draft is no release


# --- the briefs log ------------------------------------------------------------------------------

@pytest.mark.parametrize("broken", ["briefs.duckdb", "releases.duckdb"])
def test_a_brief_whose_trace_cannot_be_written_is_not_handed_over_and_says_so_in_one_line(
        fixture_db, audit_dir, tmp_path, capsys, broken):
    assert ledger.ledger_path().name == "releases.duckdb" and audit.audit_path().name == "briefs.duckdb"
    audit_dir.mkdir()
    (audit_dir / broken).write_bytes(b"no database here" * 64)     # the log or the ledger, unreadable
    with pytest.raises(briefs.BriefRefused) as refused:
        produce(fixture_db, lang="fr", audience="public", format="pdf", **COLD_SPELL)
    said = str(refused.value)
    assert said.startswith("Note non remise\u00a0: son enregistrement dans " + broken) and "\n" not in said
    out = tmp_path / "brief.pdf"
    status = brief_cli.command(["--db", str(fixture_db), "--rule", "cold_exclusion", "--from", "2024-01-08", "--to",
                                "2024-01-21", "--city", "Calais", "--audience", "public", "--lang", "en",
                                "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 1 and not out.exists()
    assert err.startswith(f"python -m terrain brief: Brief not handed over: it could not be recorded in {broken} (")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_each_brief_is_recorded_with_its_hash(fixture_db):
    produced = produce(fixture_db, user="amina", lang="fr", audience="public", format="pdf", **COLD_SPELL)
    log = audit.recent_briefs()
    assert len(log) == 1
    entry = log.iloc[0]
    assert entry["sha256"] == hashlib.sha256(produced.content).hexdigest() == produced.sha256
    assert (entry["user_name"], entry["via"], entry["rule"], entry["city"]) == ("amina", "test", "cold_exclusion", "Calais")
    assert (entry["audience"], entry["threshold"], entry["lang"], entry["format"], entry["recipient"]) == (
        "public", 11, "fr", "pdf", "prefecture")
    # A public brief is named after what it shows: the département and the whole month.
    assert entry["file_name"] == produced.file_name == \
        "terrain_note_cold_exclusion_public_fr_pas-de-calais-62_2024-01-01_2024-01-31.pdf"
    assert (entry["period_start"].date(), entry["period_end"].date()) == (D(2024, 1, 1), D(2024, 1, 31))
    parameters = json.loads(entry["parameters"])
    assert parameters["thresholds"] == {"turned_away_at_least": 1, "clear_after": 2}
    assert parameters["definitions"]["cold_night"] == {"tmin_at_most": 0.0, "vigilance": ["orange", "red"]}
    assert parameters["definitions"]["season"] == {"first_day": [11, 1], "last_day": [3, 31]}
    assert parameters["queries"] == [{"published_set": "public", "cities": ["Calais"], "months": ["2024-01-01", "2024-01-01"],
                                      "measures": ["cold_nights", "turned_away_on_cold_nights"]}]
    # ... and entered in the release ledger with the cells it shows.
    released = ledger.released_before()
    assert sorted(zip(released["measure"], released["city"], released["value"], released["status"])) == [
        ("cold_nights", "Calais", 9, "shown"), ("turned_away_on_cold_nights", "Calais", 37, "shown")]
    produce(fixture_db, user="amina", lang="en", audience="internal", format="docx", **COLD_SPELL)
    assert audit.recent_briefs()["format"].tolist() == ["docx", "pdf"]  # newest first


def test_the_log_is_outside_the_database(fixture_db, audit_dir):
    produce(fixture_db, lang="fr", audience="internal", format="pdf", **COLD_SPELL)
    assert audit.audit_path() == audit_dir / "briefs.duckdb" and audit.audit_path().exists()
    con = store.open_readonly(fixture_db)
    try:
        assert "brief_audit" not in {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    finally:
        con.close()


def test_a_record_needs_its_fields():
    with pytest.raises(ValueError, match="sha256"):
        audit.record_brief(user="x", via="test", entry={"rule": "cold_exclusion"}, parameters={})


# --- requests and the command line ------------------------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    ({"rule": "heatwave"}, "Unknown rule"), ({"end": D(2024, 1, 1)}, "ends"), ({"lang": "de"}, "language"),
    ({"audience": "donors"}, "audience"), ({"format": "odt"}, "format"), ({"recipient": "mayor"}, "recipient"),
])
def test_bad_requests_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        briefs.Request(**{**COLD_SPELL, "start": D(2024, 1, 8), **changes})


def test_default_recipients_and_thresholds():
    assert briefs.Request(**COLD_SPELL).recipient_type == "prefecture"
    assert briefs.Request(**{**COLD_SPELL, "rule": "outbreak_signal"}).recipient_type == "ars"
    assert briefs.Request(**{**COLD_SPELL, "rule": "minors_surge", "recipient": "press"}).recipient_type == "press"
    assert (briefs.Request(**COLD_SPELL).threshold, briefs.Request(**COLD_SPELL, audience="public").threshold) == (5, 11)


def test_cli_writes_and_records_a_brief(fixture_db, tmp_path, capsys):
    out = tmp_path / "brief.pdf"
    status = brief_cli.command(["--db", str(fixture_db), "--rule", "cold_exclusion", "--from", "2024-01-08",
                             "--to", "2024-01-21", "--city", "Calais", "--lang", "fr", "--audience", "public",
                             "--format", "pdf", "--out", str(out)])
    assert status == 0
    assert "37 refus faute de place" in flat(" ".join(pages(out.read_bytes(), "pdf")))
    entry = audit.recent_briefs().iloc[0]
    assert (entry["user_name"], entry["via"]) == (getpass.getuser(), "cli")
    assert entry["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert str(out) in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--rule", "heatwave"], "invalid choice"),
    (["--from", "2024-02-30"], "not a date"),
    (["--from", "2024-02-01", "--to", "2024-01-01"], "ends (2024-01-01) before it starts"),
    (["--format", "docx"], "should end in .docx"),
    (["--lang", "de"], "invalid choice"),
    (["--config", "/nonexistent/alerts.toml"], "No alerts configuration"),
])
def test_cli_bad_arguments_exit_2(fixture_db, tmp_path, capsys, argv, message):
    base = {"--db": str(fixture_db), "--rule": "cold_exclusion", "--from": "2024-01-08", "--to": "2024-01-21",
            "--format": "pdf", "--out": str(tmp_path / "brief.pdf")}
    given = dict(zip(argv[::2], argv[1::2]))
    status = brief_cli.command([part for pair in {**base, **given}.items() for part in pair])
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "brief.pdf").exists()
    assert audit.recent_briefs().empty


# --- on the demo data ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from terrain import demo
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.generate(path, consultations=60_000, start=D(2022, 1, 1), as_of=D(2025, 6, 30))
    # June, the demo's last whole month, approved as a manager would before briefing on it
    with duckdb.connect(str(path)) as con:
        publication.approve_through(con, D(2025, 6, 1), "test", dt.datetime(2025, 7, 1))
    return path


@pytest.fixture(scope="module")
def demo_episodes(demo_db):
    con = store.open_readonly(demo_db)
    try:
        return alerts.evaluate(con, CONFIG, *alerts.data_bounds(con))
    finally:
        con.close()


@pytest.mark.parametrize("rule", alerts.RULES)
def test_every_rule_fires_on_the_demo_data_and_briefs_on_it(demo_db, demo_episodes, rule):
    latest = max((e for e in demo_episodes if e.rule == rule), key=lambda e: e.start, default=None)
    assert latest is not None, f"no {rule} episode on the demo data: tune config/alerts.toml"
    for lang, fmt in (("fr", "pdf"), ("en", "docx")):
        request = briefs.Request.about_episode(latest, lang=lang, audience="public", format=fmt)
        con = store.open_readonly(demo_db)
        try:
            produced = briefs.produce(con, request, CONFIG, user="tester", via="test")
            published = con.execute("SELECT measure, breakdown, category, city, month, value, status FROM published_cells "
                                    "WHERE audience = 'public'").df()
        finally:
            con.close()
        brief = produced.brief
        text = pages(produced.content, fmt)
        assert all(MARKER_FR in page for page in (text if fmt == "pdf" else text[1:]))
        # Whole months: one row a month of the episode, and a total when there are several.
        first, last = latest.start.replace(day=1), latest.end.replace(day=1)
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        assert brief.sentences and len(brief.table) == 1 + months + (months > 1)
        assert small_counts(" ".join(brief.sentences), 11) == []
        if latest.site_name:
            assert latest.site_name not in " ".join(text)  # a publication names no site
        # Every cell the brief shows is the public's published cell, as it was published.
        key = ["measure", "breakdown", "category", "city", "month"]
        shown = brief.released.assign(month=pd.to_datetime(brief.released["month"]))
        merged = shown.merge(published.assign(month=pd.to_datetime(published["month"])), on=key, how="left",
                             suffixes=("", "_published"), indicator=True)
        assert (merged["_merge"] == "both").all()
        assert (merged["status"] == merged["status_published"]).all()
        assert merged["value"].fillna(-1).eq(merged["value_published"].fillna(-1)).all()


def test_an_occupancy_above_100_percent_is_explained_where_a_brief_shows_it(tmp_path):
    # The fixture with 55 people for the 50 beds of the Calais emergency shelter on 10 January.
    db = fixture_data.build(tmp_path / "overflow.duckdb")
    con = duckdb.connect(str(db))
    con.execute("UPDATE shelter_nights SET beds_occupied = 55 WHERE site_id = 'calais_emergency_shelter' "
                "AND night = DATE '2024-01-10'")
    summaries.refresh(con)
    publication.build(con)
    con.close()
    request = dict(rule="shelter_saturation", start=D(2024, 1, 8), end=D(2024, 1, 21), city="Calais")
    internal = produce(db, lang="fr", audience="internal", format="docx", **request).brief
    assert ("L'occupation a atteint 110\u00a0% des 50 places\u00a0: des matelas au sol ont été ajoutés, quand les lits "
            "ne suffisaient pas.") in internal.sentences
    definition = dict(internal.details)[briefs._t("label.definition", "fr")]
    assert "des matelas au sol peuvent le porter au-delà de 100\u00a0%" in definition
    # The public brief holds January whole: 655 of 700 bed-nights, no rate above 100 %.
    public = produce(db, lang="fr", audience="public", format="docx", **request).brief
    assert briefs._t("public.sentence.over_full", "fr") not in public.sentences
    # Without the overflow night, the internal brief says nothing of mattresses.
    plain = produce(fixture_data.build(tmp_path / "plain.duckdb"), lang="fr", audience="internal", format="docx",
                    **request).brief
    assert not [s for s in plain.sentences if "matelas" in s]


def test_a_public_brief_explains_a_month_above_100_percent():
    place = briefs._PublicPlace(
        "Pantin", None, "Pantin", False,
        months={"bed_nights_occupied": [marks.Sum(330, 0, 0, 11)], "bed_nights_available": [marks.Sum(310, 0, 0, 11)],
                "nights_full": [marks.Sum(31, 0, 0, 11)], "nights_open": [marks.Sum(31, 0, 0, 11)],
                "turned_away": [marks.Sum(40, 0, 0, 11)]},
        totals={"bed_nights_occupied": marks.Sum(330, 0, 0, 11), "bed_nights_available": marks.Sum(310, 0, 0, 11),
                "nights_full": marks.Sum(31, 0, 0, 11), "nights_open": marks.Sum(31, 0, 0, 11),
                "turned_away": marks.Sum(40, 0, 0, 11)})
    said = briefs._public_sentences("shelter_saturation", place, D(2024, 1, 1), D(2024, 1, 1), "fr")
    assert "(taux d'occupation moyen\u00a0: 106\u00a0%)" in said[0]
    assert said[-1] == briefs._t("public.sentence.over_full", "fr") and "matelas au sol" in said[-1]


# --- a brief a préfecture takes seriously: its charts, its language, its annex ----------------------

def tick_labels(figure) -> list[str]:
    """The date labels the chart's time axis shows (within its frame)."""
    axes = figure.axes[0]
    low, high = axes.get_xlim()
    return [label.get_text() for tick, label in zip(axes.get_xticks(), axes.get_xticklabels()) if low <= tick <= high]


def evidence_rows(start: dt.date, periods: int, step: str) -> pd.DataFrame:
    """Every column any rule's chart reads, one row a period."""
    days = pd.date_range(start, periods=periods, freq={"day": "D", "week": "W-MON", "month": "MS"}[step])
    n = len(days)
    numbers = [float(5 + i % 7) for i in range(n)]
    flags = [i % 3 == 0 for i in range(n)]
    return pd.DataFrame({
        "period": days.date, "period_end": days.date, "observed": True, "turned_away": numbers, "tmin_c": -2.5,
        "cold": flags, "beds_occupied": numbers, "beds_available": 12.0, "saturated": flags, "shelter_open": flags,
        "holds": flags, "minors_consultations": numbers, "year_before": numbers, "marked": flags, "cases": numbers,
        "threshold": 9.0, "share": 0.4, "share_year_before": 0.3})


@pytest.mark.parametrize("rule, step", [("cold_exclusion", "day"), ("minors_surge", "week"), ("access_to_care", "month")])
@pytest.mark.parametrize("periods", [1, 2, 3, 9, 14, 30, 45, 120, 400])
@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_a_chart_s_date_labels_are_one_per_tick(rule, step, periods, lang):
    # The axis read "14 nov. 14 nov. 15 nov.": a label every 12 hours, written by day.
    from terrain.charts import alerts as alert_charts
    figure = alert_charts.evidence_chart(rule, evidence_rows(D(2024, 11, 14), periods, step), lang=lang, title="t")
    labels = tick_labels(figure)
    assert labels and all(labels) and len(labels) == len(set(labels)) <= alert_charts.MAX_DATE_TICKS
    if step == "day" and periods <= 10:
        assert len(labels) == periods   # a label for every night
    if step == "day" and periods == 3:
        assert labels == {"fr": ["14 nov.", "15 nov.", "16 nov."], "en": ["14 Nov", "15 Nov", "16 Nov"]}[lang]


def test_a_chart_s_numbers_are_written_in_the_brief_s_language():
    from terrain.charts import alerts as alert_charts
    figure = alert_charts.evidence_chart("minors_surge", evidence_rows(D(2024, 11, 4), 8, "week"), lang="fr", title="t")
    figure.canvas.draw()
    counts = [label.get_text() for label in figure.axes[0].get_yticklabels() if label.get_text()]
    assert counts and all(re.fullmatch(r"\d+", text) for text in counts)    # whole consultations, never "12.5"
    figure = alert_charts.evidence_chart("winter_gap", evidence_rows(D(2024, 11, 4), 5, "day"), lang="fr", title="t")
    figure.canvas.draw()
    degrees = [label.get_text() for label in figure.axes[0].get_yticklabels() if label.get_text()]
    assert "\u22122" in degrees and not [text for text in degrees if "." in text or "-" in text]
    # A public chart whose every month is hidden draws no scale a height could be read from.
    for marks_, ticks in ((["< 11", "[c]"], []), (["", "< 11"], ["0", "4", "8", "12", "16", "20", "24", "28", "32"])):
        figure = alert_charts.published_months_chart([D(2024, 1, 1), D(2024, 2, 1)], [("a", [27, 0], marks_, "#000")],
                                                     lang="fr", title="t", y_title="y")
        figure.canvas.draw()
        assert [label.get_text() for label in figure.axes[0].get_yticklabels() if label.get_text()] == ticks


def test_a_long_chart_title_is_whole_and_inside_the_image():
    from matplotlib.text import Text

    from terrain.charts import alerts as alert_charts
    title = i18n.t("alerts.chart_title.cold_exclusion", "fr",
                   place="Hébergement pour mineurs en situation de vulnérabilité (soutenu), Pantin")
    for figure in (alert_charts.evidence_chart("cold_exclusion", evidence_rows(D(2024, 11, 14), 12, "day"), lang="fr",
                                               title=title),
                   alert_charts.published_months_chart([D(2024, 1, 1), D(2024, 2, 1)], [("a", [3, 4], ["", ""], "#000")],
                                                       lang="fr", title=title, y_title="y")):
        wrapped = figure.axes[0].get_title(loc="left")
        assert "\n" in wrapped and wrapped.replace("\n", " ") == title
        [shown] = [text for text in figure.findobj(Text) if text.get_text() == wrapped]
        box = shown.get_window_extent(figure.canvas.get_renderer())
        assert 0 <= box.x0 and box.x1 <= figure.bbox.x1 and box.y1 <= figure.bbox.y1


# Words of English a French brief must not hold ("Page" and "mars" are French as well).
ENGLISH = re.compile(r"\b(the|of|and|with|for|from|was|were|is|are|by|than|fewer|hidden|people|person|nights?|weeks?|"
                     r"months?|refusals?|shelters?|quer(?:y|ies)|demo|synthetic|data|dataset|brief|rule|cases|turned|"
                     r"away|January|February|March|April|May|June|July|August|September|October|November|December|"
                     r"Jan|Feb|Apr|Jun|Jul|Aug|Sep|Dec|Monday|Provenance)\b")


def body_and_annex(brief: briefs.Brief, content: bytes, fmt: str) -> tuple[str, str]:
    """The brief's text before its annex, and the annex without its exact query names and
    parameters (identifiers kept as they are, for audit)."""
    text = " ".join(pages(content, fmt)[:None if fmt == "pdf" else 1])
    title = flat(briefs._t("annex.title", brief.request.lang))
    assert text.count(title) == 1
    body, annex = text.split(title)
    for _, exact in brief.annex:
        assert flat(exact) in annex.replace(" ", "") or flat(exact).replace(" ", "") in annex.replace(" ", "")
        annex = annex.replace(flat(exact), " ")
    return body, annex


def test_a_french_brief_is_all_in_french(demo_db, demo_episodes):
    for rule in alerts.RULES:
        latest = max((e for e in demo_episodes if e.rule == rule), key=lambda e: e.start)
        for audience, fmt in (("internal", "pdf"), ("internal", "docx"), ("public", "pdf"), ("public", "docx")):
            request = briefs.Request(rule=rule, start=latest.start - dt.timedelta(days=20), end=latest.end,
                                     audience=audience, format=fmt)
            con = store.open_readonly(demo_db)
            try:
                produced = briefs.produce(con, request, CONFIG, user="tester", via="test")
            finally:
                con.close()
            body, annex = body_and_annex(produced.brief, produced.content, fmt)
            assert ENGLISH.findall(body + annex) == [], (rule, audience, fmt)
            assert "Démonstration de Terrain (données synthétiques)" in body
            assert not re.search(r"\b1 autres\b", body)


def test_every_french_text_of_briefs_and_their_charts_is_french():
    catalogue = i18n.catalogue()
    keys = [key for key in catalogue if key.startswith(("briefs.", "alerts.chart.", "alerts.chart_title.", "alerts.rule."))]
    assert len(keys) > 150
    english = {key: ENGLISH.findall(re.sub(r"\{\w+\}", "", catalogue[key]["fr"])) for key in keys}
    assert {key: words for key, words in english.items() if words} == {}


def test_the_charts_of_a_french_brief_hold_no_english():
    from matplotlib.text import Text

    from terrain.charts import alerts as alert_charts
    for rule, step in (("shelter_saturation", "day"), ("cold_exclusion", "day"), ("winter_gap", "day"),
                       ("minors_surge", "week"), ("outbreak_signal", "week"), ("access_to_care", "month")):
        figure = alert_charts.evidence_chart(rule, evidence_rows(D(2024, 11, 14), 20, step), lang="fr", k=5,
                                             title=i18n.t(f"alerts.chart_title.{rule}", "fr", place="Calais"), sd=2)
        figure.canvas.draw()
        words = " ".join(text.get_text() for text in figure.findobj(Text))
        assert len(words) > 100 and ENGLISH.findall(words) == [], rule


def test_a_brief_s_image_is_drawn_once_for_what_it_shows_and_anew_for_anything_else():
    from terrain.charts import alerts as alert_charts
    alert_charts.IMAGES.clear()
    rows = evidence_rows(D(2024, 11, 14), 20, "day")
    rows.loc[5, "turned_away"] = None    # hidden: the legend says below which count
    shown = dict(lang="fr", title="Calais", k=5, sd=2)
    first = alert_charts.evidence_png("cold_exclusion", rows, **shown)
    assert alert_charts.evidence_png("cold_exclusion", rows.copy(), **shown) is first   # the same rows again
    one_more = rows.copy()
    one_more.loc[3, "turned_away"] += 1
    drawn = [alert_charts.evidence_png("cold_exclusion", one_more, **shown),
             alert_charts.evidence_png("cold_exclusion", rows, **(shown | {"lang": "en"})),
             alert_charts.evidence_png("cold_exclusion", rows, **(shown | {"title": "Calais, Pas-de-Calais"})),
             alert_charts.evidence_png("cold_exclusion", rows, **(shown | {"k": 11})),
             alert_charts.evidence_png("shelter_saturation", rows, **shown)]
    assert len({first, *drawn}) == 6     # each drawn anew, none the first image
    assert alert_charts.IMAGES.stats() | {"held": None} == {"hits": 1, "misses": 6, "uncached": 0, "held": None}
    bars = [("Refus", [3.0, None, 7.0], ["", "small", ""], "#b30000")]
    months = [D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)]
    monthly = alert_charts.published_months_png(months, bars, lang="fr", title="Calais", y_title="Refus")
    assert alert_charts.published_months_png(list(months), list(bars), lang="fr", title="Calais",
                                             y_title="Refus") is monthly
    other_mark = [("Refus", [3.0, None, 7.0], ["", "[c]", ""], "#b30000")]
    assert alert_charts.published_months_png(months, other_mark, lang="fr", title="Calais", y_title="Refus") != monthly


def test_the_same_brief_in_the_other_format_draws_no_image_anew(fixture_db):
    from terrain.charts import alerts as alert_charts
    alert_charts.IMAGES.clear()
    produce(fixture_db, lang="fr", audience="internal", format="pdf", **COLD_SPELL)
    drawn = alert_charts.IMAGES.stats()["misses"]
    word = produce(fixture_db, lang="fr", audience="internal", format="docx", **COLD_SPELL)
    assert drawn >= 1 and alert_charts.IMAGES.stats()["misses"] == drawn
    alert_charts.IMAGES.clear()
    anew = produce(fixture_db, lang="fr", audience="internal", format="docx", **COLD_SPELL)
    assert alert_charts.IMAGES.stats()["misses"] == drawn
    assert _images(word.content) == _images(anew.content) != []
    produce(fixture_db, lang="en", audience="internal", format="docx", **COLD_SPELL)
    assert alert_charts.IMAGES.stats()["misses"] == 2 * drawn   # in English: drawn anew


def _images(content: bytes) -> list[bytes]:
    document = docx.Document(io.BytesIO(content))
    return sorted(part.blob for part in document.part.package.parts if part.content_type == "image/png")


@pytest.mark.parametrize("fmt", briefs.FORMATS)
@pytest.mark.parametrize("audience", ["internal", "public"])
def test_provenance_is_an_annex_after_the_body(fixture_db, fmt, audience):
    produced = produce(fixture_db, lang="fr", audience=audience, format=fmt, **COLD_SPELL)
    brief = produced.brief
    text = " ".join(pages(produced.content, fmt)[:None if fmt == "pdf" else 1])
    at = {name: text.index(flat(words)) for name, words in (
        ("figures", briefs._t("key_figures", "fr")), ("method", briefs._t("method", "fr")),
        ("definition", briefs._t("label.definition", "fr")), ("annex", briefs._t("annex.title", "fr")))}
    assert at["figures"] < at["method"] < at["definition"] < at["annex"]
    assert "Provenance" not in [label for label, _ in brief.details]
    # In words first, then the exact names and parameters, for audit, and nothing after them.
    assert text.index(flat(brief.annex_intro)[:60]) > at["annex"]
    if audience == "internal":
        assert [label for label, _ in brief.annex] == [briefs._t("annex.query.history", "fr"),
                                                       briefs._t("annex.query.period", "fr")]
        assert text.index("shelter_nights_with_weather") > at["annex"]
        assert "shelter_nights_with_weather (start=2024-01-08, end=2024-01-21, cities=[Calais])" in text
    else:
        assert dict(brief.annex) == {"Ensemble publié": "public",
                                     "Mesures": "cold_nights, turned_away_on_cold_nights",
                                     "Mois": "2024-01-01 – 2024-01-31"}
        assert "turned_away_on_cold_nights" in text.split(flat(briefs._t("annex.title", "fr")))[1]
    assert "Terrain test fixture" in text   # a dataset's own name, kept as it was named

"""Context events: kept by managers (command line and page, through the write protocol, in the
audit), drawn on the time charts, listed in briefs and downloads, and never, when internal,
shown to a donor or put in anything public."""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import shutil
import unicodedata

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from terrain import (
    SCHEMA_VERSION,
    alerts,
    briefs,
    events,
    exports,
    i18n,
    queries,
    store,
    upgrades,
)
from terrain.__main__ import main
from terrain.importing import audit
from tests import fixture_data
from tests.apptest import run_page
from tests.test_briefs import pages as brief_pages

D = dt.date
FR = lambda key, **values: i18n.t(key, "fr", **values)  # noqa: E731
SECRET = ("Expulsion secrète du camp", "Secret camp eviction", "calais-eviction")
JANUARY = {"period": "custom", "from": "2024-01-01", "to": "2024-01-31"}


@pytest.fixture(autouse=True)
def audit_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    return tmp_path / "audit"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return fixture_data.build(tmp_path_factory.mktemp("events") / "built.duckdb")


@pytest.fixture
def db(built, tmp_path):
    """A copy of the fixture that a test may write to."""
    path = tmp_path / "terrain.duckdb"
    shutil.copyfile(built, path)
    return path


def _rows(path, sql="SELECT event_id, starts, ends, city, kind, label_fr, label_en, audience, recorded_by "
                    "FROM context_events ORDER BY event_id"):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _audit_rows():
    with duckdb.connect(str(audit.audit_path()), read_only=True) as con:
        return con.execute("SELECT user_name, via, outcome, table_name, file_name, problems FROM import_audit "
                           "ORDER BY attempted_at").fetchall()


# --- command line ----------------------------------------------------------------------------

def test_the_command_line_adds_lists_and_removes_an_event_each_change_audited(db, capsys):
    published_before = _rows(db, "SELECT count(*), sum(hash(c)) FROM published_cells AS c")
    assert main(["events", "add", "--db", str(db), "--starts", "2024-02-01", "--ends", "2024-02-14", "--city",
                 "Pantin", "--kind", "opening", "--fr", "Ouverture d'un abri", "--en", "A shelter opens",
                 "--audience", "public", "--user", "chef", "--lang", "en"]) == 0
    assert capsys.readouterr().out.strip() == f"Event “2024-02-01-opening-pantin” added to {db}."
    assert (("2024-02-01-opening-pantin", D(2024, 2, 1), D(2024, 2, 14), "Pantin", "opening", "Ouverture d'un abri",
             "A shelter opens", "public", "chef") in _rows(db))
    assert store.backup_paths(db)[0].exists()                          # the version before, for rollback
    # no row behind the figures changed: the published sets are the copy's, not rebuilt
    assert _rows(db, "SELECT count(*), sum(hash(c)) FROM published_cells AS c") == published_before

    assert main(["events", "list", "--db", str(db), "--lang", "fr"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "2024-02-01-opening-pantin\tdu 1er au 14 février 2024 — Pantin — Ouverture d'un abri" in listed
    assert "calais-eviction\t18 janvier 2024 — Calais — Expulsion secrète du camp (interne)" in listed
    assert listed[-1] == "Événements\u00a0: 5."
    assert main(["events", "list", "--db", str(db), "--audience", "public", "--lang", "en"]) == 0
    assert "calais-eviction" not in capsys.readouterr().out

    assert main(["events", "remove", "calais-eviction", "--db", str(db), "--user", "chef", "--lang", "en"]) == 0
    assert "calais-eviction" not in [row[0] for row in _rows(db)]
    assert [(u, v, o, t, f, json.loads(p)) for u, v, o, t, f, p in _audit_rows()] == [
        ("chef", "cli", "events_changed", "context_events", "2024-02-01-opening-pantin",
         [{"kind": "event_added", "event_id": "2024-02-01-opening-pantin"}]),
        ("chef", "cli", "events_changed", "context_events", "calais-eviction",
         [{"kind": "event_removed", "event_id": "calais-eviction"}]),
    ]


@pytest.mark.parametrize("arguments, message", [
    (["--starts", "2024-02-10", "--ends", "2024-02-01", "--kind", "law", "--fr", "Une loi", "--en", "A law"],
     "the end (2024-02-01) must come after the start (2024-02-10); for a single day, give no end."),
    (["--starts", "2024-02-10", "--city", "Lyon", "--kind", "law", "--fr", "Une loi", "--en", "A law"],
     "unknown city “Lyon” (cities in the database: Calais, Marseille, Pantin, Paris); with no city, the event "
     "holds everywhere."),
    (["--starts", "2024-02-10", "--kind", "law", "--fr", "Une loi " + "x" * 60, "--en", "A law"],
     "the French label must have 3 to 48 characters (it has 68)."),
    (["--starts", "2024-02-10", "--kind", "law", "--fr", "Une loi", "--en", "Call 06 12 34 56 78"],
     "the English label looks like personal data (e-mail address, phone number): an event names a place or a "
     "decision, never a person."),
    (["--starts", "2024-02-10", "--kind", "law", "--fr", "Une loi", "--en", "A law", "--id", "law-2023"],
     "an event already has the id “law-2023”."),
])
def test_a_wrong_event_is_refused_in_one_line_and_nothing_changes(db, capsys, arguments, message):
    before = store.data_version(db)
    assert main(["events", "add", "--db", str(db), "--lang", "en", *arguments]) == 1
    assert capsys.readouterr().err.strip() == f"Refused, nothing changed: {message}"
    assert store.data_version(db) == before and not audit.audit_path().exists()


def test_removing_an_unknown_event_is_refused_in_french_and_english(db, capsys):
    assert main(["events", "remove", "nothing-here", "--db", str(db)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "Refusé, rien n'a changé\u00a0: aucun événement ne porte l'identifiant «\u00a0nothing-here\u00a0» "
        "(python -m terrain events list).",
        "  Refused, nothing changed: no event has the id “nothing-here” (python -m terrain events list)."]


labels = st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")), max_size=70)


@functools.cache
def _schema() -> duckdb.DuckDBPyConnection:
    """An empty database with the schema, made once: each example writes in a transaction it
    rolls back."""
    schema = duckdb.connect()
    store.create_schema(schema)
    return schema


@settings(max_examples=200, deadline=None)
@given(label=labels, kind=st.sampled_from(events.KINDS), city=st.sampled_from([None, "Calais", "Paris"]),
       starts=st.dates(D(2016, 1, 1), D(2030, 12, 31)))
def test_a_label_is_taken_exactly_when_the_schema_would_take_it(label, kind, city, starts):
    event = events.Event(starts=starts, kind=kind, label_fr=label, label_en="A law", city=city)
    found = events.problems(event, ["Calais", "Paris"])
    cleaned = " ".join(unicodedata.normalize("NFC", label).split())
    event_id = events.new_id(event, {"law-2023"})
    if not found:
        schema = _schema().cursor()
        schema.begin()
        try:
            events.insert(schema, [events.Event(**{**event.__dict__, "event_id": event_id})], user="t",
                          at=dt.datetime(2024, 1, 1))
            assert schema.execute("SELECT label_fr FROM context_events").fetchall() == [(cleaned,)]
        finally:
            schema.rollback()
            schema.close()
    else:
        assert [p.key for p in found] in (["label_fr_length"], ["label_fr_personal"])
        assert not 3 <= len(cleaned) <= 48 or found[0].key == "label_fr_personal"
    assert events.ID_PATTERN.fullmatch(event_id)


# --- the door: who sees which events ---------------------------------------------------------------

@pytest.mark.parametrize("role, audience, internal_seen", [
    ("programme_manager", "internal", True),
    ("advocacy", "internal", True),
    ("donor", "internal", False),
    ("programme_manager", "public", False),
    ("advocacy", "public", False),
])
def test_internal_events_reach_the_programme_s_staff_only(fixture_con, role, audience, internal_seen):
    rows = queries.run(fixture_con, "events_in_period", {"start": D(2024, 1, 1), "end": D(2024, 1, 31),
                                                          "cities": ["Calais"]}, role=role, audience=audience)
    expected = ["calais-cold-plan", *(["calais-eviction"] if internal_seen else [])]
    assert rows["event_id"].tolist() == expected


def test_an_event_everywhere_shows_in_every_city_and_a_city_s_only_in_its_own(fixture_con):
    def ids(role, cities, start=D(2023, 12, 1), end=D(2024, 1, 31)):
        return queries.run(fixture_con, "events_in_period", {"start": start, "end": end, "cities": cities},
                           role=role)["event_id"].tolist()
    assert ids("donor", ["Paris"]) == ["law-2023", "paris-team"]
    assert ids("programme_manager", ["Paris"]) == ["law-2023", "paris-team"]
    assert ids("donor", []) == ["law-2023", "calais-cold-plan", "paris-team"]
    # a period touches an event that began before it
    assert ids("programme_manager", ["Calais"], D(2024, 1, 20), D(2024, 1, 20)) == ["calais-cold-plan"]


# --- the page --------------------------------------------------------------------------------

def _events_page(monkeypatch, db, role):
    return run_page("pages/events.py", role, db=db, monkeypatch=monkeypatch, user="chef")


def test_a_manager_adds_and_removes_an_event_on_the_page(monkeypatch, db):
    at = _events_page(monkeypatch, db, "programme_manager")
    assert not at.exception
    assert at.dataframe[0].value[FR("events.column.event_id")].tolist() == [
        "paris-team", "calais-eviction", "calais-cold-plan", "law-2023"]
    at.date_input(key="event_starts").set_value(D(2024, 1, 29))
    at.selectbox(key="event_city").set_value("Marseille")
    at.selectbox(key="event_kind").set_value("eviction")
    at.text_input(key="event_label_fr").input("Expulsion d'un squat")
    at.text_input(key="event_label_en").input("Squat evicted")
    at.radio(key="event_audience").set_value("internal")
    next(b for b in at.button if b.label == FR("events.page.add_button")).click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [FR("events.page.added", event_id="2024-01-29-eviction-marseille")]
    assert ("2024-01-29-eviction-marseille", D(2024, 1, 29), None, "Marseille", "eviction", "Expulsion d'un squat",
            "Squat evicted", "internal", "chef") in _rows(db)
    assert "2024-01-29-eviction-marseille" in at.dataframe[0].value[FR("events.column.event_id")].tolist()

    at.selectbox(key="event_remove_id").set_value("2024-01-29-eviction-marseille")
    next(b for b in at.button if b.label == FR("events.page.remove_button")).click().run()
    assert [s.value for s in at.success] == [FR("events.page.removed", event_id="2024-01-29-eviction-marseille")]
    assert "2024-01-29-eviction-marseille" not in [row[0] for row in _rows(db)]
    assert [(v, o) for _, v, o, *_ in _audit_rows()] == [("page", "events_changed"), ("page", "events_changed")]


def test_the_page_says_every_problem_of_an_event_and_changes_nothing(monkeypatch, db):
    at = _events_page(monkeypatch, db, "programme_manager")
    before = store.data_version(db)
    at.date_input(key="event_starts").set_value(D(2024, 1, 29))
    at.date_input(key="event_ends").set_value(D(2024, 1, 2))
    at.text_input(key="event_label_fr").input("x")
    at.text_input(key="event_label_en").input("A fine label")
    next(b for b in at.button if b.label == FR("events.page.add_button")).click().run()
    assert [e.value for e in at.error] == [
        FR("events.page.refused", reason=FR("events.problem.ends_before_starts", starts="2024-01-29", ends="2024-01-02")),
        FR("events.page.refused", reason=FR("events.problem.label_fr_length", low=3, high=48, length=1))]
    assert store.data_version(db) == before


@pytest.mark.parametrize("role", ["donor", "advocacy"])
def test_the_page_is_refused_to_donors_and_advocacy(monkeypatch, db, role):
    at = _events_page(monkeypatch, db, role)
    assert [e.value for e in at.error] == [FR("common.access_refused")]
    assert not at.dataframe and not at.text_input and [b.key for b in at.button] == ["sign_out"]


# --- on the charts -------------------------------------------------------------------------

def _page(monkeypatch, db, page, role, **url):
    return run_page(f"pages/{page}.py", role, url, db=db, monkeypatch=monkeypatch, user="tester")


def _charts(at) -> dict[str, dict]:
    return {chart.key: json.loads(chart.proto.spec) for chart in at.get("plotly_chart")}


def _events_drawn(spec: dict) -> dict[str, list[str]]:
    """event id -> what marks it: its shape ("line" or "rect") and its label or dot."""
    drawn: dict[str, list[str]] = {}
    for shape in spec["layout"].get("shapes", []):
        if str(shape.get("name", "")).startswith("event:"):
            drawn.setdefault(shape["name"][6:], []).append(shape["type"])
    for note in spec["layout"].get("annotations", []):
        if str(note.get("name", "")).startswith("event:"):
            drawn.setdefault(note["name"][6:], []).append(note["text"])
    return drawn


@pytest.mark.parametrize("page, keys", [
    ("consultations", ["consultations_trend", "consultations_coverage"]),
    ("occupancy", ["beds_city_Calais", "occupancy_compare"]),
    ("outreach", ["outreach_reached", "outreach_doses"]),
    ("alerts", ["alerts_evidence"]),
])
def test_a_manager_sees_the_events_of_the_period_on_every_time_chart(monkeypatch, fixture_db, page, keys):
    charts = _charts(_page(monkeypatch, fixture_db, page, "programme_manager", **JANUARY, grain="week"))
    for key in keys:
        drawn = _events_drawn(charts[key])
        assert drawn["calais-cold-plan"] == ["rect", "Plan grand froid"], key
        assert drawn["calais-eviction"] == ["line", "Expulsion secrète du camp · interne"], key


def test_the_chart_speaks_the_page_s_language_and_keeps_the_period(monkeypatch, fixture_db):
    charts = _charts(_page(monkeypatch, fixture_db, "consultations", "programme_manager", lang="en",
                           period="custom", **{"from": "2024-01-10", "to": "2024-01-31"}))
    drawn = _events_drawn(charts["consultations_trend"])
    assert drawn["paris-team"] == ["line", "Mobile team reinforced"]
    assert "law-2023" not in drawn                                   # 19 December: outside the period
    [band] = [s for s in charts["consultations_trend"]["layout"]["shapes"] if s.get("name") == "event:calais-cold-plan"]
    assert band["x0"] >= charts["consultations_trend"]["layout"]["xaxis"]["range"][0]   # cut to the axis


def test_an_internal_event_never_reaches_a_donor(monkeypatch, fixture_db):
    """The done-when: a donor's pages, a public brief and a donor's download carry the public
    events of the period, never an internal one."""
    for page in ("overview", "occupancy", "consultations", "winter", "map"):
        at = _page(monkeypatch, fixture_db, page, "donor", **JANUARY)
        specs = json.dumps(list(_charts(at).values()), ensure_ascii=False)
        assert not any(secret in specs for secret in SECRET), page
        if page == "consultations":
            assert _events_drawn(_charts(at)["consultations_trend"])["calais-cold-plan"] == ["rect", "Plan grand froid"]

    con = store.open_readonly(fixture_db)
    try:
        for audience, fmt in (("public", "docx"), ("public", "pdf"), ("internal", "docx")):
            request = briefs.Request(rule="cold_exclusion", start=D(2024, 1, 8), end=D(2024, 1, 21), city="Calais",
                                     lang="fr", audience=audience, format=fmt)
            text = " ".join(brief_pages(briefs.render(briefs.compose(con, request, alerts.load_config())), fmt))
            assert "Plan grand froid" in text
            assert ("Expulsion secrète du camp (interne)" in text) == (audience == "internal")
    finally:
        con.close()

    def download_context(role: str) -> str:
        def script():
            import datetime as dt

            import streamlit as st

            from terrain import exports, ui
            from terrain import filters as flt
            january = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31)}
            frame = ui.query("occupancy_summary_by_city", **january, cities=[])
            period = flt.Filters(**january)
            context = exports.context_text_bytes(frame, ui.export_context(frame, what="t", filters=period, headers={}))
            st.text(context.decode("utf-8-sig"))

        at = AppTest.from_function(script, default_timeout=60)
        at.session_state["terrain_user"] = {"name": "tester", "role": role, "via": "local"}
        at.run()
        assert not at.exception, at.exception
        return at.text[0].value

    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    donor, manager = download_context("donor"), download_context("programme_manager")
    heading = FR("events.heading")
    assert f"{heading}\r\ndu 8 au 21 janvier 2024 — Calais — Plan grand froid\r\n" in donor
    assert not any(secret in donor for secret in SECRET)
    assert "18 janvier 2024 — Calais — Expulsion secrète du camp (interne)" in manager


def test_the_context_of_a_download_lists_its_events_in_the_xlsx_too():
    import openpyxl
    import pandas as pd

    ctx = exports.ExportContext(title="t", period_start=D(2024, 1, 1), period_end=D(2024, 1, 31),
                                data_as_of=D(2024, 3, 31), audience="x", is_synthetic=False, lang="en",
                                events=["19 December 2023 — everywhere — Immigration law adopted"])
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(pd.DataFrame({"city": ["Calais"]}), ctx)))
    about = [row[0] for row in book.worksheets[1].iter_rows(values_only=True)]
    assert about[-2:] == [i18n.t("events.heading", "en"), "19 December 2023 — everywhere — Immigration law adopted"]


# --- older files -------------------------------------------------------------------------------

def test_a_file_without_the_table_gets_it_empty_when_upgraded(db):
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE context_events")
        assert upgrades.add_missing_tables(con, store.SCHEMA_FILE) == ["context_events"]
        assert con.execute("SELECT count(*) FROM context_events").fetchone() == (0,)
        con.execute("DROP TABLE context_events")
        con.execute("UPDATE metadata SET schema_version = $v", {"v": SCHEMA_VERSION - 1})
    with pytest.raises(store.OutdatedDatabase):
        store.open_readonly(db)
    assert main(["upgrade", "--db", str(db), "--lang", "en"]) == 0
    assert _rows(db, "SELECT count(*) FROM context_events") == [(0,)]
    con = store.open_readonly(db)
    try:
        assert queries.run(con, "events_in_period", {"start": D(2024, 1, 1), "end": D(2024, 1, 31), "cities": []},
                           role="donor").empty
    finally:
        con.close()


def test_the_winter_page_lists_the_season_s_events_as_its_reader_may_see_them(monkeypatch, fixture_db):
    manager = _page(monkeypatch, fixture_db, "winter", "programme_manager", season="2023")
    donor = _page(monkeypatch, fixture_db, "winter", "donor", season="2023")
    heading = f"**{FR('events.heading')}**"
    [listed] = [c.value for c in manager.caption if c.value.startswith(heading)]
    assert "18 janvier 2024 — Calais — Expulsion secrète du camp (interne)" in listed
    assert "19 décembre 2023 — partout — Loi immigration adoptée" in listed
    [shown] = [c.value for c in donor.caption if c.value.startswith(heading)]
    assert "Loi immigration adoptée" in shown and not any(secret in shown for secret in SECRET)


def test_the_figure_cache_keys_on_the_events():
    import pandas as pd

    from terrain.charts import consultations as charts

    frame = pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-02-01"]), "activity": ["medical"] * 2,
                          "consultations": [20, 30]})
    law = pd.DataFrame({"event_id": ["law"], "starts": pd.to_datetime(["2024-01-15"]), "ends": [pd.NaT],
                        "city": [None], "kind": ["law"], "label_fr": ["Une loi"], "label_en": ["A law"],
                        "audience": ["public"]})
    without = charts.activity_over_time(frame, lang="fr", grain="month", k=0, events=law.iloc[0:0])
    with_law = charts.activity_over_time(frame, lang="fr", grain="month", k=0, events=law)
    assert with_law is not without
    assert [a.text for a in with_law.layout.annotations if a.name == "event:law"] == ["Une loi"]
    assert not [a for a in without.layout.annotations if a.name == "event:law"]
    assert charts.activity_over_time(frame, lang="fr", grain="month", k=0, events=law) is with_law


@pytest.mark.parametrize("audience", ["donor", "public"])
def test_an_open_data_pack_carries_the_public_events_of_its_months(fixture_db, tmp_path, audience):
    assert main(["publish", "--audience", audience, "--db", str(fixture_db), "--out", str(tmp_path / "pack")]) == 0
    meta = json.loads((tmp_path / "pack" / "metadata.json").read_text(encoding="utf-8"))
    assert [e["label_en"] for e in meta["context_events"]] == [
        "Immigration law adopted", "Severe cold plan", "Mobile team reinforced"]
    assert meta["context_events"][1] == {"starts": "2024-01-08", "ends": "2024-01-21", "city": "Calais",
                                         "kind": "winter_plan", "label_fr": "Plan grand froid",
                                         "label_en": "Severe cold plan"}
    assert not any(secret in json.dumps(meta, ensure_ascii=False) for secret in SECRET)

"""The door's time limit (terrain/queries/limit.py): a call past it is interrupted and says so,
its connection stays usable, and a call that has ended never interrupts a later one."""

import math
import threading
import time

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from terrain import queries
from terrain.queries import catalogue, limit
from tests.apptest import run_page

# A scan of a trillion numbers: hours of work, so only an interrupt ends it within a minute.
ENDLESS = "SELECT count(*) AS n FROM range(1000000000000) t(i) WHERE i % 7 = 3"
CITIES = ["Calais", "Marseille", "Pantin", "Paris"]   # tests/fixture_data.py


def scan(n: int) -> str:
    # a query of some tenths of a second for n = 10**8, whose answer is known
    return f"SELECT count(*) AS n FROM range({n}) t(i) WHERE i % 7 = 3"


def threes(n: int) -> int:
    return len(range(3, n, 7))


# --- the setting ----------------------------------------------------------------------------

@given(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_a_number_of_seconds_is_the_limit_and_zero_is_none(seconds):
    assert limit.seconds_from(repr(seconds)) == (seconds or None)
    assert limit.seconds_from(f"  {seconds}\n") == (seconds or None)


@given(st.text().filter(lambda text: not _is_seconds(text)))
def test_anything_else_is_refused_in_one_line_naming_the_setting(text):
    with pytest.raises(queries.QueryError, match=limit.VARIABLE) as refused:
        limit.seconds_from(text)
    assert "\n" not in str(refused.value).replace(repr(text), "")


def _is_seconds(text: str) -> bool:
    if not text.strip():
        return True   # unset: the default
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and value >= 0


@pytest.mark.parametrize("text, expected", [
    (None, 30.0), ("", 30.0), ("  ", 30.0), ("30", 30.0), ("2.5", 2.5), ("0", None), ("0.0", None),
])
def test_the_setting_reads_as_expected(text, expected):
    assert limit.seconds_from(text) == expected


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "-inf", "30s", "trente"])
def test_a_setting_that_is_not_a_duration_is_refused(text):
    with pytest.raises(queries.QueryError, match="TERRAIN_QUERY_SECONDS must be a number of seconds"):
        limit.seconds_from(text)


def test_the_configured_limit_is_read_at_each_call(monkeypatch):
    monkeypatch.delenv(limit.VARIABLE, raising=False)
    assert queries.configured_seconds() == 30.0
    monkeypatch.setenv(limit.VARIABLE, "0.5")
    assert queries.configured_seconds() == 0.5


# --- a call past its limit --------------------------------------------------------------------

def test_a_statement_past_the_limit_is_interrupted_and_the_connection_still_answers(fixture_con):
    started = time.monotonic()
    with pytest.raises(queries.QueryTimeout) as stopped, limit.TimeLimit(fixture_con, 0.2, "endless") as db:
        db.rows(ENDLESS, {})
    assert time.monotonic() - started < 60   # interrupted, not finished
    assert stopped.value.name == "endless" and stopped.value.seconds == 0.2
    assert isinstance(stopped.value, queries.QueryError)
    # the same connection, at once: right rows
    assert fixture_con.execute("SELECT DISTINCT city FROM sites ORDER BY city").df()["city"].tolist() == CITIES
    with limit.TimeLimit(fixture_con, 30, "scan") as db:
        assert db.rows(scan(10**6), {})["n"].iloc[0] == threes(10**6)


def test_a_one_row_read_is_interrupted_too_and_reads_its_row_whole(fixture_con):
    with pytest.raises(queries.QueryTimeout), limit.TimeLimit(fixture_con, 0.2, "endless") as db:
        db.row(ENDLESS, {})
    with limit.TimeLimit(fixture_con, 30, "one") as db:
        assert db.row(scan(10**5), {}) == (threes(10**5),)
        assert db.row("SELECT city FROM sites WHERE city = $city", {"city": "Nowhere"}) is None
        # a statement of several rows gives its first, and leaves the connection free
        assert db.row("SELECT DISTINCT city FROM sites ORDER BY city", {}) == (CITIES[0],)
        assert db.rows("SELECT DISTINCT city FROM sites ORDER BY city", {})["city"].tolist() == CITIES


@pytest.fixture
def endless_query(tmp_path, monkeypatch):
    """The catalogue with one more query, `endless_count`, that only an interrupt ends."""
    for path in catalogue.QUERIES_DIR.glob("*.sql"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "endless_count.sql").write_text(
        "-- name: endless_count\n-- params:\n-- level: programme\n-- grain: none\n" + ENDLESS + "\n")
    monkeypatch.setattr(catalogue, "QUERIES_DIR", tmp_path)
    yield "endless_count"
    catalogue.load.cache_clear()


@pytest.mark.parametrize("role", ["programme_manager", "advocacy", "donor"])
def test_the_door_interrupts_a_call_past_the_limit_then_runs_the_next_one(fixture_con, endless_query, monkeypatch,
                                                                           role):
    monkeypatch.setenv(limit.VARIABLE, "0.3")
    started = time.monotonic()
    with pytest.raises(queries.QueryTimeout, match="'endless_count' ran past its time limit of 0.3 s"):
        queries.run(fixture_con, endless_query, {}, role=role)
    assert time.monotonic() - started < 60
    assert queries.run(fixture_con, "cities", {}, role=role)["city"].tolist() == CITIES


def test_no_limit_when_the_setting_is_zero(fixture_con, monkeypatch):
    monkeypatch.setenv(limit.VARIABLE, "0")
    with limit.TimeLimit(fixture_con, queries.configured_seconds(), "scan") as db:
        assert db._timer is None
        assert db.rows(scan(10**6), {})["n"].iloc[0] == threes(10**6)


def test_the_statements_of_one_call_share_its_deadline(fixture_con):
    # Each statement is well within the limit; together they run past it, and the call stops.
    ran = 0
    with pytest.raises(queries.QueryTimeout), limit.TimeLimit(fixture_con, 0.3, "many") as db:
        for _ in range(100_000):
            db.rows(scan(10**5), {})
            ran += 1
    assert 0 < ran < 100_000


# --- a call that has ended --------------------------------------------------------------------

def test_a_timer_firing_after_its_call_ended_never_interrupts_the_next_query(fixture_con):
    # Timer.cancel() cannot stop a callback already started: the timer of a call that has just
    # ended may still reach `expire` while the next query runs on the same connection.
    with limit.TimeLimit(fixture_con, 30, "quick") as ended:
        assert ended.rows("SELECT 1 AS one", {})["one"].iloc[0] == 1
    result: dict = {}

    def next_query():
        try:
            result["n"] = fixture_con.execute(scan(10**8)).fetchone()[0]
        except duckdb.Error as error:
            result["error"] = error

    thread = threading.Thread(target=next_query)
    thread.start()
    fired = 0
    while thread.is_alive():
        ended.expire()   # the late timer, again and again while the next query runs
        fired += 1
        thread.join(timeout=0.005)
    assert fired > 10
    assert result == {"n": threes(10**8)}
    assert not ended.expired


def test_many_calls_in_a_row_with_timers_at_their_end_interrupt_only_themselves(fixture_con):
    # Limits about as long as the statements: timers fire as calls end. A call either
    # finishes with its right answer or raises QueryTimeout; the query after it always runs.
    for attempt in range(60):
        try:
            with limit.TimeLimit(fixture_con, 0.002 + (attempt % 6) * 0.002, "racing") as db:
                assert db.rows(scan(3 * 10**5), {})["n"].iloc[0] == threes(3 * 10**5)
        except queries.QueryTimeout:
            pass
        assert fixture_con.execute(scan(10**6)).fetchone()[0] == threes(10**6)


def test_an_interrupt_stops_its_own_cursor_only(fixture_db):
    # The app gives each page a cursor of one shared connection: a call past its limit on one
    # cursor leaves the queries of the others running.
    shared = duckdb.connect(str(fixture_db), read_only=True)
    mine, other = shared.cursor(), shared.cursor()
    result: dict = {}

    def others_query():
        result["n"] = other.execute(scan(10**8)).fetchone()[0]

    thread = threading.Thread(target=others_query)
    thread.start()
    with pytest.raises(queries.QueryTimeout), limit.TimeLimit(mine, 0.05, "endless") as db:
        db.rows(ENDLESS, {})
    thread.join()
    assert result == {"n": threes(10**8)}
    shared.close()


# --- what a page shows ------------------------------------------------------------------------

def slowed(text: str) -> str:
    """A query file made endless: its header, and its rows only once the endless scan ends."""
    header = [line for line in text.splitlines() if line.startswith("--")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return "\n".join(header) + f"\nSELECT * FROM ({body}) AS answer WHERE ({ENDLESS}) > 0\n"


def _slowed_catalogue(name: str, tmp_path, monkeypatch) -> None:
    """The catalogue with one query made endless, and a limit of one second."""
    queries_dir = tmp_path / "queries"
    queries_dir.mkdir()
    for path in catalogue.QUERIES_DIR.glob("*.sql"):
        text = path.read_text(encoding="utf-8")
        (queries_dir / path.name).write_text(slowed(text) if path.stem == name else text, encoding="utf-8")
    monkeypatch.setattr(catalogue, "QUERIES_DIR", queries_dir)
    catalogue.load.cache_clear()
    monkeypatch.setenv(limit.VARIABLE, "1")


@pytest.fixture(params=["cities", "dataset_metadata"])
def slow_page(request, tmp_path, monkeypatch, fixture_db):
    """The catalogue with one query made endless: the list of cities (the first figure every
    page asks for), or the data's metadata (read by the frame of every page)."""
    import streamlit
    _slowed_catalogue(request.param, tmp_path, monkeypatch)
    streamlit.cache_data.clear()
    yield fixture_db
    catalogue.load.cache_clear()
    streamlit.cache_data.clear()


@pytest.fixture
def slow_alert_rule(tmp_path, monkeypatch, fixture_db):
    """The evidence of the shelter saturation rule (the first the alerts evaluate) made endless:
    rows the alert rules read whole, not a page's figure."""
    import streamlit

    from terrain.ui import views
    _slowed_catalogue("shelter_nights_by_site_day", tmp_path, monkeypatch)
    streamlit.cache_data.clear()
    monkeypatch.setattr(views, "_EPISODES", {})   # episodes another test made on this file are kept
    yield fixture_db
    catalogue.load.cache_clear()
    streamlit.cache_data.clear()


@pytest.mark.parametrize("lang, line", [
    ("fr", ("Le calcul de ces chiffres a dépassé la limite de 1\u00a0seconde et a été interrompu. "
            "Choisissez une période plus courte ou moins de villes, puis réessayez.")),
    ("en", ("Working out these figures took longer than the limit of 1 second and was stopped. "
            "Choose a shorter period or fewer cities, then try again.")),
])
def test_a_page_says_in_one_line_that_its_figures_took_too_long(slow_page, monkeypatch, lang, line):
    started = time.monotonic()
    at = run_page("pages/overview.py", "donor", db=slow_page, monkeypatch=monkeypatch, lang=lang)
    assert time.monotonic() - started < 60
    assert [error.value for error in at.error] == [line]
    assert not at.metric   # the page stopped there: no figure drawn after it


def test_the_alerts_page_says_in_one_line_that_its_rules_took_too_long(slow_alert_rule, monkeypatch):
    at = run_page("pages/alerts.py", "advocacy", db=slow_alert_rule, monkeypatch=monkeypatch, lang="en")
    assert not at.exception
    assert [error.value for error in at.error] == [
        "Working out these figures took longer than the limit of 1 second and was stopped. "
        "Choose a shorter period or fewer cities, then try again."]
    assert not at.dataframe   # stopped before the episodes' table


def test_a_command_past_the_limit_says_so_in_each_language_and_exits_2(slow_alert_rule, capsys):
    from terrain import cli

    status = cli.main(["alerts", "--db", str(slow_alert_rule), "--as-of", "2024-03-31"])
    out, err = capsys.readouterr()
    assert status == cli.BAD and out == ""
    assert err.splitlines() == [
        "Le calcul a dépassé la limite de 1\u00a0seconde (TERRAIN_QUERY_SECONDS) et a été interrompu ; rien n'a "
        "été écrit. Relancez avec une période plus courte ou une limite plus longue.",
        "The work took longer than the limit of 1 second (TERRAIN_QUERY_SECONDS) and was stopped; nothing was "
        "written. Run it again with a shorter period or a longer limit."]

"""The benchmark harness on small databases: what it records, what it compares, what it writes.
Never timings: they belong to the benchmark run, not to the tests."""

import datetime as dt
import json
import re
import shutil

import pytest

from terrain import ROOT, queries, store
from terrain.cli import bench as bench_cli
from terrain.perf import bench
from tests import fixture_data

OVERVIEW_SOURCE = (ROOT / "pages" / "overview.py").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bench_demo(bench_folder):
    """The benchmark's own database (tests/conftest.py, read only)."""
    [path] = bench_folder.glob("*.duckdb")
    return path


def test_recorded_calls_are_the_queries_the_page_runs(fixture_db):
    views = bench.record_views(fixture_db, ["overview"], view_params={"default": {}})

    assert [(v.page, v.role, v.view, v.error) for v in views] == [
        ("overview", role, "default", "") for role in ("programme_manager", "advocacy", "donor")]
    in_source = set(re.findall(r'ui\.query\("([a-z_]+)"', OVERVIEW_SOURCE))
    for view in views:
        # The page's frame reads the metadata first, then come the page's own ui.query calls.
        assert view.calls[0] == bench.Call("dataset_metadata", {}, "programme_manager")
        # (and the events of the period, which a table's downloads carry: terrain/ui/tables.py)
        # (the months waiting for approval are read for managers only: pages/overview.py)
        expected = in_source if view.role == "programme_manager" else in_source - {"month_approvals_by_city"}
        assert {c.name for c in view.calls[1:]} == expected | {"events_in_period"}
        assert {c.role for c in view.calls[1:]} == {view.role}
    manager = views[0]
    # The default period is the last three months of the data (fixture data as of 31 March
    # 2024), compared with the three months before: each period's consultations once.
    periods = [(c.params["start"], c.params["end"]) for c in manager.calls
               if c.name == "consultations_by_city_activity"]
    assert periods == [(dt.date(2024, 1, 1), dt.date(2024, 3, 31)), (dt.date(2023, 10, 2), dt.date(2023, 12, 31))]


def test_filtered_view_runs_the_page_with_its_url_parameters(fixture_db):
    views = bench.record_views(fixture_db, ["overview"], view_params={
        "filtered": {"period": "custom", "from": "2024-01-01", "to": "2024-01-31", "city": "Calais"}})

    manager = next(v for v in views if v.role == "programme_manager")
    calls = [c.params for c in manager.calls if c.name == "consultations_by_city_activity"]
    assert calls == [
        {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31), "cities": ["Calais"]},
        {"start": dt.date(2023, 12, 1), "end": dt.date(2023, 12, 31), "cities": ["Calais"]}]


def test_pandas_alternative_answers_as_the_door_does_on_hand_counted_data(fixture_db):
    frame = bench.load_consultations_frame(fixture_db)
    # The first of the questions is the default view's (the last three months).
    question = next(q for q in bench.questions(as_of=fixture_data.AS_OF) if q.query == "consultations_by_city_activity")

    by_city = bench.pandas_answer(frame, question)

    # 1 January – 31 March 2024 in tests/fixture_data.py (the December groups are outside).
    assert {(r.city, r.activity): r.consultations for r in by_city.itertuples()} == {
        ("Calais", "medical"): 30, ("Calais", "mental_health"): 12, ("Calais", "social"): 3,
        ("Pantin", "medical"): 8, ("Marseille", "medical"): 15}


def test_pandas_alternative_gives_the_door_s_answer_to_every_question(bench_demo):
    frame = bench.load_consultations_frame(bench_demo)
    con = store.open_readonly(bench_demo)
    try:
        asked = bench.questions()
        assert len(asked) == 18  # nine questions, in the default and the filtered view
        for question in asked:
            expected = queries.run(con, question.query, question.params, role="programme_manager")
            assert expected["consultations"].sum() > 0, question
            assert bench.same_answer(expected, bench.pandas_answer(frame, question), question.keys), question
    finally:
        con.close()


def test_same_answer_notices_a_different_count(bench_demo):
    frame = bench.load_consultations_frame(bench_demo)
    question = bench.questions()[0]
    answer = bench.pandas_answer(frame, question)
    changed = answer.copy()
    changed.loc[0, "consultations"] += 1

    assert bench.same_answer(answer, answer, question.keys)
    assert not bench.same_answer(answer, changed, question.keys)


def test_a_failing_query_is_reported_and_the_others_are_timed(fixture_db):
    calls = [bench.Call("cities", {}, "programme_manager"), bench.Call("no_such_query", {}, "programme_manager")]

    samples, errors = bench.time_calls(fixture_db, calls, repeat=3)

    assert [len(s) for s in samples] == [3, 0]
    assert list(errors) == [1] and errors[1].startswith("no_such_query: QueryError")


def test_command_writes_the_issue_s_json_and_reuses_its_database(bench_folder, bench_consultations, tmp_path,
                                                                 capsys):
    # the folder as `bench --consultations N` left it (built once for the run: conftest.py)
    data = shutil.copytree(bench_folder, tmp_path / "data")
    out = tmp_path / "bench.json"
    argv = ["--consultations", str(bench_consultations), "--data-dir", str(data), "--json", str(out), "--repeat", "1",
            "--pages", "overview"]

    assert bench_cli.command(argv) == 0

    figures = json.loads(out.read_text())
    assert list(figures) == ["sizes"]
    [size] = figures["sizes"]
    assert list(size) == ["consultations", "peak_rss_mib", "pandas_ratio", "published_sets_s", "pages"]
    assert size["consultations"] == bench_consultations
    assert size["peak_rss_mib"] > 0 and size["pandas_ratio"] > 0 and size["published_sets_s"] > 0
    assert [list(page) for page in size["pages"]] == [
        ["page", "p50_ms", "p95_ms", "max_ms", "first_after_restart_ms", "render_cpu_p50_ms", "render_cpu_p95_ms"]]
    page = size["pages"][0]
    assert page["page"] == "overview"
    assert 0 < page["p50_ms"] <= page["p95_ms"] <= page["max_ms"]
    assert 0 < page["render_cpu_p50_ms"] <= page["render_cpu_p95_ms"]
    assert page["first_after_restart_ms"] > 0
    printed = capsys.readouterr().out
    assert f"{bench_consultations:,} consultations" in printed and "reused" in printed and "built now" not in printed
    assert "published sets of every audience built in" in printed
    assert "published sets rebuilt with every block kept (an import that changes no month) in" in printed
    assert "render CPU per rerun p95 ≤ 150 ms" in printed
    assert "disagree" not in printed

    databases = sorted(data.glob("*.duckdb"))
    assert [p.name.split("-")[:3] for p in databases] == [["terrain", str(bench_consultations), "seed42"]]
    built = json.loads(databases[0].with_suffix(".build.json").read_text())
    assert built["consultations"] == bench_consultations and built["seconds"] > 0
    path, seconds, built_now = bench.database_for(bench_consultations, 42, data)
    assert (path, seconds, built_now) == (databases[0], pytest.approx(built["seconds"]), False)
    assert path == bench.database_path(bench_consultations, 42, data)


def test_bad_arguments_exit_with_status_2(capsys):
    assert bench_cli.command(["--pages", "nowhere"]) == 2
    assert bench_cli.command(["--repeat", "0"]) == 2

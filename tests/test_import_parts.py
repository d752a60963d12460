"""A file checked a part at a time reads exactly as if it were checked whole.

The importer reads a file in parts (terrain/importing/reading.py), checks each part and
stages its rows on disk, then checks what spans parts in SQL (terrain/importing/validation.py,
staging.py). Whatever the size of the parts, a file must give the same rows, the same
problems and warnings at the same rows, and load the same rows: Hypothesis draws files mixing
good rows, keys written twice (near or far apart), keys already in the database, bad cells,
rows with a cell too many and blank rows, and each is checked in parts of 1, 2, 3 and 7 rows
and in one part.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from terrain.importing import findings, loading, staging
from tests import fixture_data
from tests.examples import HUNT, examples

HEADER = "site_id;night;beds_available;beds_occupied;turned_away;turned_away_minors;turned_away_girls"
SITES = ("pantin_girls_shelter", "marseille_minors_shelter")
WHOLE = 1_000_000


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    return fixture_data.build(tmp_path_factory.mktemp("parts") / "terrain.duckdb", is_synthetic=False, approved=False)


@pytest.fixture(scope="module", autouse=True)
def audit_dir(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path_factory.mktemp("parts_audit")))
        yield


def _line(kind: str, site: str, day: int) -> str:
    night = dt.date(2024, 3, 1) + dt.timedelta(days=day)
    if kind == "present":            # the fixture holds every night of January 2024 at Pantin
        return f"pantin_girls_shelter;2024-01-{1 + day % 31:02d};10;9;0;0;0"
    if kind == "bad_number":
        return f"{site};{night};abc;9;0;0;0"
    if kind == "ragged":
        return f"{site};{night};10;9;0;0;0;extra"
    if kind == "blank":
        return ";;;;;;"
    if kind == "overflow":           # a warning, not a problem
        return f"{site};{night};10;12;0;0;0"
    if kind == "unknown_site":
        return f"nowhere;{night};10;9;0;0;0"
    return f"{site};{night};10;9;1;1;0"


rows = st.lists(st.tuples(st.sampled_from(["ok", "ok", "ok", "present", "bad_number", "ragged", "blank", "overflow",
                                           "unknown_site"]),
                          st.sampled_from(SITES), st.integers(0, 12)), min_size=0, max_size=40)


def _file(drawn) -> bytes:
    return ("\n".join([HEADER, *(_line(*row) for row in drawn)]) + "\n").encode()


def _said(report: loading.Report) -> tuple:
    """Everything a report says, in an order that does not depend on the parts."""
    def finding(f: findings.Finding) -> tuple:
        values = tuple(sorted((name, tuple(str(v) for v in values)) for name, values in f.values.items()))
        return f.severity, f.kind, f.column or "", tuple(int(r) for r in f.rows), f.count, values, f.same[3]
    return (report.outcome, report.rows, report.replaced, sorted(map(finding, report.problems)),
            sorted(map(finding, report.warnings)))


def _check(data: bytes, database: Path, parts: int, **options) -> loading.Report:
    return loading.import_file(data, "nuits.csv", "shelter_nights", db=database, dry_run=True, user="test",
                               via="test", chunk_rows=parts, today=dt.date(2024, 12, 1), **options)


@settings(max_examples=examples(30), deadline=None, derandomize=not HUNT,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=rows, replace=st.booleans())
def test_a_file_checked_in_parts_says_what_it_says_whole(database, drawn, replace):
    data = _file(drawn)
    report = _check(data, database, WHOLE, replace=replace)
    # Each line's own slip is reported at its row as the spreadsheet numbers it (header: 1),
    # whatever the lines around it.
    expected = {kind: [row for row, (drawn_kind, *_) in enumerate(drawn, start=2) if drawn_kind == slip]
                for kind, slip in (("not_integer", "bad_number"), ("wrong_cell_count", "ragged"),
                                   ("unknown_site", "unknown_site"))}
    found = {f.kind: f.rows.tolist() for f in report.problems}
    assert {kind: found.get(kind, []) for kind in expected} == expected
    assert report.rows == sum(kind != "blank" for kind, *_ in drawn) - len(expected["wrong_cell_count"])
    whole = _said(report)
    for parts in (1, 2, 3, 7):
        assert _said(_check(data, database, parts, replace=replace)) == whole, parts


def test_a_key_written_twice_in_different_parts_is_refused_at_the_later_row(database):
    data = _file([("ok", "pantin_girls_shelter", 3), *[("ok", "marseille_minors_shelter", d) for d in range(5)],
                  ("blank", "", 0), ("ok", "pantin_girls_shelter", 3)])
    report = _check(data, database, 2)
    [twice] = [f for f in report.problems if f.kind == "duplicate_in_file"]
    assert twice.rows.tolist() == [9] and twice.values["first"].tolist() == [2]
    assert report.rows == 7      # the blank row is not a row of data


def test_rows_load_the_same_whatever_the_parts(database, tmp_path):
    data = _file([("ok", site, day) for day in range(9) for site in SITES])
    loaded = []
    for parts in (1, 4, WHOLE):
        db = tmp_path / f"parts-{parts}.duckdb"
        shutil.copy2(database, db)
        report = loading.import_file(data, "nuits.csv", "shelter_nights", db=db, user="test", via="test",
                                     chunk_rows=parts, today=dt.date(2024, 12, 1))
        assert report.outcome == "loaded", loading.problem_lines(report, "en")
        con = duckdb.connect(str(db), read_only=True)
        loaded.append(con.execute("SELECT * FROM shelter_nights ORDER BY site_id, night").fetchall())
        con.close()
    assert loaded[0] == loaded[1] == loaded[2]
    assert len(loaded[0]) == 14 + 31 + 29 + 18


def test_a_workbook_is_read_in_parts_with_its_own_row_numbers(database, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    # A sheet whose table starts in column B, with a blank row: rows and columns are still the
    # spreadsheet's (the empty column A is an unnamed column with nothing in it).
    lines = [HEADER, *(_line("ok", "marseille_minors_shelter", d) for d in range(4)), "",
             _line("bad_number", "marseille_minors_shelter", 4)]
    for offset, line in enumerate(lines):
        for column, cell in enumerate(line.split(";") if line else []):
            sheet.cell(row=1 + offset, column=2 + column, value=cell)
    buffer = io.BytesIO()
    book.save(buffer)
    for parts in (1, 2, WHOLE):
        report = _check(buffer.getvalue(), database, parts)
        [bad] = report.problems
        assert (bad.kind, bad.column, bad.rows.tolist(), report.rows) == ("not_integer", "beds_available", [7], 5)


def test_past_a_hundred_thousand_rows_a_problem_keeps_its_count_and_says_the_rest(database):
    many = findings.MAX_KEPT_ROWS + 5
    data = ("city;day;tmin_c;tmax_c;vigilance\n" + "Calais;2001-01-01;1;5;purple\n" * many).encode()
    report = loading.import_file(data, "meteo.csv", "weather_daily", db=database, dry_run=True, user="test",
                                 via="test", chunk_rows=30_000)
    by_kind = {f.kind: f for f in report.problems}
    purple, twice = by_kind["not_category"], by_kind["duplicate_in_file"]
    assert (purple.count, len(purple.rows), purple.rows[-1]) == (many, findings.MAX_KEPT_ROWS,
                                                                 findings.MAX_KEPT_ROWS + 1)
    assert (twice.count, len(twice.rows), twice.rows[0]) == (many - 1, findings.MAX_KEPT_ROWS, 3)
    listed = loading.problems_csv(report, "en").decode("utf-8-sig").splitlines()
    assert any(line.endswith(f"… and 5 more rows with the same problem, past row {findings.MAX_KEPT_ROWS + 1} "
                             f"(the first {findings.MAX_KEPT_ROWS} are listed).") for line in listed[-2:])
    assert any(line.endswith(f"… and 4 more rows with the same problem, past row {findings.MAX_KEPT_ROWS + 2} "
                             f"(the first {findings.MAX_KEPT_ROWS} are listed).") for line in listed[-2:])


def test_an_import_removes_the_rows_a_dead_import_staged_and_no_others(database, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)      # read TMPDIR again
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"{staging.PREFIX}{int(gone.stdout)}-left"
    alive = tmp_path / f"{staging.PREFIX}{os.getppid()}-working"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "rows.duckdb").write_bytes(b"staged")
    report = _check(_file([("ok", "pantin_girls_shelter", 1)]), database, WHOLE)
    assert report.outcome == "checked"
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name]


def test_a_line_longer_than_a_block_is_refused_by_its_number(database):
    data = (HEADER + "\n" + _line("ok", SITES[0], 1) + "\n" + "x" * 600_000 + "\n").encode()
    report = _check(data, database, WHOLE)
    [too_long] = report.problems
    assert too_long.kind == "line_too_long" and too_long.params["row"] == 3
    assert np.array_equal(too_long.rows, np.empty(0, dtype=np.int64))

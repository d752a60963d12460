import datetime as dt
import fcntl
import functools
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from tests import fixture_data

# No time limit on one example: on two busy cores a 0.1 ms example can take 300 ms once, and
# Hypothesis' default deadline (200 ms) then fails a test that is right. What a property test
# checks is the property; how many examples it draws stays set by each test.
settings.register_profile("terrain", deadline=None)
settings.load_profile("terrain")


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory):
    """The hand-built database of tests/fixture_data.py (read-only: do not write to it)."""
    return fixture_data.build(tmp_path_factory.mktemp("fixture") / "fixture.duckdb")


@pytest.fixture(scope="session")
def _fixture_instance(fixture_db):
    """A connection to the fixture held open for the run: while one is open, DuckDB keeps the
    file's instance for the process, and each test's `fixture_con` is a new connection to it
    (its own variables, macros and USE) in half a millisecond, not 30 ms of a new instance.
    What is the instance's, not a connection's (a global SET, an ATTACH), would outlast the
    test that did it: no test does, and none may open the fixture otherwise than read-only."""
    import duckdb
    con = duckdb.connect(str(fixture_db), read_only=True)
    yield con
    con.close()


@pytest.fixture
def fixture_con(fixture_db, _fixture_instance):
    import duckdb
    con = duckdb.connect(str(fixture_db), read_only=True)
    yield con
    con.close()


def built_once(tmp_path_factory, name: str, build) -> Path:
    """`build(path)` run once for the whole run, however many pytest-xdist workers ask: the
    first builds the file under a lock, the others wait for it and get the same path. The
    file is shared: read it, or copy it to write."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent      # the folder all the workers of this run share
    folder = root / "built-once"
    folder.mkdir(exist_ok=True)
    path = folder / name
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            build(path)
    return path


@pytest.fixture(scope="session")
def build_once(tmp_path_factory):
    """`build_once(name, build)`: the path of a file `build(path)` made once for the run."""
    return functools.partial(built_once, tmp_path_factory)


@pytest.fixture(scope="session")
def reference_demo(tmp_path_factory) -> Path:
    """The default demo for the seed and date of docs/demo-data.md and the DHIS2 example
    (seed 42, as of 30 November 2026), built once for the run (read-only: copy it to write)."""
    from terrain import demo, demo_calibration
    assert (demo_calibration.DOC_SEED, demo_calibration.DOC_AS_OF) == (42, dt.date(2026, 11, 30))
    return built_once(tmp_path_factory, "reference-demo.duckdb",
                      lambda path: demo.generate(path, seed=42, as_of=dt.date(2026, 11, 30)))


@pytest.fixture(scope="session")
def browser_demo(tmp_path_factory) -> Path:
    """The demo the real-browser and real-server tests serve, and the notifications read
    (60,000 consultations, seed 7, as of today), built once for the run (read-only: copy it
    to write)."""
    from terrain import demo
    today = dt.date.today()
    return built_once(tmp_path_factory, f"browser-demo-{today}.duckdb",
                      lambda path: demo.generate(path, consultations=60_000, seed=7, as_of=today))


@pytest.fixture(scope="session")
def browser_server(browser_demo, tmp_path_factory):
    """The real app on a copy of `browser_demo`, one server per worker for the browser files
    that only read (accessibility, charts): each of them signs in anew in its own browser
    context, and none writes."""
    from tests import browser
    path = shutil.copy2(browser_demo, tmp_path_factory.mktemp("browser-server") / "demo.duckdb")
    with browser.streamlit_server(path, tmp_path_factory.mktemp("browser-server-run")) as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, headless, one per test file that drives it."""
    from playwright.sync_api import sync_playwright

    from tests import browser
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def approvals_demo(tmp_path_factory) -> Path:
    """The small demo of the approval tests (2,000 consultations, seed 5, January to March
    2024: January and February approved, March waiting), built once for the run (read-only:
    copy it to write)."""
    from terrain import demo
    return built_once(tmp_path_factory, "approvals-demo.duckdb",
                      lambda path: demo.generate(path, seed=5, as_of=dt.date(2024, 3, 31), consultations=2_000,
                                                 start=dt.date(2024, 1, 1)))


# The benchmark's database in the tests. Denser is faster here, not slower: a sparse demo's
# many small counts give the suppression more to protect (3,000 consultations took 16 s to
# build and 16 s more for the command to time the published sets; 60,000 take 10 s and 8 s).
BENCH_CONSULTATIONS = 60_000


@pytest.fixture(scope="session")
def bench_consultations() -> int:
    return BENCH_CONSULTATIONS


@pytest.fixture(scope="session")
def bench_folder(tmp_path_factory) -> Path:
    """The benchmark's folder with its database of BENCH_CONSULTATIONS consultations (seed 42),
    as `bench --consultations 60000` builds it (terrain/perf/bench.py), built once for the run:
    both benchmark test files run the command on it. Read-only: copy the folder to use it."""
    from terrain.perf import bench

    def build(folder: Path) -> None:
        partial = folder.with_name(f"{folder.name}.partial")   # a failed build leaves no folder
        shutil.rmtree(partial, ignore_errors=True)
        bench.database_for(BENCH_CONSULTATIONS, 42, partial)
        partial.rename(folder)
    return built_once(tmp_path_factory, f"bench-{BENCH_CONSULTATIONS}-seed42", build)


# --- how pytest-xdist shares the files out (`make test`: -n 2 --dist loadfile) ------------------

# Files of the longest work (measured with --durations), started first so that no worker is
# left alone with one of them at the end; the other files keep their collection order.
LONGEST_FIRST = ("test_browser_pages.py", "test_crash_safety.py", "test_differencing.py", "test_browser.py",
                 "test_import_fuzz.py", "test_import_parts.py", "test_bench.py", "test_bench_browser.py",
                 "test_serve.py", "test_deploy.py", "test_demo.py", "test_briefs.py",
                 "test_notify.py", "test_charts.py", "test_publication.py")


def pytest_collection_modifyitems(config, items):
    """Longest files first; each file's tests stay in their order and together (`--dist
    loadfile` keeps a file on one worker, and `--no-loadscope-reorder` keeps this order)."""
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))

"""`python -m terrain bench`: how fast each page's queries are at scale, and how much memory.

For each database size it builds (or reuses) a demo database in data/bench/, learns exactly
which queries each page runs by running the page once in-process (Streamlit's AppTest, with
every call of the query door recorded) for every role that may see it, in its
default view and in a filtered view, and then times those calls through the query door on a
read-only connection:

- warm: in a fresh worker process, each call once to warm up, then `--repeat` more times;
  a page's p50/p95/max are over every timed call of its views (the target reads "every
  page's queries p95"), and "view" is the sum of the medians of one view's calls (what one
  page load waits for when nothing is cached);
- first after restart: one new process per page, the database file dropped from the OS page
  cache (posix_fadvise), then connect and run the page's default view once, timed whole;
- the pandas alternative: a Streamlit-style app that reads the consultations table into a
  DataFrame (categoricals, in Arrow batches) and answers the same consultation questions
  with boolean masks and groupby. Its answers are checked against the door's; the ratio is
  pandas' total warm time over Terrain's for those questions (its loading time is printed
  apart: the app pays it at every restart, not on every question).

Workers are separate processes so that each peak memory (VmHWM) is its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from terrain import ROOT, roles

DEFAULT_SIZES = (1_000_000, 10_000_000)
BENCH_DIR = ROOT / "data" / "bench"
PAGES_DIR = ROOT / "pages"
# A fixed "data as of" date, so that runs on different days time the same periods.
AS_OF = dt.date(2026, 10, 31)
FILTERED_VIEW = {"period": "year", "year": str(AS_OF.year - 1), "city": "Calais", "grain": "week",
                 "activity": "medical"}
# Memory the pandas alternative needs per consultation row while loading (measured: ~17 bytes
# per row once loaded, about twice that while Arrow batches are converted).
PANDAS_BYTES_PER_ROW = 40
MIB = 1024 * 1024

TARGETS = {  # consultations -> warm p95 (ms) every page's queries must meet
    10_000_000: 100.0,
    100_000_000: 300.0,
}
FIRST_PAGE_TARGET_MS = 1000.0
RENDER_CPU_TARGET_MS = 150.0
RERUNS = 3   # reruns of each view once its queries are cached, for the render CPU
PANDAS_RATIO_TARGET = 10.0
APP_MEMORY_TARGET_MIB = 500.0
BUILD_TARGET_S = 600.0


@dataclass(frozen=True)
class Call:
    """One call of the query door as the page made it."""

    name: str
    params: dict
    role: str
    audience: str = "internal"


@dataclass(frozen=True)
class View:
    page: str
    role: str
    view: str  # "default" or "filtered"
    calls: tuple[Call, ...]
    error: str = ""
    render_cpu_ms: tuple[float, ...] = ()   # CPU of each rerun once the queries are cached


@dataclass
class PageFigures:
    page: str
    calls: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    view_ms: float
    first_after_restart_ms: float | None
    slowest: str
    render_cpu_p50_ms: float | None = None
    render_cpu_p95_ms: float | None = None


@dataclass
class SizeFigures:
    consultations: int
    database: Path
    database_mib: float
    build_s: float | None
    built_now: bool
    peak_rss_mib: float
    pages: list[PageFigures]
    pandas: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    published_s: float | None = None   # building every audience's published set, once
    published_kept_s: float | None = None   # the same again, every block kept (an import's least)

    @property
    def pandas_ratio(self) -> float | None:
        return self.pandas.get("ratio")


# --- databases -------------------------------------------------------------------------------

def _fingerprint(*paths: Path) -> str:
    """Changes when any of the files changes, so a database built by older code is rebuilt."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def database_path(consultations: int, seed: int, directory: Path = BENCH_DIR) -> Path:
    code = _fingerprint(ROOT / "terrain" / "demo.py", ROOT / "terrain" / "schema.sql",
                        ROOT / "terrain" / "summaries.sql", ROOT / "terrain" / "disclosure" / "publication.py",
                        ROOT / "terrain" / "disclosure" / "attack.py",
                        ROOT / "terrain" / "disclosure" / "published_tables.sql",
                        ROOT / "terrain" / "disclosure" / "grid_cells_from_rows.sql")
    return Path(directory) / f"terrain-{consultations}-seed{seed}-{AS_OF.isoformat()}-{code}.duckdb"


def database_for(consultations: int, seed: int, directory: Path = BENCH_DIR) -> tuple[Path, float, bool]:
    """The benchmark database of that size and seed: (path, build seconds, built now).

    Built once (with the generator's progress bar) and reused; the build time, which
    includes the summary tables, is kept beside it so that a reused database still reports
    how long it took to build."""
    from terrain import demo

    path = database_path(consultations, seed, directory)
    build_record = path.with_suffix(".build.json")
    if path.exists() and build_record.exists():
        return path, float(json.loads(build_record.read_text())["seconds"]), False
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"Building {path.name} ({consultations:,} consultations, seed {seed})...", file=sys.stderr)
    started = time.perf_counter()
    demo.generate(path, consultations=consultations, seed=seed, as_of=AS_OF, progress=True)
    seconds = time.perf_counter() - started
    build_record.write_text(json.dumps({"seconds": seconds, "consultations": consultations, "seed": seed}))
    return path, seconds, True


# --- which queries each page runs ------------------------------------------------------------

def available_pages() -> list[str]:
    return [page for page in roles.PAGES if (PAGES_DIR / f"{page}.py").exists()]


def _quiet_streamlit() -> None:
    """AppTest outside a server logs a warning per run that means nothing here."""
    from streamlit import logger

    warnings.filterwarnings("ignore")
    logger.set_log_level(logging.CRITICAL)


def record_views(db: Path, pages: Sequence[str] | None = None, *,
                 view_params: dict[str, dict[str, str]] | None = None,
                 timeout: float = 600) -> list[View]:
    """Run each page once per role and view with AppTest, and keep the calls it made.

    The calls are recorded at the door itself (its hook, `queries.observe()`), with
    Streamlit's data cache emptied before each run: a page reaches the door through
    `ui.query`, but also through the frame (the dataset's metadata) and through modules it
    calls (the alert rules), which `ui.observe_queries()` does not see, and a cached result
    would hide a call."""
    _quiet_streamlit()
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from terrain import queries, ui

    view_params = {"default": {}, "filtered": FILTERED_VIEW} if view_params is None else view_params
    previous_db = os.environ.get("TERRAIN_DB")
    os.environ["TERRAIN_DB"] = str(db)
    views = []
    try:
        with queries.observe() as made:
            for page in pages or available_pages():
                for role in roles.ROLES:
                    if not roles.can_view_page(role, page):
                        continue
                    for view, params in view_params.items():
                        test = AppTest.from_file(str(PAGES_DIR / f"{page}.py"), default_timeout=timeout)
                        test.session_state[ui.USER_KEY] = {"name": "bench", "role": role, "via": "local"}
                        for key, value in params.items():
                            test.query_params[key] = value
                        st.cache_data.clear()
                        made.clear()
                        error = ""
                        _quiet_streamlit()  # AppTest reads Streamlit's configuration, log level included
                        cpu: list[float] = []
                        try:
                            test.run()
                            if test.exception:
                                error = test.exception[0].message
                            calls = tuple(Call(*asked) for asked in made)
                            # What a rerun costs once its queries are cached (a widget touched, a
                            # page come back to): the page's own Python, its charts and tables,
                            # plus AppTest's reading of what the page sent, on this thread.
                            for _ in range(RERUNS if not error else 0):
                                started = time.process_time()
                                test.run()
                                cpu.append((time.process_time() - started) * 1000)
                        except Exception as exc:  # a page still being written must not stop the run
                            error = f"{type(exc).__name__}: {exc}"
                            calls = tuple(Call(*asked) for asked in made)
                        views.append(View(page, role, view, calls, error.strip().splitlines()[0] if error else "",
                                          tuple(cpu)))
    finally:
        st.cache_data.clear()
        if previous_db is None:
            os.environ.pop("TERRAIN_DB", None)
        else:
            os.environ["TERRAIN_DB"] = previous_db
    return views


# --- timing through the door -----------------------------------------------------------------

def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_calls(db: Path, calls: Sequence[Call], *, repeat: int,
               budget_s: float = 5.0) -> tuple[list[list[float]], dict[int, str]]:
    """Seconds of each call, `repeat` times after one warm-up run (fewer for a call that has
    used up its time budget: one slow query must not hold the whole run), and the error of
    each call that failed (queries are being written while the benchmark runs)."""
    from terrain import queries, store

    con = store.open_readonly(db)
    errors: dict[int, str] = {}
    try:
        for i, call in enumerate(calls):
            try:
                queries.run(con, call.name, call.params, role=call.role, audience=call.audience)
            except Exception as exc:
                errors[i] = f"{call.name}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        samples: list[list[float]] = [[] for _ in calls]
        for _ in range(repeat):
            for i, call in enumerate(calls):
                if i in errors or (samples[i] and sum(samples[i]) > budget_s):
                    continue
                started = time.perf_counter()
                queries.run(con, call.name, call.params, role=call.role, audience=call.audience)
                samples[i].append(time.perf_counter() - started)
        return samples, errors
    finally:
        con.close()


def evict_from_page_cache(path: Path) -> bool:
    """Drop the file's pages from the OS cache, so the next read comes from the disk."""
    if not hasattr(os, "posix_fadvise"):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return True
    finally:
        os.close(fd)


def first_run(db: Path, calls: Sequence[Call]) -> float:
    """Seconds from opening the database to the last result of `calls`, in this process."""
    from terrain import queries, store

    started = time.perf_counter()
    con = store.open_readonly(db)
    try:
        for call in calls:
            queries.run(con, call.name, call.params, role=call.role, audience=call.audience)
    finally:
        con.close()
    return time.perf_counter() - started


# --- the pandas alternative ------------------------------------------------------------------

@dataclass(frozen=True)
class Question:
    """A consultation question asked of both Terrain (a named query) and the pandas app."""

    query: str
    params: dict
    keys: tuple[str, ...]  # the columns the answer is grouped by


_SITE_FILTERS = ("cities", "sites", "activities", "age_bands", "sexes", "minors_only", "girls_only")
# The columns each answer is grouped by: the Consultations page's parts, whose queries are the
# page's own per-site ones (terrain/ui/views.py), and the Overview's per-city queries.
_CONSULTATIONS_PARTS = {
    "by_period_activity": ("period", "activity"),
    "by_place": ("site_id", "activity"),
    "age_sex": ("age_band", "sex"),
    "minor_status": ("unaccompanied_minor",),
    "diagnosis": ("diagnosis_group",),
    "visit_referral": ("visit", "referred"),
    "by_coverage": ("health_coverage",),
}
_OVERVIEW_QUESTIONS = {
    "consultations_by_city_activity": ("city", "activity"),
    "consultations_by_period_city": ("period", "city"),
}


def questions(as_of: dt.date = AS_OF) -> list[Question]:
    """The consultation questions of the Overview and Consultations pages, in their default
    view (the last three months, every city, by month) and in a filtered one (last year,
    Calais, medical consultations of minors, by week)."""
    from terrain import filters, queries
    from terrain.ui import views

    site_level = {views.CONSULTATIONS_QUERIES["site"][part]: keys for part, keys in _CONSULTATIONS_PARTS.items()}
    start, end = filters.preset_period(filters.DEFAULT_PRESET, as_of)
    year_start, year_end = filters.preset_period("year", as_of, as_of.year - 1)
    no_filter = {"sites": [], "activities": [], "age_bands": [], "sexes": [],
                 "minors_only": False, "girls_only": False}
    settings = [
        {"start": start, "end": end, "grain": "month", "cities": [], **no_filter},
        {"start": year_start, "end": year_end, "grain": "week", "cities": ["Calais"],
         **no_filter, "activities": ["medical"], "minors_only": True},
    ]
    available = set(queries.names())
    asked = []
    for setting in settings:
        for name, keys in {**_OVERVIEW_QUESTIONS, **site_level}.items():
            if name in available:
                wanted = queries.load(name).params
                asked.append(Question(name, {k: v for k, v in setting.items() if k in wanted}, keys))
    return asked


def load_consultations_frame(db: Path, batch_rows: int = 1_000_000):
    """What a Streamlit-style pandas app caches: the whole consultations table as a DataFrame
    (categoricals for the categories), with each row's city from the sites table."""
    import pandas as pd

    from terrain import store

    con = store.open_readonly(db)
    try:
        sites = con.table("sites").select("site_id", "city").df()
        site_ids = pd.CategoricalDtype(sorted(sites["site_id"]))
        parts = []
        for batch in con.table("consultations").to_arrow_reader(batch_rows):
            part = batch.to_pandas(date_as_object=False)
            part["site_id"] = part["site_id"].astype(site_ids)
            parts.append(part)
    finally:
        con.close()
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["consulted_on", "site_id"])
    del parts
    city_of_site = sites.set_index("site_id")["city"].reindex(site_ids.categories)
    cities = sorted(set(city_of_site))
    city_codes = np.array([cities.index(c) for c in city_of_site], dtype=np.int8)
    frame["city"] = pd.Categorical.from_codes(city_codes[frame["site_id"].cat.codes.to_numpy()], cities)
    return frame


def pandas_answer(frame, question: Question):
    """The question answered the way pandas dashboards do: a boolean mask, then groupby."""
    import pandas as pd

    p = question.params
    day = frame["consulted_on"]
    mask = (day >= pd.Timestamp(p["start"])) & (day <= pd.Timestamp(p["end"]))
    if p.get("cities"):
        mask &= frame["city"].isin(p["cities"])
    if p.get("sites"):
        mask &= frame["site_id"].isin(p["sites"])
    if p.get("activities"):
        mask &= frame["activity"].isin(p["activities"])
    if p.get("age_bands"):
        mask &= frame["age_band"].isin(p["age_bands"])
    if p.get("sexes"):
        mask &= frame["sex"].isin(p["sexes"])
    minor = frame["age_band"].isin(["0-14", "15-17"]) | (frame["unaccompanied_minor"] == "yes") \
        if p.get("minors_only") or p.get("girls_only") else None
    if p.get("minors_only"):
        mask &= minor
    if p.get("girls_only"):
        mask &= (frame["sex"] == "F") & minor
    rows = frame.loc[mask]
    by = []
    for key in question.keys:
        if key == "period":
            days = rows["consulted_on"]
            if p["grain"] == "week":
                by.append((days - pd.to_timedelta(days.dt.day_of_week, unit="D")).rename("period"))
            elif p["grain"] == "month":
                by.append(days.dt.to_period("M").dt.start_time.rename("period"))
            else:
                by.append(days.rename("period"))
        elif key == "referred":
            by.append(rows["referred"].map({True: "yes", False: "no"}).rename("referred"))
        else:
            by.append(rows[key])
    return rows.groupby(by, observed=True).size().rename("consultations").reset_index()


def same_answer(terrain_frame, pandas_frame, keys: Sequence[str]) -> bool:
    """Whether both answers give the same count for every group (groups of zero left out)."""
    import pandas as pd

    def text(value) -> str:
        return value.date().isoformat() if isinstance(value, pd.Timestamp) else str(value)

    def normalised(frame):
        out = {}
        for row in frame[[*keys, "consultations"]].itertuples(index=False):
            *key, count = row
            if count:
                out[tuple(text(v) for v in key)] = int(count)
        return out
    return normalised(terrain_frame) == normalised(pandas_frame)


def _median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else float("nan")


def compare_with_pandas(db: Path, asked: Sequence[Question], *, repeat: int) -> dict[str, Any]:
    """Load the frame, answer every question `repeat` times (after one warm-up), check the
    answers against the door's. Run in its own process: its peak memory is the pandas app's."""
    from terrain import queries, store

    started = time.perf_counter()
    frame = load_consultations_frame(db)
    load_s = time.perf_counter() - started
    con = store.open_readonly(db)
    mismatches, pandas_s = [], []
    try:
        for question in asked:
            answer = pandas_answer(frame, question)
            expected = queries.run(con, question.query, question.params, role="programme_manager")
            if not same_answer(expected, answer, question.keys):
                mismatches.append(question.query)
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                pandas_answer(frame, question)
                times.append(time.perf_counter() - t)
            pandas_s.append(_median(times))
    finally:
        con.close()
    return {"load_s": load_s, "question_s": pandas_s, "mismatches": mismatches,
            "frame_mib": float(frame.memory_usage(deep=True).sum()) / MIB,
            "peak_rss_mib": peak_rss_mib()}


def memory_available_mib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("inf")


# --- workers (separate processes) ------------------------------------------------------------

def _in_worker(kind: str, payload: Any, timeout: float = 3600) -> Any:
    with tempfile.TemporaryDirectory(prefix="terrain-bench-") as tmp:
        given, answered = Path(tmp) / "in.pickle", Path(tmp) / "out.pickle"
        given.write_bytes(pickle.dumps(payload))
        subprocess.run([sys.executable, "-m", "terrain.perf.bench", "--worker", kind, str(given), str(answered)],
                       cwd=ROOT, check=True, timeout=timeout)
        return pickle.loads(answered.read_bytes())


def worker(argv: Sequence[str]) -> int:
    warnings.filterwarnings("ignore")
    kind, given, answered = argv
    payload = pickle.loads(Path(given).read_bytes())
    result = _work(kind, payload)
    Path(answered).write_bytes(pickle.dumps(result))
    return 0


def _work(kind: str, payload: dict) -> dict:
    if kind == "warm":
        samples, errors = time_calls(payload["db"], payload["calls"], repeat=payload["repeat"],
                                     budget_s=payload["budget_s"])
        return {"samples": samples, "errors": errors, "peak_rss_mib": peak_rss_mib()}
    if kind == "first":
        evict_from_page_cache(payload["db"])
        return {"seconds": first_run(payload["db"], payload["calls"])}
    if kind == "pandas":
        return compare_with_pandas(payload["db"], payload["questions"], repeat=payload["repeat"])
    raise ValueError(f"unknown worker {kind!r}")


# --- one size ----------------------------------------------------------------------------------

def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def measure(db: Path, views: Sequence[View], *, repeat: int, budget_s: float, pandas: bool,
            consultations: int) -> tuple[list[PageFigures], float, dict[str, Any], list[str]]:
    """Time the recorded views (and the pandas alternative) on `db`; return the per-page
    figures, the query process's peak memory, the pandas comparison and what failed."""
    runnable = [v for v in views if not v.error]
    asked = questions()
    page_calls = [call for view in runnable for call in view.calls]
    question_calls = [Call(q.query, q.params, "programme_manager") for q in asked]
    warm = _in_worker("warm", {"db": db, "calls": page_calls + question_calls, "repeat": repeat,
                               "budget_s": budget_s})
    failed = warm["errors"]
    errors = sorted({f"query failed, not timed: {message}" for message in failed.values()})

    figures = []
    per_view: dict[str, list[tuple[View, list[list[float]]]]] = {}
    position = 0
    for view in runnable:
        per_view.setdefault(view.page, []).append((view, warm["samples"][position:position + len(view.calls)]))
        position += len(view.calls)
    for page, page_views in per_view.items():
        timed = [(view, call, samples) for view, per_call in page_views
                 for call, samples in zip(view.calls, per_call) if samples]
        if not timed:
            continue
        every = [s for _, _, samples in timed for s in samples]
        view, call, samples = max(timed, key=lambda t: _median(t[2]))
        slowest = f"{call.name} ({view.role}, {view.view}): {_median(samples) * 1000:,.0f} ms"
        view_ms = max(sum(_median(s) for s in per_call if s) for _, per_call in page_views) * 1000
        default = next((v for v, _ in page_views if v.view == "default"), page_views[0][0])
        broken = {message.split(":")[0] for message in failed.values()}
        first = _in_worker("first", {"db": db, "calls": [c for c in default.calls if c.name not in broken]})
        cpu = [ms for v, _ in page_views for ms in v.render_cpu_ms]
        figures.append(PageFigures(
            page=page, calls=len(timed), p50_ms=_percentile(every, 50) * 1000,
            p95_ms=_percentile(every, 95) * 1000, max_ms=max(every) * 1000, view_ms=view_ms,
            first_after_restart_ms=first["seconds"] * 1000, slowest=slowest,
            render_cpu_p50_ms=_percentile(cpu, 50) if cpu else None,
            render_cpu_p95_ms=_percentile(cpu, 95) if cpu else None))

    answerable = [(q, samples) for i, (q, samples) in enumerate(zip(asked, warm["samples"][len(page_calls):]))
                  if len(page_calls) + i not in failed]
    comparison: dict[str, Any] = {"questions": len(answerable)}
    needed_mib = consultations * PANDAS_BYTES_PER_ROW / MIB
    if not pandas:
        comparison["skipped"] = "--no-pandas"
    elif needed_mib > memory_available_mib() / 2:
        comparison["skipped"] = (f"it would need about {needed_mib:,.0f} MiB, more than half the "
                                 f"{memory_available_mib():,.0f} MiB available")
    elif answerable:
        answered = _in_worker("pandas", {"db": db, "questions": [q for q, _ in answerable], "repeat": repeat})
        terrain_s = sum(_median(samples) for _, samples in answerable)
        pandas_s = sum(answered["question_s"])
        comparison.update(answered, terrain_s=terrain_s, pandas_s=pandas_s, ratio=pandas_s / terrain_s)
    return figures, warm["peak_rss_mib"], comparison, errors


# --- report -------------------------------------------------------------------------------------

def _ms(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def table(size: SizeFigures) -> str:
    built = "built now" if size.built_now else "reused"
    lines = [f"{size.consultations:,} consultations — {size.database.name} ({size.database_mib:,.0f} MiB, "
             f"build {size.build_s:,.0f} s, {built})" if size.build_s is not None else
             f"{size.consultations:,} consultations — {size.database.name}"]
    header = (f"{'page':<14} {'calls':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'view ms':>8} {'first ms':>9} "
              f"{'cpu p50':>8} {'cpu p95':>8}  slowest query (median)")
    lines += [header, "-" * len(header)]
    for p in size.pages:
        lines.append(f"{p.page:<14} {p.calls:>5} {_ms(p.p50_ms):>8} {_ms(p.p95_ms):>8} {_ms(p.max_ms):>8} "
                     f"{_ms(p.view_ms):>8} {_ms(p.first_after_restart_ms):>9} {_ms(p.render_cpu_p50_ms):>8} "
                     f"{_ms(p.render_cpu_p95_ms):>8}  {p.slowest}")
    lines.append("cpu: the page's CPU per rerun once its queries are cached (render: its Python, charts, tables)")
    lines.append(f"peak RSS of the query process: {size.peak_rss_mib:,.0f} MiB")
    if size.published_s is not None:
        lines.append(f"published sets of every audience built in {size.published_s:,.1f} s")
    if size.published_kept_s is not None:
        lines.append(f"published sets rebuilt with every block kept (an import that changes no month) in "
                     f"{size.published_kept_s:,.1f} s")
    pandas = size.pandas
    if "skipped" in pandas:
        lines.append(f"pandas alternative: skipped ({pandas['skipped']})")
    elif "ratio" in pandas:
        lines.append(
            f"pandas alternative: {pandas['questions']} questions in {pandas['pandas_s'] * 1000:,.0f} ms "
            f"against Terrain's {pandas['terrain_s'] * 1000:,.0f} ms: ratio {pandas['ratio']:.1f}× "
            f"(plus {pandas['load_s']:.1f} s to load the frame at each restart; frame "
            f"{pandas['frame_mib']:,.0f} MiB, process peak {pandas['peak_rss_mib']:,.0f} MiB)")
        if pandas["mismatches"]:
            lines.append(f"  WARNING: pandas and Terrain disagree on {', '.join(pandas['mismatches'])}")
    lines += [f"  {e}" for e in size.errors]
    lines += check_targets(size)
    return "\n".join(lines)


def check_targets(size: SizeFigures) -> list[str]:
    out = []
    target = TARGETS.get(size.consultations)
    if target is not None and size.pages:
        worst = max(size.pages, key=lambda p: p.p95_ms)
        out.append(_verdict(worst.p95_ms <= target, f"every page's queries p95 ≤ {target:.0f} ms "
                            f"(worst: {worst.page}, {worst.p95_ms:,.0f} ms)"))
    rendered = [p for p in size.pages if p.render_cpu_p95_ms is not None]
    if rendered:
        heaviest = max(rendered, key=lambda p: p.render_cpu_p95_ms)
        out.append(_verdict(heaviest.render_cpu_p95_ms <= RENDER_CPU_TARGET_MS,
                            f"render CPU per rerun p95 ≤ {RENDER_CPU_TARGET_MS:.0f} ms "
                            f"(heaviest: {heaviest.page}, {heaviest.render_cpu_p95_ms:,.0f} ms)"))
    if size.consultations >= 100_000_000 and size.pages:
        first = max(size.pages, key=lambda p: p.first_after_restart_ms or 0)
        out.append(_verdict((first.first_after_restart_ms or 0) <= FIRST_PAGE_TARGET_MS,
                            f"first page after a restart ≤ 1 s (worst: {first.page}, "
                            f"{first.first_after_restart_ms:,.0f} ms)"))
        if size.build_s is not None:
            out.append(_verdict(size.build_s <= BUILD_TARGET_S, f"build ≤ 10 min ({size.build_s:,.0f} s)"))
        out.append(_verdict(size.peak_rss_mib <= APP_MEMORY_TARGET_MIB,
                            f"query process peak memory ≤ {APP_MEMORY_TARGET_MIB:.0f} MiB "
                            f"({size.peak_rss_mib:,.0f} MiB; the app adds Streamlit's own, see loadtest)"))
    if size.consultations == 10_000_000 and size.pandas_ratio is not None:
        out.append(_verdict(size.pandas_ratio >= PANDAS_RATIO_TARGET,
                            f"≥ {PANDAS_RATIO_TARGET:.0f}× faster than pandas ({size.pandas_ratio:.1f}×)"))
    return out


def _verdict(ok: bool, text: str) -> str:
    return f"  target {'met ' if ok else 'MISSED'}: {text}"


def as_json(sizes: Sequence[SizeFigures]) -> dict:
    """The issue's JSON shape, exactly."""
    def number(value):
        return None if value is None or value != value else round(float(value), 2)
    return {"sizes": [{
        "consultations": size.consultations,
        "peak_rss_mib": number(size.peak_rss_mib),
        "pandas_ratio": number(size.pandas_ratio),
        "published_sets_s": number(size.published_s),
        "pages": [{"page": p.page, "p50_ms": number(p.p50_ms), "p95_ms": number(p.p95_ms),
                   "max_ms": number(p.max_ms), "first_after_restart_ms": number(p.first_after_restart_ms),
                   "render_cpu_p50_ms": number(p.render_cpu_p50_ms), "render_cpu_p95_ms": number(p.render_cpu_p95_ms)}
                  for p in size.pages],
    } for size in sizes]}


# --- command -----------------------------------------------------------------------------------

def bench_size(consultations: int, *, seed: int, directory: Path, pages: Sequence[str] | None,
               repeat: int, budget_s: float, pandas: bool) -> SizeFigures:
    db, build_s, built_now = database_for(consultations, seed, directory)
    published_s, published_kept_s = time_published_sets(db)
    print(f"Recording the queries of each page on {db.name}...", file=sys.stderr)
    views = record_views(db, pages)
    errors = [f"{v.page} ({v.role}, {v.view}) not timed: the page failed: {v.error}" for v in views if v.error]
    print(f"Timing {sum(len(v.calls) for v in views if not v.error)} calls of {len(views)} views...", file=sys.stderr)
    figures, peak, comparison, failed = measure(db, views, repeat=repeat, budget_s=budget_s, pandas=pandas,
                                                consultations=consultations)
    return SizeFigures(consultations, db, db.stat().st_size / MIB, build_s, built_now, peak, figures,
                       comparison, errors + failed, published_s, published_kept_s)


def time_published_sets(db: Path) -> tuple[float, float]:
    """Seconds to build every audience's published set on the benchmark database, as every
    writer of a new file does before it swaps it in (rebuilt in place: the same cells again,
    every block solved anew); then to build them again with every block kept, the least an
    import pays (one that changes a month solves that month's blocks on top)."""
    import duckdb

    from terrain.disclosure import publication

    con = duckdb.connect(str(db))
    try:
        # every block solved anew, as in a new file (an import reuses the months it leaves alone)
        con.execute("DELETE FROM published_grid_blocks")
        started = time.perf_counter()
        publication.build(con)
        whole = time.perf_counter() - started
        started = time.perf_counter()
        publication.build(con)
        return whole, time.perf_counter() - started
    finally:
        con.close()


if __name__ == "__main__":  # a worker, started by _in_worker
    sys.exit(worker(sys.argv[2:]))

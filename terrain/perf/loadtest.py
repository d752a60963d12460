"""`python -m terrain loadtest`: many people on the app at once.

Starts the app on localhost with a demo database (the benchmark's, data/bench/), as
`python -m terrain serve` does (N app processes behind nginx, `--processes N`, repeatable to
compare in one run), then runs `--sessions` simultaneous sessions for `--duration` seconds. Each session speaks Streamlit's
own websocket protocol (what the browser sends: a rerun request per page, with the URL's
query string and the widgets' values), signs in with a demo account (the three roles in
turn), then moves through the pages its role may see, every other visit with filters in the
URL, as fast as the app answers. Talking the protocol rather than driving 20 browsers keeps
the load on the server: a browser per session would take the two cores for itself.

It reports every error (an exception shown on a page, a script that did not finish, a lost
connection, a page slower than the timeout), the page times (request to "script finished")
and the app processes' memory (each one's VmHWM, and their resident memory together, sampled
during the run). `--json PATH` writes one entry per `--processes`. Localhost only, bounded in
sessions and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from terrain import serve
from terrain.perf import bench

ACCOUNTS = (("manager", "programme_manager"), ("advocacy", "advocacy"), ("donor", "donor"))
DEMO_PASSWORD = "terrain-demo"
FILTERED_QUERY = "&".join(f"{k}={v}" for k, v in bench.FILTERED_VIEW.items())
MAX_SESSIONS = 100
MAX_DURATION_S = 900
PAGE_TIMEOUT_S = 120
_FINISHED_EARLY_FOR_RERUN = 2
_FINISHED_WITH_COMPILE_ERROR = 1


@dataclass
class PageRun:
    session: int
    role: str
    page: str
    filtered: bool
    seconds: float
    error: str = ""


@dataclass
class Report:
    sessions: int
    duration_s: float
    runs: list[PageRun]
    sign_ins: list[float]
    memory_samples_mib: list[float]   # resident memory of all app processes together
    peak_rss_mib: float               # the largest VmHWM of one app process
    warm_up_s: float
    session_errors: list[str] = field(default_factory=list)
    processes: int = 1
    peak_all_mib: float = float("nan")  # the app processes' VmHWM added up

    def as_dict(self) -> dict:
        times = [r.seconds for r in self.runs if not r.error]
        def percentile(q: float) -> float | None:
            return round(float(np.percentile(times, q)), 3) if times else None
        return {"processes": self.processes, "sessions": self.sessions, "pages": len(times),
                "errors": len(self.errors), "page_p50_s": percentile(50), "page_p95_s": percentile(95),
                "peak_mib": round(self.peak_all_mib, 1), "peak_mib_per_process": round(self.peak_rss_mib, 1),
                "duration_s": round(self.duration_s, 1)}

    @property
    def errors(self) -> list[str]:
        return self.session_errors + [f"{r.page} ({r.role}{', filtered' if r.filtered else ''}): {r.error}"
                                      for r in self.runs if r.error]


# --- the app ---------------------------------------------------------------------------------

@contextlib.contextmanager
def running_app(db: Path, workdir: Path, processes: int = 1) -> Iterator[serve.Fleet]:
    """`processes` app processes behind nginx on a free localhost port, as `serve` starts
    them, with their own accounts file, sign-in state and audit in `workdir`."""
    env = {**os.environ, "TERRAIN_DB": str(db), "TERRAIN_USERS": str(workdir / "users.json"),
           "TERRAIN_AUTH_STATE": str(workdir / "auth-state.sqlite"), "TERRAIN_AUDIT_DIR": str(workdir / "audit")}
    with serve.running(processes, port=serve.free_port(), run_dir=workdir / "run", env=env) as fleet:
        yield fleet


def process_memory_mib(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


# --- one session, in Streamlit's protocol ----------------------------------------------------

class PageError(Exception):
    pass


@dataclass
class Answer:
    seconds: float
    elements: list = field(default_factory=list)  # (type, proto) of each element drawn
    pages: list = field(default_factory=list)     # the navigation's pages (AppPage protos)
    page_hash: str = ""


class Session:
    """One browser tab's conversation with the app."""

    def __init__(self, url: str, cookies: str | None = None):
        self.page_url = url
        self.url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = None
        self.cookies = cookies

    def _load_page(self) -> str:
        """GET the page as a browser does first, and keep the cookies it sets (behind nginx,
        the affinity cookie that pins this tab's requests to one app process)."""
        with urllib.request.urlopen(self.page_url + "/", timeout=PAGE_TIMEOUT_S) as answer:
            answer.read()
            return "; ".join(c.split(";", 1)[0] for c in answer.headers.get_all("Set-Cookie") or [])

    async def __aenter__(self) -> Session:
        import websockets

        if self.cookies is None:  # a new tab; a tab that reconnects keeps its cookies
            self.cookies = await asyncio.to_thread(self._load_page)
        headers = {"Cookie": self.cookies} if self.cookies else {}
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=PAGE_TIMEOUT_S, additional_headers=headers)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def run(self, page_hash: str = "", query: str = "", widgets=()) -> Answer:
        """Ask for one run of a page (what the browser does on navigation or input) and wait
        until the script has finished, following the reruns it asks for itself."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        message.rerun_script.query_string = query
        message.rerun_script.page_script_hash = page_hash
        message.rerun_script.widget_states.widgets.extend(widgets)
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        answer, finished = Answer(0.0), []
        async with asyncio.timeout(PAGE_TIMEOUT_S):
            while True:
                forward = ForwardMsg()
                forward.ParseFromString(await self.ws.recv())
                kind = forward.WhichOneof("type")
                if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                    element = forward.delta.new_element
                    answer.elements.append((element.WhichOneof("type"), getattr(element, element.WhichOneof("type"))))
                elif kind == "navigation":
                    answer.pages = list(forward.navigation.app_pages)
                    answer.page_hash = forward.navigation.page_script_hash
                elif kind == "script_finished":
                    finished.append(forward.script_finished)
                elif (kind == "session_status_changed" and not forward.session_status_changed.script_is_running
                      and finished and finished[-1] != _FINISHED_EARLY_FOR_RERUN):
                    break
        answer.seconds = time.perf_counter() - started
        if finished[-1] == _FINISHED_WITH_COMPILE_ERROR:
            raise PageError("the page's script did not compile")
        shown = [e.message.strip().splitlines()[0][:160] for kind, e in answer.elements if kind == "exception"]
        if shown:
            raise PageError(f"exception on the page: {shown[0]}")
        return answer

    async def sign_in(self, name: str, password: str) -> Answer:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        form = await self.run()
        widgets = []
        for kind, element in form.elements:
            if kind == "text_input" and element.id.endswith("-sign_in_name"):
                widgets.append(WidgetState(id=element.id, string_value=name))
            elif kind == "text_input" and element.id.endswith("-sign_in_password"):
                widgets.append(WidgetState(id=element.id, string_value=password))
            elif kind == "button" and "FormSubmitter:sign_in" in element.id:
                widgets.append(WidgetState(id=element.id, trigger_value=True))
        if len(widgets) != 3:
            raise PageError("no sign-in form")
        signed_in = await self.run(form.page_hash, widgets=widgets)
        if len(signed_in.pages) < 2:
            raise PageError(f"sign-in as {name} refused")
        return signed_in


async def _session(number: int, url: str, start_after: float, duration_s: float,
                   runs: list[PageRun], sign_ins: list[float], errors: list[str]) -> None:
    """Sign in, then move through the pages for `duration_s` seconds."""
    await asyncio.sleep(start_after)
    name, role = ACCOUNTS[number % len(ACCOUNTS)]
    try:
        async with Session(url) as session:
            signed_in = await session.sign_in(name, DEMO_PASSWORD)
            sign_ins.append(signed_in.seconds)
            stop_at = time.monotonic() + duration_s
            pages = signed_in.pages
            visit = number  # sessions start at different pages
            while time.monotonic() < stop_at:
                page = pages[visit % len(pages)]
                filtered = (visit // len(pages)) % 2 == 1
                started = time.perf_counter()
                try:
                    answer = await session.run(page.page_script_hash, FILTERED_QUERY if filtered else "")
                    runs.append(PageRun(number, role, page.url_pathname or "overview", filtered, answer.seconds))
                except (PageError, TimeoutError) as exc:
                    runs.append(PageRun(number, role, page.url_pathname or "overview", filtered,
                                        time.perf_counter() - started, str(exc) or type(exc).__name__))
                    if isinstance(exc, TimeoutError):
                        return  # the conversation is out of step: end this session
                visit += 1
    except Exception as exc:
        errors.append(f"session {number} ({role}): {type(exc).__name__}: {exc}")


async def _warm_up(url: str) -> float:
    """One visit of every page, as the app's first user makes it after a start: the imports
    and the database connection happen once, and are not what the load test measures."""
    started = time.perf_counter()
    async with Session(url) as session:
        signed_in = await session.sign_in(ACCOUNTS[0][0], DEMO_PASSWORD)
        for page in signed_in.pages:
            with contextlib.suppress(PageError):
                await session.run(page.page_script_hash)
    return time.perf_counter() - started


def _memory(pids: list[int]) -> tuple[float, float, float]:
    """(resident memory of all together, largest peak of one, peaks added up) in MiB."""
    readings = []
    for pid in pids:
        with contextlib.suppress(OSError):  # a process restarted between listing and reading
            readings.append(process_memory_mib(pid))
    return (sum(r[0] for r in readings), max((r[1] for r in readings), default=float("nan")),
            sum(r[1] for r in readings))


async def _load(url: str, pids: Callable[[], list[int]], sessions: int, duration_s: float,
                ramp_s: float) -> Report:
    runs: list[PageRun] = []
    sign_ins: list[float] = []
    errors: list[str] = []
    memory: list[float] = []
    warm_up_s = await _warm_up(url)
    started = time.monotonic()
    tasks = [asyncio.create_task(_session(i, url, ramp_s * i / max(sessions, 1), duration_s, runs, sign_ins, errors))
             for i in range(sessions)]
    while not all(t.done() for t in tasks):
        memory.append(_memory(pids())[0])
        await asyncio.sleep(0.5)
    await asyncio.gather(*tasks)
    _, peak_one, peak_all = _memory(pids())
    return Report(sessions, time.monotonic() - started, runs, sign_ins, memory, peak_one, warm_up_s, errors,
                  processes=len(pids()), peak_all_mib=peak_all)


def load_test(url: str, pids: Callable[[], list[int]], *, sessions: int = 20, duration_s: float = 60,
              ramp_s: float = 10) -> Report:
    """`sessions` sessions against the app at `url` (served by the processes `pids()` gives),
    for `duration_s` seconds after a ramp-up of `ramp_s` during which they sign in one after
    another."""
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise ValueError("The load test runs against localhost only.")
    if not 1 <= sessions <= MAX_SESSIONS or not 0 < duration_s <= MAX_DURATION_S:
        raise ValueError(f"Between 1 and {MAX_SESSIONS} sessions, for at most {MAX_DURATION_S} s.")
    return asyncio.run(_load(url, pids, sessions, duration_s, ramp_s))


# --- report ----------------------------------------------------------------------------------

def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def summary(report: Report, db: Path | None = None) -> str:
    times = [r.seconds for r in report.runs if not r.error]
    lines = [f"{report.processes} app process{'es' if report.processes > 1 else ''} behind nginx, "
             f"{report.sessions} sessions for {report.duration_s:.0f} s"
             + (f" on {db.name}" if db else "") + f": {len(report.runs)} pages shown, "
             f"{len(report.errors)} errors"]
    if times:
        lines.append(f"page time: p50 {_ms(np.percentile(times, 50))} ms, p95 {_ms(np.percentile(times, 95))} ms, "
                     f"max {_ms(max(times))} ms")
    lines.append(f"warm-up (one session through every page right after the start): {report.warm_up_s:.1f} s")
    if report.sign_ins:
        lines.append(f"sign-in: p50 {_ms(np.percentile(report.sign_ins, 50))} ms, max {_ms(max(report.sign_ins))} ms")
    header = f"{'page':<14} {'shown':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    lines += [header, "-" * len(header)]
    for page in dict.fromkeys(r.page for r in report.runs):
        page_times = [r.seconds for r in report.runs if r.page == page and not r.error]
        if page_times:
            lines.append(f"{page:<14} {len(page_times):>6} {_ms(np.percentile(page_times, 50)):>8} "
                         f"{_ms(np.percentile(page_times, 95)):>8} {_ms(max(page_times)):>8}")
    if report.memory_samples_mib:
        lines.append(f"app memory: peak {report.peak_rss_mib:,.0f} MiB for one process (VmHWM), "
                     f"{report.peak_all_mib:,.0f} MiB for all added up; all together resident during the run "
                     f"{min(report.memory_samples_mib):,.0f}–{max(report.memory_samples_mib):,.0f} MiB, "
                     f"at the end {report.memory_samples_mib[-1]:,.0f} MiB")
    for error in dict.fromkeys(report.errors):
        lines.append(f"  error: {error} (×{report.errors.count(error)})")
    return "\n".join(lines)

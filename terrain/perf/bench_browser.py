"""`python -m terrain bench --browser`: how fast each page feels in Chromium, for every role.

The real app (`terrain serve` with one app process behind nginx, as deployed) on a benchmark
database, driven by Debian's Chromium through Playwright at 1400 × 1000. For each role and
repetition, a new browser context signs in with the role's demo account (timed: the click on
the button to the Overview drawn), then, for each of the role's pages in menu order:

- page switch: a click on the page's sidebar link, from the page before it;
- first visit: a full load of the page's address, signed in (a reload, a link, a new tab).

Each is timed in the browser's own clock, from the click (or the start of the navigation) to
the moment the page is drawn: the script has finished (`data-test-script-state` back to
`notRunning`), the page's title is shown, no element is still loading its code, every plotly
chart has drawn its SVG and every map its canvas, and the page shows at least one of them (the
glossary and imports pages, which draw no chart, show their last element instead); and then
the end of the browser's last long task (≥ 50 ms of its main thread) before it stayed free for
half a second, since a map draws in its canvas after the canvas is there. "script"
is the same clock stopped when the script finished: what the server took (queries, the page's
Python, sending the elements); the rest is the browser drawing.

The first repetition finds Streamlit's data cache empty for the role's views, so the first
page switch to each page runs its queries; the first visit that follows, and later
repetitions, find them cached, as the second person of the morning does. Each sign-in is in a
new browser, whose cache is empty (Streamlit's and plotly's JavaScript loaded and compiled
anew); the switches and visits after it find that browser's cache full.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from terrain import auth, glossary, i18n, roles

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}
SWITCH_TARGET_MS = 1000.0
FIRST_TARGET_MS = 2000.0       # a page's first visit, and the first page after sign-in
TIMEOUT_MS = 60_000.0
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# Every document notes when the script last finished, when the user last clicked and its long
# tasks, in the page's clock (milliseconds since the epoch, to the microsecond); the click
# survives a navigation (sessionStorage).
RECORDER = """(() => {
  const now = () => performance.timeOrigin + performance.now();
  document.addEventListener('click', () => sessionStorage.setItem('terrainBenchClick', String(now())), true);
  window.terrainBenchLongTasks = [];
  new PerformanceObserver(list => {
    for (const task of list.getEntries())
      window.terrainBenchLongTasks.push([performance.timeOrigin + task.startTime,
                                         performance.timeOrigin + task.startTime + task.duration]);
  }).observe({type: 'longtask', buffered: true});
  const watch = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) { requestAnimationFrame(watch); return; }
    let state = app.getAttribute('data-test-script-state');
    new MutationObserver(() => {
      const next = app.getAttribute('data-test-script-state');
      if (next === 'notRunning' && state !== 'notRunning') window.terrainBenchIdle = now();
      state = next;
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  };
  watch();
})();"""

# True (with the page's clock) once the page is whole, or once it shows an exception.
_WHOLE = """(want) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (![...document.querySelectorAll('h1')].some(h => h.textContent.includes(want.title))) return false;
  const now = performance.timeOrigin + performance.now();
  const idle = window.terrainBenchIdle || now;
  if (document.querySelector('[data-testid="stException"]')) return {now, idle, exception: true};
  if (document.querySelector('[data-testid="stElementContainer"] [data-testid="stSkeleton"]')) return false;
  const plots = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  const maps = [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')];
  if (plots.some(c => !c.querySelector('.main-svg')) || maps.some(c => !c.querySelector('canvas'))) return false;
  if (want.charts && plots.length + maps.length === 0) return false;
  if (want.selector && !document.querySelector(want.selector)) return false;
  if (want.text && !document.body.textContent.includes(want.text)) return false;
  return {now, idle, exception: false};
}"""


# True once the browser's main thread has had no long task (≥ 50 ms) for QUIET_MS since the
# page was whole: a map's canvas is there before deck.gl draws in it, in one long task.
# The long tasks' entries may come after the first frame that follows them: a gap between two
# polls (made at each frame) is taken for a long task that ended at the second.
_QUIET = """([since, quiet]) => {
  const now = performance.timeOrigin + performance.now();
  const seen = window.terrainBenchQuiet?.since === since ? window.terrainBenchQuiet : {since, poll: now, busy: 0};
  if (now - seen.poll > 100) seen.busy = now;
  seen.poll = now;
  window.terrainBenchQuiet = seen;
  const ends = [...window.terrainBenchLongTasks.map(([, end]) => end), seen.busy].filter(end => end > since);
  const last = Math.max(since, ...ends);
  return now - last >= quiet ? last : false;
}"""
QUIET_MS = 500.0
QUIET_TIMEOUT_MS = 15_000.0


def _last_element(page: str) -> dict:
    """What shows that a page without a chart is whole: its last element."""
    if page == "glossary":
        return {"text": glossary.entries("fr")[-1].standard}
    if page == "imports":   # the uploader of its first tab, shown open
        return {"selector": '[data-testid="stFileUploaderDropzone"]'}
    if page == "approvals":   # the grid of the last twelve months
        return {"selector": '[data-testid="stDataFrame"]'}
    if page == "events":   # the list of the context events
        return {"selector": '[data-testid="stDataFrame"]'}
    return {"charts": True}


def wanted(page: str) -> dict:
    return {"title": i18n.t(f"{page}.title", "fr"), **_last_element(page)}


def _percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


@dataclass
class PageTimes:
    role: str
    page: str
    first_ms: list[float] = field(default_factory=list)
    switch_ms: list[float] = field(default_factory=list)
    first_script_ms: list[float] = field(default_factory=list)
    switch_script_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        def number(values, q):
            value = _percentile(values, q)
            return None if value is None else round(value, 1)
        return {"role": self.role, "page": self.page,
                "first_p50_ms": number(self.first_ms, 50), "first_p95_ms": number(self.first_ms, 95),
                "switch_p50_ms": number(self.switch_ms, 50), "switch_p95_ms": number(self.switch_ms, 95)}


@dataclass
class SignInTimes:
    role: str
    ms: list[float] = field(default_factory=list)
    script_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"role": self.role, "p50_ms": _round(_percentile(self.ms, 50)), "p95_ms": _round(_percentile(self.ms, 95))}


@dataclass
class BrowserFigures:
    consultations: int
    database: Path
    pages: list[PageTimes]
    sign_in: list[SignInTimes]

    @property
    def errors(self) -> list[str]:
        return [f"{t.role} {t.page}: {e}" for t in self.pages for e in t.errors] + \
               [f"{s.role} sign-in: {e}" for s in self.sign_in for e in s.errors]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def missing() -> str | None:
    """What this machine lacks to run the browser benchmark, in one line, or None."""
    from terrain import serve

    if not Path(CHROMIUM).exists():
        return f"Chromium is not at {CHROMIUM}: `apt-get install chromium`."
    if not Path(serve.NGINX).exists():
        return "nginx is not installed: `apt-get install nginx`."
    return None


def demo_account(role: str) -> str:
    return next(name for name, (held, _) in auth.DEMO_ACCOUNTS.items() if held == role)


@contextlib.contextmanager
def running_app(db: Path, workdir: Path) -> Iterator[str]:
    """The app as deployed (one process behind nginx) on `db`, with its own accounts, sessions
    and audit in `workdir`; yields its address."""
    from terrain import serve

    env = {**os.environ, "TERRAIN_DB": str(db), "TERRAIN_USERS": str(workdir / "users.json"),
           "TERRAIN_AUTH_STATE": str(workdir / "auth-state.sqlite"), "TERRAIN_AUDIT_DIR": str(workdir / "audit")}
    with serve.running(1, port=serve.free_port(), run_dir=workdir / "run", env=env) as fleet:
        yield fleet.url


class NotWhole(Exception):
    """The page did not become whole in time, or showed an exception."""


def wait_whole(page, want: dict, timeout_ms: float) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        seen = page.wait_for_function(_WHOLE, arg=want, polling="raf", timeout=timeout_ms).json_value()
    except PlaywrightTimeout:
        raise NotWhole(f"not whole after {timeout_ms / 1000:.0f} s") from None
    if seen["exception"]:
        raise NotWhole("the page shows an exception")
    try:
        drawn = page.wait_for_function(_QUIET, arg=[seen["now"], QUIET_MS], polling="raf",
                                       timeout=QUIET_TIMEOUT_MS).json_value()
    except PlaywrightTimeout:
        raise NotWhole(f"still busy drawing after {QUIET_TIMEOUT_MS / 1000:.0f} s") from None
    return {**seen, "now": drawn}


def _since(started: float, seen: dict) -> tuple[float, float | None]:
    """(ms, script ms) from `started` to the page whole and to the script's end; no script
    time when no run ended after `started` (the page was drawn by a run that ended before, or
    by none): an end from before would read as a negative time."""
    return seen["now"] - started, (seen["idle"] - started) if seen["idle"] >= started else None


def _since_click(page, seen: dict) -> tuple[float, float | None]:
    return _since(float(page.evaluate("() => sessionStorage.getItem('terrainBenchClick')")), seen)


def link(page: str) -> str:
    return f'[data-testid="stSidebarNav"] a[href$="/{"" if page == "overview" else page}"]'


def sign_in(page, url: str, role: str, timeout_ms: float) -> tuple[float, float | None]:
    """Sign in with the role's demo account; (ms, script ms) from the click to the Overview whole.

    The name and password are typed once the sign-in screen has loaded what it asked for (no
    request for half a second): a person takes seconds to type them, and the screen fetches
    meanwhile the code of the pages that follow (terrain/ui/session.py, _preload_chart_code)."""
    page.goto(url)
    page.get_by_label(i18n.t("common.password", "fr")).wait_for(timeout=timeout_ms)
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.wait_for_load_state("networkidle", timeout=timeout_ms)
    page.get_by_label(i18n.t("common.username", "fr")).fill(demo_account(role))
    page.get_by_label(i18n.t("common.password", "fr")).fill(auth.DEMO_PASSWORD)
    page.get_by_role("button", name=i18n.t("common.sign_in", "fr")).click()
    return _since_click(page, wait_whole(page, wanted("overview"), timeout_ms))


def switch_to(page, name: str, timeout_ms: float) -> tuple[float, float | None]:
    page.locator(link(name)).click()
    return _since_click(page, wait_whole(page, wanted(name), timeout_ms))


def visit(page, url: str, name: str, timeout_ms: float) -> tuple[float, float | None]:
    page.goto(f"{url}/{'' if name == 'overview' else name}", wait_until="commit")
    seen = wait_whole(page, wanted(name), timeout_ms)
    return _since(page.evaluate("() => performance.timeOrigin"), seen)


def _order(pages: Sequence[str]) -> list[str]:
    """The Overview, where sign-in lands, is switched to last, from another page."""
    return [p for p in pages if p != "overview"] + [p for p in pages if p == "overview"]


def measure(db: Path, consultations: int, *, pages: Sequence[str] | None = None, repeat: int = 3,
            timeout_ms: float = TIMEOUT_MS, progress=print) -> BrowserFigures:
    from playwright.sync_api import sync_playwright

    wanted_pages = set(pages or roles.PAGES)
    times = {(role, page): PageTimes(role, page) for role in roles.ROLES
             for page in roles.pages_for(role) if page in wanted_pages}
    signing = {role: SignInTimes(role) for role in roles.ROLES}
    with tempfile.TemporaryDirectory(prefix="terrain-bench-browser-") as workdir, \
            running_app(db, Path(workdir)) as url, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for run in range(repeat):
                for role in roles.ROLES:
                    progress(f"  {role}, repetition {run + 1} of {repeat}")
                    _one_round(chromium, url, role, [p for p in roles.pages_for(role) if p in wanted_pages],
                               times, signing[role], timeout_ms)
        finally:
            chromium.close()
    return BrowserFigures(consultations, db, list(times.values()), list(signing.values()))


def _one_round(chromium, url: str, role: str, pages: list[str], times: dict, signing: SignInTimes,
               timeout_ms: float) -> None:
    from playwright.sync_api import Error as PlaywrightError

    context = chromium.new_context(viewport=VIEWPORT)
    context.add_init_script(RECORDER)
    page = context.new_page()
    try:
        try:
            ms, script = sign_in(page, url, role, timeout_ms)
            signing.ms.append(ms)
            signing.script_ms.extend([script] if script is not None else [])
        except (NotWhole, PlaywrightError) as failed:
            signing.errors.append(str(failed).strip().splitlines()[0])
            return
        current = "overview"
        for name in _order(pages):
            figures = times[(role, name)]
            try:
                if current == name:   # a switch comes from another page: the lightest
                    switch_to(page, "glossary" if name != "glossary" else "overview", timeout_ms)
                ms, script = switch_to(page, name, timeout_ms)
                figures.switch_ms.append(ms)
                figures.switch_script_ms.extend([script] if script is not None else [])
                ms, script = visit(page, url, name, timeout_ms)
                figures.first_ms.append(ms)
                figures.first_script_ms.extend([script] if script is not None else [])
                current = name
            except (NotWhole, PlaywrightError) as failed:
                figures.errors.append(str(failed).strip().splitlines()[0])
                try:   # the next page starts from a known place
                    current = "overview"
                    visit(page, url, current, timeout_ms)
                except (NotWhole, PlaywrightError):
                    return
    finally:
        context.close()


# --- report -------------------------------------------------------------------------------------

def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def table(figures: BrowserFigures) -> str:
    lines = [(f"Chromium, {VIEWPORT['width']} × {VIEWPORT['height']}: {figures.consultations:,} consultations — "
              f"{figures.database.name}")]
    header = (f"{'role':<18} {'page':<14} {'first p50':>9} {'p95':>6} {'script':>7}   "
              f"{'switch p50':>10} {'p95':>6} {'script':>7}")
    lines += [header, "-" * len(header)]
    for t in figures.pages:
        lines.append(f"{t.role:<18} {t.page:<14} {_ms(_percentile(t.first_ms, 50)):>9} "
                     f"{_ms(_percentile(t.first_ms, 95)):>6} {_ms(_percentile(t.first_script_ms, 50)):>7}   "
                     f"{_ms(_percentile(t.switch_ms, 50)):>10} {_ms(_percentile(t.switch_ms, 95)):>6} "
                     f"{_ms(_percentile(t.switch_script_ms, 50)):>7}")
    for s in figures.sign_in:
        lines.append(f"{s.role:<18} {'sign-in':<14} {_ms(_percentile(s.ms, 50)):>9} "
                     f"{_ms(_percentile(s.ms, 95)):>6} {_ms(_percentile(s.script_ms, 50)):>7}   (to the Overview whole)")
    lines.append("ms to the last chart drawn; script: p50 to the script's end (the server's part), "
                 "the rest is the browser drawing (— where no run ended after the click)")
    lines += [f"  not measured: {e}" for e in figures.errors]
    lines += check_targets(figures)
    return "\n".join(lines)


def check_targets(figures: BrowserFigures) -> list[str]:
    out = []
    for label, values, target in (
            ("page switch p95 ≤ 1 s", [(t, _percentile(t.switch_ms, 95)) for t in figures.pages], SWITCH_TARGET_MS),
            ("first visit p95 ≤ 2 s", [(t, _percentile(t.first_ms, 95)) for t in figures.pages], FIRST_TARGET_MS)):
        measured = [(t, v) for t, v in values if v is not None]
        if not measured:
            continue
        missed = [f"{t.role} {t.page} {v:,.0f} ms" for t, v in measured if v > target]
        worst, value = max(measured, key=lambda tv: tv[1])
        detail = f"missed by {', '.join(missed)}" if missed else f"worst: {worst.role} {worst.page}, {value:,.0f} ms"
        out.append(_verdict(not missed, f"{label}, every page and role ({detail})"))
    signed = [(s, _percentile(s.ms, 95)) for s in figures.sign_in if s.ms]
    if signed:
        missed = [f"{s.role} {v:,.0f} ms" for s, v in signed if v > FIRST_TARGET_MS]
        worst, value = max(signed, key=lambda sv: sv[1])
        detail = f"missed by {', '.join(missed)}" if missed else f"worst: {worst.role}, {value:,.0f} ms"
        out.append(_verdict(not missed, f"first page after sign-in p95 ≤ 2 s ({detail})"))
    return out


def _verdict(ok: bool, text: str) -> str:
    return f"  target {'met ' if ok else 'MISSED'}: {text}"


def as_json(sizes: Sequence[BrowserFigures]) -> dict:
    """The issue's entries, one per role and page (and size, when several were measured), and
    the sign-in beside them."""
    return {
        "browser": [{**t.as_dict(), "consultations": size.consultations} for size in sizes for t in size.pages],
        "browser_sign_in": [{**s.as_dict(), "consultations": size.consultations} for size in sizes
                            for s in size.sign_in],
    }

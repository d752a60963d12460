"""Start the real app and drive it with Debian's Chromium through Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
import weakref
from pathlib import Path
from urllib.parse import urlsplit

from terrain import ROOT, i18n, web

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def apart(a, b) -> bool:
    """Two bounding boxes (Playwright's) that do not overlap."""
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(db: Path, workdir: Path):
    port = free_port()
    env = {**os.environ, "TERRAIN_DB": str(db), "TERRAIN_USERS": str(workdir / "users.json"),
           "TERRAIN_AUTH_STATE": str(workdir / "auth-state.sqlite"), "TERRAIN_AUDIT_DIR": str(workdir / "audit")}
    log = open(workdir / f"streamlit-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "terrain" / "asgi.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Streamlit did not start: see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# Counts the script runs a document has begun (window.__terrainRuns): each time the app's
# script state turns to "running". Records are read with their old values, so two changes
# delivered in one batch are both counted.
COUNT_RUNS = """(() => {
  if (window.__terrainRuns !== undefined) return;
  window.__terrainRuns = 0;
  window.__terrainSettled = 0;
  new MutationObserver(records => {
    records.forEach((record, i) => {
      const now = i + 1 < records.length && records[i + 1].target === record.target
        ? records[i + 1].oldValue : record.target.getAttribute('data-test-script-state');
      if (now === 'running' && record.oldValue !== 'running') window.__terrainRuns += 1;
    });
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
})()"""
# How long an action is given to begin a run before it is taken to ask for none (a tab, a
# download, a second wait for the same run).
RUN_STARTS_WITHIN = 300
# Whether a run has begun since the last wait settled the count (`wait_idle`).
RUN_BEGUN = "() => window.__terrainRuns > window.__terrainSettled"


# What each page's console said (warnings and errors), for a failure to report.
CONSOLE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def count_runs(page) -> None:
    """Count the script runs of every document the page opens (for `wait_idle`), and keep
    what its console warns of (for `wait_for_shown`)."""
    page.add_init_script(COUNT_RUNS)
    said = CONSOLE.setdefault(page, [])
    page.on("console", lambda message: said.append(f"{message.type}: {message.text}")
            if message.type in ("warning", "error") else None)


def wait_idle(page, timeout: float = 180_000, *, run_follows: bool = False) -> None:
    """Wait for the run the last action asked for to end. Where the page counts its runs
    (`count_runs`, which `sign_in` sets up), a run begun since the last wait is waited for
    to its end, however fast it began or ended; where none has begun, one is given
    RUN_STARTS_WITHIN ms to begin, or, with `run_follows` (an action that always reruns the
    page, such as a filter changed), as long as it takes. Elsewhere, that moment,
    then the idle state. The deadline bounds a failure only: a run that rebuilds a data
    version (an import) takes minutes of wall time on two busy cores."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(RUN_BEGUN, timeout=timeout if run_follows else RUN_STARTS_WITHIN)
    except PlaywrightTimeout:
        if run_follows:   # the run that must follow never began: a failure, said as one
            raise
        # else no run asked for, or runs not counted on this page
    page.wait_for_selector(IDLE, timeout=timeout)
    page.evaluate("() => { if (window.__terrainRuns !== undefined) window.__terrainSettled = window.__terrainRuns; }")


def sign_in(page, url: str, name: str, password: str) -> None:
    """Sign in on the page's own sign-in screen, and wait for the session's cookie: the page
    sends its ticket to SESSION_PATH with fetch() after the run that checked the password
    (terrain/web.py), so a reload or a new address opened before that answer would find no
    cookie and show the sign-in screen again (as it did on two busy cores)."""
    count_runs(page)
    page.goto(url)
    wait_idle(page)
    with page.expect_response(lambda answer: urlsplit(answer.url).path.endswith(web.SESSION_PATH),
                              timeout=60_000) as answered:
        sign_in_here(page, name, password)
    assert answered.value.status == 204, f"the session's cookie was refused: {answered.value.status}"
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    wait_idle(page)


def wait_for_shown(page, selector: str, shot: str, timeout: float = 60_000) -> None:
    """Wait for `selector` to be shown; past the deadline, fail with what the page shows
    instead (the script's state, the lines it shows, its console's warnings, and a screenshot
    in tests/artifacts/<shot>-failed.png)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(selector, timeout=timeout)
    except PlaywrightTimeout:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{shot}-failed.png"), full_page=True)
        state = page.evaluate("() => document.querySelector('[data-testid=\"stApp\"]')"
                              "?.getAttribute('data-test-script-state')")
        shown = " | ".join(line for line in page.locator("body").inner_text().split("\n") if line.strip())
        said = " | ".join(CONSOLE.get(page, [])[-8:]) or "nothing"
        raise AssertionError(f"{selector!r} not shown after {timeout / 1000:.0f} s at {page.url} (script {state}); "
                             f"the page shows: {shown[:900]}; its console warned of: {said[:600]}") from None


def wait_for_title(page, title: str, shot: str, timeout: float = 60_000) -> None:
    """Wait for the page's title (h1), failing as `wait_for_shown` does."""
    wait_for_shown(page, f'h1:has-text("{title}")', shot, timeout)


def open_page(page, name: str, drawn: str | None = None, *, settle: bool = True) -> None:
    """The page opened from the menu: a click on its link, the run it asks for waited for,
    then the page's title and, if given, what the page draws last, and, with `settle`, any
    run that follows (given RUN_STARTS_WITHIN to begin). Without it, the caller checks the
    page with `at_rest`, which tells a run that began meanwhile. (A click is not always
    followed by a run that the page counts — the page's own link runs nothing — so none is
    required.)"""
    link = "/" if name == "overview" else f"/{name}"
    page.locator(f'[data-testid="stSidebarNav"] a[href$="{link}"]').click()
    wait_idle(page)
    wait_for_title(page, i18n.t(f"{name}.title", "fr"), f"open-{name}")
    if drawn:
        page.wait_for_selector(drawn, timeout=60_000)
    if settle:
        wait_idle(page)


def at_rest(page, check, attempts: int = 3):
    """`check()`'s result on the page as its last run left it: a run begun before the check
    (a click's that began late) is waited for first; where a run began while the check looked
    (one that followed, or a value a widget sent back), or the page changed under it and the
    check failed, that run is waited for and the check made again, at most `attempts` times.
    On a page that counts its runs (`count_runs`)."""
    failed = None
    for _ in range(attempts):
        if page.evaluate(RUN_BEGUN):
            wait_idle(page)
        try:
            result = check()
        except Exception as error:
            if not page.evaluate(RUN_BEGUN):
                raise
            failed = error
            continue
        if not page.evaluate(RUN_BEGUN):
            return result
    raise AssertionError(f"{page.url} began a new run each time it was checked ({attempts} times)") from failed


def sign_in_here(page, name: str, password: str) -> None:
    """Fill the sign-in form the page shows and submit it."""
    page.get_by_label(i18n.t("common.username", "fr")).fill(name)
    page.get_by_label(i18n.t("common.password", "fr")).fill(password)
    page.get_by_role("button", name=i18n.t("common.sign_in", "fr")).click()
    wait_idle(page)

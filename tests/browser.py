"""Start the real app and drive it with Debian's Chromium through Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from terrain import ROOT, i18n

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


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


def wait_idle(page, timeout: float = 60_000) -> None:
    # The script may not have started yet right after an action: give it a moment to leave
    # the idle state, then wait until it is idle again.
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout)


def sign_in(page, url: str, name: str, password: str) -> None:
    page.goto(url)
    wait_idle(page)
    sign_in_here(page, name, password)
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    wait_idle(page)


def sign_in_here(page, name: str, password: str) -> None:
    """Fill the sign-in form the page shows and submit it."""
    page.get_by_label(i18n.t("common.username", "fr")).fill(name)
    page.get_by_label(i18n.t("common.password", "fr")).fill(password)
    page.get_by_role("button", name=i18n.t("common.sign_in", "fr")).click()
    wait_idle(page)

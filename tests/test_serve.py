"""`python -m terrain serve`: app processes behind a real nginx, a process stopped under a
session, and the whole fleet stopped by a signal."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from terrain import ROOT, serve
from terrain.perf.loadtest import Session


@pytest.fixture(autouse=True, scope="module")
def nginx_installed():
    assert Path(serve.NGINX).exists(), "nginx is not installed: `apt-get install nginx` (.ci/run does it)"

LINE = re.compile(r'(?P<status>\d{3}) "(?P<request>[^"]*)" upstream=(?P<upstream>.+?) seconds=\S+ affinity=(?P<affinity>\S+)')


@pytest.fixture(scope="module")
def demo_db(browser_demo, tmp_path_factory):
    return Path(shutil.copy2(browser_demo, tmp_path_factory.mktemp("serve") / "demo.duckdb"))


def _env(db: Path, workdir: Path) -> dict[str, str]:
    return {**os.environ, "TERRAIN_DB": str(db), "TERRAIN_USERS": str(workdir / "users.json"),
            "TERRAIN_AUTH_STATE": str(workdir / "auth-state.sqlite"), "TERRAIN_AUDIT_DIR": str(workdir / "audit")}


def _served_by(fleet: serve.Fleet, affinity: str, websockets: int) -> list[str]:
    """The app addresses nginx sent this browser's requests to, in order, once the log holds
    `websockets` of its websocket connections (nginx writes one when it closes)."""
    deadline = time.monotonic() + 20
    while True:
        log = (fleet.run_dir / "nginx-access.log").read_text()
        mine = [m for m in LINE.finditer(log) if m["affinity"] == affinity]
        if sum("/_stcore/stream" in m["request"] for m in mine) >= websockets or time.monotonic() > deadline:
            return [m["upstream"] for m in mine]
        time.sleep(0.1)


async def _sign_in_and_open_a_page(url: str, cookies: str | None = None) -> str:
    async with Session(url, cookies) as session:
        signed_in = await session.sign_in("manager", "terrain-demo")
        occupancy = next(p for p in signed_in.pages if p.url_pathname == "occupancy")
        answer = await session.run(occupancy.page_script_hash, "city=Pantin")
        assert any(kind == "plotly_chart" for kind, _ in answer.elements)
        return session.cookies


def test_the_configuration_nginx_is_given_passes_its_own_check(tmp_path):
    config = serve.nginx_config([8601, 8602], port=8600, address="127.0.0.1", run_dir=tmp_path,
                                worker_user=serve._worker_user())
    serve._prepare_run_dir(tmp_path, serve._worker_user())
    (tmp_path / "nginx.conf").write_text(config)
    checked = subprocess.run([serve.NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert config.count("server 127.0.0.1:") == 2
    assert "hash $terrain_affinity consistent" in config and "proxy_set_header Upgrade" in config


def test_a_browser_stays_on_one_process_and_moves_to_another_when_it_stops(demo_db, tmp_path):
    with serve.running(2, port=serve.free_port(), run_dir=tmp_path / "run", env=_env(demo_db, tmp_path)) as fleet:
        assert serve.healthy(fleet.url)
        cookies = asyncio.run(_sign_in_and_open_a_page(fleet.url))
        affinity = re.search(rf"{serve.AFFINITY_COOKIE}=(\w+)", cookies)[1]
        first = _served_by(fleet, affinity, websockets=1)
        assert len(first) == 2 and len(set(first)) == 1  # the page and its websocket: one process

        stopped = next(a for a in fleet.apps if first[0].endswith(f":{a.port}"))
        stopped.process.kill()
        stopped.process.wait()
        # The tab reconnects with its cookies; the new process knows nothing of the old
        # session, so the person signs in again, and goes on.
        asyncio.run(_sign_in_and_open_a_page(fleet.url, cookies))
        after = _served_by(fleet, affinity, websockets=2)[len(first):]
        other = next(a for a in fleet.apps if a is not stopped)
        assert after and all(address.split(", ")[-1].endswith(f":{other.port}") for address in after)

        fleet.check()  # the health check finds the stopped process and starts it again
        assert stopped.restarts == 1 and stopped.process.poll() is None
        deadline = time.monotonic() + 60
        while not serve.healthy(stopped.url):
            assert time.monotonic() < deadline, "the restarted process did not answer"
            time.sleep(0.3)
        assert fleet.events == [f"app process on port {stopped.port} ended: restarted"]


def test_two_processes_share_one_cookie_secret(demo_db, tmp_path):
    env = _env(demo_db, tmp_path)
    env.pop("STREAMLIT_SERVER_COOKIE_SECRET", None)
    secret = serve.shared_cookie_secret(env, tmp_path)
    assert len(secret) == 64 and serve.shared_cookie_secret(env, tmp_path) == secret
    assert (tmp_path / "cookie-secret").stat().st_mode & 0o777 == 0o600


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not serving anyone
        return stat.read().split(") ", 1)[1][0] != "Z"


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout.split()
    return [int(p) for p in found]


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_serve_stopped_takes_every_process_with_it(how, demo_db, tmp_path):
    port = serve.free_port()
    command = [sys.executable, "-m", "terrain", "serve", "--processes", "2", "--port", str(port),
               "--db", str(demo_db), "--run-dir", str(tmp_path / "run")]
    process = subprocess.Popen(command, cwd=ROOT, env=_env(demo_db, tmp_path), stdout=subprocess.PIPE, text=True)
    try:
        first_line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first_line, first_line
        assert serve.healthy(f"http://127.0.0.1:{port}")
        children = _children(process.pid)
        assert len(children) == 3  # two app processes and nginx's master
        process.send_signal(how)
        assert process.wait(timeout=30) == (0 if how == signal.SIGTERM else -signal.SIGKILL)
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in children if _alive(pid)]
        assert not serve.healthy(f"http://127.0.0.1:{port}", timeout=1)
    finally:
        if process.poll() is None:
            process.kill()


def test_a_person_signs_in_filters_and_downloads_through_nginx(demo_db, tmp_path):
    """In Chromium, through nginx in front of two processes: sign in from a link with a
    filter, open a page, download its table; every request of the tab went to one process."""
    from playwright.sync_api import sync_playwright

    from terrain import i18n
    from tests import browser

    with serve.running(2, port=serve.free_port(), run_dir=tmp_path / "run", env=_env(demo_db, tmp_path)) as fleet, \
            sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        # tall enough for the city filter's list to open below the menu's eleven pages
        context = chromium.new_context(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
        page = context.new_page()
        try:
            browser.sign_in(page, fleet.url, "manager", "terrain-demo")
            page.locator('[data-testid="stSidebarNav"] a[href$="/consultations"]').click()
            browser.wait_idle(page)
            city = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]',
                                has_text=i18n.t("common.city", "fr")).first
            city.locator("input").fill("Pantin")
            city.locator("input").press("Enter")
            # a city chosen always runs the page; a click before that run ends lands on a
            # button being replaced (no file comes), however late on a busy machine it begins
            browser.wait_idle(page, run_follows=True)
            page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert "city=Pantin" in page.url
            button = page.locator('[data-testid="stDownloadButton"] button',
                                  has_text=i18n.t("tables.download_csv", "fr")).first
            with page.expect_download(timeout=60_000) as download:
                button.click()
            content = Path(download.value.path()).read_text(encoding="utf-8-sig")
            affinity = next(c["value"] for c in context.cookies() if c["name"] == serve.AFFINITY_COOKIE)
        finally:
            context.close()
            chromium.close()
        assert "Pantin" in content and "Calais" not in content
        served = _served_by(fleet, affinity, websockets=0)
        assert any("/media/" in line or "download" in line for line in
                   [m["request"] for m in LINE.finditer((fleet.run_dir / "nginx-access.log").read_text())
                    if m["affinity"] == affinity])
        assert len(set(served)) == 1, served

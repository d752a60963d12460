"""The app on every core, behind nginx (`python -m terrain serve`, terrain/cli/serve.py).

Streamlit renders a page in Python, under one interpreter lock: one process uses about one
core however many sessions it serves. `serve` starts N identical app processes on loopback
ports and nginx in front of them on one public port:

- **session affinity by cookie.** A Streamlit session lives in its websocket, and an
  uploaded file or a download lives in the process that made it, so every request of one
  browser must reach the same process. nginx (open source) has no sticky-cookie directive:
  it gives a browser that has none a cookie `terrain_affinity` holding the request's id and
  hashes on it (`hash ... consistent`), so the page, its websocket and its downloads go to
  one process, and a process that stops moves only its own browsers;
- **websocket upgrade** on `/_stcore/stream`, with long timeouts (a tab left open);
- **health**: nginx stops sending to a process that refuses connections (passive checks:
  `max_fails`, `proxy_next_upstream`), and `serve` itself asks each process's
  `/_stcore/health` every few seconds and restarts one that does not answer or has ended;
- **one data version**: every process reads the same database file and sees a swap made by an
  import at its next rerun, as one process does; sign-in state (sessions, lockout) lives in
  the small shared store of terrain/auth.py, not in a process;
- **stopping**: Ctrl-C or SIGTERM stops nginx and every app process; the app processes also
  die with `serve` if it is killed (Linux's parent-death signal), so none is left behind.

The nginx configuration is written into the run directory (`--run-dir`, default
data/run/) and printed by `serve --print-config`; docs/deploy.md shows it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from terrain import ROOT

NGINX = os.environ.get("TERRAIN_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
AFFINITY_COOKIE = "terrain_affinity"
HEALTH_PATH = "/_stcore/health"
HEALTH_EVERY_S = 2.0
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0
_PR_SET_PDEATHSIG = 1


class ServeError(Exception):
    """A start that cannot go on: one line for the person who ran the command."""


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def nginx_config(app_ports: Sequence[int], *, port: int, address: str, run_dir: Path,
                 worker_user: str | None = None, max_upload_mib: int = 50) -> str:
    """The whole nginx configuration for `app_ports` behind `address:port`."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in app_ports)
    user = f"user {worker_user};\n" if worker_user else ""
    return f"""# Written by `python -m terrain serve`: {len(app_ports)} app processes behind one port.
{user}worker_processes auto;
pid {run_dir}/nginx.pid;
error_log {run_dir}/nginx-error.log warn;
daemon off;

events {{
    worker_connections 1024;
}}

http {{
    # Which process answered each request, and for which browser (the affinity id is random).
    log_format terrain '$time_iso8601 $status "$request" upstream=$upstream_addr '
                       'seconds=$request_time affinity=$terrain_affinity';
    access_log {run_dir}/nginx-access.log terrain;
    client_body_temp_path {run_dir}/client_body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
    client_max_body_size {max_upload_mib + 1}m;
    server_tokens off;

    # A browser without the affinity cookie gets one made of its first request's id; every
    # later request (the websocket, a download) carries it and hashes to the same process.
    map $cookie_{AFFINITY_COOKIE} $terrain_affinity {{
        ""      $request_id;
        default $cookie_{AFFINITY_COOKIE};
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}

    upstream terrain_app {{
        hash $terrain_affinity consistent;
{servers}
    }}

    server {{
        listen {address}:{port};

        location / {{
            proxy_pass http://terrain_app;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
            proxy_buffering off;
            add_header Set-Cookie "{AFFINITY_COOKIE}=$terrain_affinity; Path=/; HttpOnly; SameSite=Lax" always;
        }}
    }}
}}
"""


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGTERM when `serve` ends, however it ends."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def healthy(url: str, timeout: float = 2.0) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(url + HEALTH_PATH, timeout=timeout) as answer:
        return answer.status == 200
    return False


@dataclass
class AppProcess:
    port: int
    log: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "terrain" / "asgi.py"),
                   "--server.port", str(self.port), "--server.address", "127.0.0.1",
                   "--server.headless", "true", "--browser.gatherUsageStats", "false",
                   "--server.fileWatcherType", "none"]
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            preexec_fn=_die_with_parent)  # noqa: PLW1509 (started before any thread)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Fleet:
    """N app processes and nginx in front of them."""

    apps: list[AppProcess]
    port: int
    address: str
    run_dir: Path
    nginx: subprocess.Popen | None = None
    events: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("0.0.0.0", "127.0.0.1") else self.address
        return f"http://{host}:{self.port}"

    def pids(self) -> list[int]:
        return [a.process.pid for a in self.apps if a.process is not None and a.process.poll() is None]

    def check(self) -> None:
        """Restart every app process that has ended or does not answer its health check."""
        for app in self.apps:
            ended = app.process is None or app.process.poll() is not None
            if ended or not healthy(app.url):
                app.stop()
                app.restarts += 1
                self.events.append(f"app process on port {app.port} "
                                   f"{'ended' if ended else 'did not answer its health check'}: restarted")
                app.start()
        if self.nginx is not None and self.nginx.poll() is not None:
            raise ServeError(f"nginx stopped (exit {self.nginx.returncode}): see {self.run_dir / 'nginx-error.log'}")


def shared_cookie_secret(env: dict[str, str], run_dir: Path) -> str:
    """One secret for every process: Streamlit signs its XSRF cookie (and `st.login`'s) with
    `server.cookieSecret`, random per process unless set, so that a browser moved to another
    process (the first one stopped) would otherwise be refused an upload. Taken from the
    environment, else kept in the run directory, readable by its owner only."""
    given = env.get("STREAMLIT_SERVER_COOKIE_SECRET")
    if given:
        return given
    path = run_dir / "cookie-secret"
    if not path.exists():
        import secrets
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
    return path.read_text().strip()


def _worker_user() -> str | None:
    """nginx started by root runs its workers as an unprivileged user, who must be able to
    write the run directory's temporary folders."""
    return "nobody nogroup" if os.geteuid() == 0 else None


def _prepare_run_dir(run_dir: Path, worker_user: str | None) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        folder = run_dir / name
        folder.mkdir(exist_ok=True)
        if worker_user:
            import pwd
            os.chown(folder, pwd.getpwnam(worker_user.split()[0]).pw_uid, -1)


@contextlib.contextmanager
def running(processes: int, *, port: int, address: str = "127.0.0.1", run_dir: Path | None = None,
            env: dict[str, str] | None = None) -> Iterator[Fleet]:
    """Start `processes` app processes and nginx; yield once every process answers its health
    check through nginx; stop them all on the way out, whatever happens."""
    if not 1 <= processes <= 64:
        raise ServeError("Between 1 and 64 app processes.")
    run_dir = Path(run_dir or ROOT / "data" / "run").resolve()
    worker_user = _worker_user()
    _prepare_run_dir(run_dir, worker_user)
    env = dict(env if env is not None else os.environ)
    env["STREAMLIT_SERVER_COOKIE_SECRET"] = shared_cookie_secret(env, run_dir)
    apps = [AppProcess(free_port(), run_dir / f"app-{i + 1}.log", env) for i in range(processes)]
    config = run_dir / "nginx.conf"
    config.write_text(nginx_config([a.port for a in apps], port=port, address=address, run_dir=run_dir,
                                   worker_user=worker_user))
    fleet = Fleet(apps, port, address, run_dir)
    try:
        for app in apps:
            app.start()
        tested = subprocess.run([NGINX, "-t", "-q", "-c", str(config), "-p", str(run_dir)],
                                check=False, capture_output=True, text=True)
        if tested.returncode != 0:
            raise ServeError(f"nginx refused its configuration {config}: {tested.stderr.strip().splitlines()[-1]}")
        fleet.nginx = subprocess.Popen([NGINX, "-c", str(config), "-p", str(run_dir)], preexec_fn=_die_with_parent,  # noqa: PLW1509
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        waiting = list(apps)
        while waiting:
            for app in list(waiting):
                if app.process is not None and app.process.poll() is not None:
                    raise ServeError(f"An app process ended at start: see {app.log}")
                if healthy(app.url):
                    waiting.remove(app)
            if fleet.nginx.poll() is not None:
                raise ServeError(f"nginx did not start: see {run_dir / 'nginx-error.log'}")
            if time.monotonic() > deadline:
                raise ServeError(f"The app did not start within {START_TIMEOUT_S:.0f} s: see {waiting[0].log}")
            time.sleep(0.3)
        while not healthy(fleet.url):
            if fleet.nginx.poll() is not None or time.monotonic() > deadline:
                raise ServeError(f"nginx does not answer on {fleet.url}: see {run_dir / 'nginx-error.log'}")
            time.sleep(0.2)
        yield fleet
    finally:
        if fleet.nginx is not None and fleet.nginx.poll() is None:
            fleet.nginx.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
            try:
                fleet.nginx.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                fleet.nginx.kill()
                fleet.nginx.wait()
        for app in apps:
            app.stop()


def shown_config(processes: int, *, port: int, address: str, run_dir: Path) -> str:
    """The nginx configuration for these options, as `serve --print-config` shows it (the app
    processes on ports 8600 and up: the real ones are chosen free at start)."""
    return nginx_config([8600 + i for i in range(processes)], port=port, address=address, run_dir=run_dir,
                        worker_user=_worker_user())

"""docs/deploy.md does what it says: every `sh` block is run, in a temporary TERRAIN_HOME
(the documented port replaced by a free one), and every configuration it shows is checked
against what reads it (nginx, `serve`'s parser)."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from terrain import ROOT, serve

DOC = ROOT / "docs" / "deploy.md"
PORT = "8501"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"^```{re.escape(kind)}\n(.*?)^```", DOC.read_text(), flags=re.DOTALL | re.MULTILINE)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """TERRAIN_HOME after the setting-up block, and the environment its commands run in."""
    home = tmp_path_factory.mktemp("terrain-home")
    port = str(serve.free_port())
    env = {**os.environ, "TERRAIN_HOME": str(home), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for name in ("TERRAIN_DB", "TERRAIN_USERS", "TERRAIN_AUTH_STATE", "TERRAIN_AUDIT_DIR"):
        env.pop(name, None)
    return home, port, env


def _script(block: str, port: str) -> str:
    exports = "\n".join(line for line in blocks("sh")[0].splitlines() if line.startswith("export "))
    return "set -euo pipefail\n" + exports + "\n" + block.replace(PORT, port)


def _run(block: str, home) -> subprocess.CompletedProcess:
    _, port, env = home
    return subprocess.run(["bash", "-c", _script(block, port)], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False, timeout=600)


def test_the_doc_has_the_blocks_this_test_runs():
    assert [len(blocks(kind)) for kind in ("sh", "nginx", "nginx-tls", "ini", "cron")] == [4, 1, 1, 1, 1]


def test_setting_up_serving_and_watching_run_as_written(home):
    directory, port, env = home
    setup, start, watch, replica = blocks("sh")
    done = _run(setup, home)
    assert done.returncode == 0, done.stderr
    assert "chef.mission" in done.stdout and "programme_manager" in done.stdout
    assert "No recipient in config/notify.toml" in done.stdout
    assert (directory / "terrain.duckdb").exists() and (directory / "users.json").exists()
    assert "upstream terrain_app" in (directory / "nginx.conf.txt").read_text()

    assert start.strip().startswith("python -m terrain serve")
    server = subprocess.Popen(["bash", "-c", _script(start, port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              text=True, start_new_session=True)
    try:
        first = server.stdout.readline()
        assert f"127.0.0.1:{port}" in first, first
        watched = _run(watch, home)
        assert watched.returncode == 0, watched.stderr
        assert watched.stdout.startswith("ok") and "upstream=127.0.0.1:" in watched.stdout
        assert str(directory) in watched.stdout or "Filesystem" in watched.stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    assert (directory / "run" / "nginx.conf").exists() and (directory / "run" / "cookie-secret").exists()

    copied = _run(replica, home)
    assert copied.returncode == 0, copied.stderr
    assert (directory / "replica.duckdb").read_bytes() == (directory / "terrain.duckdb").read_bytes()
    assert not (directory / "replica.duckdb.new").exists()


def test_the_nginx_configuration_shown_is_the_one_serve_writes():
    written = serve.nginx_config([8600, 8601], port=8501, address="127.0.0.1", run_dir=Path("/srv/terrain/run"))
    assert blocks("nginx")[0] == written


def test_the_tls_server_block_passes_nginx_check(tmp_path):
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                           "/CN=terrain.example.org", "-keyout", str(tmp_path / "privkey.pem"),
                           "-out", str(tmp_path / "fullchain.pem")], capture_output=True, check=False)
    assert made.returncode == 0, made.stderr
    server = blocks("nginx-tls")[0].replace("/etc/ssl/terrain/", f"{tmp_path}/")
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
                                         f"events {{}}\nhttp {{\naccess_log off;\n{server}}}\n")
    checked = subprocess.run([serve.NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_the_systemd_unit_starts_serve_with_options_it_accepts():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read_string(blocks("ini")[0])
    command = shlex.split(unit["Service"]["ExecStart"])
    assert command[0].endswith("/.venv/bin/python") and command[1:4] == ["-m", "terrain", "serve"]
    checked = subprocess.run([sys.executable, "-m", "terrain", "serve", *command[4:], "--print-config"],
                             cwd=ROOT, capture_output=True, text=True, check=False)
    assert checked.returncode == 0 and "upstream terrain_app" in checked.stdout, checked.stderr
    # systemd allows Environment= several times, which configparser would fold into one
    environment = dict(line.removeprefix("Environment=").split("=", 1)
                       for line in blocks("ini")[0].splitlines() if line.startswith("Environment="))
    documented = set(re.findall(r"`\$(TERRAIN_\w+)`", DOC.read_text()))
    assert documented <= set(environment), documented - set(environment)
    assert unit["Service"]["KillSignal"] == "SIGTERM"


def test_the_crontab_line_runs_notify(home):
    """The cron job's command, in the crontab's environment (paths moved to the test's home,
    the SMTP server a real one on localhost), after the setting up: the shipped recipients
    list is empty, so it sends nothing and says so."""
    from aiosmtpd.controller import Controller

    directory, _, env = home
    if not (directory / "terrain.duckdb").exists():
        assert _run(blocks("sh")[0], home).returncode == 0
    lines = [line for line in blocks("cron")[0].splitlines() if line.strip()]
    variables = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))
    job = next(line for line in lines if not re.match(r"^[A-Z_]+=", line))
    minute, hour, day, month, weekday, user, command = job.split(None, 6)
    assert re.fullmatch(r"[0-9*/,-]+", " ".join((minute, hour, day, month, weekday)).replace(" ", ",")) and user
    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    controller = Controller(Inbox(), hostname="127.0.0.1", port=serve.free_port())
    controller.start()
    try:
        variables = {name: value.replace("/srv/terrain", str(directory)) for name, value in variables.items()}
        variables["TERRAIN_SMTP_URL"] = f"smtp://127.0.0.1:{controller.port}"
        done = subprocess.run(["bash", "-c", command.replace("/opt/terrain", str(ROOT))],
                              env={**env, **variables}, capture_output=True, text=True, check=False, timeout=300)
    finally:
        controller.stop()
    assert done.returncode == 0, done.stderr
    assert "No recipient" in done.stdout and received == []

"""Terrain's command line in processes of their own, started in a few milliseconds.

`python -m terrain import …` spends about a second importing pandas, DuckDB and the rest before
it reads its first argument, and the crash tests start some ninety writers. Here each command
is a real process all the same, forked from a server process that imported the command line
once (`python -m tests.commands`, started at the first command of a test process): the child
takes its own environment, folder, arguments and output files, runs `terrain.cli.main` as
`python -m terrain` does, and exits with its status. A writer that kills itself
(TERRAIN_FAULT_AT) dies of SIGKILL (status -9), and a command that raises prints its traceback
on stderr and exits 1, as under the interpreter.

The server holds no connection, no thread and no open file but its two pipes: it has only
imported modules. Each child re-reads what a new interpreter would read from its environment
(the temporary folder), so nothing of one command reaches the next.

The protocol, one JSON object a line: the test process sends {"id", "argv", "env", "cwd",
"out", "err", "file_size"}; the server answers {"id", "pid"} when the child is forked and
{"id", "status"} when it has ended.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What the commands the tests start import: loaded once in the server, shared by every child.
PRELOAD = ("terrain.cli", "terrain.cli.import_", "terrain.cli.rollback", "terrain.cli.upgrade", "terrain.cli.demo",
           "terrain.cli.approve")


# --- in the test process ------------------------------------------------------------------------

class _Server:
    """The server process and a thread reading its answers."""

    def __init__(self):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self._process = subprocess.Popen([sys.executable, "-m", "tests.commands"], cwd=ROOT, env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self._lock = threading.Lock()
        self._next = 0
        self._waiting: dict[int, dict] = {}     # id -> {"pid", "status", "ended": Event}, until it ends
        threading.Thread(target=self._read, daemon=True, name="terrain-commands").start()
        atexit.register(self.close)

    def _read(self) -> None:
        for line in self._process.stdout:
            answer = json.loads(line)
            with self._lock:
                if "pid" in answer:
                    self._waiting[answer["id"]]["pid"] = answer["pid"]
                    continue
                entry = self._waiting.pop(answer["id"])
            entry["status"] = answer["status"]
            entry["ended"].set()
        with self._lock:    # the server is gone: nobody waits for ever
            for entry in self._waiting.values():
                entry["ended"].set()

    def submit(self, request: dict) -> dict:
        with self._lock:
            self._next += 1
            entry = {"pid": None, "status": None, "ended": threading.Event()}
            self._waiting[self._next] = entry
            self._process.stdin.write(json.dumps({"id": self._next, **request}) + "\n")
            self._process.stdin.flush()
        return entry

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            self._process.wait(30)


_server: _Server | None = None
_server_lock = threading.Lock()


def _the_server() -> _Server:
    global _server
    with _server_lock:
        if _server is None or _server._process.poll() is not None:
            _server = _Server()
        return _server


class Started:
    """A command under way: `communicate(timeout)` waits for it and gives (stdout, stderr)."""

    def __init__(self, args: list[str], env: dict | None, cwd: Path, file_size: int | None):
        self.args = ["python", "-m", "terrain", *args]
        self.returncode: int | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="terrain-command-")
        self._out, self._err = (os.path.join(self._folder.name, name) for name in ("stdout", "stderr"))
        self._entry = _the_server().submit({
            "argv": list(args), "env": dict(os.environ if env is None else env), "cwd": str(cwd),
            "out": self._out, "err": self._err, "file_size": file_size})

    def communicate(self, timeout: float = 180) -> tuple[str, str]:
        if not self._entry["ended"].wait(timeout):
            if self._entry["pid"]:
                os.kill(self._entry["pid"], signal.SIGKILL)
            raise subprocess.TimeoutExpired(self.args, timeout)
        if self._entry["status"] is None:
            raise RuntimeError("the command server stopped before the command ended (see the test's stderr)")
        self.returncode = self._entry["status"]
        said = tuple(Path(path).read_text(encoding="utf-8", errors="backslashreplace") if os.path.exists(path) else ""
                     for path in (self._out, self._err))
        self._folder.cleanup()
        return said


def start(args: list[str], *, env: dict | None = None, cwd: Path = ROOT, file_size: int | None = None) -> Started:
    """`python -m terrain *args` started, with `env` as its whole environment (the test
    process's by default) and, with `file_size`, no file it writes allowed past that many bytes."""
    return Started(args, env, cwd, file_size)


def run(args: list[str], *, env: dict | None = None, cwd: Path = ROOT, timeout: float = 180,
        file_size: int | None = None) -> subprocess.CompletedProcess:
    """`python -m terrain *args` run to its end: its exit status (-9 when it killed itself
    with SIGKILL), stdout and stderr, as `subprocess.run(..., capture_output=True, text=True)`."""
    started = start(args, env=env, cwd=cwd, file_size=file_size)
    out, err = started.communicate(timeout)
    return subprocess.CompletedProcess(started.args, started.returncode, out, err)


# --- in the server ------------------------------------------------------------------------------

def _child(request: dict, wakeup: tuple[int, int]) -> int:
    """What the forked child does: a new interpreter's state, then the command."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in wakeup:
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    tempfile.tempdir = None     # read again from TMPDIR, as a new interpreter would
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, request["out"]), (2, request["err"])):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdin = open(0, encoding="utf-8", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.argv = [str(ROOT / "terrain" / "__main__.py"), *request["argv"]]
    if request["file_size"] is not None:    # a disk that fills up: writes past it fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (request["file_size"],) * 2)
    from terrain.cli import main
    try:
        status = main(request["argv"])
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, int | None):
            print(done.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return int(status or 0)


def _serve() -> None:
    import importlib
    for name in PRELOAD:
        importlib.import_module(name)
    replies = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    wakeup = os.pipe()
    for fd in wakeup:
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wakeup[1])
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ)
    selector.register(wakeup[0], selectors.EVENT_READ)
    running: dict[int, int] = {}    # pid -> request id
    pending, open_ = b"", True
    while open_ or running:
        for key, _ in selector.select():
            if key.fd == 0:
                chunk = os.read(0, 1 << 16)
                if not chunk:
                    open_ = False
                    selector.unregister(0)
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    request = json.loads(line)
                    pid = os.fork()
                    if pid == 0:
                        replies.close()
                        os._exit(_child(request, wakeup))
                    running[pid] = request["id"]
                    print(json.dumps({"id": request["id"], "pid": pid}), file=replies)
            else:
                try:
                    while os.read(wakeup[0], 512):
                        pass
                except BlockingIOError:
                    pass
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            print(json.dumps({"id": running.pop(pid), "status": os.waitstatus_to_exitcode(status)}), file=replies)


if __name__ == "__main__":
    _serve()

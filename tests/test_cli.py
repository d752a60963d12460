"""The command line as one package: every command routed by `python -m terrain`, the exit
status contract of the router, and the runtime kept apart from the commands and the tools."""

from __future__ import annotations

import ast
import importlib
import os
import signal
import subprocess
import sys

import pytest

from terrain import ROOT, cli, store
from terrain.__main__ import main
from tests import commands, fixture_data

RUNTIME = [path for path in sorted((ROOT / "terrain").rglob("*.py"))
           if path.relative_to(ROOT / "terrain").parts[0] not in ("cli", "perf", "__main__.py")]
RUNTIME += [*sorted((ROOT / "pages").glob("*.py")), ROOT / "dashboard.py"]
# Maintainers' scripts that write committed files again (docs/demo-data.md's tables, the DHIS2
# example of examples/dhis2/), run as `python -m` on their module; not commands of the app.
SCRIPTS = {"terrain/demo_calibration.py", "terrain/importing/dhis2.py"}


def _imported(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("name", list(cli.COMMANDS))
def test_every_command_is_routed_and_says_its_own_usage(name, capsys):
    assert main([name, "--help"]) == cli.DONE
    assert capsys.readouterr().out.startswith(f"usage: python -m terrain {name} ")


def test_the_router_lists_every_command_and_refuses_an_unknown_one(capsys):
    assert main(["--help"]) == cli.DONE
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()[3:]]
    assert listed == list(cli.COMMANDS)
    assert main([]) == cli.BAD
    assert main(["bilan"]) == cli.BAD
    assert capsys.readouterr().err.startswith("Unknown command 'bilan'.")


def test_each_command_module_has_its_command():
    for module, _ in cli.COMMANDS.values():
        assert callable(importlib.import_module(module).command), module


def test_python_dash_m_terrain_runs_the_same_router():
    done = subprocess.run([sys.executable, "-m", "terrain", "templates", "--help"], cwd=ROOT, check=False,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == cli.DONE
    assert done.stdout.startswith("usage: python -m terrain templates ")
    refused = subprocess.run([sys.executable, "-m", "terrain", "bilan"], cwd=ROOT, check=False, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == cli.BAD and refused.stdout == ""


@pytest.mark.parametrize("args", [["templates", "--help"], ["bilan"], ["import", "--table", "nowhere", "x.csv"],
                                  ["rollback", "--db", "/nonexistent/folder/terrain.duckdb", "--lang", "en"]])
def test_a_forked_command_says_and_exits_as_python_dash_m_terrain_does(args, tmp_path):
    # tests/commands.py forks the crash tests' writers from a server that imported the
    # command line once: what they print and how they end must be what `python -m terrain` does.
    env = {**os.environ, "TERRAIN_AUDIT_DIR": str(tmp_path / "audit")}
    real = subprocess.run([sys.executable, "-m", "terrain", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    forked = commands.run(args, env=env)
    assert (forked.returncode, forked.stdout, forked.stderr) == (real.returncode, real.stdout, real.stderr)
    assert forked.stdout + forked.stderr != ""


def test_a_forked_writer_killed_at_a_step_ends_as_a_killed_process_does(tmp_path):
    db = fixture_data.build(tmp_path / "terrain.duckdb", is_synthetic=False, approved=False)
    env = {**os.environ, "TERRAIN_AUDIT_DIR": str(tmp_path / "audit"), "TERRAIN_FAULT_AT": "intent_written"}
    csv = tmp_path / "weather.csv"
    csv.write_text("city;day;tmin_c;tmax_c;vigilance\nCalais;2024-04-01;-2,5;4;yellow\n", encoding="utf-8")
    killed = commands.run(["import", str(csv), "--table", "weather_daily", "--db", str(db), "--lang", "en"], env=env)
    assert killed.returncode == -signal.SIGKILL and (db.parent / f"{db.name}{store.INTENT_SUFFIX}").exists()


@pytest.mark.parametrize("path", RUNTIME, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_runtime_imports_neither_the_commands_nor_the_tools(path):
    assert not {name for name in _imported(path)
                if name.split(".")[:2] in (["terrain", "cli"], ["terrain", "perf"]) or name == "terrain.__main__"}


@pytest.mark.parametrize("path", RUNTIME, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_runtime_module_parses_arguments(path):
    if str(path.relative_to(ROOT)) in SCRIPTS:
        pytest.skip("a maintainer's script")
    assert "argparse" not in _imported(path)


def test_templates_into_a_folder_that_cannot_be_made_is_one_line_in_each_language(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["templates", "--out", str(blocker / "templates")]) == cli.BAD
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.splitlines() == [f"Opération impossible\u00a0: Not a directory: {blocker / 'templates'}",
                                     f"  Could not be done: Not a directory: {blocker / 'templates'}"]

"""docs/architecture.md matches the code: the modules it names exist, every module is named,
and the layers it draws hold (pages lay out, the door and disclosure know nothing of Streamlit,
imports go one way)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from terrain import ROOT, roles

DOC = ROOT / "docs" / "architecture.md"
PAGES = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "dashboard.py"]
MODULES = sorted(path for path in (ROOT / "terrain").rglob("*.py") if "__pycache__" not in path.parts)


def _named_paths() -> set[str]:
    return set(re.findall(r"`((?:terrain|config|queries|pages|tests|docs)/[^`*<>]+)`", DOC.read_text()))


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """The modules a file imports (`from terrain import ui` counts as terrain.ui)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_path_the_page_names_exists():
    named = _named_paths()
    assert len(named) > 60
    assert sorted(path for path in named if not (ROOT / path).exists()) == []


def test_every_module_of_terrain_is_named_or_lies_in_a_named_package():
    named = {path.rstrip("/") for path in _named_paths()}
    unnamed = []
    for path in MODULES:
        relative = path.relative_to(ROOT)
        if relative.name in ("__init__.py", "__main__.py") and relative.parent.as_posix() == "terrain":
            continue
        if not any(str(relative) == name or relative.is_relative_to(name) for name in named):
            unnamed.append(str(relative))
    assert unnamed == []


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_a_page_neither_reads_the_role_nor_reaches_below_the_ui(path):
    imported = _imports(path)
    assert not imported & {"terrain.roles", "terrain.queries", "duckdb", "terrain.store.connect"}
    assert not any(name.startswith("terrain.queries") for name in imported)
    # no branch on a role: a role's name written in a page is a rule that belongs in terrain/ui/views.py
    strings = {node.value for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Constant)
               and isinstance(node.value, str)}
    assert not strings & set(roles.ROLES)
    assert "role" not in {node.id for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Name)}


@pytest.mark.parametrize("package", ["terrain/queries", "terrain/disclosure"])
def test_the_door_and_disclosure_know_nothing_of_streamlit_nor_of_the_ui(package):
    for path in sorted((ROOT / package).glob("*.py")):
        imported = _imports(path)
        assert not {name for name in imported if name.split(".")[0] == "streamlit"
                    or name.startswith(("terrain.ui", "terrain.charts", "terrain.cli", "terrain.perf"))}, path


def test_the_store_reads_no_query_and_draws_nothing():
    imported = _imports(ROOT / "terrain" / "store.py")
    assert not {name for name in imported if name.startswith(("terrain.queries", "terrain.ui", "terrain.charts",
                                                                 "streamlit"))}


def test_imports_at_the_top_of_modules_go_one_way():
    """No cycle among the modules of terrain/ through their top-level imports."""
    known = {_module_name(path): path for path in MODULES}
    graph = {}
    for name, path in known.items():
        targets = set()
        for imported in _imports(path, top_level_only=True):
            while imported and imported not in known:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and not name.startswith(imported + "."):
                targets.add(imported)
        graph[name] = targets
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle.extend(trail[trail.index(target):] + [node, target] if target in trail else [node, target])
                return True
            if target not in state and visit(target, trail + [node]):
                return True
        state[node] = 2
        return False

    for node in sorted(graph):
        if node not in state and visit(node, []):
            break
    assert cycle == []

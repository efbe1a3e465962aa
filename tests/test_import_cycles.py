"""Core's modules import each other in one direction only.

A cycle among module-level imports makes the import order matter (the
second module of the circle sees the first half-initialised) and makes
every module of the circle load with any one of them. Imports inside
functions (the deliberate lazy ones) and under ``if TYPE_CHECKING:`` count
too: they still tie the modules together, and a module that needs another
only lazily to avoid a cycle is hiding a layering problem.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "core"
PACKAGE = "missionbase.core"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(CORE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def core_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(CORE.rglob("*.py"))}


class ImportsOf(ast.NodeVisitor):
    """Every core module a file imports: at module level, lazily in a function, or for type checking."""

    def __init__(self, package: str, known: set[str]) -> None:
        self.package = package
        self.known = known
        self.found: set[str] = set()

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")[: len(self.package.split(".")) - (node.level - 1)]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module or ""
        for alias in node.names:
            # ``from . import fields`` imports the submodule, not the package's own code.
            submodule = f"{module}.{alias.name}"
            self.found.add(submodule if submodule in self.known else module)


def import_graph() -> dict[str, set[str]]:
    modules = core_modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        visitor = ImportsOf(package, set(modules))
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        graph[name] = {dep for dep in visitor.found if dep in modules and dep != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of two or more modules, as one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph[node]):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(graph, group) for group in groups]


def _path_through(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest way from the group's first module back to itself, for the message."""
    start = min(group)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for dep in sorted(graph[node] & group):
                if dep == start:
                    path = [start]
                    while node != start:
                        path.append(node)
                        node = previous[node]
                    return [start, *reversed(path[1:]), start]
                if dep not in previous:
                    previous[dep] = node
                    following.append(dep)
        frontier = following
    return sorted(group)


def test_the_cycle_finder_names_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_visitor_counts_lazy_and_type_checking_imports():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import fields\n"
        "from .errors import ValidationError\n"
        "if TYPE_CHECKING:\n"
        "    from .app import App\n"
        "def later():\n"
        "    from .records import RecordService\n"
    )
    known = {f"{PACKAGE}.fields", f"{PACKAGE}.errors", f"{PACKAGE}.app", f"{PACKAGE}.records"}
    visitor = ImportsOf(PACKAGE, known)
    visitor.visit(ast.parse(source))
    assert visitor.found & known == known


def test_core_modules_have_no_import_cycle():
    found = cycles(import_graph())
    short = [" -> ".join(name.removeprefix(PACKAGE + ".") for name in cycle) for cycle in found]
    assert not found, "import cycles among core modules:\n  " + "\n  ".join(short)


def test_each_core_module_imports_on_its_own():
    """In a fresh interpreter, one module at a time (each import's dependencies load first).

    A module that works only when something else happened to import first fails here.
    """
    names = [name for name in core_modules() if not name.endswith((".__main__", ".migrations.env"))]
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    loaded = {m for m in sys.modules if m.startswith('missionbase')}\n"
        "    for m in loaded:\n"
        "        del sys.modules[m]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *names], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""The import graph of ganbench/ and plugins/, read with :mod:`ast` (nothing is imported).

Rules it checks (tests/core/test_import_graph.py runs it):

* no import circles. Every ``import``/``from ... import`` counts wherever it is written, inside a function
  too: a lazy import that closes a loop only moves the circle from import time to call time, and the two
  modules still cannot be understood or changed one without the other. Imports under ``if TYPE_CHECKING:``
  do not count (they never run; they name types for annotations). A submodule's implicit import of its
  parent package's ``__init__`` does not count either (a package that re-exports its parts is not a loop);
* no module imports another module's private name: ``from m import _name``, or ``m._name`` on a module
  bound by ``import m``. Dunder names (``__version__``) are public.

Usage::

    python tools/import_graph.py            # list circles and private imports; exit 1 if any
    python tools/import_graph.py --edges    # also print every module's internal imports
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Import:
    source: str
    """The importing module."""
    target: str
    """The imported module (internal modules only)."""
    path: str
    """The importing module's file, relative to the repository."""
    line: int
    private: tuple[str, ...] = ()
    """Private names taken from ``target``."""


def package_roots(repo: Path = REPO) -> dict[str, Path]:
    """Top-level importable name -> folder (or ``.py`` file): ganbench/ and every built-in plugin."""
    roots = {"ganbench": repo / "ganbench"}
    for path in sorted((repo / "plugins").iterdir()):
        if path.name.startswith((".", "_")) or path.name.endswith(".egg-info"):
            continue
        if (path / "__init__.py").is_file():
            roots[_plugin_name(path.name)] = path
        elif path.suffix == ".py":
            roots[_plugin_name(path.stem)] = path
    return roots


def _plugin_name(name: str) -> str:
    """The import name of ``plugins/<name>``: ``ganbench_<x>`` stays, a bare ``<x>`` is ``ganbench.builtins.<x>``."""
    return name if name.startswith("ganbench_") else f"ganbench.builtins.{name}"


def module_files(roots: Mapping[str, Path]) -> dict[str, Path]:
    """Module name -> source file, for every ``.py`` under the roots (packages as their ``__init__``)."""
    modules: dict[str, Path] = {}
    for name, root in roots.items():
        if root.is_file():
            modules[name] = root
            continue
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((name, *parts))] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, skipping the bodies of ``if TYPE_CHECKING:`` (their ``else`` runs, so it is kept)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _internal(name: str, modules: Mapping[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of ours (``a.b.c`` when only ``a.b`` exists: ``a.b``)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def imports_of(module: str, modules: Mapping[str, Path]) -> list[Import]:
    """The internal imports ``module`` makes at run time (see the module docstring for what counts)."""
    path = modules[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    where = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)
    found: list[Import] = []
    aliases: dict[str, str] = {}  # local name -> internal module, for ``m._name`` look-ups
    nodes = list(_statements(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _internal(alias.name, modules)
                if target is None:
                    continue
                found.append(Import(module, target, where, node.lineno))
                if alias.asname:
                    aliases[alias.asname] = target
                elif target == alias.name:
                    aliases[alias.name] = target
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:  # ``from pkg import submodule``
                    found.append(Import(module, submodule, where, node.lineno))
                    aliases[alias.asname or alias.name] = submodule
                    continue
                target = _internal(base, modules)
                if target is None:
                    continue
                private = (alias.name,) if _is_private(alias.name) else ()
                found.append(Import(module, target, where, node.lineno, private))
    for node in nodes:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _is_private(node.attr):
            target = aliases.get(node.value.id)
            if target is not None and f"{target}.{node.attr}" not in modules:
                found.append(Import(module, target, where, node.lineno, (node.attr,)))
    return [imp for imp in found if imp.target != module]


def graph(modules: Mapping[str, Path]) -> dict[str, list[Import]]:
    return {module: imports_of(module, modules) for module in sorted(modules)}


def cycles(edges: Mapping[str, list[Import]]) -> list[list[str]]:
    """Each strongly connected component of more than one module (Tarjan), as a sorted list: every circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(edges) + 100))

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for imp in edges.get(node, ()):
            if imp.target not in index:
                visit(imp.target)
                low[node] = min(low[node], low[imp.target])
            elif imp.target in on_stack:
                low[node] = min(low[node], index[imp.target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def describe_cycle(component: list[str], edges: Mapping[str, list[Import]]) -> str:
    """``a -> b (a.py:3) -> a (b.py:9)``: the shortest loop through the component's first module."""
    members = set(component)
    start = component[0]
    came_from: dict[str, Import] = {}
    frontier = [start]
    while frontier:  # breadth first: the first import back to ``start`` closes a shortest loop
        following = []
        for node in frontier:
            for imp in edges[node]:
                if imp.target == start:
                    loop = [imp]
                    while loop[-1].source != start:
                        loop.append(came_from[loop[-1].source])
                    return " -> ".join([start, *(f"{i.target} ({modules_line(i)})" for i in reversed(loop))])
                if imp.target in members and imp.target not in came_from:
                    came_from[imp.target] = imp
                    following.append(imp.target)
        frontier = following
    return " <-> ".join(component)  # unreachable for a strongly connected component


def modules_line(imp: Import) -> str:
    return f"{imp.path}:{imp.line}"


def private_imports(edges: Mapping[str, list[Import]]) -> list[Import]:
    return [imp for imports in edges.values() for imp in imports if imp.private]


def main(argv: list[str]) -> int:
    edges = graph(module_files(package_roots()))
    if "--edges" in argv:
        for module, imports in edges.items():
            print(module, "->", ", ".join(sorted({i.target for i in imports})) or "-")
    problems = [f"circle: {describe_cycle(c, edges)}" for c in cycles(edges)]
    problems += [f"private import: {modules_line(i)} takes {', '.join(i.private)} from {i.target}" for i in
                 private_imports(edges)]  # fmt: skip
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

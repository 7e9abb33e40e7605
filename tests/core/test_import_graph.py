"""No import circles and no borrowed private names in ganbench/ and plugins/ (tools/import_graph.py).

A lazy import inside a function counts: it moves a circle from import time to call time, and the two
modules still cannot change one without the other. ``if TYPE_CHECKING:`` imports do not (they never run).
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("import_graph", REPO / "tools" / "import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


ig = _tool()


def _write(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return ig.module_files({"pkg": root / "pkg"})


def test_the_house_has_no_import_circle_and_no_private_import():
    roots = ig.package_roots()
    edges = ig.graph(ig.module_files(roots))
    assert len(roots) > 5 and all(root in edges for root in roots)  # ganbench and every built-in plugin
    assert len(edges) > 100 and "ganbench.cli.run" in edges
    circles = [ig.describe_cycle(c, edges) for c in ig.cycles(edges)]
    assert circles == []
    private = [f"{ig.modules_line(i)} takes {i.private} from {i.target}" for i in ig.private_imports(edges)]
    assert private == []


def test_a_lazy_import_in_a_function_closes_a_circle(tmp_path: Path):
    modules = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import f\n",
            "pkg/b.py": "def f():\n    from pkg import a\n    return a\n",
            "pkg/c.py": "from . import a\n",
        },
    )
    edges = ig.graph(modules)
    assert ig.cycles(edges) == [["pkg.a", "pkg.b"]]
    text = ig.describe_cycle(["pkg.a", "pkg.b"], edges)
    assert text.startswith("pkg.a -> pkg.b (") and text.endswith("b.py:2)")


def test_type_checking_imports_and_parent_packages_do_not_count(tmp_path: Path):
    modules = _write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.a import A\n",  # re-export: a's implicit parent import is not an edge
            "pkg/a.py": "from typing import TYPE_CHECKING\nfrom pkg.b import g\nif TYPE_CHECKING:\n"
            "    from pkg.b import B\nelse:\n    B = None\nA = 1\n",
            "pkg/b.py": "import typing\nif typing.TYPE_CHECKING:\n    from pkg.a import A\ndef g(): ...\nB = 2\n",
        },
    )
    edges = ig.graph(modules)
    assert ig.cycles(edges) == []
    assert sorted(i.target for i in edges["pkg.a"]) == ["pkg.b"]


def test_an_else_branch_of_type_checking_still_counts(tmp_path: Path):
    modules = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "import pkg.b\n",
            "pkg/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nelse:\n    from .a import x\n",
        },
    )
    assert ig.cycles(ig.graph(modules)) == [["pkg.a", "pkg.b"]]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("from pkg.a import _helper\n", "_helper"),
        ("from .a import public, _helper as h\n", "_helper"),
        ("import pkg.a as a\nx = a._helper\n", "_helper"),
        ("from pkg import a\ndef f():\n    return a._CONSTANT\n", "_CONSTANT"),
    ],
)
def test_a_private_name_taken_from_another_module_is_found(tmp_path: Path, source: str, name: str):
    modules = _write(
        tmp_path,
        {"pkg/__init__.py": "", "pkg/a.py": "_helper = _CONSTANT = public = 1\n", "pkg/b.py": source},
    )
    found = ig.private_imports(ig.graph(modules))
    assert [(i.source, i.target, i.private) for i in found] == [("pkg.b", "pkg.a", (name,))]


def test_dunders_own_names_and_private_modules_are_fine(tmp_path: Path):
    modules = _write(
        tmp_path,
        {
            "pkg/__init__.py": "__version__ = '1'\n",
            "pkg/_impl.py": "def run(): ...\n",
            "pkg/a.py": "from pkg import __version__\nfrom pkg import _impl\n_mine = 1\nx = _mine\n",
        },
    )
    assert ig.private_imports(ig.graph(modules)) == []


def test_the_command_line_exits_1_on_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    modules = _write(
        tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "from pkg.b import x\n", "pkg/b.py": "import pkg.a\n"}
    )
    monkeypatch.setattr(ig, "module_files", lambda roots: modules)
    assert ig.main([]) == 1
    assert "circle: pkg.a -> pkg.b" in capsys.readouterr().out

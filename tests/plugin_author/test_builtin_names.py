"""Third-party packages named like the built-in plugins install beside ganbench, and both load (issue 21).

The built-ins live in ``ganbench.builtins.<name>``, so the conventional third-party pattern
``ganbench-<name>`` -> module ``ganbench_<name>`` never collides with them, for any built-in name.
"""

from __future__ import annotations

import json

import pytest

from ganbench.cli import main
from ganbench.registry import BUILTIN_DISTRIBUTION, get_registry
from tests.plugin_author.helpers import pip_install, run_ganbench, subprocess_env


def builtin_plugin_names() -> list[str]:
    return sorted(p.origin.plugin for p in get_registry().plugins if p.origin.distribution == BUILTIN_DISTRIBUTION)


def test_builtins_are_inside_the_ganbench_package():
    import importlib

    for name in builtin_plugin_names():
        module = importlib.import_module(f"ganbench.builtins.{name}")
        assert module.__name__ == f"ganbench.builtins.{name}"
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(f"ganbench_{name}")  # the name a third-party ganbench-<name> takes


@pytest.mark.slow
def test_packages_named_like_each_builtin_install_beside_ganbench_and_all_load(tmp_path, capsys):
    builtins = builtin_plugin_names()
    assert {"vanilla", "pacgan", "metrics", "training"} <= set(builtins)
    packages = []
    for name in builtins:  # scaffolded exactly as a plugin author would
        with pytest.raises(SystemExit) as exit_info:
            main(["new-plugin", f"ganbench-{name}", "--dest", str(tmp_path / "src")])
        assert exit_info.value.code == 0, capsys.readouterr().err
        packages.append(tmp_path / "src" / f"ganbench-{name}")
    site = pip_install(*packages, site=tmp_path / "site", workdir=tmp_path / "build")
    assert not (site / "ganbench").exists(), "a third-party package must not write into ganbench's package"

    result = run_ganbench("--strict", "plugins", "--json", env=subprocess_env(site))
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assert listing["problems"] == []
    loaded = {(p["distribution"], p["plugin"]) for p in listing["plugins"]}
    for name in builtins:
        assert (BUILTIN_DISTRIBUTION, name) in loaded
        assert (f"ganbench-{name}", f"ganbench_{name}") in loaded
    components = {c for p in listing["plugins"] for c in p["components"]}
    assert {"variant:ganbench-pacgan", "variant:pacgan2", "generator:ganbench-vanilla", "generator:dcgan"} <= components

"""Suites shipped with ganbench: ``ganbench run --suite NAME``."""

from __future__ import annotations

import pytest

from ganbench.cli import main
from ganbench.registry import get_registry
from ganbench.runner.suite_config import SuiteError, builtin_suite, builtin_suites, load_suite


def test_ci_suite_parses_and_names_registered_things():
    suite = load_suite(builtin_suite("ci"))
    registry = get_registry()
    assert suite["name"] == "ci"
    for variant in suite["variants"]:
        registry.variant(variant)
    for dataset in suite["datasets"]:
        registry.dataset(dataset)
    assert "ci" in builtin_suites()


def test_unknown_suite_lists_the_shipped_ones():
    with pytest.raises(SuiteError, match="unknown suite 'nope'; valid choices: ci"):
        builtin_suite("nope")


def test_suite_and_config_together_is_a_user_error(tmp_path, capsys):
    config = tmp_path / "s.toml"
    config.write_text('variants = ["dcgan"]\n')
    with pytest.raises(SystemExit) as info:
        main(["run", "--suite", "ci", "--config", str(config), "--results-dir", str(tmp_path)])
    assert info.value.code == 2
    assert "either --suite or --config" in capsys.readouterr().err

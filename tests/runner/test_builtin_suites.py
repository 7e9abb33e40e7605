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


@pytest.mark.parametrize("name", ["pacgan-2d", "pacgan-2d-cpu"])
def test_pacgan_suites_run_table1s_settings(name):
    from ganbench.results.references import load_reference

    suite = load_suite(builtin_suite(name))
    registry = get_registry()
    reference = load_reference("pacgan-table1")
    assert suite["name"] == name and suite["vectorize_seeds"] is True
    assert sorted(suite["variants"]) == sorted({c.variant for c in reference.cells})
    assert sorted(suite["datasets"]) == sorted({c.dataset for c in reference.cells})
    for variant in suite["variants"]:
        registry.variant(variant)
    assert "batch_size" not in suite and "lr_g" not in suite, "the recipe's values, not the suite's"
    assert suite["eval_samples"] == 2500 and suite["data_options"] == {"size": 100_000}
    if name == "pacgan-2d":
        assert suite["steps"] == 400_000 and suite["seeds"] == list(range(10))
    else:
        assert 2 <= len(suite["seeds"]) <= 10 and suite["steps"] < 400_000

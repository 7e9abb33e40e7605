"""The command line: run end to end, one-line user errors, plugins and datasets listings.

In-process (:mod:`tests.inprocess`) except the installed console script itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.distributions import make_distribution
from tests.inprocess import ganbench

GANBENCH = [sys.executable, "-m", "ganbench"]
ENTRY_POINT = Path(sys.executable).with_name("ganbench")
"""The console script ``pip install`` wrote next to this Python (``[project.scripts]``)."""


def test_version():
    result = ganbench("--version")
    assert result.returncode == 0 and result.stdout.startswith("ganbench ")


def test_unknown_variant_is_one_line_with_choices():
    result = ganbench("run", "--plugins", "nope", "--dataset", "ring8")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "'nope'" in lines[0] and "dcgan" in lines[0] and "infogan" in lines[0]


def test_the_installed_console_script_runs():
    """The ``ganbench`` script pip wrote runs as a process (``--version`` imports no torch: a fraction of a second).

    The real process's exit status for a user error: ``test_reliability_round3.py``.
    """
    assert ENTRY_POINT.is_file(), f"{ENTRY_POINT} is missing: the package is not installed with its script"
    version = subprocess.run([ENTRY_POINT, "--version"], capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("ganbench "), version.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--dataset", "nope"], "unknown dataset 'nope'"),
        (["run", "--steps", "abc"], "--steps"),
        (["run", "--steps", "0"], "--steps must be at least 1"),
        (["run", "--device", "tpu"], "unknown device 'tpu'"),
        (["run", "--seeds", "a,b"], "--seeds"),
        (["run", "--generator", "nope"], "unknown generator 'nope'"),
        (["run", "--plugins", "dcgan", "--generator", "dcgan", "--dataset", "ring8"], "does not support points data"),
    ],
)
def test_user_errors_are_one_line(args, needle, tmp_path):
    result = ganbench(*args, "--results-dir", str(tmp_path))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert not any(tmp_path.iterdir()), "nothing may be written before validation passes"


def test_plugins_lists_builtins_only_with_empty_env(tmp_path):
    site = make_distribution(
        tmp_path / "site", "gb-fixture-good", "gbfixture_cli_good", "from ganbench.plugin import hookimpl\n"
    )
    env = {"PYTHONPATH": str(site), "GANBENCH_LOAD_PLUGINS": ""}
    result = ganbench("plugins", "--json", env=env)
    assert result.returncode == 0, result.stderr
    distributions = {p["distribution"] for p in json.loads(result.stdout)["plugins"]}
    assert distributions == {"ganbench"}
    env.pop("GANBENCH_LOAD_PLUGINS")
    result = ganbench("plugins", "--json", env=env)
    assert "gb-fixture-good" in {p["distribution"] for p in json.loads(result.stdout)["plugins"]}


def test_broken_plugin_warns_once_and_plugins_still_works(tmp_path):
    site = make_distribution(
        tmp_path / "site", "gb-fixture-broken", "gbfixture_cli_broken", "raise ImportError('nope')\n"
    )
    result = ganbench("plugins", env={"PYTHONPATH": str(site)})
    assert result.returncode == 0
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "gb-fixture-broken" in warnings[0], result.stderr
    assert "vanilla" in result.stdout
    strict = ganbench("--strict", "plugins", env={"PYTHONPATH": str(site)})
    assert strict.returncode == 2 and "gb-fixture-broken" in strict.stderr
    strict_env = ganbench("plugins", env={"PYTHONPATH": str(site), "GANBENCH_STRICT_PLUGINS": "1"})
    assert strict_env.returncode == 2


def test_plugins_requirements_pins():
    result = ganbench("plugins", "--requirements", env={"GANBENCH_LOAD_PLUGINS": ""})
    assert result.returncode == 0
    assert result.stdout.strip().startswith("ganbench==")


def test_datasets_lists_embedded_ones():
    result = ganbench("datasets", "--json")
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert records["ring8"]["present"] and records["ring8"]["where"] == "embedded"
    assert records["digits"]["channels"] == 1


def test_run_writes_cells_and_table(tmp_path):
    result = ganbench(
        "run", "--plugins", "dcgan,infogan", "--dataset", "ring8", "--steps", "30", "--seeds", "0,1",
        "--results-dir", str(tmp_path), "--out", "t", "--eval-samples", "500",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run_dir = tmp_path / "t"
    table = pd.read_csv(run_dir / "results.csv")
    assert len(table) == 4 and set(table["status"]) == {"ok"}
    assert set(table["generator"]) == {"mlp"}
    assert pd.read_parquet(run_dir / "results.parquet").shape == table.shape
    for cell in ("dcgan-ring8-s0", "infogan-ring8-s1"):
        for name in ("config.json", "metrics.json", "history.csv", "samples.png", "generator.pt"):
            assert (run_dir / cell / name).is_file(), (cell, name)
    assert (run_dir / "infogan-ring8-s1" / "traversal.png").is_file()
    history = pd.read_csv(run_dir / "infogan-ring8-s1" / "history.csv")  # the loss terms, next to the losses
    d_terms, g_terms = ["d_real", "d_fake", "d_info_cat", "d_info_cont"], ["g_adv", "g_info_cat", "g_info_cont"]
    assert list(history.columns) == ["step", "d_loss", "g_loss", *d_terms, *g_terms]
    assert history.notna().all().all()
    assert "dcgan" in result.stdout and "infogan" in result.stdout
    assert not list(run_dir.rglob("*.tmp"))


# -- evaluation seams and discovery (issue 13) ------------------------------------------------
@pytest.mark.parametrize(
    ("flag", "value", "needle"),
    [
        ("--extractor", "nope", "extractor 'nope'; valid choices: ganbench-digits, inception-v3-compat, raw"),
        ("--metrics", "fid,nope",
         "unknown metric 'nope'; valid choices: cas, class_accuracy, code-accuracy, fid, intra_fid, modes, ndb, prdc"),
    ],
)  # fmt: skip
def test_unknown_extractor_or_metric_fails_before_training(flag, value, needle, tmp_path):
    result = ganbench(
        "run", "--plugins", "dcgan", "--dataset", "digits", flag, value, "--results-dir", str(tmp_path), "--steps", "5"
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert not any(tmp_path.iterdir()), "nothing may be written (nor trained) before validation passes"


def test_extractor_for_the_wrong_kind_of_data_fails_before_training(tmp_path):
    result = ganbench(
        "run", "--plugins", "dcgan", "--dataset", "ring8", "--extractor", "inception-v3-compat",
        "--results-dir", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 2 and "does not support points data" in result.stderr, result.stderr
    assert not any(tmp_path.iterdir())


def test_run_with_selected_metrics_fills_only_their_columns(tmp_path):
    result = ganbench(
        "run", "--plugins", "dcgan", "--dataset", "ring8", "--steps", "5", "--eval-samples", "200",
        "--metrics", "modes", "--results-dir", str(tmp_path), "--out", "m", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = json.loads(next((tmp_path / "m").glob("*/metrics.json")).read_text())
    assert row["modes_total"] == 8 and row["status"] == "ok"
    assert "fid" not in row and "precision" not in row


def test_plugins_components_shows_options_with_defaults():
    table = ganbench("plugins", "--components")
    assert table.returncode == 0, table.stderr
    assert "noise_dim: int = 16" in table.stdout and "hidden: int = 256" in table.stdout
    assert "depth: int = 3" in table.stdout and "column fid ↓" in table.stdout
    listing = json.loads(ganbench("plugins", "--components", "--json").stdout)["components"]
    mlp = next(r for r in listing if (r["kind"], r["name"]) == ("generator", "mlp"))
    assert [(o["name"], o["default"]) for o in mlp["options"]] == [("noise_dim", 16), ("hidden", 256), ("depth", 3)]
    kinds = {r["kind"] for r in listing}
    assert {"generator", "discriminator", "loss", "dataset", "variant", "metric", "extractor"} <= kinds


def test_strict_plugins_catches_an_unknown_train_option(tmp_path):
    source = """
from ganbench.plugin import Recipe, Variant, hookimpl

@hookimpl
def ganbench_register(registrar):
    registrar.add_variant(Variant("typo", "typo", {"points": Recipe("mlp", "mlp", "nonsaturating",
                                                                    train_options={"d_step": 5})}))
"""
    site = make_distribution(tmp_path / "site", "gb-fixture-typo", "gbfixture_cli_typo", source)
    env = {"PYTHONPATH": str(site), "GANBENCH_LOAD_PLUGINS": "gb-fixture-typo"}
    result = ganbench("--strict", "plugins", env=env)
    assert result.returncode == 2, result.stderr
    assert "unknown train option(s) d_step" in result.stderr and "d_steps" in result.stderr

"""The example third-party package, installed with pip for real and driven through ``ganbench``.

The installed copy is found on ``sys.path`` through its entry points exactly as in a child process; the
command line runs in-process (:mod:`tests.inprocess`) except where a fresh process is the point (the
package's own test suite, and ``plugins --requirements`` as a user would run it).

Also the plugin API's stability guarantees as a user meets them: an installed
plugin built for another API version is refused by name, and ``ganbench
plugins --requirements`` pins installed plugin distributions.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import ganbench.plugin
from ganbench.registry import API_VERSION, PluginRegistry
from tests.distributions import make_distribution
from tests.inprocess import ganbench as ganbench_cli
from tests.plugin_author.helpers import EXAMPLE, EXAMPLE_DISTRIBUTION, run_ganbench, subprocess_env

VARIANTS = ("wgan-gp", "hinge-sn", "lsgan")
EXPECTED_RECIPES = {  # (variant, data kind) -> (generator, discriminator, loss)
    ("wgan-gp", "points"): ("mlp", "critic-mlp", "wgan-gp"),
    ("wgan-gp", "image"): ("dcgan", "critic-dcgan", "wgan-gp"),
    ("hinge-sn", "points"): ("mlp", "sn-mlp", "hinge"),
    ("hinge-sn", "image"): ("dcgan", "sn-dcgan", "hinge"),
    ("lsgan", "points"): ("mlp", "mlp", "lsgan"),
    ("lsgan", "image"): ("dcgan", "dcgan", "lsgan"),
}
KIND = {"grid25": "points", "digits": "image"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_example_imports_only_the_public_plugin_api():
    """A third-party package must not reach into ganbench internals, or it breaks on any refactor."""
    sources = sorted((EXAMPLE / "src").rglob("*.py"))
    assert sources
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [(alias.name, None) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [(node.module, [alias.name for alias in node.names])]
            else:
                continue
            for module, names in modules:
                if module == "ganbench" or module.startswith("ganbench."):
                    assert module == "ganbench.plugin", f"{path.name} imports {module}"
                    assert names is not None and set(names) <= set(ganbench.plugin.__all__), (path.name, names)


def test_example_variants_run_through_ganbench_run(extra_losses_site, tmp_path):
    """Every variant of the package on a 2D mixture and on 1x16x16 digits, from the real command line.

    Batch size 16 keeps WGAN-GP's 100 critic steps (with double backward) cheap on a CPU.
    """
    env = subprocess_env(extra_losses_site, GANBENCH_LOAD_PLUGINS=EXAMPLE_DISTRIBUTION)
    result = ganbench_cli(
        "--strict", "run", "--plugins", ",".join(VARIANTS), "--dataset", "grid25,digits", "--steps", "20",
        "--batch-size", "16", "--no-eval", "--results-dir", str(tmp_path), "--out", "example", "--quiet",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run_dir = tmp_path / "example"
    table = pd.read_csv(run_dir / "results.csv")
    assert len(table) == len(VARIANTS) * 2
    assert (table["status"] == "ok").all(), table[["variant", "dataset", "status", "error"]].to_string()
    for row in table.itertuples():
        expected = EXPECTED_RECIPES[(row.variant, KIND[row.dataset])]
        assert (row.generator, row.discriminator, row.loss) == expected
        assert row.steps == 20

    configs = [json.loads(p.read_text()) for p in run_dir.glob("*/config.json")]
    wgan = [c for c in configs if c["variant"] == "wgan-gp"]
    assert len(wgan) == 2
    for config in wgan:  # Recipe.train_options reached the trainer
        train = config["train"]
        assert (train["d_steps"], train["lr_g"], train["lr_d"]) == (5, 1e-4, 1e-4)
        assert (train["beta1"], train["beta2"]) == (0.0, 0.9)
    lsgan_image = next(c for c in configs if c["variant"] == "lsgan" and c["dataset"] == "digits")
    assert lsgan_image["data_shape"] == [1, 16, 16] and lsgan_image["train"]["d_steps"] == 1


def test_example_training_seams_run_through_ganbench_run(extra_losses_site, tmp_path):
    """The unrolled-GAN variant (its training step) and the optimistic-Adam optimiser, installed with pip, on ring8.

    Both variants train with the package's optimiser for D; they differ only in the training step, so their
    results must differ too. Evaluation runs, so the cells are scored like any other.
    """
    env = subprocess_env(extra_losses_site, GANBENCH_LOAD_PLUGINS=EXAMPLE_DISTRIBUTION)
    result = ganbench_cli(
        "--strict", "run", "--plugins", "unrolled,dcgan", "--dataset", "ring8", "--steps", "20", "--batch-size", "32",
        "--optimizer-d", "optimistic-adam", "--eval-samples", "500", "--results-dir", str(tmp_path), "--out", "seams",
        "--quiet", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(tmp_path / "seams" / "results.csv").set_index("variant")
    assert (table["status"] == "ok").all(), table[["status", "error"]].to_string()
    assert table.loc["unrolled", "modes_total"] == 8
    assert table.loc["unrolled", "g_loss"] != table.loc["dcgan", "g_loss"]
    configs = {
        c["variant"]: c["train"]
        for c in map(json.loads, map(Path.read_text, (tmp_path / "seams").glob("*/config.json")))
    }
    assert configs["unrolled"]["training_step"] == "unrolled"
    assert configs["unrolled"]["training_step_options"] == {"unroll": 5}
    assert configs["dcgan"]["training_step"] == "alternating"
    assert {c["optimizer_d"] for c in configs.values()} == {"optimistic-adam"}
    assert {c["optimizer_g"] for c in configs.values()} == {"adam"}

    bad = ganbench_cli(
        "--strict", "run", "--plugins", "unrolled", "--dataset", "ring8", "--training-step-opt", "unroll=0",
        "--results-dir", str(tmp_path), "--out", "bad", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 2 and not (tmp_path / "bad").exists()
    assert bad.stderr.strip().splitlines() == [
        "ganbench: error: training step 'unrolled': option unroll=0 must be a positive integer"
    ]


@pytest.mark.slow
def test_example_package_own_tests_pass(extra_losses_site, tmp_path):
    """The package's unit tests (gradient penalty by hand, spectral norm, losses) against the installed copy.

    Its own end-to-end run is deselected: the test above runs the same variants more thoroughly.
    """
    tests = tmp_path / "tests"
    tests.mkdir()
    for source in (EXAMPLE / "tests").glob("*.py"):
        (tests / source.name).write_text(source.read_text())
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
        "-k", "not through_ganbench_run", str(tests),
    ]  # fmt: skip
    env = subprocess_env(extra_losses_site)
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", result.stdout) and "failed" not in result.stdout


def test_requirements_pin_the_installed_example(extra_losses_site):
    result = run_ganbench("plugins", "--requirements", env=subprocess_env(extra_losses_site))
    assert result.returncode == 0, result.stderr
    pins = {normalise(name): version for name, _, version in (line.partition("==") for line in result.stdout.split())}
    assert pins.get(EXAMPLE_DISTRIBUTION) == "0.1.0", result.stdout
    assert pins.get("ganbench") == ganbench.__version__


FUTURE_PLUGIN = """
from ganbench.plugin import API_VERSION, hookimpl

GANBENCH_API_VERSION = API_VERSION + 1

@hookimpl
def ganbench_register(registrar):
    raise AssertionError("a refused plugin must never be called")
"""


@pytest.fixture
def future_site(tmp_path, monkeypatch):
    site = make_distribution(tmp_path / "site", "gb-future-plugin", "gbfuture_plugin", FUTURE_PLUGIN, version="3.0")
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("gbfuture_plugin", None)


def test_incompatible_api_version_is_refused_by_name(future_site):
    registry = PluginRegistry(strict=False)
    registry.load_entry_points({"gb-future-plugin"})
    assert "gb-future-plugin" not in {p.origin.distribution for p in registry.plugins}
    [problem] = [p for p in registry.problems if p.origin.distribution == "gb-future-plugin"]
    message = str(problem)
    assert "'gbfuture_plugin'" in message and "gb-future-plugin 3.0" in message
    assert f"version {API_VERSION + 1}" in message and f"provides version {API_VERSION}" in message


def test_incompatible_api_version_is_reported_by_the_cli(future_site):
    env = subprocess_env(future_site, GANBENCH_LOAD_PLUGINS="gb-future-plugin")
    listing = ganbench_cli("plugins", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    data = json.loads(listing.stdout)
    assert "gb-future-plugin" not in {p["distribution"] for p in data["plugins"]}
    [problem] = [p for p in data["problems"] if p["plugin"] == "gbfuture_plugin"]
    assert f"version {API_VERSION + 1}" in problem["error"] and problem["distribution"] == "gb-future-plugin"
    warning = [line for line in listing.stderr.splitlines() if "gbfuture_plugin" in line]
    assert len(warning) == 1 and f"provides version {API_VERSION}" in warning[0], listing.stderr

    strict = ganbench_cli("--strict", "plugins", env=env)
    assert strict.returncode == 2
    lines = strict.stderr.strip().splitlines()
    assert len(lines) == 1 and "gbfuture_plugin" in lines[0] and f"version {API_VERSION + 1}" in lines[0], strict.stderr


def test_example_metric_and_extractor_through_ganbench_run(extra_losses_site, tmp_path):
    """The package's ``energy-distance`` column and its ``rff`` extractor, from the real command line.

    The metric is a default one, so it joins every evaluated row; ``--extractor rff`` puts FID, KID, PRDC
    and NDB on its features. ``compare`` then ranks the new column by its declared direction.
    """
    env = subprocess_env(extra_losses_site, GANBENCH_LOAD_PLUGINS=EXAMPLE_DISTRIBUTION)
    result = ganbench_cli(
        "--strict", "run", "--plugins", "lsgan", "--dataset", "ring8,digits", "--steps", "10", "--batch-size", "16",
        "--eval-samples", "300", "--extractor", "rff", "--results-dir", str(tmp_path), "--out", "eval", "--quiet",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "energy_distance" in result.stdout  # the printed table shows the plugin's column
    table = pd.read_csv(tmp_path / "eval" / "results.csv")
    assert (table["status"] == "ok").all(), table[["dataset", "status", "error"]].to_string()
    assert (table["fid_extractor"] == "rff").all() and (table["fid_layer"] == "cos64").all()
    assert table["energy_distance"].notna().all() and (table["energy_distance"] > 0).all()
    assert table["fid"].notna().all() and table["precision"].notna().all()
    # A threshold without a sign takes the column's declared direction: known only through the plugin.
    compared = ganbench_cli(
        "compare", str(tmp_path / "eval"), str(tmp_path / "eval"), "--max-regress", "energy_distance=0", env=env
    )
    assert compared.returncode == 0, compared.stderr
    without = ganbench_cli(
        "compare", str(tmp_path / "eval"), str(tmp_path / "eval"), "--max-regress", "energy_distance=0",
        env=subprocess_env(GANBENCH_LOAD_PLUGINS=""),
    )  # fmt: skip
    assert without.returncode == 2 and "no known direction" in without.stderr, without.stderr


def test_example_extractor_is_listed_and_validated(extra_losses_site, tmp_path):
    env = subprocess_env(extra_losses_site, GANBENCH_LOAD_PLUGINS=EXAMPLE_DISTRIBUTION)
    listing = json.loads(ganbench_cli("plugins", "--components", "--json", env=env).stdout)["components"]
    ours = {(r["kind"], r["name"]) for r in listing if normalise(r["distribution"]) == EXAMPLE_DISTRIBUTION}
    assert {("metric", "energy-distance"), ("extractor", "rff")} <= ours
    result = ganbench_cli(
        "run", "--plugins", "lsgan", "--dataset", "ring8", "--extractor", "rf", "--results-dir", str(tmp_path), env=env
    )
    assert result.returncode == 2 and "valid choices: ganbench-digits, inception-v3-compat, raw, rff" in result.stderr

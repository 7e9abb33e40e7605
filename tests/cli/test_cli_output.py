"""What the CLI prints: instant help without torch, tables within the terminal width, one line per
finished cell when piped, the next commands at the end."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ganbench.cli import main
from ganbench.cli.progress import cell_line, duration
from ganbench.cli.tables import runs_table, summary_table
from ganbench.runner.plan import Cell

PROBE = """
import sys
from ganbench.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("LOADED", *sorted(m for m in ("torch", "pandas", "matplotlib", "ganbench.registry") if m in sys.modules))
"""


def _command_names() -> list[str]:
    import typer

    from ganbench.cli import app

    return sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("args", [["--version"], ["--help"], *([c, "--help"] for c in _command_names())])
def test_help_and_version_import_no_torch(args: list[str]):
    """Each in a fresh interpreter: nothing heavy is imported for help text or the version."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.strip().splitlines()[-1]
    assert loaded == "LOADED", f"{args} imported {loaded.split()[1:]}"
    assert ("ganbench" in proc.stdout) or ("Usage" in proc.stdout)


def _row(variant: str, dataset: str, seed: int, **metrics) -> dict:
    kind = "points" if dataset == "ring8" else "image"
    base = {"variant": variant, "dataset": dataset, "seed": seed, "steps": 3000, "status": "ok", "data_kind": kind,
            "data_stacked": False, "train_img_s": 5116.4, "wall_s": 12.25, "d_loss": 1.2, "g_loss": 0.7}  # fmt: skip
    return {**base, **metrics}


def _table() -> pd.DataFrame:
    rows = []
    for seed in (0, 1, 2):
        for variant in ("dcgan", "minibatch", "a-very-long-variant-name-that-goes-on-and-on"):
            rows.append(_row(variant, "ring8", seed, modes=8.0 - seed, hq_fraction=0.9, kl_modes=0.01 * seed,
                             fid=10534.2, precision=0.5, recall=0.4, ndb_k=0.2, coverage=0.3))  # fmt: skip
            rows.append(_row(variant, "cifar10", seed, fid=51.234 + seed, kid_mean=0.0123, precision=0.61,
                             recall=0.42, density=0.8, coverage=0.7, ndb_k=0.3, modes=float("nan")))  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_tables_fit_the_width_with_headline_metrics_first(width: int):
    table = _table()
    for text in (runs_table(table, width=width), summary_table(table, width=width)):
        lines = text.splitlines()
        assert max(map(len, lines)) <= width, max(lines, key=len)
        assert "e+" not in text  # no scientific notation
    runs = runs_table(table, width=120)
    points, images = runs.split("\n\nimages:\n")
    assert points.startswith("2D points:\n")
    header = points.splitlines()[1].split()
    assert header[:5] == ["variant", "dataset", "seed", "steps", "status"]
    assert header[5:8] == ["modes↑", "hq_fraction↑", "kl_modes↓"]
    assert images.splitlines()[0].split()[5:9] == ["fid↓", "kid_mean(raw)↓", "precision↑", "recall↑"]
    assert "fid" not in points.splitlines()[1]  # raw-coordinate FID is no headline metric on 2D data
    assert "5116" in runs and "5116.4" not in runs  # train_img_s: 0 decimals


def test_summary_formats_each_metric_with_fixed_decimals():
    text = summary_table(_table(), width=200)
    assert "8.0 ± 1.0" not in text  # 8, 7, 6 -> mean 7.0 ± 1.0
    assert "7.0 ± 1.0" in text
    assert "52.23 ± 1.00" in text  # fid: 2 decimals for mean and std
    assert "0.0123 ± 0.0000" in text  # kid: 4 decimals


def test_wide_prints_every_column():
    table = _table()
    narrow, wide = runs_table(table, width=100), runs_table(table, width=100, wide=True)
    assert "ndb_k" not in narrow and "ndb_k" in wide and "coverage" in wide


def test_a_plugin_metric_column_follows_the_headline_metrics():
    """A column an installed plugin declared is what its user came for: shown without --wide (if it fits)."""
    from ganbench import columns

    columns.register_column(columns.MetricColumn("test_plugin_score", "higher", "a plugin's column"))
    table = _table().assign(test_plugin_score=0.5)
    header = runs_table(table, width=200).splitlines()[1].split()
    assert header[5:9] == ["modes↑", "hq_fraction↑", "kl_modes↓", "test_plugin_score↑"]
    assert "ndb_k" not in runs_table(table, width=200)  # built-in non-headline columns still need --wide


def test_cell_line_has_the_headline_metrics_and_fits():
    cell = Cell(variant="dcgan", dataset="ring8", seed=1, train=None)  # type: ignore[arg-type]
    row = _row("dcgan", "ring8", 1, modes=8.0, hq_fraction=0.9123, kl_modes=0.0213)
    line = cell_line(cell, 1, 6, row, 31.2, 100)
    assert line == "[2/6] dcgan · ring8 · seed 1 · ok · modes 8.0 · hq_fraction 0.912 · kl_modes 0.021 · 31s"
    failed = {**row, "status": "failed", "error": "RuntimeError: " + "x" * 300}
    assert len(cell_line(cell, 1, 6, failed, 3, 100)) <= 100
    assert duration(185) == "3m05s" and duration(3720) == "1h02m" and duration(0.4) == "0s"


@pytest.mark.parametrize("command", ["plugins", "datasets"])
@pytest.mark.parametrize("width", [80, 100])
def test_plugins_and_datasets_follow_columns(command: str, width: int, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(width))
    with pytest.raises(SystemExit) as info:
        main([command])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= width
    if command == "datasets":
        sizes = {line.split("│")[1].strip(): line.split("│")[5].strip() for line in out.splitlines()
                 if line.startswith("│") and line.split("│")[1].strip()}  # fmt: skip
        assert sizes["digits"] == "1,437" and sizes["stacked-digits"] == "50,000", sizes
        assert "?" not in sizes.values()


@pytest.mark.slow
def test_piped_make_run_prints_a_line_per_cell_as_it_finishes(tmp_path: Path):
    """`make run`'s command (fewer steps), piped: a line per finished cell arrives while the run goes on,
    every line fits 100 columns, and the run ends with the next commands."""
    env = {**os.environ, "COLUMNS": "100"}
    cmd = [
        sys.executable, "-m", "ganbench", "run", "--plugins", "dcgan,minibatch,infogan", "--dataset", "ring8",
        "--steps", "40", "--eval-samples", "500", "--out", "make-run", "--quiet",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    still_running = proc.poll() is None
    rest, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert first.startswith("[1/3] dcgan · ring8 · seed 0 · ok · modes"), first
    assert still_running, "the first cell's line came only after the whole run"
    lines = [first.rstrip("\n"), *rest.splitlines(), *err.splitlines()]
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    assert [line[:5] for line in lines[:3]] == ["[1/3]", "[2/3]", "[3/3]"]
    run_dir = Path("results") / "make-run"  # as `make run` names it
    assert f"ganbench report {run_dir}" in rest
    assert (f"ganbench table {run_dir}" in rest) == ("table" in _command_names())  # only commands that exist
    assert "modes↑" in rest  # the table, headline metrics first


def test_mean_std_shows_partial_seed_counts():
    from ganbench.results.display import mean_std_text

    assert mean_std_text("fid", 12.0, math.sqrt(8.0), 2, 3) == "12.00 ± 2.83 (2 of 3 seeds)"
    assert mean_std_text("modes", 7.0, float("nan"), 1, 1) == "7.0"
    assert mean_std_text("fid", float("nan"), 1.0) == ""


def test_registered_digit_sizes_match_the_data(tmp_path: Path):
    """`ganbench datasets` shows the registered sizes: they must be the real training-split sizes."""
    from ganbench.data.base import DatasetOptions
    from ganbench.registry import get_registry

    for name in ("digits", "stacked-digits"):
        entry = get_registry().dataset(name)[0]
        data = entry.factory(DatasetOptions(root=tmp_path))
        assert entry.size == len(data.tensors("train")[0]), name


def test_table_help_choices_match_the_leaderboard():
    from ganbench.cli import table
    from ganbench.results import leaderboard

    assert table.FORMATS == leaderboard.FORMATS and table.TESTS == leaderboard.TESTS

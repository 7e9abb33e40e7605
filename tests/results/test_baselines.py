"""The committed CI baseline is usable: it parses, holds the ci suite's cells, and passes against itself."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ganbench.cli import main
from ganbench.runner.suite_config import builtin_suite, load_suite

BASELINE = Path(__file__).resolve().parents[2] / "results" / "baselines" / "ci"


def test_baseline_covers_the_ci_suite():
    suite = load_suite(builtin_suite("ci"))
    table = pd.read_csv(BASELINE / "results.csv")
    cells = set(zip(table["variant"], table["dataset"], table["seed"], strict=True))
    expected = {(v, d, s) for v in suite["variants"] for d in suite["datasets"] for s in suite["seeds"]}
    assert cells == expected
    assert set(table["status"]) == {"ok"}
    assert (table["steps"] == suite["steps"]).all()


def test_baseline_passes_against_itself_and_fails_when_worsened(tmp_path, capsys):
    thresholds = str(BASELINE / "thresholds.toml")
    with pytest.raises(SystemExit) as same:
        main(["compare", str(BASELINE), str(BASELINE), "--config", thresholds])
    assert same.value.code == 0, capsys.readouterr()
    worse = pd.read_csv(BASELINE / "results.csv")
    worse.loc[worse["dataset"] == "ring8", "modes"] -= 3
    worse.to_csv(tmp_path / "worse.csv", index=False)
    capsys.readouterr()
    with pytest.raises(SystemExit) as regressed:
        main(["compare", str(BASELINE), str(tmp_path / "worse.csv"), "--config", thresholds])
    assert regressed.value.code == 1
    assert "modes" in capsys.readouterr().out

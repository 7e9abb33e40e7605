"""Piped (or --quiet) runs are never silent for long: a progress line on stderr while a cell runs."""

from __future__ import annotations

import time

import pytest

from ganbench.cli.progress import RunProgress, running_line
from ganbench.engine.config import TrainConfig
from ganbench.runner.plan import Cell

CELL = Cell(variant="minibatch", dataset="ring8", seed=0, train=TrainConfig(steps=3000))


def test_running_line_names_the_step_throughput_and_time():
    line = running_line(CELL, 0, 3, "training", 1200, 667.4, 90, 100)
    assert line == "[1/3] minibatch · ring8 · seed 0 · training · step 1,200/3,000 · 667 img/s · 1m30s"
    assert running_line(CELL, 0, 3, "evaluating", 3000, 667.4, 5, 100).endswith("· evaluating · 5s")
    assert len(running_line(CELL, 0, 3, "training", 1200, 667.4, 90, 40)) == 40


def test_a_heartbeat_line_while_a_cell_trains_and_none_once_it_ended(capsys: pytest.CaptureFixture[str]):
    with RunProgress(lines=True, bar=False, heartbeat_s=0.05) as progress:
        progress.cell_start(CELL, 0, 3)
        progress.log(CELL, 50, {"d_loss": 1.0, "g_loss": 1.0}, 700.0)
        time.sleep(0.5)
        beats = capsys.readouterr().err.splitlines()
        assert len(beats) >= 2, beats  # one per quiet period
        assert beats[0].startswith("[1/3] minibatch · ring8 · seed 0 · training · step 50/3,000 · 700 img/s")
        progress.stage(CELL, "evaluating")
        time.sleep(0.3)
        assert "· evaluating ·" in capsys.readouterr().err
        progress.cell_end(CELL, {"status": "ok"})
        time.sleep(0.15)
    out = capsys.readouterr()
    assert out.out.startswith("[1/3] minibatch · ring8 · seed 0 · ok")
    assert out.err == ""  # nothing runs: no heartbeat


def test_no_heartbeat_with_the_bar_or_before_the_period(capsys: pytest.CaptureFixture[str]):
    with RunProgress(lines=False, bar=False, heartbeat_s=0.05) as progress:
        progress.cell_start(CELL, 0, 1)
        time.sleep(0.15)
    with RunProgress(lines=True, bar=False, heartbeat_s=30) as progress:
        progress.cell_start(CELL, 0, 1)
        time.sleep(0.1)
    assert capsys.readouterr().err == ""

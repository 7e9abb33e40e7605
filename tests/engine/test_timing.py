"""Time accounting: callbacks (evaluation, checkpoints, TensorBoard, pictures) are not training time."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from ganbench.cli import main
from ganbench.data.base import DatasetOptions
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import build_models, resolve_recipe
from ganbench.engine.config import TrainConfig
from ganbench.engine.devices import cpu_threads_for
from ganbench.engine.seeding import seed_everything
from ganbench.engine.trainer import train
from ganbench.registry import get_registry

CPU = torch.device("cpu")
SLEEP = 0.15
HOUR = 3600.0


def _setup(steps: int):
    registry = get_registry()
    entry, _ = registry.dataset("ring8")
    data = entry.factory(DatasetOptions(root=Path(".")))
    seed_everything(0)
    models = build_models(registry, resolve_recipe(registry, "dcgan", data.spec), data.spec)
    config = TrainConfig(steps=steps, batch_size=32, log_every=5, warmup_steps=5)
    return models, batch_stream(data, "train", batch_size=32, device=CPU, seed=0), config


def test_sleeping_evaluator_is_not_in_train_img_s(monkeypatch):
    """The evaluator sleeps briefly and moves the trainer's clock on by an hour: were callback time
    counted, throughput would be below one image per second; it is not, and train_s excludes it."""
    import ganbench.engine.trainer as trainer_module

    models, batches, config = _setup(20)
    clock = {"offset": 0.0}
    real = time.perf_counter
    monkeypatch.setattr(trainer_module.time, "perf_counter", lambda: real() + clock["offset"])
    calls: list[int] = []

    def slow_evaluation(step: int) -> None:
        calls.append(step)
        time.sleep(0.02)
        clock["offset"] += HOUR

    with cpu_threads_for(CPU, "points"):
        result = train(models, batches, config, CPU, on_interval=slow_evaluation)
    assert len(calls) == 4 and result.status == "ok"
    assert result.callback_s >= 4 * HOUR
    assert result.wall_s > 4 * HOUR and result.train_s < HOUR
    measured_images = (config.steps - config.warmup) * config.batch_size
    assert result.train_img_s > measured_images / HOUR
    assert result.train_img_s * result.train_s >= measured_images * 0.99


def test_cell_records_train_eval_and_wall_time(tmp_path, monkeypatch, capsys):
    """A cell with --eval-every and an evaluator that sleeps: eval_s holds the sleeps, train_s does not."""
    import ganbench.runner.cell as cell_module
    import ganbench.runner.periodic as periodic_module

    calls: list[int] = []

    def sleepy_scores(fake, ctx, models=None, **_):  # stands in for the metric suite
        calls.append(len(fake))
        time.sleep(SLEEP)
        return {"modes": 8}

    # both callers: the periodic evaluator (every 10 steps) and the cell's final evaluation
    monkeypatch.setattr(cell_module, "score_samples", sleepy_scores)
    monkeypatch.setattr(periodic_module, "score_samples", sleepy_scores)
    argv = ["run", "--plugins", "dcgan", "--dataset", "ring8", "--steps", "40", "--batch-size", "32"]
    argv += ["--eval-every", "10", "--results-dir", str(tmp_path), "--out", "t", "-q"]
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0, capsys.readouterr()
    row = pd.read_csv(tmp_path / "t" / "results.csv").iloc[0]
    evaluations = 4 + 1  # every 10 steps, then the final one
    assert len(calls) == evaluations
    assert row["eval_s"] >= SLEEP * evaluations
    assert row["train_s"] + row["eval_s"] <= row["wall_s"]
    assert row["train_s"] < row["wall_s"] - SLEEP * evaluations
    assert row["train_img_s"] > 0

"""Matrices: every cell runs, failures and divergence stay in their cell, and the multi-seed summary."""

from __future__ import annotations

import dataclasses
import json
import math
import statistics
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch.nn import functional as F

from ganbench.engine.build import CUSTOM_VARIANT, Composition
from ganbench.plugin import GANLoss, LossOutput, hookimpl
from ganbench.registry import PluginOrigin, get_registry
from ganbench.runner.local import RunSettings, run_plan
from ganbench.runner.plan import Cell, DataConfig, EvalOptions, Plan, make_plan
from ganbench.runner.rundir import SUMMARY_STEM, has_several_seeds, rebuild, summarise

CPU = torch.device("cpu")


class ExplodingLoss(GANLoss):
    """Non-saturating loss that turns NaN from the 4th discriminator update on."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def discriminator_loss(self, discriminator, real, fake, codes):
        self.calls += 1
        value = F.softplus(-discriminator(real)).mean() + F.softplus(discriminator(fake)).mean()
        return LossOutput(value * (math.nan if self.calls >= 4 else 1.0))

    def generator_loss(self, discriminator, fake, codes):
        return LossOutput(F.softplus(-discriminator(fake)).mean())


class ExplodingPlugin:
    @staticmethod
    @hookimpl
    def ganbench_register(registrar):
        registrar.add_loss("exploding", lambda ctx: ExplodingLoss(), description="NaN after 3 steps (tests)")


def test_failed_and_diverged_cells_are_recorded_and_the_others_finish(tmp_path):
    registry = get_registry()
    assert registry.add_plugin(ExplodingPlugin, PluginOrigin("exploding", "gb-test-exploding", "0"))
    data = DataConfig(root=Path("."))
    plan = make_plan(
        registry, variants=["dcgan"], datasets=["ring8"], seeds=[0, 1], data=data, train_overrides={"steps": 10}
    )
    too_big = plan.cells[1]
    plan.cells[1] = Cell(
        too_big.variant, too_big.dataset, too_big.seed, dataclasses.replace(too_big.train, batch_size=10**7)
    )
    diverging = make_plan(
        registry,
        variants=[CUSTOM_VARIANT],
        datasets=["ring8"],
        seeds=[0],
        data=data,
        composition=Composition(loss="exploding"),
        train_overrides={"steps": 10, "log_every": 5},
    )
    plan = Plan([diverging.cells[0], *plan.cells], plan.datasets, data)
    table = run_plan(registry, plan, RunSettings(run_dir=tmp_path, device=CPU, evaluation=EvalOptions(enabled=False)))

    status = {(r.variant, r.seed): r for r in table.itertuples()}
    assert status["dcgan", 0].status == "ok"
    assert status["dcgan", 1].status == "failed" and "fewer than one batch" in status["dcgan", 1].error
    assert status["custom", 0].status == "diverged" and status["custom", 0].diverged_step == 4
    assert (tmp_path / "dcgan-ring8-s1" / "error.txt").is_file()

    summary = pd.read_csv(tmp_path / f"{SUMMARY_STEM}.csv")
    dcgan = summary.set_index("variant").loc["dcgan"]
    assert (dcgan["n_seeds"], dcgan["n_failed"]) == (2, 1)
    assert dcgan["d_loss_mean"] == pytest.approx(status["dcgan", 0].d_loss)  # the failed seed has no loss
    assert pd.read_parquet(tmp_path / f"{SUMMARY_STEM}.parquet").shape == summary.shape


def _row(variant, dataset, seed, status="ok", **metrics):
    return {"variant": variant, "dataset": dataset, "seed": seed, "status": status, **metrics}


def test_summary_is_mean_and_sample_std_over_seeds(tmp_path):
    rows = [
        _row("a", "ring8", 0, fid=10.0, modes=8, d_loss=0.5),
        _row("a", "ring8", 1, fid=12.0, modes=7, d_loss=0.7),
        _row("a", "ring8", 2, fid=17.0, modes=5, d_loss=0.6),
        _row("a", "grid25", 0, fid=3.0, modes=20),
        _row("b", "ring8", 0, fid=20.0, modes=2),
        _row("b", "ring8", 1, status="failed", error="boom"),
        _row("b", "ring8", 2, status="interrupted"),
    ]
    for row in rows:
        cell = tmp_path / f"{row['variant']}-{row['dataset']}-s{row['seed']}"
        cell.mkdir()
        (cell / "metrics.json").write_text(json.dumps(row))
    table = rebuild(tmp_path)
    assert len(table) == 7 and has_several_seeds(table)

    summary = pd.read_parquet(tmp_path / f"{SUMMARY_STEM}.parquet").set_index(["variant", "dataset"])
    a = summary.loc[("a", "ring8")]
    assert a["fid_mean"] == pytest.approx(statistics.mean([10, 12, 17]))
    assert a["fid_std"] == pytest.approx(statistics.stdev([10, 12, 17]))
    assert a["modes_mean"] == pytest.approx(20 / 3) and a["modes_std"] == pytest.approx(statistics.stdev([8, 7, 5]))
    assert (a["n_seeds"], a["n_failed"]) == (3, 0)
    single = summary.loc[("a", "grid25")]
    assert single["fid_mean"] == 3.0 and math.isnan(single["fid_std"])  # one seed: no spread
    b = summary.loc[("b", "ring8")]
    assert (b["n_seeds"], b["n_failed"], b["n_fid"]) == (3, 2, 1)
    assert b["status"] == "1/3 ok, 1 failed, 1 interrupted"
    assert pd.read_csv(tmp_path / f"{SUMMARY_STEM}.csv").shape == summary.reset_index().shape


def test_empty_folder_gives_an_empty_but_valid_summary(tmp_path):
    table = rebuild(tmp_path)
    assert table.empty and not has_several_seeds(table)
    assert list(pd.read_csv(tmp_path / f"{SUMMARY_STEM}.csv").columns)[:4] == [
        "variant",
        "dataset",
        "n_seeds",
        "n_failed",
    ]
    assert summarise(table).empty

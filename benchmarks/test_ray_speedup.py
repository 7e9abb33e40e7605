"""Speed-up of the Ray executor: 4 cells on 2 Ray workers against 1 worker, measured in one run.

Run with ``pytest benchmarks/test_ray_speedup.py -o addopts="" -s`` (benchmarks are
skipped by default). The result is reported in ``benchmark.extra_info``; nothing is
asserted about the timing, which depends on the machine and its load. Cells are
ring8 MLP runs, so the ideal speed-up on 2 free cores is about 2x; Ray's task
overhead and the per-task dataset load take some of it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch

from ganbench.registry import get_registry
from ganbench.runner.local import RunSettings
from ganbench.runner.plan import DataConfig, EvalOptions, make_plan
from ganbench.runner.ray_executor import RayOptions, run_plan_ray

ray = pytest.importorskip("ray")

STEPS = 300
CELLS = 4


def _run(run_dir: Path, workers: int) -> float:
    registry = get_registry()
    plan = make_plan(
        registry,
        variants=["dcgan"],
        datasets=["ring8"],
        seeds=list(range(CELLS)),
        data=DataConfig(root=Path(".")),
        train_overrides={"steps": STEPS},
    )
    settings = RunSettings(run_dir=run_dir, device=torch.device("cpu"), evaluation=EvalOptions(n_samples=500))
    start = time.perf_counter()
    table = run_plan_ray(registry, plan, settings, RayOptions(workers=workers))
    elapsed = time.perf_counter() - start
    assert list(table["status"]) == ["ok"] * CELLS
    return elapsed


def test_ray_speedup_two_workers_over_one(benchmark, tmp_path):
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        _run(tmp_path / "warmup", 2)  # start both workers and import torch in them before measuring
        one = _run(tmp_path / "one", 1)
        two = benchmark.pedantic(_run, args=(tmp_path / "two", 2), rounds=1, iterations=1)
    finally:
        ray.shutdown()
    benchmark.extra_info.update(
        {
            "cells": CELLS,
            "steps_per_cell": STEPS,
            "seconds_1_worker": round(one, 3),
            "seconds_2_workers": round(two, 3),
            "speedup": round(one / two, 3),
            "cpu_count": os.cpu_count(),
        }
    )
    print(f"\nRay: {CELLS} cells, 1 worker {one:.1f}s, 2 workers {two:.1f}s, speed-up {one / two:.2f}x")

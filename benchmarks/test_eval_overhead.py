"""Periodic evaluation is not training time: ``train_img_s`` of one 1000-step ring8 cell with
``--eval-every 250`` against the same cell with ``--no-eval``.

Before issue 12 the evaluations sat inside the throughput (1,761 vs 6,153 img/s). Now the trainer
leaves the time spent in its callbacks out, so the ratio must lie in 0.8-1.25. The two runs alternate
round by round (ABAB...) in one process, so machine load affects both alike; the ratio is of the
medians. ``GANBENCH_BENCH_EVAL_ROUNDS`` (default 3) and ``GANBENCH_BENCH_EVAL_STEPS`` (default 1000).
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.common import bench_device, env_int, report
from ganbench.cli import main

ROUNDS = env_int("GANBENCH_BENCH_EVAL_ROUNDS", 3)
STEPS = env_int("GANBENCH_BENCH_EVAL_STEPS", 1000)
EVAL_EVERY = 250


def _cell(results: Path, out: str, *flags: str) -> pd.Series:
    argv = ["run", "--plugins", "dcgan", "--dataset", "ring8", "--steps", str(STEPS), "--seeds", "0"]
    argv += ["--device", str(bench_device()), "--results-dir", str(results), "--out", out, "-q", *flags]
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    return pd.read_csv(results / out / "results.csv").iloc[0]


def test_eval_every_does_not_lower_train_img_s(benchmark, tmp_path):
    """Done-when: train_img_s(--eval-every 250) / train_img_s(--no-eval) within 0.8-1.25; eval_s > 0."""
    rows: dict[str, list[pd.Series]] = {"eval": [], "no_eval": []}

    def plain() -> None:
        rows["no_eval"].append(_cell(tmp_path, f"no-eval-{len(rows['no_eval'])}", "--no-eval"))

    def periodic() -> None:
        rows["eval"].append(_cell(tmp_path, f"eval-{len(rows['eval'])}", "--eval-every", str(EVAL_EVERY)))

    benchmark.pedantic(periodic, setup=plain, rounds=ROUNDS, iterations=1)
    with_eval = statistics.median(float(r["train_img_s"]) for r in rows["eval"])
    without = statistics.median(float(r["train_img_s"]) for r in rows["no_eval"])
    ratio = with_eval / without
    eval_s = statistics.median(float(r["eval_s"]) for r in rows["eval"])
    wall = [statistics.median(float(r["wall_s"]) for r in rows[k]) for k in ("eval", "no_eval")]
    benchmark.extra_info.update(ratio=ratio, eval_img_s=with_eval, no_eval_img_s=without, eval_s=eval_s)
    report(
        f"ring8 {STEPS} steps: train_img_s {with_eval:.0f} with --eval-every {EVAL_EVERY} vs {without:.0f} "
        f"with --no-eval -> ratio {ratio:.2f}; eval_s {eval_s:.1f}, wall_s {wall[0]:.1f} vs {wall[1]:.1f} "
        f"({ROUNDS} rounds, median)"
    )
    assert all(float(r["eval_s"]) > 0 for r in rows["eval"])
    assert all(pd.isna(r["eval_s"]) for r in rows["no_eval"])
    assert 0.8 <= ratio <= 1.25, f"train_img_s ratio {ratio:.2f} outside 0.8-1.25"

"""ganbench's ``dcgan`` training throughput against a hand-written loop, and each fast path against the default.

Every comparison alternates the two contenders round by round (ABAB...) in one
process, so machine load affects both alike; the ratio is the median round time
of the slower-is-baseline over the other. ``benchmark.extra_info["ratio"]`` holds
it (also printed at the end of ``make bench``); pytest-benchmark's own statistics
are those of the ganbench (or fast-path) rounds.
"""

from __future__ import annotations

import statistics

import pytest

from benchmarks.common import (
    BATCH,
    ROUNDS,
    SIDE,
    STEPS,
    WARMUP_STEPS,
    GanbenchRun,
    bench_device,
    env_int,
    load_dataset,
    report,
    timed,
)
from benchmarks.reference_dcgan import ReferenceDCGAN


def alternate(benchmark, baseline, contender, *, steps: int, rounds: int, device) -> float:  # type: ignore[no-untyped-def]
    """Baseline round (in pedantic's untimed setup) then contender round (timed by pytest-benchmark)."""
    baseline_times: list[float] = []
    baseline(WARMUP_STEPS), contender(WARMUP_STEPS)
    benchmark.pedantic(
        lambda: contender(steps),
        setup=lambda: baseline_times.append(timed(lambda: baseline(steps), device)),
        rounds=rounds,
        iterations=1,
    )
    contender_times = benchmark.stats.stats.data
    ratio = statistics.median(baseline_times) / statistics.median(contender_times)
    benchmark.extra_info.update(
        ratio=ratio,
        steps_per_round=steps,
        rounds=rounds,
        batch_size=BATCH,
        baseline_img_s=steps * BATCH / statistics.median(baseline_times),
        contender_img_s=steps * BATCH / statistics.median(contender_times),
    )
    return ratio


def test_dcgan_vs_reference_loop(benchmark):
    """Done-when: ratio >= 1.0 with default settings."""
    device = bench_device()
    data = load_dataset("digits")
    ours = GanbenchRun("dcgan", data, device)
    reference = ReferenceDCGAN(data.tensors("train")[0], batch_size=BATCH, device=device)
    ratio = alternate(benchmark, reference.run, ours.run, steps=STEPS, rounds=ROUNDS, device=device)
    info = benchmark.extra_info
    report(
        f"dcgan {SIDE}px batch {BATCH}: ganbench {info['contender_img_s']:.0f} img/s vs hand-written loop "
        f"{info['baseline_img_s']:.0f} img/s -> ratio {ratio:.2f} ({ROUNDS} rounds x {STEPS} steps, median)"
    )


FAST_PATHS = {
    "channels_last": ({"channels_last": True}, "tensor"),
    "amp_bf16": ({"amp": "bf16"}, "tensor"),
    "compile": ({"compile": True}, "tensor"),
    "dataloader": ({}, "loader"),
}


@pytest.mark.parametrize("name", list(FAST_PATHS))
def test_fast_path_vs_default(benchmark, name):
    """Each opt-in fast path (and the DataLoader data path) against the default, dcgan at the same size."""
    device = bench_device()
    data = load_dataset("digits")
    fast, data_path = FAST_PATHS[name]
    default = GanbenchRun("dcgan", data, device)
    contender = GanbenchRun("dcgan", data, device, fast=dict(fast), data_path=data_path)
    # bf16 without native bf16 units (AVX2-only CPUs) is an order of magnitude slower: fewer steps keep it short.
    steps = env_int("GANBENCH_BENCH_AMP_STEPS", 4) if name == "amp_bf16" and device.type == "cpu" else STEPS
    rounds = max(3, ROUNDS - 2)
    ratio = alternate(benchmark, default.run, contender.run, steps=steps, rounds=rounds, device=device)
    label = "DataLoader instead of on-device tensors" if name == "dataloader" else f"fast path {name}"
    report(f"{label}: {ratio:.2f}x the default's throughput ({rounds} rounds x {steps} steps, median)")

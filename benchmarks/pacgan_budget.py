"""Per-step cost of the PacGAN 2D settings, for sizing the ``pacgan-2d-cpu`` suite.

For each of ``pacgan1``..``pacgan4`` (the dataset does not change the cost: ring
and grid are both 2D) it times ``--steps`` generator updates of S seeds trained
together (``train_vectorized``, as ``--vectorize-seeds`` does) and of one seed
alone, with one intra-op thread as 2D cells use. It reports wall time *and* the
process's CPU time: on a machine shared with other work the wall time is
inflated by waiting for a core, while CPU time is close to what the step costs
on a quiet machine (one thread, so CPU seconds ≈ quiet wall seconds). The load
average is printed alongside.

    .venv/bin/python benchmarks/pacgan_budget.py --seeds 10 --steps 100
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import test_vectorized_seeds as bench
from ganbench.engine.devices import cpu_threads_for


def measure(fn, steps: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    fn(steps)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--variants", default="pacgan1,pacgan2,pacgan3,pacgan4")
    args = parser.parse_args()
    bench.SEEDS = args.seeds
    device = torch.device("cpu")
    print(f"load average at start: {os.getloadavg()[0]:.1f}; torch {torch.__version__}")
    header = "| variant | batch | S batched: wall ms/step | CPU ms/step | 1 seed: wall ms/step | CPU ms/step |"
    print(header)
    print("|---|---:|---:|---:|---:|---:|")
    for variant in args.variants.split(","):
        seeds = bench.SeedSet(variant, device)
        with cpu_threads_for(device, "points"):
            seeds.batched(5)
            wall_b, cpu_b = measure(seeds.batched, args.steps)
            one = seeds.models[:1], seeds.streams[:1], seeds.optimizers[:1]
            seeds.models, seeds.streams, seeds.optimizers = (list(x) for x in one)
            seeds.sequential(5)
            wall_1, cpu_1 = measure(seeds.sequential, args.steps)
        print(
            f"| {variant} | {seeds.cfg.batch_size} | {1e3 * wall_b / args.steps:.1f} | {1e3 * cpu_b / args.steps:.1f} "
            f"| {1e3 * wall_1 / args.steps:.1f} | {1e3 * cpu_1 / args.steps:.1f} |",
            flush=True,
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

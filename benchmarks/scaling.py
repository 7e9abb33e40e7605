"""How cost grows: training time vs steps and batch size, evaluation time vs N (a Markdown table).

    .venv/bin/python benchmarks/scaling.py [--steps 10,20,40] [--batches 32,64,128] [--eval-n 500,1000,2000]

dcgan on digits 16x16. Training: seconds for the given number of steps (after
3 warm-up steps) and the images/s that implies. Evaluation: the metric suite on
stacked digits with cached real statistics, seconds for N generated vs N real.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import common
from benchmarks.common import GanbenchRun, apply_threads, bench_device, load_dataset
from ganbench.metrics.evaluate import evaluate_samples


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=ints, default=[10, 20, 40])
    parser.add_argument("--batches", type=ints, default=[32, 64, 128])
    parser.add_argument("--eval-n", type=ints, default=[500, 1000, 2000])
    args = parser.parse_args()
    threads = apply_threads()
    device = bench_device()
    digits = load_dataset("digits")
    print(f"device {device}, {threads} threads, torch {torch.__version__}\n")
    print("| training (dcgan, digits 16x16) | steps | batch | seconds | img/s |")
    print("|---|---:|---:|---:|---:|")
    run = GanbenchRun("dcgan", digits, device)
    run.run(3)
    for steps in args.steps:
        seconds = common.timed(lambda s=steps: run.run(s), device)
        print(f"| vs steps | {steps} | 64 | {seconds:.2f} | {steps * 64 / seconds:.0f} |")
    for batch in args.batches:
        run = GanbenchRun("dcgan", digits, device, batch_size=batch)
        run.run(3)
        steps = args.steps[len(args.steps) // 2]
        seconds = common.timed(lambda s=steps, r=run: r.run(s), device)
        print(f"| vs batch size | {steps} | {batch} | {seconds:.2f} | {steps * batch / seconds:.0f} |")
    data = load_dataset("stacked-digits")
    print("\n| evaluation (stacked digits, cached real stats) | N | seconds |")
    print("|---|---:|---:|")
    with tempfile.TemporaryDirectory() as cache:
        for n in args.eval_n:
            fake = (data.tensors("train")[0][:n] + 0.1 * torch.randn(n, *data.spec.shape)).clamp(-1, 1)
            evaluate_samples(fake, data, device=device, n_real=n, cache_dir=Path(cache))
            start = time.perf_counter()
            evaluate_samples(fake, data, device=device, n_real=n, cache_dir=Path(cache))
            print(f"| metric suite | {n} | {time.perf_counter() - start:.2f} |")


if __name__ == "__main__":
    main()

"""Profile one training step of each built-in variant, and one evaluation, with torch.profiler.

    .venv/bin/python benchmarks/profile_step.py [--steps 3] [--eval-n 2000] [--rows 8]

Prints, per variant, the operators with the largest self CPU time over
``--steps`` profiled steps (after 3 warm-up steps), then the same for the
metric suite on ``--eval-n`` stacked-digit samples with cached real statistics.
benchmarks/README.md records what it showed and what was done about it.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import GanbenchRun, apply_threads, bench_device, load_dataset
from ganbench.metrics.evaluate import evaluate_samples


def top(prof: profile, rows: int, total_label: str) -> str:
    events = [e for e in prof.key_averages() if e.key.startswith("aten::")]
    events.sort(key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in prof.key_averages()) or 1.0
    lines = [f"  {total_label}: {total / 1e3:.1f} ms self CPU in all"]
    for e in events[:rows]:
        ms, share = e.self_cpu_time_total / 1e3, 100 * e.self_cpu_time_total / total
        lines.append(f"  {e.key:<36} {ms:9.1f} ms  {share:5.1f}%  x{e.count}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--eval-n", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=8)
    args = parser.parse_args()
    threads = apply_threads()
    device = bench_device()
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    print(f"device {device}, {threads} threads, torch {torch.__version__}")
    digits = load_dataset("digits")
    for variant in ("dcgan", "minibatch", "infogan"):
        run = GanbenchRun(variant, digits, device)
        run.run(3)
        with profile(activities=activities) as prof:
            run.run(args.steps)
        print(f"\n{variant}: {args.steps} training steps, batch 64, digits 16x16")
        print(top(prof, args.rows, f"{args.steps} steps"))
    data = load_dataset("stacked-digits")
    n = args.eval_n
    fake = (data.tensors("train")[0][:n] + 0.1 * torch.randn(n, *data.spec.shape)).clamp(-1, 1)
    with tempfile.TemporaryDirectory() as cache:
        evaluate_samples(fake, data, device=device, n_real=n, cache_dir=Path(cache))
        with profile(activities=activities) as prof:
            evaluate_samples(fake, data, device=device, n_real=n, cache_dir=Path(cache))
    print(f"\nevaluation: metric suite, stacked-digits N={n}, cached real statistics")
    print(top(prof, args.rows, "one evaluation"))
    # The Python-level view (where each metric's time goes, NumPy/sklearn parts included): cProfile too.
    with tempfile.TemporaryDirectory() as cache:
        evaluate_samples(fake, data, device=device, n_real=n, cache_dir=Path(cache))
        python_prof = cProfile.Profile()
        python_prof.runcall(evaluate_samples, fake, data, device=device, n_real=n, cache_dir=Path(cache))
    print("\n  Python-level (cProfile, cumulative):")
    stats = pstats.Stats(python_prof)
    wanted = ("kid_with_cache", "prdc", "features_and_labels", "mode_metrics", "evaluate", "frechet_distance")
    for (filename, _, name), (_, _, _, cum, _) in sorted(stats.stats.items(), key=lambda kv: -kv[1][3]):
        if name in wanted and "ganbench" in filename:
            print(f"  {name:<36} {cum * 1e3:9.1f} ms")


if __name__ == "__main__":
    main()

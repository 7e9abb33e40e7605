"""pytest-benchmark suite (issue 5): one training step per built-in variant, generation, metric evaluation.

Fixed size: 16x16 digits (stacked digits, 3 channels, for evaluation), batch 64.
Compare two saved runs with pytest-benchmark's own tools (see benchmarks/README.md).
"""

from __future__ import annotations

import pytest
import torch

from benchmarks.common import BATCH, GanbenchRun, bench_device, load_dataset
from ganbench.engine.sampling import generate
from ganbench.metrics.evaluate import evaluate_samples

VARIANTS = ("dcgan", "minibatch", "infogan")
EVAL_N = 2_000


@pytest.mark.parametrize("variant", VARIANTS)
def test_train_step(benchmark, variant):
    """One generator update (and its D update) of ``variant`` at batch 64."""
    run = GanbenchRun(variant, load_dataset("digits"), bench_device())
    run.run(3)  # warm-up: allocator, oneDNN primitive caches
    benchmark.pedantic(lambda: run.run(1), rounds=10, iterations=1)
    benchmark.extra_info.update(batch_size=BATCH, img_s=BATCH / benchmark.stats.stats.median)


def test_generate(benchmark):
    """Sampling 2,000 images from a dcgan generator in batches of 500 (eval mode, no grad)."""
    run = GanbenchRun("dcgan", load_dataset("digits"), bench_device())
    generate(run.models, 500, run.device)
    benchmark.pedantic(lambda: generate(run.models, EVAL_N, run.device), rounds=5, iterations=1)
    benchmark.extra_info.update(n=EVAL_N, img_s=EVAL_N / benchmark.stats.stats.median)


def test_evaluate_cached(benchmark, tmp_path):
    """The metric suite on 2,000 stacked-digit samples against cached real statistics (FID/KID/PRDC/NDB/modes)."""
    data = load_dataset("stacked-digits")
    fake = (data.tensors("train")[0][:EVAL_N] + 0.1 * torch.randn(EVAL_N, *data.spec.shape)).clamp(-1, 1)
    device = bench_device()
    evaluate_samples(fake, data, device=device, n_real=EVAL_N, cache_dir=tmp_path)  # fills the cache
    row = benchmark.pedantic(
        lambda: evaluate_samples(fake, data, device=device, n_real=EVAL_N, cache_dir=tmp_path), rounds=3, iterations=1
    )
    assert row["fid"] == row["fid"] and row["modes"] > 0  # real numbers, not NaN
    benchmark.extra_info.update(n=EVAL_N)

"""``--vectorize-seeds``: S seeds as one batched model ÷ S sequential cells, measured in one process.

Baseline round: each of the S seeds' models trains ``steps`` steps with
``trainer.train``, one after the other (what S cells do). Contender round: the
same S seeds train ``steps`` steps together with ``train_vectorized``. Rounds
alternate (ABAB...), both under the thread setting cells use for 2D data on the
CPU (one intra-op thread, ``cpu_threads_for``), so load moves both alike. The
ratio is (S sequential seeds' median round time) ÷ (batched median round time);
``GANBENCH_BENCH_SEEDS`` sets S (default 8).
"""

from __future__ import annotations

import statistics

import pytest

from benchmarks.common import ROUNDS, STEPS, WARMUP_STEPS, bench_device, env_int, load_dataset, report, timed
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import build_models, resolve_recipe
from ganbench.engine.config import TrainConfig
from ganbench.engine.devices import cpu_threads_for
from ganbench.engine.seeding import rng_state, seed_everything
from ganbench.engine.trainer import make_optimizers, train
from ganbench.engine.vectorized import train_vectorized
from ganbench.registry import get_registry

SEEDS = env_int("GANBENCH_BENCH_SEEDS", 8)


class SeedSet:
    """S seeds of one variant on ring8, trainable in chunks either one by one or batched."""

    def __init__(self, variant: str, device, seeds: int = SEEDS) -> None:  # type: ignore[no-untyped-def]
        registry = get_registry()
        self.device = device
        data = load_dataset("ring8", side=None)
        recipe = resolve_recipe(registry, variant, data.spec)
        self.cfg = TrainConfig().with_overrides(dict(recipe.train_options))
        self.models, self.streams, self.optimizers = [], [], []
        for seed in range(seeds):
            seed_everything(seed)
            models = build_models(registry, recipe, data.spec)
            for module in models.modules().values():
                module.to(device)
            self.models.append(models)
            self.optimizers.append(make_optimizers(models, self.cfg))
            self.streams.append(batch_stream(data, "train", batch_size=self.cfg.batch_size, device=device, seed=seed))

    def config(self, steps: int) -> TrainConfig:
        return TrainConfig(**{**self.cfg.__dict__, "steps": steps, "warmup_steps": 0})

    def sequential(self, steps: int) -> None:
        for models, stream, optimizers in zip(self.models, self.streams, self.optimizers, strict=True):
            train(models, stream, self.config(steps), self.device, optimizers=optimizers)

    def batched(self, steps: int) -> None:
        states = [rng_state() for _ in self.models]
        train_vectorized(self.models, states, self.streams, self.config(steps), self.device)


def _measure(benchmark, variant: str) -> float:  # type: ignore[no-untyped-def]
    device = bench_device()
    seeds = SeedSet(variant, device)
    steps = max(5, STEPS)
    sequential_times: list[float] = []
    with cpu_threads_for(device, "points"):
        seeds.sequential(WARMUP_STEPS), seeds.batched(WARMUP_STEPS)
        benchmark.pedantic(
            lambda: seeds.batched(steps),
            setup=lambda: sequential_times.append(timed(lambda: seeds.sequential(steps), device)),
            rounds=ROUNDS,
            iterations=1,
        )
    batched_times = benchmark.stats.stats.data
    ratio = statistics.median(sequential_times) / statistics.median(batched_times)
    samples = steps * seeds.cfg.batch_size * SEEDS
    benchmark.extra_info.update(
        ratio=ratio,
        seeds=SEEDS,
        steps_per_round=steps,
        rounds=ROUNDS,
        batch_size=seeds.cfg.batch_size,
        sequential_img_s=samples / statistics.median(sequential_times),
        vectorized_img_s=samples / statistics.median(batched_times),
        sequential_step_ms=1e3 * statistics.median(sequential_times) / (steps * SEEDS),
        vectorized_step_ms=1e3 * statistics.median(batched_times) / steps,
    )
    report(
        f"vectorized seeds, {variant} on ring8 (batch {seeds.cfg.batch_size}), {SEEDS} seeds batched ÷ "
        f"{SEEDS} sequential cells: {ratio:.2f}x "
        f"({benchmark.extra_info['vectorized_img_s']:.0f} vs {benchmark.extra_info['sequential_img_s']:.0f} img/s)"
    )
    return ratio


def test_vectorized_seeds_default_ring8_cell(benchmark):
    """The issue's goal: 8 seeds of the default ring8 cell (dcgan: MLPs 3 × 256, batch 64) ≥ 4× (see README)."""
    ratio = _measure(benchmark, "dcgan")
    assert ratio > 0


@pytest.mark.parametrize("variant", ["pacgan1", "pacgan4"])
def test_vectorized_seeds_pacgan(benchmark, variant):
    """PacGAN's 2D networks (G 4 × 400 with BatchNorm, maxout D), batch 100 and 400."""
    ratio = _measure(benchmark, variant)
    assert ratio > 0

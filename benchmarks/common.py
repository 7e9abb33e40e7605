"""Shared set-up for the benchmarks: the fixed size, ganbench models on it, interleaved timing.

The fixed size is the ``dcgan`` variant on scikit-learn digits at 16x16 (1 channel),
batch 64: small enough for tens of steps per round on a 2-core CPU, big enough
that convolutions (not Python) dominate a step. Every knob can be changed with
an environment variable so the same files serve a quick check and a long run:

``GANBENCH_BENCH_STEPS`` (steps per round, default 20), ``GANBENCH_BENCH_ROUNDS``
(rounds, default 5), ``GANBENCH_BENCH_THREADS`` (torch intra-op threads,
default: torch's own choice), ``GANBENCH_BENCH_SIDE`` (16 or 28).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ganbench.data.base import DatasetOptions, GanDataset
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import Models, build_models, resolve_recipe
from ganbench.engine.config import TrainConfig
from ganbench.engine.seeding import seed_everything
from ganbench.engine.trainer import make_optimizers, train
from ganbench.registry import get_registry

CPU = torch.device("cpu")
BATCH = 64
SEED = 0


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


STEPS = env_int("GANBENCH_BENCH_STEPS", 20)
ROUNDS = env_int("GANBENCH_BENCH_ROUNDS", 5)
SIDE = env_int("GANBENCH_BENCH_SIDE", 16)
WARMUP_STEPS = 5


def apply_threads() -> int:
    threads = env_int("GANBENCH_BENCH_THREADS", 0)
    if threads > 0:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def bench_device() -> torch.device:
    name = os.environ.get("GANBENCH_BENCH_DEVICE", "cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_dataset(name: str = "digits", side: int | None = SIDE) -> GanDataset:
    entry, _ = get_registry().dataset(name)
    return entry.factory(DatasetOptions(root=Path("."), resolution=side))


@dataclass
class GanbenchRun:
    """ganbench's own loop on one variant, runnable in chunks of steps (``train`` called per round)."""

    variant: str
    dataset: GanDataset
    device: torch.device = CPU
    fast: dict[str, object] = field(default_factory=dict)
    data_path: str = "tensor"
    """``tensor`` (the default: data moved to the device once) or ``loader`` (a DataLoader)."""
    batch_size: int = BATCH

    def __post_init__(self) -> None:
        registry = get_registry()
        seed_everything(SEED)
        spec = self.dataset.spec
        self.models: Models = build_models(registry, resolve_recipe(registry, self.variant, spec), spec)
        for module in self.models.modules().values():
            module.to(self.device)
        self.optimizers = make_optimizers(self.models, TrainConfig())
        source = self.dataset if self.data_path == "tensor" else WithoutTensors(self.dataset)
        self.batches: Iterator[torch.Tensor] = batch_stream(
            source, "train", batch_size=self.batch_size, device=self.device, seed=SEED
        )

    def config(self, steps: int) -> TrainConfig:
        return TrainConfig(steps=steps, batch_size=self.batch_size, **self.fast)  # type: ignore[arg-type]

    def run(self, steps: int) -> None:
        result = train(self.models, self.batches, self.config(steps), self.device, optimizers=self.optimizers)
        if result.status != "ok":
            raise RuntimeError(f"benchmark training {result.status} at step {result.diverged_step}")


class WithoutTensors(GanDataset):
    """The same dataset with ``tensors()`` hidden, which sends ``batch_stream`` down its DataLoader path."""

    def __init__(self, inner: GanDataset) -> None:
        self.inner, self.spec, self.splits = inner, inner.spec, inner.splits

    def split(self, name: str):  # type: ignore[no-untyped-def]
        return self.inner.split(name)


def timed(fn: Callable[[], None], device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


@dataclass
class Interleaved:
    """Median seconds per round of A and B, measured ABAB... in one process (robust to machine load)."""

    a: list[float]
    b: list[float]

    @property
    def ratio(self) -> float:
        """Throughput of A over throughput of B (> 1: A is faster)."""
        return statistics.median(self.b) / statistics.median(self.a)


def interleave(
    run_a: Callable[[int], None],
    run_b: Callable[[int], None],
    *,
    steps: int = STEPS,
    rounds: int = ROUNDS,
    device: torch.device = CPU,
    warmup: int = WARMUP_STEPS,
) -> Interleaved:
    run_a(warmup), run_b(warmup)
    a, b = [], []
    for _ in range(rounds):
        a.append(timed(lambda: run_a(steps), device))
        b.append(timed(lambda: run_b(steps), device))
    return Interleaved(a, b)


RESULTS: list[str] = []
"""One line per ratio measured; printed at the end of the session by conftest.py."""


def report(line: str) -> None:
    print(line)
    RESULTS.append(line)

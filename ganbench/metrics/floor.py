"""The real-vs-real floor of an evaluation protocol: two disjoint sets of real samples, scored like a GAN.

Set A is exactly the real side every run under the protocol is scored against (:func:`select_real`: the seeded
subset of ``n_real`` samples of the dataset's FID split). Set B is ``n`` other samples of the same split, drawn
with their own seed (a seeded draw, not "the first n others": files sorted by label would lose whole classes
and inflate the floor), and passed through the same metric code as generated samples. The result has the same
columns as a run's row, so its ``real_stats_key`` and ``fid_n_fake`` say which runs it is the floor of
(:mod:`ganbench.metrics.floor_store`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from ganbench.data.base import GanDataset
from ganbench.errors import UserError
from ganbench.metrics.cache import DEFAULT_N_REAL, select_real
from ganbench.metrics.evaluate import evaluate_samples
from ganbench.metrics.floor_store import FLOOR_VARIANT
from ganbench.registry import PluginRegistry

B_SEED = 1
"""Seed of set B's draw (set A uses :data:`ganbench.metrics.cache.SUBSET_SEED`)."""


def disjoint_real(dataset: GanDataset, split: str, n_real: int | None, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(A, B) sorted indices into ``split``: A = the runs' real side, B = ``n`` random others; disjoint by
    construction. A split too small for both is a user error naming the sizes."""
    total = _split_size(dataset, split)
    a = select_real(dataset, split, n_real)
    if len(a) + n > total:
        raise UserError(
            f"{dataset.spec.name}'s {split} split has {total} samples: the real side ({len(a)}) and {n} others do "
            f"not fit; lower --n or --n-real so that n + n_real <= {total}"
        )
    rest = torch.ones(total, dtype=torch.bool)
    rest[a] = False
    others = rest.nonzero().flatten()
    pick = torch.randperm(len(others), generator=torch.Generator().manual_seed(B_SEED))[:n]
    return a, others[pick].sort().values


def real_vs_real(
    dataset: GanDataset,
    *,
    n: int,
    n_real: int | None,
    device: torch.device | str,
    extractor: str | None = None,
    inception_weights: Path | None = None,
    metrics: Sequence[str] | None = None,
    registry: PluginRegistry | None = None,
    extractor_options: Mapping[str, Any] | None = None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Score ``n`` real samples (set B) against the protocol's real side (set A) with the runs' metric code."""
    split = dataset.spec.fid_split
    n_real = DEFAULT_N_REAL if n_real is None else n_real  # the runs' default, as evaluate_metrics resolves it
    a, b = disjoint_real(dataset, split, n_real, n)
    fake = _items(dataset, split, b)
    scores = evaluate_samples(
        fake,
        dataset,
        device=device,
        n_real=n_real,
        cache_dir=cache_dir,
        extractor=extractor,
        inception_weights=inception_weights,
        strict=True,
        metrics=metrics,
        registry=registry,
        extractor_options=extractor_options,
    )
    return {"variant": FLOOR_VARIANT, "dataset": dataset.spec.name, "n_a": len(a), "n_b": len(b), **scores}


def _split_size(dataset: GanDataset, split: str) -> int:
    tensors = dataset.tensors(split)
    return int(tensors[0].shape[0]) if tensors is not None else len(dataset.split(split))


def _items(dataset: GanDataset, split: str, indices: torch.Tensor) -> torch.Tensor:
    """The samples at ``indices`` as one tensor, in the dataset's conventions (what a generator would return)."""
    tensors = dataset.tensors(split)
    if tensors is not None:
        return tensors[0][indices]
    items = dataset.split(split)
    return torch.stack([torch.as_tensor(items[int(i)][0]) for i in indices])

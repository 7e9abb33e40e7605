"""Turning a :class:`GanDataset` into real batches fast.

Two paths, one ordering. Small datasets that expose ``tensors()`` are copied
onto the training device once and batched by indexing with a permutation:
no per-batch Python pipeline, no host-to-device copy per step. Big ones go
through a DataLoader with workers. Both draw each epoch's order from
``torch.randperm`` on a CPU generator seeded with ``seed``, so the sequence of
items is the same on CPU and CUDA, with or without workers, and a run can be
repeated exactly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, Dataset, Sampler, Subset

from ganbench.data.base import GanDataset
from ganbench.errors import UserError

_EVAL_BATCH = 256


def _split_size(dataset: GanDataset, split: str) -> tuple[torch.Tensor | None, int]:
    tensors = dataset.tensors(split)
    if tensors is not None:
        return tensors[0], int(tensors[0].shape[0])
    return None, len(dataset.split(split))


def _split_labels(dataset: GanDataset, split: str, n: int) -> torch.Tensor:
    """The labels of an in-memory split as int64 (``-1`` everywhere when it has none)."""
    tensors = dataset.tensors(split)
    labels = tensors[1] if tensors is not None and len(tensors) > 1 else None
    if labels is None:
        return torch.full((n,), -1, dtype=torch.long)
    return torch.as_tensor(labels).to(dtype=torch.long)


def _check_batch(dataset: GanDataset, split: str, n: int, batch_size: int) -> None:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UserError(f"batch size {batch_size!r} is invalid; use a positive integer")
    if n < batch_size:
        raise UserError(
            f"dataset {dataset.spec.name!r} split {split!r} has {n} items, fewer than one batch of {batch_size}; "
            f"use --batch-size {n} or less, or more data"
        )


def _permutations(n: int, seed: int) -> Iterator[torch.Tensor]:
    """One fresh permutation of ``range(n)`` per epoch, from a CPU generator (identical on every device)."""
    generator = torch.Generator(device="cpu").manual_seed(seed)
    while True:
        yield torch.randperm(n, generator=generator)


def _batch_starts(n: int, batch_size: int, seed: int, skip: int) -> Iterator[tuple[torch.Tensor, int]]:
    """(epoch permutation, batch start) pairs, beginning after the first ``skip`` batches.

    Skipping only draws the skipped epochs' permutations, so resuming a
    checkpointed run lands on exactly the batch it would have seen next.
    """
    per_epoch = n // batch_size
    epochs_done, first = divmod(skip, per_epoch)
    for epoch, perm in enumerate(_permutations(n, seed)):
        if epoch < epochs_done:
            continue
        start_batch = first if epoch == epochs_done else 0
        for start in range(start_batch * batch_size, n - batch_size + 1, batch_size):
            yield perm, start


class _EpochBatches(Sampler[list[int]]):
    """An endless batch sampler: drop_last batches over successive seeded permutations.

    Endless so that the DataLoader's workers never restart at an epoch boundary.
    """

    def __init__(self, n: int, batch_size: int, seed: int, skip: int = 0, part: tuple[int, int] | None = None) -> None:
        self.n, self.batch_size, self.seed, self.skip = n, batch_size, seed, skip
        self.offset, self.size = _part_rows(batch_size, part)

    def __iter__(self) -> Iterator[list[int]]:
        offset, size = self.offset, self.size
        for perm, start in _batch_starts(self.n, self.batch_size, self.seed, self.skip):
            yield perm[start + offset : start + offset + size].tolist()


def _part_rows(batch_size: int, part: tuple[int, int] | None) -> tuple[int, int]:
    """(first row, row count) of part ``index`` of ``count`` equal parts of a batch; the whole batch for None."""
    if part is None:
        return 0, batch_size
    index, count = part
    if batch_size % count or not 0 <= index < count:
        raise UserError(f"batch size {batch_size} cannot be split into {count} equal parts (part {index})")
    size = batch_size // count
    return index * size, size


def default_num_workers() -> int:
    return min(4, os.cpu_count() or 1)


def _images(batch: object) -> torch.Tensor:
    """The ``x`` of a collated ``(x, label)`` batch (or a bare tensor batch)."""
    return batch[0] if isinstance(batch, (list, tuple)) else batch  # type: ignore[return-value]


def _labels(batch: object, n: int) -> torch.Tensor:
    """The labels of a collated ``(x, label)`` batch as int64; ``-1`` for a bare tensor batch."""
    if isinstance(batch, (list, tuple)) and len(batch) > 1:
        return torch.as_tensor(batch[1]).to(dtype=torch.long)
    return torch.full((n,), -1, dtype=torch.long)


def _clean_worker_error(exc: UserError) -> UserError:
    """A DataLoader re-raises a worker's error with the worker's traceback in the message; keep the one line."""
    text = str(exc)
    if "Original Traceback" not in text:
        return exc
    last = [line for line in text.splitlines() if line.strip()][-1]
    prefix = f"{type(exc).__module__}.{type(exc).__qualname__}: "
    return type(exc)(last.removeprefix(prefix).removeprefix(f"{type(exc).__qualname__}: "))


def _loader(dataset: Dataset, batch_sampler: Sampler, device: torch.device, seed: int, num_workers: int) -> DataLoader:
    return DataLoader(
        dataset,
        batch_sampler=batch_sampler,
        num_workers=num_workers,
        pin_memory=device.type == "cuda",
        persistent_workers=num_workers > 0,
        generator=torch.Generator().manual_seed(seed),  # seeds the workers' RNGs
    )


def batch_stream(
    dataset: GanDataset,
    split: str,
    *,
    batch_size: int,
    device: torch.device,
    seed: int,
    num_workers: int | None = None,
    skip_batches: int = 0,
    part: tuple[int, int] | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """An endless stream of real batches ``(x, labels)`` on ``device``.

    ``x`` is float32 ``(batch_size, *spec.shape)``; ``labels`` is int64
    ``(batch_size,)``, the items' labels (``-1`` for unlabelled data). The
    trainer hands labels only to components that declare ``conditional``.

    drop_last; reshuffled every epoch, deterministically from ``seed``. Raises
    :class:`UserError` if the split holds fewer items than one batch.
    ``skip_batches`` starts the stream where a run that consumed that many
    batches left off (checkpoint resume), without loading the skipped ones.
    ``part=(index, count)`` yields only rows ``[index·b, (index+1)·b)`` of each
    batch, ``b = batch_size / count``: data-parallel ranks share one seeded
    order and each loads its own slice of every global batch (no overlap).
    """
    device = torch.device(device)
    x, n = _split_size(dataset, split)
    _check_batch(dataset, split, n, batch_size)
    if x is not None:
        return _tensor_stream(x, _split_labels(dataset, split, n), n, batch_size, device, seed, skip_batches, part)
    workers = default_num_workers() if num_workers is None else num_workers
    sampler = _EpochBatches(n, batch_size, seed, skip_batches, part)
    loader = _loader(dataset.split(split), sampler, device, seed, workers)
    return _loader_stream(loader, device)


def _tensor_stream(
    x: torch.Tensor,
    y: torch.Tensor,
    n: int,
    batch_size: int,
    device: torch.device,
    seed: int,
    skip: int = 0,
    part: tuple[int, int] | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    offset, size = _part_rows(batch_size, part)
    x = x.to(device=device, dtype=torch.float32)
    y = y.to(device=device)
    cpu_perm, perm = None, None
    for epoch_perm, start in _batch_starts(n, batch_size, seed, skip):
        if epoch_perm is not cpu_perm:  # one host-to-device copy per epoch
            cpu_perm, perm = epoch_perm, epoch_perm.to(device)
        index = perm[start + offset : start + offset + size]
        yield x.index_select(0, index), y.index_select(0, index)


def _loader_stream(loader: DataLoader, device: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    non_blocking = device.type == "cuda"
    try:
        for batch in loader:
            images = _images(batch).to(device=device, dtype=torch.float32, non_blocking=non_blocking)
            yield images, _labels(batch, images.shape[0]).to(device=device, non_blocking=non_blocking)
    except UserError as exc:
        raise _clean_worker_error(exc) from None


def all_samples(
    dataset: GanDataset, split: str, n: int | None, *, seed: int, num_workers: int | None = None
) -> torch.Tensor:
    """The first ``n`` items of a seeded permutation of ``split`` (all when ``n`` is None), as one CPU tensor.

    Metrics use this for their real samples. Asking for more items than the
    split holds is an error rather than a silently smaller sample, since FID and
    friends must be compared at equal N.
    """
    x, total = _split_size(dataset, split)
    if n is None:
        n = total
    if not isinstance(n, int) or n < 1 or n > total:
        raise UserError(
            f"asked for {n!r} real samples of dataset {dataset.spec.name!r} split {split!r}, "
            f"which has {total}; use a number from 1 to {total}"
        )
    order = next(_permutations(total, seed))[:n]
    if x is not None:
        return x.index_select(0, order).to(dtype=torch.float32, device="cpu")
    items = Subset(dataset.split(split), order.tolist())
    workers = default_num_workers() if num_workers is None else num_workers
    loader = DataLoader(items, batch_size=_EVAL_BATCH, shuffle=False, num_workers=workers)
    out = torch.empty(n, *dataset.spec.shape, dtype=torch.float32)
    filled = 0
    try:
        for batch in loader:
            images = _images(batch)
            out[filled : filled + images.shape[0]] = images
            filled += images.shape[0]
    except UserError as exc:
        raise _clean_worker_error(exc) from None
    return out

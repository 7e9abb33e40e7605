"""The dataset contract.

A dataset plugin registers a factory that returns a :class:`GanDataset`. The
engine only ever sees this interface, so embedded toys, torchvision datasets
and image folders are interchangeable.

Conventions (what every dataset must deliver):

* images are float32 tensors of shape ``(C, H, W)`` scaled to ``[-1, 1]``;
* 2D/point data are float32 vectors of shape ``(D,)`` in their natural units;
* every item is ``(x, label)``; ``label`` is an ``int`` class id, or ``-1`` when
  the dataset has no labels.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch.utils.data import Dataset

DataKind = Literal["image", "points"]


@dataclass(frozen=True)
class DataSpec:
    """What a model builder needs to know about a dataset, and how to measure it."""

    name: str
    kind: DataKind
    shape: tuple[int, ...]
    """``(C, H, W)`` for images, ``(D,)`` for points."""
    num_classes: int | None = None
    """Number of label classes when the dataset is labelled (digits: 10)."""
    mode_centres: tuple[tuple[float, ...], ...] | None = None
    """Known mode centres of a synthetic mixture (ring8, grid25)."""
    mode_std: float | None = None
    """Standard deviation of each mixture component."""
    fid_extractor: str = "inception-v3-compat"
    """The feature extractor FID uses by default on this dataset."""
    fid_split: str = "train"
    """The real split that FID compares against."""
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    """Free-form facts a metric may want (e.g. ``{"stacked": 3}``)."""

    @property
    def channels(self) -> int:
        return self.shape[0] if self.kind == "image" else 0

    @property
    def resolution(self) -> int | None:
        return self.shape[-1] if self.kind == "image" else None


@dataclass(frozen=True)
class DatasetOptions:
    """Everything a dataset factory may be configured with."""

    root: Path
    """Where downloadable datasets live (``--data-root`` / ``GANBENCH_DATA``)."""
    resolution: int | None = None
    """Requested image side in pixels; ``None`` means the dataset's native size."""
    download: bool = True
    """Try to download missing files (the call still fails cleanly when offline)."""
    argument: str | None = None
    """The part after ``:`` in a parameterised name such as ``folder:PATH``."""
    seed: int = 0
    """Seed for datasets that are sampled (the 2D mixtures)."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Dataset-specific options (``--data-opt KEY=VALUE``), checked against the names the dataset registered."""


class GanDataset(abc.ABC):
    """A dataset as the engine and the metrics see it."""

    spec: DataSpec
    splits: tuple[str, ...] = ("train",)

    @abc.abstractmethod
    def split(self, name: str) -> Dataset:
        """Items ``(x, label)`` of one split, following the module conventions."""

    def tensors(self, name: str) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The whole split as ``(x, labels)`` tensors, or ``None`` when it is too big.

        Datasets that return tensors here are copied once onto the training
        device and batched by indexing, with no per-batch Python pipeline.
        """
        return None

    def __len__(self) -> int:
        return len(self.split(self.spec.fid_split if self.spec.fid_split in self.splits else self.splits[0]))


class TensorGanDataset(GanDataset):
    """A dataset held entirely in memory as tensors, one pair per split."""

    def __init__(self, spec: DataSpec, splits: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
        self.spec = spec
        self._splits = splits
        self.splits = tuple(splits)

    def tensors(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        try:
            return self._splits[name]
        except KeyError:
            from ganbench.errors import UnknownNameError

            raise UnknownNameError(f"split of {self.spec.name}", name, self.splits) from None

    def split(self, name: str) -> Dataset:
        from torch.utils.data import TensorDataset

        return TensorDataset(*self.tensors(name))

    def __len__(self) -> int:
        return int(self.tensors(self.splits[0])[0].shape[0])

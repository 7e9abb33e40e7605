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

import torch
from torch.utils.data import Dataset

from ganbench.data.spec import DataKind, DatasetOptions, DataSpec

__all__ = ["DataKind", "DataSpec", "DatasetOptions", "GanDataset", "TensorGanDataset"]


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

"""What a dataset is (:class:`DataSpec`) and how it is configured (:class:`DatasetOptions`), without torch.

Registering a dataset, listing datasets and planning a run need these facts but no tensors, so they live
apart from :mod:`ganbench.data.base` (the dataset contract, which imports torch).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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

"""What a feature extractor is: the object an extractor factory returns, and a safe weights reader.

Part of the plugin API (re-exported by :mod:`ganbench.plugin`), so it depends on nothing else in
ganbench: a third-party extractor builds a :class:`FeatureExtractor` around its network, and reads
any weights file with :func:`load_weights`, which never unpickles code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ganbench.safeload import load_tensors

DEFAULT_BATCH_SIZE = 256


@dataclass
class FeatureExtractor:
    """A named, batched map from samples to features."""

    name: str
    layer: str
    weights_hash: str
    """Short sha256 of the weights file; ``"none"`` for weight-free extractors."""
    fn: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)
    """One batch, already on ``device``, to ``(B, F)`` features."""
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    batch_size: int = DEFAULT_BATCH_SIZE
    calls: int = 0
    """Number of batches processed (lets tests check that cached features are reused)."""
    options: dict[str, Any] = field(default_factory=dict)
    """The options the extractor was built with (``--extractor-opt``; set by ganbench): part of the
    real-feature cache key and of the results row, since they change the features."""
    provenance: dict[str, str] = field(default_factory=dict)
    """Where the weights came from (``fid_weights``, ``fid_weights_sha256``): copied into every results row."""

    @torch.no_grad()
    def extract_batches(self, batches: Iterable[torch.Tensor]) -> torch.Tensor:
        """Features of a stream of batches, gathered on the CPU as float32."""
        out = []
        for batch in batches:
            for start in range(0, batch.shape[0], self.batch_size):
                self.calls += 1
                chunk = batch[start : start + self.batch_size].to(self.device, non_blocking=True)
                out.append(self.fn(chunk).detach().float().cpu())
        if not out:
            raise ValueError(f"feature extractor {self.name!r} got no samples")
        return torch.cat(out)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Features of an in-memory tensor of samples, ``batch_size`` at a time."""
        return self.extract_batches([x])


def load_weights(path: Path | str) -> tuple[Any, str]:
    """A weights file read by :func:`ganbench.safeload.load_tensors` (``weights_only=True``), and its short sha256.

    The hash goes into :attr:`FeatureExtractor.weights_hash`, which keys the real-feature cache, so
    new weights never reuse stale features. A missing, corrupt or unsafe file is a one-line user error.
    """
    state = load_tensors(path, what="feature extractor weights file")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return state, digest.hexdigest()[:16]

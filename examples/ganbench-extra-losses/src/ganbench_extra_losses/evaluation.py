"""A metric column and a feature extractor, on ganbench's evaluation seams.

* ``energy-distance`` (metric, column ``energy_distance``, lower is better): the squared energy
  distance of Székely & Rizzo (2013) between generated and real samples,
  ``2·E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖``, on the flattened samples (V-statistic, at most
  :data:`MAX_SAMPLES` of each side, seeded). Zero exactly when the two empirical distributions
  are equal; in one dimension its square root is ``scipy.stats.energy_distance``.
* ``rff`` (feature extractor, ``--extractor rff``): random Fourier features (Rahimi & Recht 2007)
  of the flattened samples, ``sqrt(2/D)·cos(xW + b)`` with ``W ~ N(0, 1/σ²)`` and
  ``b ~ U[0, 2π)``; they approximate a Gaussian kernel of bandwidth σ, so FID on them compares
  kernel mean embeddings. ``W`` and ``b`` come from a fixed seed, or from a weights file
  (``--inception-weights PATH``, a ``{"w": (d, D), "b": (D,)}`` tensor dict read with
  ``load_weights``, never unpickled).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from ganbench.plugin import FeatureExtractor, MetricInputs, load_weights

MAX_SAMPLES = 2_000
"""Per side: the pairwise distances are O(n²) in memory."""
RFF_DIM = 64
RFF_BANDWIDTH = 1.0
RFF_SEED = 0


def _subset(x: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    x = x.flatten(1).double().cpu()
    if len(x) <= n:
        return x
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return x[order[:n]]


def energy_distance(fake: torch.Tensor, real: torch.Tensor) -> float:
    """Squared energy distance between two samples (rows), as a V-statistic."""
    x, y = fake.flatten(1).double(), real.flatten(1).double()
    xy = torch.cdist(x, y).mean()
    xx = torch.cdist(x, x).mean()
    yy = torch.cdist(y, y).mean()
    return float(2 * xy - xx - yy)


def energy_distance_metric(inputs: MetricInputs) -> dict[str, float]:
    """The ``energy-distance`` metric: declared needs ``fake`` and ``real``."""
    fake = _subset(inputs.fake, MAX_SAMPLES, seed=1)
    real = _subset(inputs.real, MAX_SAMPLES, seed=2)
    return {"energy_distance": energy_distance(fake, real)}


def _seeded_projection(d: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(RFF_SEED)
    w = torch.randn(d, RFF_DIM, generator=generator) / RFF_BANDWIDTH
    b = torch.rand(RFF_DIM, generator=generator) * 2 * math.pi
    return w, b


def rff_extractor(*, device: torch.device, batch_size: int, weights: Path | str | None = None) -> FeatureExtractor:
    """The ``rff`` extractor: a projection from ``weights`` (``--extractor-opt weights=PATH``), or a seeded one."""
    loaded: tuple[torch.Tensor, torch.Tensor] | None = None
    tag = f"seed{RFF_SEED}-s{RFF_BANDWIDTH}-d{RFF_DIM}"  # names the projection in the real-feature cache key
    if weights is not None:
        state, tag = load_weights(weights)
        loaded = (state["w"].float(), state["b"].float())
    params: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def features(x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1).float()
        d = x.shape[1]
        if d not in params:
            w, b = loaded if loaded is not None else _seeded_projection(d)
            if w.shape[0] != d or b.shape != (w.shape[1],):
                raise ValueError(f"rff weights have w {tuple(w.shape)}, b {tuple(b.shape)}; samples have {d} values")
            params[d] = (w.to(x.device), b.to(x.device))
        w, b = params[d]
        return math.sqrt(2.0 / w.shape[1]) * torch.cos(x @ w + b)

    return FeatureExtractor("rff", f"cos{RFF_DIM}", tag, features, device, batch_size)

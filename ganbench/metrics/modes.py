"""Mode-collapse counts: 2D Gaussian mixtures, digit classes and stacked-digit triples.

Definitions follow the PacGAN / VEEGAN protocols (docs/metrics.md):

* 2D mixtures: a sample is *high quality* (HQ) if it lies within 3σ of its
  nearest mode centre; a mode is captured if it is the nearest centre of at
  least one HQ sample; ``kl_modes`` is KL(HQ mode histogram ‖ uniform).
* Digits: a mode is a class predicted by the digit classifier.
* Stacked digits: a mode is a triple of classes (10³ = 1000 modes);
  KL = Σ p̂ log(p̂ / 0.001) over observed triples.

All KLs are in nats. The KL of an *empty* histogram (no HQ sample, no label)
is undefined; it is reported as ``log K``, the KL of a one-mode histogram and
the largest value any non-empty histogram can have (KL(p̂ ‖ U) = log K − H(p̂)
≤ log K). A seed that captured nothing thus scores at least as badly as one
that captured a single mode, instead of dropping out of the mean as NaN would.

Sample counts (2,500 for mixtures, 26,000 for stacked digits) are the caller's
business; these functions score whatever they are given (torch tensors on any device, NumPy
arrays or sequences). The arithmetic is NumPy: counting needs nothing more, and ``ganbench table``
scores its perfect-sampler reference rows without importing torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ganbench.errors import UserError

HQ_SIGMAS = 3.0
"""A sample is high quality within this many standard deviations of a mode centre (PacGAN)."""
PERFECT_SAMPLES = 2_500
PERFECT_DRAWS = 10


def as_numpy(values: Any, dtype: Any = None) -> np.ndarray:
    """A NumPy array of ``values`` (a torch tensor on any device, an array or a sequence)."""
    if hasattr(values, "detach"):  # a torch tensor, without importing torch here
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=dtype)


def kl_to_uniform(counts: Any, num_bins: int) -> float:
    """KL(p̂ ‖ uniform over ``num_bins``) in nats, p̂ = counts / sum; ``log(num_bins)`` when the histogram is empty.

    Equal to Σ_{p̂>0} p̂ log(p̂ · num_bins); empty bins contribute 0 (0 log 0 = 0). An empty
    histogram (no high-quality sample) gets the worst value a one-mode histogram has: see the module doc.
    """
    c = as_numpy(counts, np.float64).ravel()
    total = float(c.sum())
    if total <= 0:
        return math.log(num_bins)
    p = c[c > 0] / total
    return float((p * np.log(p * num_bins)).sum())


def mixture_modes(samples: Any, centres: Any, std: float) -> dict[str, float | int]:
    """Score 2D samples against a Gaussian mixture's centres and common std.

    Returns ``modes`` (captured), ``modes_total`` (number of centres),
    ``hq_fraction`` (HQ / all samples, 0-1) and ``kl_modes`` (nats; ``log K`` without HQ samples).
    """
    x = as_numpy(samples, np.float64)
    c = as_numpy(centres, np.float64)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1]:
        raise ValueError(
            f"samples (N, D) and centres (K, D) must agree in D; got {tuple(x.shape)} and {tuple(c.shape)}"
        )
    if c.shape[0] == 0:
        raise ValueError("centres is empty")
    if not (isinstance(std, int | float) and std > 0 and math.isfinite(std)):
        raise UserError(f"std must be a positive number, got {std!r}")
    k = c.shape[0]
    if x.shape[0] == 0:
        return {"modes": 0, "modes_total": k, "hq_fraction": 0.0, "kl_modes": math.log(k)}
    idx = np.empty(len(x), dtype=np.int64)
    sq_dist = np.empty(len(x))
    for start in range(0, len(x), 65_536):  # (chunk, K) distances: bounded memory for any N
        chunk = x[start : start + 65_536]
        d2 = ((chunk[:, None, :] - c[None, :, :]) ** 2).sum(-1)
        idx[start : start + len(chunk)] = d2.argmin(1)
        sq_dist[start : start + len(chunk)] = d2.min(1)
    hq = sq_dist < (HQ_SIGMAS * std) ** 2
    counts = np.bincount(idx[hq], minlength=k)
    return {
        "modes": int((counts > 0).sum()),
        "modes_total": k,
        "hq_fraction": float(hq.mean()),
        "kl_modes": kl_to_uniform(counts, k),
    }


def _labels(labels: Any, name: str) -> np.ndarray:
    t = as_numpy(labels)
    if t.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer class labels, got dtype {t.dtype}")
    return t.astype(np.int64)


def class_modes(labels: Any, num_classes: int) -> dict[str, float | int]:
    """Classes present among predicted ``labels`` (N,) and KL of their histogram to uniform (nats)."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise UserError(f"num_classes must be a positive integer, got {num_classes!r}")
    t = _labels(labels, "labels").ravel()
    if t.size and (int(t.min()) < 0 or int(t.max()) >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes - 1}], got range [{int(t.min())}, {int(t.max())}]")
    counts = np.bincount(t, minlength=num_classes)
    return {
        "modes": int((counts > 0).sum()),
        "modes_total": num_classes,
        "kl_modes": kl_to_uniform(counts, num_classes),
    }


def stacked_modes(labels: Any, num_classes: int = 10) -> dict[str, float | int]:
    """Distinct class triples among ``labels`` (N, 3) of ``num_classes**3`` and KL to uniform (nats).

    Channel order matters: (1, 2, 3) and (3, 2, 1) are different modes.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise UserError(f"num_classes must be a positive integer, got {num_classes!r}")
    t = _labels(labels, "labels")
    if t.ndim != 2 or t.shape[1] != 3:
        raise ValueError(f"labels must have shape (N, 3), got {tuple(t.shape)}")
    if t.size and (int(t.min()) < 0 or int(t.max()) >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes - 1}], got range [{int(t.min())}, {int(t.max())}]")
    total = num_classes**3
    codes = (t[:, 0] * num_classes + t[:, 1]) * num_classes + t[:, 2]
    counts = np.bincount(codes, minlength=total)
    return {"modes": int((counts > 0).sum()), "modes_total": total, "kl_modes": kl_to_uniform(counts, total)}


def sample_mixture(centres: Any, std: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` float64 points of the mixture itself: a uniformly chosen centre plus isotropic N(0, std²) noise."""
    c = np.asarray(centres, dtype=np.float64)
    return c[rng.integers(len(c), size=n)] + std * rng.standard_normal((n, c.shape[1]))


def perfect_mixture_scores(
    centres: Sequence[Sequence[float]], std: float, n: int = PERFECT_SAMPLES, draws: int = PERFECT_DRAWS, seed: int = 0
) -> dict[str, float]:
    """What a perfect sampler scores: ``draws`` samples of ``n`` points from the true mixture (uniform mode
    weights, isotropic ``std``), scored with :func:`mixture_modes`, averaged. The reference point for
    ``hq_fraction`` (1 − e^−4.5 ≈ 0.989 in 2D, less a little for overlapping modes) and ``kl_modes``
    (not 0: a finite sample's histogram is never exactly uniform)."""
    rng = np.random.default_rng(seed)
    c = np.asarray(centres, dtype=np.float64)
    totals = {"modes": 0.0, "hq_fraction": 0.0, "kl_modes": 0.0}
    for _ in range(draws):
        scores = mixture_modes(sample_mixture(c, std, n, rng), c, std)
        for key in totals:
            totals[key] += float(scores[key]) / draws
    return totals

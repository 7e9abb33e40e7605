"""Number of statistically Different Bins (Richardson & Weiss 2018).

Follows eitanrich/gans-n-gmms ``utils/ndb.py``: K-means on real features
defines K bins (ordered by decreasing real proportion); samples go to their
nearest bin centre; each bin's real vs generated proportion is compared with
a two-sided, pooled two-proportion z-test; NDB is the number of bins with
p < alpha. ``ndb_js`` is the Jensen-Shannon divergence of the two bin
histograms in nats (natural log, as the reference code; its maximum is ln 2).

Deviations from the reference, on purpose:

* Real proportions come from assigning the real samples to the final
  centres with the same nearest-centre rule used for generated samples (the
  reference uses the K-means labels of its last iteration), so identical
  data always lands in identical bins.
* No random subset of dimensions for d > 1000 (a speed hack in the
  reference); distances use all features, computed in chunks.
* One k-means++ initialisation by default (``n_init=1``; the reference used
  sklearn's old default of 10): the bins only need to be a fixed, sensible
  partition of the real data, not the best of several clusterings, and
  fitting stays a few seconds for 10k samples on 2 CPU cores.
* K is reduced to ``max_bins(n_real, k)`` = min(k, n_real // 10) so every bin
  holds about 10 real samples on average, the usual floor for the normal
  approximation behind the z-test (n·p ≥ 5-10). Fewer than 20 real samples
  (2 bins) is refused.

The bins are fixed by ``seed`` and can be cached with :meth:`NDB.state_dict`,
so generated sets are always compared against the same bins; compare NDB only
at equal generated sample counts (the test's power grows with N).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from scipy.stats import norm
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from ganbench.errors import UserError
from ganbench.metrics.distances import ArrayLike, as_matrix, nearest

MIN_REAL_PER_BIN = 10
"""Average real samples per bin below which K is reduced."""

SINGLE_THREAD_WORK = 10**8
"""Below this n·d·K, K-means runs on one thread: its OpenMP loop gains little on small
problems and slows down 10-50x when the CPU is oversubscribed (parallel test runs)."""


def max_bins(n_real: int, k: int) -> int:
    """The number of bins actually used for ``n_real`` real samples when ``k`` are asked for."""
    return min(k, n_real // MIN_REAL_PER_BIN)


def two_proportion_z_test(p1: torch.Tensor, n1: int, p2: torch.Tensor, n2: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pooled two-proportion z-test per bin; returns ``(z, two_sided_p_value)``.

    A bin empty (or full) in both samples has zero standard error and no
    evidence of a difference: z = 0, p = 1 (the reference's 0/0 = NaN is
    likewise never significant).
    """
    p1, p2 = p1.double(), p2.double()
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = torch.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    diff = p1 - p2
    z = torch.where(se > 0, diff / torch.where(se > 0, se, torch.ones_like(se)), torch.zeros_like(se))
    p_value = torch.from_numpy(2.0 * norm.sf(np.abs(z.numpy())))
    return z, p_value


def js_divergence(p: torch.Tensor, q: torch.Tensor) -> float:
    """Jensen-Shannon divergence of two histograms in nats (0 ≤ JS ≤ ln 2)."""
    p, q = p.double(), q.double()
    m = 0.5 * (p + q)

    def kl(a: torch.Tensor) -> torch.Tensor:
        pos = a > 0
        return (a[pos] * torch.log(a[pos] / m[pos])).sum()

    return float(0.5 * (kl(p) + kl(q)))


class NDB:
    """Bins fitted on real features; :meth:`evaluate` scores a generated set against them."""

    def __init__(
        self,
        real_features: ArrayLike,
        k: int = 100,
        seed: int = 0,
        max_iter: int = 100,
        n_init: int = 1,
        chunk_size: int = 4096,
    ) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 2:
            raise UserError(f"NDB k (number of bins) must be an integer >= 2, got {k!r}")
        real = as_matrix(real_features, "real_features", dtype=None).cpu()  # float64 only per block
        n = real.shape[0]
        k_used = max_bins(n, k)
        if k_used < 2:
            raise UserError(
                f"NDB needs at least {2 * MIN_REAL_PER_BIN} real samples ({MIN_REAL_PER_BIN} per bin), got {n}"
            )
        km = KMeans(n_clusters=k_used, n_init=n_init, max_iter=max_iter, random_state=seed)
        threads = 1 if n * real.shape[1] * k_used < SINGLE_THREAD_WORK else None
        with threadpool_limits(limits=threads, user_api="openmp"):
            km.fit(real.numpy().astype(np.float32, copy=False))
        # Round to the stored float32 first so real and generated samples see the very same centres.
        centres = torch.from_numpy(km.cluster_centers_).float()
        counts = torch.bincount(nearest(real, centres.double(), chunk_size)[0], minlength=k_used)
        order = torch.argsort(counts, descending=True, stable=True)
        self.centres = centres[order]
        self.proportions = counts[order].double() / n
        self.n_real = n
        self.k_requested = k
        self.seed = seed
        self.chunk_size = chunk_size

    @property
    def k(self) -> int:
        """Number of bins in use (may be below the requested k, see :func:`max_bins`)."""
        return int(self.centres.shape[0])

    def bin_proportions(self, features: ArrayLike) -> torch.Tensor:
        """Share of ``features`` falling in each bin, shape (K,), float64."""
        x = as_matrix(features, "fake_features", dtype=None).cpu()
        if x.shape[1] != self.centres.shape[1]:
            raise ValueError(f"features have dimension {x.shape[1]}, bins were fitted on {self.centres.shape[1]}")
        if x.shape[0] == 0:
            raise ValueError("cannot compute NDB of zero samples")
        idx, _ = nearest(x, self.centres.double(), self.chunk_size)
        return torch.bincount(idx, minlength=self.k).double() / x.shape[0]

    def evaluate(self, fake_features: ArrayLike, alpha: float = 0.05) -> dict[str, float | int]:
        """Return ``ndb`` (significantly different bins), ``ndb_k`` (ndb / K) and ``ndb_js`` (nats)."""
        if not (isinstance(alpha, int | float) and 0 < alpha < 1):
            raise UserError(f"NDB alpha (significance level) must lie in (0, 1), got {alpha!r}")
        n_fake = len(fake_features)
        q = self.bin_proportions(fake_features)
        _, p_value = two_proportion_z_test(self.proportions, self.n_real, q, n_fake)
        ndb = int((p_value < alpha).sum())
        return {"ndb": ndb, "ndb_k": ndb / self.k, "ndb_js": js_divergence(self.proportions, q)}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild the bins without refitting (tensors and ints)."""
        return {
            "centres": self.centres.clone(),
            "proportions": self.proportions.clone(),
            "n_real": self.n_real,
            "k_requested": self.k_requested,
            "seed": self.seed,
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, Any], chunk_size: int = 4096) -> NDB:
        """Rebuild bins saved by :meth:`state_dict` (e.g. from a real-statistics cache)."""
        missing = {"centres", "proportions", "n_real"} - set(state)
        if missing:
            raise ValueError(f"NDB state is missing {sorted(missing)}")
        self = cls.__new__(cls)
        self.centres = torch.as_tensor(state["centres"]).float().cpu()
        self.proportions = torch.as_tensor(state["proportions"]).double().cpu()
        if self.centres.dim() != 2 or self.proportions.shape != (self.centres.shape[0],):
            raise ValueError("NDB state has inconsistent centres/proportions shapes")
        if not math.isclose(float(self.proportions.sum()), 1.0, rel_tol=1e-9):
            raise ValueError("NDB state proportions do not sum to 1")
        self.n_real = int(state["n_real"])
        self.k_requested = int(state.get("k_requested", self.centres.shape[0]))
        self.seed = int(state.get("seed", 0))
        self.chunk_size = chunk_size
        return self

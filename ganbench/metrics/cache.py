"""On-disk cache of real-data features and statistics.

Extracting Inception features of 10,000 real images costs minutes on a CPU
and is the same for every cell that evaluates against that data, so it is
done once and stored in a directory: the ``cache_dir`` argument if given, else
``$GANBENCH_CACHE/real-stats``, else ``~/.cache/ganbench/real-stats``
(``GANBENCH_CACHE`` names ganbench's cache root, shared with other caches).

A file is keyed by everything that changes its content: dataset, split,
resolution, extractor, layer, weights hash, sample count, and a fingerprint of
the selected real samples (which catches e.g. a 2D mixture sampled with a
different seed under the same name). The key string goes into every results
row as ``real_stats_key``. Each file holds the real features (for KID, PRDC),
torch-fidelity's FID statistics, the fitted NDB bins and the real k-NN radii
of PRDC (everything of the real side that does not depend on the generated
samples), and KID's per-subset real-real kernel sums. Those depend on the KID
parameters and, through the subset draws, on the generated sample count, so
they are stored by :func:`ganbench.metrics.kid.kid_cache_key` (which names all
of them), added on the first evaluation that needs them and written back.
Writes are atomic; two processes adding sums at once may lose one of the two
additions (the last file wins), which only costs a recomputation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Subset

from ganbench.cache_root import cache_root
from ganbench.data.base import GanDataset
from ganbench.metrics.features import FeatureExtractor
from ganbench.metrics.fid import Stats, feature_statistics
from ganbench.results.atomic import default_file_mode
from ganbench.safeload import load_tensors

log = logging.getLogger(__name__)

CACHE_VERSION = 1
SUBSET_SEED = 0
"""Seed of the real-sample subset when ``n_real`` is below the split size."""
FINGERPRINT_ITEMS = 16
DEFAULT_N_REAL = 10_000
"""Real samples used when the caller does not say (PRDC's reference protocol is 10k vs 10k)."""


def default_cache_dir() -> Path:
    return cache_root() / "real-stats"


@dataclass(frozen=True)
class RealStatsKey:
    dataset: str
    split: str
    resolution: int | None
    extractor: str
    layer: str
    weights_hash: str
    n: int
    data_hash: str
    options_hash: str = ""
    """Short hash of the extractor's options (``--extractor-opt``); empty without options (older keys unchanged)."""

    def __str__(self) -> str:
        res = f"r{self.resolution}" if self.resolution else "rna"
        options = f"-o{self.options_hash[:8]}" if self.options_hash else ""
        return (
            f"{_safe(self.dataset)}-{self.split}-{res}-{self.extractor}-{self.layer}"
            f"-w{self.weights_hash[:8]}{options}-n{self.n}-d{self.data_hash[:8]}-v{CACHE_VERSION}"
        )


def options_hash(options: Mapping[str, Any]) -> str:
    """A stable short hash of extractor options (JSON with sorted keys); empty for none."""
    if not options:
        return ""
    text = json.dumps(dict(options), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _safe(name: str) -> str:
    """A file-name-safe dataset name; hashed suffix when anything had to be replaced (``folder:/a/b``)."""
    clean = re.sub(r"[^a-z0-9._-]+", "_", name.lower())[:40]
    return clean if clean == name else f"{clean}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


@dataclass
class RealStats:
    key: RealStatsKey
    features: torch.Tensor
    """``(n, F)`` float32 real features."""
    stats: Stats
    """torch-fidelity's ``{"mu", "sigma"}`` (float64)."""
    ndb_state: dict[str, Any] | None = None
    prdc_radii: dict[int, torch.Tensor] | None = None
    """PRDC's squared real k-NN radii by k (float64), see :func:`ganbench.metrics.prdc.real_knn_radii`."""
    extra: dict[str, Any] = field(default_factory=dict)
    kid_sums: dict[str, torch.Tensor] = field(default_factory=dict)
    """KID's per-subset Σ_{i≠j} k(real_i, real_j) (float64) by :func:`ganbench.metrics.kid.kid_cache_key`."""
    store: RealStatsCache | None = field(default=None, repr=False, compare=False)
    """The cache this entry came from or went to; :meth:`add_kid_sums` writes back there."""

    def add_kid_sums(self, key: str, sums: torch.Tensor) -> None:
        """Remember KID's real-side sums under ``key`` and update the cache file."""
        self.kid_sums[key] = sums.detach().to("cpu", torch.float64).contiguous()
        if self.store is not None:
            self.store.save(self)


class RealStatsCache:
    """Load/save :class:`RealStats` files; a corrupt or unreadable file counts as a miss."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()

    def path(self, key: RealStatsKey) -> Path:
        return self.root / f"{key}.pt"

    def load(self, key: RealStatsKey) -> RealStats | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            blob = load_tensors(path, what="real-stats cache")
            stats = {k: blob["stats"][k].numpy() for k in ("mu", "sigma")}
            radii = blob.get("prdc")
            radii = {int(k): v for k, v in radii.items()} if radii is not None else None
            kid_sums = dict(blob.get("kid") or {})
            return RealStats(
                key, blob["features"], stats, blob.get("ndb"), radii, blob.get("extra", {}), kid_sums, self
            )
        except Exception as err:  # a torn or foreign file: recompute rather than fail the run
            log.warning("ignoring unreadable real-stats cache %s (%s)", path, err)
            return None

    def save(self, real: RealStats) -> Path:
        path = self.path(real.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = {
            "key": str(real.key),
            "features": real.features.contiguous(),
            "stats": {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in real.stats.items()},
            "ndb": real.ndb_state,
            "prdc": {str(k): v.contiguous() for k, v in real.prdc_radii.items()} if real.prdc_radii else None,
            "extra": real.extra,
            "kid": dict(real.kid_sums),
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                torch.save(blob, f)
            os.chmod(tmp, default_file_mode())  # mkstemp makes it 0600; the cache is shared
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path


def select_real(dataset: GanDataset, split: str, n_real: int | None) -> torch.Tensor:
    """Indices of the real samples to use: all of the split, or a seeded subset of ``n_real``."""
    tensors = dataset.tensors(split)
    total = int(tensors[0].shape[0]) if tensors is not None else len(dataset.split(split))
    if n_real is None or n_real >= total:
        return torch.arange(total)
    if n_real < 1:
        raise ValueError(f"n_real must be positive, got {n_real}")
    perm = torch.randperm(total, generator=torch.Generator().manual_seed(SUBSET_SEED))
    return perm[:n_real].sort().values


def _fingerprint(dataset: GanDataset, split: str, indices: torch.Tensor) -> str:
    """Hash of the split size and the first selected items: cheap, yet tells sampled variants apart."""
    h = hashlib.sha256()
    tensors = dataset.tensors(split)
    total = int(tensors[0].shape[0]) if tensors is not None else len(dataset.split(split))
    h.update(f"{total}:{len(indices)}".encode())
    head = indices[:FINGERPRINT_ITEMS]
    if tensors is not None:
        items = tensors[0][head]
    else:
        ds = dataset.split(split)
        items = torch.stack([torch.as_tensor(ds[int(i)][0]) for i in head])
    h.update(items.detach().cpu().float().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def _extract_real(dataset: GanDataset, split: str, indices: torch.Tensor, extractor: FeatureExtractor) -> torch.Tensor:
    tensors = dataset.tensors(split)
    if tensors is not None:
        x = tensors[0]
        batches = (x[indices[i : i + extractor.batch_size]] for i in range(0, len(indices), extractor.batch_size))
        return extractor.extract_batches(batches)
    loader = DataLoader(Subset(dataset.split(split), indices.tolist()), batch_size=extractor.batch_size, num_workers=0)
    return extractor.extract_batches(batch[0] for batch in loader)


def real_stats(
    dataset: GanDataset,
    extractor: FeatureExtractor,
    *,
    split: str,
    n_real: int | None = DEFAULT_N_REAL,
    cache_dir: Path | None = None,
    ndb_fit: Callable[[torch.Tensor], dict[str, Any] | None] | None = None,
    prdc_fit: Callable[[torch.Tensor], dict[int, torch.Tensor] | None] | None = None,
) -> RealStats:
    """The real features/statistics for one protocol, from the cache or computed and stored.

    ``ndb_fit(features) -> state`` fits NDB's bins and ``prdc_fit(features) ->
    radii`` computes PRDC's real k-NN radii on a miss (or when a cached file
    predates them), so the k-means and the real-real distances run once per key too.
    """
    indices = select_real(dataset, split, n_real)
    key = RealStatsKey(
        dataset=dataset.spec.name,
        split=split,
        resolution=dataset.spec.resolution,
        extractor=extractor.name,
        layer=extractor.layer,
        weights_hash=extractor.weights_hash,
        n=len(indices),
        data_hash=_fingerprint(dataset, split, indices),
        options_hash=options_hash(extractor.options),
    )
    cache = RealStatsCache(cache_dir)
    real = cache.load(key)
    if real is not None:
        stale = False
        if ndb_fit is not None and real.ndb_state is None:
            real.ndb_state = ndb_fit(real.features)
            stale = True
        if prdc_fit is not None and real.prdc_radii is None:
            real.prdc_radii = prdc_fit(real.features)
            stale = True
        if stale:
            cache.save(real)
        return real
    features = _extract_real(dataset, split, indices, extractor)
    real = RealStats(key, features, feature_statistics(features), store=cache)
    if ndb_fit is not None:
        real.ndb_state = ndb_fit(features)
    if prdc_fit is not None:
        real.prdc_radii = prdc_fit(features)
    cache.save(real)
    return real

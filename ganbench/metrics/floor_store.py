"""Stored real-vs-real floors: what two disjoint real samples score against each other, looked up by protocol.

FID is biased upwards at finite N and KID/precision/recall have their own finite-sample values, so an image
GAN's scores are only readable next to what *real* images score under the same protocol (Heusel et al. 2017
discuss the bias; Chong & Forsyth 2020 measure it). Computing that floor costs a feature extraction of N more
real images (minutes of Inception on a CPU), so ``ganbench floor`` computes it once and stores it; leaderboards
then find it here, without torch.

A floor is keyed by the runs' ``real_stats_key`` (dataset, split, resolution, extractor, layer, weights hash,
real N, real-subset fingerprint) and the generated-sample count ``fid_n_fake``: a run matches a floor only when
both are equal, so a floor is never shown beside rows scored under another protocol.

Where floors are looked for, first hit wins: ``floor*.json`` files in the results folders being tabulated (a
committed baseline carries its own), then ``$GANBENCH_CACHE/floors`` (default ``~/.cache/ganbench/floors``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ganbench.cache_root import cache_root
from ganbench.results.atomic import finite_or_null, write_json

FLOOR_METRICS = (
    "fid", "kid_mean", "precision", "recall", "density", "coverage", "modes", "kl_modes", "ndb", "ndb_js",
)  # fmt: skip
"""The metrics a floor record provides to a leaderboard's context row (when finite)."""
FLOOR_VARIANT = "real-vs-real"


def floors_dir() -> Path:
    """``$GANBENCH_CACHE/floors`` (default ``~/.cache/ganbench/floors``)."""
    return cache_root() / "floors"


def floor_file_name(real_stats_key: str, n_fake: int) -> str:
    """A short, file-name-safe name for one protocol's floor."""
    digest = hashlib.sha256(f"{real_stats_key}|{n_fake}".encode()).hexdigest()[:16]
    return f"floor-{digest}.json"


def save_floor(record: Mapping[str, Any], folder: Path | None = None) -> Path:
    """Write ``record`` (it must carry ``real_stats_key`` and ``fid_n_fake``) atomically into the store."""
    key, n_fake = record["real_stats_key"], int(record["fid_n_fake"])
    path = (folder or floors_dir()) / floor_file_name(str(key), n_fake)
    write_json(path, finite_or_null(dict(record)))
    return path


def find_floor(real_stats_key: str, n_fake: int, folders: Iterable[Path] = ()) -> dict[str, Any] | None:
    """The stored floor of this protocol: from ``floor*.json`` in ``folders``, else from the cache; or None."""
    cached = _read(floors_dir() / floor_file_name(real_stats_key, n_fake))
    for record in [*_records(folders), *cached]:
        if record.get("real_stats_key") == real_stats_key and _int(record.get("fid_n_fake")) == n_fake:
            return record
    return None


def floor_context(record: Mapping[str, Any]) -> dict[str, float]:
    """The finite values of :data:`FLOOR_METRICS` in ``record``, as floats."""
    out: dict[str, float] = {}
    for metric in FLOOR_METRICS:
        value = record.get(metric)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            out[metric] = float(value)
    return out


def _records(folders: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("floor*.json")):
                yield from _read(path)


def _read(path: Path) -> list[dict[str, Any]]:
    """The records in one JSON file (one object or a list of them); nothing for a missing or unreadable file
    (a floor is context: a broken file loses the context row, never the table)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    items = data if isinstance(data, list) else [data]
    return [item for item in items if isinstance(item, dict)]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

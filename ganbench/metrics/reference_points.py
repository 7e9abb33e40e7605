"""Reference points for the leaderboard's context rows: what a perfect sampler of a dataset scores.

Computed from the dataset's definition (its registered factory's mode centres and σ) with the same metric
code the runs are scored with (:func:`ganbench.metrics.modes.perfect_mixture_scores`), so the reference and the
runs can never disagree on a definition. Where the runs' FID is on raw coordinates (2D mixtures), its
real-versus-real floor too: N samples of the true mixture against as many as the runs' real split holds
(that split is itself a draw of the mixture), in NumPy so that a table of 2D runs imports no torch.
FID is biased upwards at finite N, so its floor is above 0 and a run cannot beat it; KID is unbiased, its
real-versus-real value is 0 in expectation (on raw grid25 coordinates its noise is about ±0.5), so no floor is
shown for it.

Image datasets need their feature extractor and two disjoint real sets, minutes of work: ``ganbench floor``
computes that once per protocol and stores it (:mod:`ganbench.metrics.floor_store`); here it is only looked up,
by the rows' ``real_stats_key`` and ``fid_n_fake``, in the results folders and the cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ganbench import columns
from ganbench.data.paths import default_data_root
from ganbench.data.spec import DatasetOptions, DataSpec
from ganbench.metrics.floor_store import find_floor, floor_context
from ganbench.metrics.frechet import frechet_distance_of_samples
from ganbench.metrics.modes import PERFECT_DRAWS, PERFECT_SAMPLES, perfect_mixture_scores, sample_mixture
from ganbench.registry import get_registry

FLOOR_DRAWS = 3
"""Draws averaged for the FID floor (each compares N fake-sized against N real-sized draws of the mixture)."""
FLOOR_SEED = 1
MIXTURE_LABEL = (
    f"(reference): a perfect sampler, i.e. the true mixture sampled (N points as the runs, mean of {PERFECT_DRAWS} "
    f"draws) and scored with the same metric code; FID: the real-vs-real floor (mean of {FLOOR_DRAWS} pairs of "
    "draws of the mixture, of the runs' fake and real sizes)"
)
FLOOR_LABEL = (
    "(reference) on images: the real-vs-real floor, N real images disjoint from the runs' real side scored as if "
    "generated (`ganbench floor`, same protocol): what real images score, the floor a generated sample is read against"
)


def context_label(frame: pd.DataFrame, context: Mapping[str, Mapping[str, float]]) -> str:
    """The legend line(s) for the context rows ``context`` holds: the kinds of reference shown, no others."""
    if not context or "dataset" not in frame.columns:
        return ""
    kinds = set()
    for dataset, rows in frame.groupby(frame["dataset"].astype(str), sort=True):
        if str(dataset) in context:
            kinds.add(columns.data_kind_of(rows.iloc[0].to_dict()) == "points")
    return " ".join(label for is_points, label in ((True, MIXTURE_LABEL), (False, FLOOR_LABEL)) if is_points in kinds)


def reference_points(frame: pd.DataFrame, folders: Iterable[Path] = ()) -> dict[str, dict[str, float]]:
    """Per dataset in ``frame``, its reference points: on 2D mixtures what a perfect sampler scores (modes,
    hq_fraction, kl_modes, and the FID floor where FID is on raw coordinates); on other datasets the stored
    real-vs-real floor of the rows' protocol, looked for in ``folders`` (the results folders) and the cache.
    A dataset without any gets none."""
    out: dict[str, dict[str, float]] = {}
    if "dataset" not in frame.columns or frame.empty:
        return out
    folders = list(folders)
    for dataset, rows in frame.groupby(frame["dataset"].astype(str), sort=True):
        if columns.data_kind_of(rows.iloc[0].to_dict()) == "points":
            points = _mixture_points(str(dataset), rows)
        else:
            points = _stored_floor(rows, folders)
        if points:
            out[str(dataset)] = points
    return out


def _mixture_points(dataset: str, rows: pd.DataFrame) -> dict[str, float]:
    try:
        entry, argument = get_registry().dataset(dataset)
        options = DatasetOptions(root=default_data_root(), argument=argument, download=False)
        spec = entry.spec or entry.factory(options).spec  # a declared spec: nothing to load (no torch)
    except Exception:  # an unknown or unbuildable dataset only loses its context row
        return {}
    if spec.mode_centres is None or spec.mode_std is None:
        return {}
    n = _one(rows, "fid_n_fake") or PERFECT_SAMPLES
    points = perfect_mixture_scores(spec.mode_centres, float(spec.mode_std), n)
    n_real = _one(rows, "fid_n_real")
    if n_real and "fid_extractor" in rows and (rows["fid_extractor"] == "raw").all():
        points.update(_raw_floor(spec, n, n_real))
    return points


def _stored_floor(rows: pd.DataFrame, folders: list[Path]) -> dict[str, float]:
    """The stored floor of the rows' one protocol (none when the rows mix protocols or none is stored)."""
    keys = rows["real_stats_key"].dropna().astype(str).unique() if "real_stats_key" in rows else []
    n_fake = _one(rows, "fid_n_fake")
    if len(keys) != 1 or not n_fake:
        return {}
    record = find_floor(str(keys[0]), n_fake, folders)
    return floor_context(record) if record else {}


def floor_commands(frame: pd.DataFrame, folders: Iterable[Path] = ()) -> list[str]:
    """``ganbench floor`` command lines for the non-2D datasets in ``frame`` whose protocol has no stored floor."""
    out = []
    if "dataset" not in frame.columns or frame.empty:
        return out
    folders = list(folders)
    for dataset, rows in frame.groupby(frame["dataset"].astype(str), sort=True):
        if columns.data_kind_of(rows.iloc[0].to_dict()) == "points" or _stored_floor(rows, folders):
            continue
        n_fake, n_real = _one(rows, "fid_n_fake"), _one(rows, "fid_n_real")
        extractors = rows["fid_extractor"].dropna().astype(str).unique() if "fid_extractor" in rows else []
        if n_fake and n_real and len(extractors) == 1 and _fits(str(dataset), rows, n_fake + n_real):
            out.append(f"ganbench floor --dataset {dataset} --n {n_fake} --n-real {n_real} --extractor {extractors[0]}")
    return out


def _fits(dataset: str, rows: pd.DataFrame, needed: int) -> bool:
    """Whether the FID split can hold two disjoint sets of ``needed`` images in all, as far as the registry's
    declared training-set size tells (other splits, and datasets of unknown size, are given the benefit of the
    doubt: ``ganbench floor`` then says in one line if they do not fit)."""
    splits = rows["fid_split"].dropna().astype(str).unique() if "fid_split" in rows else []
    if list(splits) != ["train"]:
        return True
    try:
        size = get_registry().dataset(dataset)[0].size
    except Exception:  # an unknown dataset: no size to judge by
        return True
    return not size or needed <= int(size)


def _one(rows: pd.DataFrame, column: str) -> int | None:
    """The one value ``rows`` hold in ``column`` (as an int), or ``None`` when absent or mixed."""
    values = pd.to_numeric(rows[column], errors="coerce").dropna() if column in rows else pd.Series(dtype=float)
    return int(values.iloc[0]) if len(values) and values.nunique() == 1 else None


def _raw_floor(spec: DataSpec, n_fake: int, n_real: int) -> dict[str, float]:
    """FID on raw coordinates between ``n_fake`` and ``n_real`` points, both drawn from the true mixture (the
    runs' real split is itself such a draw): NumPy only, so a table of 2D runs needs no torch."""
    if spec.mode_centres is None or spec.mode_std is None:
        return {}
    rng = np.random.default_rng(FLOOR_SEED)
    fids = [
        frechet_distance_of_samples(
            sample_mixture(spec.mode_centres, float(spec.mode_std), n_fake, rng),
            sample_mixture(spec.mode_centres, float(spec.mode_std), n_real, rng),
        )
        for _ in range(FLOOR_DRAWS)
    ]
    return {"fid": sum(fids) / len(fids)}

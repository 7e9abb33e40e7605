"""Reference points for the leaderboard's context rows: what a perfect sampler of a dataset scores.

Computed from the dataset's definition (its registered factory's mode centres and σ) with the same metric
code the runs are scored with (:func:`ganbench.metrics.modes.perfect_mixture_scores`), so the reference and the
runs can never disagree on a definition. Where the runs' FID is on raw coordinates (2D mixtures), its
real-versus-real floor too: N samples of the true mixture against as many as the runs' real split holds
(that split is itself a draw of the mixture), in NumPy so that a table of 2D runs imports no torch.
FID is biased upwards at finite N, so its floor is above 0 and a run cannot beat it; KID is unbiased, its
real-versus-real value is 0 in expectation (on raw grid25 coordinates its noise is about ±0.5), so no floor is
shown for it. (Image datasets would need their feature extractor and two disjoint real sets: not computed here.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ganbench import columns
from ganbench.data.paths import default_data_root
from ganbench.data.spec import DatasetOptions, DataSpec
from ganbench.metrics.frechet import frechet_distance_of_samples
from ganbench.metrics.modes import PERFECT_DRAWS, PERFECT_SAMPLES, perfect_mixture_scores, sample_mixture
from ganbench.registry import get_registry

FLOOR_DRAWS = 3
"""Draws averaged for the FID floor (each compares N fake-sized against N real-sized draws of the mixture)."""
FLOOR_SEED = 1
CONTEXT_LABEL = (
    f"(reference): a perfect sampler, i.e. the true mixture sampled (N points as the runs, mean of {PERFECT_DRAWS} "
    f"draws) and scored with the same metric code; FID: the real-vs-real floor (mean of {FLOOR_DRAWS} pairs of "
    "draws of the mixture, of the runs' fake and real sizes)"
)


def reference_points(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per 2D-mixture dataset in ``frame``, what a perfect sampler scores (modes, hq_fraction, kl_modes, and
    the FID floor where FID is on raw coordinates); datasets the registry cannot build, or that have no mode
    centres, get none."""
    out: dict[str, dict[str, float]] = {}
    if "dataset" not in frame.columns or frame.empty:
        return out
    for dataset, rows in frame.groupby(frame["dataset"].astype(str), sort=True):
        if columns.data_kind_of(rows.iloc[0].to_dict()) != "points":
            continue
        try:
            entry, argument = get_registry().dataset(str(dataset))
            options = DatasetOptions(root=default_data_root(), argument=argument, download=False)
            spec = entry.spec or entry.factory(options).spec  # a declared spec: nothing to load (no torch)
        except Exception:  # an unknown or unbuildable dataset only loses its context row
            continue
        if spec.mode_centres is None or spec.mode_std is None:
            continue
        n = _one(rows, "fid_n_fake") or PERFECT_SAMPLES
        out[str(dataset)] = perfect_mixture_scores(spec.mode_centres, float(spec.mode_std), n)
        n_real = _one(rows, "fid_n_real")
        if n_real and "fid_extractor" in rows and (rows["fid_extractor"] == "raw").all():
            out[str(dataset)].update(_raw_floor(spec, n, n_real))
    return out


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

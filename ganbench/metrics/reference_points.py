"""Reference points for the leaderboard's context rows: what a perfect sampler of a dataset scores.

Computed from the dataset's definition (its registered factory's mode centres and σ) with the same metric
code the runs are scored with (:func:`ganbench.metrics.modes.perfect_mixture_scores`), so the reference and the
runs can never disagree on a definition. Where the runs' FID is on raw coordinates (2D mixtures), its
real-versus-real floor too: N samples of the true mixture against the runs' real split. FID is biased upwards
at finite N, so its floor is above 0 and a run cannot beat it; KID is unbiased, its real-versus-real value is 0
in expectation (on raw grid25 coordinates its noise is about ±0.5), so no floor is shown for it. (Image
datasets would need their feature extractor and two disjoint real sets: not computed here.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ganbench import columns
from ganbench.data.paths import default_data_root
from ganbench.data.spec import DatasetOptions, DataSpec
from ganbench.metrics.modes import PERFECT_DRAWS, PERFECT_SAMPLES, perfect_mixture_scores, sample_true_mixture
from ganbench.registry import get_registry

if TYPE_CHECKING:
    from ganbench.data.base import GanDataset

FLOOR_DRAWS = 3
"""Draws averaged for the FID floor (each compares N points against the runs' real split)."""
CONTEXT_LABEL = (
    f"(reference): a perfect sampler, i.e. the true mixture sampled (N points as the runs, mean of {PERFECT_DRAWS} "
    f"draws) and scored with the same metric code; FID: the real-vs-real floor (mean of {FLOOR_DRAWS} draws "
    "against the runs' real split)"
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
        if "fid_extractor" in rows and (rows["fid_extractor"] == "raw").all():
            out[str(dataset)].update(_raw_floor(entry.factory(options), spec, rows, n))
    return out


def _one(rows: pd.DataFrame, column: str) -> int | None:
    """The one value ``rows`` hold in ``column`` (as an int), or ``None`` when absent or mixed."""
    values = pd.to_numeric(rows[column], errors="coerce").dropna() if column in rows else pd.Series(dtype=float)
    return int(values.iloc[0]) if len(values) and values.nunique() == 1 else None


def _raw_floor(data: GanDataset, spec: DataSpec, rows: pd.DataFrame, n: int) -> dict[str, float]:
    """FID of the true mixture against the runs' real split, on raw coordinates."""
    import torch  # with torch-fidelity (FID): only where a floor is computed, so other tables stay torch-free

    from ganbench.metrics.fid import fid_from_features

    tensors = data.tensors(spec.fid_split or "test")
    if tensors is None or spec.mode_centres is None or spec.mode_std is None:
        return {}
    real = tensors[0].reshape(len(tensors[0]), -1).double()
    real = real[: _one(rows, "fid_n_real") or len(real)]
    gen = torch.Generator().manual_seed(1)
    fids = [
        fid_from_features(sample_true_mixture(spec.mode_centres, float(spec.mode_std), n, gen), real)
        for _ in range(FLOOR_DRAWS)
    ]
    return {"fid": sum(fids) / len(fids)}

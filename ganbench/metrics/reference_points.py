"""Reference points for the leaderboard's context rows: what a perfect sampler of a dataset scores.

Computed from the dataset's definition (its registered factory's mode centres and σ) with the same metric
code the runs are scored with (:func:`ganbench.metrics.modes.perfect_mixture_scores`), so the reference and the
runs can never disagree on a definition.
"""

from __future__ import annotations

import pandas as pd

from ganbench import columns
from ganbench.data.paths import default_data_root
from ganbench.data.spec import DatasetOptions
from ganbench.metrics.modes import PERFECT_DRAWS, PERFECT_SAMPLES, perfect_mixture_scores
from ganbench.registry import get_registry

CONTEXT_LABEL = (
    f"(reference): a perfect sampler, i.e. the true mixture sampled (N points as the runs, mean of {PERFECT_DRAWS} "
    "draws) and scored with the same mode metric"
)


def reference_points(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per 2D-mixture dataset in ``frame``, what a perfect sampler scores (modes, hq_fraction, kl_modes);
    datasets the registry cannot build, or that have no mode centres, get none."""
    out: dict[str, dict[str, float]] = {}
    if "dataset" not in frame.columns or frame.empty:
        return out
    for dataset, rows in frame.groupby(frame["dataset"].astype(str), sort=True):
        if columns.data_kind_of(rows.iloc[0].to_dict()) != "points":
            continue
        try:
            entry, argument = get_registry().dataset(str(dataset))
            spec = (
                entry.spec
                or entry.factory(  # a declared spec: no dataset to load, no torch to import
                    DatasetOptions(root=default_data_root(), argument=argument, download=False)
                ).spec
            )
        except Exception:  # an unknown or unbuildable dataset only loses its context row
            continue
        if spec.mode_centres is None or spec.mode_std is None:
            continue
        counts = pd.to_numeric(rows["fid_n_fake"], errors="coerce").dropna() if "fid_n_fake" in rows else []
        n = int(counts.iloc[0]) if len(counts) and counts.nunique() == 1 else PERFECT_SAMPLES
        out[str(dataset)] = perfect_mixture_scores(spec.mode_centres, float(spec.mode_std), n)
    return out

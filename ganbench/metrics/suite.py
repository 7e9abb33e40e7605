"""The built-in metrics' computations and the metric columns of a results row.

What runs depends on the dataset (its :class:`~ganbench.data.base.DataSpec`):

* every dataset: FID (torch-fidelity) and KID (its exact re-implementation) on the FID extractor's features,
  plus PRDC and NDB on the same features, against ``spec.fid_split``;
* 2D mixtures (``mode_centres``): FID on raw coordinates, mode counts / %HQ / KL;
* digits (``num_classes`` and the ``ganbench-digits`` extractor): the shipped
  classifier labels each sample; stacked digits label each channel (1000 modes).

The built-in ``metrics`` plugin registers these functions; the one call that scores samples with
every registered metric is :func:`ganbench.metrics.evaluate.evaluate_samples` (which imports this
module, never the other way round). The real side comes from the on-disk cache (:mod:`.cache`).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ganbench.data.base import DataSpec, GanDataset
from ganbench.errors import IncompatibleError
from ganbench.metrics.cache import RealStats
from ganbench.metrics.digits_classifier import EXTRACTOR_NAME as DIGITS_EXTRACTOR
from ganbench.metrics.digits_classifier import load_digit_classifier
from ganbench.metrics.fid import feature_statistics, fid_agreement_note, fid_from_statistics
from ganbench.metrics.frechet import frechet_distance
from ganbench.metrics.kid import kid_with_cache
from ganbench.metrics.modes import class_modes, mixture_modes, stacked_modes
from ganbench.metrics.ndb import NDB, max_bins
from ganbench.metrics.prdc import K_DC, K_PR, prdc, real_knn_radii

NDB_K = 100
NDB_SEED = 0

METRIC_COLUMNS: tuple[str, ...] = (
    "fid", "fid_extractor", "fid_layer", "fid_n_fake", "fid_n_real", "fid_split", "fid_note", "real_stats_key",
    "fid_weights", "fid_weights_sha256", "kid_mean", "kid_std", "kid_subset_size", "kid_subsets", "precision",
    "recall", "density", "coverage",
    "prdc_k_pr", "prdc_k_dc", "modes", "modes_total", "hq_fraction", "kl_modes", "ndb", "ndb_k", "ndb_js", "eval_s",
)  # fmt: skip
TEXT_COLUMNS = frozenset(
    {
        "fid_extractor",
        "fid_extractor_options",
        "fid_layer",
        "fid_split",
        "fid_note",
        "real_stats_key",
        "class_accuracy_note",
        "fid_weights",
        "fid_weights_sha256",
    }
)


def empty_row() -> dict[str, object]:
    """Every metric column, NaN (numbers) or None (text): 'not measured'."""
    return {c: (None if c in TEXT_COLUMNS else math.nan) for c in METRIC_COLUMNS}


def fid_split_of(dataset: GanDataset) -> str:
    spec = dataset.spec
    return spec.fid_split if spec.fid_split in dataset.splits else dataset.splits[0]


def ndb_fit(features: torch.Tensor) -> dict[str, Any] | None:
    """NDB bins on the real features (k-means, seeded); K shrinks with few samples, under 2 bins: none."""
    if max_bins(len(features), NDB_K) < 2:
        return None
    return NDB(features, k=NDB_K, seed=NDB_SEED).state_dict()


def prdc_fit(features: torch.Tensor) -> dict[int, torch.Tensor] | None:
    """PRDC's real k-NN radii, cached with the real features; none when k-NN balls are undefined."""
    if len(features) <= max(K_PR, K_DC):
        return None
    return real_knn_radii(features, (K_PR, K_DC))


def distribution_metrics(real: RealStats, fake_features: torch.Tensor, device: torch.device) -> dict[str, object]:
    """FID, KID, PRDC and NDB between cached real features and generated features."""
    out: dict[str, object] = {}
    for part in (fid_kid_metrics(real, fake_features), prdc_metrics(real, fake_features, device)):
        out.update(part)
    out.update(ndb_metrics(real, fake_features))
    return out


def fid_kid_metrics(real: RealStats, fake_features: torch.Tensor) -> dict[str, object]:
    """FID (torch-fidelity, cross-checked in float64) and KID; ``fid_note`` says why a value is missing or shaky."""
    out: dict[str, object] = {}
    notes: list[str] = []
    n_fake, dim = fake_features.shape
    if n_fake >= 2:
        fake_stats = feature_statistics(fake_features)
        fid = fid_from_statistics(fake_stats, real.stats)
        ours = frechet_distance(fake_stats["mu"], fake_stats["sigma"], real.stats["mu"], real.stats["sigma"])
        check = fid_agreement_note(fid, ours)
        if check:
            notes.append(check)
        out["fid"] = fid
        if min(n_fake, len(real.features)) <= dim:
            notes.append(f"N ({min(n_fake, len(real.features))}) not above feature dim {dim}: covariance singular")
        kid, kid_key, new_sums = kid_with_cache(fake_features, real.features, real.kid_sums)
        if new_sums is not None:  # first evaluation with these KID parameters: cache the real side's sums
            real.add_kid_sums(kid_key, new_sums)
        out.update({k: kid[k] for k in ("kid_mean", "kid_std", "kid_subset_size", "kid_subsets")})
    else:
        notes.append(f"{n_fake} generated sample(s): FID/KID need at least 2")
    if notes:
        out["fid_note"] = "; ".join(notes)
    return out


def prdc_metrics(real: RealStats, fake_features: torch.Tensor, device: torch.device) -> dict[str, object]:
    """Precision, recall, density and coverage, with the real k-NN radii from the cache."""
    if fake_features.shape[0] > 5 and len(real.features) > 5:  # k-NN balls need more than k = 5 points
        out = dict(prdc(real.features.to(device), fake_features.to(device), real_radii=real.prdc_radii))
        return {**out, "prdc_k_pr": K_PR, "prdc_k_dc": K_DC}
    return {}


def ndb_metrics(real: RealStats, fake_features: torch.Tensor) -> dict[str, object]:
    """NDB on the bins fitted to the real features (none when the real side is too small for 2 bins)."""
    if real.ndb_state is None:
        return {}
    ndb = NDB.from_state_dict(real.ndb_state).evaluate(fake_features)
    return {"ndb": ndb["ndb"], "ndb_k": ndb["ndb_k"], "ndb_js": ndb["ndb_js"]}


def mode_metrics(
    fake: torch.Tensor, spec: DataSpec, device: torch.device, labels: torch.Tensor | None = None
) -> dict[str, object]:
    """Mode coverage: mixture centres for 2D data, the digit classifier for digits.

    ``labels``: the classifier's labels of ``fake`` if the caller already has them.
    """
    if spec.kind == "points" and spec.mode_centres is not None and spec.mode_std is not None:
        centres = torch.tensor(spec.mode_centres, dtype=torch.float32)
        return dict(mixture_modes(fake.detach().float().cpu(), centres, float(spec.mode_std)))
    if spec.kind != "image" or spec.fid_extractor != DIGITS_EXTRACTOR:
        return {}
    stacked = spec.extra.get("stacked")
    if labels is None:
        labels = load_digit_classifier(device).classify(fake)
    if stacked:
        if labels.dim() != 2 or labels.shape[1] != int(stacked):  # type: ignore[arg-type]
            raise IncompatibleError(f"stacked digits need {stacked} channels, got shape {tuple(fake.shape)}")
        return dict(stacked_modes(labels, num_classes=int(spec.extra.get("digit_classes", 10))))  # type: ignore[arg-type]
    if spec.num_classes:
        return dict(class_modes(labels, spec.num_classes))
    return {}

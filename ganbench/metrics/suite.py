"""One call that scores generated samples against a dataset: the metric columns of a results row.

What runs depends on the dataset (its :class:`~ganbench.data.base.DataSpec`):

* every dataset: FID (torch-fidelity) and KID (its exact re-implementation) on the FID extractor's features,
  plus PRDC and NDB on the same features, against ``spec.fid_split``;
* 2D mixtures (``mode_centres``): FID on raw coordinates, mode counts / %HQ / KL;
* digits (``num_classes`` and the ``ganbench-digits`` extractor): the shipped
  classifier labels each sample; stacked digits label each channel (1000 modes).

The real side comes from the on-disk cache (:mod:`.cache`). If the Inception
weights are missing, FID/KID/PRDC/NDB are NaN with ``fid_note`` saying why and
the other metrics still run, unless ``strict=True`` (then the one-line
:class:`~ganbench.metrics.inception.InceptionWeightsMissingError` propagates).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import torch

from ganbench.data.base import DataSpec, GanDataset
from ganbench.errors import IncompatibleError
from ganbench.metrics.cache import DEFAULT_N_REAL, RealStats, real_stats
from ganbench.metrics.digits_classifier import EXTRACTOR_NAME as DIGITS_EXTRACTOR
from ganbench.metrics.digits_classifier import load_digit_classifier
from ganbench.metrics.features import get_extractor
from ganbench.metrics.fid import (
    KID_SUBSET_SIZE,
    KID_SUBSETS,
    feature_statistics,
    fid_agreement_note,
    fid_from_statistics,
    frechet_distance,
)
from ganbench.metrics.inception import InceptionWeightsMissingError
from ganbench.metrics.kid import kid_with_cache
from ganbench.metrics.modes import class_modes, mixture_modes, stacked_modes
from ganbench.metrics.ndb import NDB, max_bins
from ganbench.metrics.prdc import K_DC, K_PR, prdc, real_knn_radii

NDB_K = 100
NDB_SEED = 0

METRIC_COLUMNS: tuple[str, ...] = (
    "fid", "fid_extractor", "fid_layer", "fid_n_fake", "fid_n_real", "fid_split", "fid_note", "real_stats_key",
    "kid_mean", "kid_std", "kid_subset_size", "kid_subsets", "precision", "recall", "density", "coverage",
    "prdc_k_pr", "prdc_k_dc", "modes", "modes_total", "hq_fraction", "kl_modes", "ndb", "ndb_k", "ndb_js", "eval_s",
)  # fmt: skip
TEXT_COLUMNS = frozenset({"fid_extractor", "fid_layer", "fid_split", "fid_note", "real_stats_key"})


def empty_row() -> dict[str, object]:
    """Every metric column, NaN (numbers) or None (text): 'not measured'."""
    return {c: (None if c in TEXT_COLUMNS else math.nan) for c in METRIC_COLUMNS}


def fid_split_of(dataset: GanDataset) -> str:
    spec = dataset.spec
    return spec.fid_split if spec.fid_split in dataset.splits else dataset.splits[0]


def _check_fake(fake: torch.Tensor, spec: DataSpec) -> None:
    if fake.dim() < 2 or tuple(fake.shape[1:]) != tuple(spec.shape):
        want = ", ".join(map(str, spec.shape))
        got = tuple(fake.shape)
        raise IncompatibleError(f"generated samples have shape {got}; dataset {spec.name!r} needs (N, {want})")


def _ndb_fit(features: torch.Tensor) -> dict[str, Any] | None:
    """NDB bins on the real features (k-means, seeded); K shrinks with few samples, under 2 bins: none."""
    if max_bins(len(features), NDB_K) < 2:
        return None
    return NDB(features, k=NDB_K, seed=NDB_SEED).state_dict()


def _prdc_fit(features: torch.Tensor) -> dict[int, torch.Tensor] | None:
    """PRDC's real k-NN radii, cached with the real features; none when k-NN balls are undefined."""
    if len(features) <= max(K_PR, K_DC):
        return None
    return real_knn_radii(features, (K_PR, K_DC))


def kid_protocol(n_fake: int, n_real: int) -> dict[str, int]:
    """KID's subset size and count: the subset size is capped at the smaller set (torch-fidelity's rule)."""
    return {"kid_subset_size": min(KID_SUBSET_SIZE, n_fake, n_real), "kid_subsets": KID_SUBSETS}


def distribution_metrics(real: RealStats, fake_features: torch.Tensor, device: torch.device) -> dict[str, object]:
    """FID, KID, PRDC and NDB between cached real features and generated features."""
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
        out.update(kid_mean=kid["kid_mean"], kid_std=kid["kid_std"])
        out.update(kid_protocol(n_fake, len(real.features)))
    else:
        notes.append(f"{n_fake} generated sample(s): FID/KID need at least 2")
    if n_fake > 5 and len(real.features) > 5:  # k-NN balls need more than k = 5 points
        out.update(prdc(real.features.to(device), fake_features.to(device), real_radii=real.prdc_radii))
        out.update(prdc_k_pr=K_PR, prdc_k_dc=K_DC)
    if real.ndb_state is not None:
        ndb = NDB.from_state_dict(real.ndb_state).evaluate(fake_features)
        out.update(ndb=ndb["ndb"], ndb_k=ndb["ndb_k"], ndb_js=ndb["ndb_js"])
    if notes:
        out["fid_note"] = "; ".join(notes)
    return out


def _labels_digits(spec: DataSpec) -> bool:
    """Whether mode counting labels the samples with the shipped digit classifier."""
    return (
        spec.kind == "image"
        and spec.fid_extractor == DIGITS_EXTRACTOR
        and bool(spec.extra.get("stacked") or spec.num_classes)
    )


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


def evaluate_samples(
    fake: torch.Tensor,
    dataset: GanDataset,
    *,
    device: torch.device | str,
    n_real: int | None = None,
    cache_dir: Path | None = None,
    extractor: str | None = None,
    inception_weights: Path | None = None,
    strict: bool = False,
) -> dict[str, object]:
    """Score ``fake`` (dataset conventions, any device) against ``dataset``; returns the metric columns.

    ``n_real`` real samples (default: the whole FID split, at most
    ``DEFAULT_N_REAL``) are drawn with a fixed seed; ``extractor`` overrides
    ``spec.fid_extractor``. Columns that do not apply are NaN/None.
    """
    start = time.perf_counter()
    device = torch.device(device)
    spec = dataset.spec
    _check_fake(fake, spec)
    row = empty_row()
    labels: torch.Tensor | None = None
    split = fid_split_of(dataset)
    name = extractor or spec.fid_extractor
    row.update(fid_extractor=name, fid_split=split, fid_n_fake=int(fake.shape[0]))
    try:
        fx = get_extractor(name, device=device, inception_weights=inception_weights)
    except InceptionWeightsMissingError as err:
        if strict:
            raise
        row["fid_note"] = str(err)
        fx = None
    if fx is not None:
        real = real_stats(
            dataset,
            fx,
            split=split,
            n_real=n_real if n_real is not None else DEFAULT_N_REAL,
            cache_dir=cache_dir,
            ndb_fit=_ndb_fit,
            prdc_fit=_prdc_fit,
        )
        row.update(fid_layer=fx.layer, fid_n_real=real.key.n, real_stats_key=str(real.key))
        if fx.name == DIGITS_EXTRACTOR and _labels_digits(spec):
            # One CNN pass for the FID features and the mode labels (the same network and layer).
            fake_features, labels = load_digit_classifier(device).features_and_labels(fake)
        else:
            fake_features = fx(fake)
        row.update(distribution_metrics(real, fake_features, device))
    row.update(mode_metrics(fake, spec, device, labels))
    row["eval_s"] = time.perf_counter() - start
    return row

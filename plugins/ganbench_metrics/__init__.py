"""Built-in plugin: ganbench's own metrics and feature extractors, on the same seams as a third party's.

Feature extractors (``Registrar.add_feature_extractor``): ``inception-v3-compat`` (torch-fidelity's
TF-ported InceptionV3, pool3), ``ganbench-digits`` (the shipped digit CNN, also registered into
torch-fidelity) and ``raw`` (the samples themselves). Metrics (``Registrar.add_metric``), computed by
default in this order: ``fid`` (FID and KID), ``prdc``, ``ndb``, ``modes`` and ``code-accuracy``
(InfoGAN). Each wraps one function of :mod:`ganbench.metrics.suite` (or :mod:`ganbench.runner.codes`),
where the definitions and their papers are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ganbench import columns
from ganbench.metrics import features, suite
from ganbench.metrics.digits_classifier import EXTRACTOR_NAME as DIGITS_EXTRACTOR
from ganbench.metrics.digits_classifier import FeatureExtractorGanbenchDigits
from ganbench.metrics.evaluate import DIGIT_LABELS
from ganbench.plugin import FeatureExtractor, MetricColumn, MetricInputs, Registrar, hookimpl


def _declared(*names: str) -> list[MetricColumn]:
    """The catalogue's declarations of built-in columns (so direction and format have one source)."""
    found = [columns.column(n) for n in names]
    assert all(found), names
    return found  # type: ignore[return-value]


def _adapt(factory: Any) -> Any:
    """The extractor seam's ``(device, weights, batch_size)`` onto :mod:`ganbench.metrics.features`' factories."""

    def build(*, device: torch.device, weights: Path | str | None, batch_size: int) -> FeatureExtractor:
        return factory(device=device, inception_weights=weights, batch_size=batch_size)

    build.__doc__ = factory.__doc__
    return build


def fid_kid(inputs: MetricInputs) -> Mapping[str, Any]:
    return suite.fid_kid_metrics(inputs.real_stats, inputs.fake_features)


def prdc(inputs: MetricInputs) -> Mapping[str, Any]:
    return suite.prdc_metrics(inputs.real_stats, inputs.fake_features, inputs.device)


def ndb(inputs: MetricInputs) -> Mapping[str, Any]:
    return suite.ndb_metrics(inputs.real_stats, inputs.fake_features)


def modes(inputs: MetricInputs) -> Mapping[str, Any]:
    """Mixture centres for 2D data; the digit classifier's labels (shared with its features pass) for digits."""
    return suite.mode_metrics(inputs.fake, inputs.spec, inputs.device, inputs.shared.get(DIGIT_LABELS))


def code_accuracy(inputs: MetricInputs) -> Mapping[str, Any]:
    """Losses with categorical codes (InfoGAN): Hungarian-matched accuracy of the first code on real labels."""
    models = inputs.models
    if not hasattr(models.loss, "predict_codes") or not getattr(models.loss, "categorical", ()):
        return {}
    from ganbench.runner.codes import code_accuracy as accuracy_of

    accuracy = accuracy_of(models, inputs.dataset, inputs.device)
    return {} if accuracy is None or math.isnan(accuracy) else {"code_accuracy": accuracy}


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_feature_extractor(
        "inception-v3-compat",
        _adapt(features._inception),
        description="torch-fidelity's TF-ported InceptionV3, pool3 (2048-D): FID comparable with the literature.",
    )
    registrar.add_feature_extractor(
        DIGITS_EXTRACTOR,
        _adapt(features._digits),
        description="The shipped digit CNN's penultimate layer (64-D per channel, concatenated).",
        torch_fidelity=FeatureExtractorGanbenchDigits,
    )
    registrar.add_feature_extractor(
        "raw",
        _adapt(features._raw),
        description="The samples themselves, flattened (2D mixtures: FID on the coordinates).",
        data_kinds=("image", "points"),
    )
    registrar.add_metric(
        "fid",
        fid_kid,
        description="FID (Heusel et al. 2017) and KID (Bińkowski et al. 2018) on the extractor's features.",
        columns=_declared("fid", "kid_mean", "kid_std"),
        protocol=("fid_note", "kid_subset_size", "kid_subsets"),
        needs=("features",),
    )
    registrar.add_metric(
        "prdc",
        prdc,
        description="Precision, recall, density, coverage (Naeem et al. 2020), k-NN manifolds on the features.",
        columns=_declared("precision", "recall", "density", "coverage"),
        protocol=("prdc_k_pr", "prdc_k_dc"),
        needs=("features",),
    )
    registrar.add_metric(
        "ndb",
        ndb,
        description="Number of statistically different bins (Richardson & Weiss 2018), k-means on real features.",
        columns=_declared("ndb", "ndb_k", "ndb_js"),
        needs=("features",),
    )
    registrar.add_metric(
        "modes",
        modes,
        description="Modes captured, high-quality fraction and KL to uniform (mixtures; digits by the classifier).",
        columns=_declared("modes", "hq_fraction", "kl_modes"),
        protocol=("modes_total",),
        needs=("fake",),
    )
    registrar.add_metric(
        "code-accuracy",
        code_accuracy,
        description="InfoGAN (Chen et al. 2016): categorical-code accuracy on labelled real data.",
        columns=_declared("code_accuracy"),
        needs=("models", "real"),
    )

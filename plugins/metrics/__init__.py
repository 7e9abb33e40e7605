"""Built-in plugin: ganbench's own metrics and feature extractors, on the same seams as a third party's.

Feature extractors (``Registrar.add_feature_extractor``): ``inception-v3-compat`` (torch-fidelity's
TF-ported InceptionV3, pool3), ``ganbench-digits`` (the shipped digit CNN, also registered into
torch-fidelity) and ``raw`` (the samples themselves). Metrics (``Registrar.add_metric``), computed by
default in this order: ``fid`` (FID and KID), ``prdc``, ``ndb``, ``modes`` and ``code-accuracy``
(InfoGAN); for conditional generators ``class_accuracy``, ``intra_fid`` and ``cas``. Each wraps one
function of :mod:`ganbench.metrics.suite`, :mod:`ganbench.metrics.conditional` (or
:mod:`ganbench.runner.codes`), where the definitions and their papers are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from ganbench import columns
from ganbench.metrics import conditional, features, suite
from ganbench.metrics.digits_classifier import EXTRACTOR_NAME as DIGITS_EXTRACTOR
from ganbench.metrics.digits_classifier import FeatureExtractorGanbenchDigits, load_digit_classifier
from ganbench.metrics.evaluate import DIGIT_LABELS
from ganbench.plugin import MetricColumn, MetricInputs, Registrar, hookimpl


def _declared(*names: str) -> list[MetricColumn]:
    """The catalogue's declarations of built-in columns (so direction and format have one source)."""
    found = [columns.column(n) for n in names]
    assert all(found), names
    return found  # type: ignore[return-value]


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


def _single_digits(inputs: MetricInputs) -> bool:
    """Whether the shipped digit classifier labels this dataset's samples (one digit per image)."""
    spec = inputs.spec
    return (
        spec.kind == "image"
        and spec.fid_extractor == DIGITS_EXTRACTOR
        and spec.num_classes == 10
        and not spec.extra.get("stacked")
    )


def _stacked_digits(inputs: MetricInputs) -> bool:
    """Stacked digits labelled by their digit triple: the classifier labels each channel."""
    spec = inputs.spec
    return spec.fid_extractor == DIGITS_EXTRACTOR and bool(spec.extra.get("stacked")) and bool(spec.num_classes)


def class_accuracy(inputs: MetricInputs) -> Mapping[str, Any]:
    """The digit classifier (per channel on stacked digits); own-mode HQ samples on 2D mixtures; else a note."""
    spec, wanted = inputs.spec, inputs.fake_labels
    if spec.kind == "points" and spec.mode_centres is not None and spec.mode_std is not None:
        centres = torch.tensor(spec.mode_centres, dtype=torch.float64)
        return {"class_accuracy": conditional.mixture_class_accuracy(inputs.fake, wanted, centres, spec.mode_std)}
    if _single_digits(inputs) or _stacked_digits(inputs):
        predicted = inputs.shared.get(DIGIT_LABELS)
        if predicted is None:
            predicted = load_digit_classifier(inputs.device).classify(inputs.fake)
        if predicted.dim() == 2:  # stacked digits: one digit per channel -> the dataset's 100a + 10b + c
            predicted = conditional.stacked_label(predicted, int(spec.extra.get("digit_classes", 10)))
        return {"class_accuracy": conditional.per_class_accuracy(predicted, wanted)}
    return {"class_accuracy_note": f"class_accuracy: no classifier for dataset {spec.name!r}"}


def intra_fid(inputs: MetricInputs) -> Mapping[str, Any]:
    return conditional.intra_fid(inputs.real_features, inputs.real_labels, inputs.fake_features, inputs.fake_labels)


def cas(inputs: MetricInputs) -> Mapping[str, Any]:
    """Digits only: the shipped architecture is a digit classifier."""
    if not _single_digits(inputs):
        return {}
    score = conditional.classification_accuracy_score(
        inputs.fake, inputs.fake_labels, inputs.real, inputs.real_labels, inputs.device
    )
    return {
        "cas": score,
        "cas_epochs": conditional.CAS_EPOCHS,
        "cas_n_train": min(int(inputs.fake.shape[0]), conditional.CAS_MAX_TRAIN),
    }


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_feature_extractor(
        "inception-v3-compat",
        features.inception_extractor,
        description="torch-fidelity's TF-ported InceptionV3, pool3 (2048-D): FID comparable with the literature.",
    )
    registrar.add_feature_extractor(
        DIGITS_EXTRACTOR,
        features.digits_extractor,
        description="The shipped digit CNN's penultimate layer (64-D per channel, concatenated).",
        torch_fidelity=FeatureExtractorGanbenchDigits,
    )
    registrar.add_feature_extractor(
        "raw",
        features.raw_extractor,
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
    registrar.add_metric(
        "class_accuracy",
        class_accuracy,
        description="Conditional G: share of samples generated for class k that the dataset's classifier assigns to k.",
        columns=_declared("class_accuracy"),
        protocol=("class_accuracy_note",),
        needs=("fake", "fake_labels"),
    )
    registrar.add_metric(
        "intra_fid",
        intra_fid,
        description="Conditional G: mean over classes of the per-class FID (Miyato & Koyama 2018).",
        columns=_declared("intra_fid", "intra_fid_classes", "intra_fid_n_fake", "intra_fid_n_real"),
        protocol=("intra_fid_note",),
        needs=("features", "labels", "fake_labels"),
    )
    registrar.add_metric(
        "cas",
        cas,
        description="Conditional G on digits: classification accuracy score (Ravuri & Vinyals 2019).",
        columns=_declared("cas"),
        protocol=("cas_epochs", "cas_n_train"),
        needs=("fake", "fake_labels", "real", "labels"),
        data_kinds=("image",),
    )

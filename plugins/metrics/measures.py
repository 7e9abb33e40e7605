"""What the built-in metrics plugin registers, as callables: each wraps a function of :mod:`ganbench.metrics`.

Imported only when a metric or extractor runs (the plugin registers ``lazy`` references to these), so
listing plugins loads neither torch-fidelity nor scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from ganbench.metrics import conditional, features, suite
from ganbench.metrics.digits_classifier import EXTRACTOR_NAME as DIGITS_EXTRACTOR
from ganbench.metrics.digits_classifier import load_digit_classifier
from ganbench.metrics.evaluate import DIGIT_LABELS
from ganbench.plugin import MetricInputs


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


inception = features.inception_extractor  # the only one that names inception_weights: the others never see them
digits = features.digits_extractor
raw = features.raw_extractor

"""Run the registered metrics on one set of generated samples: the metric columns of a results row.

Every metric, built-in or a plugin's, arrives through ``Registrar.add_metric`` and runs here the
same way: it declares what it needs, gets a :class:`~ganbench.metrics.inputs.MetricInputs`, and
returns values for the columns it declared. Shared inputs are computed once, and only if a selected
metric needs them: the real-side features come from the on-disk cache (:mod:`.cache`), keyed by
dataset, split, extractor, weights and N.

If the Inception weights are missing, the metrics that need features are skipped (their columns NaN)
with ``fid_note`` saying why, and the other metrics still run, unless ``strict=True`` (then the
one-line :class:`~ganbench.metrics.inception.InceptionWeightsMissingError` propagates).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganbench.data.base import DataSpec, GanDataset
from ganbench.errors import IncompatibleError, PluginError
from ganbench.metrics.cache import DEFAULT_N_REAL, RealStats, real_stats, select_real
from ganbench.metrics.digits_classifier import EXTRACTOR_NAME as DIGITS_EXTRACTOR
from ganbench.metrics.digits_classifier import load_digit_classifier
from ganbench.metrics.features import get_extractor
from ganbench.metrics.fid import rank_note
from ganbench.metrics.inception import InceptionWeightsMissingError
from ganbench.metrics.inputs import MetricInputs, MetricUnavailableError
from ganbench.metrics.suite import TEXT_COLUMNS, fid_split_of, ndb_fit, prdc_fit
from ganbench.registrar import MetricEntry
from ganbench.registry import PluginRegistry, get_registry

FEATURE_PROTOCOL = ("fid_extractor", "fid_layer", "fid_n_fake", "fid_n_real", "fid_split", "real_stats_key")
"""How the run's features were measured; written whenever a selected metric uses them."""
PROTOCOL_TYPES = (str, int, float, bool, np.generic)
"""What a metric's protocol key may hold (plain scalars; numpy scalars count): one cell of the results table."""
DIGIT_LABELS = "ganbench-digits/labels"
"""``MetricInputs.shared`` key: the digit classifier's labels of ``fake``, from the same pass as its features."""


class _Sources:
    """The shared inputs of one evaluation, each computed on first use."""

    def __init__(
        self,
        fake: torch.Tensor,
        dataset: GanDataset,
        *,
        device: torch.device,
        n_real: int,
        cache_dir: Path | None,
        extractor: str,
        inception_weights: Path | None,
        strict: bool,
        models: Any,
        registry: PluginRegistry,
        row: dict[str, object],
        fake_labels: torch.Tensor | None = None,
        extractor_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.fake_labels = fake_labels
        self.extractor_options = dict(extractor_options or {})
        self.fake, self.dataset, self.device, self.n_real = fake, dataset, device, n_real
        self.cache_dir, self.extractor, self.inception_weights = cache_dir, extractor, inception_weights
        self.strict, self.models, self.registry, self.row = strict, models, registry, row
        self.split = fid_split_of(dataset)
        self.shared: dict[str, Any] = {}
        self.notes: list[str] = []
        """``fid_note`` lines about the features themselves, written once whichever metrics used them."""
        self._features: dict[str, tuple[RealStats, torch.Tensor] | None] = {}
        self._real: tuple[torch.Tensor, torch.Tensor | None] | None = None

    def features(self, name: str) -> tuple[RealStats, torch.Tensor]:
        if name not in self._features:
            self._features[name] = self._compute_features(name)
        found = self._features[name]
        if found is None:
            raise MetricUnavailableError(f"features of {name!r} are unavailable")
        return found

    def _compute_features(self, name: str) -> tuple[RealStats, torch.Tensor] | None:
        try:
            options = self.extractor_options if name == self.extractor else {}  # the run's extractor's options
            fx = get_extractor(
                name, device=self.device, inception_weights=self.inception_weights, registry=self.registry,
                options=options,
            )  # fmt: skip
        except InceptionWeightsMissingError as err:
            if self.strict:
                raise
            self.row["fid_note"] = str(err)
            return None
        real = real_stats(
            self.dataset,
            fx,
            split=self.split,
            n_real=self.n_real,
            cache_dir=self.cache_dir,
            ndb_fit=ndb_fit,
            prdc_fit=prdc_fit,
        )
        if name == self.extractor:
            self.row.update(fid_layer=fx.layer, fid_n_real=real.key.n, real_stats_key=str(real.key))
            self.row.update(fx.provenance)  # where the weights came from (Inception: fid_weights, *_sha256)
            note = rank_note(real.stats["sigma"], len(real.features))
            if note is not None:
                self.notes.append(note)
        if fx.name == DIGITS_EXTRACTOR and _labels_digits(self.dataset.spec):
            # One CNN pass for the FID features and the mode labels (the same network and layer).
            fake_features, labels = load_digit_classifier(self.device).features_and_labels(self.fake)
            self.shared[DIGIT_LABELS] = labels
        else:
            fake_features = fx(self.fake)
        return real, fake_features

    def real(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The real samples (and labels) the real features are computed on: the same seeded selection."""
        if self._real is None:
            indices = select_real(self.dataset, self.split, self.n_real)
            tensors = self.dataset.tensors(self.split)
            if tensors is not None:
                x, y = tensors[0][indices], tensors[1][indices]
            else:
                items = [self.dataset.split(self.split)[int(i)] for i in indices]
                x = torch.stack([torch.as_tensor(item[0]) for item in items])
                y = torch.as_tensor([int(item[1]) for item in items])
            self._real = (x.float(), y if self.dataset.spec.num_classes else None)
        return self._real

    def get(self, entry: MetricEntry, name: str) -> Any:
        if name == "fake":
            return self.fake
        if name == "dataset":
            return self.dataset
        if name == "real":
            return self.real()[0]
        if name == "real_labels":
            labels = self.real()[1]
            if labels is None:
                raise MetricUnavailableError(f"dataset {self.dataset.spec.name!r} has no class labels")
            return labels
        if name == "fake_labels":
            if self.fake_labels is None:
                raise MetricUnavailableError("the samples carry no class labels (unconditional generator)")
            return self.fake_labels
        if name == "models":
            if self.models is None:
                raise MetricUnavailableError("no trained models (scoring samples from files)")
            return self.models
        real, fake_features = self.features(entry.extractor or self.extractor)
        return {"real_features": real.features, "fake_features": fake_features, "real_stats": real}[name]


def _check_fake(fake: torch.Tensor, spec: DataSpec) -> None:
    if fake.dim() < 2 or tuple(fake.shape[1:]) != tuple(spec.shape):
        want = ", ".join(map(str, spec.shape))
        got = tuple(fake.shape)
        raise IncompatibleError(f"generated samples have shape {got}; dataset {spec.name!r} needs (N, {want})")


def _labels_digits(spec: DataSpec) -> bool:
    """Whether mode counting labels the samples with the shipped digit classifier."""
    return (
        spec.kind == "image"
        and spec.fid_extractor == DIGITS_EXTRACTOR
        and bool(spec.extra.get("stacked") or spec.num_classes)
    )


def selected_metrics(registry: PluginRegistry, names: Sequence[str] | None) -> list[MetricEntry]:
    """The metric entries ``names`` selects (unknown names: one-line error listing the valid ones)."""
    return registry.metrics(names)


def _empty(key: str) -> object:
    return None if key in TEXT_COLUMNS else math.nan


def evaluate_metrics(
    fake: torch.Tensor,
    dataset: GanDataset,
    *,
    device: torch.device | str,
    n_real: int | None = None,
    cache_dir: Path | None = None,
    extractor: str | None = None,
    inception_weights: Path | None = None,
    strict: bool = False,
    metrics: Sequence[str] | None = None,
    models: Any = None,
    registry: PluginRegistry | None = None,
    fake_labels: torch.Tensor | None = None,
    extractor_options: Mapping[str, Any] | None = None,
) -> dict[str, object]:
    """Every selected metric's columns for ``fake`` (NaN/None where a metric does not apply), plus ``eval_s``.

    ``metrics``: names (in order); ``None`` = every default metric. ``models``: the trained models, for
    metrics that need them. ``extractor`` overrides ``spec.fid_extractor``. ``fake_labels``: the classes a
    conditional generator produced ``fake`` for (metrics with ``needs=("fake_labels",)``).
    """
    start = time.perf_counter()
    device = torch.device(device)
    registry = registry or get_registry()
    spec = dataset.spec
    _check_fake(fake, spec)
    entries = [
        e
        for e in selected_metrics(registry, metrics)
        if spec.kind in e.data_kinds
        and (models is not None or "models" not in e.needs)
        and (fake_labels is not None or "fake_labels" not in e.needs)
    ]  # a metric of trained models has nothing to say about samples read from files, nor a conditional
    # metric about an unconditional generator: no columns at all
    run_extractor = extractor or spec.fid_extractor
    row: dict[str, object] = {}
    if any("features" in e.needs and e.extractor in (None, run_extractor) for e in entries):
        row.update({k: _empty(k) for k in (*FEATURE_PROTOCOL, "fid_note")})
        row.update(fid_extractor=run_extractor, fid_n_fake=int(fake.shape[0]), fid_split=fid_split_of(dataset))
        if extractor_options:  # absent without options, so rows of runs without them keep their columns
            row["fid_extractor_options"] = json.dumps(dict(extractor_options), sort_keys=True)
    for entry in entries:
        row.update({k: _empty(k) for k in entry.keys if k not in row})
    sources = _Sources(
        fake,
        dataset,
        device=device,
        n_real=n_real if n_real is not None else DEFAULT_N_REAL,
        cache_dir=cache_dir,
        extractor=run_extractor,
        inception_weights=inception_weights,
        strict=strict,
        models=models,
        registry=registry,
        row=row,
        fake_labels=None if fake_labels is None else fake_labels.detach().cpu().long(),
        extractor_options=extractor_options,
    )
    for entry in entries:
        inputs = MetricInputs(
            entry.name,
            entry.needs,
            spec,
            device,
            (entry.extractor or run_extractor) if "features" in entry.needs else None,
            sources.shared,
            source=lambda name, entry=entry: sources.get(entry, name),
        )
        try:
            values = entry.fn(inputs)
        except MetricUnavailableError:
            continue
        row.update(_checked(entry, values))
    if sources.notes:
        previous = row.get("fid_note")
        earlier = [previous] if isinstance(previous, str) and previous else []
        row["fid_note"] = "; ".join([*earlier, *sources.notes])
    row["eval_s"] = time.perf_counter() - start
    return row


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
    metrics: Sequence[str] | None = None,
    models: Any = None,
    registry: PluginRegistry | None = None,
    fake_labels: torch.Tensor | None = None,
    extractor_options: Mapping[str, Any] | None = None,
) -> dict[str, object]:
    """Score ``fake`` (dataset conventions, any device) against ``dataset``; returns the metric columns.

    ``n_real`` real samples (default: the whole FID split, at most
    ``DEFAULT_N_REAL``) are drawn with a fixed seed; ``extractor`` overrides
    ``spec.fid_extractor``. Columns that do not apply are NaN/None. The
    metrics are the registered ones (``metrics``: names; default: every
    default metric), run by :func:`evaluate_metrics`.
    """
    return evaluate_metrics(
        fake,
        dataset,
        device=device,
        n_real=n_real,
        cache_dir=cache_dir,
        extractor=extractor,
        inception_weights=inception_weights,
        strict=strict,
        metrics=metrics,
        models=models,
        registry=registry,
        fake_labels=fake_labels,
        extractor_options=extractor_options,
    )


def _checked(entry: MetricEntry, values: object) -> dict[str, object]:
    """The metric's values, if they are a mapping over its declared keys."""
    if not isinstance(values, Mapping):
        raise PluginError(f"metric {entry.name!r} of {entry.origin} returned {type(values).__name__}, not a dict")
    undeclared = sorted(set(values) - set(entry.keys))
    if undeclared:
        raise PluginError(
            f"metric {entry.name!r} of {entry.origin} returned undeclared column(s) {', '.join(undeclared)}; "
            f"declare them in add_metric(columns=..., protocol=...); declared: {', '.join(entry.keys)}"
        )
    for key in entry.protocol:
        value = values.get(key)
        if not (value is None or isinstance(value, PROTOCOL_TYPES)):
            raise PluginError(
                f"metric {entry.name!r} of {entry.origin} returned protocol key {key!r} as {type(value).__name__}; "
                "protocol values are str, int, float, bool or None"
            )
    return dict(values)

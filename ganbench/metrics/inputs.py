"""What a registered metric receives: :class:`MetricInputs`, holding exactly what it declared it needs.

Part of the plugin API (re-exported by :mod:`ganbench.plugin`). The evaluation fills one per metric;
expensive inputs (real samples, features) are computed once per evaluation and shared, and only
when some selected metric needs them. Reading an input the metric did not declare is an error, so
the declaration in ``Registrar.add_metric(needs=...)`` stays honest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from ganbench.data.base import DataSpec

NEED_OF: dict[str, str] = {
    "fake": "fake",
    "real": "real",
    "dataset": "real",
    "real_labels": "labels",
    "fake_labels": "fake_labels",
    "real_features": "features",
    "fake_features": "features",
    "real_stats": "features",
    "models": "models",
}
"""Each input and the ``needs`` entry that grants it."""


class MetricUnavailableError(Exception):
    """An input cannot be had in this evaluation (no trained models, unlabelled data): the metric is skipped."""


@dataclass
class MetricInputs:
    """The inputs of one metric in one evaluation.

    * ``fake`` (need ``fake``): generated samples, ``(N, *spec.shape)``, dataset conventions (images in ``[-1, 1]``).
    * ``real``, ``dataset`` (need ``real``): real samples of ``spec.fid_split`` (the same seeded selection the
      real features use, at most the evaluation's ``n_real``), and the dataset itself.
    * ``real_labels`` (need ``labels``): class labels of ``real`` (``-1`` = unlabelled); datasets without
      ``num_classes`` have none, and the metric is skipped.
    * ``fake_labels`` (need ``fake_labels``): the ``(N,)`` int64 class each sample of ``fake`` was generated
      for (class-balanced); only conditional generators have them, else the metric is skipped.
    * ``real_features``, ``fake_features`` (need ``features``): ``(n, F)`` float32 CPU features of the
      metric's extractor (its ``extractor=``, else the run's ``--extractor`` / ``spec.fid_extractor``).
    * ``models`` (need ``models``): the trained generator, discriminator and loss (``.generator``,
      ``.discriminator``, ``.loss``, ``.recipe``); absent when ``ganbench score`` scores sample files.
    * always: ``spec`` (the dataset's ``DataSpec``), ``device``, ``extractor`` (the features' extractor name)
      and ``shared``, a dict the metrics of one evaluation share to reuse expensive intermediate results.
    """

    metric: str
    """The metric's registered name (named in errors)."""
    needs: frozenset[str]
    """What it declared (``Registrar.add_metric(needs=...)``); reading anything else is an ``AttributeError``."""
    spec: DataSpec
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    extractor: str | None = None
    shared: dict[str, Any] = field(default_factory=dict)
    source: Mapping[str, Any] | Callable[[str], Any] = field(default_factory=dict, repr=False)
    """Where the inputs come from: a mapping ``{"fake": tensor, ...}`` (what a unit test passes, see
    :func:`ganbench.testing.metric_inputs`) or a function computing an input on first read (the
    evaluation's). An input missing from a mapping raises :class:`MetricUnavailableError`, as an
    unavailable input does in an evaluation (the metric is skipped)."""

    def _input(self, name: str) -> Any:
        need = NEED_OF[name]
        if need not in self.needs:
            raise AttributeError(f"metric {self.metric!r} reads {name!r} but does not declare needs={need!r}")
        if callable(self.source):
            return self.source(name)
        if name not in self.source:
            raise MetricUnavailableError(f"metric {self.metric!r}: no {name!r} in this evaluation")
        return self.source[name]

    @property
    def fake(self) -> torch.Tensor:
        return self._input("fake")

    @property
    def real(self) -> torch.Tensor:
        return self._input("real")

    @property
    def dataset(self) -> Any:
        return self._input("dataset")

    @property
    def real_labels(self) -> torch.Tensor:
        return self._input("real_labels")

    @property
    def fake_labels(self) -> torch.Tensor:
        return self._input("fake_labels")

    @property
    def real_features(self) -> torch.Tensor:
        return self._input("real_features")

    @property
    def fake_features(self) -> torch.Tensor:
        return self._input("fake_features")

    @property
    def real_stats(self) -> Any:
        """The cached real-side record (features, Gaussian statistics, NDB bins, PRDC radii)."""
        return self._input("real_stats")

    @property
    def models(self) -> Any:
        return self._input("models")

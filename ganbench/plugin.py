"""The public plugin API: the one module a plugin imports.

Everything a plugin author needs is re-exported here; anything not listed in
``__all__`` is internal and may change. ``API_VERSION`` is bumped only for
incompatible changes; hook arguments are only ever added.
"""

from __future__ import annotations

import pluggy

from ganbench.columns import MetricColumn
from ganbench.components import (
    BuildContext,
    Discriminator,
    GANLoss,
    Generator,
    LossOutput,
    Recipe,
    Variant,
)
from ganbench.data.base import DatasetOptions, DataSpec, GanDataset, TensorGanDataset
from ganbench.errors import DatasetUnavailableError, IncompatibleError, UnknownNameError
from ganbench.metrics.extractor import FeatureExtractor, load_weights
from ganbench.metrics.inputs import MetricInputs
from ganbench.registrar import Registrar
from ganbench.registry import API_VERSION
from ganbench.search_space import Choice, FloatRange, IntRange
from ganbench.training import (
    OptimizerContext,
    ScheduleContext,
    StepBatch,
    StepContext,
    TrainingStep,
)

hookimpl = pluggy.HookimplMarker("ganbench")
"""Decorator marking a function as the implementation of a ganbench hook."""

__all__ = [
    "API_VERSION",
    "BuildContext",
    "Choice",
    "DataSpec",
    "DatasetOptions",
    "DatasetUnavailableError",
    "Discriminator",
    "FeatureExtractor",
    "FloatRange",
    "GANLoss",
    "GanDataset",
    "Generator",
    "IncompatibleError",
    "IntRange",
    "LossOutput",
    "MetricColumn",
    "MetricInputs",
    "OptimizerContext",
    "Recipe",
    "Registrar",
    "ScheduleContext",
    "StepBatch",
    "StepContext",
    "TensorGanDataset",
    "TrainingStep",
    "UnknownNameError",
    "Variant",
    "hookimpl",
    "load_weights",
]

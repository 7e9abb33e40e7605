"""The public plugin API: the one module a plugin imports.

Everything a plugin author needs is re-exported here; anything not listed in
``__all__`` is internal and may change. Importing this module does not import torch: the contracts
that need it (``Generator``, ``MetricInputs``, ...) load on first access, and ``lazy("pkg.mod:factory")``
registers a factory whose module is imported only when something is built (``ganbench plugins`` and
``table`` then never load torch). ``API_VERSION`` is bumped only for
incompatible changes; hook arguments are only ever added.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import pluggy

from ganbench.columns import MetricColumn
from ganbench.data.spec import DatasetOptions, DataSpec
from ganbench.errors import DatasetUnavailableError, IncompatibleError, UnknownNameError
from ganbench.lazy import lazy
from ganbench.recipes import Recipe, Variant
from ganbench.registrar import Registrar
from ganbench.registry import API_VERSION
from ganbench.search_space import Choice, FloatRange, IntRange

if TYPE_CHECKING:
    from ganbench.components import BuildContext, Discriminator, GANLoss, Generator, LossOutput
    from ganbench.data.base import GanDataset, TensorGanDataset
    from ganbench.metrics.extractor import FeatureExtractor, load_weights
    from ganbench.metrics.inputs import MetricInputs
    from ganbench.training import OptimizerContext, ScheduleContext, StepBatch, StepContext, TrainingStep

_NEED_TORCH = {
    "ganbench.components": ("BuildContext", "Discriminator", "GANLoss", "Generator", "LossOutput"),
    "ganbench.data.base": ("GanDataset", "TensorGanDataset"),
    "ganbench.metrics.extractor": ("FeatureExtractor", "load_weights"),
    "ganbench.metrics.inputs": ("MetricInputs",),
    "ganbench.training": ("OptimizerContext", "ScheduleContext", "StepBatch", "StepContext", "TrainingStep"),
}
"""Names whose modules import torch: loaded on first access (PEP 562), so registering is torch-free."""
_HOME = {name: module for module, names in _NEED_TORCH.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'ganbench.plugin' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain module attribute
    return value


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
    "lazy",
    "load_weights",
]

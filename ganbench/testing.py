"""Helpers to unit-test a plugin in-process, one seam at a time: public, for plugin authors' own tests.

Every plugin kind can be exercised without a run, a results directory or a subprocess:

* components: :func:`build_context` (a :class:`~ganbench.plugin.BuildContext` whose builders reach
  the registered components) and :func:`tiny_models` (generator, discriminator and loss built in
  the engine's order, from registered names or from your factories);
* metrics: :func:`metric_inputs` (a :class:`~ganbench.plugin.MetricInputs` holding exactly the
  tensors you give it);
* feature extractors: :func:`build_extractor` (your factory called as ganbench calls it);
* optimisers and schedules: :func:`optimizer_context` and :func:`schedule_context`;
* training steps: :func:`step_context` (a real :class:`~ganbench.plugin.StepContext` over tiny
  models and a batch you choose) and :func:`run_training_step`.

``docs/writing-plugins.md`` (section "Testing a plugin") has an example test per kind. Like
:mod:`ganbench.plugin`, the names in ``__all__`` are kept within one plugin API version.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch

from ganbench.components import BuildContext, LossOutput, Recipe
from ganbench.data.base import DataSpec
from ganbench.engine.build import Models, build_models
from ganbench.engine.build import build_context as _registry_build_context
from ganbench.engine.fastpaths import StepFunctions
from ganbench.engine.steps import LoopContext
from ganbench.metrics.extractor import DEFAULT_BATCH_SIZE, FeatureExtractor
from ganbench.metrics.inputs import NEED_OF, MetricInputs
from ganbench.registry import PluginRegistry, get_registry
from ganbench.training import OptimizerContext, ScheduleContext, Side, StepContext, TrainingStep

POINTS = DataSpec(name="test-points", kind="points", shape=(2,))
"""A 2-D points spec, the default of these helpers."""
IMAGES = DataSpec(name="test-images", kind="image", shape=(1, 16, 16))
"""A 1×16×16 image spec (the size of the embedded ``digits``)."""

Factory = Callable[..., Any]


def build_context(
    spec: DataSpec = POINTS, *, code_dim: int = 0, feature_dim: int = 0, registry: PluginRegistry | None = None
) -> BuildContext:
    """A :class:`BuildContext` as the engine makes it: ``ctx.build_generator``/``build_discriminator`` build
    registered components (the installed plugins', through ``registry``, default: the loaded registry)."""
    return _registry_build_context(registry or get_registry(), spec, code_dim=code_dim, feature_dim=feature_dim)


def tiny_models(
    spec: DataSpec = POINTS,
    *,
    generator: str | Factory = "mlp",
    discriminator: str | Factory = "mlp",
    loss: str | Factory = "nonsaturating",
    registry: PluginRegistry | None = None,
) -> Models:
    """Generator, discriminator and loss built in the engine's order (D, then the loss with D's
    ``feature_dim``, then G with the loss's ``code_dim``).

    Each is a registered name (built with its defaults) or a factory ``factory(ctx)`` of your own, so a
    plugin's component can be tested beside the built-in ones before its package is installed.
    """
    registry = registry or get_registry()
    names = [c if isinstance(c, str) else "" for c in (generator, discriminator, loss)]
    if all(names):
        return build_models(registry, Recipe(*names), spec)
    d = _build(registry, "discriminator", discriminator, build_context(spec, registry=registry))
    feature_dim = int(d.feature_dim)
    lo = _build(registry, "loss", loss, build_context(spec, feature_dim=feature_dim, registry=registry))
    ctx = build_context(spec, code_dim=int(getattr(lo, "code_dim", 0)), feature_dim=feature_dim, registry=registry)
    g = _build(registry, "generator", generator, ctx)
    factories = (generator, discriminator, loss)
    recipe = Recipe(*(n or getattr(f, "__name__", "factory") for n, f in zip(names, factories, strict=True)))
    return Models(g, d, lo, recipe, spec)


def _build(registry: PluginRegistry, kind: str, component: str | Factory, ctx: BuildContext) -> Any:
    if not isinstance(component, str):
        return component(ctx)
    if kind == "discriminator":
        return ctx.build_discriminator(component)
    if kind == "generator":
        return ctx.build_generator(component)
    return registry.component("loss", component).factory(ctx)


def metric_inputs(
    spec: DataSpec = POINTS,
    *,
    metric: str = "test",
    needs: frozenset[str] | set[str] | None = None,
    device: torch.device | str = "cpu",
    extractor: str | None = None,
    shared: dict[str, Any] | None = None,
    **values: Any,
) -> MetricInputs:
    """The :class:`MetricInputs` a metric would receive, holding exactly ``values``.

    ``values`` are the inputs by name: ``fake``, ``real``, ``dataset``, ``real_labels``, ``fake_labels``,
    ``real_features``, ``fake_features``, ``real_stats``, ``models``. ``needs`` defaults to the needs
    that grant them, so ``metric_inputs(fake=x, real=y)`` is what a metric with ``needs=("fake", "real")``
    gets; pass ``needs`` explicitly to check that the metric reads nothing it did not declare.
    """
    unknown = sorted(set(values) - set(NEED_OF))
    if unknown:
        raise TypeError(f"metric_inputs: unknown input(s) {', '.join(unknown)}; inputs: {', '.join(NEED_OF)}")
    granted = frozenset(needs) if needs is not None else frozenset(NEED_OF[name] for name in values)
    return MetricInputs(metric, granted, spec, torch.device(device), extractor, shared or {}, source=dict(values))


def build_extractor(
    factory: Factory,
    *,
    options: Mapping[str, Any] | None = None,
    device: torch.device | str = "cpu",
    batch_size: int = DEFAULT_BATCH_SIZE,
    inception_weights: Any = None,
) -> FeatureExtractor:
    """Call an extractor factory as ganbench does (``ganbench.metrics.features.get_extractor``): with its
    ``options`` (``--extractor-opt``) as keyword arguments, and ``weights`` only if it names that parameter."""
    from ganbench.metrics.features import call_extractor_factory

    return call_extractor_factory(
        factory, device=torch.device(device), batch_size=batch_size, inception_weights=inception_weights,
        options=dict(options or {}),
    )  # fmt: skip


def optimizer_context(
    lr: float = 2e-4, *, side: Side = "generator", beta1: float = 0.5, beta2: float = 0.999
) -> OptimizerContext:
    """What an optimiser factory is told (the training defaults: Adam's betas 0.5 and 0.999)."""
    return OptimizerContext(side=side, lr=lr, beta1=beta1, beta2=beta2)


def schedule_context(total_steps: int = 100, *, side: Side = "generator") -> ScheduleContext:
    """What a schedule factory is told: the run's generator updates (``steps``) and which optimiser it drives."""
    return ScheduleContext(side=side, total_steps=total_steps)


def step_context(
    models: Models | None = None,
    *,
    real: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
    batch_size: int = 8,
    d_steps: int = 1,
    lr: float = 1e-3,
    step: int = 0,
) -> StepContext:
    """A real :class:`StepContext` (the one the training loop uses) over ``models`` (default
    :func:`tiny_models`), with Adam optimisers at ``lr`` and ``real`` (default: standard normal samples of
    ``batch_size``) as every real batch, with ``labels`` if given. ``ctx.step`` is ``step``."""
    models = models or tiny_models()
    if real is None:
        real = torch.randn(batch_size, *models.spec.shape)
    item = (real, labels) if labels is not None else real
    batches: Iterator[Any] = itertools.repeat(item)
    optimizers = (
        torch.optim.Adam(models.generator.parameters(), lr=lr, betas=(0.5, 0.999)),
        torch.optim.Adam([*models.discriminator.parameters(), *models.loss.parameters()], lr=lr, betas=(0.5, 0.999)),
    )
    fast = StepFunctions(models.generator, models.loss.discriminator_loss, models.loss.generator_loss)
    context = LoopContext(models, optimizers, batches, d_steps, real.device, fast)
    context.step = step
    return context


def run_training_step(
    training_step: TrainingStep, context: StepContext | None = None, *, steps: int = 1
) -> list[tuple[LossOutput, LossOutput]]:
    """Run ``training_step`` ``steps`` times as the loop does (``ctx.step`` counting up from its value);
    returns each step's ``(discriminator, generator)`` losses."""
    context = context or step_context()
    out = []
    start = context.step
    for i in range(steps):
        context.step = start + i
        d_out, g_out = training_step.run(context)
        out.append((d_out, g_out))
    return out


def with_shape(spec: DataSpec, *shape: int) -> DataSpec:
    """``spec`` for data of another shape (``with_shape(IMAGES, 3, 32, 32)``)."""
    return dataclasses.replace(spec, shape=tuple(shape))


__all__ = [
    "IMAGES",
    "POINTS",
    "build_context",
    "build_extractor",
    "metric_inputs",
    "optimizer_context",
    "run_training_step",
    "schedule_context",
    "step_context",
    "tiny_models",
    "with_shape",
]

"""Turn a variant (or a free composition) into concrete models for one dataset.

Everything that can be wrong with a combination (a component that does not
support the data kind, a resolution a generator cannot produce, an unknown
option) surfaces here, before any training starts.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from ganbench.components import BuildContext, Discriminator, GANLoss, Generator, Recipe
from ganbench.data.base import DataSpec
from ganbench.errors import IncompatibleError, UserError
from ganbench.registrar import ComponentKind
from ganbench.registry import PluginRegistry


@dataclass(frozen=True)
class Composition:
    """Free composition from the CLI: replaces a variant's components when set."""

    generator: str | None = None
    discriminator: str | None = None
    loss: str | None = None
    generator_options: Mapping[str, Any] = field(default_factory=dict)
    discriminator_options: Mapping[str, Any] = field(default_factory=dict)
    loss_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return self.generator is None and self.discriminator is None and self.loss is None


CUSTOM_VARIANT = "custom"
DEFAULT_RECIPES: dict[str, Recipe] = {
    "image": Recipe("dcgan", "dcgan", "nonsaturating"),
    "points": Recipe("mlp", "mlp", "nonsaturating"),
}


def resolve_recipe(
    registry: PluginRegistry, variant: str, spec: DataSpec, composition: Composition | None = None
) -> Recipe:
    """The recipe a variant uses on ``spec``'s data kind, with the composition applied."""
    composition = composition or Composition()
    if variant == CUSTOM_VARIANT:
        base = DEFAULT_RECIPES[spec.kind]
    else:
        entry = registry.variant(variant)
        recipe = entry.variant.recipe_for(spec.kind)
        if recipe is None:
            kinds = ", ".join(sorted(entry.variant.recipes))
            raise IncompatibleError(
                f"variant {variant!r} has no recipe for {spec.kind} data (dataset {spec.name}); it supports: {kinds}"
            )
        base = recipe
    replaced: dict[str, Any] = {}
    for part in ("generator", "discriminator", "loss"):
        name = getattr(composition, part)
        if name is not None:
            replaced[part] = name
            replaced[f"{part}_options"] = dict(getattr(composition, f"{part}_options"))
        elif getattr(composition, f"{part}_options"):
            merged = {**getattr(base, f"{part}_options"), **getattr(composition, f"{part}_options")}
            replaced[f"{part}_options"] = merged
    return dataclasses.replace(base, **replaced)


@dataclass
class Models:
    generator: Generator
    discriminator: Discriminator
    loss: GANLoss
    recipe: Recipe
    spec: DataSpec

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator, "loss": self.loss}


def _build(
    registry: PluginRegistry,
    kind: ComponentKind,
    name: str,
    spec: DataSpec,
    ctx: BuildContext,
    options: Mapping[str, Any],
) -> Any:
    entry = registry.component(kind, name)
    if spec.kind not in entry.data_kinds:
        supported = ", ".join(sorted(entry.data_kinds))
        raise IncompatibleError(
            f"{kind} {name!r} does not support {spec.kind} data (dataset {spec.name}); it supports: {supported}"
        )
    try:
        module = entry.factory(ctx, **dict(options))
    except TypeError as exc:
        if "unexpected keyword" in str(exc):
            raise IncompatibleError(f"{kind} {name!r}: {exc}") from None
        if options:  # e.g. hidden="abc": the option values, not the plugin, are what is wrong
            raise IncompatibleError(f"{kind} {name!r} rejected its options {dict(options)}: {exc}") from None
        raise
    except (ValueError, RuntimeError) as exc:
        if options:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise IncompatibleError(f"{kind} {name!r} rejected its options {dict(options)}: {first}") from None
        raise
    if not isinstance(module, nn.Module):
        raise UserError(f"{kind} {name!r} from {entry.origin} returned {type(module).__name__}, not a torch nn.Module")
    return module


def build_context(registry: PluginRegistry, spec: DataSpec, *, code_dim: int = 0, feature_dim: int = 0) -> BuildContext:
    """A context for ``spec`` whose ``build_discriminator``/``build_generator`` build any registered component.

    Either builds for this context's spec, or for ``spec=`` when given (a
    packing wrapper's 2m-wide input, say); the nested context keeps
    ``code_dim`` and ``feature_dim``, so a wrapped body sees what its wrapper saw.
    """

    def build_discriminator(name: str, *, spec: DataSpec | None = None, **options: Any) -> Discriminator:
        target = spec or base
        nested = build_context(registry, target, code_dim=code_dim, feature_dim=feature_dim)
        return _build(registry, "discriminator", name, target, nested, options)

    def build_generator(name: str, *, spec: DataSpec | None = None, **options: Any) -> Generator:
        target = spec or base
        nested = build_context(registry, target, code_dim=code_dim, feature_dim=feature_dim)
        return _build(registry, "generator", name, target, nested, options)

    base = spec
    return BuildContext(
        spec=spec,
        code_dim=code_dim,
        feature_dim=feature_dim,
        build_discriminator=build_discriminator,
        build_generator=build_generator,
    )


def build_models(registry: PluginRegistry, recipe: Recipe, spec: DataSpec) -> Models:
    """Build discriminator, then loss (needs D's feature size), then generator (needs the code size)."""
    ctx = build_context(registry, spec)
    discriminator = ctx.build_discriminator(recipe.discriminator, **recipe.discriminator_options)
    _require(discriminator, "discriminator", recipe.discriminator, ("feature_dim", "features", "classify"))
    feature_dim = int(discriminator.feature_dim)
    loss = _build(
        registry, "loss", recipe.loss, spec, build_context(registry, spec, feature_dim=feature_dim), recipe.loss_options
    )
    _require(loss, "loss", recipe.loss, ("discriminator_loss", "generator_loss", "sample_codes"))
    gen_ctx = build_context(registry, spec, code_dim=int(getattr(loss, "code_dim", 0)), feature_dim=feature_dim)
    generator = gen_ctx.build_generator(recipe.generator, **recipe.generator_options)
    _require(generator, "generator", recipe.generator, ("noise_dim",))
    models = Models(generator, discriminator, loss, recipe, spec)
    check_conditional(models)
    return models


# -- labels: components that declare ``conditional = True`` ---------------------------
def is_conditional(module: object) -> bool:
    return bool(getattr(module, "conditional", False))


def accepts(method: Any, name: str) -> bool:
    """Whether ``method`` takes a keyword argument ``name`` (by name or through ``**kwargs``)."""
    try:
        params = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def check_conditional(models: Models) -> None:
    """A conditional loss must take ``labels=``; conditional components need a labelled dataset."""
    loss = models.loss
    if is_conditional(loss):
        for method in ("discriminator_loss", "generator_loss"):
            if not accepts(getattr(loss, method), "labels"):
                raise IncompatibleError(
                    f"loss {models.recipe.loss!r} is conditional but its {method} takes no labels= argument"
                )
    parts = {"generator": models.generator, "discriminator": models.discriminator, "loss": loss}
    conditional = [kind for kind, module in parts.items() if is_conditional(module)]
    if conditional and not models.spec.num_classes:
        raise IncompatibleError(
            f"the {' and '.join(conditional)} of this recipe {'is' if len(conditional) == 1 else 'are'} conditional, "
            f"but dataset {models.spec.name!r} declares no label classes (DataSpec.num_classes)"
        )


def check_batch_size(models: Models, batch_size: int, variant: str) -> None:
    """A discriminator that scores groups of samples (``batch_multiple``, e.g. PacGAN's packs) needs whole groups."""
    multiple = int(getattr(models.discriminator, "batch_multiple", 1) or 1)
    if batch_size % multiple:
        lower, upper = batch_size // multiple * multiple, (batch_size // multiple + 1) * multiple
        choices = f"{lower} or {upper}" if lower else str(upper)
        raise UserError(
            f"--batch-size {batch_size} is not a multiple of {multiple}, the number of samples discriminator "
            f"{models.recipe.discriminator!r} of variant {variant!r} scores together; use e.g. {choices}"
        )


def _require(module: object, kind: str, name: str, attributes: tuple[str, ...]) -> None:
    missing = [a for a in attributes if not hasattr(module, a)]
    if missing:
        raise UserError(f"{kind} {name!r} is missing required attribute(s): {', '.join(missing)}")

"""Turn a variant (or a free composition) into concrete models for one dataset.

Everything that can be wrong with a combination (a component that does not
support the data kind, a resolution a generator cannot produce, an unknown
option) surfaces here, before any training starts.
"""

from __future__ import annotations

import dataclasses
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


def build_models(registry: PluginRegistry, recipe: Recipe, spec: DataSpec) -> Models:
    """Build discriminator, then loss (needs D's feature size), then generator (needs the code size)."""

    def build_discriminator(name: str, *, spec: DataSpec = spec, **options: Any) -> Discriminator:
        # ``spec=`` builds a body for another input shape (a packing discriminator's m-times-wider input).
        return _build(
            registry,
            "discriminator",
            name,
            spec,
            BuildContext(spec=spec, build_discriminator=build_discriminator),
            options,
        )

    ctx = BuildContext(spec=spec, build_discriminator=build_discriminator)
    discriminator = build_discriminator(recipe.discriminator, **recipe.discriminator_options)
    _require(discriminator, "discriminator", recipe.discriminator, ("feature_dim", "features", "classify"))
    loss_ctx = dataclasses.replace(ctx, feature_dim=int(discriminator.feature_dim))
    loss = _build(registry, "loss", recipe.loss, spec, loss_ctx, recipe.loss_options)
    _require(loss, "loss", recipe.loss, ("discriminator_loss", "generator_loss", "sample_codes"))
    gen_ctx = dataclasses.replace(loss_ctx, code_dim=int(getattr(loss, "code_dim", 0)))
    generator = _build(registry, "generator", recipe.generator, spec, gen_ctx, recipe.generator_options)
    _require(generator, "generator", recipe.generator, ("noise_dim",))
    return Models(generator, discriminator, loss, recipe, spec)


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

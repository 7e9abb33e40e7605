"""One variant's search space on one dataset, and a drawn point of it applied to a cell's settings.

Targets (the keys of a space) say where a value goes: a training option (``lr_g``, ``lr_d``,
``beta1``, ``beta2``, ``d_steps``, ``batch_size``) or ``PART.OPTION`` for an option of the recipe's
``generator``, ``discriminator``, ``loss``, ``optimizer_g``, ``optimizer_d``, ``schedule_g``,
``schedule_d`` or ``training_step``. The ranges come from what each of those parts declared through
``Registrar.add_search_space``, then the ``--space`` file, minus what the command line fixed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from ganbench.data.base import DataSpec
from ganbench.describe import factory_options
from ganbench.engine.build import Composition, resolve_recipe
from ganbench.engine.config import TrainConfig
from ganbench.errors import UserError
from ganbench.registry import PluginRegistry
from ganbench.search_space import DECLARED_TRAIN_OPTIONS, TRAIN_TARGETS, Range, SpaceFile

COMPONENT_PARTS = ("generator", "discriminator", "loss")
SEAM_PARTS = {
    "optimizer_g": "optimizer",
    "optimizer_d": "optimizer",
    "schedule_g": "schedule",
    "schedule_d": "schedule",
    "training_step": "training_step",
}
"""TrainConfig field -> the registered kind it names."""


def _parts(registry: PluginRegistry, variant: str, spec: DataSpec, train: TrainConfig, composition: Composition):
    """``(part, kind, registered name)`` for every part of a cell that may declare ranges."""
    recipe = resolve_recipe(registry, variant, spec, composition)
    for part in COMPONENT_PARTS:
        yield part, part, getattr(recipe, part)
    for part, kind in SEAM_PARTS.items():
        yield part, kind, getattr(train, part)


def _options(registry: PluginRegistry, kind: str, name: str) -> tuple[list[str], bool]:
    """The option names a registered factory takes, and whether it also takes ``**options``."""
    import inspect

    factory = registry.component(kind, name).factory  # type: ignore[arg-type]
    named = [o["name"] for o in factory_options(factory)]
    try:
        catch_all = any(p.kind is p.VAR_KEYWORD for p in inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        catch_all = True
    return named, catch_all and not named


def _target(part: str, kind: str, option: str) -> str:
    """Where a declared option goes: the optimiser's ``lr`` to its side's learning rate, and so on."""
    if option in DECLARED_TRAIN_OPTIONS.get(kind, ()):
        return f"lr_{part[-1]}" if option == "lr" else option
    return f"{part}.{option}"


def variant_space(
    registry: PluginRegistry,
    variant: str,
    spec: DataSpec,
    train: TrainConfig,
    composition: Composition,
    *,
    space_file: SpaceFile | None = None,
    fixed: Iterable[str] = (),
) -> dict[str, Range]:
    """The ranges a sweep draws ``variant``'s settings from on data ``spec`` (sorted by target).

    ``fixed`` names targets the command line set (they are not searched). An option name that the
    part does not take, in a plugin's declaration or in ``--space``, is a one-line error.
    """
    ranges: dict[str, Range] = {}
    valid: set[str] = set(TRAIN_TARGETS)
    open_parts: set[str] = set()
    for part, kind, name in _parts(registry, variant, spec, train, composition):
        named, catch_all = _options(registry, kind, name)
        valid.update(f"{part}.{o}" for o in named)
        if catch_all:
            open_parts.add(part)
        entry = registry.search_space(kind, name)
        if entry is None:
            continue
        allowed = set(named) | set(DECLARED_TRAIN_OPTIONS.get(kind, ()))
        for option, value in entry.ranges.items():
            if option not in allowed and not catch_all:
                raise UserError(
                    f"{entry.origin} declares a search range for option {option!r} of {kind} {name!r}, "
                    f"which takes no such option; valid: {', '.join(sorted(allowed)) or '(none)'}"
                )
            ranges.setdefault(_target(part, kind, option), value)  # beta1 of both optimisers: one value
    if space_file is not None:
        if space_file.replace:
            ranges = {}
        for target, value in space_file.for_variant(variant).items():
            part = target.split(".", 1)[0]
            if target not in valid and part not in open_parts:
                raise UserError(
                    f"--space {space_file.path}: unknown option {target!r} for variant {variant!r} on "
                    f"{spec.name}; valid: {', '.join(sorted(valid))}"
                )
            if value is None:
                ranges.pop(target, None)
            else:
                ranges[target] = value
    for target in fixed:
        ranges.pop(target, None)
    return dict(sorted(ranges.items()))


def apply_params(
    params: Mapping[str, Any], train: TrainConfig, composition: Composition
) -> tuple[TrainConfig, Composition]:
    """A cell's training options and composition with a drawn point of the space applied."""
    overrides: dict[str, Any] = {}
    options: dict[str, dict[str, Any]] = {}
    for target, value in params.items():
        part, dot, option = target.partition(".")
        if not dot:
            overrides[target] = value
        else:
            options.setdefault(part, {})[option] = value
    for part, values in options.items():
        if part in SEAM_PARTS:
            overrides[f"{part}_options"] = {**getattr(train, f"{part}_options"), **values}
    changes = {
        f"{part}_options": {**getattr(composition, f"{part}_options"), **options[part]}
        for part in COMPONENT_PARTS
        if part in options
    }
    return train.with_overrides(overrides), dataclasses.replace(composition, **changes)


def fixed_targets(train_flags: Iterable[str], options: Mapping[str, Mapping[str, Any] | None]) -> set[str]:
    """Targets the command line set: training flags given, and each ``--gen-opt KEY=..`` style option."""
    fixed = {flag for flag in train_flags if flag in TRAIN_TARGETS}
    for part, values in options.items():
        fixed.update(f"{part}.{key}" for key in (values or {}))
    return fixed

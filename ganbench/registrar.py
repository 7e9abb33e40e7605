"""The typed registrar handed to ``ganbench_register``.

Plugins add components through its ``add_*`` methods rather than returning
loose lists, so every entry is checked on the spot and the error names the
plugin and distribution that made it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ganbench.components import Recipe, Variant
from ganbench.data.base import DataKind
from ganbench.errors import PluginError

ComponentKind = Literal["generator", "discriminator", "loss", "dataset", "variant"]
TrainingKind = Literal["optimizer", "schedule", "training_step"]
"""Kinds of the training seams (ganbench.training): registered like components, chosen by train options."""
DATA_KINDS: frozenset[str] = frozenset({"image", "points"})
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class PluginOrigin:
    """Which plugin (and which installed distribution) an entry came from."""

    plugin: str
    distribution: str
    version: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} (distribution {self.distribution} {self.version})"


@dataclass(frozen=True)
class ComponentEntry:
    """A registered generator, discriminator or loss factory."""

    kind: ComponentKind
    name: str
    factory: Callable[..., Any]
    description: str
    data_kinds: frozenset[str]
    origin: PluginOrigin


@dataclass(frozen=True)
class DatasetEntry:
    """A registered dataset factory with the facts ``ganbench datasets`` lists."""

    name: str
    factory: Callable[..., Any]
    description: str
    kind: DataKind
    shape: tuple[int, ...]
    """Native shape: ``(C, H, W)`` or ``(D,)``."""
    size: int | None
    """Number of training items, when known without loading."""
    origin: PluginOrigin
    parameterised: bool = False
    """Takes an argument after a colon, e.g. ``folder:PATH``."""
    locate: Callable[[Path], Path | None] | None = None
    """Returns where the files are under a data root, or ``None`` if absent; ``None`` = embedded."""
    options: tuple[str, ...] = ()
    """Names of the options its factory reads from ``DatasetOptions.options`` (``--data-opt``)."""


@dataclass(frozen=True)
class VariantEntry:
    variant: Variant
    origin: PluginOrigin

    @property
    def name(self) -> str:
        return self.variant.name


@dataclass(frozen=True)
class TrainingEntry:
    """A registered optimiser, learning-rate schedule or training step factory (see ganbench.training)."""

    kind: TrainingKind
    name: str
    factory: Callable[..., Any]
    description: str
    origin: PluginOrigin


@dataclass
class Registrar:
    """Collects one plugin's registrations; the registry commits them if all are valid."""

    origin: PluginOrigin
    taken: Callable[[ComponentKind, str], PluginOrigin | None] = lambda kind, name: None
    entries: list[ComponentEntry | DatasetEntry | VariantEntry | TrainingEntry] = field(default_factory=list)

    # -- public API -------------------------------------------------------
    def add_generator(
        self, name: str, factory: Callable[..., Any], *, description: str, data_kinds: tuple[str, ...] = ("image",)
    ) -> None:
        """Register a generator factory ``factory(ctx: BuildContext, **options) -> Generator``."""
        self._add_component("generator", name, factory, description, data_kinds)

    def add_discriminator(
        self, name: str, factory: Callable[..., Any], *, description: str, data_kinds: tuple[str, ...] = ("image",)
    ) -> None:
        """Register a discriminator factory ``factory(ctx: BuildContext, **options) -> Discriminator``."""
        self._add_component("discriminator", name, factory, description, data_kinds)

    def add_loss(
        self,
        name: str,
        factory: Callable[..., Any],
        *,
        description: str,
        data_kinds: tuple[str, ...] = ("image", "points"),
    ) -> None:
        """Register a loss factory ``factory(ctx: BuildContext, **options) -> GANLoss``."""
        self._add_component("loss", name, factory, description, data_kinds)

    def add_dataset(
        self,
        name: str,
        factory: Callable[..., Any],
        *,
        description: str,
        kind: str,
        shape: tuple[int, ...],
        size: int | None = None,
        parameterised: bool = False,
        locate: Callable[[Path], Path | None] | None = None,
        options: tuple[str, ...] = (),
    ) -> None:
        """Register a dataset factory ``factory(options: DatasetOptions) -> GanDataset``.

        ``options`` names the keys it accepts in ``DatasetOptions.options``; others are refused before loading.
        """
        self._check_name("dataset", name)
        self._check_callable("dataset", name, factory)
        self._check_description("dataset", name, description)
        if kind not in DATA_KINDS:
            self._fail(f"dataset {name!r} has kind {kind!r}; valid kinds: {', '.join(sorted(DATA_KINDS))}")
        if not (isinstance(shape, tuple) and shape and all(isinstance(s, int) and s > 0 for s in shape)):
            self._fail(f"dataset {name!r} needs a shape tuple of positive ints, got {shape!r}")
        if locate is not None and not callable(locate):
            self._fail(f"dataset {name!r}: locate must be callable")
        if not (isinstance(options, tuple) and all(isinstance(o, str) and o for o in options)):
            self._fail(f"dataset {name!r}: options must be a tuple of option names, got {options!r}")
        self.entries.append(
            DatasetEntry(name, factory, description, kind, shape, size, self.origin, parameterised, locate, options)  # type: ignore[arg-type]
        )

    def add_variant(self, variant: Variant) -> None:
        """Register a named variant: a recipe over components for each data kind."""
        if not isinstance(variant, Variant):
            self._fail(f"add_variant expects a ganbench.plugin.Variant, got {type(variant).__name__}")
        self._check_name("variant", variant.name)
        self._check_description("variant", variant.name, variant.description)
        if not isinstance(variant.recipes, Mapping) or not variant.recipes:
            self._fail(f"variant {variant.name!r} needs at least one recipe")
        for kind, recipe in variant.recipes.items():
            if kind not in DATA_KINDS:
                self._fail(f"variant {variant.name!r} has a recipe for unknown data kind {kind!r}")
            if not isinstance(recipe, Recipe):
                self._fail(f"variant {variant.name!r}: recipe for {kind!r} must be a ganbench.plugin.Recipe")
        self.entries.append(VariantEntry(variant, self.origin))

    # -- training seams (ganbench.training) --------------------------------
    def add_optimizer(self, name: str, factory: Callable[..., Any], *, description: str) -> None:
        """Register an optimiser ``factory(params, ctx: OptimizerContext, **options) -> torch.optim.Optimizer``."""
        self._add_training("optimizer", name, factory, description)

    def add_schedule(self, name: str, factory: Callable[..., Any], *, description: str) -> None:
        """Register a learning-rate schedule ``factory(optimizer, ctx: ScheduleContext, **options)``.

        It returns a ``torch.optim.lr_scheduler.LRScheduler`` (stepped once per
        generator update) or ``None`` for a constant learning rate.
        """
        self._add_training("schedule", name, factory, description)

    def add_training_step(self, name: str, factory: Callable[..., Any], *, description: str) -> None:
        """Register a training step ``factory(**options) -> TrainingStep`` (the D and G updates of one step)."""
        self._add_training("training_step", name, factory, description)

    def _add_training(self, kind: TrainingKind, name: str, factory: Callable[..., Any], description: str) -> None:
        self._check_name(kind, name)  # type: ignore[arg-type]
        self._check_callable(kind, name, factory)  # type: ignore[arg-type]
        self._check_description(kind, name, description)  # type: ignore[arg-type]
        self.entries.append(TrainingEntry(kind, name, factory, description, self.origin))

    # -- validation helpers -----------------------------------------------
    def _add_component(
        self, kind: ComponentKind, name: str, factory: Callable[..., Any], description: str, data_kinds: tuple[str, ...]
    ) -> None:
        self._check_name(kind, name)
        self._check_callable(kind, name, factory)
        self._check_description(kind, name, description)
        kinds = frozenset(data_kinds)
        if not kinds or not kinds <= DATA_KINDS:
            self._fail(f"{kind} {name!r} has data_kinds {tuple(data_kinds)!r}; valid: {', '.join(sorted(DATA_KINDS))}")
        self.entries.append(ComponentEntry(kind, name, factory, description, kinds, self.origin))

    def _check_name(self, kind: ComponentKind, name: object) -> None:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            self._fail(f"{kind} name {name!r} is invalid: use lowercase letters, digits, '.', '_' or '-'")
        earlier = self.taken(kind, name) or next(
            (e.origin for e in self.entries if _entry_kind(e) == kind and e.name == name), None
        )
        if earlier is not None:
            self._fail(f"duplicate {kind} name {name!r}: already registered by {earlier}")

    def _check_callable(self, kind: ComponentKind, name: str, factory: object) -> None:
        if not callable(factory):
            self._fail(f"{kind} {name!r}: factory must be callable, got {type(factory).__name__}")

    def _check_description(self, kind: ComponentKind, name: str, description: object) -> None:
        if not isinstance(description, str) or not description.strip():
            self._fail(f"{kind} {name!r} is missing its description")

    def _fail(self, message: str) -> None:
        raise PluginError(f"{self.origin}: {message}")


def _entry_kind(entry: ComponentEntry | DatasetEntry | VariantEntry | TrainingEntry) -> ComponentKind:
    if isinstance(entry, DatasetEntry):
        return "dataset"
    if isinstance(entry, VariantEntry):
        return "variant"
    return entry.kind

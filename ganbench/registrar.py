"""The typed registrar handed to ``ganbench_register``.

Plugins add components through its ``add_*`` methods rather than returning
loose lists, so every entry is checked on the spot and the error names the
plugin and distribution that made it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ganbench.columns import MetricColumn
from ganbench.columns import column as column_declaration
from ganbench.data.spec import DataKind, DataSpec
from ganbench.errors import PluginError, UserError
from ganbench.lazy import LazyFactory
from ganbench.recipes import Recipe, Variant
from ganbench.search_space import SPACE_KINDS, Range, check_ranges

ComponentKind = Literal[
    "generator", "discriminator", "loss", "dataset", "variant", "metric", "extractor", "search_space"
]
TrainingKind = Literal["optimizer", "schedule", "training_step"]
"""Kinds of the training seams (ganbench.training): registered like components, chosen by train options."""
DATA_KINDS: frozenset[str] = frozenset({"image", "points"})
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_COLUMN_RE = re.compile(r"^[a-z][a-z0-9_]*$")


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
    spec: DataSpec | None = None
    """The dataset's :class:`DataSpec` when known without loading it (``table`` reads mode centres from it)."""


@dataclass(frozen=True)
class VariantEntry:
    variant: Variant
    origin: PluginOrigin

    @property
    def name(self) -> str:
        return self.variant.name


# -- evaluation seams: metrics and feature extractors --------------------------
METRIC_NEEDS: frozenset[str] = frozenset({"fake", "real", "labels", "fake_labels", "features", "models"})
"""What a metric may ask for; see :class:`ganbench.metrics.inputs.MetricInputs`."""
RESERVED_COLUMNS: frozenset[str] = frozenset(
    {
        "variant", "generator", "discriminator", "loss", "dataset", "seed", "steps", "batch_size", "status",
        "error", "diverged_step", "d_loss", "g_loss", "train_img_s", "wall_s", "gen_img_s", "eval_s",
        "peak_mem_mb", "data_kind", "data_stacked", "device", "ganbench_version", "torch_version", "plugins",
        "cell_id", "step",
        # written by the evaluation itself for every metric that uses features:
        "fid_extractor", "fid_layer", "fid_n_fake", "fid_n_real", "fid_split", "real_stats_key",
        "fid_weights", "fid_weights_sha256",
    }
)  # fmt: skip
"""Row keys the runner and the evaluation write themselves; a metric cannot claim them."""


@dataclass(frozen=True)
class MetricEntry:
    """A registered metric: what it needs, and the columns it fills."""

    name: str
    fn: Callable[..., Mapping[str, Any]]
    description: str
    columns: tuple[MetricColumn, ...]
    """Numeric result columns, each with its direction."""
    protocol: tuple[str, ...]
    """Further keys it records (how it was measured: a k, a subset size, a note); never ranked or averaged."""
    needs: frozenset[str]
    data_kinds: frozenset[str]
    extractor: str | None
    """Whose features ``needs={"features"}`` gets; ``None`` = the run's extractor (``--extractor``)."""
    default: bool
    """Computed when ``--metrics`` is not given."""
    origin: PluginOrigin

    @property
    def keys(self) -> tuple[str, ...]:
        return (*(c.name for c in self.columns), *self.protocol)


@dataclass(frozen=True)
class ExtractorEntry:
    """A registered feature extractor (usable with ``--extractor``)."""

    name: str
    factory: Callable[..., Any]
    description: str
    data_kinds: frozenset[str]
    torch_fidelity: type | LazyFactory | None
    """The torch-fidelity ``FeatureExtractorBase`` subclass registered under ``name`` (or none)."""
    origin: PluginOrigin


@dataclass(frozen=True)
class TrainingEntry:
    """A registered optimiser, learning-rate schedule or training step factory (see ganbench.training)."""

    kind: TrainingKind
    name: str
    factory: Callable[..., Any]
    description: str
    origin: PluginOrigin


@dataclass(frozen=True)
class SearchSpaceEntry:
    """The ranges a sweep draws a component's (or training seam's) options from."""

    kind: str
    """What declares it: one of :data:`ganbench.search_space.SPACE_KINDS`."""
    component: str
    ranges: Mapping[str, Range]
    origin: PluginOrigin

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.component}"


@dataclass
class Registrar:
    """Collects one plugin's registrations; the registry commits them if all are valid."""

    origin: PluginOrigin
    taken: Callable[[ComponentKind, str], PluginOrigin | None] = lambda kind, name: None
    column_owner: Callable[[str], str | None] = lambda column: None
    """Which registered metric already fills a column (``None``: free)."""
    entries: list[
        ComponentEntry | DatasetEntry | VariantEntry | MetricEntry | ExtractorEntry | TrainingEntry | SearchSpaceEntry
    ] = field(default_factory=list)

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
        spec: DataSpec | None = None,
    ) -> None:
        """Register a dataset factory ``factory(options: DatasetOptions) -> GanDataset``.

        ``options`` names the keys it accepts in ``DatasetOptions.options``; others are refused before loading.
        ``spec``: the :class:`DataSpec` the factory's datasets have, if it is known without loading (commands
        that only read results, such as ``table``, then use its facts without building the dataset).
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
        if spec is not None and not (isinstance(spec, DataSpec) and spec.name == name and spec.kind == kind):
            self._fail(f"dataset {name!r}: spec must be a DataSpec with name {name!r} and kind {kind!r}")
        self.entries.append(
            DatasetEntry(
                name,
                factory,
                description,
                kind,
                shape,
                size,
                self.origin,
                parameterised,
                locate,
                options,
                spec,  # type: ignore[arg-type]
            )
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
            self._check_train_options(variant.name, kind, recipe)
        self.entries.append(VariantEntry(variant, self.origin))

    # -- evaluation seams: metrics and feature extractors -------------------
    def add_metric(
        self,
        name: str,
        fn: Callable[..., Mapping[str, Any]],
        *,
        description: str,
        columns: Sequence[MetricColumn],
        needs: Sequence[str] = ("fake",),
        protocol: Sequence[str] = (),
        data_kinds: tuple[str, ...] = ("image", "points"),
        extractor: str | None = None,
        default: bool = True,
    ) -> None:
        """Register a metric ``fn(inputs: MetricInputs) -> {column: value}``; its columns join the results table.

        ``needs`` (any of ``fake``, ``real``, ``labels``, ``fake_labels``, ``features``, ``models``) is
        what ``inputs`` provides; a metric whose needs are unavailable (no trained models when scoring
        files, no labels, an unconditional generator for ``fake_labels``) is skipped and its columns
        stay empty. ``columns`` declares every numeric column with its direction
        (``MetricColumn(name, "lower" | "higher" | None, description, ...)``); ``protocol``
        names further recorded keys. Returning any other key fails the cell. ``default=False`` computes
        the metric only when ``--metrics`` names it.
        """
        self._check_name("metric", name)
        self._check_callable("metric", name, fn)
        self._check_description("metric", name, description)
        kinds = self._check_data_kinds("metric", name, data_kinds)
        wanted = frozenset(needs)
        if isinstance(needs, str) or not wanted <= METRIC_NEEDS:
            self._fail(f"metric {name!r} has needs {tuple(needs)!r}; valid: {', '.join(sorted(METRIC_NEEDS))}")
        if extractor is not None and "features" not in wanted:
            self._fail(f"metric {name!r} names extractor {extractor!r} but does not need 'features'")
        declared = tuple(columns)
        if not declared or not all(isinstance(c, MetricColumn) for c in declared):
            self._fail(f"metric {name!r} needs columns=[MetricColumn(...), ...] (at least one)")
        protocol = tuple(protocol)
        keys = [c.name for c in declared] + list(protocol)
        mine = {k for e in self.entries if isinstance(e, MetricEntry) for k in e.keys}
        for key in keys:
            if not isinstance(key, str) or not _COLUMN_RE.match(key):
                self._fail(f"metric {name!r}: column name {key!r} is invalid: use lowercase letters, digits and '_'")
            if key in RESERVED_COLUMNS:
                self._fail(f"metric {name!r}: column {key!r} is written by ganbench itself; choose another name")
            owner = self.column_owner(key) or (key in mine and "another metric of this plugin") or None
            if owner is not None:
                self._fail(f"metric {name!r}: column {key!r} is already filled by {owner}")
        if len(set(keys)) != len(keys):
            self._fail(f"metric {name!r} declares a column twice")
        for col in declared:
            known = column_declaration(col.name)
            if col.direction not in (None, "lower", "higher"):
                self._fail(f"metric {name!r}: column {col.name!r} has direction {col.direction!r}; use lower/higher")
            if known is not None and known != col:
                self._fail(f"metric {name!r}: column {col.name!r} is already declared differently ({known})")
        entry = MetricEntry(
            name, fn, description, declared, protocol, wanted, kinds, extractor, bool(default), self.origin
        )
        self.entries.append(entry)

    def add_feature_extractor(
        self,
        name: str,
        factory: Callable[..., Any],
        *,
        description: str,
        data_kinds: tuple[str, ...] = ("image",),
        torch_fidelity: type | LazyFactory | None = None,
    ) -> None:
        """Register a feature extractor ``factory(*, device, batch_size, **options) -> FeatureExtractor``.

        FID, KID, PRDC and NDB (and any metric that needs ``features``) run on its features when a
        dataset names it (``DataSpec.fid_extractor``) or the user passes ``--extractor NAME``.
        Its other keyword-only parameters are its options (``--extractor-opt KEY=VALUE``, suite key
        ``extractor_options``), validated like component options. A factory that names an
        ``inception_weights`` parameter gets the file the user gave (``--inception-weights``) or
        ``None``; others never see it. Read weight files with ``load_weights``
        (``torch.load(..., weights_only=True)``). ``torch_fidelity``: a
        ``torch_fidelity.FeatureExtractorBase`` subclass, registered in torch-fidelity's own registry
        under ``name`` so ``torch_fidelity.calculate_metrics(feature_extractor=name)`` works too (give
        ``lazy("pkg.mod:Class")`` to keep torch-fidelity unimported until an extractor is built; then call
        ``ganbench.registry.publish_to_torch_fidelity()`` before using the name from torch-fidelity directly).
        """
        self._check_name("extractor", name)
        self._check_callable("extractor", name, factory)
        self._check_description("extractor", name, description)
        kinds = self._check_data_kinds("extractor", name, data_kinds)
        if isinstance(torch_fidelity, LazyFactory):
            pass  # checked when published to torch-fidelity (ganbench.registry.publish_to_torch_fidelity)
        elif torch_fidelity is not None:
            from torch_fidelity.feature_extractor_base import FeatureExtractorBase
            from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

            if not (isinstance(torch_fidelity, type) and issubclass(torch_fidelity, FeatureExtractorBase)):
                self._fail(f"extractor {name!r}: torch_fidelity must be a FeatureExtractorBase subclass")
            other = FEATURE_EXTRACTORS_REGISTRY.get(name)
            if other is not None and other is not torch_fidelity:
                self._fail(f"extractor {name!r}: torch-fidelity already has a different extractor of that name")
        self.entries.append(ExtractorEntry(name, factory, description, kinds, torch_fidelity, self.origin))

    def _check_train_options(self, variant: str, kind: str, recipe: Recipe) -> None:
        """A misspelled training option fails at registration (``ganbench --strict plugins``), not at ``run``."""
        from ganbench.engine.config import TrainConfig

        known = {f.name for f in dataclasses.fields(TrainConfig)}
        unknown = sorted(set(recipe.train_options) - known)
        if unknown:
            self._fail(
                f"variant {variant!r}: recipe for {kind!r} has unknown train option(s) {', '.join(unknown)}; "
                f"valid: {', '.join(sorted(known))}"
            )

    def _check_data_kinds(self, kind: ComponentKind, name: str, data_kinds: tuple[str, ...]) -> frozenset[str]:
        kinds = frozenset(data_kinds)
        if isinstance(data_kinds, str) or not kinds or not kinds <= DATA_KINDS:
            self._fail(f"{kind} {name!r} has data_kinds {tuple(data_kinds)!r}; valid: {', '.join(sorted(DATA_KINDS))}")
        return kinds

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

    # -- search spaces (ganbench sweep) -------------------------------------
    def add_search_space(self, kind: str, name: str, ranges: Mapping[str, Range]) -> None:
        """Declare the ranges ``ganbench sweep`` draws the options of a registered ``kind`` ``name`` from.

        ``kind`` is generator, discriminator, loss, optimizer, schedule or training_step; ``ranges`` maps
        option names (the factory's keyword arguments) to ``FloatRange``, ``IntRange`` or ``Choice``. An
        optimiser may also declare ``lr``, ``beta1`` and ``beta2`` (the training options it reads; ``lr``
        becomes ``lr_g`` or ``lr_d`` by the side it trains), a training step ``d_steps`` and ``batch_size``.
        Ranges are checked here (empty or inverted ranges fail); option names when a sweep uses them.
        """
        if kind not in SPACE_KINDS:
            self._fail(f"search space for {kind!r} {name!r}: valid kinds: {', '.join(SPACE_KINDS)}")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            self._fail(f"search space for {kind} {name!r}: the name is invalid")
        if not isinstance(ranges, Mapping) or not ranges:
            self._fail(f"search space for {kind} {name!r} needs a mapping of option name -> range")
        for key in ranges:
            if not isinstance(key, str) or not key.isidentifier():
                self._fail(f"search space for {kind} {name!r}: option name {key!r} is not an identifier")
        try:
            checked = check_ranges(ranges, f"search space for {kind} {name!r}")
        except UserError as exc:
            self._fail(str(exc))
        entry = SearchSpaceEntry(kind, name, checked, self.origin)
        earlier = self.taken("search_space", entry.name) or next(
            (e.origin for e in self.entries if isinstance(e, SearchSpaceEntry) and e.name == entry.name), None
        )
        if earlier is not None:
            self._fail(f"duplicate search space for {kind} {name!r}: already declared by {earlier}")
        self.entries.append(entry)

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
            (e.origin for e in self.entries if entry_kind(e) == kind and e.name == name), None
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


def entry_kind(
    entry: ComponentEntry
    | DatasetEntry
    | VariantEntry
    | MetricEntry
    | ExtractorEntry
    | TrainingEntry
    | SearchSpaceEntry,
) -> ComponentKind:
    """The kind an entry registers (the registry files it under this name, and names are unique per kind)."""
    if isinstance(entry, SearchSpaceEntry):
        return "search_space"
    if isinstance(entry, MetricEntry):
        return "metric"
    if isinstance(entry, ExtractorEntry):
        return "extractor"
    if isinstance(entry, DatasetEntry):
        return "dataset"
    if isinstance(entry, VariantEntry):
        return "variant"
    return entry.kind

"""Expand variants × datasets × seeds into cells, and check every cell before training any."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganbench.data.base import DatasetOptions, DataSpec, GanDataset
from ganbench.engine.build import (
    CUSTOM_VARIANT,
    Composition,
    Models,
    build_models,
    check_batch_size,
    resolve_recipe,
)
from ganbench.engine.config import TrainConfig
from ganbench.engine.optim import check_training
from ganbench.engine.seeding import check_seed
from ganbench.errors import IncompatibleError, PluginContractError, UserError
from ganbench.registry import PluginRegistry


@dataclass(frozen=True)
class EvalOptions:
    n_samples: int | None = None
    """Generated samples scored per cell; default 2,500 for 2D data, 10,000 otherwise."""
    eval_every: int | None = None
    enabled: bool = True
    extractor: str | None = None
    inception_weights: Path | None = None
    cache_dir: Path | None = None
    metrics: tuple[str, ...] | None = None
    """Registered metrics to compute (``--metrics``); ``None`` = every default metric."""
    extractor_options: Mapping[str, Any] = field(default_factory=dict)
    """Options of the run's feature extractor (``--extractor-opt KEY=VALUE``), its factory's keyword arguments."""
    n_real: int | None = None
    """Real samples FID/KID/PRDC compare against (a seeded subset of the FID split); default all, at most 10,000."""

    def __post_init__(self) -> None:
        # at least 2 samples: FID needs a covariance
        for name, flag, least in (
            ("n_samples", "--eval-samples", 2),
            ("eval_every", "--eval-every", 1),
            ("n_real", "--eval-real-samples", 2),
        ):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < least):
                raise UserError(f"{flag} must be an integer of at least {least}, got {value!r}")

    def samples_for(self, kind: str) -> int:
        return self.n_samples or (2_500 if kind == "points" else 10_000)


@dataclass(frozen=True)
class Cell:
    """One benchmark cell: a variant on a dataset with a seed."""

    variant: str
    dataset: str
    seed: int
    train: TrainConfig
    composition: Composition = field(default_factory=Composition)
    trial: int | None = None
    """The sweep trial this cell is (``ganbench sweep``): trials of one study differ in settings, not seed."""

    @property
    def cell_id(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.dataset).strip("_")[:60]
        trial = "" if self.trial is None else f"-t{self.trial:04d}"
        return f"{self.variant}-{slug}-s{self.seed}{trial}"


DATA_OPTIONS_KEY = "data_options"
"""``DataSpec.extra`` key holding the run's dataset options (``--data-opt``)."""


@dataclass(frozen=True)
class DataConfig:
    root: Path
    resolution: int | None = None
    download: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)
    """Dataset options (``--data-opt``), handed to every dataset of the run."""

    def __post_init__(self) -> None:
        value = self.resolution
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise UserError(f"--resolution must be a positive integer (pixels), got {value!r}")


@dataclass
class Plan:
    cells: list[Cell]
    datasets: dict[str, GanDataset]
    data: DataConfig | None = None
    """How the datasets were loaded, so that another process (a Ray worker) can load them again."""


@dataclass(frozen=True)
class RunConfig:
    """What an invocation runs, as plain data: recorded in ``run.json`` so ``--resume`` can re-plan it."""

    variants: tuple[str, ...]
    datasets: tuple[str, ...]
    seeds: tuple[int, ...]
    data: DataConfig
    evaluation: EvalOptions = EvalOptions()
    composition: Composition = field(default_factory=Composition)
    train_overrides: Mapping[str, Any] = field(default_factory=dict)
    device: str = "auto"
    checkpoint_every: int | None = None
    tensorboard: bool = False
    vectorize_seeds: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "variants": list(self.variants),
            "datasets": list(self.datasets),
            "seeds": list(self.seeds),
            "data": {k: dict(v) if isinstance(v, Mapping) else _plain(v) for k, v in vars(self.data).items()},
            "evaluation": {k: _plain(v) for k, v in dataclasses.asdict(self.evaluation).items()},
            "composition": {k: dict(v) if isinstance(v, Mapping) else v for k, v in vars(self.composition).items()},
            "train_overrides": dict(self.train_overrides),
            "device": self.device,
            "checkpoint_every": self.checkpoint_every,
            "tensorboard": self.tensorboard,
            "vectorize_seeds": self.vectorize_seeds,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> RunConfig:
        data = dict(obj["data"])
        evaluation = dict(obj.get("evaluation", {}))
        for key in ("inception_weights", "cache_dir"):
            if evaluation.get(key) is not None:
                evaluation[key] = Path(evaluation[key])
        if evaluation.get("metrics") is not None:
            evaluation["metrics"] = tuple(evaluation["metrics"])
        return cls(
            variants=tuple(obj["variants"]),
            datasets=tuple(obj["datasets"]),
            seeds=tuple(int(s) for s in obj["seeds"]),
            data=DataConfig(**{**data, "root": Path(data["root"])}),
            evaluation=EvalOptions(**evaluation),
            composition=Composition(**obj.get("composition", {})),
            train_overrides=dict(obj.get("train_overrides", {})),
            device=str(obj.get("device", "auto")),
            checkpoint_every=obj.get("checkpoint_every"),
            tensorboard=bool(obj.get("tensorboard", False)),
            vectorize_seeds=bool(obj.get("vectorize_seeds", False)),
        )


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def load_dataset(registry: PluginRegistry, name: str, data: DataConfig) -> GanDataset:
    """Instantiate a dataset; missing files raise a one-line ``DatasetUnavailableError`` here."""
    entry, argument = registry.dataset(name)
    unknown = sorted(set(data.options) - set(entry.options))
    if unknown:
        valid = ", ".join(entry.options) or "(none)"
        raise UserError(f"dataset {name!r} has no option {unknown[0]!r} (--data-opt); valid options: {valid}")
    options = DatasetOptions(
        root=data.root,
        resolution=data.resolution,
        download=data.download,
        argument=argument,
        options=dict(data.options),
    )
    dataset = entry.factory(options)
    if data.options:  # recorded in the spec so that cell fingerprints tell datasets with other options apart
        dataset.spec = dataclasses.replace(
            dataset.spec, extra={**dataset.spec.extra, DATA_OPTIONS_KEY: dict(data.options)}
        )
    return dataset


def make_plan(
    registry: PluginRegistry,
    *,
    variants: list[str],
    datasets: list[str],
    seeds: list[int],
    data: DataConfig,
    composition: Composition | None = None,
    train_overrides: dict[str, Any] | None = None,
) -> Plan:
    """All cells, each validated by building its models on the CPU; nothing trains yet.

    Precedence of training options: defaults < the variant's recipe < the CLI.
    """
    composition = composition or Composition()
    for seed in seeds:
        check_seed(seed)
    variants, seeds = list(dict.fromkeys(variants)), list(dict.fromkeys(seeds))  # "0,0" is one cell, run once
    if not variants:
        raise UserError("no variant given; use --plugins (valid: " + ", ".join(registry.names("variant")) + ")")
    for variant in variants:
        if variant != CUSTOM_VARIANT:
            registry.variant(variant)  # unknown names fail before any dataset loads
    for name in datasets:
        registry.dataset(name)
    loaded = {name: load_dataset(registry, name, data) for name in dict.fromkeys(datasets)}
    cells = []
    for dataset_name, dataset in loaded.items():
        for variant in variants:
            recipe = resolve_recipe(registry, variant, dataset.spec, composition)
            cfg = TrainConfig().with_overrides(dict(recipe.train_options)).with_overrides(train_overrides or {})
            models = build_models(registry, recipe, dataset.spec)  # raises IncompatibleError before training
            check_generator_output(registry, models)
            check_training(registry, models, cfg)  # optimisers, schedules, training step: bad values fail here
            check_batch_size(models, cfg.batch_size, variant)
            cells.extend(Cell(variant, dataset_name, seed, cfg, composition) for seed in seeds)
    return Plan(cells, loaded, data)


def plan_run(registry: PluginRegistry, config: RunConfig) -> Plan:
    """The plan of a :class:`RunConfig` (a fresh invocation, or one re-planned from ``run.json``)."""
    check_evaluation(registry, config.evaluation)
    plan = make_plan(
        registry,
        variants=list(config.variants),
        datasets=list(config.datasets),
        seeds=list(config.seeds),
        data=config.data,
        composition=config.composition,
        train_overrides=dict(config.train_overrides),
    )
    if config.evaluation.enabled:
        for dataset in plan.datasets.values():
            check_evaluation(registry, config.evaluation, dataset.spec)
    return plan


def check_evaluation(registry: PluginRegistry, evaluation: EvalOptions, spec: DataSpec | None = None) -> None:
    """Unknown ``--metrics``/``--extractor`` names fail here, before any dataset loads or any cell trains.

    With ``spec``: an extractor or an explicitly chosen metric that does not support the dataset's kind
    of data is an :class:`IncompatibleError` too.
    """
    entries = registry.metrics(evaluation.metrics)  # names are checked even with --no-eval: a typo is a typo
    if evaluation.extractor is not None:
        entry = registry.extractor(evaluation.extractor)
        if spec is not None and spec.kind not in entry.data_kinds:
            kinds = ", ".join(sorted(entry.data_kinds))
            raise IncompatibleError(
                f"feature extractor {entry.name!r} does not support {spec.kind} data (dataset {spec.name}); "
                f"it supports: {kinds}"
            )
    if evaluation.extractor_options and (evaluation.extractor is not None or spec is not None):
        check_extractor_options(registry, evaluation.extractor or spec.fid_extractor, evaluation.extractor_options)
    for metric in entries:
        if metric.extractor is not None:
            registry.extractor(metric.extractor)
        if spec is not None and evaluation.metrics is not None and spec.kind not in metric.data_kinds:
            kinds = ", ".join(sorted(metric.data_kinds))
            raise IncompatibleError(
                f"metric {metric.name!r} does not support {spec.kind} data (dataset {spec.name}); it supports: {kinds}"
            )


def check_extractor_options(registry: PluginRegistry, name: str, options: Mapping[str, Any]) -> None:
    """``--extractor-opt`` keys the extractor does not take fail with its valid options, before anything trains;
    an extractor that needs no Inception weights is built once on the CPU, so a value it rejects fails here too."""
    import inspect

    from ganbench.factories import check_options
    from ganbench.metrics.features import FIXED_ARGUMENTS, get_extractor

    factory = registry.extractor(name).factory
    params = inspect.signature(factory).parameters
    legacy = "weights" in params and params["weights"].default is inspect.Parameter.empty and "weights" not in options
    check_options(f"extractor {name!r}", factory, options, exclude=(*FIXED_ARGUMENTS, *(["weights"] if legacy else [])))
    if "inception_weights" not in params and not legacy:
        get_extractor(name, registry=registry, options=options)


def check_generator_output(registry: PluginRegistry, models: Models) -> None:
    """A generator whose samples do not have the dataset's shape breaks the plugin contract: one line naming it."""
    from ganbench.engine.sampling import generator_output_problem

    problem = generator_output_problem(models)
    if problem is not None:
        name = models.recipe.generator
        origin = registry.component("generator", name).origin
        raise PluginContractError(f"generator {name!r} (plugin {origin}) breaks its contract: it {problem}")


def check_models(registry: PluginRegistry, cell: Cell, dataset: GanDataset) -> Models:
    recipe = resolve_recipe(registry, cell.variant, dataset.spec, cell.composition)
    return build_models(registry, recipe, dataset.spec)


def check_weights_path(weights: Path | str | None) -> None:
    """A given ``--inception-weights`` that is a folder is refused whether or not FID uses Inception here."""
    if weights is not None and Path(weights).expanduser().is_dir():
        raise UserError(f"--inception-weights {str(weights)!r} is a folder; give the weights file itself (a .pth file)")


def check_extractor_weights(plan: Plan, evaluation: EvalOptions) -> None:
    """The FID extractor's weights file, checked before any cell trains (it is first used after it).

    (Unknown extractor and metric names are refused earlier, by :func:`check_evaluation` in ``plan_run``.)

    A weights file that exists is read here with ``weights_only=True``, so an
    unsafe one is refused up front; a missing default one is left to the
    extractor, which may download it.
    """
    check_weights_path(evaluation.inception_weights)
    if not evaluation.enabled:
        return
    from ganbench.metrics.inception import check_inception_weights

    used = {evaluation.extractor or dataset.spec.fid_extractor for dataset in plan.datasets.values()}
    if "inception-v3-compat" in used:
        check_inception_weights(evaluation.inception_weights)

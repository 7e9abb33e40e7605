"""The plugin manager: discovers plugins through entry points and isolates broken ones.

Every plugin, built-in or third-party, arrives the same way: an entry point in
the ``ganbench`` group of an installed distribution. Loading one plugin is a
transaction: import, register hooks, reject unknown (misspelled) hooks, then
run its ``ganbench_register`` against a fresh :class:`Registrar`. Any failure
drops that plugin alone and is reported as one :class:`PluginProblem`; with
``strict`` it is raised instead.
"""

from __future__ import annotations

import importlib.metadata as metadata
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pluggy

from ganbench import hookspecs
from ganbench.columns import register_column, register_protocol_key
from ganbench.errors import PluginError, UnknownNameError
from ganbench.lazy import resolve
from ganbench.registrar import (
    ComponentEntry,
    ComponentKind,
    DatasetEntry,
    ExtractorEntry,
    MetricEntry,
    PluginOrigin,
    Registrar,
    SearchSpaceEntry,
    VariantEntry,
    entry_kind,
)

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "ganbench"
BUILTIN_DISTRIBUTION = "ganbench"
API_VERSION = 1
"""Major version of the plugin API; a plugin may declare ``GANBENCH_API_VERSION``."""
LOAD_PLUGINS_ENV = "GANBENCH_LOAD_PLUGINS"
STRICT_ENV = "GANBENCH_STRICT_PLUGINS"


def normalise_distribution(name: str) -> str:
    """PEP 503 normalisation, so ``My_Plugin`` and ``my-plugin`` are the same distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that could not be loaded; printed as one warning line."""

    origin: PluginOrigin
    error: str
    whole: bool = False
    """``error`` is the whole line (a problem with the selection, not with one plugin)."""

    def __str__(self) -> str:
        return self.error if self.whole else f"{self.origin} was not loaded: {self.error}"


@dataclass
class PluginInfo:
    origin: PluginOrigin
    api_version: int
    registered: list[str] = field(default_factory=list)
    """``kind:name`` of everything the plugin registered."""


def strict_from_env(env: dict[str, str] | os._Environ[str] | None = None) -> bool:
    value = (env if env is not None else os.environ).get(STRICT_ENV, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def allowed_distributions(env: dict[str, str] | os._Environ[str] | None = None) -> set[str] | None:
    """Parse ``GANBENCH_LOAD_PLUGINS``: ``None`` = all; otherwise the allowed third-party distributions."""
    value = (env if env is not None else os.environ).get(LOAD_PLUGINS_ENV)
    if value is None:
        return None
    return {normalise_distribution(part.strip()) for part in value.split(",") if part.strip()}


class PluginRegistry:
    """Holds the loaded plugins and everything they registered."""

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self.pm = pluggy.PluginManager("ganbench")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = []
        self.problems: list[PluginProblem] = []
        self._entries: dict[ComponentKind, dict[str, Any]] = {
            "generator": {},
            "discriminator": {},
            "loss": {},
            "dataset": {},
            "variant": {},
            "metric": {},
            "extractor": {},
            # training seams (ganbench.training)
            "optimizer": {},
            "schedule": {},
            "training_step": {},
            # ranges of the above for ganbench sweep, keyed "kind:name"
            "search_space": {},
        }

    # -- loading ------------------------------------------------------------
    def load_entry_points(self, allowed: set[str] | None = None) -> None:
        """Load every plugin of the ``ganbench`` entry-point group that ``allowed`` admits.

        The built-in distribution always loads; ``allowed`` (from
        ``GANBENCH_LOAD_PLUGINS``) filters third-party distributions only.
        """
        installed: set[str] = set()
        for dist, ep in _iter_entry_points():
            dist_name = dist.metadata["Name"] or "?"
            norm = normalise_distribution(dist_name)
            installed.add(norm)
            if allowed is not None and norm != BUILTIN_DISTRIBUTION and norm not in allowed:
                continue
            origin = PluginOrigin(ep.name, dist_name, dist.version or "?")
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not take the tool down
                self._report(origin, f"import of {ep.value!r} failed: {type(exc).__name__}: {exc}")
                continue
            self.add_plugin(plugin, origin)
        for name in sorted((allowed or set()) - installed):
            others = ", ".join(sorted(installed - {BUILTIN_DISTRIBUTION})) or "none"
            self._report(
                PluginOrigin("", name, ""),
                f"{LOAD_PLUGINS_ENV} names {name!r}, but no installed distribution of that name provides "
                f"ganbench plugins; installed plugin distributions: {others}",
                whole=True,
            )

    def add_plugin(self, plugin: object, origin: PluginOrigin) -> bool:
        """Register one plugin object; returns whether it was accepted."""
        api = getattr(plugin, "GANBENCH_API_VERSION", API_VERSION)
        if api != API_VERSION:
            self._report(
                origin, f"built for plugin API version {api}, but this ganbench provides version {API_VERSION}"
            )
            return False
        try:
            self.pm.register(plugin, name=f"{origin.distribution}:{origin.plugin}")
        except Exception as exc:
            self._report(origin, f"invalid hook implementation: {exc}")
            return False
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(plugin)
            self._report(origin, f"unknown hook (misspelled?): {exc}")
            return False
        registrar = Registrar(origin=origin, taken=self._taken, column_owner=self._column_owner)
        try:
            for impl in self.pm.hook.ganbench_register.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function(*[{"registrar": registrar}[arg] for arg in impl.argnames])
        except Exception as exc:
            self.pm.unregister(plugin)
            message = (
                str(exc) if isinstance(exc, PluginError) else f"ganbench_register raised {type(exc).__name__}: {exc}"
            )
            prefix = f"{origin}: "
            self._report(origin, message.removeprefix(prefix))
            return False
        try:
            _commit_evaluation(registrar.entries)
        except Exception as exc:
            self.pm.unregister(plugin)
            self._report(origin, f"could not register its metrics or extractors: {exc}")
            return False
        info = PluginInfo(origin, api)
        for entry in registrar.entries:
            kind = entry_kind(entry)
            self._entries[kind][entry.name] = entry
            info.registered.append(f"{kind}:{entry.name}")
        self.plugins.append(info)
        return True

    def _taken(self, kind: ComponentKind, name: str) -> PluginOrigin | None:
        entry = self._entries[kind].get(name)
        return entry.origin if entry is not None else None

    def _column_owner(self, column: str) -> str | None:
        for entry in self._entries["metric"].values():
            if column in entry.keys:
                return f"metric {entry.name!r} of {entry.origin}"
        return None

    def _report(self, origin: PluginOrigin, error: str, *, whole: bool = False) -> None:
        problem = PluginProblem(origin, error, whole)
        if self.strict:
            raise PluginError(str(problem))
        self.problems.append(problem)

    # -- lookup ---------------------------------------------------------------
    def names(self, kind: ComponentKind) -> list[str]:
        return sorted(self._entries[kind])

    def component(self, kind: ComponentKind, name: str) -> ComponentEntry:
        try:
            return self._entries[kind][name]
        except KeyError:
            raise UnknownNameError(kind, name, self.names(kind)) from None

    def dataset(self, name: str) -> tuple[DatasetEntry, str | None]:
        """Resolve a dataset name, splitting ``folder:PATH`` into entry and argument."""
        base, sep, argument = name.partition(":")
        entry = self._entries["dataset"].get(base)
        if entry is None:
            raise UnknownNameError(
                "dataset",
                name,
                [d + (":PATH" if self._entries["dataset"][d].parameterised else "") for d in self.names("dataset")],
            )
        if entry.parameterised and not argument:
            raise UnknownNameError("dataset", name, [f"{base}:PATH"])
        if not entry.parameterised and sep:
            raise UnknownNameError("dataset", name, self.names("dataset"))
        return entry, argument or None

    def variant(self, name: str) -> VariantEntry:
        try:
            return self._entries["variant"][name]
        except KeyError:
            raise UnknownNameError("variant", name, self.names("variant")) from None

    def search_space(self, kind: str, name: str) -> SearchSpaceEntry | None:
        """The ranges declared for a registered component or training seam (``None``: none declared)."""
        return self._entries["search_space"].get(f"{kind}:{name}")

    def datasets(self) -> list[DatasetEntry]:
        return [self._entries["dataset"][n] for n in self.names("dataset")]

    def variants(self) -> list[VariantEntry]:
        return [self._entries["variant"][n] for n in self.names("variant")]

    # -- evaluation seams: metrics and feature extractors --------------------
    def metric(self, name: str) -> MetricEntry:
        try:
            return self._entries["metric"][name]
        except KeyError:
            raise UnknownNameError("metric", name, self.names("metric")) from None

    def metrics(self, names: Iterable[str] | None = None) -> list[MetricEntry]:
        """The metrics ``names`` selects (in that order), or every default metric in registration order."""
        if names is None:
            return [e for e in self._entries["metric"].values() if e.default]
        return [self.metric(n) for n in dict.fromkeys(names)]

    def extractor(self, name: str) -> ExtractorEntry:
        try:
            return self._entries["extractor"][name]
        except KeyError:
            raise UnknownNameError("feature extractor", name, self.names("extractor")) from None

    def entries(self, kind: ComponentKind) -> list[Any]:
        """Every entry of one kind, sorted by name (for listings such as ``plugins --components``)."""
        return [self._entries[kind][n] for n in self.names(kind)]

    @property
    def kinds(self) -> tuple[ComponentKind, ...]:
        return tuple(self._entries)

    def notify_cell_finished(self, row: Mapping[str, Any], cell_dir: Any) -> None:
        """Hooks get a read-only view: columns come from ``Registrar.add_metric``, not from editing ``row``.

        Each plugin's hook runs on its own: one that raises (say, by assigning to ``row``) is logged
        as a warning naming it, and neither the other hooks nor the run are affected.
        """
        arguments = {"row": MappingProxyType(dict(row)), "cell_dir": cell_dir}
        for impl in reversed(self.pm.hook.ganbench_cell_finished.get_hookimpls()):  # pluggy's call order
            try:
                impl.function(*[arguments[arg] for arg in impl.argnames])
            except Exception as exc:  # an observer must not fail the benchmark
                log.warning("ganbench_cell_finished of %s raised %s: %s", impl.plugin_name, type(exc).__name__, exc)


def _commit_evaluation(entries: Iterable[Any]) -> None:
    """Publish an accepted plugin's metric columns to the catalogue; its torch-fidelity extractors wait.

    Registering into torch-fidelity imports it (with torchvision and torch._dynamo, seconds of start-up):
    that happens when an extractor is built (:func:`publish_to_torch_fidelity`), or right away if this
    process has already imported torch-fidelity.
    """
    for entry in entries:
        if isinstance(entry, MetricEntry):
            for col in entry.columns:
                register_column(col)
            for key in entry.protocol:
                register_protocol_key(key)
        elif isinstance(entry, ExtractorEntry) and entry.torch_fidelity is not None:
            _TORCH_FIDELITY_PENDING.append(entry)
    if "torch_fidelity" in sys.modules:
        publish_to_torch_fidelity()


_TORCH_FIDELITY_PENDING: list[ExtractorEntry] = []


def publish_to_torch_fidelity() -> None:
    """Register the loaded plugins' torch-fidelity extractors under their names (imports torch-fidelity)."""
    if not _TORCH_FIDELITY_PENDING:
        return
    from torch_fidelity.feature_extractor_base import FeatureExtractorBase
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

    while _TORCH_FIDELITY_PENDING:
        entry = _TORCH_FIDELITY_PENDING.pop(0)
        cls = resolve(entry.torch_fidelity)
        if not (isinstance(cls, type) and issubclass(cls, FeatureExtractorBase)):
            raise PluginError(
                f"{entry.origin}: extractor {entry.name!r}: torch_fidelity must be a FeatureExtractorBase subclass"
            )
        if FEATURE_EXTRACTORS_REGISTRY.get(entry.name) is not cls:
            register_feature_extractor(entry.name, cls)


def _iter_entry_points() -> Iterator[tuple[metadata.Distribution, metadata.EntryPoint]]:
    """Entry points of the group, once per distribution even if it is on sys.path twice."""
    seen: set[str] = set()
    for dist in metadata.distributions():
        name = normalise_distribution(dist.metadata["Name"] or "")
        if name in seen:
            continue
        eps: Iterable[metadata.EntryPoint] = [ep for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP]
        if not eps:
            continue
        seen.add(name)
        yield from ((dist, ep) for ep in eps)


_DEFAULT: dict[tuple[bool, frozenset[str] | None], PluginRegistry] = {}


def get_registry(strict: bool | None = None, *, refresh: bool = False) -> PluginRegistry:
    """The process-wide registry, loaded once per (strict, GANBENCH_LOAD_PLUGINS) setting."""
    strict = strict_from_env() if strict is None else strict
    allowed = allowed_distributions()
    key = (strict, frozenset(allowed) if allowed is not None else None)
    if refresh or key not in _DEFAULT:
        registry = PluginRegistry(strict=strict)
        registry.load_entry_points(allowed)
        _DEFAULT[key] = registry
    return _DEFAULT[key]

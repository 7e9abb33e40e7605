"""What ``ganbench plugins --components`` shows: every registered entry as plain data.

Generic over the registry's kinds (components, datasets, variants, metrics, extractors, and any kind
added later), so a new seam is listed without touching this module. Options are read from each
factory's signature with :func:`inspect.signature`: keyword parameters with their annotation and
default, exactly what a recipe or ``--gen-opt KEY=VALUE`` may set.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from ganbench.registrar import DatasetEntry, ExtractorEntry, MetricEntry, SearchSpaceEntry, VariantEntry
from ganbench.registry import PluginRegistry
from ganbench.search_space import range_text

NO_OPTIONS = (MetricEntry, ExtractorEntry, DatasetEntry, VariantEntry)
"""Entries whose callables take ganbench's own arguments, not user options."""


def _plain(value: Any) -> Any:
    """JSON-friendly: containers kept, anything else as its repr."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


def _annotation(annotation: Any) -> str | None:
    if annotation is inspect.Parameter.empty:
        return None
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))


def factory_options(factory: Callable[..., Any]) -> list[dict[str, Any]]:
    """The options a factory accepts: its keyword parameters (``**unknown`` catch-alls excluded)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: nothing to read
        return []
    options = []
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            continue
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty:
            continue  # ganbench's own arguments (the build context, the parameters to optimise)
        required = p.default is p.empty
        options.append(
            {
                "name": p.name,
                "type": _annotation(p.annotation),
                "default": None if required else _plain(p.default),
                "required": required,
            }
        )
    return options


def describe_entry(kind: str, entry: Any) -> dict[str, Any]:
    """One entry as plain data: kind, name, description, data kinds, options and origin, plus kind-specific facts."""
    record: dict[str, Any] = {"kind": kind, "name": entry.name}
    variant = getattr(entry, "variant", None)
    record["description"] = getattr(entry, "description", None) or getattr(variant, "description", "")
    data_kinds = getattr(entry, "data_kinds", None)
    if isinstance(entry, DatasetEntry):
        data_kinds = (entry.kind,)
    elif isinstance(entry, VariantEntry):
        data_kinds = tuple(entry.variant.recipes)
    record["data_kinds"] = sorted(data_kinds) if data_kinds is not None else None
    factory = getattr(entry, "factory", None) or getattr(entry, "fn", None)
    record["options"] = [] if isinstance(entry, NO_OPTIONS) or factory is None else factory_options(factory)
    if isinstance(entry, MetricEntry):
        record["columns"] = [
            {"name": c.name, "direction": c.direction, "description": c.description} for c in entry.columns
        ]
        record["protocol"] = list(entry.protocol)
        record["needs"] = sorted(entry.needs)
        record["extractor"] = entry.extractor
        record["default"] = entry.default
    elif isinstance(entry, DatasetEntry):
        record.update(shape=list(entry.shape), size=entry.size, parameterised=entry.parameterised)
    elif isinstance(entry, VariantEntry):
        record["recipes"] = {k: _plain(dataclasses.asdict(r)) for k, r in entry.variant.recipes.items()}
    elif isinstance(entry, ExtractorEntry):
        record["torch_fidelity"] = entry.torch_fidelity is not None
    elif isinstance(entry, SearchSpaceEntry):  # listed as its ranges: "lr: 1e-05..0.01 (log)"
        record["description"] = f"ganbench sweep ranges of {entry.kind} {entry.component!r}"
        record["ranges"] = {k: r.to_json() for k, r in entry.ranges.items()}
        record["options"] = [
            {"name": k, "type": None, "default": range_text(r), "required": False, "range": True}
            for k, r in entry.ranges.items()
        ]
    origin = entry.origin
    record["plugin"], record["distribution"] = origin.plugin, origin.distribution
    return record


def describe_components(registry: PluginRegistry) -> list[dict[str, Any]]:
    """Every registered entry of every kind, kind by kind (in the registry's order), names sorted."""
    return [describe_entry(kind, entry) for kind in registry.kinds for entry in registry.entries(kind)]


def option_text(option: dict[str, Any]) -> str:
    """``name: type = default`` (or ``name: type (required)``) for a terminal listing."""
    if option.get("range"):
        return f"{option['name']}: {option['default']}"
    typed = f"{option['name']}: {option['type']}" if option["type"] else option["name"]
    return f"{typed} (required)" if option["required"] else f"{typed} = {option['default']!r}"

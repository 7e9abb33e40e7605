"""Hyperparameter ranges a sweep may draw from, as plain data (no optuna, no torch).

Plugins declare the ranges of their components' options with ``Registrar.add_search_space``;
``ganbench sweep --space FILE.toml`` overrides them. A range is one of :class:`FloatRange`,
:class:`IntRange` (both optionally log-uniform) and :class:`Choice`. This module imports nothing
from ganbench above :mod:`ganbench.errors`, so the registrar and the plugin API can use it.

A space file (parsed as data with :mod:`tomllib`, never executed)::

    replace = false                  # true: the file's ranges are the whole space (default: merge)

    [params]                         # every variant
    lr_g = { low = 1e-5, high = 1e-2, log = true }
    d_steps = { choices = [1, 5] }
    beta2 = false                    # not searched: keeps the variant's value

    [variants.minibatch.params]      # one variant only (wins over [params])
    "discriminator.kernels" = { low = 10, high = 200, log = true }   # two ints: an integer range
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganbench.errors import UserError


@dataclass(frozen=True)
class FloatRange:
    """A real number drawn uniformly from ``[low, high]`` (``log=True``: uniformly in ``log``)."""

    low: float
    high: float
    log: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class IntRange:
    """An integer drawn uniformly from ``low..high`` inclusive (``log=True``: uniformly in ``log``)."""

    low: int
    high: int
    log: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Choice:
    """One of ``values`` (numbers, strings or booleans), each equally likely."""

    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if isinstance(self.values, Sequence) and not isinstance(self.values, str):
            object.__setattr__(self, "values", tuple(self.values))

    def to_json(self) -> dict[str, Any]:
        return {"type": "choice", "values": list(self.values)}


Range = FloatRange | IntRange | Choice
RANGE_TYPES = (FloatRange, IntRange, Choice)
TRAIN_TARGETS = ("lr_g", "lr_d", "beta1", "beta2", "d_steps", "batch_size")
"""Training options a sweep may search (fields of ``TrainConfig``); component options are ``PART.OPTION``."""
DECLARED_TRAIN_OPTIONS = {"optimizer": ("lr", "beta1", "beta2"), "training_step": ("d_steps", "batch_size")}
"""Training options an optimiser or a training step declares ranges for besides its own options (the
optimiser's ``lr`` becomes ``lr_g`` or ``lr_d`` by the side it trains)."""
SPACE_KINDS = ("generator", "discriminator", "loss", "optimizer", "schedule", "training_step")
"""What may declare a search space (registered components and training seams)."""


def range_problem(value: object) -> str | None:
    """Why ``value`` is not a usable range (``None`` when it is): empty, inverted, log of <= 0, wrong type."""
    if isinstance(value, Choice):
        if not value.values:
            return "has no choices (empty)"
        if not all(isinstance(v, (bool, int, float, str)) for v in value.values):
            return f"has choices {list(value.values)!r}; use numbers, strings or booleans"
        if len(set(map(repr, value.values))) != len(value.values):
            return f"repeats a choice in {list(value.values)!r}"
        return None
    if not isinstance(value, (FloatRange, IntRange)):
        return f"is {value!r}, not a FloatRange, IntRange or Choice"
    number = int if isinstance(value, IntRange) else (int, float)
    for bound in (value.low, value.high):
        if isinstance(bound, bool) or not isinstance(bound, number) or not math.isfinite(bound):
            kind = "integers" if isinstance(value, IntRange) else "finite numbers"
            return f"has bounds {value.low!r}..{value.high!r}; they must be {kind}"
    if value.low > value.high:
        return f"is inverted: low {value.low!r} > high {value.high!r}"
    if value.low == value.high:
        return f"is empty: low = high = {value.low!r} (fix the value instead of searching it)"
    if value.log and value.low <= 0:
        return f"is log-uniform but low {value.low!r} <= 0"
    return None


def check_ranges(ranges: Mapping[str, object], where: str) -> dict[str, Range]:
    """``ranges`` as a dict of valid ranges, or a one-line :class:`UserError` naming ``where`` and the key."""
    out: dict[str, Range] = {}
    for key, value in ranges.items():
        problem = range_problem(value)
        if problem is not None:
            raise UserError(f"{where}: range {key!r} {problem}")
        out[key] = value  # type: ignore[assignment]
    return out


def range_text(value: Range) -> str:
    """``1e-05..0.01 (log)``, ``2..10 (int)`` or ``one of 1, 5`` for listings and help."""
    if isinstance(value, Choice):
        return "one of " + ", ".join(map(str, value.values))
    suffix = (
        " (int" + (", log)" if value.log else ")") if isinstance(value, IntRange) else (" (log)" if value.log else "")
    )
    return f"{value.low:g}..{value.high:g}{suffix}"


def range_from_json(obj: Mapping[str, Any]) -> Range:
    """The inverse of ``to_json`` (the ranges recorded with a study)."""
    if obj["type"] == "choice":
        return Choice(tuple(obj["values"]))
    cls = IntRange if obj["type"] == "int" else FloatRange
    return cls(obj["low"], obj["high"], bool(obj.get("log", False)))


# -- the --space file -------------------------------------------------------------------
_TOP_KEYS = ("replace", "params", "variants")
_RANGE_KEYS = ("low", "high", "log", "choices", "type")


@dataclass(frozen=True)
class SpaceFile:
    """A parsed ``--space`` file: ranges for every variant, per-variant ranges, and whether they replace."""

    path: Path
    params: Mapping[str, Range | None]
    """``None`` drops a declared range (the option keeps the variant's value)."""
    variants: Mapping[str, Mapping[str, Range | None]]
    replace: bool = False

    def for_variant(self, variant: str) -> dict[str, Range | None]:
        return {**self.params, **self.variants.get(variant, {})}


def load_space_file(path: Path) -> SpaceFile:
    """Read and check a ``--space`` TOML file; every problem is one :class:`UserError` line."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    where = f"--space {path}"
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise UserError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{where}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise UserError(f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(_TOP_KEYS)}")
    replace = data.get("replace", False)
    if not isinstance(replace, bool):
        raise UserError(f"{where}: replace must be true or false, got {replace!r}")
    variants = data.get("variants", {})
    if not isinstance(variants, dict):
        raise UserError(f"{where}: [variants] must be a table of [variants.NAME.params] tables")
    per_variant = {}
    for name, table in variants.items():
        if not isinstance(table, dict) or set(table) - {"params"}:
            raise UserError(f"{where}: [variants.{name}] may hold only a params table ([variants.{name}.params])")
        per_variant[name] = _parse_params(table.get("params", {}), f"{where} [variants.{name}.params]")
    return SpaceFile(path, _parse_params(data.get("params", {}), f"{where} [params]"), per_variant, replace)


def _parse_params(table: object, where: str) -> dict[str, Range | None]:
    if not isinstance(table, dict):
        raise UserError(f"{where} must be a table of NAME = {{ low = .., high = .. }} entries")
    return {key: _parse_range(key, value, where) for key, value in table.items()}


def _parse_range(key: str, value: object, where: str) -> Range | None:
    if value is False:
        return None
    if not isinstance(value, dict):
        raise UserError(
            f"{where}: {key} = {value!r}; write {{ low = A, high = B[, log = true] }}, {{ choices = [..] }} or false"
        )
    unknown = sorted(set(value) - set(_RANGE_KEYS))
    if unknown:
        raise UserError(f"{where}: {key} has unknown key {unknown[0]!r}; valid keys: {', '.join(_RANGE_KEYS)}")
    kind = value.get("type")
    if kind not in (None, "int", "float", "choice"):
        raise UserError(f"{where}: {key} has type {kind!r}; valid types: int, float, choice")
    log = value.get("log", False)
    if not isinstance(log, bool):
        raise UserError(f"{where}: {key}.log must be true or false, got {log!r}")
    if "choices" in value or kind == "choice":
        if set(value) - {"choices", "type"}:
            raise UserError(f"{where}: {key} mixes choices with low/high/log; give one or the other")
        choices = value.get("choices")
        if not isinstance(choices, list):
            raise UserError(f"{where}: {key}.choices must be a list, got {choices!r}")
        parsed: Range = Choice(tuple(choices))
    else:
        if "low" not in value or "high" not in value:
            raise UserError(f"{where}: {key} needs both low and high (or choices)")
        low, high = value["low"], value["high"]
        integer = kind == "int" or (kind is None and type(low) is int and type(high) is int)
        if kind == "float":
            low, high = (float(v) if type(v) is int else v for v in (low, high))
        parsed = IntRange(low, high, log) if integer else FloatRange(low, high, log)
    problem = range_problem(parsed)
    if problem is not None:
        raise UserError(f"{where}: {key} {problem}")
    return parsed

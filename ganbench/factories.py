"""Calling a plugin's factory with user options: unknown keys and rejected values as one-line errors.

Used for every seam whose options come from the command line or a suite (optimisers, schedules,
training steps, feature extractors), so they are validated the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ganbench.errors import UserError


def keyword_options(factory: Callable[..., Any], *, exclude: tuple[str, ...] = ()) -> list[str] | None:
    """The keyword-only parameters a factory takes as options; ``None`` if it takes ``**kwargs`` (any key)."""
    params = list(inspect.signature(factory).parameters.values())
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in exclude]


def check_options(
    what: str, factory: Callable[..., Any], options: Mapping[str, Any], *, exclude: tuple[str, ...] = ()
) -> None:
    """Unknown option keys fail with the valid ones listed (factories with ``**kwargs`` check their own)."""
    valid = keyword_options(factory, exclude=exclude)
    if valid is None:
        return
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise UserError(f"{what}: unknown option {unknown[0]!r}; valid options: {', '.join(valid) or '(none)'}")


def call_with_options(
    what: str,
    factory: Callable[..., Any],
    args: tuple[Any, ...],
    options: Mapping[str, Any],
    *,
    fixed: Mapping[str, Any] | None = None,
) -> Any:
    """``factory(*args, **fixed, **options)``; a value it rejects (torch raises ValueError/TypeError) becomes one
    line naming ``what``. ``fixed`` are the arguments ganbench itself passes (never options)."""
    fixed = dict(fixed or {})
    check_options(what, factory, options, exclude=tuple(fixed))
    try:
        return factory(*args, **fixed, **dict(options))
    except (ValueError, TypeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"{what}: {first}") from None

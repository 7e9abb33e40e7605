"""Factories named by ``"module:attribute"``, imported on first use (``ganbench.plugin.lazy``).

Listing plugins (``ganbench plugins``, ``table``, ``report``) loads every plugin to read what it registers,
but builds nothing. A plugin that registers ``lazy(f"{__name__}.networks:make_generator")`` instead of the
function itself keeps torch (and whatever else its networks need) out of those commands: the module is
imported the first time the factory is called, or its signature read (``plugins --components``).
Passing the function itself still works; it only costs the import up front.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

_TARGET_RE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


class LazyFactory:
    """A callable standing for ``module:attribute``; the module is imported on the first call."""

    def __init__(self, target: str) -> None:
        if not isinstance(target, str) or not _TARGET_RE.match(target):
            raise ValueError(f"lazy() takes 'package.module:attribute', got {target!r}")
        self.target = target
        self._resolved: Any = None

    def resolve(self) -> Any:
        """The named object (imported once); an import error propagates with the target named."""
        if self._resolved is None:
            module_name, _, attribute = self.target.partition(":")
            try:
                found: Any = importlib.import_module(module_name)
                for part in attribute.split("."):
                    found = getattr(found, part)
            except (ImportError, AttributeError) as exc:
                raise ImportError(f"cannot load {self.target}: {exc}") from exc
            self._resolved = found
        return self._resolved

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:  # inspect.signature(lazy) reads the real factory's
        return inspect.signature(self.resolve())

    def __repr__(self) -> str:
        return f"lazy({self.target!r})"


def lazy(target: str) -> LazyFactory:
    """A factory (or class) named ``"package.module:attribute"``, imported when first called."""
    return LazyFactory(target)


def resolve(obj: Any) -> Any:
    """``obj`` itself, or what a :class:`LazyFactory` stands for."""
    return obj.resolve() if isinstance(obj, LazyFactory) else obj

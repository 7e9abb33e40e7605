"""``ganbench new-plugin``: scaffold a pip-installable plugin package.

The package is rendered from real files under ``templates/`` (``$name``-style
placeholders, :class:`string.Template`), so the templates read like the code
they produce. The result is a working plugin: one generator, discriminator,
loss, dataset and a variant using them, plus tests that pass as generated.
"""

from __future__ import annotations

import importlib.util
import keyword
import os
import re
import shutil
import string
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ganbench.errors import UserError

TEMPLATES = Path(__file__).parent / "templates"
EXTRAS_DIR = Path(__file__).parent / "extras"
"""Optional seams (``new-plugin --with``): ``extras/<kind>/<module>.py.tmpl`` and its ``test_<module>.py.tmpl``."""
MODULE_PLACEHOLDER = "__module__"
TEMPLATE_SUFFIX = ".tmpl"
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
MAX_NAME_LENGTH = 40
RESERVED = frozenset({"ganbench", "test", "tests", "plugin", "plugins"})


class InvalidPluginNameError(UserError):
    """A ``new-plugin`` NAME that cannot be a distribution, a module and a registry name at once."""


class DestinationExistsError(UserError):
    """``new-plugin`` never overwrites: the package directory is already there."""


@dataclass(frozen=True)
class Extra:
    """One optional seam of the scaffold: the module it adds, the component it registers, a README row."""

    module: str
    component: str
    """``kind:name`` as ``ganbench plugins`` lists it, with ``{prefix}`` for the name prefix."""
    row: str
    """The README table row: kind and what it is."""


EXTRAS: dict[str, Extra] = {
    "metric": Extra("metric", "metric:{prefix}-mean-shift", "metric | `{prefix}-mean-shift` | mean distance"),
    "extractor": Extra(
        "extractor", "extractor:{prefix}-projection", "feature extractor | `{prefix}-projection` | options dim, seed"
    ),
    "optimizer": Extra("optimizer", "optimizer:{prefix}-sgd", "optimizer | `{prefix}-sgd` | SGD with momentum"),
    "schedule": Extra("schedule", "schedule:{prefix}-warmup", "schedule | `{prefix}-warmup` | linear warm-up"),
    "training-step": Extra(
        "training_step", "training_step:{prefix}-lazy-r1", "training step | `{prefix}-lazy-r1` | lazy R1 penalty"
    ),
}
"""``new-plugin --with`` choices, in the order they are generated and registered."""


class InvalidExtraError(UserError):
    """``new-plugin --with`` named a seam the scaffold has no example of."""


def parse_extras(value: str | None) -> tuple[str, ...]:
    """``metric,extractor`` (or ``all``) to the chosen seams in :data:`EXTRAS` order; unknown names fail in one line."""
    names = [part.strip() for part in (value or "").split(",") if part.strip()]
    if names == ["all"]:
        return tuple(EXTRAS)
    unknown = [n for n in names if n not in EXTRAS]
    if unknown:
        raise InvalidExtraError(f"--with: unknown seam {unknown[0]!r}; valid choices: {', '.join(EXTRAS)}, all")
    return tuple(kind for kind in EXTRAS if kind in names)


@dataclass(frozen=True)
class PluginNames:
    """Every spelling of one plugin name that the package needs."""

    distribution: str
    """The pip name, e.g. ``my-gan``."""
    module: str
    """The importable package, e.g. ``my_gan``."""
    prefix: str = ""
    """The registered components' name (and their names' prefix), e.g. ``my``; default: the distribution name."""

    @property
    def component(self) -> str:
        return self.prefix or self.distribution

    @property
    def entry_point(self) -> str:
        return self.module


def plugin_names(name: str, prefix: str | None = None) -> PluginNames:
    """Validate ``name`` (and ``prefix``); it must work as a distribution, a Python package and a registry name."""
    if prefix is not None and (not NAME_RE.match(prefix) or len(prefix) > MAX_NAME_LENGTH):
        raise InvalidPluginNameError(
            f"invalid --prefix {prefix!r}: use lowercase letters and digits, optionally joined by single '-' or '_', "
            f"starting with a letter, at most {MAX_NAME_LENGTH} characters (e.g. my)"
        )
    if not NAME_RE.match(name) or len(name) > MAX_NAME_LENGTH:
        raise InvalidPluginNameError(
            f"invalid plugin name {name!r}: use lowercase letters and digits, optionally joined by single '-' or '_', "
            f"starting with a letter, at most {MAX_NAME_LENGTH} characters (e.g. my-gan)"
        )
    module = name.replace("-", "_")
    if name in RESERVED or module in RESERVED or keyword.iskeyword(module):
        raise InvalidPluginNameError(
            f"invalid plugin name {name!r}: it is reserved; reserved names: {', '.join(sorted(RESERVED))}"
        )
    return PluginNames(distribution=name, module=module, prefix=prefix or "")


def check_not_shadowing(names: PluginNames) -> None:
    """Refuse a name whose package is already importable (``torch``): installing it would shadow that module.

    Namespace packages (any directory on ``sys.path``, such as a folder in the
    current directory) do not count; they are shadowed by any real package.
    """
    try:
        spec = importlib.util.find_spec(names.module)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin not in (None, "namespace"):
        raise InvalidPluginNameError(
            f"invalid plugin name {names.distribution!r}: the module {names.module!r} is already installed "
            f"({spec.origin}) and would be shadowed"
        )


def check_not_registered(names: PluginNames) -> None:
    """Refuse a name an installed plugin already registered (``dcgan``): the new plugin would fail to load."""
    from ganbench.registry import get_registry

    registry = get_registry()
    name = names.component
    kinds = ("generator", "discriminator", "loss", "variant")
    taken = [f"{kind} {name!r}" for kind in kinds if name in registry.names(kind)]
    if f"{name}-hexagon" in registry.names("dataset"):
        taken.append(f"dataset {name + '-hexagon'!r}")
    for extra in EXTRAS.values():
        kind, component = extra.component.format(prefix=name).split(":")
        if component in registry.names(kind):
            taken.append(f"{kind.replace('_', ' ')} {component!r}")
    if taken:
        what = f"--prefix {name!r}" if names.prefix else f"plugin name {name!r}"
        raise InvalidPluginNameError(
            f"invalid {what}: installed plugins already register {', '.join(taken)}; choose another name"
        )


def _api_version() -> int:
    from ganbench.registry import API_VERSION

    return API_VERSION


def _ganbench_requirement() -> str:
    """``ganbench>=MAJOR.MINOR`` of the running ganbench, or plain ``ganbench`` from an uninstalled tree."""
    import ganbench

    match = re.match(r"^(\d+)\.(\d+)", ganbench.__version__)
    if match is None or ganbench.__version__.startswith("0.0.0"):
        return "ganbench"
    return f"ganbench>={match.group(1)}.{match.group(2)}"


def render_files(names: PluginNames, extras: tuple[str, ...] = ()) -> dict[Path, str]:
    """The package's files (relative paths) and their contents, without touching the disk."""
    prefix = names.component
    chosen = [EXTRAS[kind] for kind in extras]
    values = {
        "name": names.distribution,
        "prefix": prefix,
        "prefix_id": prefix.replace("-", "_"),
        "module": names.module,
        "entry_point": names.entry_point,
        "api_version": str(_api_version()),
        "ganbench_requirement": _ganbench_requirement(),
        "extra_imports": (
            f"from {names.module} import {', '.join(sorted(e.module for e in chosen))}\n" if chosen else ""
        ),
        "extra_registrations": "".join(f"    {e.module}.register(registrar)\n" for e in chosen),
        "extra_components": (
            "{\n" + "".join(f'    "{e.component.format(prefix=prefix)}",\n' for e in chosen) + "}"
            if chosen
            else "set()"
        ),
        "extra_rows": "".join(
            "| {} | {} |\n".format(e.row.format(prefix=prefix), f"`src/{names.module}/{e.module}.py`") for e in chosen
        ),
    }
    files: dict[Path, str] = {}
    for extra in chosen:
        kind_dir = EXTRAS_DIR / next(k for k, v in EXTRAS.items() if v is extra)
        for template in sorted(kind_dir.glob(f"*{TEMPLATE_SUFFIX}")):
            stem = template.name.removesuffix(TEMPLATE_SUFFIX)
            where = Path("tests") if stem.startswith("test_") else Path("src", names.module)
            files[where / stem] = string.Template(template.read_text(encoding="utf-8")).substitute(values)
    for template in sorted(TEMPLATES.rglob(f"*{TEMPLATE_SUFFIX}")):
        relative = template.relative_to(TEMPLATES)
        parts = [names.module if p == MODULE_PLACEHOLDER else p for p in relative.parts]
        parts[-1] = parts[-1].removesuffix(TEMPLATE_SUFFIX)
        if parts[-1] == "gitignore":
            parts[-1] = ".gitignore"  # a dotfile template would be skipped by many packaging tools
        files[Path(*parts)] = string.Template(template.read_text(encoding="utf-8")).substitute(values)
    if not files:
        raise RuntimeError(f"no scaffold templates under {TEMPLATES}; was ganbench installed without its package data?")
    return files


def generate(name: str, dest: Path | str = ".", *, extras: tuple[str, ...] = (), prefix: str | None = None) -> Path:
    """Write the package ``dest/name/`` and return its path.

    ``extras``: optional seams from :data:`EXTRAS` (a metric, an extractor, ...), each a module with its
    tests; ``prefix``: the registered components' name (default ``name``).

    The package is rendered into a temporary sibling directory and renamed
    into place, so an interrupted run never leaves a half-written package.
    """
    names = plugin_names(name, prefix)
    unknown = [kind for kind in extras if kind not in EXTRAS]
    if unknown:
        raise InvalidExtraError(f"unknown seam {unknown[0]!r}; valid choices: {', '.join(EXTRAS)}")
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise DestinationExistsError(f"--dest {str(dest)!r} is a file, not a directory")
    target = dest / name
    if target.exists():
        raise DestinationExistsError(_exists_message(target))
    check_not_shadowing(names)
    check_not_registered(names)
    files = render_files(names, tuple(kind for kind in EXTRAS if kind in extras))
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=dest))
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; a package directory should not be
        try:
            os.rename(staging, target)
        except OSError:
            raise DestinationExistsError(_exists_message(target)) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _exists_message(target: Path) -> str:
    return f"{str(target)!r} already exists; new-plugin never overwrites, choose another NAME or --dest"


__all__ = [
    "EXTRAS",
    "DestinationExistsError",
    "InvalidExtraError",
    "InvalidPluginNameError",
    "PluginNames",
    "check_not_registered",
    "check_not_shadowing",
    "generate",
    "parse_extras",
    "plugin_names",
    "render_files",
]

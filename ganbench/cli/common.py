"""Options and helpers shared by the commands: the root callback, registry loading, parsing."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

import ganbench
from ganbench.errors import UserError

if TYPE_CHECKING:  # the registry imports torch: loaded only when a command runs, never for --help
    from ganbench.registry import PluginRegistry


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ganbench {ganbench.__version__}")
        raise typer.Exit()


def register(app: typer.Typer) -> None:
    @app.callback()
    def root(
        ctx: typer.Context,
        version: Annotated[
            bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
        ] = False,
        strict: Annotated[
            bool,
            typer.Option(
                "--strict",
                envvar="GANBENCH_STRICT_PLUGINS",
                help="Make a plugin that fails to load or registers something invalid a fatal error.",
            ),
        ] = False,
    ) -> None:
        """Benchmark GAN variants: FID, mode collapse and throughput, with plugins."""
        ctx.obj = {"strict": strict}


def load_registry(ctx: typer.Context) -> PluginRegistry:
    """The plugin registry; each plugin that failed to load is reported as one warning line."""
    from ganbench.registry import get_registry

    strict = bool((ctx.find_root().obj or {}).get("strict", False))
    registry = get_registry(strict=strict)
    for problem in registry.problems:
        print(f"ganbench: warning: {problem}", file=sys.stderr)
    return registry


def declare_plugin_columns() -> None:
    """Load the plugins (quietly) so their metric columns' directions and formats are in the catalogue.

    ``compare`` and ``report`` read tables, not plugins, but a plugin's column must be ranked and
    formatted there as in ``run``; a plugin that fails to load only loses its columns' declarations.
    """
    from ganbench.registry import get_registry

    get_registry()


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_ints(value: str, option: str) -> list[int]:
    try:
        return [int(part) for part in split_list(value)]
    except ValueError:
        raise UserError(f"{option} takes comma-separated integers, got {value!r}") from None


def parse_options(pairs: list[str] | None, option: str) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are read as JSON when they parse (numbers, lists), else as strings."""
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{option} expects KEY=VALUE, got {pair!r}")
        try:
            options[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            options[key.strip()] = raw
    return options

"""``ganbench plugins``: what is installed, from which distribution, registering what."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ganbench.cli.common import load_registry
from ganbench.cli.terminal import console


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)


def plugins(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    requirements: Annotated[
        bool, typer.Option("--requirements", help="Print name==version lines of the plugin distributions.")
    ] = False,
) -> None:
    """List loaded plugins with their distribution, version, API version and components."""
    registry = load_registry(ctx)
    if requirements:
        from ganbench.runner.local import plugin_requirements

        for pin in plugin_requirements(registry).split(";"):
            if pin:
                typer.echo(pin)
        return
    records = [
        {
            "plugin": info.origin.plugin,
            "distribution": info.origin.distribution,
            "version": info.origin.version,
            "api_version": info.api_version,
            "components": info.registered,
        }
        for info in registry.plugins
    ]
    if as_json:
        problems = [
            {"plugin": p.origin.plugin, "distribution": p.origin.distribution, "error": p.error}
            for p in registry.problems
        ]
        typer.echo(json.dumps({"plugins": records, "problems": problems}, indent=2))
        return
    from rich.table import Table

    table = Table(title="ganbench plugins")
    for column in ("plugin", "distribution", "version", "api"):
        table.add_column(column, overflow="fold")
    table.add_column("components", overflow="fold", ratio=1)
    for r in records:
        table.add_row(r["plugin"], r["distribution"], r["version"], str(r["api_version"]), ", ".join(r["components"]))
    console().print(table)

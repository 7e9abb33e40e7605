"""``ganbench plugins``: what is installed, from which distribution, registering what."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from ganbench.cli.common import load_registry
from ganbench.cli.terminal import console

if TYPE_CHECKING:  # the registry imports torch: loaded only when the command runs
    from ganbench.registry import PluginRegistry


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)


def plugins(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    requirements: Annotated[
        bool, typer.Option("--requirements", help="Print name==version lines of the plugin distributions.")
    ] = False,
    components: Annotated[
        bool,
        typer.Option(
            "--components", help="Every component, metric and extractor with its description, data kinds and options."
        ),
    ] = False,
) -> None:
    """List loaded plugins with their distribution, version, API version and components."""
    registry = load_registry(ctx)
    if components:
        _components(registry, as_json)
        return
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
            "columns": _metric_columns(registry, info.origin.plugin),
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


def _metric_columns(registry: PluginRegistry, plugin: str) -> list[dict[str, object]]:
    """The results columns the plugin's metrics fill: which way is better (``lower``/``higher``/``None``) and what
    each means, so a tool reading ``plugins --json`` can rank and label them."""
    return [
        {"name": c.name, "metric": entry.name, "direction": c.direction, "description": c.description, "unit": c.unit}
        for entry in registry.entries("metric")
        if entry.origin.plugin == plugin
        for c in entry.columns
    ]


def _components(registry: PluginRegistry, as_json: bool) -> None:
    """``--components``: one table per kind (or one JSON list), options read from the factory signatures."""
    from ganbench.describe import describe_components, option_text

    records = describe_components(registry)
    if as_json:
        typer.echo(json.dumps({"components": records}, indent=2))
        return
    from rich.table import Table

    for kind in registry.kinds:
        rows = [r for r in records if r["kind"] == kind]
        if not rows:
            continue
        table = Table(title=kind + ("es" if kind.endswith("s") else "s"), title_justify="left")
        for column in ("name", "data kinds", "options / columns", "description", "plugin"):
            table.add_column(column, overflow="fold")
        for r in rows:
            details = [option_text(o) for o in r["options"]]
            if "columns" in r:  # metrics: the columns they fill, with the better direction
                arrows = {"lower": " ↓", "higher": " ↑"}
                details = [f"column {c['name']}{arrows.get(c['direction'] or '', '')}" for c in r["columns"]]
                details += [f"needs {', '.join(r['needs'])}"] + ([] if r["default"] else ["(not by default)"])
            table.add_row(
                r["name"], ", ".join(r["data_kinds"] or []), "\n".join(details), r["description"], r["plugin"]
            )
        console().print(table)

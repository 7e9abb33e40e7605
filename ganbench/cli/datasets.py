"""``ganbench datasets``: every registered dataset, its shape, size and whether it is here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ganbench.cli.common import load_registry
from ganbench.cli.terminal import console, terminal_width
from ganbench.data.paths import resolve_data_root

NARROW = 100
"""Below this many columns the description column is left out (it would wrap a word per line)."""


def register(app: typer.Typer) -> None:
    app.command("datasets")(datasets)


def datasets(
    ctx: typer.Context,
    data_root: Annotated[
        Path | None, typer.Option(envvar="GANBENCH_DATA", help="Where downloadable datasets live.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List datasets: resolution, channels, size, and whether (and where) they are present locally."""
    registry = load_registry(ctx)
    root = resolve_data_root(data_root)
    records = []
    for entry in registry.datasets():
        if entry.parameterised:
            present, where = True, "PATH given on the command line"
        elif entry.locate is None:
            present, where = True, "embedded"
        else:
            location = entry.locate(root)
            present, where = location is not None, str(location or root)
        image = entry.kind == "image"
        records.append(
            {
                "name": entry.name + (":PATH" if entry.parameterised else ""),
                "kind": entry.kind,
                "resolution": entry.shape[-1] if image else None,
                "channels": entry.shape[0] if image else None,
                "shape": list(entry.shape),
                "size": entry.size,
                "present": present,
                "where": where,
                "plugin": entry.origin.distribution,
                "description": entry.description,
            }
        )
    if as_json:
        typer.echo(json.dumps(records, indent=2))
        return
    from rich.table import Table

    narrow = terminal_width() < NARROW
    table = Table(title=f"ganbench datasets (data root: {root})")
    names = ("name", "kind", "res", "ch", "size", "present", "where") + (() if narrow else ("description",))
    for column in names:
        table.add_column(column, overflow="fold", no_wrap=column in ("name", "kind", "res", "ch", "size", "present"))
    for r in records:
        cells = [
            r["name"], r["kind"], str(r["resolution"] or "-"), str(r["channels"] or "-"), _size_text(r),
            "yes" if r["present"] else "no", _where_text(r["where"], root), r["description"],
        ]  # fmt: skip
        table.add_row(*cells[: len(names)])
    if narrow:
        table.caption = f"descriptions: a terminal of {NARROW}+ columns, or --json"
    console().print(table)


def _where_text(where: str, root: Path) -> str:
    """The data root is in the title; the table names it instead of repeating the path."""
    if where == str(root):
        return "data root"
    return "command line" if where.startswith("PATH given") else where


def _size_text(record: dict) -> str:
    """Training images/points; a folder dataset's size is whatever its folder holds."""
    if record["size"]:
        return f"{record['size']:,}"
    return "per folder" if record["name"].endswith(":PATH") else "unknown"

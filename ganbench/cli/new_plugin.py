"""``ganbench new-plugin NAME``: scaffold a pip-installable plugin package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("new-plugin")(new_plugin)


def new_plugin(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Distribution and component name, e.g. my-gan (package my_gan).")
    ],
    dest: Annotated[Path, typer.Option("--dest", help="Directory to create the package in.")] = Path("."),
) -> None:
    """Create NAME/: a plugin package with a generator, discriminator, loss, dataset, variant and tests."""
    from ganbench.cli.outputs import check_output_dir
    from ganbench.scaffold import generate, plugin_names

    check_output_dir(dest, "--dest")
    path = generate(name, dest)
    module = plugin_names(name).module
    typer.echo(f"created {path}")
    typer.echo(f"  src/{module}/__init__.py   registers the components (ganbench_register hook)")
    typer.echo(f"  src/{module}/components.py generator, discriminator and loss '{name}'")
    typer.echo(f"  src/{module}/data.py       dataset '{name}-hexagon'")
    typer.echo("next:")
    typer.echo(f"  cd {path} && pip install -e '.[test]' && pytest")
    typer.echo(f"  ganbench run --plugins {name} --dataset {name}-hexagon --steps 500")

"""``ganbench new-plugin NAME``: scaffold a pip-installable plugin package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("new-plugin")(new_plugin)


def new_plugin(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Distribution name, e.g. my-gan (package my_gan).")],
    dest: Annotated[Path, typer.Option("--dest", help="Directory to create the package in.")] = Path("."),
    with_: Annotated[
        str | None,
        typer.Option(
            "--with",
            help="Also scaffold these seams, comma-separated: metric, extractor, optimizer, schedule, "
            "training-step (or all); each a module with its tests.",
        ),
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option(help="Registered name of the components and prefix of the others' names (default: NAME)."),
    ] = None,
) -> None:
    """Create NAME/: a plugin package with a generator, discriminator, loss, dataset, variant and tests."""
    from ganbench.cli.outputs import check_output_dir
    from ganbench.scaffold import EXTRAS, generate, parse_extras, plugin_names

    extras = parse_extras(with_)
    check_output_dir(dest, "--dest")
    path = generate(name, dest, extras=extras, prefix=prefix)
    names = plugin_names(name, prefix)
    module, component = names.module, names.component
    typer.echo(f"created {path}")
    typer.echo(f"  src/{module}/__init__.py   registers the components (ganbench_register hook)")
    typer.echo(f"  src/{module}/components.py generator, discriminator and loss '{component}'")
    typer.echo(f"  src/{module}/data.py       dataset '{component}-hexagon'")
    for kind in extras:
        extra = EXTRAS[kind]
        label = f"src/{module}/{extra.module}.py"
        kind_name = extra.component.format(prefix=component).replace(":", " ").replace("_", " ")
        typer.echo(f"  {label:<26} {kind_name}")
    typer.echo("next:")
    typer.echo(f"  cd {path} && pip install -e '.[test]' && pytest")
    typer.echo(f"  ganbench run --plugins {component} --dataset {component}-hexagon --steps 500")

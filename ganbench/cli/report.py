"""``ganbench report RESULTS_DIR [--out DIR]``: Markdown + self-contained HTML report of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganbench.cli.outputs import check_output_dir
from ganbench.report import write_report


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""

    @app.command("report")
    def report(
        results_dir: Annotated[Path, typer.Argument(help="A results folder written by 'ganbench run'.")],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Where to write the report (default: RESULTS_DIR)."),
        ] = None,
    ) -> None:
        """Write report.md (+ report_assets/) and a self-contained report.html for RESULTS_DIR."""
        if out is not None:
            check_output_dir(out, "--out")
        elif results_dir.is_dir():
            check_output_dir(results_dir, "RESULTS_DIR (where the report goes without --out)")
        md_path, html_path = write_report(results_dir, out)
        typer.echo(f"wrote {md_path}")
        typer.echo(f"wrote {html_path}")

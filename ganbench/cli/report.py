"""``ganbench report RESULTS_DIR... [--out DIR]``: Markdown + self-contained HTML report of one or more runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganbench.cli.common import declare_plugin_columns
from ganbench.cli.outputs import check_output_dir
from ganbench.errors import UserError


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""

    @app.command("report")
    def report(
        results_dirs: Annotated[
            list[Path],
            typer.Argument(
                metavar="RESULTS_DIR...",
                help="Results folders written by 'ganbench run'; several are merged when their protocols agree.",
            ),
        ],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Where to write the report (default: RESULTS_DIR; required for several)."),
        ] = None,
        reference: Annotated[
            list[str] | None,
            typer.Option(
                "--reference",
                help="Show a published table (a name from ganbench/references/ or a TOML file) beside the rows; "
                "repeatable. Default: the tables the run's suite declares.",
            ),
        ] = None,
    ) -> None:
        """Write report.md (+ report_assets/) and a self-contained report.html for RESULTS_DIR(s)."""
        from ganbench.report import write_report

        if len(results_dirs) > 1 and out is None:
            raise UserError("several results folders need --out DIR for the merged report")
        if out is not None:
            check_output_dir(out, "--out")
        elif results_dirs[0].is_dir():
            check_output_dir(results_dirs[0], "RESULTS_DIR (where the report goes without --out)")
        declare_plugin_columns()
        sources = results_dirs[0] if len(results_dirs) == 1 else results_dirs
        if reference:
            from ganbench.results.references import load_reference

            for name in reference:
                load_reference(name)  # an unknown name is a usage error (exit 2), not a note in the report
        md_path, html_path = write_report(sources, out, references=reference or None)
        typer.echo(f"wrote {md_path}")
        typer.echo(f"wrote {html_path}")

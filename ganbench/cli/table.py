"""``ganbench table RESULTS...``: the leaderboard of variants per dataset, with intervals and tests.

``compare`` is the regression gate (one table against a baseline table, row by row); ``table`` compares
variants with each other over their seeds. Statistics: :mod:`ganbench.results.leaderboard`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganbench import exitcodes
from ganbench.cli.common import split_list

FORMATS = ("text", "markdown", "latex", "csv", "json")
TESTS = ("permutation", "welch", "mannwhitney", "paired")
"""The choices of :mod:`ganbench.results.leaderboard` (pandas and scipy), repeated here so that ``--help``
imports neither; a test keeps the two equal."""


def register(app: typer.Typer) -> None:
    """Add the ``table`` command to ``app``."""

    @app.command("table")
    def table(
        results: Annotated[
            list[Path], typer.Argument(help="Results folders (or .csv/.parquet tables); merged if protocols agree.")
        ],
        baseline: Annotated[
            str | None, typer.Option("--baseline", help="Variant the others are tested against (p-values).")
        ] = None,
        metrics: Annotated[
            str | None,
            typer.Option("--metrics", help="Comma-separated metrics (default: the dataset's headline metrics)."),
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help=f"Output: {', '.join(FORMATS)}.")] = "text",
        ci: Annotated[float, typer.Option("--ci", help="Confidence level of the intervals.")] = 0.95,
        test: Annotated[
            str,
            typer.Option(
                "--test",
                help=f"Exact permutation test against --baseline, by statistic: {', '.join(TESTS)} "
                "(permutation: difference of means; paired: sign flips over shared seeds).",
            ),
        ] = "permutation",
        wide: Annotated[
            bool, typer.Option("--wide", help="Text format: one grid per table, however wide (default: fit COLUMNS).")
        ] = False,
        ignore_budget: Annotated[
            bool,
            typer.Option(
                "--ignore-budget",
                help="With --reference: give agrees/differs even where our training budget is not the paper's.",
            ),
        ] = False,
        allow_protocol_change: Annotated[
            bool,
            typer.Option(
                "--allow-protocol-change", help="Rank rows measured with different protocols anyway (noted below)."
            ),
        ] = False,
        reference: Annotated[
            str | None,
            typer.Option(
                "--reference",
                help="A published table (shipped name, e.g. pacgan-table1, or a .toml file): ganbench's mean ± s.e. "
                "beside the paper's per cell, with a verdict (docs/reproductions.md). Formats: text, markdown.",
            ),
        ] = None,
    ) -> None:
        """Leaderboard: per dataset, each variant's mean, confidence interval and n; p-values vs --baseline."""
        import pandas as pd

        from ganbench.cli.terminal import terminal_width
        from ganbench.metrics.reference_points import context_label, floor_commands, reference_points
        from ganbench.results.compare import is_sweep_folder, load_table
        from ganbench.results.leaderboard import ProtocolMismatch, build_leaderboard, render
        from ganbench.results.sweep_table import sweep_comparison

        width = None if wide else terminal_width()
        frame = pd.concat([load_table(path) for path in results], ignore_index=True)
        if reference is not None:
            from ganbench.results.references import reference_table

            typer.echo(
                reference_table(
                    frame,
                    reference,
                    fmt,
                    allow_protocol_change=allow_protocol_change,
                    ignore_budget=ignore_budget,
                    width=width,
                )
            )
            return
        sweeps = [path for path in results if is_sweep_folder(path)]
        folders = [p if p.is_dir() else p.parent for p in results]
        context = reference_points(frame, folders)
        settings = {
            "baseline": baseline, "metrics": split_list(metrics) or None, "ci": ci, "test": test,
            "context": context, "context_label": context_label(frame, context),
        }  # fmt: skip
        try:
            try:
                board = build_leaderboard(frame, allow_protocol_change=allow_protocol_change, **settings)
            except ProtocolMismatch as exc:  # a sweep searches the batch size: its rows may differ in it
                if not sweeps or len(sweeps) != len(results) or not all(" batch_size " in x for x in exc.lines):
                    raise
                board = build_leaderboard(frame, allow_protocol_change=True, **settings)
        except ProtocolMismatch as exc:
            for line in exc.lines:  # one line per differing field
                typer.echo(f"ganbench: error: {line}; --allow-protocol-change ranks them anyway", err=True)
            raise typer.Exit(exitcodes.USER_ERROR) from None
        typer.echo(render(board, fmt, width), nl=False)
        for command in floor_commands(frame, folders):  # on stderr: a piped CSV or JSON stays clean
            typer.echo(f"no real-vs-real floor stored for this protocol: {command}", err=True)
        if fmt in ("text", "markdown"):
            for path in sweeps:
                typer.echo("\n" + sweep_comparison(path, markdown=fmt == "markdown"))

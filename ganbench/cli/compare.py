"""``ganbench compare BASELINE CURRENT``: the regression gate for CI.

Exit codes: 0 within bounds, 1 on any regression (each one listed), 2 on
unusable input (raised as :class:`~ganbench.errors.UserError`, which the
top-level ``main`` prints as one line and turns into exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganbench.results.thresholds import DEFAULT_THRESHOLDS

_DEFAULTS_HELP = ", ".join(f"{m}={v}" for m, v in DEFAULT_THRESHOLDS.items())
_MAX_REGRESS_HELP = (
    "Allowed change per metric, comma-separated and repeatable. The sign is the allowed direction: "
    "fid=10% (may rise by 10%), train_img_s=-15% (may drop by 15%); no % means absolute: modes=-1. "
    "Given thresholds replace the defaults: " + _DEFAULTS_HELP
)


def register(app: typer.Typer) -> None:
    """Add the ``compare`` command to ``app``."""

    @app.command("compare")
    def compare(
        baseline: Annotated[Path, typer.Argument(help="Baseline: a .csv/.parquet table or a results folder.")],
        current: Annotated[Path, typer.Argument(help="Current: a .csv/.parquet table or a results folder.")],
        max_regress: Annotated[
            list[str] | None,
            typer.Option("--max-regress", help=_MAX_REGRESS_HELP),
        ] = None,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config",
                help='TOML file whose "max_regress" table maps metric to limit (fid = "10%"); '
                "--max-regress overrides it.",
            ),
        ] = None,
        allow_missing: Annotated[
            bool, typer.Option("--allow-missing", help="Baseline rows absent from CURRENT are not regressions.")
        ] = False,
        only_regressions: Annotated[
            bool, typer.Option("--only-regressions", help="Print only the regressions, not every delta.")
        ] = False,
    ) -> None:
        """Compare two results tables row by row on (variant, dataset, seed); exit 1 on a regression."""
        from ganbench.results.compare import (
            compare_tables,
            format_comparison,
            load_table,
            load_thresholds_file,
            parse_thresholds,
        )

        thresholds = load_thresholds_file(config) if config is not None else {}
        thresholds.update(parse_thresholds(max_regress))
        result = compare_tables(load_table(baseline), load_table(current), thresholds, allow_missing=allow_missing)
        typer.echo(format_comparison(result, only_regressions=only_regressions))
        if not result.ok:
            raise typer.Exit(1)

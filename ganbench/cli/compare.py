"""``ganbench compare BASELINE CURRENT``: the regression gate for CI.

Exit codes: 0 within bounds, 1 on any regression (each one listed), 2 on
unusable input (raised as :class:`~ganbench.errors.UserError`, which the
top-level ``main`` prints as one line and turns into exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganbench import exitcodes
from ganbench.cli.common import declare_plugin_columns
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
        allow_protocol_change: Annotated[
            bool,
            typer.Option(
                "--allow-protocol-change",
                help="Compare even if matched rows were measured differently (steps, N, extractor, ...); "
                "the differences are printed above the verdict.",
            ),
        ] = False,
    ) -> None:
        """Compare two results tables row by row on (variant, dataset, seed); exit 1 on a regression.

        The rows must first agree on the protocol (extractor, layer, N, split, real statistics, KID subsets,
        PRDC k, steps, batch size, resolution; device type when timings are compared): otherwise exit 2.
        """
        from ganbench.results.compare import (
            check_protocol,
            compare_tables,
            format_comparison,
            load_table,
            load_thresholds_file,
            parse_thresholds,
        )

        declare_plugin_columns()
        thresholds = load_thresholds_file(config) if config is not None else {}
        thresholds.update(parse_thresholds(max_regress))
        base_table, cur_table = load_table(baseline), load_table(current)
        result = compare_tables(base_table, cur_table, thresholds, allow_missing=allow_missing)
        protocol = check_protocol(base_table, cur_table, result.thresholds)
        if protocol.unknown:
            typer.echo(f"note: {protocol.unknown_note()}", err=True)
        if not protocol.ok and not allow_protocol_change:
            for difference in protocol.differences:  # one line per differing field
                hint = "--allow-protocol-change compares anyway"
                typer.echo(f"ganbench: error: {difference.describe()}; {hint}", err=True)
            raise typer.Exit(exitcodes.USER_ERROR)
        if not protocol.ok:
            typer.echo("\n".join(f"WARNING {d.describe()}" for d in protocol.differences) + "\n")
        typer.echo(format_comparison(result, only_regressions=only_regressions))
        if not result.ok:
            raise typer.Exit(exitcodes.CELLS_NOT_OK)  # a regression: the check did not pass

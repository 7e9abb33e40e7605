"""``ganbench sweep``: compare variants at an equal hyperparameter-search budget (Lucic et al. 2018).

The command takes ``ganbench run``'s options (what to run, training, evaluation, output, scale-out;
read from ``run``'s own signature, so the two never drift apart) plus the sweep's: trials, metric,
storage, sampler, search space and re-evaluation seeds. A training flag given on the command line
(``--lr-g``, ``--gen-opt width=32``, ...) fixes that setting: it is not searched.
"""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from typing import Annotated, Any

import typer

from ganbench import exitcodes
from ganbench.cli import run as run_cli
from ganbench.cli.panels import SWEEP, SweepCommand
from ganbench.errors import UserError

NOT_FOR_SWEEP = frozenset(
    {
        "seeds", "resume", "config", "suite_name", "nproc", "sync_bn", "vectorize_seeds", "overwrite",
        "checkpoint_every", "eval_every", "ema", "ema_start", "quiet", "wide", "cell_timeout",
    }
)  # fmt: skip
"""``run`` options a sweep does not take: its seeds are --seed and --reeval-seeds, and it resumes by itself."""
DEFAULTS = {"seeds": "0", "checkpoint_every": None, "eval_every": None, "ema": None, "ema_start": None}


def _sweep_options(
    trials: Annotated[
        int, typer.Option(help="Trials per variant and dataset (the equal budget).", rich_help_panel=SWEEP)
    ] = 20,
    metric: Annotated[
        str | None,
        typer.Option(
            help="Ranked metric column to optimise (default: the data's headline metric).", rich_help_panel=SWEEP
        ),
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option(
            help="Optuna storage URL, e.g. postgresql://user@host/db (default: sqlite:///RESULTS/sweep.db).",
            rich_help_panel=SWEEP,
        ),
    ] = None,
    sampler: Annotated[str, typer.Option(help="random (as Lucic et al.) or tpe.", rich_help_panel=SWEEP)] = "random",
    sampler_seed: Annotated[int, typer.Option(help="Seed of the sampler.", rich_help_panel=SWEEP)] = 0,
    seed: Annotated[int, typer.Option(help="Training seed of every trial.", rich_help_panel=SWEEP)] = 0,
    reeval_seeds: Annotated[
        str,
        typer.Option(
            help="Fresh seeds the best settings are re-run with (the best trial's own score is biased upwards).",
            rich_help_panel=SWEEP,
        ),
    ] = "1-5",
    space: Annotated[
        Path | None,
        typer.Option(
            help="TOML file of ranges overriding the declared ones (see docs/sweeps.md).", rich_help_panel=SWEEP
        ),
    ] = None,
) -> None:
    """Holds the sweep's own options (merged into the command's signature)."""


def _signature() -> tuple[inspect.Signature, dict[str, Any]]:
    """``sweep``'s parameters: the context, the sweep's options, then ``run``'s (minus :data:`NOT_FOR_SWEEP`)."""
    run_hints = typing.get_type_hints(run_cli.run, include_extras=True)
    own_hints = typing.get_type_hints(_sweep_options, include_extras=True)
    params = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)]
    for fn, hints, skip in ((_sweep_options, own_hints, set()), (run_cli.run, run_hints, NOT_FOR_SWEEP | {"ctx"})):
        for name, p in inspect.signature(fn).parameters.items():
            if name not in skip:
                params.append(p.replace(annotation=hints[name], kind=inspect.Parameter.KEYWORD_ONLY))
    annotations = {p.name: p.annotation for p in params}
    return inspect.Signature(params), annotations


def sweep(ctx: typer.Context, **params: Any) -> None:
    """Search each variant's hyperparameters with an equal budget of trials; compare the best of each."""
    from ganbench.cli.common import load_registry
    from ganbench.cli.outputs import check_inside, check_output_dir
    from ganbench.runner.suite_config import int_ranges

    registry = load_registry(ctx)
    explicit = {name for name in params if run_cli.given_on_command_line(ctx, name)}
    cli = {key: params.get(name, DEFAULTS.get(name)) for name, key in run_cli.PARAM_KEYS.items()}
    cli["seeds"] = str(params["seed"])
    options = run_cli.normalise_options(cli)
    config = run_cli.build_run_config(options)
    reeval = int_ranges(params["reeval_seeds"] or "")
    if reeval is None:
        raise UserError(f"--reeval-seeds takes integers or ranges A-B (e.g. 1-5), got {params['reeval_seeds']!r}")
    out = options["out"] or _timestamp()
    run_dir = check_inside(out, Path(options["results_dir"]), "--out")
    check_output_dir(Path(options["results_dir"]), "--results-dir")
    check_output_dir(run_dir, "--out")
    _run(registry, config, run_dir, options, params, explicit, tuple(reeval))


def _run(registry, config, run_dir: Path, options: dict[str, Any], params: dict[str, Any], explicit, reeval) -> None:
    from contextlib import nullcontext

    from ganbench.search_space import load_space_file
    from ganbench.sweep import study as studies
    from ganbench.sweep.driver import SweepOptions, run_sweep
    from ganbench.sweep.space import fixed_targets

    space_file = load_space_file(params["space"]) if params["space"] is not None else None
    if params["sampler"] not in studies.SAMPLERS:
        raise UserError(f"unknown --sampler {params['sampler']!r}; valid choices: {', '.join(studies.SAMPLERS)}")
    seam_options = {part: options.get(f"{part}_options") for part in ("optimizer_g", "optimizer_d", "training_step")}
    fixed = fixed_targets(
        (run_cli.PARAM_KEYS[name] for name in explicit if name in run_cli.PARAM_KEYS),
        {
            "generator": options["generator_options"], "discriminator": options["discriminator_options"],
            "loss": options["loss_options"], **seam_options,
        },
    )  # fmt: skip
    ray_options, batch, session = None, 1, nullcontext()
    if options["executor"] == "ray":
        import os

        from ganbench.runner.ray_executor import RayOptions, import_ray, ray_session

        import_ray()
        ray_options = RayOptions(address=options["address"], workers=options["workers"], device=config.device)
        batch = options["workers"] or os.cpu_count() or 1
        session = ray_session(ray_options)
    run_dir.mkdir(parents=True, exist_ok=True)
    sweep_options = SweepOptions(
        run_dir=run_dir,
        metric=params["metric"],
        trials=params["trials"],
        storage=params["storage"] or studies.default_storage(run_dir),
        sampler=params["sampler"],
        seed=params["sampler_seed"],
        reeval_seeds=reeval,
        space_file=space_file,
        fixed=frozenset(fixed),
        executor=options["executor"],
        ray=ray_options,
        batch=batch,
    )
    with session:
        result = run_sweep(registry, config, sweep_options, lambda line: typer.echo(line))
    _report(run_dir, result)


def _report(run_dir: Path, result: Any) -> None:
    from ganbench.cli.terminal import terminal_width
    from ganbench.report.plots import budget_plot
    from ganbench.results import atomic
    from ganbench.results.sweep_table import budget_text

    picture = budget_plot(result.budget)
    if picture is not None:
        atomic.write_bytes(run_dir / "expected_best.png", picture)
    typer.echo("\n" + budget_text(result.summary, result.budget, width=terminal_width()))
    typer.echo(f"\nresults: {run_dir}/sweep_summary.csv, trials.csv, expected_best.csv (+ .png), best/results.csv")
    typer.echo("next:")
    typer.echo(f"  ganbench table {run_dir}   # the best settings on fresh seeds, with intervals")
    typer.echo(f"  ganbench report {run_dir}  # HTML report with the expected-best curves")
    reasons = sweep_failures(result.summary, result.best)
    for reason in reasons:
        typer.echo(f"not ok: {reason}", err=True)
    if reasons:
        raise typer.Exit(exitcodes.CELLS_NOT_OK)


def sweep_failures(summary: Any, best: Any) -> list[str]:
    """Why a sweep is not ok (exit 1, like a run with a cell not ok): a study none of whose trials finished, or a
    best setting whose re-run on a fresh seed failed. Single diverged trials are results of the search, not
    failures of the sweep: the budget curves count them."""
    reasons = []
    for row in summary.to_dict("records") if len(summary) else []:
        if row.get("n_trials") and row.get("n_failed") == row.get("n_trials"):
            reasons.append(f"{row['variant']} on {row['dataset']}: none of its {row['n_trials']} trials finished")
    if best is not None and len(best) and "status" in best:
        for row in best[best["status"] != "ok"].to_dict("records"):
            reasons.append(f"best setting of {row['variant']} on {row['dataset']}, seed {row['seed']}: {row['status']}")
    return reasons


def _timestamp() -> str:
    import datetime as dt

    return "sweep-" + dt.datetime.now().strftime("%Y%m%d-%H%M%S")


sweep.__signature__, sweep.__annotations__ = _signature()  # type: ignore[attr-defined]


def register(app: typer.Typer) -> None:
    app.command("sweep", cls=SweepCommand)(sweep)

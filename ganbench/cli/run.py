"""``ganbench run``: train and evaluate variants × datasets × seeds."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ganbench import exitcodes
from ganbench.cli.common import load_registry, parse_options, split_list
from ganbench.cli.outputs import check_inside, check_output_dir
from ganbench.cli.panels import EVALUATION, OUTPUT, SCALE_OUT, TRAINING, WHAT, PanelledCommand
from ganbench.errors import DiskFullError, UserError
from ganbench.suites import shipped

if TYPE_CHECKING:  # torch and pandas load when the command runs, never for --help
    import pandas as pd

    from ganbench.engine.distributed import World
    from ganbench.registry import PluginRegistry
    from ganbench.runner.plan import Plan, RunConfig

PARAM_KEYS = {
    "plugins": "variants", "dataset": "datasets", "seeds": "seeds", "steps": "steps", "batch_size": "batch_size",
    "lr_g": "lr_g", "lr_d": "lr_d", "beta1": "beta1", "d_steps": "d_steps", "log_every": "log_every",
    "device": "device", "generator": "generator", "discriminator": "discriminator", "loss": "loss",
    "gen_opt": "generator_options", "disc_opt": "discriminator_options", "loss_opt": "loss_options", "out": "out",
    "results_dir": "results_dir", "data_root": "data_root", "resolution": "resolution", "evaluate": "eval",
    "eval_samples": "eval_samples", "eval_real_samples": "eval_real_samples", "eval_every": "eval_every",
    "extractor": "extractor", "metrics": "metrics",
    "inception_weights": "inception_weights", "tensorboard": "tensorboard", "data_opt": "data_options",
    "executor": "executor", "extractor_opt": "extractor_options",
    "address": "address", "workers": "workers", "checkpoint_every": "checkpoint_every",
    "channels_last": "channels_last", "amp": "amp", "compile_": "compile", "vectorize_seeds": "vectorize_seeds",
    "ema": "ema", "ema_start": "ema_start", "cell_timeout": "cell_timeout",
    # training seams
    "optimizer_g": "optimizer_g", "optimizer_d": "optimizer_d", "optimizer_g_opt": "optimizer_g_options",
    "optimizer_d_opt": "optimizer_d_options", "schedule_g": "schedule_g", "schedule_d": "schedule_d",
    "schedule_g_opt": "schedule_g_options", "schedule_d_opt": "schedule_d_options",
    "training_step": "training_step", "training_step_opt": "training_step_options",
}  # fmt: skip
"""CLI parameter -> option key (the suite file's key)."""

RESUME_COMPATIBLE = {"executor", "address", "workers", "quiet", "wide", "cell_timeout"}
"""Flags that may accompany --resume: where and how to run, not what."""


def register(app: typer.Typer) -> None:
    app.command("run", cls=PanelledCommand)(run)


def run(
    ctx: typer.Context,
    plugins: Annotated[
        str | None,
        typer.Option(
            "--plugins", "-p", help="Comma-separated variants to run, e.g. dcgan,infogan.", rich_help_panel=WHAT
        ),
    ] = None,
    dataset: Annotated[
        str, typer.Option("--dataset", "-d", help="Comma-separated datasets, e.g. ring8,digits.", rich_help_panel=WHAT)
    ] = "ring8",
    seeds: Annotated[
        str, typer.Option("--seeds", help="Comma-separated seeds and ranges, e.g. 0,3 or 0-7.", rich_help_panel=WHAT)
    ] = "0",
    steps: Annotated[
        int | None, typer.Option(help="Generator updates per cell (default 1000).", rich_help_panel=TRAINING)
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size (default 64).", rich_help_panel=TRAINING)] = None,
    lr_g: Annotated[
        float | None, typer.Option(help="Generator learning rate (default 2e-4).", rich_help_panel=TRAINING)
    ] = None,
    lr_d: Annotated[
        float | None, typer.Option(help="Discriminator learning rate (default 2e-4).", rich_help_panel=TRAINING)
    ] = None,
    beta1: Annotated[float | None, typer.Option(help="Adam β1 (default 0.5).", rich_help_panel=TRAINING)] = None,
    d_steps: Annotated[
        int | None, typer.Option(help="D updates per G update (default 1).", rich_help_panel=TRAINING)
    ] = None,
    log_every: Annotated[
        int | None,
        typer.Option(help="Steps between loss read-outs and history.csv rows (default 50).", rich_help_panel=TRAINING),
    ] = None,
    device: Annotated[
        str, typer.Option(help="auto (CUDA, then MPS, then CPU), cpu, cuda[:N] or mps.", rich_help_panel=TRAINING)
    ] = "auto",
    generator: Annotated[
        str | None, typer.Option(help="Use this generator instead of the variant's.", rich_help_panel=WHAT)
    ] = None,
    discriminator: Annotated[
        str | None, typer.Option(help="Use this discriminator instead of the variant's.", rich_help_panel=WHAT)
    ] = None,
    loss: Annotated[
        str | None, typer.Option(help="Use this loss instead of the variant's.", rich_help_panel=WHAT)
    ] = None,
    gen_opt: Annotated[
        list[str] | None, typer.Option(help="Generator option KEY=VALUE (repeatable).", rich_help_panel=WHAT)
    ] = None,
    disc_opt: Annotated[
        list[str] | None, typer.Option(help="Discriminator option KEY=VALUE (repeatable).", rich_help_panel=WHAT)
    ] = None,
    loss_opt: Annotated[
        list[str] | None, typer.Option(help="Loss option KEY=VALUE (repeatable).", rich_help_panel=WHAT)
    ] = None,
    out: Annotated[
        str | None, typer.Option(help="Name of the results folder (default: a timestamp).", rich_help_panel=OUTPUT)
    ] = None,
    results_dir: Annotated[Path, typer.Option(help="Where results folders go.", rich_help_panel=OUTPUT)] = Path(
        "results"
    ),
    data_root: Annotated[
        Path | None,
        typer.Option(envvar="GANBENCH_DATA", help="Where downloadable datasets live.", rich_help_panel=WHAT),
    ] = None,
    resolution: Annotated[
        int | None, typer.Option(help="Image side in pixels (default: the dataset's).", rich_help_panel=WHAT)
    ] = None,
    data_opt: Annotated[
        list[str] | None,
        typer.Option(help="Dataset option KEY=VALUE (repeatable), e.g. size=100000 for ring8.", rich_help_panel=WHAT),
    ] = None,
    evaluate: Annotated[
        bool, typer.Option("--eval/--no-eval", help="Score each cell after training.", rich_help_panel=EVALUATION)
    ] = True,
    eval_samples: Annotated[
        int | None,
        typer.Option(
            help="Generated samples scored (default 2,500 for 2D, 10,000 for images).", rich_help_panel=EVALUATION
        ),
    ] = None,
    eval_real_samples: Annotated[
        int | None,
        typer.Option(
            help="Real samples scored against (default: the dataset's FID split, at most 10,000).",
            rich_help_panel=EVALUATION,
        ),
    ] = None,
    eval_every: Annotated[
        int | None, typer.Option(help="Also evaluate every N steps during training.", rich_help_panel=EVALUATION)
    ] = None,
    extractor: Annotated[
        str | None, typer.Option(help="Feature extractor for FID (default: the dataset's).", rich_help_panel=EVALUATION)
    ] = None,
    extractor_opt: Annotated[
        list[str] | None,
        typer.Option(
            help="Feature extractor option KEY=VALUE (repeatable; see ganbench plugins --components).",
            rich_help_panel=EVALUATION,
        ),
    ] = None,
    metrics: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated metrics to compute (default: all default ones; see ganbench plugins).",
            rich_help_panel=EVALUATION,
        ),
    ] = None,
    inception_weights: Annotated[
        Path | None,
        typer.Option(
            envvar="GANBENCH_INCEPTION_WEIGHTS",
            help="Local InceptionV3 (FID) weights file.",
            rich_help_panel=EVALUATION,
        ),
    ] = None,
    tensorboard: Annotated[
        bool, typer.Option("--tensorboard", help="Write TensorBoard event files per cell.", rich_help_panel=OUTPUT)
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="A TOML suite file; flags given here override it.", rich_help_panel=WHAT),
    ] = None,
    suite_name: Annotated[
        str | None,
        typer.Option(
            "--suite",
            metavar="NAME",
            help=f"A suite shipped with ganbench: {', '.join(shipped())} (see docs/suites.md).",
            rich_help_panel=WHAT,
        ),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            help="local (one cell at a time, in this process) or ray (cells as Ray tasks).", rich_help_panel=SCALE_OUT
        ),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to join (default: start a local Ray instance).", rich_help_panel=SCALE_OUT),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Ray: at most this many cells at once.", rich_help_panel=SCALE_OUT)
    ] = None,
    checkpoint_every: Annotated[
        int | None,
        typer.Option(help="Save each cell's checkpoint.pt every N steps (for --resume).", rich_help_panel=OUTPUT),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            help="Continue the unfinished cells of this results folder from their checkpoints.", rich_help_panel=WHAT
        ),
    ] = None,
    channels_last: Annotated[
        bool,
        typer.Option(
            "--channels-last", help="Fast path: NHWC memory format for models and batches.", rich_help_panel=TRAINING
        ),
    ] = False,
    amp: Annotated[
        str,
        typer.Option(help="Fast path: mixed precision off, bf16 (CPU/CUDA) or fp16 (CUDA).", rich_help_panel=TRAINING),
    ] = "off",
    compile_: Annotated[
        bool,
        typer.Option(
            "--compile", help="Fast path: torch.compile G and the losses (CPU needs g++).", rich_help_panel=TRAINING
        ),
    ] = False,
    vectorize_seeds: Annotated[
        bool,
        typer.Option(
            "--vectorize-seeds",
            help="Train each cell's seeds together as one batched model (small models).",
            rich_help_panel=SCALE_OUT,
        ),
    ] = False,
    optimizer_g: Annotated[
        str | None,
        typer.Option(
            help="Generator optimiser: adam (default), adamw, rmsprop, sgd or a plugin's.", rich_help_panel=TRAINING
        ),
    ] = None,
    optimizer_d: Annotated[
        str | None, typer.Option(help="Discriminator optimiser (default adam).", rich_help_panel=TRAINING)
    ] = None,
    optimizer_g_opt: Annotated[
        list[str] | None,
        typer.Option(help="Generator optimiser option KEY=VALUE, e.g. weight_decay=0.01.", rich_help_panel=TRAINING),
    ] = None,
    optimizer_d_opt: Annotated[
        list[str] | None, typer.Option(help="Discriminator optimiser option KEY=VALUE.", rich_help_panel=TRAINING)
    ] = None,
    schedule_g: Annotated[
        str | None,
        typer.Option(
            help="Generator learning-rate schedule: constant (default), linear, cosine.", rich_help_panel=TRAINING
        ),
    ] = None,
    schedule_d: Annotated[
        str | None, typer.Option(help="Discriminator learning-rate schedule.", rich_help_panel=TRAINING)
    ] = None,
    schedule_g_opt: Annotated[
        list[str] | None, typer.Option(help="Generator schedule option KEY=VALUE.", rich_help_panel=TRAINING)
    ] = None,
    schedule_d_opt: Annotated[
        list[str] | None, typer.Option(help="Discriminator schedule option KEY=VALUE.", rich_help_panel=TRAINING)
    ] = None,
    training_step: Annotated[
        str | None,
        typer.Option(
            help="Training step: alternating (default) or a plugin's, e.g. unrolled.", rich_help_panel=TRAINING
        ),
    ] = None,
    training_step_opt: Annotated[
        list[str] | None, typer.Option(help="Training step option KEY=VALUE.", rich_help_panel=TRAINING)
    ] = None,
    ema: Annotated[
        float | None,
        typer.Option(
            "--ema",
            metavar="DECAY",
            help="Also keep an exponential moving average of G's weights with this decay (e.g. 0.999) and score "
            "it as variant <variant>+ema.",
            rich_help_panel=TRAINING,
        ),
    ] = None,
    ema_start: Annotated[
        int | None,
        typer.Option(
            "--ema-start",
            metavar="STEP",
            help="Step at which the EMA starts averaging (before: a copy; default 0).",
            rich_help_panel=TRAINING,
        ),
    ] = None,
    cell_timeout: Annotated[
        float | None,
        typer.Option(
            "--cell-timeout",
            metavar="SECONDS",
            help="Stop a cell that runs longer (training and scoring) and record it as 'timeout'; the run goes on.",
            rich_help_panel=TRAINING,
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace cells of --out that were made with other settings (default: stop, exit 2).",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    nproc: Annotated[
        int | None,
        typer.Option(
            help="Train each cell data-parallel (DDP) over N local processes; --batch-size is global.",
            rich_help_panel=SCALE_OUT,
        ),
    ] = None,
    sync_bn: Annotated[
        bool,
        typer.Option(
            "--sync-bn", help="DDP: SyncBatchNorm (global-batch statistics; CUDA only).", rich_help_panel=SCALE_OUT
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No progress bar: a line per finished cell (and one on stderr every 30 s while a cell runs).",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide", help="Print every metric column (default: the headline metrics that fit).", rich_help_panel=OUTPUT
        ),
    ] = False,
) -> None:
    """Train each variant on each dataset with each seed, score it, and write the results table."""
    from ganbench.cli.data_parallel import check_data_parallel, worker_argv
    from ganbench.engine.devices import resolve_device
    from ganbench.engine.distributed import check_batch, world_from_env
    from ganbench.runner.fingerprint import check_results_folder, plan_fingerprints
    from ganbench.runner.plan import check_extractor_weights, plan_run
    from ganbench.runner.suite_config import builtin_suite, load_suite, merge

    explicit = {name for name in ctx.params if given_on_command_line(ctx, name)}
    registry = load_registry(ctx)
    cli = {PARAM_KEYS[name]: ctx.params[name] for name in PARAM_KEYS}
    world = world_from_env()  # under torchrun (or --nproc): this process is one rank
    if resume is not None and (world is not None or (nproc or 1) > 1):
        raise UserError("--resume runs in one process; drop --nproc (or torchrun) to continue a run")
    if resume is not None:
        _resume(registry, resume, explicit, cli, quiet, wide)
        return
    if suite_name is not None:
        if config is not None:
            raise UserError("give either --suite or --config, not both")
        config = builtin_suite(suite_name)
    suite = load_suite(config) if config is not None else {}
    if suite.get("references"):
        from ganbench.results.references import load_reference

        for name in suite["references"]:
            load_reference(name)  # a suite naming an unknown published table fails before planning
    options = merge(normalise_options(cli), {PARAM_KEYS[n] for n in explicit if n in PARAM_KEYS}, suite)
    run_config = build_run_config(options)
    world_size = check_data_parallel(nproc, sync_bn, world, options)
    check_timeout_setting(options, world_size > 1 or world is not None)
    if world_size > 1 and options.get("ema") is not None:
        raise UserError("--ema is not supported with --nproc/torchrun (data-parallel ranks); drop one of them")
    out = options["out"] or dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = check_inside(out, Path(options["results_dir"]), "--out")
    check_output_dir(Path(options["results_dir"]), "--results-dir")
    check_output_dir(run_dir, "--out")
    if options["executor"] == "ray":
        from ganbench.runner.ray_executor import import_ray

        import_ray()  # "pip install ray" before any dataset loads
    plan = plan_run(registry, run_config)
    if world_size > 1:
        for cell in plan.cells:
            check_batch(cell.train.batch_size, world_size)  # the global batch splits evenly over the ranks
    if world is None or world.is_writer:  # the ranks write rank 0's folder; --nproc's launcher checks it first
        device = resolve_device(run_config.device)
        fingerprints = plan_fingerprints(
            registry, plan, run_config.evaluation, device, world_size=world_size, sync_bn=sync_bn
        )
        replaced = check_results_folder(run_dir, fingerprints, overwrite=overwrite)
        if replaced:
            typer.echo(f"--overwrite: replacing {len(replaced)} cell(s) made with other settings", err=True)
    if world is None and world_size > 1:  # --nproc N: this process only launches the ranks
        from ganbench.runner.ddp import launch_local

        check_extractor_weights(plan, run_config.evaluation)  # fail here in one line, not once per rank

        raise typer.Exit(launch_local(world_size, worker_argv(ctx, out), run_dir, plan))
    if config is not None:
        recorded = ("name", "description", "references")
        options["suite"] = {"file": str(config), **{k: suite[k] for k in recorded if k in suite}}
    table = execute(registry, plan, run_config, run_dir, options, quiet=quiet, world=world, sync_bn=sync_bn)
    if table is not None:  # ranks other than 0 print nothing
        report(table, run_dir, wide=wide)


def check_timeout_setting(options: dict[str, Any], data_parallel: bool) -> None:
    """``--cell-timeout``: a positive number, with an executor that can stop one cell alone."""
    from ganbench.runner.deadline import check_cell_timeout

    options["cell_timeout"] = check_cell_timeout(options.get("cell_timeout"))
    if options["cell_timeout"] is None:
        return
    if options.get("vectorize_seeds"):
        raise UserError("--cell-timeout cannot stop one seed of --vectorize-seeds (they train as one model); drop one")
    if data_parallel:
        raise UserError("--cell-timeout is not supported with --nproc/torchrun (data-parallel ranks); drop one of them")


def given_on_command_line(ctx: typer.Context, name: str) -> bool:
    """Whether the user typed this flag (not a default, not an environment variable)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "PROMPT")


def normalise_options(cli: dict[str, Any]) -> dict[str, Any]:
    """CLI strings to the suite file's types: lists for names and seeds, dicts for component options."""
    from ganbench.runner.suite_config import SEAM_KEYS, int_ranges

    out = dict(cli)
    out["variants"] = split_list(cli["variants"])
    out["datasets"] = split_list(cli["datasets"])
    out["seeds"] = int_ranges(cli["seeds"] or "")
    if out["seeds"] is None:
        raise UserError(f"--seeds takes comma-separated integers or ranges A-B (e.g. 0,3 or 0-7), got {cli['seeds']!r}")
    for key, flag in (("generator_options", "--gen-opt"), ("discriminator_options", "--disc-opt")):
        out[key] = parse_options(cli[key], flag)
    out["loss_options"] = parse_options(cli["loss_options"], "--loss-opt")
    out["data_options"] = parse_options(cli["data_options"], "--data-opt")
    out["extractor_options"] = parse_options(cli["extractor_options"], "--extractor-opt")
    out["metrics"] = split_list(cli["metrics"]) or None
    for name in SEAM_KEYS[1::2]:  # the seams' options: absent (None) unless given, so a recipe's stay
        flag = "--" + name.removesuffix("_options").replace("_", "-") + "-opt"
        out[name] = parse_options(cli[name], flag) if cli[name] else None
    return out


def build_run_config(options: dict[str, Any]) -> RunConfig:
    """The invocation's :class:`RunConfig` from merged option values (CLI over suite over defaults)."""
    from ganbench.data.paths import resolve_data_root
    from ganbench.engine.build import CUSTOM_VARIANT, Composition
    from ganbench.engine.devices import resolve_device
    from ganbench.engine.fastpaths import FAST_PATH_KEYS, check_fast_paths
    from ganbench.runner.plan import DataConfig, EvalOptions, RunConfig
    from ganbench.runner.suite_config import SEAM_KEYS, TRAIN_KEYS

    composition = Composition(
        generator=options["generator"],
        discriminator=options["discriminator"],
        loss=options["loss"],
        generator_options=options["generator_options"],
        discriminator_options=options["discriminator_options"],
        loss_options=options["loss_options"],
    )
    variants = options["variants"] or ([CUSTOM_VARIANT] if not composition.is_empty else ["dcgan"])
    if options["executor"] not in ("local", "ray"):
        raise UserError(f"unknown executor {options['executor']!r}; valid choices: local, ray")
    every = options["checkpoint_every"]
    if every is not None and every < 1:
        raise UserError(f"--checkpoint-every must be at least 1, got {every}")
    torch_device = resolve_device(options["device"])  # an unknown device fails before anything is planned
    check_fast_paths(options, torch_device)
    if options["vectorize_seeds"]:
        from ganbench.runner.seed_groups import check_vectorize_settings

        if options["executor"] != "local":
            raise UserError("--vectorize-seeds runs with the local executor only; drop --executor ray or the flag")
        if options.get("ema") is not None:
            raise UserError("--ema is not supported with --vectorize-seeds (batched seeds); drop one of them")
        check_vectorize_settings(
            checkpoint_every=every, eval_every=options["eval_every"], tensorboard=bool(options["tensorboard"])
        )
    return RunConfig(
        variants=tuple(variants),
        datasets=tuple(options["datasets"]),
        seeds=tuple(options["seeds"] or [0]),
        data=DataConfig(
            root=resolve_data_root(options["data_root"]),
            resolution=options["resolution"],
            options=options["data_options"],
        ),
        evaluation=EvalOptions(
            n_samples=options["eval_samples"],
            n_real=options.get("eval_real_samples"),
            eval_every=options["eval_every"],
            enabled=options["eval"],
            extractor=options["extractor"],
            inception_weights=options["inception_weights"],
            metrics=tuple(options["metrics"]) if options.get("metrics") else None,
            extractor_options=dict(options.get("extractor_options") or {}),
        ),
        composition=composition,
        train_overrides={
            k: options[k] for k in (*TRAIN_KEYS, *FAST_PATH_KEYS, *SEAM_KEYS) if options.get(k) is not None
        },
        device=options["device"],
        checkpoint_every=every,
        tensorboard=bool(options["tensorboard"]),
        vectorize_seeds=bool(options["vectorize_seeds"]),
    )


def execute(
    registry: PluginRegistry,
    plan: Plan,
    config: RunConfig,
    run_dir: Path,
    options: dict[str, Any],
    *,
    quiet: bool,
    resume: bool = False,
    world: World | None = None,
    sync_bn: bool = False,
) -> pd.DataFrame | None:
    """Run ``plan`` with the chosen executor; returns the folder's table (None on data-parallel ranks but 0).

    A full disk stops the run with one line that says how to continue it.
    """
    from ganbench.runner.plan import check_extractor_weights

    check_extractor_weights(plan, config.evaluation)
    try:
        return _execute(
            registry, plan, config, run_dir, options, quiet=quiet, resume=resume, world=world, sync_bn=sync_bn
        )
    except DiskFullError as exc:
        raise DiskFullError(
            f"{exc}; the finished cells are intact: free some space, then run: ganbench run --resume {run_dir}"
        ) from None


def _execute(
    registry: PluginRegistry,
    plan: Plan,
    config: RunConfig,
    run_dir: Path,
    options: dict[str, Any],
    *,
    quiet: bool,
    resume: bool,
    world: World | None,
    sync_bn: bool,
) -> pd.DataFrame | None:
    from ganbench.cli.progress import RunProgress
    from ganbench.engine.devices import resolve_device
    from ganbench.runner.local import RunSettings, run_plan

    quiet = quiet or (world is not None and not world.is_writer)
    with RunProgress(quiet=quiet) as progress:
        settings = RunSettings(
            run_dir=run_dir,
            device=resolve_device(config.device),
            evaluation=config.evaluation,
            on_log=progress.log,
            on_cell_start=progress.cell_start,
            on_cell_end=progress.cell_end,
            on_stage=progress.stage,
            tensorboard=config.tensorboard,
            checkpoint_every=config.checkpoint_every,
            resume=resume,
            config=config,
            suite=options.get("suite"),
            vectorize_seeds=config.vectorize_seeds,
            cell_timeout=options.get("cell_timeout"),
        )
        if options["executor"] == "ray":
            from ganbench.runner.ray_executor import RayOptions, run_plan_ray

            ray_options = RayOptions(address=options["address"], workers=options["workers"], device=config.device)
            return run_plan_ray(registry, plan, settings, ray_options)
        if world is not None:
            from ganbench.runner.ddp import run_plan_ddp

            return run_plan_ddp(registry, plan, settings, world, sync_bn=sync_bn)
        return run_plan(registry, plan, settings)


def _resume(
    registry: PluginRegistry, run_dir: Path, explicit: set[str], cli: dict[str, Any], quiet: bool, wide: bool
) -> None:
    from ganbench.runner.resume import pending_cells, plan_resume
    from ganbench.runner.rundir import rebuild

    clashing = sorted(explicit - RESUME_COMPATIBLE - {"resume"})
    if clashing:
        flags = ", ".join("--" + name.replace("_", "-") for name in clashing)
        allowed = ", ".join("--" + name for name in sorted(RESUME_COMPATIBLE))
        raise UserError(
            f"--resume re-plans from {run_dir}/run.json, so {flags} cannot be given with it; allowed: {allowed}"
        )
    check_timeout_setting(cli, data_parallel=False)
    groups = plan_resume(registry, run_dir)
    check_output_dir(run_dir, "--resume")
    finished = sum(len(g.finished) for g in groups)
    pending = pending_cells(groups)
    from_checkpoint = sum(len(g.from_checkpoint) for g in groups)
    typer.echo(
        f"resuming {run_dir}: {finished} cell(s) finished, {len(pending)} to run ({from_checkpoint} from a checkpoint)",
        err=True,
    )
    table = rebuild(run_dir)
    for group in groups:
        if group.plan.cells:
            table = execute(registry, group.plan, group.config, run_dir, cli, quiet=quiet, resume=True)
    report(table, run_dir, wide=wide)


def report(table: pd.DataFrame, run_dir: Path, *, wide: bool = False) -> None:
    """Per-seed table, the mean ± std summary when there are several seeds, where the files are, what next."""
    from ganbench.cli.tables import runs_table, summary_table
    from ganbench.cli.terminal import terminal_width
    from ganbench.runner.rundir import SUMMARY_STEM, has_several_seeds

    width = terminal_width()
    if len(table):
        typer.echo("\n" + runs_table(table, width=width, wide=wide))
    if has_several_seeds(table):
        typer.echo("\nmean ± std over seeds:")
        typer.echo(summary_table(table, width=width, wide=wide))
    typer.echo(f"\nresults: {run_dir}{os.sep}results.csv (+ .parquet), {SUMMARY_STEM}.csv")
    typer.echo("next:")
    steps = [
        (f"ganbench report {run_dir}", "HTML report: curves, samples, leaderboard"),
        (f"ganbench table {run_dir}", "the leaderboard in the terminal"),
    ]
    if any(run_dir.glob("*/tensorboard")):
        steps.append((f"tensorboard --logdir {run_dir}", "losses, metrics and samples per step"))
    if len(table):
        from ganbench.metrics.reference_points import floor_commands

        steps += [(command, "the real-vs-real floor the table shows beside FID") for command in floor_commands(table)]
    for command, why in steps:
        typer.echo(f"  {command}" + (f"  # {why}" if len(command) + len(why) + 6 <= width else ""))
    code = exitcodes.for_statuses(table["status"]) if len(table) else exitcodes.OK
    if code != exitcodes.OK:
        raise typer.Exit(code)

"""``ganbench run``: train and evaluate variants × datasets × seeds."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from ganbench.cli.common import load_registry, parse_ints, parse_options, split_list
from ganbench.cli.progress import RunProgress
from ganbench.data.paths import resolve_data_root
from ganbench.engine.build import CUSTOM_VARIANT, Composition
from ganbench.engine.devices import resolve_device
from ganbench.results.table import KEY_COLUMNS
from ganbench.runner.local import RunSettings, run_plan
from ganbench.runner.plan import DataConfig, EvalOptions, make_plan

SUMMARY_COLUMNS = [
    *KEY_COLUMNS, "generator", "discriminator", "loss", "status", "d_loss", "g_loss", "train_img_s",
    "fid", "fid_note", "kid_mean", "precision", "recall", "density", "coverage", "modes", "modes_total", "hq_fraction",
    "kl_modes", "ndb_k", "code_accuracy", "gen_img_s", "wall_s",
]  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    ctx: typer.Context,
    plugins: Annotated[
        str | None, typer.Option("--plugins", "-p", help="Comma-separated variants to run, e.g. dcgan,infogan.")
    ] = None,
    dataset: Annotated[
        str, typer.Option("--dataset", "-d", help="Comma-separated datasets, e.g. ring8,digits.")
    ] = "ring8",
    seeds: Annotated[str, typer.Option("--seeds", help="Comma-separated seeds.")] = "0",
    steps: Annotated[int | None, typer.Option(help="Generator updates per cell (default 1000).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size (default 64).")] = None,
    lr_g: Annotated[float | None, typer.Option(help="Generator learning rate (default 2e-4).")] = None,
    lr_d: Annotated[float | None, typer.Option(help="Discriminator learning rate (default 2e-4).")] = None,
    beta1: Annotated[float | None, typer.Option(help="Adam β1 (default 0.5).")] = None,
    d_steps: Annotated[int | None, typer.Option(help="D updates per G update (default 1).")] = None,
    device: Annotated[str, typer.Option(help="auto (CUDA, then MPS, then CPU), cpu, cuda[:N] or mps.")] = "auto",
    generator: Annotated[str | None, typer.Option(help="Use this generator instead of the variant's.")] = None,
    discriminator: Annotated[str | None, typer.Option(help="Use this discriminator instead of the variant's.")] = None,
    loss: Annotated[str | None, typer.Option(help="Use this loss instead of the variant's.")] = None,
    gen_opt: Annotated[list[str] | None, typer.Option(help="Generator option KEY=VALUE (repeatable).")] = None,
    disc_opt: Annotated[list[str] | None, typer.Option(help="Discriminator option KEY=VALUE (repeatable).")] = None,
    loss_opt: Annotated[list[str] | None, typer.Option(help="Loss option KEY=VALUE (repeatable).")] = None,
    out: Annotated[str | None, typer.Option(help="Name of the results folder (default: a timestamp).")] = None,
    results_dir: Annotated[Path, typer.Option(help="Where results folders go.")] = Path("results"),
    data_root: Annotated[
        Path | None, typer.Option(envvar="GANBENCH_DATA", help="Where downloadable datasets live.")
    ] = None,
    resolution: Annotated[int | None, typer.Option(help="Image side in pixels (default: the dataset's).")] = None,
    evaluate: Annotated[bool, typer.Option("--eval/--no-eval", help="Score each cell after training.")] = True,
    eval_samples: Annotated[
        int | None, typer.Option(help="Generated samples scored (default 2,500 for 2D, 10,000 for images).")
    ] = None,
    eval_every: Annotated[int | None, typer.Option(help="Also evaluate every N steps during training.")] = None,
    extractor: Annotated[str | None, typer.Option(help="Feature extractor for FID (default: the dataset's).")] = None,
    inception_weights: Annotated[
        Path | None,
        typer.Option(envvar="GANBENCH_INCEPTION_WEIGHTS", help="Local InceptionV3 (FID) weights file."),
    ] = None,
    tensorboard: Annotated[bool, typer.Option("--tensorboard", help="Write TensorBoard event files per cell.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train each variant on each dataset with each seed, score it, and write the results table."""
    registry = load_registry(ctx)
    composition = Composition(
        generator=generator,
        discriminator=discriminator,
        loss=loss,
        generator_options=parse_options(gen_opt, "--gen-opt"),
        discriminator_options=parse_options(disc_opt, "--disc-opt"),
        loss_options=parse_options(loss_opt, "--loss-opt"),
    )
    variants = split_list(plugins) or ([CUSTOM_VARIANT] if not composition.is_empty else ["dcgan"])
    overrides = {
        "steps": steps,
        "batch_size": batch_size,
        "lr_g": lr_g,
        "lr_d": lr_d,
        "beta1": beta1,
        "d_steps": d_steps,
    }
    torch_device = resolve_device(device)
    plan = make_plan(
        registry,
        variants=variants,
        datasets=split_list(dataset),
        seeds=parse_ints(seeds, "--seeds") or [0],
        data=DataConfig(root=resolve_data_root(data_root), resolution=resolution),
        composition=composition,
        train_overrides={k: v for k, v in overrides.items() if v is not None},
    )
    run_dir = results_dir / (out or dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    evaluation = EvalOptions(
        n_samples=eval_samples,
        eval_every=eval_every,
        enabled=evaluate,
        extractor=extractor,
        inception_weights=inception_weights,
    )
    with RunProgress(enabled=False if quiet else None) as progress:
        settings = RunSettings(
            run_dir=run_dir,
            device=torch_device,
            evaluation=evaluation,
            on_log=progress.log,
            on_cell_start=progress.cell_start,
            on_cell_end=progress.cell_end,
            tensorboard=tensorboard,
        )
        table = run_plan(registry, plan, settings)
    print_summary(table)
    typer.echo(f"\nresults: {run_dir}{os.sep}results.csv (and .parquet)")
    if len(table) and (table["status"] != "ok").all():
        raise typer.Exit(1)


def print_summary(table: pd.DataFrame) -> None:
    """The table's informative columns (empty ones dropped), formatted for a terminal."""
    columns = [c for c in SUMMARY_COLUMNS if c in table.columns and table[c].notna().any()]
    with pd.option_context("display.width", 250, "display.max_columns", 50, "display.float_format", "{:.4g}".format):
        typer.echo(table[columns].to_string(index=False))

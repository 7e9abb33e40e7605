"""What the commands that score against a dataset (``score``, ``floor``) share: their options, declared once,
and how they print scores."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ganbench.cli.common import load_registry, parse_options, split_list
from ganbench.cli.outputs import check_output_file
from ganbench.errors import UserError

if TYPE_CHECKING:
    import torch

    from ganbench.data.base import GanDataset
    from ganbench.registry import PluginRegistry
    from ganbench.runner.plan import EvalOptions

DatasetOption = Annotated[str, typer.Option("--dataset", "-d", help="The dataset to score against.")]
NRealOption = Annotated[
    int | None,
    typer.Option("--n-real", help="Real samples to score against (default: the FID split, at most 10,000)."),
]
DataRootOption = Annotated[Path | None, typer.Option(envvar="GANBENCH_DATA", help="Where downloadable datasets live.")]
ResolutionOption = Annotated[int | None, typer.Option(help="Image side in pixels (default: the dataset's).")]
ExtractorOption = Annotated[str | None, typer.Option(help="Feature extractor for FID (default: the dataset's).")]
ExtractorOptOption = Annotated[list[str] | None, typer.Option(help="Feature extractor option KEY=VALUE (repeatable).")]
MetricsOption = Annotated[
    str | None, typer.Option(help="Comma-separated metrics to compute (default: all default ones).")
]
InceptionWeightsOption = Annotated[
    Path | None, typer.Option(envvar="GANBENCH_INCEPTION_WEIGHTS", help="Local InceptionV3 (FID) weights file.")
]
DeviceOption = Annotated[str, typer.Option(help="auto, cpu, cuda[:N] or mps.")]


def echo_scores(scores: Mapping[str, Any]) -> None:
    """One aligned ``name  value`` line per score that has a value (NaN and None are left out)."""
    width = max(map(len, scores))
    for key, value in scores.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        shown = f"{value:.5g}" if isinstance(value, float) else str(value)
        typer.echo(f"{key:<{width}}  {shown}")


@dataclass
class ScoringSetup:
    """What both commands need before they score: the plugins, the checked evaluation, the device, the data."""

    registry: PluginRegistry
    evaluation: EvalOptions
    device: torch.device
    data: GanDataset


def prepare_scoring(
    ctx: typer.Context,
    *,
    dataset: str,
    n: int | None,
    n_real: int | None,
    data_root: Path | None,
    resolution: int | None,
    extractor: str | None,
    extractor_opt: list[str] | None,
    metrics: str | None,
    inception_weights: Path | None,
    device: str,
    out: Path | None,
) -> ScoringSetup:
    """Check every option (one line each, before any data is read), then load the plugins and the dataset."""
    from ganbench.data.paths import resolve_data_root
    from ganbench.engine.devices import resolve_device
    from ganbench.runner.plan import DataConfig, EvalOptions, check_evaluation, check_weights_path, load_dataset
    from ganbench.scoring import MIN_SAMPLES

    if n is not None and n < MIN_SAMPLES:
        raise UserError(f"--n must be at least {MIN_SAMPLES} (FID needs a covariance), got {n}")
    if out is not None:
        check_output_file(out, "--out")
    check_weights_path(inception_weights)
    registry = load_registry(ctx)
    evaluation = EvalOptions(
        n_samples=n,
        extractor=extractor,
        metrics=tuple(split_list(metrics)) or None,
        n_real=n_real,
        extractor_options=parse_options(extractor_opt, "--extractor-opt"),
    )
    check_evaluation(registry, evaluation)  # unknown names fail before any sample is read
    torch_device = resolve_device(device)
    data = load_dataset(registry, dataset, DataConfig(root=resolve_data_root(data_root), resolution=resolution))
    check_evaluation(registry, evaluation, data.spec)
    return ScoringSetup(registry, evaluation, torch_device, data)

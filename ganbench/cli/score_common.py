"""What the commands that score against a dataset (``score``, ``floor``) share: their options, declared once,
and how they print scores."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

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

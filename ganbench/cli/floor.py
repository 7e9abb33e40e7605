"""``ganbench floor``: the real-vs-real floor of an evaluation protocol, computed once and stored.

Leaderboards show it as the image datasets' context row (:mod:`ganbench.metrics.floor_store`): an image GAN's
FID at N = 2,000 means little until one sees what two real samples of that size score.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ganbench.cli.score_common import (
    DataRootOption,
    DatasetOption,
    DeviceOption,
    ExtractorOption,
    ExtractorOptOption,
    InceptionWeightsOption,
    MetricsOption,
    NRealOption,
    ResolutionOption,
    echo_scores,
    prepare_scoring,
)


def register(app: typer.Typer) -> None:
    app.command("floor")(floor)


def floor(
    ctx: typer.Context,
    dataset: DatasetOption,
    n: Annotated[
        int | None,
        typer.Option("--n", help="Real samples scored as if generated: the runs' --eval-samples (default as run's)."),
    ] = None,
    n_real: NRealOption = None,
    data_root: DataRootOption = None,
    resolution: ResolutionOption = None,
    extractor: ExtractorOption = None,
    extractor_opt: ExtractorOptOption = None,
    metrics: MetricsOption = None,
    inception_weights: InceptionWeightsOption = None,
    device: DeviceOption = "auto",
    out: Annotated[
        Path | None, typer.Option(help="Also write the floor as JSON here (a results folder's floor.json).")
    ] = None,
) -> None:
    """The real-vs-real floor: N real images, disjoint from the runs' real side, scored as if generated.

    Use the runs' protocol (--n = their --eval-samples, --n-real = their --eval-real-samples, the same
    --extractor): the floor is stored in the cache under that protocol, and `ganbench table` / `report`
    show it beside every run scored the same way.
    """
    from ganbench.metrics.floor import real_vs_real
    from ganbench.metrics.floor_store import save_floor
    from ganbench.results import atomic

    setup = prepare_scoring(
        ctx, dataset=dataset, n=n, n_real=n_real, data_root=data_root, resolution=resolution, extractor=extractor,
        extractor_opt=extractor_opt, metrics=metrics, inception_weights=inception_weights, device=device, out=out,
    )  # fmt: skip
    registry, evaluation, torch_device, data = setup.registry, setup.evaluation, setup.device, setup.data
    start = time.perf_counter()
    record = real_vs_real(
        data,
        n=evaluation.samples_for(data.spec.kind),
        n_real=evaluation.n_real,
        device=torch_device,
        extractor=extractor,
        inception_weights=inception_weights,
        metrics=evaluation.metrics,
        registry=registry,
        extractor_options=evaluation.extractor_options,
    )
    record["eval_s"] = time.perf_counter() - start
    echo_scores(record)
    stored = save_floor(record)
    typer.echo(f"stored: {stored}")
    if out is not None:
        atomic.write_json(out, atomic.finite_or_null(record))
        typer.echo(f"written: {out}")

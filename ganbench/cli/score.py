"""``ganbench score``: the metric suite for anyone's samples, against a named dataset."""

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
    app.command("score")(score)


def score(
    ctx: typer.Context,
    samples: Annotated[
        Path, typer.Argument(help="A folder of images, a .npy/.pt tensor file, or a ganbench generator.pt.")
    ],
    dataset: DatasetOption,
    n: Annotated[
        int | None, typer.Option("--n", help="Samples to score (default 2,500 for 2D, 10,000 for images).")
    ] = None,
    n_real: NRealOption = None,
    data_root: DataRootOption = None,
    resolution: ResolutionOption = None,
    extractor: ExtractorOption = None,
    extractor_opt: ExtractorOptOption = None,
    metrics: MetricsOption = None,
    inception_weights: InceptionWeightsOption = None,
    device: DeviceOption = "auto",
    seed: Annotated[int, typer.Option(help="Seed for sampling a generator and choosing samples.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Also write the scores as JSON to this file.")] = None,
) -> None:
    """Score samples that did not come from a ganbench run (FID/KID, PRDC, modes, NDB)."""
    from ganbench.engine.seeding import check_seed
    from ganbench.metrics.evaluate import evaluate_samples
    from ganbench.results import atomic
    from ganbench.scoring import load_samples

    check_seed(seed, "--seed")
    setup = prepare_scoring(
        ctx, dataset=dataset, n=n, n_real=n_real, data_root=data_root, resolution=resolution, extractor=extractor,
        extractor_opt=extractor_opt, metrics=metrics, inception_weights=inception_weights, device=device, out=out,
    )  # fmt: skip
    registry, evaluation, torch_device, data = setup.registry, setup.evaluation, setup.device, setup.data
    count = evaluation.samples_for(data.spec.kind)
    fake = load_samples(samples, data.spec, registry, n=count, device=torch_device, seed=seed)
    start = time.perf_counter()
    scores = evaluate_samples(
        fake,
        data,
        device=torch_device,
        n_real=n_real,
        extractor=extractor,
        inception_weights=inception_weights,
        metrics=evaluation.metrics,
        registry=registry,
        extractor_options=evaluation.extractor_options,
    )
    scores = {
        "samples": str(samples),
        "dataset": dataset,
        "n": len(fake),
        **scores,
        "eval_s": time.perf_counter() - start,
    }
    echo_scores(scores)
    if out is not None:
        atomic.write_json(out, scores)

"""Evaluation of structured latent codes (InfoGAN): code accuracy and traversal pictures.

Works with any loss that exposes ``categorical``, ``n_continuous``,
``make_codes`` and ``predict_codes`` (the InfoGAN loss does).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganbench.data.base import GanDataset
from ganbench.engine.build import Models
from ganbench.results.pictures import save_category_scatter, save_labelled_grid

MAX_ACCURACY_SAMPLES = 10_000
TRAVERSAL_COLUMNS = 8


def code_labels(spec_num_classes: int | None, extra: dict, labels: torch.Tensor, k: int) -> list[torch.Tensor]:
    """The label sets a k-way code can be matched against.

    A labelled dataset with k classes gives its labels. Stacked digits
    (label 100a + 10b + c) give one label set per channel: a 10-way code can
    only capture one channel's digit, so the best channel is reported.
    """
    if spec_num_classes is not None and spec_num_classes == k:
        return [labels]
    stacked = int(extra.get("stacked", 0) or 0)
    if stacked and int(extra.get("digit_classes", 10)) == k:
        return [(labels // k ** (stacked - 1 - c)) % k for c in range(stacked)]
    return []


@torch.no_grad()
def code_accuracy(models: Models, dataset: GanDataset, device: torch.device) -> float | None:
    """Hungarian-matched accuracy of the first categorical code on real labelled data (docs/metrics.md)."""
    spec = dataset.spec
    k = models.loss.categorical[0]
    data = dataset.tensors(spec.fid_split)
    if data is None:
        return None
    label_sets = code_labels(spec.num_classes, spec.extra, data[1][:MAX_ACCURACY_SAMPLES], k)
    if not label_sets:
        return None
    from ganbench.metrics.infogan import categorical_code_accuracy

    images = data[0][:MAX_ACCURACY_SAMPLES]
    modes = {module: module.training for module in (models.discriminator, models.loss)}
    for module in modes:  # eval mode: batch norm (also in Q) must neither use nor update batch statistics
        module.eval()
    predictions = []
    try:
        for start in range(0, len(images), 500):
            logits, _ = models.loss.predict_codes(models.discriminator, images[start : start + 500].to(device))
            predictions.append(logits[0].argmax(dim=1).cpu())
    finally:
        for module, training in modes.items():
            module.train(training)
    predicted = torch.cat(predictions)
    return max(float(categorical_code_accuracy(predicted, labels, k)) for labels in label_sets)


@torch.no_grad()
def save_traversal(models: Models, dataset: GanDataset, device: torch.device, path: Path) -> None:
    """One row per category (columns: different noise), then a sweep of each continuous code.

    Noise is held fixed along each sweep, so any change comes from the code.
    """
    loss, G = models.loss, models.generator
    k = loss.categorical[0]
    n_cont = int(getattr(loss, "n_continuous", 0))
    others = [torch.zeros(1, dtype=torch.long)] if len(loss.categorical) > 1 else []
    G_was_training = G.training
    G.eval()
    try:
        gen = torch.Generator().manual_seed(0)
        noise = torch.randn(TRAVERSAL_COLUMNS, G.noise_dim, generator=gen)
        cats = torch.arange(k).repeat_interleave(TRAVERSAL_COLUMNS)
        rows = [_render(models, noise.repeat(k, 1), cats, torch.zeros(len(cats), n_cont), others, device)]
        sweep = torch.linspace(-2, 2, TRAVERSAL_COLUMNS)
        fixed_noise = noise[:1].repeat(k * TRAVERSAL_COLUMNS, 1)
        for j in range(n_cont):
            cont = torch.zeros(k * TRAVERSAL_COLUMNS, n_cont)
            cont[:, j] = sweep.repeat(k)
            rows.append(_render(models, fixed_noise, cats, cont, others, device))
    finally:
        G.train(G_was_training)
    if models.spec.kind == "points":
        save_category_scatter(
            rows[0],
            cats,
            path,
            centres=models.spec.mode_centres,
            title=f"latent traversal: generated points coloured by categorical code (k={k})",
        )
        return
    labels = [f"code {c}" for c in range(k)]
    blocks = [(0, f"rows 'code i': categorical code i, {TRAVERSAL_COLUMNS} noise samples left to right")]
    for j in range(n_cont):
        blocks.append((k * (j + 1), f"rows 'code i · c{j + 1}': continuous code c{j + 1} from -2 to +2, noise fixed"))
        labels += [f"code {c} · c{j + 1}" for c in range(k)]
    save_labelled_grid(
        torch.cat(rows),
        path,
        ncol=TRAVERSAL_COLUMNS,
        row_labels=labels,
        blocks=blocks,
        title=f"InfoGAN latent traversal ({k} categories, {n_cont} continuous code(s))",
    )


def _render(
    models: Models,
    noise: torch.Tensor,
    cats: torch.Tensor,
    cont: torch.Tensor,
    others: list[torch.Tensor],
    device: torch.device,
) -> torch.Tensor:
    n = len(cats)
    categorical = torch.stack([cats, *[o.expand(n) for o in others]], dim=1)
    codes = models.loss.make_codes(categorical.to(device), cont.to(device))
    latent = torch.cat([noise.to(device), codes], dim=1)
    return models.generator(latent).float().cpu()

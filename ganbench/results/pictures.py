"""The pictures a run leaves behind: sample grids, 2D scatters, latent traversals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch

from ganbench.results.atomic import atomic_path, save_figure


def save_image_grid(images: torch.Tensor, path: Path, *, nrow: int | None = None) -> None:
    """Images in [-1, 1] as one PNG grid; more than 3 channels shows the first 3."""
    from torchvision.utils import save_image

    if images.shape[1] > 3:
        images = images[:, :3]
    nrow = nrow or max(1, int(math.sqrt(len(images))))
    with atomic_path(path) as tmp:
        save_image(
            images.float().clamp(-1, 1), tmp, nrow=nrow, normalize=True, value_range=(-1, 1), padding=2, format="png"
        )


def save_scatter(
    fake: torch.Tensor,
    path: Path,
    *,
    real: torch.Tensor | None = None,
    centres: Sequence[Sequence[float]] | None = None,
    colours: torch.Tensor | None = None,
    title: str = "",
    label: str = "generated",
    colour: str = "#d62728",
) -> None:
    """Generated points (``label``) over real points, with the mode centres marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    if colours is not None:
        ax.scatter(fake[:, 0], fake[:, 1], s=2, c=colours.numpy(), cmap="tab10", alpha=0.7, label="generated")
    else:
        ax.scatter(fake[:, 0], fake[:, 1], s=2, c=colour, alpha=0.5, label=label)
    if real is not None:  # on top: the real mixture is tight and would hide under the generated cloud
        ax.scatter(real[:, 0], real[:, 1], s=1, c="#1f4e79", alpha=0.6, label="real")
    if centres is not None:
        c = torch.tensor(centres)
        ax.scatter(c[:, 0], c[:, 1], s=40, marker="+", c="black", linewidths=0.8, label="mode centres")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(path, fig)
    plt.close(fig)


CATEGORY_COLOURS = (
    "#F3C300", "#875692", "#F38400", "#A1CAF1", "#BE0032", "#C2B280", "#848482", "#008856", "#E68FAC",
    "#0067A5", "#F99379", "#604E97", "#F6A600", "#B3446C", "#DCD300", "#882D17", "#8DB600", "#654522",
    "#E25822", "#2B3D26", "#222222", "#17BECF", "#FF00FF", "#00FF7F", "#7F7FFF",
)  # fmt: skip
"""25 colours that stay apart (Kelly's contrast set plus five), so grid25's categories never share one."""


def category_colour(i: int) -> str:
    return CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]


def save_category_scatter(
    points: torch.Tensor,
    categories: torch.Tensor,
    path: Path,
    *,
    centres: Sequence[Sequence[float]] | None = None,
    title: str,
) -> None:
    """Generated points coloured by their categorical code, with a legend naming each category."""
    from matplotlib.figure import Figure

    k = int(categories.max()) + 1 if len(categories) else 0
    fig = Figure(figsize=(6.4, 5), dpi=100)
    ax = fig.add_axes((0.08, 0.08, 0.62, 0.82))
    for c in range(k):
        chosen = points[categories == c]
        ax.scatter(chosen[:, 0], chosen[:, 1], s=6, color=category_colour(c), label=f"code {c}")
    if centres is not None:
        xy = torch.tensor(centres)
        ax.scatter(xy[:, 0], xy[:, 1], s=40, marker="+", c="black", linewidths=0.8, label="mode centres")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, ncol=2 if k > 12 else 1, frameon=False)
    ax.set_title(title, fontsize=9)
    save_figure(path, fig)


def save_labelled_grid(
    images: torch.Tensor,
    path: Path,
    *,
    ncol: int,
    row_labels: Sequence[str],
    blocks: Sequence[tuple[int, str]],
    title: str,
    min_cell_px: int = 32,
) -> None:
    """Images in [-1, 1], ``ncol`` per row, each row labelled, blocks of rows headed by a caption.

    ``blocks`` is ``(first_row, caption)`` per block: a red line separates blocks and the captions
    head the figure under the title. Small images are drawn with
    nearest-neighbour upscaling to at least ``min_cell_px`` per image, so pixels stay sharp.
    """
    from matplotlib.figure import Figure
    from torchvision.utils import make_grid

    images = images[:, :3].float().clamp(-1, 1)
    side = images.shape[-1]
    scale = max(1, math.ceil(min_cell_px / side))
    pad = 2
    grid = make_grid(images, nrow=ncol, normalize=True, value_range=(-1, 1), padding=pad, pad_value=1.0)
    array = grid.permute(1, 2, 0).numpy()
    rows = len(row_labels)
    cell = side + pad
    width_px, height_px = array.shape[1] * scale, array.shape[0] * scale
    label_px, head_px = 90, 30 + 13 * len(blocks)
    dpi = 100
    fig = Figure(figsize=((width_px + label_px + 20) / dpi, (height_px + head_px + 10) / dpi), dpi=dpi)
    total_w, total_h = width_px + label_px + 20, height_px + head_px + 10
    ax = fig.add_axes((label_px / total_w, 10 / total_h, width_px / total_w, height_px / total_h))
    ax.imshow(array, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([pad + r * cell + side / 2 for r in range(rows)], [str(label) for label in row_labels], fontsize=7)
    ax.tick_params(length=0)
    for first, _ in blocks:
        if first:
            ax.axhline(first * cell + pad / 2, color="#d62728", linewidth=1.2)
    legend = "\n".join(caption for _, caption in blocks)
    fig.text(0.5, 1 - 8 / total_h, f"{title}\n{legend}", ha="center", va="top", fontsize=7, linespacing=1.4)
    save_figure(path, fig)

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


CLASS_GRID_ROWS = 20
"""At most this many classes get a row in a conditional sample grid."""
CLASS_GRID_COLUMNS = 10


def class_grid(images: torch.Tensor, labels: torch.Tensor, columns: int = CLASS_GRID_COLUMNS) -> torch.Tensor:
    """The first ``columns`` samples of each class, class by class (rows = classes, at most CLASS_GRID_ROWS).

    A class with fewer samples is padded with blank (-1) images so every row starts at its class.
    """
    rows = []
    for k in torch.unique(labels).tolist()[:CLASS_GRID_ROWS]:
        picked = images[labels == k][:columns]
        pad = images.new_full((columns - len(picked), *images.shape[1:]), -1.0)
        rows.append(torch.cat([picked, pad]))
    return torch.cat(rows)


def save_class_grid(images: torch.Tensor, labels: torch.Tensor, path: Path, columns: int = CLASS_GRID_COLUMNS) -> None:
    """A conditional generator's samples: one row per class."""
    save_image_grid(class_grid(images, labels, columns), path, nrow=columns)


def save_scatter(
    fake: torch.Tensor,
    path: Path,
    *,
    real: torch.Tensor | None = None,
    centres: Sequence[Sequence[float]] | None = None,
    colours: torch.Tensor | None = None,
    title: str = "",
) -> None:
    """Generated points over real points, with the mode centres marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    if colours is not None:
        ax.scatter(fake[:, 0], fake[:, 1], s=2, c=colours.numpy(), cmap="tab10", alpha=0.7, label="generated")
    else:
        ax.scatter(fake[:, 0], fake[:, 1], s=2, c="#d62728", alpha=0.5, label="generated")
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

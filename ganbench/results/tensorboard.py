"""Optional TensorBoard event files per cell: losses, metrics and sample grids.

Enabled with ``ganbench run --tensorboard``; files go to ``<cell>/tensorboard``
so ``tensorboard --logdir results/<run>`` shows every cell side by side.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from ganbench.errors import UserError


class TensorBoardLogger:
    def __init__(self, cell_dir: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise UserError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
        self._writer = SummaryWriter(log_dir=str(cell_dir / "tensorboard"))

    def losses(self, step: int, losses: dict[str, float], img_s: float) -> None:
        for name, value in losses.items():
            self._writer.add_scalar(f"loss/{name}", value, step)
        self._writer.add_scalar("throughput/train_img_s", img_s, step)

    def metrics(self, step: int, metrics: dict[str, Any]) -> None:
        for name, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                self._writer.add_scalar(f"metrics/{name}", value, step)

    def images(self, step: int, images: torch.Tensor, tag: str = "samples") -> None:
        """Images in [-1, 1] as one grid."""
        from torchvision.utils import make_grid

        grid = make_grid(images[:, :3].float().clamp(-1, 1), nrow=8, normalize=True, value_range=(-1, 1))
        self._writer.add_image(tag, grid, step)

    def figure(self, step: int, path: Path, tag: str) -> None:
        """A PNG written by the run (e.g. the 2D scatter), as an image summary."""
        from torchvision.io import ImageReadMode, read_image

        self._writer.add_image(tag, read_image(str(path), ImageReadMode.RGB), step)

    def close(self) -> None:
        self._writer.flush()
        self._writer.close()

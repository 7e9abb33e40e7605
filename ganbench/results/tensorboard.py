"""Optional TensorBoard event files per cell: losses, metrics, sample grids and the hparams table.

Enabled with ``ganbench run --tensorboard``; files go to ``<cell>/tensorboard``
so ``tensorboard --logdir results/<run>`` shows every cell side by side.

Only metric columns of the catalogue (:mod:`ganbench.columns`) become scalars:
``step``, ``seed``, ``batch_size`` and protocol columns (``fid_n_fake``) are not
measurements. A (tag, step) pair is written once, so the last periodic
evaluation and the final scores never draw the same point twice. The cell's
configuration and final metrics go to the hparams plugin, one row per cell.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ganbench import columns
from ganbench.errors import UserError

LOGGED_ELSEWHERE = {"d_loss", "g_loss", "train_img_s"}
"""Logged at every read-out under ``loss/`` and ``throughput/``; not repeated as metrics."""


def is_metric(name: str, value: Any) -> bool:
    """A finite number in a declared metric column (not a key, setting or protocol column)."""
    if name in LOGGED_ELSEWHERE or name in columns.PROTOCOL_COLUMNS or columns.column(name) is None:
        return False
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def hparam_value(value: Any) -> int | float | str | bool:
    """TensorBoard's hparams take scalars and strings; anything else is shown as JSON."""
    if isinstance(value, (bool, int, float, str)):
        return value
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, default=str)


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"lr_g": 2e-4}}`` -> ``{"train.lr_g": 2e-4}``."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = hparam_value(value)
    return out


class TensorBoardLogger:
    def __init__(self, cell_dir: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise UserError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
        self._writer = SummaryWriter(log_dir=str(cell_dir / "tensorboard"))
        self._written: set[tuple[str, int]] = set()

    def _scalar(self, tag: str, value: float, step: int) -> None:
        if (tag, step) not in self._written:
            self._written.add((tag, step))
            self._writer.add_scalar(tag, value, step)

    def losses(self, step: int, losses: dict[str, float], img_s: float) -> None:
        for name, value in losses.items():
            self._scalar(f"loss/{name}", value, step)
        self._scalar("throughput/train_img_s", img_s, step)

    def metrics(self, step: int, metrics: Mapping[str, Any]) -> None:
        for name, value in metrics.items():
            if is_metric(name, value):
                self._scalar(f"metrics/{name}", float(value), step)

    def samples(self, step: int, samples: torch.Tensor, kind: str, tag: str = "samples") -> None:
        """The generator's samples at ``step``: an image grid, or a scatter for 2D points."""
        if (tag, step) in self._written:
            return
        self._written.add((tag, step))
        if kind == "points":
            self._writer.add_figure(tag, _scatter_figure(samples[:2500].float().cpu()), step)
            return
        from torchvision.utils import make_grid

        images = samples[:64, :3].float().clamp(-1, 1)
        grid = make_grid(images, nrow=8, normalize=True, value_range=(-1, 1))
        self._writer.add_image(tag, grid, step)

    def figure(self, step: int, path: Path, tag: str) -> None:
        """A PNG written by the run (e.g. the traversal), as an image summary."""
        from torchvision.io import ImageReadMode, read_image

        if (tag, step) not in self._written:
            self._written.add((tag, step))
            self._writer.add_image(tag, read_image(str(path), ImageReadMode.RGB), step)

    def hparams(self, config: Mapping[str, Any], final: Mapping[str, Any]) -> None:
        """The cell's configuration with its final metrics, as one row of the hparams plugin."""
        from torch.utils.tensorboard.summary import hparams

        metric_tags = {f"metrics/{k}": float(v) for k, v in final.items() if is_metric(k, v)}
        if not metric_tags:
            return
        exp, ssi, sei = hparams(flatten(config), metric_tags)
        writer = self._writer._get_file_writer()
        for summary in (exp, ssi, sei):  # in this run's own file: the plugin reads the scalars above
            writer.add_summary(summary)

    def close(self) -> None:
        self._writer.flush()
        self._writer.close()


def _scatter_figure(points: torch.Tensor) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 4), dpi=80)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(points[:, 0].numpy(), points[:, 1].numpy(), s=2, c="#d62728", alpha=0.5)
    ax.set_aspect("equal")
    return fig

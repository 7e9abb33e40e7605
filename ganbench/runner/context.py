"""What a cell runs in (:class:`CellContext`) and the two services the cell and its periodic evaluation share.

The cell (:mod:`.cell`) and ``--eval-every`` (:mod:`.periodic`) both announce stages and score samples;
both import them from here, so neither imports the other's module back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganbench.data.base import GanDataset
from ganbench.engine.build import Models
from ganbench.engine.distributed import CellGroup
from ganbench.registry import PluginRegistry
from ganbench.runner.plan import Cell, EvalOptions


@dataclass
class CellContext:
    registry: PluginRegistry
    dataset: GanDataset
    device: torch.device
    run_dir: Path
    evaluation: EvalOptions
    plugins: str = ""
    on_log: Callable[[Cell, int, dict[str, float], float], None] | None = None
    on_stage: Callable[[Cell, str], None] | None = None
    """Told when the cell moves on: ``training``, ``evaluating``, ``writing`` (for a progress display)."""
    tensorboard: bool = False
    checkpoint_every: int | None = None
    """Save ``checkpoint.pt`` every this many steps (and at the last step)."""
    resume: bool = False
    """Continue from the cell's ``checkpoint.pt`` when there is one."""
    group: CellGroup | None = None
    cell_timeout: float | None = None
    """``--cell-timeout``: seconds after which the cell stops and is recorded as ``timeout`` (None: no limit)."""
    """Data-parallel ranks training this cell together (``--nproc``/torchrun); None: this process alone."""

    @property
    def writes(self) -> bool:
        """Whether this process writes the cell's files and evaluates (rank 0, or a lone process)."""
        return self.group is None or self.group.is_writer


def announce(cell: Cell, ctx: CellContext, stage: str) -> None:
    """Tell the progress display (if any) that ``cell`` moved on to ``stage``."""
    if ctx.on_stage is not None:
        ctx.on_stage(cell, stage)


def score_samples(
    fake: torch.Tensor, ctx: CellContext, models: Models | None = None, *, fake_labels: torch.Tensor | None = None
) -> dict[str, Any]:
    """The registered metrics (``--metrics``); ``models`` for those that score the trained networks.

    ``fake_labels``: the classes a conditional generator produced ``fake`` for (conditional metrics).
    """
    from ganbench.metrics.evaluate import evaluate_samples  # torch-fidelity and friends: only when scoring

    e = ctx.evaluation
    return evaluate_samples(
        fake,
        ctx.dataset,
        device=ctx.device,
        n_real=e.n_real,
        cache_dir=e.cache_dir,
        extractor=e.extractor,
        inception_weights=e.inception_weights,
        metrics=e.metrics,
        models=models,
        registry=ctx.registry,
        fake_labels=fake_labels,
        extractor_options=e.extractor_options,
    )

"""``--eval-every N``: score the generator during training, so metrics can be drawn against steps.

Evaluation must not perturb training: the RNG state is saved and restored
around it, so a run with ``--eval-every`` trains exactly like one without.
"""

from __future__ import annotations

import csv
import io
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganbench.engine.sampling import generate
from ganbench.engine.seeding import rng_state, set_rng_state
from ganbench.results import atomic
from ganbench.runner.context import announce, score_samples

if TYPE_CHECKING:
    from ganbench.engine.build import Models
    from ganbench.results.tensorboard import TensorBoardLogger
    from ganbench.runner.context import CellContext
    from ganbench.runner.plan import Cell

EVALS_FILE = "evals.csv"


class PeriodicEvaluator:
    def __init__(
        self, cell: Cell, models: Models, ctx: CellContext, cell_dir: Path, tensorboard: TensorBoardLogger | None
    ) -> None:
        self.cell, self.models, self.ctx, self.cell_dir = cell, models, ctx, cell_dir
        self.every = int(ctx.evaluation.eval_every or 0)
        self.tensorboard = tensorboard
        self.rows: list[dict[str, Any]] = []
        self.eval_s = 0.0
        """Seconds spent scoring during training (part of the cell's ``eval_s``, none of its ``train_s``)."""

    def __call__(self, step: int) -> None:
        if self.every and step % self.every == 0:
            self.evaluate(step)

    def evaluate(self, step: int) -> dict[str, Any]:
        announce(self.cell, self.ctx, "evaluating")
        start = time.perf_counter()
        state = rng_state()
        try:
            n = self.ctx.evaluation.samples_for(self.ctx.dataset.spec.kind)
            samples = generate(self.models, n, self.ctx.device, seed=self.cell.seed + 1)
            metrics = score_samples(samples.images, self.ctx, fake_labels=samples.labels)
        finally:
            set_rng_state(state)
        self.eval_s += time.perf_counter() - start
        row = {"step": step, **{k: v for k, v in metrics.items() if _is_number(v)}}
        self.rows.append(row)
        self._write()
        if self.tensorboard is not None:
            self.tensorboard.metrics(step, row)
            self.tensorboard.samples(step, samples.images, self.ctx.dataset.spec.kind)
        announce(self.cell, self.ctx, "training")
        return row

    def _write(self) -> None:
        fields = list(dict.fromkeys(k for row in self.rows for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields)
        writer.writeheader()
        writer.writerows(self.rows)
        atomic.write_text(self.cell_dir / EVALS_FILE, buffer.getvalue())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

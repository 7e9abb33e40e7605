"""Terminal feedback for ``ganbench run``: a rich progress bar when interactive, quiet otherwise."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

from ganbench.runner.plan import Cell


class RunProgress:
    """Step, losses and img/s per cell; prints nothing when stderr is not a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> RunProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(exc_type, exc, tb)

    def cell_start(self, cell: Cell, index: int, total: int) -> None:
        if self._progress is not None:
            label = f"[{index + 1}/{total}] {cell.cell_id}"
            self._task = self._progress.add_task(label, total=cell.train.steps, status="")

    def log(self, cell: Cell, step: int, losses: dict[str, float], img_s: float) -> None:
        if self._progress is not None and self._task is not None:
            status = f"D {losses['d_loss']:.3f}  G {losses['g_loss']:.3f}  {img_s:,.0f} img/s"
            self._progress.update(self._task, completed=step, status=status)

    def cell_end(self, cell: Cell, row: dict[str, Any]) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, status=row.get("status", ""))
        elif row.get("status") != "ok":
            print(f"ganbench: cell {cell.cell_id}: {row.get('status')}: {row.get('error')}", file=sys.stderr)

"""Terminal feedback for ``ganbench run``.

In a terminal: a rich bar per cell that names its stage (training, evaluating,
writing) under a matrix line with the ETA of the whole run. When stdout is not a
terminal (``| tee log``) or with ``--quiet``: one flushed line per finished cell,
so a log shows progress as it happens rather than after minutes of silence.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ganbench import columns
from ganbench.cli.terminal import terminal_width

if TYPE_CHECKING:
    from ganbench.runner.plan import Cell

STAGES = ("training", "evaluating", "writing")


def duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``: short enough for a progress line."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class MatrixClock:
    """ETA of the matrix: the mean time of the finished cells times the cells still to run."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.cell_started = self.started
        self.finished = 0
        self.total = 0
        self._starts: dict[str, float] = {}

    def start_cell(self, total: int, key: str = "") -> None:
        self.total = total
        self.cell_started = time.perf_counter()
        self._starts[key] = self.cell_started

    def finish_cell(self, key: str = "") -> float:
        """Seconds since ``key`` started (cells of a ``--vectorize-seeds`` group start and end together)."""
        self.finished += 1
        return time.perf_counter() - self._starts.pop(key, self.cell_started)

    def eta(self) -> float | None:
        if not self.finished:
            return None
        per_cell = (time.perf_counter() - self.started - self.current()) / self.finished
        return max(0.0, per_cell * (self.total - self.finished) - self.current())

    def current(self) -> float:
        return time.perf_counter() - self.cell_started if self.finished < self.total else 0.0


def cell_line(cell: Cell, index: int, total: int, row: dict[str, Any], seconds: float, width: int) -> str:
    """``[2/6] dcgan · ring8 · seed 1 · ok · modes 8.0 · hq_fraction 0.912 · 31s``, cut to ``width``."""
    status = str(row.get("status", ""))
    head = f"[{index + 1}/{total}] {cell.variant} · {cell.dataset} · seed {cell.seed} · {status}"
    tail = f" · {duration(seconds)}"
    items = []
    for metric in columns.headline_metrics(columns.data_kind_of(row)):
        text = columns.format_metric(metric, row.get(metric))
        if text:
            items.append(f" · {metric} {text}")
    if status != "ok" and row.get("error"):
        items.append(f" · {row['error']}")
    line = head
    for item in items:
        if len(line) + len(item) + len(tail) > width:
            break
        line += item
    line += tail
    return line if len(line) <= width else line[: width - 1] + "…"


class RunProgress:
    """Bar in a terminal (``bar``), one line per finished cell otherwise (``lines``)."""

    def __init__(self, *, quiet: bool = False, bar: bool | None = None, lines: bool | None = None) -> None:
        # A live bar and plain lines on one screen (``| cat``) would garble each other: piped means lines only.
        interactive = sys.stdout.isatty() and sys.stderr.isatty()
        self.bar = (not quiet and interactive) if bar is None else bar
        self.lines = (quiet or not interactive) if lines is None else lines
        self.clock = MatrixClock()
        self._progress: Any = None
        self._matrix: Any = None
        self._task: Any = None
        self._index = 0
        self._indices: dict[str, int] = {}
        self._stage = STAGES[0]

    def __enter__(self) -> RunProgress:
        if self.bar:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
                redirect_stdout=False,  # the per-cell lines go to stdout as they are, for logs
                redirect_stderr=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(exc_type, exc, tb)

    def _matrix_status(self) -> str:
        eta = self.clock.eta()
        return "ETA " + (duration(eta) if eta is not None else "after the first cell")

    def cell_start(self, cell: Cell, index: int, total: int) -> None:
        self._index = index
        self._indices[cell.cell_id] = index
        self.clock.start_cell(total, cell.cell_id)
        self._stage = STAGES[0]
        if self._progress is None:
            return
        if self._matrix is None:
            self._matrix = self._progress.add_task("matrix", total=total, status=self._matrix_status())
        self._progress.update(self._matrix, status=self._matrix_status())
        label = f"[{index + 1}/{total}] {cell.cell_id}"
        self._task = self._progress.add_task(f"{label} · {self._stage}", total=cell.train.steps, status="")
        self._label = label

    def stage(self, cell: Cell, stage: str) -> None:
        """The cell moved on to ``stage`` (one of :data:`STAGES`)."""
        self._stage = stage
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=f"{self._label} · {stage}")

    def log(self, cell: Cell, step: int, losses: dict[str, float], img_s: float) -> None:
        if self._progress is not None and self._task is not None:
            status = f"D {losses['d_loss']:.3f}  G {losses['g_loss']:.3f}  {img_s:,.0f} img/s"
            self._progress.update(self._task, completed=step, status=status)
            self._progress.update(self._matrix, status=self._matrix_status())

    def cell_end(self, cell: Cell, row: dict[str, Any]) -> None:
        seconds = self.clock.finish_cell(cell.cell_id)
        index = self._indices.pop(cell.cell_id, self._index)
        status = str(row.get("status", ""))
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=f"{self._label} · done", status=status)
            self._progress.update(self._matrix, advance=1, status=self._matrix_status())
        if self.lines:
            print(cell_line(cell, index, self.clock.total, row, seconds, terminal_width()), flush=True)
        if status != "ok" and self._progress is None:  # the full error, on stderr
            print(f"ganbench: cell {cell.cell_id}: {status}: {row.get('error')}", file=sys.stderr)

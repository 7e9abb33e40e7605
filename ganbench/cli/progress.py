"""Terminal feedback for ``ganbench run``.

In a terminal: a rich bar per cell that names its stage (training, evaluating,
writing) under a matrix line with the ETA of the whole run. When stdout is not a
terminal (``| tee log``) or with ``--quiet``: one flushed line per finished cell on
stdout, so a log shows progress as it happens rather than after minutes of silence,
and while a cell runs a progress line on stderr at least every :data:`HEARTBEAT_S`
seconds (step, throughput, elapsed), so a slow cell is never silent.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ganbench import columns
from ganbench.cli.terminal import terminal_width

if TYPE_CHECKING:
    from ganbench.runner.plan import Cell

STAGES = ("training", "evaluating", "writing")
HEARTBEAT_S = 30.0
"""Longest silence while a cell runs when progress is printed as lines (piped or ``--quiet``)."""


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


def running_line(
    cell: Cell, index: int, total: int, stage: str, step: int, img_s: float | None, seconds: float, width: int
) -> str:
    """``[1/3] minibatch · ring8 · seed 0 · training · step 1,200/3,000 · 667 img/s · 1m30s``, cut to ``width``."""
    parts = [f"[{index + 1}/{total}] {cell.variant} · {cell.dataset} · seed {cell.seed} · {stage}"]
    if stage == STAGES[0]:
        parts.append(f"step {step:,}/{cell.train.steps:,}")
        if img_s:
            parts.append(f"{img_s:,.0f} img/s")
    parts.append(duration(seconds))
    line = " · ".join(parts)
    return line if len(line) <= width else line[: width - 1] + "…"


class _Running:
    """What the heartbeat knows about one running cell."""

    def __init__(self, cell: Cell, index: int) -> None:
        self.cell, self.index = cell, index
        self.started = time.perf_counter()
        self.stage = STAGES[0]
        self.step = 0
        self.img_s: float | None = None


class RunProgress:
    """Bar in a terminal (``bar``), one line per finished cell otherwise (``lines``)."""

    def __init__(
        self,
        *,
        quiet: bool = False,
        bar: bool | None = None,
        lines: bool | None = None,
        heartbeat_s: float | None = None,
    ) -> None:
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
        self.heartbeat_s = HEARTBEAT_S if heartbeat_s is None else heartbeat_s
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()  # the heartbeat thread and the run print whole lines, never interleaved
        self._last_line = time.perf_counter()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def __enter__(self) -> RunProgress:
        if self.lines and self.heartbeat_s > 0:
            self._heartbeat = threading.Thread(target=self._beat, name="ganbench-progress", daemon=True)
            self._heartbeat.start()
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
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        if self._progress is not None:
            self._progress.__exit__(exc_type, exc, tb)

    def _beat(self) -> None:
        """Heartbeat thread: a line per running cell whenever nothing was printed for ``heartbeat_s``."""
        while not self._stop.wait(max(0.01, self._last_line + self.heartbeat_s - time.perf_counter())):
            with self._lock:
                now = time.perf_counter()
                if now - self._last_line < self.heartbeat_s:
                    continue
                for run in list(self._running.values()):
                    line = running_line(
                        run.cell, run.index, self.clock.total, run.stage, run.step, run.img_s, now - run.started,
                        terminal_width(),
                    )  # fmt: skip
                    print(line, file=sys.stderr, flush=True)
                self._last_line = now

    def _matrix_status(self) -> str:
        eta = self.clock.eta()
        return "ETA " + (duration(eta) if eta is not None else "after the first cell")

    def cell_start(self, cell: Cell, index: int, total: int) -> None:
        self._index = index
        self._indices[cell.cell_id] = index
        self.clock.start_cell(total, cell.cell_id)
        self._stage = STAGES[0]
        with self._lock:
            self._running[cell.cell_id] = _Running(cell, index)
            self._last_line = time.perf_counter()  # a full period of quiet before the first heartbeat
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
        run = self._running.get(cell.cell_id)
        if run is not None:
            run.stage = stage
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=f"{self._label} · {stage}")

    def log(self, cell: Cell, step: int, losses: dict[str, float], img_s: float) -> None:
        run = self._running.get(cell.cell_id)
        if run is not None:
            run.step, run.img_s = step, img_s
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
        with self._lock:
            self._running.pop(cell.cell_id, None)
            if self.lines:
                print(cell_line(cell, index, self.clock.total, row, seconds, terminal_width()), flush=True)
                self._last_line = time.perf_counter()
        if status != "ok" and self._progress is None:  # the full error, on stderr
            print(f"ganbench: cell {cell.cell_id}: {status}: {row.get('error')}", file=sys.stderr)

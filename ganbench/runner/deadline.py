"""``--cell-timeout``: a cell that runs past its budget is stopped and recorded as ``timeout``; the run goes on.

The local executor runs a cell in this process's main thread, so the budget is
a one-shot interval timer (SIGALRM) whose handler raises :class:`CellTimeout`
at the next Python instruction, the same mechanism that turns Ctrl-C into
KeyboardInterrupt (a cell stuck inside one long native call stops when that
call returns). ``CellTimeout`` derives from BaseException so that a plugin's
``except Exception`` cannot swallow it. The Ray executor enforces the budget
from the driver instead (it cancels the task).
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ganbench.errors import UserError

TIMEOUT_STATUS = "timeout"


class CellTimeout(BaseException):
    """Raised inside a cell when its ``--cell-timeout`` budget is spent."""

    def __init__(self, seconds: float) -> None:
        super().__init__(timeout_text(seconds))


def timeout_text(seconds: float) -> str:
    """The ``error`` of a cell stopped by its budget."""
    return f"stopped after --cell-timeout {seconds:g} s"


def check_cell_timeout(seconds: object) -> float | None:
    """``None`` or a positive, finite number of seconds; anything else is one :class:`UserError` line."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < math.inf:
        raise UserError(f"--cell-timeout must be a positive number of seconds, got {seconds!r}")
    return float(seconds)


class _Deadline:
    armed = False


_state = _Deadline()


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CellTimeout` in this (main) thread once ``seconds`` have passed, unless :func:`disarm`ed."""
    if seconds is None:
        yield
        return
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        raise UserError("--cell-timeout needs the main thread of a POSIX process (SIGALRM)")

    def expire(signum: int, frame: object) -> None:
        if _state.armed:
            _state.armed = False
            raise CellTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    _state.armed = True
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        disarm()
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


def disarm() -> None:
    """No :class:`CellTimeout` from here on (the cell's row is being written)."""
    _state.armed = False
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)

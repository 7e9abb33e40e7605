"""The exit status of every ``ganbench`` command, decided in one place.

====  ==========================================================================
code  meaning
====  ==========================================================================
0     the command did what was asked; for ``run``: every cell's status is ``ok``
1     ``run`` finished, but at least one cell is ``failed``, ``diverged`` or
      ``timeout`` (its row says why; the other cells are intact); ``sweep``
      finished, but a study had no finished trial or a best setting's re-run
      is not ``ok``; ``compare`` found a regression
2     a user error (bad flag, file or value): one ``ganbench: error:`` line,
      nothing was trained or written
130   interrupted by Ctrl-C (SIGINT); running cells are recorded ``interrupted``
143   terminated by SIGTERM; running cells are recorded ``interrupted``
====  ==========================================================================

The rule is documented in README.md ("Exit status") and docs/ci.md.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable

OK = 0
CELLS_NOT_OK = 1
USER_ERROR = 2
SIGINT = 128 + signal.SIGINT  # 130, the shell's convention for a process ended by signal N
SIGTERM = 128 + signal.SIGTERM  # 143

OK_STATUS = "ok"

LAUNCHED_RANK_ENV = "GANBENCH_LAUNCHED_RANK"
"""Set for the ranks ``run --nproc N`` starts: their launcher reports a stop in one line for the whole run, so
a rank stopped by a signal (the elastic agent's SIGTERM after another rank died, or Ctrl-C) prints nothing."""


def for_statuses(statuses: Iterable[object]) -> int:
    """``run``'s status: 0 when every cell is ``ok`` (or there are none), 1 when any is not."""
    return OK if all(status == OK_STATUS for status in statuses) else CELLS_NOT_OK


def for_signal(number: int) -> int:
    """The status of a command stopped by signal ``number`` (SIGINT 130, SIGTERM 143)."""
    return 128 + int(number)

"""How wide the terminal is, and a rich console of that width, for every table the CLI prints."""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

PIPED_WIDTH = 100
"""Width used when stdout is not a terminal (a log file, ``| cat``) and ``COLUMNS`` is not set."""
MIN_WIDTH = 40


def terminal_width() -> int:
    """``COLUMNS`` when set, else the terminal's width, else :data:`PIPED_WIDTH` when output is piped."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        columns = shutil.get_terminal_size((PIPED_WIDTH, 24)).columns if sys.stdout.isatty() else PIPED_WIDTH
    return max(columns, MIN_WIDTH)


def console(**kwargs: Any) -> Any:
    """A rich ``Console`` on stdout at :func:`terminal_width`; rich keeps every line within it."""
    from rich.console import Console

    return Console(width=terminal_width(), **kwargs)

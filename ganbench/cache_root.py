"""ganbench's cache root, shared by every cache it keeps (real-data statistics, converted Inception weights,
real-vs-real floors).

``$GANBENCH_CACHE`` when set, else ``~/.cache/ganbench``; each cache is one sub-folder. Imports nothing heavy:
``ganbench table`` reads floors from here without torch.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_CACHE = "GANBENCH_CACHE"


def cache_root() -> Path:
    """``$GANBENCH_CACHE`` (``~`` expanded), else ``~/.cache/ganbench``."""
    root = os.environ.get(ENV_CACHE)
    return Path(root).expanduser() if root else Path.home() / ".cache" / "ganbench"

"""Atomic file writes: write a temporary file next to the target, then rename.

A reader (or a crash) never sees a half-written file: ``os.replace`` is atomic
on POSIX and Windows when source and target are on the same filesystem.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd
import torch


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path to write to; it replaces ``path`` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write(path: Path | str, mode: str, writer: Callable[[IO[Any]], None]) -> None:
    with atomic_path(path) as tmp, open(tmp, mode) as fh:
        writer(fh)
        fh.flush()
        os.fsync(fh.fileno())


def write_text(path: Path | str, text: str) -> None:
    _write(path, "w", lambda fh: fh.write(text))


def write_bytes(path: Path | str, data: bytes) -> None:
    _write(path, "wb", lambda fh: fh.write(data))


def write_json(path: Path | str, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default, allow_nan=True) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def save_torch(path: Path | str, obj: Any) -> None:
    """``torch.save`` atomically; keep ``obj`` to tensors and plain containers for ``weights_only`` loading."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def write_table(frame: pd.DataFrame, directory: Path | str, stem: str = "results") -> None:
    """The table as CSV and Parquet, each replaced atomically."""
    directory = Path(directory)
    with atomic_path(directory / f"{stem}.csv") as tmp:
        frame.to_csv(tmp, index=False)
    with atomic_path(directory / f"{stem}.parquet") as tmp:
        frame.to_parquet(tmp, index=False)


def save_figure(path: Path | str, figure: Any, **kwargs: Any) -> None:
    """Save a matplotlib figure atomically (format from the target's suffix)."""
    target = Path(path)
    with atomic_path(target) as tmp:
        figure.savefig(tmp, format=target.suffix.lstrip(".") or "png", **kwargs)

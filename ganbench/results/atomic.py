"""Atomic file writes: write a temporary file next to the target, then rename.

A reader (or a crash) never sees a half-written file: ``os.replace`` is atomic
on POSIX and Windows when source and target are on the same filesystem. The
temporary file is given the mode a plain ``open`` would (``0666`` less the
umask) before the rename, since ``mkstemp`` creates it private (``0600``). A
write that fails leaves no temporary file behind; one that fails because the
disk is full raises :class:`~ganbench.errors.DiskFullError` naming the folder.
JSON is strict: NaN and infinities are written as ``null``.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd

from ganbench.errors import DiskFullError

DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
NEARLY_FULL_BYTES = 1 << 20
"""A failed write with less than this free on the target's filesystem is taken as "disk full".

torch's C++ writer reports a full disk as ``RuntimeError: basic_ios::clear``,
without an errno, so the free space is what tells.
"""


def default_file_mode() -> int:
    """The mode ``open`` gives a new file: ``0666`` less the process umask (``0644`` under the usual ``022``)."""
    return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux reports it without changing it (os.umask both sets and returns)
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) says the disk or the quota is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DiskFullError):
            return True
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(current, OSError) and "No space left on device" in str(current):  # pyarrow drops the errno
            return True
        current = current.__cause__ or current.__context__
    return False


def _nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def disk_full_error(folder: Path | str, exc: BaseException | None = None) -> DiskFullError:
    detail = f" ({exc.strerror})" if isinstance(exc, OSError) and exc.strerror else ""
    return DiskFullError(f"disk full: no space left on the device holding {folder}{detail}")


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path to write to; it replaces ``path`` only if the block succeeds."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(target.parent, exc) from exc
        raise
    try:
        yield Path(tmp)
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, target)
    except BaseException as exc:
        full = isinstance(exc, Exception) and (is_disk_full(exc) or _nearly_full(target.parent))  # before unlinking
        Path(tmp).unlink(missing_ok=True)
        if full and not isinstance(exc, DiskFullError):
            raise disk_full_error(target.parent, exc) from exc
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
    """Strict JSON (NaN and infinities become ``null``), so any JSON reader accepts the file."""
    text = json.dumps(finite_or_null(obj), indent=2, sort_keys=True, default=_json_default, allow_nan=False)
    write_text(path, text + "\n")


def finite_or_null(value: Any) -> Any:
    """``value`` with every NaN or infinite float (at any depth) replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return finite_or_null(value.item())
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def save_torch(path: Path | str, obj: Any) -> None:
    """``torch.save`` atomically; keep ``obj`` to tensors and plain containers for ``weights_only`` loading."""
    import torch  # only writers of checkpoints need it; reports and tables do not

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def write_table(frame: pd.DataFrame, directory: Path | str, stem: str = "results") -> None:
    """The table as CSV and Parquet, each replaced atomically."""
    directory = Path(directory)
    with atomic_path(directory / f"{stem}.csv") as tmp:
        frame.to_csv(tmp, index=False)
    with atomic_path(directory / f"{stem}.parquet") as tmp:
        try:
            frame.to_parquet(tmp, index=False)
        except Exception as exc:  # pyarrow's type errors: OverflowError, ArrowTypeError, ArrowInvalid, ...
            if isinstance(exc, (ImportError, OSError)) or is_disk_full(exc):
                raise
            parquet_safe(frame).to_parquet(tmp, index=False)


def parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each column Parquet cannot type written as text.

    A row may hold anything JSON can: an integer beyond 64 bits, a plugin
    column mixing numbers and strings, nested lists. One such value must not
    stop the table (and every later rebuild of it) from being written.
    """
    import pyarrow as pa

    out = frame.copy()
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        try:
            pa.array(frame[column], from_pandas=True)
        except (pa.ArrowException, OverflowError, TypeError, ValueError, NotImplementedError):
            out[column] = frame[column].map(_as_text)
    return out


def _as_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value if isinstance(value, str) else json.dumps(value, default=str)


def save_figure(path: Path | str, figure: Any, **kwargs: Any) -> None:
    """Save a matplotlib figure atomically (format from the target's suffix)."""
    target = Path(path)
    with atomic_path(target) as tmp:
        figure.savefig(tmp, format=target.suffix.lstrip(".") or "png", **kwargs)

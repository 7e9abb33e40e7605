"""Checks on where a command will write, made before any work: one line, not a traceback mid-run."""

from __future__ import annotations

import os
from pathlib import Path

from ganbench.errors import UserError


def _nearest_existing(path: Path) -> Path:
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _why_not_writable(folder: Path) -> str | None:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except (OSError, AttributeError):  # pragma: no cover - no statvfs (Windows)
        pass
    if not os.access(folder, os.W_OK | os.X_OK):
        return "permission denied"
    return None


def check_output_dir(path: Path, option: str) -> None:
    """``path`` is, or can be created as, a folder this process can write into."""
    if path.exists() and not path.is_dir():
        raise UserError(f"{option} {path} is a file, not a folder; give a folder (it is created when missing)")
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise UserError(f"{option} {path} cannot be created: {existing} is a file, not a folder")
    reason = _why_not_writable(existing)
    if reason is not None:
        raise UserError(f"{option} {path} cannot be written: {existing} is not writable ({reason})")


def check_output_file(path: Path, option: str) -> None:
    """``path`` names a file (not a folder) that can be created or replaced."""
    if path.is_dir():
        raise UserError(f"{option} {path} is a folder; give a file name, e.g. {path / 'scores.json'}")
    check_output_dir(path.parent, option)


def check_inside(name: str, parent: Path, option: str) -> Path:
    """``parent / name`` for a relative ``name`` that stays inside ``parent``; absolute paths and ``..`` are refused.

    (A results folder name is joined to ``--results-dir``; ``../x`` or ``/x`` would write elsewhere.)
    """
    path = Path(name)
    if not name.strip() or path.is_absolute() or ".." in path.parts or path.drive:
        raise UserError(
            f"{option} {name!r} must be a folder name inside {parent} (e.g. my-run or sweeps/run1); "
            "absolute paths and '..' are refused: use --results-dir to write elsewhere"
        )
    return parent / path

"""The one way ganbench reads a ``.pt``/``.pth`` file a user can hand it: tensors and plain data only.

``torch.load`` unpickles, and unpickling calls whatever the file names, so a
crafted weights file, checkpoint or sample file could run a shell command.
:func:`load_tensors` always loads with ``weights_only=True`` (torch's restricted
unpickler: tensors, numbers, strings, lists, dicts) and turns every failure
into one line naming the file, instead of torch's multi-line message that
suggests ``weights_only=False``.
"""

from __future__ import annotations

import io
import pickle
import re
import warnings
from pathlib import Path
from typing import IO, Any

import torch

from ganbench.errors import UserError


class UnsafeFileError(UserError):
    """A file that holds objects other than tensors and plain containers (loading it could run code)."""


class UnreadableFileError(UserError):
    """A file that is not a readable torch file: truncated, corrupt, or something else entirely."""


def load_tensors(
    path: Path | str,
    *,
    what: str = "file",
    error: type[UserError] | None = None,
) -> Any:
    """``torch.load(path, map_location="cpu", weights_only=True)``, with ganbench's one-line errors.

    ``what`` names the file in messages ("checkpoint", "InceptionV3 weights
    file"); ``error`` replaces both error classes (e.g. ``CheckpointError``).
    """
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols; the error below says what matters
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        named = f" ({found.group(1)})" if found else ""
        raise (error or UnsafeFileError)(
            f"{what} {path} holds objects other than tensors and plain containers{named}; "
            "ganbench will not load it, since unpickling it could run code from the file"
        ) from None
    except FileNotFoundError:
        raise (error or UnreadableFileError)(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise (error or UnreadableFileError)(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # truncated zip (RuntimeError), empty (EOFError), junk (KeyError, ValueError, ...)
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        detail = f": {type(exc).__name__}" + (f" {first}" if first else "")
        raise (error or UnreadableFileError)(
            f"{what} {path} is not a readable torch file (truncated or corrupt?){detail}"
        ) from None


def reserialised(obj: Any) -> IO[bytes]:
    """``obj`` (already loaded safely) saved again into memory, for a library that insists on a file to load.

    What it holds was produced here from tensors and plain data, so a library
    that unpickles it without ``weights_only`` still runs nothing from the user's file.
    """
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer

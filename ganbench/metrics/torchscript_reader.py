"""The tensors of a TorchScript archive, read without running TorchScript and without unpickling code.

A TorchScript file (``torch.jit.save``) is a zip: ``<root>/data.pkl`` pickles the
module tree, ``<root>/data/N`` hold the raw storages, ``<root>/code/`` the
TorchScript source. ``torch.jit.load`` compiles and runs that source, and a
plain unpickler would call whatever ``data.pkl`` names; neither is acceptable
for a file that came from a package index. :func:`read_torchscript_tensors`
unpickles ``data.pkl`` with a restricted unpickler:

* ``__torch__.*`` classes (the scripted modules) become inert :class:`Record` s
  that only hold the attribute dictionary they are given;
* the tensor rebuild (``torch._utils._rebuild_tensor_v2``), the storage type
  names, ``collections.OrderedDict`` and TorchScript's ``build_intlist`` are
  replaced by local functions that build tensors and lists from the archive's bytes;
* any other global is refused (:class:`UnsafeArchiveError`), and nothing in
  ``code/`` is ever read.

What comes back is ``{"net.layers.conv.weight": tensor, ...}``: every tensor
attribute of the module tree by its dotted path.
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from ganbench.errors import UserError


class UnsafeArchiveError(UserError):
    """The archive's pickle names something other than modules, tensors and plain containers."""


_STORAGE_DTYPES = {
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "ShortStorage": torch.int16,
    "CharStorage": torch.int8,
    "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


class Record:
    """An inert stand-in for a scripted module: its attributes, nothing that could run."""

    qualname = "?"

    def __setstate__(self, state: Any) -> None:
        self.fields = dict(state) if isinstance(state, dict) else {"__state__": state}

    def __repr__(self) -> str:
        return f"Record({self.qualname})"


class _StorageType:
    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype


def _rebuild_tensor_v2(
    storage: torch.Tensor, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_ignored: Any
) -> torch.Tensor:
    """A tensor view of a storage (a flat tensor here), copied so it owns its memory."""
    if not isinstance(storage, torch.Tensor):
        raise UnsafeArchiveError("tensor rebuild without a storage")
    return torch.as_strided(storage, tuple(size), tuple(stride), int(offset)).clone()


def _build_intlist(values: Any) -> list[int]:
    return [int(v) for v in values]


def _ordered_dict(*args: Any) -> collections.OrderedDict:
    return collections.OrderedDict(*args)


_record_classes: dict[str, type[Record]] = {}


def _record_class(qualname: str) -> type[Record]:
    """One inert class per scripted class name (NEWOBJ needs a class; it gets one that runs nothing)."""
    if qualname not in _record_classes:
        _record_classes[qualname] = type("Record", (Record,), {"qualname": qualname})
    return _record_classes[qualname]


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, archive: zipfile.ZipFile, root: str, path: str) -> None:
        super().__init__(io.BytesIO(data))
        self.archive = archive
        self.root = root
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        if module == "__torch__" or module.startswith("__torch__."):
            return _record_class(f"{module}.{name}")
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if module == "collections" and name == "OrderedDict":
            return _ordered_dict
        if module == "torch.jit._pickle" and name == "build_intlist":
            return _build_intlist
        raise UnsafeArchiveError(
            f"TorchScript archive {self.path} names {module}.{name}, which is not a module, tensor or container; "
            "ganbench will not read it"
        )

    def persistent_load(self, pid: Any) -> torch.Tensor:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise UnsafeArchiveError(f"TorchScript archive {self.path} has an unknown persistent id {pid!r}")
        _, kind, key, _location, numel = pid
        if not isinstance(kind, _StorageType) or not isinstance(key, str) or not key.isdigit():
            raise UnsafeArchiveError(f"TorchScript archive {self.path} has a malformed storage reference")
        raw = self.archive.read(f"{self.root}/data/{key}")
        flat = torch.frombuffer(bytearray(raw), dtype=kind.dtype) if raw else torch.empty(0, dtype=kind.dtype)
        if flat.numel() < int(numel):
            raise zipfile.BadZipFile(f"storage {key} holds {flat.numel()} elements, {numel} expected")
        return flat


def _collect(obj: Any, prefix: str, out: dict[str, torch.Tensor]) -> None:
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj
    elif isinstance(obj, Record):
        for name, value in obj.fields.items():
            _collect(value, f"{prefix}.{name}" if prefix else name, out)


def read_torchscript_tensors(path: Path | str) -> dict[str, torch.Tensor]:
    """Every tensor attribute of the scripted module in ``path``, by dotted path; nothing is executed.

    Raises :class:`UnsafeArchiveError` for a pickle that names anything outside
    the allowed set, and ``zipfile.BadZipFile`` / ``KeyError`` / ``pickle.UnpicklingError``
    for a damaged archive (the caller turns those into its own one-line error).
    """
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise zipfile.BadZipFile("no single <root>/data.pkl entry: not a TorchScript archive")
        root = pickles[0].split("/", 1)[0]
        tree = _RestrictedUnpickler(archive.read(pickles[0]), archive, root, str(path)).load()
    tensors: dict[str, torch.Tensor] = {}
    _collect(tree, "", tensors)
    return tensors

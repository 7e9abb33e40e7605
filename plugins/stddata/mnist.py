"""MNIST and Fashion-MNIST through ``torchvision.datasets.MNIST`` / ``FashionMNIST``.

torchvision reads the extracted IDX files in ``<root>/<Class>/raw`` (its
``_check_exists`` only checks they exist) and, when downloading, verifies the
md5 of each ``.gz`` archive before extracting it. A ``.gz`` with the right
md5 dropped into ``raw/`` is extracted on the next run without any network.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ganbench.plugin import DatasetOptions, DataSpec

from .catalogue import KINDS, MnistKind
from .catalogue import MNIST_NATIVE as NATIVE
from .common import (
    CachedTensorDataset,
    check_resolution,
    failure_reason,
    open_torchvision,
    unavailable,
)

SPLITS = ("train", "test")
# File names are fixed by the format; kept here so ``locate`` needs no torchvision import
# (importing torchvision.datasets costs seconds). A test checks them against torchvision's lists.
RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def raw_dir(kind: MnistKind, root: Path) -> Path:
    return Path(root) / kind.tv_class / "raw"


def locate(kind: MnistKind, root: Path) -> Path | None:
    """The ``raw`` directory when all four IDX files are there."""
    folder = raw_dir(kind, root)
    return folder if all((folder / f).is_file() for f in RAW_FILES) else None


def fetch_hint(kind: MnistKind, root: Path) -> str:
    return (
        f"python -c \"import torchvision; torchvision.datasets.{kind.tv_class}('{root}', download=True)\" "
        f"on a machine with internet and copy {kind.tv_class}/ into {root}, or put the four .gz archives "
        f"({', '.join(f + '.gz' for f in RAW_FILES)}) into {raw_dir(kind, root)} and run again"
    )


def idx_problem(path: Path) -> str | None:
    """Why an IDX file cannot be right (bad magic or wrong length), or ``None``; cheap: reads the header."""
    size = path.stat().st_size
    with path.open("rb") as f:
        header = f.read(4)
        if len(header) < 4 or header[0] != 0 or header[1] != 0 or not 1 <= header[3] <= 3:
            return "not an IDX file"
        if header[2] != 0x08:
            return "not an unsigned-byte IDX file"
        dims_raw = f.read(4 * header[3])
    if len(dims_raw) < 4 * header[3]:
        return "truncated header"
    dims = [int.from_bytes(dims_raw[i : i + 4], "big") for i in range(0, len(dims_raw), 4)]
    expected = 4 + 4 * len(dims) + int(torch.tensor(dims).prod())
    if size != expected:
        return f"{size} bytes, header says {expected}"
    return None


def _diagnose(kind: MnistKind, root: Path, resources: list[tuple[str, str]]):
    from torchvision.datasets.utils import check_integrity

    folder = raw_dir(kind, root)

    def diagnose(exc: BaseException | None, tried_download: bool) -> Exception:
        missing, corrupt = [], []
        for filename, md5 in resources:
            archive = os.path.basename(filename)
            extracted = os.path.splitext(archive)[0]
            if (folder / extracted).is_file():
                problem = idx_problem(folder / extracted)
                if problem:
                    corrupt.append(f"{extracted} ({problem})")
            elif (folder / archive).is_file() and not check_integrity(str(folder / archive), md5):
                corrupt.append(f"{archive} (md5 mismatch)")
            else:
                missing.append(extracted)
        present = all((folder / os.path.splitext(os.path.basename(f))[0]).is_file() for f, _ in resources)
        reason = failure_reason(
            exc, tried_download=tried_download, files_bad=bool(missing or corrupt), download_needed=not present
        )
        return unavailable(
            kind.name, missing=missing, corrupt=corrupt, directory=folder, fetch=fetch_hint(kind, root), reason=reason
        )

    return diagnose


class MnistDataset(CachedTensorDataset):
    """MNIST-like digits held in memory; the train split is opened (and validated) at construction."""

    def __init__(self, kind: MnistKind, options: DatasetOptions) -> None:
        resolution = check_resolution(kind.name, options.resolution, NATIVE)
        self.kind = kind
        self.root = Path(options.root)
        self.download = options.download
        spec = DataSpec(
            name=kind.name,
            kind="image",
            shape=(1, resolution, resolution),
            num_classes=10,
            fid_extractor="inception-v3-compat",
            fid_split="train",
            extra={"native_resolution": NATIVE, "data_dir": str(raw_dir(kind, self.root))},
        )
        super().__init__(spec, SPLITS)
        self._sources = {"train": self._open(train=True)}

    def _open(self, *, train: bool):
        import torchvision.datasets as tvd

        cls = getattr(tvd, self.kind.tv_class)
        diagnose = _diagnose(self.kind, self.root, list(cls.resources))

        def build(download: bool):
            dataset = cls(str(self.root), train=train, download=download)
            data, targets = dataset.data, dataset.targets
            if data.ndim != 3 or tuple(data.shape[1:]) != (NATIVE, NATIVE) or len(targets) != len(data):
                raise ValueError(f"images {tuple(data.shape)} do not match {len(targets)} labels of {NATIVE}x{NATIVE}")
            if len(targets) and int(targets.max()) > 9:
                raise ValueError(f"label {int(targets.max())} is not a class 0-9")
            return dataset

        return open_torchvision(build, download=self.download, diagnose=diagnose)

    def _load_uint8(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        source = self._sources.pop(name, None) or self._open(train=name == "train")
        return source.data.unsqueeze(1), source.targets


def load(name: str, options: DatasetOptions) -> MnistDataset:
    return MnistDataset(KINDS[name], options)


def locate_kind(name: str, root: Path) -> Path | None:
    """:func:`locate` by dataset name (what the plugin registers)."""
    return locate(KINDS[name], root)

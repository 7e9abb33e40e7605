"""CIFAR-10 through ``torchvision.datasets.CIFAR10``.

torchvision checks the md5 of every extracted batch file against its own list
before unpickling, and the archive's md5 before extracting, so a corrupt or
truncated file is caught there; we only turn its failure into a precise message.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from ganbench.plugin import DatasetOptions, DataSpec

from .catalogue import CIFAR_NATIVE as NATIVE
from .common import (
    CachedTensorDataset,
    check_resolution,
    describe_exception,
    failure_reason,
    open_torchvision,
    unavailable,
)

SPLITS = ("train", "test")
BASE_FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
# Fixed by the format; kept here so ``locate`` needs no torchvision import. A test checks them.
FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch", "batches.meta")


def locate(root: Path) -> Path | None:
    folder = Path(root) / BASE_FOLDER
    return folder if all((folder / f).is_file() for f in FILES) else None


def fetch_hint(root: Path) -> str:
    return (
        f"python -c \"import torchvision; torchvision.datasets.CIFAR10('{root}', download=True)\" "
        f"on a machine with internet and copy {BASE_FOLDER}/ into {root}, or wget {URL} -P {root} "
        "(the archive is md5-checked and extracted on the next run)"
    )


def _diagnose(root: Path):
    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import check_integrity

    folder = Path(root) / BASE_FOLDER
    expected = [*CIFAR10.train_list, *CIFAR10.test_list, [CIFAR10.meta["filename"], CIFAR10.meta["md5"]]]

    def diagnose(exc: BaseException | None, tried_download: bool) -> Exception:
        missing, corrupt = [], []
        for filename, md5 in expected:
            path = folder / filename
            if not path.is_file():
                missing.append(filename)
            elif not check_integrity(str(path), md5):
                corrupt.append(f"{filename} (md5 mismatch)")
        archive = Path(root) / ARCHIVE
        if archive.is_file() and not check_integrity(str(archive), CIFAR10.tgz_md5):
            corrupt.append(f"{root}/{ARCHIVE} (md5 mismatch)")
        reason = failure_reason(exc, tried_download=tried_download, files_bad=bool(missing or corrupt))
        if not (missing or corrupt):  # checksums pass yet loading failed: name the unreadable file
            corrupt.extend(_unreadable(folder, [f for f, _ in expected]))
            reason = None if corrupt else reason
        return unavailable(
            "cifar10", missing=missing, corrupt=corrupt, directory=folder, fetch=fetch_hint(root), reason=reason
        )

    return diagnose


def _unreadable(folder: Path, names: list[str]) -> list[str]:
    bad = []
    for name in names:
        try:
            with (folder / name).open("rb") as f:
                pickle.load(f, encoding="latin1")
        except Exception as exc:
            bad.append(f"{name} ({describe_exception(exc)})")
    return bad


class Cifar10Dataset(CachedTensorDataset):
    """CIFAR-10 held in memory; the train split is opened (md5-verified) at construction."""

    def __init__(self, options: DatasetOptions) -> None:
        resolution = check_resolution("cifar10", options.resolution, NATIVE)
        self.root = Path(options.root)
        self.download = options.download
        spec = DataSpec(
            name="cifar10",
            kind="image",
            shape=(3, resolution, resolution),
            num_classes=10,
            fid_extractor="inception-v3-compat",
            fid_split="train",
            extra={"native_resolution": NATIVE, "data_dir": str(self.root / BASE_FOLDER)},
        )
        super().__init__(spec, SPLITS)
        self._sources = {"train": self._open(train=True)}

    def _open(self, *, train: bool):
        from torchvision.datasets import CIFAR10

        def build(download: bool):
            dataset = CIFAR10(str(self.root), train=train, download=download)
            if dataset.data.shape[1:] != (NATIVE, NATIVE, 3) or len(dataset.targets) != len(dataset.data):
                raise ValueError(f"images {dataset.data.shape} do not match {len(dataset.targets)} labels")
            if dataset.targets and not 0 <= min(dataset.targets) <= max(dataset.targets) <= 9:
                raise ValueError("labels outside 0-9")
            return dataset

        return open_torchvision(build, download=self.download, diagnose=_diagnose(self.root))

    def _load_uint8(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        source = self._sources.pop(name, None) or self._open(train=name == "train")
        images = torch.from_numpy(np.ascontiguousarray(source.data)).permute(0, 3, 1, 2)  # NHWC -> NCHW, no copy
        return images, torch.as_tensor(source.targets, dtype=torch.int64)


def load(options: DatasetOptions) -> Cifar10Dataset:
    return Cifar10Dataset(options)

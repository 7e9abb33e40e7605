"""CelebA (aligned and cropped faces) through ``torchvision.datasets.CelebA``.

torchvision checks the md5 of the five annotation files and that
``img_align_celeba/`` exists, then parses the official partition. Its
download goes through Google Drive (needs ``gdown``, and is rate-limited),
so the error message spells out the files and layout to put in place by hand.
Two gaps we close: a present ``img_align_celeba.zip`` is md5-checked and
extracted without trying the network, and a split whose listed images are not
all on disk (an interrupted unzip) is an error, not a silently smaller set.

Preprocessing follows the PyTorch DCGAN reference: resize the shorter side
(178 px) to the resolution, then center-crop.
"""

from __future__ import annotations

import os
from pathlib import Path

from torch.utils.data import Dataset

from ganbench.plugin import DatasetOptions, DatasetUnavailableError, DataSpec, GanDataset

from .catalogue import CELEBA_NATIVE as NATIVE
from .common import (
    ImageFiles,
    check_resolution,
    check_split,
    failure_reason,
    open_torchvision,
    unavailable,
)

SPLITS = ("train", "valid", "test", "all")
BASE_FOLDER = "celeba"
IMAGES = "img_align_celeba"
ARCHIVE = "img_align_celeba.zip"
# Fixed by the format; kept here so ``locate`` needs no torchvision import. A test checks them.
ANNOTATIONS = (
    "list_attr_celeba.txt",
    "identity_CelebA.txt",
    "list_bbox_celeba.txt",
    "list_landmarks_align_celeba.txt",
    "list_eval_partition.txt",
)
SITE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"


def locate(root: Path) -> Path | None:
    folder = Path(root) / BASE_FOLDER
    ok = (folder / IMAGES).is_dir() and all((folder / f).is_file() for f in ANNOTATIONS)
    return folder if ok else None


def fetch_hint(root: Path) -> str:
    folder = Path(root) / BASE_FOLDER
    return (
        f"download {ARCHIVE} ('Align&Cropped Images') and {', '.join(ANNOTATIONS)} ('Anno' and 'Eval') "
        f"from {SITE} into {folder}, giving {folder}/{IMAGES}/000001.jpg (a zip left there is extracted on the next "
        f"run) and {folder}/list_eval_partition.txt; torchvision's Google Drive download is rate-limited but may work: "
        f"pip install gdown && python -c \"import torchvision; torchvision.datasets.CelebA('{root}', download=True)\""
    )


def _diagnose(root: Path):
    from torchvision.datasets import CelebA
    from torchvision.datasets.utils import check_integrity

    folder = Path(root) / BASE_FOLDER

    def diagnose(exc: BaseException | None, tried_download: bool) -> Exception:
        missing, corrupt = [], []
        for _, md5, filename in CelebA.file_list:
            path = folder / filename
            if filename == ARCHIVE:
                if not (folder / IMAGES).is_dir():
                    if path.is_file() and not check_integrity(str(path), md5):
                        corrupt.append(f"{ARCHIVE} (md5 mismatch)")
                    else:
                        missing.append(f"{IMAGES}/ (from {ARCHIVE})")
            elif not path.is_file():
                missing.append(filename)
            elif not check_integrity(str(path), md5):
                corrupt.append(f"{filename} (md5 mismatch)")
        reason = failure_reason(exc, tried_download=tried_download, files_bad=bool(missing or corrupt))
        return unavailable(
            "celeba", missing=missing, corrupt=corrupt, directory=folder, fetch=fetch_hint(root), reason=reason
        )

    return diagnose


def _extract_present_archive(root: Path) -> None:
    """Unzip a user-provided ``img_align_celeba.zip`` (md5-checked) so no network is needed."""
    from torchvision.datasets import CelebA
    from torchvision.datasets.utils import check_integrity, extract_archive

    folder = Path(root) / BASE_FOLDER
    archive = folder / ARCHIVE
    if (folder / IMAGES).is_dir() or not archive.is_file():
        return
    md5 = next(md5 for _, md5, name in CelebA.file_list if name == ARCHIVE)
    if check_integrity(str(archive), md5):
        extract_archive(str(archive), str(folder))


class CelebADataset(GanDataset):
    """CelebA served item by item (too big to hold as float tensors); labels are -1."""

    splits = SPLITS

    def __init__(self, options: DatasetOptions) -> None:
        resolution = check_resolution("celeba", options.resolution, NATIVE)
        self.root = Path(options.root)
        self.download = options.download
        self.spec = DataSpec(
            name="celeba",
            kind="image",
            shape=(3, resolution, resolution),
            num_classes=None,
            fid_extractor="inception-v3-compat",
            fid_split="train",
            extra={"native_resolution": NATIVE, "data_dir": str(self.root / BASE_FOLDER)},
        )
        _extract_present_archive(self.root)
        self._files: dict[str, list[str]] = {"train": self._open("train")}

    def _open(self, split: str) -> list[str]:
        from torchvision.datasets import CelebA

        def build(download: bool) -> CelebA:
            return CelebA(str(self.root), split=split, target_type=[], download=download)

        dataset = open_torchvision(build, download=self.download, diagnose=_diagnose(self.root))
        image_dir = self.root / BASE_FOLDER / IMAGES
        present = set(os.listdir(image_dir))
        absent = [name for name in dataset.filename if name not in present]
        if absent:
            raise DatasetUnavailableError(
                f"celeba: {len(absent)} of {len(dataset.filename)} images of the {split} split are missing from "
                f"{image_dir} (first: {absent[0]}); the extraction of {ARCHIVE} looks incomplete: unzip it there again"
            )
        if not dataset.filename:
            raise DatasetUnavailableError(
                f"celeba: list_eval_partition.txt in {self.root / BASE_FOLDER} lists no image for the {split} split; "
                f"fetch: {fetch_hint(self.root)}"
            )
        return [str(image_dir / name) for name in dataset.filename]

    def split(self, name: str) -> Dataset:
        check_split(self.spec, self.splits, name)
        if name not in self._files:
            self._files[name] = self._open(name)
        return ImageFiles(self._files[name], self.spec.shape[-1], self.spec.shape[0])

    def __len__(self) -> int:
        return len(self._files["train"])


def load(options: DatasetOptions) -> CelebADataset:
    return CelebADataset(options)

"""``folder:PATH``: any folder of images (anime faces, cat faces, a scraped set).

Why not ``torchvision.datasets.ImageFolder``: it requires one subfolder per
class and ignores images at the top level, while the folders people gather are
usually flat or arbitrarily nested and unlabelled. We walk the tree ourselves
(sorted, so the item order is reproducible), keep files with torchvision's
image extensions, skip hidden files and folders, and read each image through
the shared converter (mode -> channels, resize shorter side, center-crop).

Labels: when every image lies inside a first-level subfolder and there are at least two of them
(the ``ImageFolder`` layout), each subfolder is a class (sorted by name, ``extra["classes"]``) and
conditional variants can train on the folder; otherwise the images are unlabelled (-1).
"""

from __future__ import annotations

import os
from pathlib import Path

from torch.utils.data import Dataset

from ganbench.plugin import DatasetOptions, DatasetUnavailableError, DataSpec, GanDataset, IncompatibleError

from .catalogue import FOLDER_CHANNELS as CHANNELS
from .catalogue import FOLDER_NATIVE as NATIVE
from .common import ImageFiles, check_resolution, check_split


def image_extensions() -> tuple[str, ...]:
    from torchvision.datasets.folder import IMG_EXTENSIONS

    return tuple(IMG_EXTENSIONS)


def scan(folder: Path) -> list[str]:
    """Image files under ``folder``, recursively, in a stable sorted order; hidden entries are skipped."""
    extensions = image_extensions()
    found: list[str] = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            os.path.join(current, f) for f in sorted(files) if not f.startswith(".") and f.lower().endswith(extensions)
        )
    return found


def class_labels(folder: Path, files: list[str]) -> tuple[list[str], list[int]] | None:
    """``(class names, label per file)`` when every file is in a first-level subfolder and there are >= 2; else None."""
    firsts = [Path(os.path.relpath(f, folder)).parts for f in files]
    if not firsts or any(len(parts) < 2 for parts in firsts):
        return None
    names = sorted({parts[0] for parts in firsts})
    if len(names) < 2:
        return None
    index = {name: i for i, name in enumerate(names)}
    return names, [index[parts[0]] for parts in firsts]


def resolve_folder(argument: str | None, root: Path) -> Path:
    """``PATH`` as given (``~`` expanded, relative to the working directory), else relative to the data root."""
    if not argument:
        raise DatasetUnavailableError("folder: give a path, as in folder:PATH (e.g. folder:~/data/anime-faces)")
    given = Path(argument).expanduser()
    candidates = [given] if given.is_absolute() else [given, Path(root) / given]
    for candidate in candidates:
        if candidate.is_dir():
            return Path(os.path.abspath(candidate))
    tried = " or ".join(str(Path(os.path.abspath(c))) for c in candidates)
    raise DatasetUnavailableError(
        f"folder:{argument}: no such directory ({tried}); point folder: at a directory of images"
    )


class FolderDataset(GanDataset):
    """Images read from files on demand; one split, ``train``; labels from class subfolders, else -1."""

    splits = ("train",)

    def __init__(self, options: DatasetOptions, *, channels: int = CHANNELS) -> None:
        if channels not in (1, 3):
            raise IncompatibleError(f"folder: channels {channels!r} is invalid; valid choices: 1, 3")
        resolution = check_resolution(f"folder:{options.argument}", options.resolution, NATIVE)
        self.path = resolve_folder(options.argument, Path(options.root))
        self.files = scan(self.path)
        if not self.files:
            raise DatasetUnavailableError(
                f"folder:{options.argument}: no images under {self.path} "
                f"(searched subfolders for {', '.join(image_extensions())})"
            )
        classes = class_labels(self.path, self.files)
        self.labels = classes[1] if classes else None
        extra: dict[str, object] = {"native_resolution": NATIVE, "data_dir": str(self.path), "files": len(self.files)}
        if classes:
            extra["classes"] = classes[0]
        self.spec = DataSpec(
            name=f"folder:{options.argument}",
            kind="image",
            shape=(channels, resolution, resolution),
            num_classes=len(classes[0]) if classes else None,
            fid_extractor="inception-v3-compat",
            fid_split="train",
            extra=extra,
        )

    def split(self, name: str) -> Dataset:
        check_split(self.spec, self.splits, name)
        return ImageFiles(self.files, self.spec.shape[-1], self.spec.shape[0], self.labels)

    def __len__(self) -> int:
        return len(self.files)


def load(options: DatasetOptions) -> FolderDataset:
    return FolderDataset(options)

"""Tiny datasets written in the real on-disk formats, so tests run the real loaders offline.

Each ``make_*`` builder writes under a data root exactly what torchvision
reads there and returns the pixels and labels it wrote, for exact checks.

Checksums: torchvision verifies CIFAR-10 and CelebA files against md5 lists of
the real data, which no fixture can match. :func:`patch_checksums` points those
lists at the fixture's own md5s for the duration of a test, so everything else
(torchvision's integrity check included) runs unchanged; without it the
fixture is reported as corrupt, which is tested too. MNIST needs no patch:
torchvision checks only that the extracted IDX files exist.

For a CLI test: ``make_cifar10(tmp_path)`` then, in-process (typer's
CliRunner), ``patch_checksums(monkeypatch, tmp_path)`` before invoking
``ganbench run --dataset cifar10 --data-root tmp_path``. A subprocess cannot be
patched: use ``make_mnist`` or ``make_image_folder`` there.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CELEBA_ATTRS = ("5_o_Clock_Shadow", "Arched_Eyebrows", "Smiling", "Young")  # the real file has 40; any count parses
CELEBA_SIZE = (178, 218)  # width, height of the aligned images


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


# -- MNIST / Fashion-MNIST ---------------------------------------------------------------------------
def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file: zero, zero, type 0x08, ndims, big-endian sizes, then the data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


@dataclass
class MnistFixture:
    root: Path
    raw_dir: Path
    splits: dict[str, tuple[np.ndarray, np.ndarray]]
    """split -> (uint8 images (N, 28, 28), int labels (N,))."""


def make_mnist(
    root: Path,
    *,
    tv_class: str = "MNIST",
    n_train: int = 40,
    n_test: int = 12,
    seed: int = 0,
    archives: bool = True,
) -> MnistFixture:
    """Write ``<root>/<tv_class>/raw/`` with the four extracted IDX files (and their ``.gz`` archives)."""
    rng = np.random.default_rng(seed)
    raw = Path(root) / tv_class / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    splits = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = np.arange(n) % 10
        rng.shuffle(labels)
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[:, 0, 0] = 0
        images[:, 0, 1] = 255  # both ends of the range are always present
        image_file, label_file = MNIST_FILES[split]
        for name, array in ((image_file, images), (label_file, labels)):
            data = idx_bytes(array)
            (raw / name).write_bytes(data)
            if archives:
                (raw / f"{name}.gz").write_bytes(gzip.compress(data))
        splits[split] = (images, labels)
    return MnistFixture(Path(root), raw, splits)


# -- CIFAR-10 ------------------------------------------------------------------------------------------
@dataclass
class CifarFixture:
    root: Path
    folder: Path
    splits: dict[str, tuple[np.ndarray, np.ndarray]]
    """split -> (uint8 images (N, 32, 32, 3) HWC, int labels (N,))."""


def _pickle(path: Path, obj: object) -> None:
    with path.open("wb") as f:
        pickle.dump(obj, f, protocol=2)


def make_cifar10(root: Path, *, per_batch: int = 8, n_test: int = 10, seed: int = 0) -> CifarFixture:
    """Write ``<root>/cifar-10-batches-py/`` as the python version: dicts with ``data`` (N, 3072) rows in CHW order."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    train_x, train_y = [], []
    for i, n in [*((f"data_batch_{k}", per_batch) for k in range(1, 6)), ("test_batch", n_test)]:
        chw = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=n)]
        _pickle(
            folder / i,
            {
                "batch_label": f"fixture {i}",
                "labels": labels,
                "data": chw.reshape(n, 3072),
                "filenames": [f"img_{i}_{j}.png" for j in range(n)],
            },
        )
        hwc = chw.transpose(0, 2, 3, 1)
        if i == "test_batch":
            test = (hwc, np.asarray(labels))
        else:
            train_x.append(hwc)
            train_y.extend(labels)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    _pickle(folder / "batches.meta", {"label_names": names, "num_cases_per_batch": per_batch, "num_vis": 3072})
    return CifarFixture(Path(root), folder, {"train": (np.concatenate(train_x), np.asarray(train_y)), "test": test})


# -- CelebA ---------------------------------------------------------------------------------------------
@dataclass
class CelebaFixture:
    root: Path
    folder: Path
    partition: dict[str, list[str]]
    """split -> image file names, in file order."""


def celeba_image(index: int) -> Image.Image:
    """A 178x218 RGB face stand-in: smooth gradients plus a coloured centre box that the crop keeps."""
    w, h = CELEBA_SIZE
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([(xx * 255 // w), (yy * 255 // h), np.full_like(xx, (index * 37) % 256)], axis=-1)
    rgb[h // 2 - 30 : h // 2 + 30, w // 2 - 30 : w // 2 + 30] = [(index * 80) % 256, 40, 200]
    return Image.fromarray(rgb.astype(np.uint8), mode="RGB")


def make_celeba(
    root: Path, *, n_train: int = 6, n_valid: int = 3, n_test: int = 3, zipped: bool = False
) -> CelebaFixture:
    """Write ``<root>/celeba/`` with ``img_align_celeba/*.jpg`` (or only the zip) and the five annotation files.

    Each split needs at least two images: torchvision's CelebA squeezes a
    one-element index tensor to a scalar and fails.
    """
    folder = Path(root) / "celeba"
    images = folder / "img_align_celeba"
    images.mkdir(parents=True, exist_ok=True)
    counts = {"train": n_train, "valid": n_valid, "test": n_test}
    names: list[str] = []
    partition: dict[str, list[str]] = {}
    for split, n in counts.items():
        partition[split] = [f"{len(names) + j + 1:06d}.jpg" for j in range(n)]
        names.extend(partition[split])
        for name in partition[split]:
            celeba_image(int(name[:6])).save(images / name, quality=95)
    codes = {name: code for code, split in enumerate(counts) for name in partition[split]}
    total = len(names)
    lines = {
        "list_eval_partition.txt": [f"{n} {codes[n]}" for n in names],
        "identity_CelebA.txt": [f"{n} {i % 5 + 1}" for i, n in enumerate(names)],
        "list_attr_celeba.txt": [str(total), " ".join(CELEBA_ATTRS)]
        + [
            n + "".join(f" {1 if (i + k) % 2 else -1:2d}" for k in range(len(CELEBA_ATTRS)))
            for i, n in enumerate(names)
        ],
        "list_bbox_celeba.txt": [str(total), "image_id x_1 y_1 width height"]
        + [f"{n}    95  71 226 313" for n in names],
        "list_landmarks_align_celeba.txt": [
            str(total),
            "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y",
        ]
        + [f"{n}           69  109  106  113   77  142   73  152  108  154" for n in names],
    }
    for filename, rows in lines.items():
        (folder / filename).write_text("\n".join(rows) + "\n")
    if zipped:
        with zipfile.ZipFile(folder / "img_align_celeba.zip", "w") as zf:
            for name in names:
                zf.write(images / name, f"img_align_celeba/{name}")
        for name in names:
            (images / name).unlink()
        images.rmdir()
    return CelebaFixture(Path(root), folder, partition)


# -- checksums --------------------------------------------------------------------------------------------
def patch_checksums(monkeypatch, root: Path) -> None:
    """Point torchvision's CIFAR10 / CelebA md5 lists at the fixture files present under ``root``."""
    from torchvision.datasets import CIFAR10, CelebA

    cifar = Path(root) / CIFAR10.base_folder
    if cifar.is_dir():
        fix = lambda entries: [[name, md5(cifar / name)] for name, _ in entries]  # noqa: E731
        monkeypatch.setattr(CIFAR10, "train_list", fix(CIFAR10.train_list))
        monkeypatch.setattr(CIFAR10, "test_list", fix(CIFAR10.test_list))
        monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5(cifar / CIFAR10.meta["filename"])})
    celeba = Path(root) / CelebA.base_folder
    if celeba.is_dir():
        entries = []
        for file_id, real_md5, name in CelebA.file_list:
            path = celeba / name
            entries.append((file_id, md5(path) if path.is_file() else real_md5, name))
        monkeypatch.setattr(CelebA, "file_list", entries)


# -- image folder -------------------------------------------------------------------------------------------
@dataclass
class FolderFixture:
    path: Path
    images: list[Path]
    """The files that must be picked up, in the loader's sorted order."""
    skipped: list[Path] = field(default_factory=list)


def make_image_folder(path: Path) -> FolderFixture:
    """Mixed sizes and modes (RGB JPEG, L, RGBA, palette, 16-bit grey, upper-case extension), nested,
    plus files that must be skipped (text, hidden file, hidden folder, unknown extension)."""
    path = Path(path)
    (path / "set_a" / "deeper").mkdir(parents=True, exist_ok=True)
    (path / ".cache").mkdir(exist_ok=True)
    rng = np.random.default_rng(0)

    rgba = np.zeros((64, 64, 4), dtype=np.uint8)
    rgba[..., 0] = 255  # red everywhere, but the left half is fully transparent
    rgba[:, 32:, 3] = 255
    palette = Image.fromarray(rng.integers(0, 256, size=(40, 40, 3), dtype=np.uint8), "RGB").quantize(colors=16)
    grey16 = Image.fromarray(np.full((30, 30), 65535, dtype=np.uint16))
    images = {
        "UPPER.PNG": Image.fromarray(rng.integers(0, 256, size=(70, 90, 3), dtype=np.uint8), "RGB"),
        "palette.png": palette,
        "rgba.png": Image.fromarray(rgba, "RGBA"),
        "set_a/grey.png": Image.fromarray(np.full((80, 50), 200, dtype=np.uint8), "L"),
        "set_a/wide.jpg": Image.fromarray(rng.integers(0, 256, size=(200, 300, 3), dtype=np.uint8), "RGB"),
        "set_a/deeper/grey16.png": grey16,
    }  # in os.walk order: sorted files of a folder, then its sorted subfolders
    written = []
    for rel, img in images.items():
        img.save(path / rel)
        written.append(path / rel)
    skipped = [path / "notes.txt", path / "set_a" / "labels.csv", path / ".hidden.png", path / ".cache" / "thumb.png"]
    skipped[0].write_text("not an image\n")
    skipped[1].write_text("file,label\n")
    for hidden in skipped[2:]:
        images["rgba.png"].save(hidden)
    return FolderFixture(path, written, skipped)


def go_offline(monkeypatch) -> None:
    """Make every host lookup fail, as on this offline machine, so download paths are exercised but never fetch."""
    import socket

    def refuse(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known (offline test)")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def assert_one_line_unavailable(message: str, *needles: str) -> None:
    """The missing-data message contract: one line that names every ``needle`` (files, directory, command)."""
    assert "\n" not in message, message
    for needle in needles:
        assert str(needle) in message, f"{needle!r} not in {message!r}"

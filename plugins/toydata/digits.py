"""scikit-learn's bundled 8x8 digits, and the stacked three-digit variant (1,000 modes, labelled 100a + 10b + c).

The 1,797 digits ship with scikit-learn, so these datasets work offline. The
train/test split is fixed (stratified, seed 0) so that held-out digits stay
held out for every run and every metric.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganbench.plugin import DatasetOptions, DataSpec, IncompatibleError, TensorGanDataset

from .catalogue import (
    DIGITS_DEFAULT_RESOLUTION,
    STACKED_TEST_SIZE,
    STACKED_TRAIN_SIZE,
    TEST_FRACTION,
)

SUPPORTED_RESOLUTIONS = (8, 16, 28, 32, 64)


def _resolution(options: DatasetOptions) -> int:
    side = options.resolution or DIGITS_DEFAULT_RESOLUTION
    if side not in SUPPORTED_RESOLUTIONS:
        valid = ", ".join(map(str, SUPPORTED_RESOLUTIONS))
        raise IncompatibleError(f"digits resolution {side} is not supported; valid: {valid}")
    return side


def load_digit_splits(side: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Digits as ``(N, 1, side, side)`` floats in [-1, 1] with labels, split 80/20 stratified."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0  # values 0..16
    labels = torch.tensor(bunch.target, dtype=torch.long)
    if side != images.shape[-1]:
        images = F.interpolate(images, size=(side, side), mode="bilinear", align_corners=False).clamp(0, 1)
    images = images * 2 - 1
    train_idx, test_idx = train_test_split(
        torch.arange(len(labels)).numpy(), test_size=TEST_FRACTION, random_state=0, stratify=labels.numpy()
    )
    return {
        "train": (images[train_idx], labels[train_idx]),
        "test": (images[test_idx], labels[test_idx]),
    }


def make_digits(options: DatasetOptions) -> TensorGanDataset:
    side = _resolution(options)
    spec = DataSpec(
        name="digits",
        kind="image",
        shape=(1, side, side),
        num_classes=10,
        fid_extractor="ganbench-digits",
        fid_split="test",
    )
    return TensorGanDataset(spec, load_digit_splits(side))


def stack_digits(
    images: torch.Tensor, labels: torch.Tensor, n: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images whose three channels are independently drawn digits; label = 100a + 10b + c."""
    picks = torch.randint(len(labels), (n, 3), generator=generator)
    stacked = images[picks, 0]  # (n, 3, H, W)
    triple = labels[picks]
    return stacked, triple[:, 0] * 100 + triple[:, 1] * 10 + triple[:, 2]


def make_stacked_digits(options: DatasetOptions) -> TensorGanDataset:
    side = _resolution(options)
    digits = load_digit_splits(side)
    generator = torch.Generator().manual_seed(20_011 + options.seed)
    spec = DataSpec(
        name="stacked-digits",
        kind="image",
        shape=(3, side, side),
        num_classes=1000,
        fid_extractor="ganbench-digits",
        fid_split="test",
        extra={"stacked": 3, "digit_classes": 10, "label_encoding": "100*a + 10*b + c"},
    )
    splits = {
        "train": stack_digits(*digits["train"], STACKED_TRAIN_SIZE, generator),
        "test": stack_digits(*digits["test"], STACKED_TEST_SIZE, generator),
    }
    return TensorGanDataset(spec, splits)

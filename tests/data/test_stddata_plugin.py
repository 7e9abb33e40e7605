"""The stddata plugin as the registry sees it: entries, factories, locate, import cost."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ganbench.builtins.stddata import celeba, cifar, mnist
from ganbench.plugin import DatasetOptions
from ganbench.registry import get_registry
from tests.data.fixtures import make_cifar10, make_image_folder, make_mnist, patch_checksums

EXPECTED = {
    "mnist": ((1, 28, 28), 60_000, False),
    "fashion-mnist": ((1, 28, 28), 60_000, False),
    "cifar10": ((3, 32, 32), 50_000, False),
    "celeba": ((3, 64, 64), 162_770, False),
    "folder": ((3, 64, 64), None, True),
}


def test_registered_through_the_entry_point():
    registry = get_registry(strict=True)
    entries = {e.name: e for e in registry.datasets()}
    for name, (shape, size, parameterised) in EXPECTED.items():
        entry = entries[name]
        assert (entry.shape, entry.size, entry.parameterised, entry.kind) == (shape, size, parameterised, "image")
        assert entry.origin.plugin == "stddata" and entry.description
        assert (entry.locate is None) == (name == "folder")


def test_factories_build_through_the_registry(tmp_path, monkeypatch):
    make_mnist(tmp_path)
    make_cifar10(tmp_path)
    patch_checksums(monkeypatch, tmp_path)
    make_image_folder(tmp_path / "imgs")
    registry = get_registry(strict=True)
    for name, shape in (("mnist", (1, 28, 28)), ("cifar10", (3, 32, 32)), (f"folder:{tmp_path / 'imgs'}", (3, 64, 64))):
        entry, argument = registry.dataset(name)
        dataset = entry.factory(DatasetOptions(root=tmp_path, argument=argument))
        assert dataset.spec.shape == shape and dataset.spec.fid_extractor == "inception-v3-compat"


def test_locate_finds_present_data_only(tmp_path):
    entries = {e.name: e for e in get_registry(strict=True).datasets()}
    assert all(entries[n].locate(tmp_path) is None for n in ("mnist", "fashion-mnist", "cifar10", "celeba"))
    make_mnist(tmp_path, archives=False)
    make_cifar10(tmp_path)
    assert entries["mnist"].locate(tmp_path) == tmp_path / "MNIST" / "raw"
    assert entries["fashion-mnist"].locate(tmp_path) is None
    assert entries["cifar10"].locate(tmp_path) == tmp_path / "cifar-10-batches-py"


def test_file_names_used_by_locate_match_torchvision():
    """``locate`` avoids importing torchvision, so its file lists are copies: keep them honest."""
    import os

    from torchvision.datasets import CIFAR10, MNIST, CelebA, FashionMNIST

    for cls in (MNIST, FashionMNIST):
        assert mnist.RAW_FILES == tuple(os.path.splitext(os.path.basename(f))[0] for f, _ in cls.resources)
    assert cifar.FILES == (*(f for f, _ in [*CIFAR10.train_list, *CIFAR10.test_list]), CIFAR10.meta["filename"])
    assert cifar.BASE_FOLDER == CIFAR10.base_folder and cifar.ARCHIVE == CIFAR10.filename and cifar.URL == CIFAR10.url
    assert set(celeba.ANNOTATIONS) | {celeba.ARCHIVE} == {name for _, _, name in CelebA.file_list}
    assert celeba.BASE_FOLDER == CelebA.base_folder


@pytest.mark.parametrize("module", ["ganbench.builtins.stddata"])
def test_import_does_not_load_torchvision(module):
    code = f"import sys, {module}; print('torchvision' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"

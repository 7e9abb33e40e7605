"""MNIST and Fashion-MNIST through the real torchvision loaders on IDX fixtures."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from ganbench.builtins.stddata import mnist
from ganbench.plugin import DatasetOptions, DatasetUnavailableError, IncompatibleError
from tests.data.fixtures import assert_one_line_unavailable, go_offline, make_mnist

KINDS = [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")]


@pytest.mark.parametrize(("name", "tv_class"), KINDS)
def test_tensors_are_the_written_pixels_scaled(tmp_path, name, tv_class):
    fixture = make_mnist(tmp_path, tv_class=tv_class)
    dataset = mnist.load(name, DatasetOptions(root=tmp_path))
    assert dataset.spec.shape == (1, 28, 28)
    assert dataset.spec.num_classes == 10 and dataset.spec.fid_split == "train"
    assert dataset.splits == ("train", "test")
    for split in ("train", "test"):
        images, labels = fixture.splits[split]
        x, y = dataset.tensors(split)
        assert x.dtype == torch.float32 and x.shape == (len(images), 1, 28, 28)
        expected = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
        torch.testing.assert_close(x, expected, rtol=0, atol=1e-6)
        assert torch.equal(y, torch.from_numpy(labels).long())
    assert float(dataset.tensors("train")[0].min()) == -1.0 and float(dataset.tensors("train")[0].max()) == 1.0
    item_x, item_y = dataset.split("train")[3]
    assert torch.equal(item_x, dataset.tensors("train")[0][3]) and int(item_y) == int(fixture.splits["train"][1][3])
    assert len(dataset) == 40


@pytest.mark.parametrize("resolution", [32, 16])
def test_resolution_override_resizes(tmp_path, resolution):
    make_mnist(tmp_path)
    dataset = mnist.load("mnist", DatasetOptions(root=tmp_path, resolution=resolution))
    x, _ = dataset.tensors("train")
    assert dataset.spec.shape == (1, resolution, resolution) and x.shape[1:] == (1, resolution, resolution)
    assert x.min() >= -1 and x.max() <= 1
    # Resizing keeps each image's mean brightness (antialiased bilinear): a real resize, not a crop or pad.
    native = mnist.load("mnist", DatasetOptions(root=tmp_path)).tensors("train")[0]
    torch.testing.assert_close(x.mean(dim=(1, 2, 3)), native.mean(dim=(1, 2, 3)), atol=0.03, rtol=0)


def test_bad_resolution_is_a_user_error(tmp_path):
    from ganbench.errors import UserError

    make_mnist(tmp_path)
    with pytest.raises(UserError, match="resolution 2 is invalid"):
        mnist.load("mnist", DatasetOptions(root=tmp_path, resolution=2))


def test_unknown_split_names_valid_ones(tmp_path):
    make_mnist(tmp_path)
    with pytest.raises(IncompatibleError, match="valid splits: train, test"):
        mnist.load("mnist", DatasetOptions(root=tmp_path)).tensors("valid")


@pytest.mark.parametrize(("name", "tv_class"), KINDS)
def test_missing_offline_is_one_fast_line(tmp_path, monkeypatch, name, tv_class):
    go_offline(monkeypatch)
    start = time.perf_counter()
    with pytest.raises(DatasetUnavailableError) as info:
        mnist.load(name, DatasetOptions(root=tmp_path))
    assert time.perf_counter() - start < 10
    raw = tmp_path / tv_class / "raw"
    assert_one_line_unavailable(
        str(info.value),
        name,
        "train-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
        str(raw),
        f"torchvision.datasets.{tv_class}('{tmp_path}', download=True)",
        "download failed",
    )


def test_missing_without_download_does_not_touch_network(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network used although download=False")

    monkeypatch.setattr("socket.getaddrinfo", no_network)
    with pytest.raises(DatasetUnavailableError, match="download disabled"):
        mnist.load("mnist", DatasetOptions(root=tmp_path, download=False))


def test_one_missing_file_is_named_alone(tmp_path, monkeypatch):
    go_offline(monkeypatch)
    fixture = make_mnist(tmp_path, archives=False)
    (fixture.raw_dir / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetUnavailableError) as info:
        mnist.load("mnist", DatasetOptions(root=tmp_path))
    message = str(info.value)
    assert "missing t10k-labels-idx1-ubyte in" in message and "train-images-idx3-ubyte," not in message


def test_truncated_idx_is_reported_as_corrupt(tmp_path, monkeypatch):
    go_offline(monkeypatch)
    fixture = make_mnist(tmp_path)
    path = fixture.raw_dir / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DatasetUnavailableError) as info:
        mnist.load("mnist", DatasetOptions(root=tmp_path))
    assert_one_line_unavailable(str(info.value), "corrupt or truncated train-images-idx3-ubyte", str(fixture.raw_dir))


@pytest.mark.parametrize("download", [True, False])
def test_truncated_idx_is_not_called_a_failed_download(tmp_path, monkeypatch, download):
    """All four files are there, so nothing is downloaded: the message must not blame a download."""
    go_offline(monkeypatch)
    fixture = make_mnist(tmp_path)
    path = fixture.raw_dir / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(DatasetUnavailableError) as info:
        mnist.load("mnist", DatasetOptions(root=tmp_path, download=download))
    message = str(info.value)
    assert_one_line_unavailable(message, "corrupt or truncated train-labels-idx1-ubyte", "header says")
    assert "download" not in message.split("; fetch:")[0], message


def test_label_count_mismatch_is_not_a_silent_partial_dataset(tmp_path, monkeypatch):
    from tests.data.fixtures import idx_bytes

    go_offline(monkeypatch)
    fixture = make_mnist(tmp_path)
    labels = fixture.splits["train"][1][:-5]
    (fixture.raw_dir / "train-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
    with pytest.raises(DatasetUnavailableError, match="do not match 35 labels"):
        mnist.load("mnist", DatasetOptions(root=tmp_path))


def test_archive_with_wrong_md5_is_reported_corrupt(tmp_path, monkeypatch):
    go_offline(monkeypatch)
    fixture = make_mnist(tmp_path)  # the fixture's .gz files cannot match the real MNIST md5s
    (fixture.raw_dir / "train-images-idx3-ubyte").unlink()
    with pytest.raises(DatasetUnavailableError) as info:
        mnist.load("mnist", DatasetOptions(root=tmp_path))
    assert "train-images-idx3-ubyte.gz (md5 mismatch)" in str(info.value)


def test_test_split_is_read_lazily_and_validated(tmp_path, monkeypatch):
    go_offline(monkeypatch)
    fixture = make_mnist(tmp_path)
    dataset = mnist.load("mnist", DatasetOptions(root=tmp_path))
    path = fixture.raw_dir / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(DatasetUnavailableError, match="t10k-images-idx3-ubyte"):
        dataset.tensors("test")

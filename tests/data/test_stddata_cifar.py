"""CIFAR-10 through torchvision's loader (md5 lists pointed at the fixture) on python-pickle batches."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from ganbench.builtins.stddata import cifar
from ganbench.plugin import DatasetOptions, DatasetUnavailableError
from tests.data.fixtures import assert_one_line_unavailable, go_offline, make_cifar10, md5, patch_checksums


@pytest.fixture
def cifar_root(tmp_path, monkeypatch):
    fixture = make_cifar10(tmp_path)
    patch_checksums(monkeypatch, tmp_path)
    go_offline(monkeypatch)
    return fixture


def test_tensors_are_the_written_pixels_in_chw(cifar_root):
    dataset = cifar.load(DatasetOptions(root=cifar_root.root))
    assert dataset.spec.shape == (3, 32, 32) and dataset.spec.num_classes == 10 and dataset.spec.fid_split == "train"
    for split, n in (("train", 40), ("test", 10)):
        images, labels = cifar_root.splits[split]
        x, y = dataset.tensors(split)
        assert x.shape == (n, 3, 32, 32) and x.dtype == torch.float32 and x.is_contiguous()
        expected = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2)
        torch.testing.assert_close(x, expected, rtol=0, atol=1e-6)
        assert torch.equal(y, torch.from_numpy(labels).long())
    x, y = dataset.split("test")[2]
    assert torch.equal(x, dataset.tensors("test")[0][2]) and int(y) == int(cifar_root.splits["test"][1][2])


def test_resolution_override(cifar_root):
    dataset = cifar.load(DatasetOptions(root=cifar_root.root, resolution=16))
    x, _ = dataset.tensors("train")
    assert x.shape == (40, 3, 16, 16) and dataset.spec.shape == (3, 16, 16)
    # the resize agrees with PIL's antialiased bilinear resize (the usual reference) to within rounding
    from PIL import Image

    from ganbench.builtins.stddata.common import resize_batch

    image = cifar_root.splits["train"][0][0]
    reference = np.asarray(Image.fromarray(image).resize((16, 16), Image.Resampling.BILINEAR), dtype=np.float32)
    ours = resize_batch(torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1, 16)[0]
    torch.testing.assert_close(ours, torch.from_numpy(reference).permute(2, 0, 1) / 127.5 - 1, atol=3 / 127.5, rtol=0)


def test_real_checksum_list_reports_fixture_as_corrupt(tmp_path, monkeypatch):
    go_offline(monkeypatch)
    make_cifar10(tmp_path)  # not patched: torchvision's real md5 list cannot match
    with pytest.raises(DatasetUnavailableError) as info:
        cifar.load(DatasetOptions(root=tmp_path))
    assert_one_line_unavailable(
        str(info.value), "corrupt or truncated data_batch_1 (md5 mismatch)", "batches.meta (md5 mismatch)"
    )


def test_one_corrupted_file_is_named(cifar_root):
    path = cifar_root.folder / "data_batch_3"
    path.write_bytes(path.read_bytes()[:-7])  # checksum list still has the intact file's md5
    with pytest.raises(DatasetUnavailableError) as info:
        cifar.load(DatasetOptions(root=cifar_root.root))
    message = str(info.value)
    assert "data_batch_3 (md5 mismatch)" in message and "data_batch_2" not in message
    assert "download failed" in message


def test_truncated_pickle_with_matching_md5_is_a_clear_error(cifar_root, monkeypatch):
    from torchvision.datasets import CIFAR10

    path = cifar_root.folder / "data_batch_2"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    monkeypatch.setattr(CIFAR10, "train_list", [[n, md5(cifar_root.folder / n)] for n, _ in CIFAR10.train_list])
    with pytest.raises(DatasetUnavailableError) as info:
        cifar.load(DatasetOptions(root=cifar_root.root))
    assert_one_line_unavailable(str(info.value), "corrupt or truncated data_batch_2 (", str(cifar_root.folder))
    assert "data_batch_1" not in str(info.value)


def test_missing_offline_is_one_fast_line(tmp_path, monkeypatch):
    go_offline(monkeypatch)
    start = time.perf_counter()
    with pytest.raises(DatasetUnavailableError) as info:
        cifar.load(DatasetOptions(root=tmp_path))
    assert time.perf_counter() - start < 10
    assert_one_line_unavailable(
        str(info.value),
        "missing data_batch_1, data_batch_2, data_batch_3, data_batch_4, data_batch_5, test_batch, batches.meta",
        str(tmp_path / "cifar-10-batches-py"),
        f"torchvision.datasets.CIFAR10('{tmp_path}', download=True)",
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "download failed",
    )


def test_archive_placed_by_hand_is_extracted_without_network(tmp_path, monkeypatch):
    """The documented offline route: drop the tarball into the root; torchvision md5-checks and extracts it."""
    import tarfile

    from torchvision.datasets import CIFAR10

    go_offline(monkeypatch)
    source = make_cifar10(tmp_path / "src")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source.folder, arcname="cifar-10-batches-py")
    patch_checksums(monkeypatch, tmp_path / "src")
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5(archive))
    dataset = cifar.load(DatasetOptions(root=tmp_path))
    assert dataset.tensors("train")[0].shape == (40, 3, 32, 32)
    assert cifar.locate(tmp_path) == tmp_path / "cifar-10-batches-py"

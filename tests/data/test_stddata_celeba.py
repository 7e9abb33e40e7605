"""CelebA through torchvision's loader on the real folder layout and annotation files."""

from __future__ import annotations

import time

import pytest
import torch
from PIL import Image

from ganbench.builtins.stddata import celeba
from ganbench.plugin import DatasetOptions, DatasetUnavailableError, IncompatibleError
from tests.data.fixtures import assert_one_line_unavailable, go_offline, make_celeba, patch_checksums


@pytest.fixture
def celeba_root(tmp_path, monkeypatch):
    fixture = make_celeba(tmp_path)
    patch_checksums(monkeypatch, tmp_path)
    go_offline(monkeypatch)
    return fixture


def dcgan_reference(path, size):
    """The PyTorch DCGAN tutorial's CelebA pipeline, as an independent reference."""
    from torchvision import transforms

    pipeline = transforms.Compose(
        [
            transforms.Resize(size),
            transforms.CenterCrop(size),
            transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]
    )
    with Image.open(path) as img:
        return pipeline(img.convert("RGB"))


@pytest.mark.parametrize("resolution", [None, 32])
def test_items_follow_the_dcgan_preprocessing(celeba_root, resolution):
    dataset = celeba.load(DatasetOptions(root=celeba_root.root, resolution=resolution))
    size = resolution or 64
    assert dataset.spec.shape == (3, size, size) and dataset.spec.num_classes is None
    assert dataset.spec.fid_split == "train" and dataset.tensors("train") is None
    train = dataset.split("train")
    assert len(train) == len(celeba_root.partition["train"]) == len(dataset)
    for index in (0, len(train) - 1):
        x, label = train[index]
        assert label == -1 and x.dtype == torch.float32 and x.shape == (3, size, size)
        expected = dcgan_reference(
            celeba_root.folder / "img_align_celeba" / celeba_root.partition["train"][index], size
        )
        torch.testing.assert_close(x, expected, atol=1e-5, rtol=0)


def test_splits_follow_the_official_partition(celeba_root):
    dataset = celeba.load(DatasetOptions(root=celeba_root.root))
    for split in ("valid", "test"):
        files = dataset.split(split).paths
        assert [p.rsplit("/", 1)[-1] for p in files] == celeba_root.partition[split]
    assert len(dataset.split("all")) == 12
    with pytest.raises(IncompatibleError, match="valid splits: train, valid, test, all"):
        dataset.split("val")


def test_missing_offline_names_files_layout_and_command(tmp_path, monkeypatch):
    go_offline(monkeypatch)
    start = time.perf_counter()
    with pytest.raises(DatasetUnavailableError) as info:
        celeba.load(DatasetOptions(root=tmp_path))
    assert time.perf_counter() - start < 10
    folder = tmp_path / "celeba"
    assert_one_line_unavailable(
        str(info.value),
        "img_align_celeba/ (from img_align_celeba.zip)",
        *celeba.ANNOTATIONS,
        str(folder),
        f"{folder}/img_align_celeba/000001.jpg",
        f"torchvision.datasets.CelebA('{tmp_path}', download=True)",
        "rate-limited",
    )


def test_real_checksums_report_fixture_annotations_as_corrupt(tmp_path, monkeypatch):
    go_offline(monkeypatch)
    make_celeba(tmp_path)
    with pytest.raises(DatasetUnavailableError) as info:
        celeba.load(DatasetOptions(root=tmp_path))
    assert "list_eval_partition.txt (md5 mismatch)" in str(info.value)
    assert "img_align_celeba/" not in str(info.value).split("; fetch:")[0]


def test_interrupted_extraction_is_an_error_not_a_smaller_dataset(celeba_root):
    (celeba_root.folder / "img_align_celeba" / celeba_root.partition["train"][2]).unlink()
    with pytest.raises(DatasetUnavailableError, match=r"1 of 6 images of the train split are missing .*000003\.jpg"):
        celeba.load(DatasetOptions(root=celeba_root.root))


def test_corrupt_image_names_the_file(celeba_root):
    from ganbench.data.loaders import all_samples

    bad = celeba_root.folder / "img_align_celeba" / celeba_root.partition["train"][1]
    bad.write_bytes(bad.read_bytes()[:200])
    dataset = celeba.load(DatasetOptions(root=celeba_root.root))
    with pytest.raises(DatasetUnavailableError, match=f"cannot read image {bad}") as info:
        all_samples(dataset, "train", None, seed=0, num_workers=0)
    assert "\n" not in str(info.value)


def test_zip_left_in_place_is_extracted_offline(tmp_path, monkeypatch):
    fixture = make_celeba(tmp_path, zipped=True)
    patch_checksums(monkeypatch, tmp_path)
    go_offline(monkeypatch)
    assert celeba.locate(tmp_path) is None
    dataset = celeba.load(DatasetOptions(root=tmp_path))
    assert len(dataset.split("train")) == 6 and (fixture.folder / "img_align_celeba" / "000001.jpg").is_file()
    assert celeba.locate(tmp_path) == fixture.folder


def test_corrupt_zip_is_reported(tmp_path, monkeypatch):
    fixture = make_celeba(tmp_path, zipped=True)
    patch_checksums(monkeypatch, tmp_path)
    go_offline(monkeypatch)
    zipped = fixture.folder / "img_align_celeba.zip"
    zipped.write_bytes(zipped.read_bytes()[:100])
    with pytest.raises(DatasetUnavailableError, match=r"img_align_celeba\.zip \(md5 mismatch\)"):
        celeba.load(DatasetOptions(root=tmp_path))

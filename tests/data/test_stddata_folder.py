"""folder:PATH over a tree of mixed sizes and modes, with files that must be skipped."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ganbench.builtins.stddata import folder
from ganbench.builtins.stddata.common import convert_mode
from ganbench.plugin import DatasetOptions, DatasetUnavailableError
from tests.data.fixtures import make_image_folder


@pytest.fixture
def tree(tmp_path):
    return make_image_folder(tmp_path / "faces")


def items(dataset):
    split = dataset.split("train")
    return [split[i] for i in range(len(split))]


def test_finds_images_recursively_and_skips_the_rest(tree, tmp_path):
    dataset = folder.load(DatasetOptions(root=tmp_path, argument=str(tree.path)))
    assert dataset.files == [str(p) for p in tree.images]
    assert len(dataset) == 6 and dataset.spec.extra["files"] == 6
    assert dataset.spec.name == f"folder:{tree.path}" and dataset.spec.shape == (3, 64, 64)
    assert dataset.spec.num_classes is None and dataset.tensors("train") is None


def test_every_mode_becomes_rgb_at_the_resolution(tree, tmp_path):
    dataset = folder.load(DatasetOptions(root=tmp_path, argument=str(tree.path), resolution=32))
    by_name = {p.name: x for p, (x, label) in zip(tree.images, items(dataset), strict=True)}
    for x in by_name.values():
        assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and x.min() >= -1 and x.max() <= 1
    # RGBA: transparent left half composited over white, opaque right half stays red
    rgba = by_name["rgba.png"]
    torch.testing.assert_close(rgba[:, :, :14], torch.ones(3, 32, 14))
    torch.testing.assert_close(rgba[:, :, 18:], torch.tensor([1.0, -1.0, -1.0]).view(3, 1, 1).expand(3, 32, 14))
    # greyscale replicated into three equal channels; 8-bit 200 -> 200/127.5 - 1
    grey = by_name["grey.png"]
    torch.testing.assert_close(grey, torch.full((3, 32, 32), 200 / 127.5 - 1))
    # 16-bit white is scaled to 8-bit white, not clipped or wrapped
    torch.testing.assert_close(by_name["grey16.png"], torch.ones(3, 32, 32))


def test_palette_image_keeps_its_colours(tree):
    with Image.open(tree.path / "palette.png") as img:
        assert img.mode == "P"
        expected = np.asarray(img.convert("RGB"))
        converted = np.asarray(convert_mode(img, 3))
    assert np.array_equal(converted, expected)


def test_wide_image_is_resized_on_the_short_side_then_center_cropped(tree, tmp_path):
    from torchvision import transforms

    dataset = folder.load(DatasetOptions(root=tmp_path, argument=str(tree.path)))
    x = items(dataset)[tree.images.index(tree.path / "set_a" / "wide.jpg")][0]
    reference = transforms.Compose([transforms.Resize(64), transforms.CenterCrop(64), transforms.PILToTensor()])
    with Image.open(tree.path / "set_a" / "wide.jpg") as img:
        expected = reference(img.convert("RGB")).float() / 127.5 - 1
    torch.testing.assert_close(x, expected, atol=1e-5, rtol=0)


def test_single_channel_folder(tree, tmp_path):
    dataset = folder.FolderDataset(DatasetOptions(root=tmp_path, argument=str(tree.path)), channels=1)
    assert dataset.spec.shape == (1, 64, 64)
    assert all(x.shape == (1, 64, 64) for x, _ in items(dataset))


def test_relative_path_falls_back_to_the_data_root(tree, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "faces" / "set_a")
    dataset = folder.load(DatasetOptions(root=tmp_path, argument="faces"))
    assert dataset.path == tree.path


def test_missing_and_empty_folders_are_one_line_errors(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="no such directory") as info:
        folder.load(DatasetOptions(root=tmp_path, argument="nowhere"))
    assert "\n" not in str(info.value)
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "readme.txt").write_text("x")
    with pytest.raises(DatasetUnavailableError, match=r"no images under .*empty \(searched subfolders for \.jpg"):
        folder.load(DatasetOptions(root=tmp_path, argument=str(tmp_path / "empty")))


def test_unreadable_image_names_the_file(tree, tmp_path):
    bad = tree.path / "set_a" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    dataset = folder.load(DatasetOptions(root=tmp_path, argument=str(tree.path)))
    split = dataset.split("train")
    with pytest.raises(DatasetUnavailableError, match=f"cannot read image {bad}"):
        split[dataset.files.index(str(bad))]


def test_truncated_jpeg_is_an_error_not_a_grey_image(tree, tmp_path):
    jpeg = tree.path / "set_a" / "wide.jpg"
    jpeg.write_bytes(jpeg.read_bytes()[:-400])
    dataset = folder.load(DatasetOptions(root=tmp_path, argument=str(tree.path)))
    with pytest.raises(DatasetUnavailableError, match="truncated"):
        dataset.split("train")[dataset.files.index(str(jpeg))]


def test_one_subfolder_per_class_gives_labels(tmp_path):
    root = tmp_path / "classes"
    for name, count in (("cats", 2), ("dogs", 3)):
        (root / name / "nested").mkdir(parents=True)
        for i in range(count):  # nested deeper still belongs to the first-level class
            Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(root / name / ("nested" if i else "") / f"{i}.png")
    dataset = folder.load(DatasetOptions(root=tmp_path, argument=str(root), resolution=16))
    assert dataset.spec.num_classes == 2 and dataset.spec.extra["classes"] == ["cats", "dogs"]
    assert sorted(label for _, label in items(dataset)) == [0, 0, 1, 1, 1]
    (root / "stray.png").write_bytes((root / "cats" / "0.png").read_bytes())  # an image at the top: unlabelled
    flat = folder.load(DatasetOptions(root=tmp_path, argument=str(root), resolution=16))
    assert flat.spec.num_classes is None and {label for _, label in items(flat)} == {-1}

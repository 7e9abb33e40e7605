"""Traversal pictures: 25 categories in 25 distinguishable colours, labelled rows, readable size."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganbench.results.pictures import CATEGORY_COLOURS, save_category_scatter, save_labelled_grid


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """sRGB -> CIELAB (D65), written out here so the test does not trust the code under test."""

    def linear(u: float) -> float:
        u /= 255
        return ((u + 0.055) / 1.055) ** 2.4 if u > 0.04045 else u / 12.92

    r, g, b = (linear(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_25_category_colours_are_distinct():
    assert len(set(CATEGORY_COLOURS)) == 25
    closest = min(math.dist(_lab(a), _lab(b)) for a, b in itertools.combinations(CATEGORY_COLOURS, 2))
    assert closest >= 15  # CIELAB ΔE; ~2 is barely visible, 10+ reads as a different colour


def test_category_scatter_draws_each_of_25_categories_in_its_own_colour(tmp_path: Path):
    cats = torch.arange(25).repeat_interleave(20)
    points = torch.randn(len(cats), 2) * 0.1 + torch.stack([(cats % 5).float(), (cats // 5).float()], dim=1)
    path = tmp_path / "t.png"
    save_category_scatter(points, cats, path, title="traversal")
    pixels = {tuple(p) for p in np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)}
    for colour in CATEGORY_COLOURS:
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in pixels, colour  # in the cloud and in the legend


def test_labelled_grid_is_readable_and_has_a_label_column(tmp_path: Path):
    k, cols = 10, 8
    images = torch.zeros(k * cols * 2, 1, 16, 16) - 1
    labels = [f"code {c}" for c in range(k)] + [f"code {c} · c1" for c in range(k)]
    path = tmp_path / "g.png"
    save_labelled_grid(images, path, ncol=cols, row_labels=labels, blocks=[(0, "a"), (k, "b")], title="t")
    with Image.open(path) as im:
        width, height = im.size
        arr = np.asarray(im.convert("L"))
    grid_px = cols * (16 + 2) * 2  # 16 px images drawn at >= 32 px
    assert width >= 256 and width >= grid_px + 60  # room for the row labels left of the grid
    assert height >= 2 * k * (16 + 2) * 2
    assert (arr[:, : width - grid_px - 10] < 128).any()  # the label column holds (dark) text


def test_infogan_traversal_on_digits_is_labelled_and_readable(tmp_path: Path):
    """The real traversal of an (untrained) InfoGAN on 16 px digits: rows for 10 categories and each of
    the 2 continuous codes, drawn >= 256 px wide with a label column."""
    from ganbench.data.base import DatasetOptions
    from ganbench.engine.build import build_models
    from ganbench.registry import get_registry
    from ganbench.runner.codes import save_traversal

    registry = get_registry()
    data = registry.dataset("digits")[0].factory(DatasetOptions(root=tmp_path))
    models = build_models(registry, registry.variant("infogan").variant.recipe_for("image"), data.spec)
    path = tmp_path / "traversal.png"
    save_traversal(models, data, torch.device("cpu"), path)
    with Image.open(path) as im:
        width, height = im.size
    grid_w = 8 * (16 + 2) * 2
    assert width >= max(256, grid_w + 60)
    assert height >= 3 * 10 * (16 + 2) * 2  # categorical rows + a block per continuous code

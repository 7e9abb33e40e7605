"""Conditional metrics against hand computations and a scipy FID; balanced labels; the class grid."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import linalg

from ganbench.metrics import conditional
from ganbench.metrics.digits_classifier import sklearn_digits_split
from ganbench.results.pictures import class_grid


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_per_class_accuracy_by_hand() -> None:
    wanted = torch.tensor([0, 0, 0, 0, 1, 1])
    predicted = torch.tensor([0, 0, 0, 1, 1, 0])
    # class 0: 3 of 4; class 1: 1 of 2 -> mean of the per-class shares, (0.75 + 0.5) / 2
    assert conditional.per_class_accuracy(predicted, wanted) == pytest.approx(0.625)
    assert math.isnan(conditional.per_class_accuracy(predicted[:0], wanted[:0]))


def test_mixture_class_accuracy_counts_own_mode_high_quality_samples() -> None:
    centres = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    std = 0.01
    samples = torch.tensor(
        [
            [0.0, 0.01],  # class 0, at its own centre (1σ): counts
            [1.0, 0.0],  # asked for 0, landed on mode 1: does not count
            [0.0, 0.5],  # asked for 0, between modes (not HQ): does not count
            [1.0, 0.02],  # class 1 at its centre (2σ): counts
        ]
    )
    wanted = torch.tensor([0, 0, 0, 1])
    assert conditional.mixture_class_accuracy(samples, wanted, centres, std) == pytest.approx((1 / 3 + 1) / 2)


def _scipy_fid(a: np.ndarray, b: np.ndarray) -> float:
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def test_intra_fid_is_the_mean_of_per_class_scipy_fids() -> None:
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(300, 3, generator=gen, dtype=torch.float64)
    real_labels = torch.arange(300) % 3
    fake = torch.randn(150, 3, generator=gen, dtype=torch.float64) * 1.5 + real_labels[:150, None] * 0.7
    fake_labels = torch.arange(150) % 3
    out = conditional.intra_fid(real, real_labels, fake, fake_labels)
    expected = np.mean([_scipy_fid(real[real_labels == k].numpy(), fake[fake_labels == k].numpy()) for k in range(3)])
    assert out["intra_fid"] == pytest.approx(expected, rel=1e-6)
    assert (out["intra_fid_classes"], out["intra_fid_n_fake"], out["intra_fid_n_real"]) == (3, 50, 100)


def test_intra_fid_is_all_classes_or_none() -> None:
    """A class short of samples withholds intra-FID (a note names it) instead of averaging the others."""
    n = conditional.INTRA_FID_MIN_N
    real, fake = torch.randn(4 * n, 2), torch.randn(3 * n, 2)
    real_labels = torch.arange(4 * n) % 2
    fake_labels = torch.tensor([0] * (2 * n) + [1] * (n - 1) + [0])  # class 1: n - 1 generated samples
    out = conditional.intra_fid(real, real_labels, fake, fake_labels)
    assert "intra_fid" not in out
    assert (out["intra_fid_classes"], out["intra_fid_n_fake"], out["intra_fid_n_real"]) == (2, n - 1, 2 * n)
    assert out["intra_fid_note"].startswith(f"intra_fid: not computed, class 1 has {2 * n} real and {n - 1} generated")
    fake_labels[-1] = 1  # now n of each class ... enough
    out = conditional.intra_fid(real, real_labels, fake, fake_labels)
    assert math.isfinite(out["intra_fid"]) and "intra_fid_note" not in out
    assert conditional.intra_fid(real, real_labels, fake[:0], fake_labels[:0]) == {"intra_fid_classes": 0}


def test_stacked_label_is_the_datasets_encoding() -> None:
    per_channel = torch.tensor([[1, 2, 3], [0, 0, 9], [9, 9, 9]])
    assert conditional.stacked_label(per_channel).tolist() == [123, 9, 999]


def test_cas_is_high_for_correct_labels_and_chance_for_shuffled_ones() -> None:
    """Trained on real labelled digits CAS is the architecture's accuracy; on shuffled labels it is near chance."""
    split = sklearn_digits_split()
    (x_tr, y_tr), (x_te, y_te) = split["train"], split["held_out"]
    cpu = torch.device("cpu")
    right = conditional.classification_accuracy_score(x_tr, y_tr, x_te, y_te, cpu, epochs=2)
    small = slice(0, 300)
    shuffled = y_tr[torch.randperm(len(y_tr), generator=torch.Generator().manual_seed(1))]
    wrong = conditional.classification_accuracy_score(x_tr[small], shuffled[small], x_te, y_te, cpu, epochs=2)
    assert right > 0.85 and wrong < 0.3
    again = conditional.classification_accuracy_score(x_tr[small], shuffled[small], x_te, y_te, cpu, epochs=2)
    assert again == wrong  # seeded


def test_class_grid_puts_one_class_per_row() -> None:
    labels = torch.tensor([2, 0, 1, 0, 2, 2, 1, 0])
    images = labels.float().view(-1, 1, 1, 1).expand(-1, 1, 2, 2).clone()
    grid = class_grid(images, labels, columns=3)
    assert grid.shape == (9, 1, 2, 2)
    rows = grid.view(3, 3, -1)[:, :, 0]
    assert rows.tolist() == [[0, 0, 0], [1, 1, -1], [2, 2, 2]]  # class 1 has two samples: one blank pad


def test_evaluation_labels_are_class_balanced() -> None:
    from types import SimpleNamespace

    from ganbench.engine.steps import sample_labels

    g = SimpleNamespace(conditional=True)
    models = SimpleNamespace(generator=g, spec=SimpleNamespace(num_classes=7))
    labels = sample_labels(models, 70, torch.device("cpu"))
    assert torch.bincount(labels, minlength=7).tolist() == [10] * 7
    assert sample_labels(SimpleNamespace(generator=SimpleNamespace(), spec=None), 5, torch.device("cpu")) is None


def _class_accuracy_on(dataset: str, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """The registered ``class_accuracy`` metric on ``images`` generated "for" ``labels``."""
    from ganbench.builtins.metrics.measures import class_accuracy
    from ganbench.data.base import DatasetOptions
    from ganbench.metrics.inputs import MetricInputs
    from ganbench.registry import get_registry

    entry, _ = get_registry().dataset(dataset)
    spec = entry.factory(DatasetOptions(root=".")).spec
    values = {"fake": images, "fake_labels": labels}
    inputs = MetricInputs(
        "class_accuracy", frozenset({"fake", "fake_labels"}), spec, torch.device("cpu"), None, {}, values.__getitem__
    )
    return dict(class_accuracy(inputs))


def test_class_accuracy_on_stacked_digits_reads_every_channel() -> None:
    """Real stacked test digits labelled with their own triples score high; a wrong last digit scores zero."""
    from ganbench.builtins.toydata.digits import make_stacked_digits
    from ganbench.data.base import DatasetOptions

    images, labels = make_stacked_digits(DatasetOptions(root=".")).tensors("test")
    images, labels = images[:2000], labels[:2000]
    assert labels.max() > 99 and int(labels.unique().numel()) > 500  # 1,000 classes, 100a + 10b + c
    right = _class_accuracy_on("stacked-digits", images, labels)["class_accuracy"]
    assert right > 0.85, right  # about the classifier's per-digit accuracy cubed
    wrong_last = labels - labels % 10 + (labels % 10 + 1) % 10
    assert _class_accuracy_on("stacked-digits", images, wrong_last)["class_accuracy"] < 0.05

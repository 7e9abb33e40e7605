"""InfoGAN categorical-code accuracy: Hungarian matching against brute force over permutations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from ganbench.errors import UserError
from ganbench.metrics.infogan import categorical_code_accuracy


def test_permuted_labelling_is_perfect() -> None:
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(10, (2000,), generator=g)
    perm = torch.randperm(10, generator=g)
    assert categorical_code_accuracy(perm[labels], labels, 10) == 1.0


def test_logits_are_argmaxed() -> None:
    labels = torch.arange(10).repeat(5)
    logits = torch.nn.functional.one_hot((labels + 3) % 10, 10).float() * 5 + 0.1 * torch.randn(50, 10)
    assert categorical_code_accuracy(logits, labels, 10) == 1.0


def test_random_predictions_score_near_chance() -> None:
    g = torch.Generator().manual_seed(1)
    labels = torch.randint(10, (10_000,), generator=g)
    pred = torch.randint(10, (10_000,), generator=g)
    acc = categorical_code_accuracy(pred, labels, 10)
    assert 0.09 < acc < 0.14  # chance 0.1, plus the small gain of choosing the best matching


def test_partially_correct_by_construction() -> None:
    labels = np.repeat(np.arange(10), 100)
    pred = (labels + 1) % 10
    pred[::10] = (pred[::10] + 5) % 10  # spoil exactly 10% of the samples
    assert categorical_code_accuracy(pred, labels, 10) == pytest.approx(0.9)


@pytest.mark.parametrize("seed", range(5))
def test_matches_brute_force_over_permutations(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 5, 200)
    pred = np.where(rng.random(200) < 0.6, rng.permutation(5)[labels], rng.integers(0, 5, 200))
    best = max(
        sum(int(p) == perm[label] for p, label in zip(pred, labels, strict=True))
        for perm in itertools.permutations(range(5))
    )
    assert categorical_code_accuracy(pred, labels, 5) == pytest.approx(best / 200)


def test_rectangular_table_counts_unmatched_as_errors() -> None:
    labels = np.arange(10).repeat(10)  # 10 classes, only 5 categories
    pred = labels % 5
    assert categorical_code_accuracy(pred, labels, 5) == pytest.approx(0.5)


def test_bad_inputs() -> None:
    with pytest.raises(UserError, match="num_categories"):
        categorical_code_accuracy([0], [0], 0)
    with pytest.raises(ValueError, match="must match"):
        categorical_code_accuracy(np.array([0, 1]), np.array([0]), 2)
    with pytest.raises(ValueError, match="lie in"):
        categorical_code_accuracy(np.array([3]), np.array([0]), 2)

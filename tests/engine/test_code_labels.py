"""Which labels an InfoGAN categorical code is matched against."""

from __future__ import annotations

import torch

from ganbench.runner.codes import code_labels


def test_labelled_dataset_with_matching_classes():
    labels = torch.tensor([0, 3, 9])
    [only] = code_labels(10, {}, labels, 10)
    assert torch.equal(only, labels)


def test_class_count_mismatch_gives_nothing():
    assert code_labels(10, {}, torch.tensor([1]), 8) == []
    assert code_labels(None, {}, torch.tensor([1]), 10) == []


def test_stacked_digits_give_one_label_set_per_channel():
    labels = torch.tensor([478, 64, 900])  # 100a + 10b + c
    first, second, third = code_labels(None, {"stacked": 3, "digit_classes": 10}, labels, 10)
    assert first.tolist() == [4, 0, 9]
    assert second.tolist() == [7, 6, 0]
    assert third.tolist() == [8, 4, 0]

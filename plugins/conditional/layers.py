"""Shared pieces: the class count of a labelled dataset, option checks and conditional batch norm."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

import torch
from torch import nn

from ganbench.plugin import BuildContext, IncompatibleError


def num_classes(component: str, ctx: BuildContext) -> int:
    """The dataset's class count; a one-line error for unlabelled data."""
    if not ctx.spec.num_classes:
        raise IncompatibleError(
            f"{component} is conditional, but dataset {ctx.spec.name!r} has no class labels; "
            "use a labelled dataset (digits, mnist, fashion-mnist, cifar10, ring8, grid25)"
        )
    return int(ctx.spec.num_classes)


def check_options(component: str, unknown: Mapping[str, object], valid: Iterable[str]) -> None:
    if unknown:
        bad = sorted(unknown)[0]
        raise IncompatibleError(f"unknown option {bad!r} for {component}; valid options: {', '.join(sorted(valid))}")


def positive_int(component: str, option: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise IncompatibleError(f"{component}: option {option}={value!r} must be a positive integer")
    return int(value)


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose affine γ, β are looked up per class (de Vries et al. 2017; Dumoulin et al. 2017).

    The normalisation (batch statistics in training, running statistics in eval) is shared by all
    classes; only the scale and shift depend on the label. γ starts at 1 and β at 0 for every class,
    so at initialisation the layer is plain batch norm.
    """

    def __init__(self, channels: int, classes: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gamma = nn.Embedding(classes, channels)
        self.beta = nn.Embedding(classes, channels)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        gamma = self.gamma(labels)[:, :, None, None]
        beta = self.beta(labels)[:, :, None, None]
        return gamma * self.norm(x) + beta

"""Component contracts: what a generator, discriminator, loss and variant must provide.

Plugins subclass these bases (or satisfy the same attributes). The engine
relies on nothing else, so a third-party component is a first-class citizen.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from ganbench.data.spec import DataSpec
from ganbench.recipes import Recipe as Recipe  # re-exported: the contracts and the recipes that name them
from ganbench.recipes import Variant as Variant


@dataclass(frozen=True)
class BuildContext:
    """Handed to every component factory.

    ``build_discriminator(name, spec=None, **options)`` and
    ``build_generator(name, spec=None, **options)`` let a wrapper (minibatch
    discrimination, packing, EMA, conditioning) build any registered component
    as its body without importing another plugin, for this context's data
    shape or for another ``spec`` (e.g. ``m`` packed samples side by side).
    """

    spec: DataSpec
    code_dim: int = 0
    """Size of the structured codes the loss appends to the generator's noise."""
    feature_dim: int = 0
    """Size of the discriminator features (set when building a loss)."""
    build_discriminator: Callable[..., Discriminator] | None = None
    build_generator: Callable[..., Generator] | None = None


class Generator(nn.Module):
    """Maps latent vectors to samples.

    Input: ``(N, noise_dim + code_dim)``, standard normal noise followed by the
    loss's codes. Output: ``(N, *spec.shape)``; images in ``[-1, 1]``.
    A generator with ``conditional = True`` is called as ``forward(z, labels)``
    with ``(N,)`` int64 class labels.
    """

    noise_dim: int
    latent_dim: int
    conditional: bool = False


class Discriminator(nn.Module):
    """Scores samples; split into ``features`` and ``classify`` so heads can share the body.

    ``features(x)`` returns ``(N, feature_dim)``; ``classify(f)`` returns logits
    of shape ``(N,)``. A loss that needs an auxiliary head (InfoGAN's Q) calls
    ``features`` once and feeds both.

    With ``conditional = True`` the three methods take the batch's ``(N,)``
    int64 labels as a second argument: ``features(x, labels)``,
    ``classify(features, labels)``, ``forward(x, labels)``. Losses keep calling
    ``discriminator(x)``: the engine hands them the discriminator with the
    labels bound.
    """

    feature_dim: int
    conditional: bool = False

    @abc.abstractmethod
    def features(self, x: torch.Tensor) -> torch.Tensor: ...

    @abc.abstractmethod
    def classify(self, features: torch.Tensor) -> torch.Tensor: ...

    def forward(self, x: torch.Tensor, *labels: torch.Tensor) -> torch.Tensor:
        return self.classify(self.features(x, *labels), *labels)


@dataclass
class LossOutput:
    """A loss value plus named terms worth logging (kept as tensors: no host sync)."""

    total: torch.Tensor
    terms: dict[str, torch.Tensor] = field(default_factory=dict)


class GANLoss(nn.Module):
    """An adversarial objective; may own trainable modules and latent codes.

    Modules registered on the loss (e.g. InfoGAN's Q head) are optimised
    together with the discriminator, since they share its body.

    Optional keyword arguments, passed only to a loss whose method names them
    (as pluggy passes hook arguments): ``generator_loss(..., real=...)`` gets
    the step's real batch (relativistic losses need it); with ``conditional =
    True`` both methods get ``labels=`` (the ``(N,)`` labels of the real batch,
    which the fake was generated for).
    """

    code_dim: int = 0
    conditional: bool = False

    def sample_codes(self, n: int, device: torch.device) -> torch.Tensor:
        """Structured codes to append to the noise; empty by default."""
        return torch.empty(n, 0, device=device)

    @abc.abstractmethod
    def discriminator_loss(
        self, discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor
    ) -> LossOutput: ...

    @abc.abstractmethod
    def generator_loss(self, discriminator: Discriminator, fake: torch.Tensor, codes: torch.Tensor) -> LossOutput: ...


GeneratorFactory = Callable[..., Generator]
DiscriminatorFactory = Callable[..., Discriminator]
LossFactory = Callable[..., GANLoss]

"""The two objectives of Goodfellow et al. (2014).

With D's logit ``l`` and ``sigmoid(l) = D(x)``: ``-log D = softplus(-l)`` and
``-log(1 - D) = softplus(l)``. Working on logits keeps both finite where the
probability form would underflow.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganbench.plugin import BuildContext, Discriminator, GANLoss, LossOutput

from ._common import check_options


def discriminator_bce(discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor) -> LossOutput:
    """``-E[log D(x)] - E[log(1 - D(G(z)))]``, real and fake scored as separate batches."""
    d_real = F.softplus(-discriminator(real)).mean()
    d_fake = F.softplus(discriminator(fake)).mean()
    return LossOutput(d_real + d_fake, {"d_real": d_real, "d_fake": d_fake})


class NonSaturatingLoss(GANLoss):
    """D: binary cross-entropy; G: ``-log D(G(z))`` (the default, strong gradients early on)."""

    def discriminator_loss(
        self, discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor
    ) -> LossOutput:
        return discriminator_bce(discriminator, real, fake)

    def generator_loss(self, discriminator: Discriminator, fake: torch.Tensor, codes: torch.Tensor) -> LossOutput:
        return LossOutput(F.softplus(-discriminator(fake)).mean())


class MinimaxLoss(GANLoss):
    """The original saturating game: G minimises ``log(1 - D(G(z)))``.

    Its gradient vanishes when D confidently rejects the samples, which is the
    point of benchmarking it against the non-saturating form.
    """

    def discriminator_loss(
        self, discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor
    ) -> LossOutput:
        return discriminator_bce(discriminator, real, fake)

    def generator_loss(self, discriminator: Discriminator, fake: torch.Tensor, codes: torch.Tensor) -> LossOutput:
        return LossOutput(-F.softplus(discriminator(fake)).mean())


def nonsaturating_loss(ctx: BuildContext, **unknown: object) -> NonSaturatingLoss:
    check_options("loss 'nonsaturating'", unknown, ())
    return NonSaturatingLoss()


def minimax_loss(ctx: BuildContext, **unknown: object) -> MinimaxLoss:
    check_options("loss 'minimax'", unknown, ())
    return MinimaxLoss()

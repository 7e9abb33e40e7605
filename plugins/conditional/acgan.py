"""The auxiliary-classifier loss (AC-GAN, Odena, Olah & Shlens 2017).

With D's logit ``l`` and an auxiliary head ``C`` on D's features φ (a linear layer owned by the
loss, so it is optimised with D):

* D minimises ``softplus(-l(x)) + softplus(l(G(z, y))) + w · [CE(C(φ(x)), y) + CE(C(φ(G(z, y))), y)]``
  (the paper's L_S + L_C, both sources in the class term);
* G minimises ``softplus(-l(G(z, y))) + w · CE(C(φ(G(z, y))), y)`` (non-saturating adversarial term).

The fake batch is generated for the real batch's labels, so one ``labels`` tensor serves both.
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import nn

from ganbench.plugin import BuildContext, Discriminator, GANLoss, IncompatibleError, LossOutput

from .layers import check_options, num_classes

NAME = "loss 'acgan'"


class ACGANLoss(GANLoss):
    conditional = True

    def __init__(self, feature_dim: int, classes: int, weight: float) -> None:
        super().__init__()
        self.classifier = nn.Linear(feature_dim, classes)
        self.weight = weight

    def class_logits(self, discriminator: Discriminator, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """D's logit and the auxiliary classifier's class logits, from one pass through D's body."""
        f = discriminator.features(x)
        return discriminator.classify(f), self.classifier(f)

    def discriminator_loss(
        self,
        discriminator: Discriminator,
        real: torch.Tensor,
        fake: torch.Tensor,
        codes: torch.Tensor,
        labels: torch.Tensor,
    ) -> LossOutput:
        l_real, c_real = self.class_logits(discriminator, real)
        l_fake, c_fake = self.class_logits(discriminator, fake)
        adversarial = F.softplus(-l_real).mean() + F.softplus(l_fake).mean()
        aux = F.cross_entropy(c_real, labels) + F.cross_entropy(c_fake, labels)
        return LossOutput(adversarial + self.weight * aux, {"d_adv": adversarial, "d_aux": aux})

    def generator_loss(
        self, discriminator: Discriminator, fake: torch.Tensor, codes: torch.Tensor, labels: torch.Tensor
    ) -> LossOutput:
        l_fake, c_fake = self.class_logits(discriminator, fake)
        adversarial = F.softplus(-l_fake).mean()
        aux = F.cross_entropy(c_fake, labels)
        return LossOutput(adversarial + self.weight * aux, {"g_adv": adversarial, "g_aux": aux})


def acgan_loss(ctx: BuildContext, *, weight: float = 1.0, **unknown: object) -> ACGANLoss:
    """Non-saturating loss plus ``weight`` × the auxiliary classifier's cross-entropy."""
    check_options(NAME, unknown, ("weight",))
    if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not weight >= 0:
        raise IncompatibleError(f"{NAME}: option weight={weight!r} must be a number >= 0")
    if ctx.feature_dim < 1:
        raise IncompatibleError(f"{NAME} needs a discriminator with features (feature_dim)")
    return ACGANLoss(ctx.feature_dim, num_classes(NAME, ctx), float(weight))

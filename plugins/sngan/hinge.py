"""The hinge loss of SNGAN (Lim & Ye 2017; Miyato et al. 2018).

D minimises ``E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]`` on its raw scores; G minimises ``-E[D(G(z))]``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganbench.plugin import BuildContext, Discriminator, GANLoss, IncompatibleError, LossOutput


class HingeLoss(GANLoss):
    def discriminator_loss(
        self, discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor
    ) -> LossOutput:
        d_real = F.relu(1.0 - discriminator(real)).mean()
        d_fake = F.relu(1.0 + discriminator(fake)).mean()
        return LossOutput(d_real + d_fake, {"d_real": d_real, "d_fake": d_fake})

    def generator_loss(self, discriminator: Discriminator, fake: torch.Tensor, codes: torch.Tensor) -> LossOutput:
        return LossOutput(-discriminator(fake).mean())


def hinge_loss(ctx: BuildContext, **unknown: object) -> HingeLoss:
    if unknown:
        raise IncompatibleError(f"unknown option {sorted(unknown)[0]!r} for loss 'hinge'; it takes no options")
    return HingeLoss()

"""The InfoGAN objective (Chen et al. 2016; openai/InfoGAN).

``min_{G,Q} max_D V(D, G) - λ·L_I`` with ``L_I = E[log Q(c|x)] + H(c)``. Up to
the constant ``H(c)``, ``-L_I`` is the negative log-likelihood of the codes
under Q, which is what is minimised here: cross-entropy for each categorical
code, plus the Gaussian NLL with fixed std 1 for the continuous codes
(``0.5·(c - μ)² + 0.5·log 2π`` per dimension, i.e. scaled MSE).

As in openai/InfoGAN, ``λ·info`` is added both to the discriminator loss (on
the fake batch; it trains Q and D's shared body, since the loss's modules are
optimised with D) and to the generator loss. The adversarial part is the
non-saturating GAN loss.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganbench.plugin import Discriminator, GANLoss, LossOutput

from .codes import CodeLayout

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class InfoGANLoss(GANLoss):
    def __init__(self, feature_dim: int, layout: CodeLayout, lambda_: float = 1.0, hidden: int = 128) -> None:
        super().__init__()
        self.layout = layout
        self.categorical = layout.categorical
        self.n_continuous = layout.n_continuous
        self.code_dim = layout.code_dim
        self.lambda_ = lambda_
        # openai/InfoGAN's encoder head: fc 128 -> batch norm -> leaky ReLU -> code parameters.
        self.q = nn.Sequential(
            nn.Linear(feature_dim, hidden),
            nn.BatchNorm1d(hidden),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(hidden, layout.code_dim),
        )

    # -- codes ------------------------------------------------------------------
    def sample_codes(self, n: int, device: torch.device) -> torch.Tensor:
        return self.layout.sample(n, device)

    def make_codes(self, categories: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
        """Codes for chosen categories ``(N, n_cat)`` and continuous values ``(N, n_cont)`` (traversals)."""
        return self.layout.make(categories, continuous)

    def q_outputs(self, features: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Q's categorical logits (one ``(N, k)`` per code) and continuous means ``(N, n_cont)``."""
        out = self.q(features)
        logits = list(torch.split(out[:, : sum(self.categorical)], list(self.categorical), dim=1))
        return logits, out[:, sum(self.categorical) :]

    def predict_codes(self, discriminator: Discriminator, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Q's prediction for samples ``x`` (put D and the loss in eval mode first for real data)."""
        return self.q_outputs(discriminator.features(x))

    # -- objective --------------------------------------------------------------
    def information_loss(self, features: torch.Tensor, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(categorical NLL, continuous NLL)``, each summed over codes and averaged over the batch."""
        logits, means = self.q_outputs(features)
        ids, continuous = self.layout.split(codes)
        cat = features.new_zeros(())
        for lg, target in zip(logits, ids, strict=True):
            cat = cat + F.cross_entropy(lg, target)
        cont = (0.5 * (continuous - means).square() + HALF_LOG_2PI).sum(dim=1).mean() if self.n_continuous else cat * 0
        return cat, cont

    def discriminator_loss(
        self, discriminator: Discriminator, real: torch.Tensor, fake: torch.Tensor, codes: torch.Tensor
    ) -> LossOutput:
        d_real = F.softplus(-discriminator(real)).mean()
        features = discriminator.features(fake)
        d_fake = F.softplus(discriminator.classify(features)).mean()
        cat, cont = self.information_loss(features, codes)
        total = d_real + d_fake + self.lambda_ * (cat + cont)
        terms = {"d_real": d_real, "d_fake": d_fake, "d_info_cat": cat, "d_info_cont": cont}
        return LossOutput(total, terms)

    def generator_loss(self, discriminator: Discriminator, fake: torch.Tensor, codes: torch.Tensor) -> LossOutput:
        features = discriminator.features(fake)
        adv = F.softplus(-discriminator.classify(features)).mean()
        cat, cont = self.information_loss(features, codes)
        total = adv + self.lambda_ * (cat + cont)
        return LossOutput(total, {"g_adv": adv, "g_info_cat": cat, "g_info_cont": cont})

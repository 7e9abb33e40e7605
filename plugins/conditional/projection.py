"""The projection discriminator (Miyato & Koyama 2018): D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩.

φ is any registered discriminator's ``features`` and ψ its ``classify`` head, so projection turns
every body with features (dcgan, mlp, sngan-resnet, a plugin's) into a conditional discriminator.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganbench.plugin import BuildContext, Discriminator, IncompatibleError

from .layers import num_classes

NAME = "discriminator 'projection'"


class ProjectionDiscriminator(Discriminator):
    """A body's logit plus the inner product of its features with a learned class embedding."""

    conditional = True

    def __init__(self, body: Discriminator, classes: int, normalise: bool) -> None:
        super().__init__()
        self.body = body
        self.feature_dim = body.feature_dim
        embed = nn.Embedding(classes, body.feature_dim)
        nn.init.xavier_uniform_(embed.weight)
        self.embed = spectral_norm(embed) if normalise else embed

    def features(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.body.features(x)

    def projection(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """⟨embed(y), φ(x)⟩, ``(N,)``."""
        return (self.embed(labels) * features).sum(dim=1)

    def classify(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.body.classify(features) + self.projection(features, labels)


def projection_discriminator(
    ctx: BuildContext,
    *,
    body: str | None = None,
    body_options: Mapping[str, object] | None = None,
    spectral_norm: bool = False,
    **forwarded: object,
) -> ProjectionDiscriminator:
    """Projection on ``body`` (default dcgan for images, mlp for points); ``spectral_norm`` normalises the embedding.

    Any other option goes to the body (``--disc-opt width=32`` sizes the body as it would the plain
    discriminator); the body rejects the ones it does not know.
    """
    classes = num_classes(NAME, ctx)
    if ctx.build_discriminator is None:
        raise IncompatibleError(f"{NAME} needs BuildContext.build_discriminator to build its body")
    body = body or ("dcgan" if ctx.spec.kind == "image" else "mlp")
    if body == "projection":
        raise IncompatibleError(f"{NAME}: option body='projection' would nest it; choose an unconditional body")
    if body_options is not None and not isinstance(body_options, Mapping):
        raise IncompatibleError(f"{NAME}: option body_options={body_options!r} must be a mapping of options")
    if not isinstance(spectral_norm, bool):
        raise IncompatibleError(f"{NAME}: option spectral_norm={spectral_norm!r} must be true or false")
    inner = ctx.build_discriminator(body, **{**dict(body_options or {}), **forwarded})
    if getattr(inner, "conditional", False):
        raise IncompatibleError(f"{NAME}: body {body!r} is already conditional; choose an unconditional body")
    return ProjectionDiscriminator(inner, classes, spectral_norm)

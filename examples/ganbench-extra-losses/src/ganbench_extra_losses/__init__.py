"""ganbench-extra-losses: WGAN-GP, hinge + spectral norm (SNGAN), least squares (LSGAN), optimistic Adam and
the unrolled GAN for ganbench, plus an energy-distance metric and a random-Fourier-feature extractor.

A third-party plugin in full: it reaches ganbench only through the
``ganbench`` entry point in ``pyproject.toml`` and imports only
:mod:`ganbench.plugin`. Its variants reuse ganbench's built-in ``dcgan`` and
``mlp`` generators (and, for LSGAN, discriminators) by their registered names.
"""

from __future__ import annotations

from ganbench.plugin import MetricColumn, Recipe, Registrar, Variant, hookimpl

from .discriminators import (
    critic_dcgan_discriminator,
    critic_mlp_discriminator,
    sn_dcgan_discriminator,
    sn_mlp_discriminator,
)
from .evaluation import energy_distance_metric, rff_extractor
from .losses import gradient_penalty, hinge_loss, least_squares_loss, wgan_gp_loss
from .training import optimistic_adam, unrolled_step

GANBENCH_API_VERSION = 1
"""The plugin API this package was written against; ganbench refuses it on a mismatch."""

WGAN_GP_TRAIN = {"d_steps": 5, "lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.0, "beta2": 0.9}
"""Gulrajani et al. (2017), Algorithm 1 defaults: n_critic = 5, Adam α = 1e-4, β1 = 0, β2 = 0.9."""

POINTS_TRAIN = {"lr_g": 1e-3, "lr_d": 1e-3}
"""As ganbench's own ``dcgan`` variant on 2D data: small MLPs need a larger step to cover the modes in a few
thousand updates. WGAN-GP keeps its own settings on every data kind."""

UNROLLED_TRAIN = {"training_step": "unrolled", "training_step_options": {"unroll": 5}}
"""Metz et al. (2017) unroll 5 steps on their 2D mixtures; the generator and discriminator stay ganbench's own."""


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_discriminator(
        "sn-dcgan",
        sn_dcgan_discriminator,
        description="DCGAN-shaped discriminator without batch norm, spectral norm on every layer (SNGAN).",
    )
    registrar.add_discriminator(
        "sn-mlp",
        sn_mlp_discriminator,
        description="MLP discriminator with spectral norm on every layer, for 2D/point data.",
        data_kinds=("points",),
    )
    registrar.add_discriminator(
        "critic-dcgan",
        critic_dcgan_discriminator,
        description="WGAN-GP critic: DCGAN-shaped, layer norm instead of batch norm.",
    )
    registrar.add_discriminator(
        "critic-mlp",
        critic_mlp_discriminator,
        description="WGAN-GP critic for 2D/point data: MLP without normalisation.",
        data_kinds=("points",),
    )
    registrar.add_loss(
        "wgan-gp", wgan_gp_loss, description="Wasserstein loss with gradient penalty, λ=10 (Gulrajani et al. 2017)."
    )
    registrar.add_loss("hinge", hinge_loss, description="Hinge loss (Lim & Ye 2017; SNGAN, Miyato et al. 2018).")
    registrar.add_loss("lsgan", least_squares_loss, description="Least squares loss, a=0 b=1 c=1 (Mao et al. 2017).")

    registrar.add_variant(
        Variant(
            name="wgan-gp",
            description="WGAN-GP: layer-norm critic, gradient penalty λ=10, 5 critic steps, Adam(1e-4, 0, 0.9).",
            recipes={
                "image": Recipe("dcgan", "critic-dcgan", "wgan-gp", train_options=WGAN_GP_TRAIN),
                "points": Recipe("mlp", "critic-mlp", "wgan-gp", train_options=WGAN_GP_TRAIN),
            },
        )
    )
    registrar.add_variant(
        Variant(
            name="hinge-sn",
            description="SNGAN: hinge loss with a spectrally normalised discriminator (Miyato et al. 2018).",
            recipes={
                "image": Recipe("dcgan", "sn-dcgan", "hinge"),
                "points": Recipe("mlp", "sn-mlp", "hinge", train_options=POINTS_TRAIN),
            },
        )
    )
    registrar.add_variant(
        Variant(
            name="lsgan",
            description="Least squares GAN (Mao et al. 2017) on ganbench's DCGAN/MLP bodies.",
            recipes={
                "image": Recipe("dcgan", "dcgan", "lsgan"),
                "points": Recipe("mlp", "mlp", "lsgan", train_options=POINTS_TRAIN),
            },
        )
    )

    # -- training seams: an optimiser and a training step, chosen by name in train_options --------
    registrar.add_optimizer(
        "optimistic-adam",
        optimistic_adam,
        description="Optimistic Adam (Daskalakis et al. 2018): Adam plus the correction -lr*(u_t - u_{t-1}).",
    )
    registrar.add_training_step(
        "unrolled",
        unrolled_step,
        description="Unrolled GAN (Metz et al. 2017), first-order: G's loss against D after k simulated updates.",
    )
    registrar.add_variant(
        Variant(
            name="unrolled",
            description="Unrolled GAN (Metz et al. 2017): 5 unrolled D steps (first-order) on DCGAN/MLP bodies.",
            recipes={
                "image": Recipe("dcgan", "dcgan", "nonsaturating", train_options=UNROLLED_TRAIN),
                "points": Recipe("mlp", "mlp", "nonsaturating", train_options={**UNROLLED_TRAIN, **POINTS_TRAIN}),
            },
        )
    )
    register_evaluation(registrar)


def register_evaluation(registrar: Registrar) -> None:
    """The evaluation seams: one metric column and one feature extractor (see ``evaluation.py``)."""
    registrar.add_metric(
        "energy-distance",
        energy_distance_metric,
        description="Squared energy distance (Székely & Rizzo 2013) between generated and real samples.",
        columns=[
            MetricColumn(
                "energy_distance", "lower", "squared energy distance, flattened samples (0 = same distribution)", 0.0
            )
        ],
        needs=("fake", "real"),
        data_kinds=("points", "image"),
    )
    registrar.add_feature_extractor(
        "rff",
        rff_extractor,
        description="Random Fourier features (Rahimi & Recht 2007): 64 cosines of a seeded Gaussian projection.",
        data_kinds=("points", "image"),
    )


__all__ = ["GANBENCH_API_VERSION", "ganbench_register", "gradient_penalty"]

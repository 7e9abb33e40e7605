"""Built-in plugin: vanilla GANs.

Registers the DCGAN and MLP generators/discriminators, the non-saturating and
minimax losses, and the ``dcgan`` and ``gan-minimax`` variants. Like any
third-party plugin it imports only :mod:`ganbench.plugin`.
"""

from __future__ import annotations

from ganbench.plugin import Recipe, Registrar, Variant, hookimpl, lazy

# The 2D toys use lr 1e-3 (beta1 = 0.5 as in DCGAN) instead of 2e-4: measured
# with these MLPs, batch 64, 3000 steps, 3 seeds (PacGAN scoring, 2,500
# samples): ring8 0/8 modes and 0% high quality at 2e-4 versus 6-7/8 modes and
# 17-45% at 1e-3; grid25 17/25 modes, 1.5% HQ versus 16-17/25, 6-14%. A few
# thousand steps is the budget a CPU benchmark sweep can afford.
POINTS_TRAIN = {"lr_g": 1e-3, "lr_d": 1e-3}


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_generator(
        "dcgan",
        lazy(f"{__name__}.generators:dcgan_generator"),
        description="DCGAN generator (transposed convs, BN, ReLU, tanh); 16/28/32/64 px, any channels.",
    )
    registrar.add_generator(
        "mlp",
        lazy(f"{__name__}.generators:mlp_generator"),
        description="MLP generator for 2D/point data.",
        data_kinds=("points",),
    )
    registrar.add_discriminator(
        "dcgan",
        lazy(f"{__name__}.discriminators:dcgan_discriminator"),
        description="DCGAN discriminator (strided convs, LeakyReLU 0.2, BN); 16/28/32/64 px, any channels.",
    )
    registrar.add_discriminator(
        "mlp",
        lazy(f"{__name__}.discriminators:mlp_discriminator"),
        description="MLP discriminator for 2D/point data.",
        data_kinds=("points",),
    )
    registrar.add_loss(
        "nonsaturating",
        lazy(f"{__name__}.losses:nonsaturating_loss"),
        description="Non-saturating GAN loss: G minimises -log D(G(z)).",
    )
    registrar.add_loss(
        "minimax",
        lazy(f"{__name__}.losses:minimax_loss"),
        description="Original minimax GAN loss: G minimises log(1 - D(G(z))).",
    )
    registrar.add_variant(
        Variant(
            name="dcgan",
            description="Vanilla DCGAN (Radford et al. 2015) with the non-saturating loss; MLPs on 2D data.",
            recipes={
                "image": Recipe("dcgan", "dcgan", "nonsaturating"),
                "points": Recipe("mlp", "mlp", "nonsaturating", train_options=POINTS_TRAIN),
            },
        )
    )
    registrar.add_variant(
        Variant(
            name="gan-minimax",
            description="The original saturating minimax objective (Goodfellow et al. 2014) on DCGAN/MLP bodies.",
            recipes={
                "image": Recipe("dcgan", "dcgan", "minimax"),
                "points": Recipe("mlp", "mlp", "minimax", train_options=POINTS_TRAIN),
            },
        )
    )

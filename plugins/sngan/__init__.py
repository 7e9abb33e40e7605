"""Built-in plugin: the SNGAN baseline (Miyato et al. 2018, "Spectral Normalization for GANs").

Registers the CIFAR-10 ResNet generator and spectrally normalised ResNet discriminator (both as
``sngan-resnet``), its conditional-batch-norm generator ``sngan-resnet-cbn``, the hinge loss, and the
``sngan`` and ``sngan-projection`` variants (the latter uses the ``projection`` discriminator of the
built-in ``conditional`` plugin, by name) with the paper's optimiser: Adam, lr 2e-4,
β = (0, 0.9), five D steps per G step. Like any third-party plugin it imports only :mod:`ganbench.plugin`.
"""

from __future__ import annotations

from ganbench.plugin import Recipe, Registrar, Variant, hookimpl, lazy

SNGAN_TRAIN = {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.0, "beta2": 0.9, "d_steps": 5}
"""The optimiser Miyato et al. (2018) use for the CIFAR-10 ResNet: Adam α = 2e-4, β1 = 0, β2 = 0.9, n_dis = 5."""


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_generator(
        "sngan-resnet",
        lazy(f"{__name__}.factories:resnet_generator"),
        description="SNGAN ResNet generator (linear to 4x4, residual up-sampling blocks, BN, tanh); 16/32/64 px.",
        data_kinds=("image",),
    )
    registrar.add_discriminator(
        "sngan-resnet",
        lazy(f"{__name__}.factories:resnet_discriminator"),
        description="SNGAN ResNet discriminator (spectral norm, residual blocks, global sum pooling); 16/32/64 px.",
        data_kinds=("image",),
    )
    registrar.add_generator(
        "sngan-resnet-cbn",
        lazy(f"{__name__}.factories:conditional_resnet_generator"),
        description="SNGAN ResNet generator with conditional batch norm (per-class γ, β); 16/32/64 px.",
        data_kinds=("image",),
    )
    registrar.add_loss(
        "hinge",
        lazy(f"{__name__}.hinge:hinge_loss"),
        description="Hinge loss (Lim & Ye 2017; SNGAN, Miyato et al. 2018).",
    )
    registrar.add_variant(
        Variant(
            name="sngan",
            description="SNGAN (Miyato et al. 2018): ResNet G, spectrally normalised ResNet D, hinge loss, 5 D steps.",
            recipes={"image": Recipe("sngan-resnet", "sngan-resnet", "hinge", train_options=SNGAN_TRAIN)},
        )
    )
    registrar.add_variant(
        Variant(
            name="sngan-projection",
            description="SNGAN cGAN (Miyato & Koyama 2018): conditional-BN ResNet G, projection SN ResNet D, hinge.",
            recipes={
                "image": Recipe(
                    "sngan-resnet-cbn",
                    "projection",
                    "hinge",
                    discriminator_options={"body": "sngan-resnet", "spectral_norm": True},
                    train_options=SNGAN_TRAIN,
                )
            },
        )
    )

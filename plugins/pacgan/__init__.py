"""Built-in plugin: PacGAN (Lin, Khetan, Fanti & Oh, NeurIPS 2018).

Registers the paper's 2D networks (the ``mlp-bn`` generator and the ``maxout``
discriminator body), the ``pacgan`` discriminator that packs m samples on top
of any registered body, and the variants ``pacgan1``..``pacgan4`` with the
paper's recipe (``pacgan1`` is its plain-GAN row). Like any third-party plugin
it imports only :mod:`ganbench.plugin`. See docs/reproductions.md.
"""

from __future__ import annotations

from ganbench.plugin import Recipe, Registrar, Variant, hookimpl, lazy

PACKS = (1, 2, 3, 4)
PACKS_PER_BATCH = 100
"""The paper's minibatch is 100 packs: 100·m real samples and m generator passes of 100 each."""
POINTS_TRAIN = {"lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.8, "training_step": "simultaneous"}
"""Adam lr 1e-4, β1 0.8 (β2 0.999, the default); one D and one G update per step, taken simultaneously (both
gradients at the same parameters): the official code trains with ALI's ``ali_algorithm``."""


def points_recipe(pack: int) -> Recipe:
    return Recipe(
        "mlp-bn",
        "pacgan",
        "nonsaturating",
        discriminator_options={"pack": pack, "body": "maxout"},
        train_options={**POINTS_TRAIN, "batch_size": PACKS_PER_BATCH * pack},
    )


def image_recipe(pack: int) -> Recipe:
    """PacDCGAN: the DCGAN pair with the discriminator packing m images along the channels."""
    return Recipe("dcgan", "pacgan", "nonsaturating", discriminator_options={"pack": pack, "body": "dcgan"})


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_generator(
        "mlp-bn",
        lazy(f"{__name__}.networks:bn_mlp_generator"),
        description="PacGAN's 2D generator: z in R^2, 4 x 400 (linear, BatchNorm, ReLU), linear output.",
        data_kinds=("points",),
    )
    registrar.add_discriminator(
        "maxout",
        lazy(f"{__name__}.networks:maxout_discriminator"),
        description="PacGAN's 2D discriminator body: 3 maxout layers (200 units x 5 pieces), linear logit.",
        data_kinds=("points",),
    )
    registrar.add_discriminator(
        "pacgan",
        lazy(f"{__name__}.packing:pacgan_discriminator"),
        description="Packing (PacGAN): scores m samples at once on any registered body (maxout/dcgan default).",
        data_kinds=("image", "points"),
    )
    for pack in PACKS:
        row = "the paper's plain-GAN row" if pack == 1 else f"{pack} samples per pack"
        registrar.add_variant(
            Variant(
                name=f"pacgan{pack}",
                description=f"PacGAN{pack} (Lin et al. 2018), {row}: paper's 2D recipe; PacDCGAN{pack} on images.",
                recipes={"points": points_recipe(pack), "image": image_recipe(pack)},
            )
        )

"""Built-in plugin: minibatch discrimination (Salimans et al. 2016).

Registers the ``minibatch`` discriminator, a wrapper that builds any
registered discriminator as its body (through ``BuildContext.build_discriminator``,
so this plugin never imports another) and adds a minibatch-discrimination
layer before the final linear logit; and the ``minibatch`` variant.
"""

from __future__ import annotations

from ganbench.plugin import IntRange, Recipe, Registrar, Variant, hookimpl, lazy


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_discriminator(
        "minibatch",
        lazy(f"{__name__}.discriminator:minibatch_discriminator"),
        description="Minibatch discrimination (Salimans et al. 2016) on a dcgan/mlp (or any registered) body.",
        data_kinds=("image", "points"),
    )
    # the layer's size: B kernels of C dims (Salimans et al. use B = 100, C = 5)
    registrar.add_search_space(
        "discriminator", "minibatch", {"kernels": IntRange(10, 200, log=True), "kernel_dim": IntRange(2, 10)}
    )
    registrar.add_variant(
        Variant(
            name="minibatch",
            description="DCGAN (MLPs on 2D data) with minibatch discrimination against mode collapse.",
            recipes={
                "image": Recipe("dcgan", "minibatch", "nonsaturating"),
                # Same lr reasoning as the vanilla 2D recipe: 1e-3 trains the MLPs in a few thousand steps.
                "points": Recipe(
                    "mlp",
                    "minibatch",
                    "nonsaturating",
                    discriminator_options={"body": "mlp"},
                    train_options={"lr_g": 1e-3, "lr_d": 1e-3},
                ),
            },
        )
    )

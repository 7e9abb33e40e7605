"""Built-in plugin: InfoGAN (Chen et al. 2016).

Registers the ``infogan`` loss (structured codes, the Q head on D's
features, the information term) and the ``infogan`` variant. The metrics use
the loss's ``categorical``, ``n_continuous``, ``make_codes`` and
``predict_codes`` (code accuracy, latent traversals).
"""

from __future__ import annotations

from ganbench.plugin import FloatRange, Recipe, Registrar, Variant, hookimpl, lazy


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_loss(
        "infogan",
        lazy(f"{__name__}.factory:infogan_loss"),
        description="InfoGAN: non-saturating GAN loss + λ·(code NLL under a Q head sharing D's body).",
    )
    registrar.add_search_space("loss", "infogan", {"lambda_": FloatRange(0.1, 2.0, log=True)})  # weight of the code NLL
    registrar.add_variant(
        Variant(
            name="infogan",
            description="InfoGAN (Chen et al. 2016): DCGAN with 62 noise dims + Categorical/Uniform codes; MLPs on 2D.",
            recipes={
                "image": Recipe("dcgan", "dcgan", "infogan", generator_options={"noise_dim": 62}),
                # As for the vanilla 2D recipe: lr 1e-3 trains the MLPs in a few thousand steps.
                "points": Recipe("mlp", "mlp", "infogan", train_options={"lr_g": 1e-3, "lr_d": 1e-3}),
            },
        )
    )

"""Built-in plugin: InfoGAN (Chen et al. 2016).

Registers the ``infogan`` loss (structured codes, the Q head on D's
features, the information term) and the ``infogan`` variant. The metrics use
the loss's ``categorical``, ``n_continuous``, ``make_codes`` and
``predict_codes`` (code accuracy, latent traversals).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from ganbench.plugin import BuildContext, FloatRange, IncompatibleError, Recipe, Registrar, Variant, hookimpl

from .codes import CodeLayout
from .loss import InfoGANLoss

NAME = "loss 'infogan'"
OPTIONS = ("categorical", "continuous", "lambda_", "hidden")


def _count(option: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise IncompatibleError(f"{NAME}: option {option}={value!r} must be an integer >= {minimum}")
    return int(value)


def default_categories(ctx: BuildContext) -> int:
    """One categorical code with as many categories as the data has classes (or mixture modes), else 10."""
    if ctx.spec.num_classes:
        return ctx.spec.num_classes
    if ctx.spec.mode_centres:
        return len(ctx.spec.mode_centres)
    return 10


def infogan_loss(
    ctx: BuildContext,
    *,
    categorical: Sequence[int] | int | None = None,
    continuous: int = 2,
    lambda_: float = 1.0,
    hidden: int = 128,
    **unknown: object,
) -> InfoGANLoss:
    """InfoGAN loss; defaults follow the MNIST setup (one Categorical(10), two Uniform(-1, 1), λ = 1)."""
    if unknown:
        bad = sorted(unknown)[0]
        raise IncompatibleError(f"unknown option {bad!r} for {NAME}; valid options: {', '.join(OPTIONS)}")
    if ctx.feature_dim < 1:
        raise IncompatibleError(f"{NAME} needs a discriminator that exposes features (feature_dim={ctx.feature_dim})")
    if categorical is None:
        categorical = [default_categories(ctx)]
    elif isinstance(categorical, numbers.Integral) and not isinstance(categorical, bool):
        categorical = [int(categorical)]
    if isinstance(categorical, str) or not isinstance(categorical, Sequence):
        raise IncompatibleError(f"{NAME}: option categorical={categorical!r} must be a list of category counts")
    cats = tuple(_count("categorical", k, 2) for k in categorical)
    n_cont = _count("continuous", continuous, 0)
    if not cats and n_cont == 0:
        raise IncompatibleError(f"{NAME}: no codes (categorical=[] and continuous=0); InfoGAN needs at least one")
    if isinstance(lambda_, bool) or not isinstance(lambda_, numbers.Real) or not lambda_ >= 0:
        raise IncompatibleError(f"{NAME}: option lambda_={lambda_!r} must be a number >= 0")
    return InfoGANLoss(ctx.feature_dim, CodeLayout(cats, n_cont), float(lambda_), _count("hidden", hidden, 1))


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_loss(
        "infogan",
        infogan_loss,
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

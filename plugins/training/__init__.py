"""Built-in plugin: the optimisers, learning-rate schedules and training step ganbench trains with.

Registered through ``ganbench_register`` exactly like a third-party plugin's
(entry point ``training`` in ganbench's ``pyproject.toml``), and importing
only :mod:`ganbench.plugin`. Each factory names its options as keyword
arguments, so ``--optimizer-g-opt``/``train_options`` keys are checked
against them before any training starts.

Defaults are those of DCGAN (Radford et al. 2016): Adam with ``lr`` 2e-4 and
``beta1`` 0.5 (the ``lr_g``/``lr_d``/``beta1``/``beta2`` training options),
constant learning rate, alternating updates. The ``simultaneous`` step is ALI's rule, which the
PacGAN variants use (their paper's code trains with it).
"""

from __future__ import annotations

from ganbench.plugin import Registrar, hookimpl, lazy


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_optimizer(
        "adam", lazy(f"{__name__}.factories:adam"), description="Adam (Kingma & Ba 2015); betas from beta1/beta2."
    )
    registrar.add_optimizer(
        "adamw",
        lazy(f"{__name__}.factories:adamw"),
        description="AdamW: Adam with decoupled weight decay (default 0.01).",
    )
    registrar.add_optimizer(
        "rmsprop", lazy(f"{__name__}.factories:rmsprop"), description="RMSprop (alpha 0.99), as used by WGAN."
    )
    registrar.add_optimizer(
        "sgd", lazy(f"{__name__}.factories:sgd"), description="SGD with optional (Nesterov) momentum."
    )
    registrar.add_schedule(
        "constant", lazy(f"{__name__}.factories:constant"), description="Constant learning rate (the default)."
    )
    registrar.add_schedule(
        "linear", lazy(f"{__name__}.factories:linear"), description="Linear decay to end_factor (default 0) x the rate."
    )
    registrar.add_schedule(
        "cosine",
        lazy(f"{__name__}.factories:cosine"),
        description="Cosine annealing to eta_min (default 0) over the run.",
    )
    registrar.add_training_step(
        "alternating",
        lazy(f"{__name__}.factories:alternating"),
        description="d_steps D updates with G fixed, then one G update (Goodfellow et al. 2014, Algorithm 1).",
    )
    registrar.add_training_step(
        "simultaneous",
        lazy(f"{__name__}.factories:simultaneous"),
        description="D and G gradients at the same parameters, applied together (ALI; PacGAN's official code).",
    )

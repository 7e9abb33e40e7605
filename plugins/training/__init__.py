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

from ganbench.plugin import Choice, FloatRange, Registrar, hookimpl, lazy

# -- search spaces (ganbench sweep) -----------------------------------------------------
# The hyperparameters Lucic et al. (2018, "Are GANs Created Equal?") searched: learning rate
# (log-uniform), Adam's betas, D updates per G update and batch size. lr_g and lr_d are drawn
# independently (each side's optimiser declares its "lr").
LEARNING_RATE = FloatRange(1e-5, 1e-2, log=True)
ADAM_SPACE = {"lr": LEARNING_RATE, "beta1": FloatRange(0.0, 0.9), "beta2": FloatRange(0.9, 0.999)}
STEP_SPACE = {"d_steps": Choice((1, 2, 5)), "batch_size": Choice((16, 32, 64, 128))}


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
    registrar.add_search_space("optimizer", "adam", ADAM_SPACE)
    registrar.add_search_space("optimizer", "adamw", {**ADAM_SPACE, "weight_decay": FloatRange(1e-4, 1e-1, log=True)})
    registrar.add_search_space("optimizer", "rmsprop", {"lr": LEARNING_RATE, "alpha": FloatRange(0.9, 0.999)})
    registrar.add_search_space(
        "optimizer", "sgd", {"lr": FloatRange(1e-4, 1e-1, log=True), "momentum": FloatRange(0.0, 0.95)}
    )
    registrar.add_search_space("training_step", "alternating", STEP_SPACE)
    registrar.add_search_space("schedule", "linear", {"end_factor": FloatRange(0.0, 1.0)})
    registrar.add_search_space("schedule", "cosine", {"eta_min": FloatRange(0.0, 1e-5)})
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

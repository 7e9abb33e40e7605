"""The search-space seam: what the registrar accepts, and how declarations become a variant's space."""

from __future__ import annotations

import pytest

from ganbench.engine.build import Composition
from ganbench.engine.config import TrainConfig
from ganbench.errors import PluginError, UserError
from ganbench.plugin import Choice, FloatRange, IntRange, hookimpl
from ganbench.registrar import PluginOrigin, Registrar
from ganbench.registry import get_registry
from ganbench.search_space import range_problem
from ganbench.sweep.space import apply_params, variant_space

ORIGIN = PluginOrigin("t", "gb-test", "0")


@pytest.mark.parametrize(
    ("ranges", "needle"),
    [
        ({"lr": FloatRange(1e-2, 1e-5)}, "inverted"),
        ({"lr": FloatRange(0.1, 0.1)}, "empty"),
        ({"lr": FloatRange(0.0, 0.1, log=True)}, "log-uniform"),
        ({"d": IntRange(1, 5.5)}, "integers"),  # type: ignore[arg-type]
        ({"d": Choice(())}, "empty"),
        ({"d": (1, 5)}, "not a FloatRange"),
        ({}, "needs a mapping"),
    ],
)
def test_registrar_refuses_bad_ranges(ranges, needle):
    with pytest.raises(PluginError, match=needle):
        Registrar(ORIGIN).add_search_space("optimizer", "adam", ranges)


def test_registrar_refuses_unknown_kinds_and_duplicates():
    registrar = Registrar(ORIGIN)
    with pytest.raises(PluginError, match="valid kinds"):
        registrar.add_search_space("dataset", "ring8", {"size": IntRange(1, 2)})
    registrar.add_search_space("loss", "x", {"a": FloatRange(0, 1)})
    with pytest.raises(PluginError, match="duplicate"):
        registrar.add_search_space("loss", "x", {"a": FloatRange(0, 1)})
    assert range_problem(FloatRange(1e-5, 1e-2, log=True)) is None


def test_builtin_declarations_make_a_variants_space():
    registry = get_registry()
    from ganbench.runner.plan import DataConfig, load_dataset

    spec = load_dataset(registry, "ring8", DataConfig(root=".")).spec
    space = variant_space(registry, "minibatch", spec, TrainConfig(), Composition())
    # each optimiser's lr goes to its side; beta1/beta2 shared; the step's d_steps/batch_size; the layer's options
    assert set(space) == {
        "lr_g", "lr_d", "beta1", "beta2", "d_steps", "batch_size", "discriminator.kernels", "discriminator.kernel_dim",
    }  # fmt: skip
    assert space["lr_g"] == FloatRange(1e-5, 1e-2, log=True)
    fixed = variant_space(registry, "dcgan", spec, TrainConfig(), Composition(), fixed={"lr_g", "batch_size"})
    assert "lr_g" not in fixed and "batch_size" not in fixed and "lr_d" in fixed
    train, composition = apply_params(
        {"lr_g": 3e-4, "d_steps": 2, "discriminator.kernels": 7, "optimizer_g.weight_decay": 0.1},
        TrainConfig(),
        Composition(discriminator_options={"body": "mlp"}),
    )
    assert (train.lr_g, train.d_steps, dict(train.optimizer_g_options)) == (3e-4, 2, {"weight_decay": 0.1})
    assert dict(composition.discriminator_options) == {"body": "mlp", "kernels": 7}


class TypoPlugin:
    @staticmethod
    @hookimpl
    def ganbench_register(registrar):
        registrar.add_search_space("generator", "mlp", {"widht": IntRange(8, 64)})


def test_a_declared_range_for_an_option_the_component_lacks_fails_when_used():
    registry = get_registry()
    assert registry.add_plugin(TypoPlugin, PluginOrigin("typo", "gb-test-typo", "0"))
    from ganbench.runner.plan import DataConfig, load_dataset

    spec = load_dataset(registry, "ring8", DataConfig(root=".")).spec
    with pytest.raises(UserError, match=r"'widht' of generator 'mlp'.*valid: depth, hidden, noise_dim"):
        variant_space(registry, "dcgan", spec, TrainConfig(), Composition())

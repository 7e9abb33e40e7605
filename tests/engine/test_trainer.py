"""The training engine: determinism, divergence handling, throughput bookkeeping."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from ganbench.components import GANLoss, LossOutput
from ganbench.data.base import DatasetOptions
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import build_models, resolve_recipe
from ganbench.engine.config import TrainConfig
from ganbench.engine.seeding import seed_everything
from ganbench.engine.trainer import NONFINITE_POLL_EVERY, train
from ganbench.errors import UserError
from ganbench.registry import get_registry

CPU = torch.device("cpu")


def _train(variant: str, dataset: str, steps: int, seed: int = 0, **cfg):
    registry = get_registry()
    entry, _ = registry.dataset(dataset)
    data = entry.factory(DatasetOptions(root=Path(".")))
    seed_everything(seed)
    models = build_models(registry, resolve_recipe(registry, variant, data.spec), data.spec)
    config = TrainConfig(steps=steps, batch_size=32, log_every=5, **cfg)
    batches = batch_stream(data, "train", batch_size=32, device=CPU, seed=seed)
    return models, train(models, batches, config, CPU)


@pytest.mark.parametrize("variant", ["dcgan", "infogan", "minibatch"])
def test_same_seed_same_losses_and_weights(variant):
    models_a, a = _train(variant, "ring8", 12)
    models_b, b = _train(variant, "ring8", 12)
    assert a.status == b.status == "ok"
    assert a.history == b.history
    for (name, pa), (_, pb) in zip(
        models_a.generator.state_dict().items(), models_b.generator.state_dict().items(), strict=True
    ):
        assert torch.equal(pa, pb), name


def test_different_seed_differs():
    _, a = _train("dcgan", "ring8", 10, seed=0)
    _, b = _train("dcgan", "ring8", 10, seed=1)
    assert a.history != b.history


def test_image_variant_trains_on_digits():
    _, result = _train("dcgan", "digits", 6)
    assert result.status == "ok" and result.steps_done == 6
    assert [h["step"] for h in result.history] == [5, 6]
    assert math.isfinite(result.d_loss) and math.isfinite(result.train_img_s) and result.train_img_s > 0


class ExplodingLoss(GANLoss):
    """Non-saturating loss that returns NaN from the 8th discriminator call on."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def discriminator_loss(self, discriminator, real, fake, codes):
        self.calls += 1
        value = (
            torch.nn.functional.softplus(-discriminator(real)).mean()
            + torch.nn.functional.softplus(discriminator(fake)).mean()
        )
        return LossOutput(value * (math.nan if self.calls >= 8 else 1.0))

    def generator_loss(self, discriminator, fake, codes):
        return LossOutput(torch.nn.functional.softplus(-discriminator(fake)).mean())


def test_divergence_stops_with_the_exact_step():
    registry = get_registry()
    entry, _ = registry.dataset("ring8")
    data = entry.factory(DatasetOptions(root=Path(".")))
    models = build_models(registry, resolve_recipe(registry, "dcgan", data.spec), data.spec)
    models.loss = ExplodingLoss()
    result = train(
        models, batch_stream(data, "train", batch_size=16, device=CPU, seed=0), TrainConfig(steps=50, log_every=5), CPU
    )
    assert result.status == "diverged"
    assert result.diverged_step == 8
    assert result.steps_done == 8  # the watch polls every 4 steps, before the read-out at step 10


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_divergence_stops_within_a_few_steps_not_at_the_read_out(device):
    """lr 1e30 makes DCGAN's losses non-finite at once; training must not go on to the 50-step read-out."""
    registry = get_registry()
    data = registry.dataset("ring8")[0].factory(DatasetOptions(root=Path(".")))
    seed_everything(0)
    models = build_models(registry, resolve_recipe(registry, "dcgan", data.spec), data.spec)
    for module in models.modules().values():
        module.to(device)
    config = TrainConfig(steps=500, batch_size=32, log_every=50, lr_g=1e30, lr_d=1e30)
    result = train(models, batch_stream(data, "train", batch_size=32, device=torch.device(device), seed=0), config,
                   torch.device(device))  # fmt: skip
    assert result.status == "diverged" and result.diverged_step is not None
    slack = NONFINITE_POLL_EVERY if device == "cpu" else 4 * NONFINITE_POLL_EVERY  # CUDA reads a completed copy
    assert result.steps_done <= result.diverged_step + slack < 50, (result.diverged_step, result.steps_done)


def test_training_options_are_validated():
    with pytest.raises(UserError, match="--steps must be at least 1"):
        TrainConfig().with_overrides({"steps": 0})
    with pytest.raises(UserError, match="unknown training option"):
        TrainConfig().with_overrides({"stepz": 3})


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"beta1": 2.0}, "--beta1 must be a number in [0, 1), got 2.0"),
        ({"beta2": -0.1}, "--beta2 must be a number in [0, 1)"),
        ({"beta1": 1.0}, "--beta1 must be a number in [0, 1)"),
        ({"lr_g": math.inf}, "--lr-g must be a positive, finite number"),
        ({"lr_d": math.nan}, "--lr-d must be a positive, finite number"),
        ({"steps": "abc"}, "--steps must be an integer, got 'abc'"),
        ({"batch_size": 2.5}, "--batch-size must be an integer"),
        ({"warmup_steps": -1}, "warmup_steps must be a non-negative integer"),
        ({"compile": "yes"}, "compile must be true or false"),
    ],
)
def test_values_torch_would_reject_are_user_errors_before_training(overrides, needle):
    """Adam raises ValueError for beta1=2 only when the optimiser is built inside a cell."""
    with pytest.raises(UserError) as info:
        TrainConfig().with_overrides(overrides)
    assert needle in str(info.value)


# -- loss terms are logged next to the losses ------------------------------------------------------
class TermLoss(GANLoss):
    """Known terms: D returns its call number as ``calls`` and, on even calls only, ``lazy``; G returns ``d_loss``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def discriminator_loss(self, discriminator, real, fake, codes):
        self.calls += 1
        total = torch.nn.functional.softplus(discriminator(fake)).mean()
        terms = {"calls": torch.tensor(float(self.calls))}
        if self.calls % 2 == 0:
            terms["lazy"] = torch.tensor(10.0 * self.calls)
        return LossOutput(total, terms)

    def generator_loss(self, discriminator, fake, codes):
        total = torch.nn.functional.softplus(-discriminator(fake)).mean()
        return LossOutput(total, {"g_adv": total, "loss": torch.tensor(-1.0)})


def test_loss_terms_are_logged_per_interval_with_side_prefixed_names():
    from ganbench.engine.terms import history_columns, term_column

    registry = get_registry()
    data = registry.dataset("ring8")[0].factory(DatasetOptions(root=Path(".")))
    models = build_models(registry, resolve_recipe(registry, "dcgan", data.spec), data.spec)
    models.loss = TermLoss()
    logged = []
    result = train(
        models, batch_stream(data, "train", batch_size=16, device=CPU, seed=0),
        TrainConfig(steps=7, log_every=3), CPU, on_log=lambda step, losses, img_s: logged.append(losses),
    )  # fmt: skip
    assert result.status == "ok"
    assert [h["step"] for h in result.history] == [3, 6, 7]
    # intervals: steps 1-3 (calls 1, 2, 3), 4-6 (4, 5, 6), 7 (7); lazy is averaged over the steps that had it
    assert [h["d_calls"] for h in result.history] == [2.0, 5.0, 7.0]
    assert [h.get("d_lazy") for h in result.history] == [20.0, 50.0, None]
    for h in result.history:
        assert h["g_adv"] == pytest.approx(h["g_loss"], rel=1e-6)  # already prefixed: kept as it is
        assert h["g_loss_term"] == -1.0  # never shadows the loss column
    assert history_columns(result.history) == ["step", "d_loss", "g_loss", "d_calls", "g_adv", "g_loss_term", "d_lazy"]
    assert [{k: v for k, v in h.items() if k != "step"} for h in result.history] == logged
    assert (term_column("d", "d_real"), term_column("g", "d_real"), term_column("d", "loss")) == (
        "d_real",
        "g_d_real",
        "d_loss_term",
    )

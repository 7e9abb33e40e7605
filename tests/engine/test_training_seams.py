"""Optimisers, learning-rate schedules and the training step as registered, chosen seams."""

from __future__ import annotations

import copy
import importlib.util
import json
import math
import types
from pathlib import Path

import pytest
import torch

from ganbench.data.base import DatasetOptions
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import build_models, resolve_recipe
from ganbench.engine.config import TrainConfig
from ganbench.engine.optim import make_optimizers, make_schedules, make_training_step
from ganbench.engine.seeding import seed_everything
from ganbench.engine.trainer import train
from ganbench.errors import PluginError, UserError
from ganbench.plugin import TrainingStep, hookimpl
from ganbench.registrar import PluginOrigin
from ganbench.registry import PluginRegistry, get_registry
from ganbench.runner.cell import run_cell
from ganbench.runner.context import CellContext
from ganbench.runner.plan import DataConfig, EvalOptions, make_plan
from tests.inprocess import ganbench
from tests.plugin_author.helpers import EXAMPLE

CPU = torch.device("cpu")


def _dataset(name: str):
    entry, _ = get_registry().dataset(name)
    return entry.factory(DatasetOptions(root=Path(".")))


def _models(variant: str, data, seed: int = 0, registry: PluginRegistry | None = None):
    registry = registry or get_registry()
    seed_everything(seed)
    return build_models(registry, resolve_recipe(registry, variant, data.spec), data.spec)


# -- the default path is the loop it always was ------------------------------------------
def _hand_written_steps(models, batches, steps: int, d_steps: int) -> None:
    """The alternating loop as it was written before the seams (Adam, lr 2e-4, betas (0.5, 0.999))."""
    G, D, loss = models.generator, models.discriminator, models.loss
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(list(D.parameters()) + list(loss.parameters()), lr=2e-4, betas=(0.5, 0.999))
    G.train(), D.train(), loss.train()
    d_side = [p for m in (D, loss) for p in m.parameters()]
    for _ in range(steps):
        for i in range(d_steps):
            real = next(batches)[0]
            codes = loss.sample_codes(real.shape[0], CPU)
            latent = torch.cat([torch.randn(real.shape[0], G.noise_dim), codes], dim=1)
            with torch.set_grad_enabled(i == d_steps - 1):
                fake = G(latent)
            d_out = loss.discriminator_loss(D, real, fake.detach(), codes)
            opt_d.zero_grad(set_to_none=True)
            d_out.total.backward()
            opt_d.step()
        for p in d_side:
            p.requires_grad_(False)
        g_out = loss.generator_loss(D, fake, codes)
        opt_g.zero_grad(set_to_none=True)
        g_out.total.backward()
        opt_g.step()
        for p in d_side:
            p.requires_grad_(True)


def _assert_same_modules(a, b) -> None:
    for part in ("generator", "discriminator", "loss"):
        sa, sb = getattr(a, part).state_dict(), getattr(b, part).state_dict()
        assert sa.keys() == sb.keys()
        for name in sa:
            assert torch.equal(sa[name], sb[name]), (part, name)


@pytest.mark.parametrize(("variant", "dataset"), [("infogan", "ring8"), ("dcgan", "digits")])
def test_default_training_is_the_hand_written_loop_bit_for_bit(variant, dataset):
    """Default optimiser, schedule and step: the same weights as the pre-seam loop (InfoGAN: codes and Q head)."""
    data = _dataset(dataset)
    ours = _models(variant, data)
    result = train(
        ours, batch_stream(data, "train", batch_size=16, device=CPU, seed=0), TrainConfig(steps=4, d_steps=2), CPU
    )
    assert result.status == "ok"
    theirs = _models(variant, data)
    _hand_written_steps(theirs, batch_stream(data, "train", batch_size=16, device=CPU, seed=0), 4, 2)
    _assert_same_modules(ours, theirs)


# -- optimisers and schedules ---------------------------------------------------------------
def test_optimisers_are_chosen_per_side_with_their_options():
    models = _models("dcgan", _dataset("ring8"))
    cfg = TrainConfig(
        lr_g=0.01, lr_d=0.02, optimizer_g="sgd", optimizer_g_options={"momentum": 0.9, "nesterov": True},
        optimizer_d="rmsprop", optimizer_d_options={"alpha": 0.9},
    )  # fmt: skip
    opt_g, opt_d = make_optimizers(models, cfg)
    assert type(opt_g) is torch.optim.SGD and type(opt_d) is torch.optim.RMSprop
    assert opt_g.param_groups[0]["momentum"] == 0.9 and opt_g.param_groups[0]["nesterov"]
    assert (opt_g.param_groups[0]["lr"], opt_d.param_groups[0]["lr"], opt_d.param_groups[0]["alpha"]) == (
        0.01, 0.02, 0.9,
    )  # fmt: skip
    d_params = {id(p) for p in opt_d.param_groups[0]["params"]}
    assert d_params == {id(p) for m in (models.discriminator, models.loss) for p in m.parameters()}
    adam_g, adam_d = make_optimizers(models, TrainConfig(optimizer_d="adamw"))
    assert type(adam_g) is torch.optim.Adam and adam_g.param_groups[0]["betas"] == (0.5, 0.999)
    assert type(adam_d) is torch.optim.AdamW and adam_d.param_groups[0]["weight_decay"] == 0.01


class RecordRates(TrainingStep):
    """The alternating step, recording both learning rates each step is taken with."""

    def __init__(self) -> None:
        self.rates: list[tuple[float, float]] = []

    def run(self, ctx):  # type: ignore[no-untyped-def]
        self.rates.append((ctx.opt_g.param_groups[0]["lr"], ctx.opt_d.param_groups[0]["lr"]))
        return super().run(ctx)


def test_schedules_follow_their_closed_forms():
    data, steps, lr = _dataset("ring8"), 8, 1e-3
    models = _models("dcgan", data)
    cfg = TrainConfig(
        steps=steps, lr_g=lr, lr_d=lr, schedule_g="linear", schedule_g_options={"end_factor": 0.25},
        schedule_d="cosine", schedule_d_options={"eta_min": 1e-4},
    )  # fmt: skip
    optimizers = make_optimizers(models, cfg)
    schedules = make_schedules(optimizers, cfg)
    recorder = RecordRates()
    batches = batch_stream(data, "train", batch_size=16, device=CPU, seed=0)
    train(models, batches, cfg, CPU, optimizers=optimizers, schedules=schedules, training_step=recorder)
    for s, (g, d) in enumerate(recorder.rates):
        assert g == pytest.approx(lr * (1 - 0.75 * s / steps), rel=1e-9), s
        assert d == pytest.approx(1e-4 + (lr - 1e-4) * (1 + math.cos(math.pi * s / steps)) / 2, rel=1e-9), s
    assert optimizers[0].param_groups[0]["lr"] == pytest.approx(0.25 * lr)  # after the last step
    assert make_schedules(optimizers, TrainConfig()) == (None, None)  # constant: nothing is stepped


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"optimizer_g": "nope"}, r"unknown optimizer 'nope'; valid choices: adam, adamw, rmsprop, sgd"),
        ({"schedule_d": "nope"}, r"unknown schedule 'nope'; valid choices: constant, cosine, linear"),
        ({"training_step": "nope"}, r"unknown training step 'nope'; valid choices: alternating"),
        ({"optimizer_d": "sgd", "optimizer_d_options": {"momentum": -1}}, r"optimizer 'sgd' for the discrim.*momentum"),
        ({"optimizer_g_options": {"betas": [0.5, 0.9]}}, r"unknown option 'betas'; valid options: eps, weight_decay"),
        ({"optimizer_g_options": {"eps": -1.0}}, r"optimizer 'adam' for the generator \(eps=-1.0\): Invalid epsilon"),
        ({"beta1": 1.5}, r"--beta1 must be a number in \[0, 1\), got 1.5"),
        ({"schedule_g": "linear", "schedule_g_options": {"end_factor": 2}}, r"schedule 'linear' for the generator"),
    ],
)
def test_bad_values_fail_when_planning(override, message):
    with pytest.raises(UserError, match=message):
        make_plan(
            get_registry(), variants=["dcgan"], datasets=["ring8"], seeds=[0], data=DataConfig(root=Path(".")),
            train_overrides={"steps": 5, **override},
        )  # fmt: skip


def test_a_new_optimiser_name_drops_the_options_of_the_one_it_replaces():
    recipe = TrainConfig().with_overrides({"optimizer_d": "sgd", "optimizer_d_options": {"momentum": 0.9}})
    assert recipe.with_overrides({"optimizer_d": "adam"}).optimizer_d_options == {}
    assert recipe.with_overrides({"lr_d": 1e-3}).optimizer_d_options == {"momentum": 0.9}
    assert recipe.with_overrides({"optimizer_d": "sgd"}).optimizer_d_options == {"momentum": 0.9}


def test_cli_rejects_a_bad_optimiser_before_training(tmp_path):
    result = ganbench(
        "run", "--plugins", "dcgan", "--dataset", "ring8", "--steps", "5", "--results-dir", str(tmp_path),
        "--optimizer-d", "sgd", "--optimizer-d-opt", "momentum=-0.5", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "ganbench: error: optimizer 'sgd' for the discriminator (momentum=-0.5): Invalid momentum value: -0.5"
    ]
    assert not any(tmp_path.iterdir())


def test_resume_with_schedules_and_momentum_is_bit_for_bit(tmp_path):
    registry = get_registry()
    plan = make_plan(
        registry, variants=["dcgan"], datasets=["ring8"], seeds=[0], data=DataConfig(root=Path(".")),
        train_overrides={
            "steps": 30, "batch_size": 32, "log_every": 5, "optimizer_d": "sgd",
            "optimizer_d_options": {"momentum": 0.9}, "lr_d": 0.01, "schedule_g": "cosine", "schedule_d": "linear",
        },
    )  # fmt: skip
    cell, data = plan.cells[0], plan.datasets["ring8"]

    def ctx(run_dir: Path, **kw) -> CellContext:
        return CellContext(registry, data, CPU, run_dir, EvalOptions(enabled=False), checkpoint_every=10, **kw)

    def stop_at_15(cell, step, losses, img_s) -> None:
        if step >= 15:
            raise KeyboardInterrupt

    full = run_cell(cell, ctx(tmp_path / "full"))
    with pytest.raises(KeyboardInterrupt):
        run_cell(cell, ctx(tmp_path / "cut", on_log=stop_at_15))
    saved = torch.load(tmp_path / "cut" / cell.cell_id / "checkpoint.pt", weights_only=True)
    assert saved["step"] == 10 and all(s is not None for s in saved["schedules"])
    assert saved["schedules"][0]["last_epoch"] == 10
    resumed = run_cell(cell, ctx(tmp_path / "cut", resume=True))
    assert resumed["status"] == full["status"] == "ok"
    for name in ("generator.pt",):
        a = torch.load(tmp_path / "full" / cell.cell_id / name, weights_only=True)["state_dict"]
        b = torch.load(tmp_path / "cut" / cell.cell_id / name, weights_only=True)["state_dict"]
        assert all(torch.equal(a[k], b[k]) for k in a)
    history = [(tmp_path / d / cell.cell_id / "history.csv").read_text() for d in ("full", "cut")]
    assert history[0] == history[1]
    config = json.loads((tmp_path / "full" / cell.cell_id / "config.json").read_text())
    assert (config["train"]["optimizer_d"], config["train"]["schedule_g"]) == ("sgd", "cosine")


# -- the training-step seam ----------------------------------------------------------------------
class CountingStep(TrainingStep):
    """Wraps both updates (calls super()), so training must be unchanged; counts what it saw."""

    def __init__(self) -> None:
        self.d_calls, self.g_steps, self.seen_steps = 0, 0, []

    def discriminator_step(self, ctx, batch):  # type: ignore[no-untyped-def]
        reused_by_the_generator_step = self.d_calls % ctx.d_steps == ctx.d_steps - 1
        assert (batch.fake.grad_fn is not None) == reused_by_the_generator_step
        self.d_calls += 1
        return super().discriminator_step(ctx, batch)

    def generator_step(self, ctx, batch):  # type: ignore[no-untyped-def]
        assert batch.latent.shape == (batch.real.shape[0], ctx.generator.noise_dim + batch.codes.shape[1])
        assert ctx.discriminator.training and ctx.opt_g.param_groups[0]["lr"] == 2e-4
        self.g_steps += 1
        self.seen_steps.append(ctx.step)
        return super().generator_step(ctx, batch)


def _plugin_registry(**hooks) -> PluginRegistry:
    registry = PluginRegistry(strict=True)
    registry.load_entry_points(allowed=set())
    module = types.SimpleNamespace(**hooks)
    assert registry.add_plugin(module, PluginOrigin("seams", "test-seams", "0"))
    return registry


def test_a_registered_step_is_chosen_by_name_and_wraps_the_default():
    counting = CountingStep()

    @hookimpl
    def ganbench_register(registrar):
        registrar.add_training_step("counting", lambda: counting, description="Counts (test).")

    registry = _plugin_registry(ganbench_register=ganbench_register)
    data = _dataset("ring8")
    cfg = TrainConfig(steps=6, d_steps=2, log_every=3, training_step="counting")
    step = make_training_step(cfg, registry)
    assert step is counting
    wrapped = _models("dcgan", data, registry=registry)  # each model is built and trained from the same seed
    batches = batch_stream(data, "train", batch_size=16, device=CPU, seed=0)
    train(wrapped, batches, cfg, CPU, optimizers=make_optimizers(wrapped, cfg, registry), training_step=step)
    plain = _models("dcgan", data, registry=registry)
    train(plain, batch_stream(data, "train", batch_size=16, device=CPU, seed=0), TrainConfig(steps=6, d_steps=2), CPU)
    assert (counting.d_calls, counting.g_steps, counting.seen_steps) == (12, 6, [0, 1, 2, 3, 4, 5])
    _assert_same_modules(wrapped, plain)


def test_registering_a_seam_is_validated():
    @hookimpl
    def ganbench_register(registrar):
        registrar.add_optimizer("adam", lambda params, ctx: None, description="A second adam.")

    registry = PluginRegistry(strict=True)
    registry.load_entry_points(allowed=set())
    with pytest.raises(PluginError, match="duplicate optimizer name 'adam': already registered by plugin 'training'"):
        registry.add_plugin(types.SimpleNamespace(ganbench_register=ganbench_register), PluginOrigin("x", "x", "0"))

    @hookimpl
    def no_description(registrar):
        registrar.add_schedule("mine", lambda opt, ctx: None, description=" ")

    with pytest.raises(PluginError, match="schedule 'mine' is missing its description"):
        registry.add_plugin(types.SimpleNamespace(ganbench_register=no_description), PluginOrigin("y", "y", "0"))


# -- the example package's unrolled step, on the real loop --------------------------------------
def _example_training_module() -> types.ModuleType:
    path = EXAMPLE / "src" / "ganbench_extra_losses" / "training.py"
    spec = importlib.util.spec_from_file_location("example_training_seams", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_unrolled_step_takes_g_against_the_unrolled_d_and_restores_d():
    """One step by the seam against the same step by hand: D updated once, G against D after k more updates."""
    unrolled = _example_training_module().unrolled_step(unroll=3)
    data, k = _dataset("ring8"), 3
    ours = _models("dcgan", data)
    cfg = TrainConfig(steps=1, lr_g=1e-3, lr_d=1e-3)
    batches = batch_stream(data, "train", batch_size=16, device=CPU, seed=0)
    train(ours, batches, cfg, CPU, training_step=unrolled)

    theirs = _models("dcgan", data)
    G, D, loss = theirs.generator, theirs.discriminator, theirs.loss
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    real = next(batch_stream(data, "train", batch_size=16, device=CPU, seed=0))[0]
    fake = G(torch.randn(16, G.noise_dim))

    def d_update() -> None:
        opt_d.zero_grad()
        loss.discriminator_loss(D, real, fake.detach(), None).total.backward()
        opt_d.step()

    d_update()
    after_one = copy.deepcopy(D.state_dict())
    for _ in range(k):
        d_update()
    opt_g.zero_grad()
    loss.generator_loss(D, fake, None).total.backward()  # only G's gradient is used
    opt_g.step()
    D.load_state_dict(after_one)
    _assert_same_modules(ours, theirs)

    alternating = _models("dcgan", data)
    train(alternating, batch_stream(data, "train", batch_size=16, device=CPU, seed=0), cfg, CPU)
    assert not torch.equal(next(iter(alternating.generator.parameters())), next(iter(ours.generator.parameters()))), (
        "unrolling must change the generator's update"
    )


def test_simultaneous_step_takes_both_gradients_at_the_same_parameters():
    """ALI's rule (the PacGAN paper's code): D's and G's gradients at the step's starting parameters, by hand."""
    data = _dataset("ring8")
    cfg = TrainConfig(steps=3, lr_g=1e-3, lr_d=1e-3, training_step="simultaneous")
    ours = _models("dcgan", data)
    train(ours, batch_stream(data, "train", batch_size=16, device=CPU, seed=0), cfg, CPU)

    theirs = _models("dcgan", data)
    G, D, loss = theirs.generator, theirs.discriminator, theirs.loss
    G.train(), D.train()
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    batches = batch_stream(data, "train", batch_size=16, device=CPU, seed=0)
    for _ in range(3):
        real = next(batches)[0]
        fake = G(torch.randn(16, G.noise_dim))
        d_total = loss.discriminator_loss(D, real, fake.detach(), None).total
        g_total = loss.generator_loss(D, fake, None).total
        g_grads = torch.autograd.grad(g_total, list(G.parameters()))
        d_grads = torch.autograd.grad(d_total, list(D.parameters()))
        for params, grads in ((G.parameters(), g_grads), (D.parameters(), d_grads)):
            for p, g in zip(params, grads, strict=True):
                p.grad = g
        opt_g.step()
        opt_d.step()
    _assert_same_modules(ours, theirs)

    alternating = _models("dcgan", data)
    train(
        alternating,
        batch_stream(data, "train", batch_size=16, device=CPU, seed=0),
        TrainConfig(steps=3, lr_g=1e-3, lr_d=1e-3),
        CPU,
    )
    assert not torch.equal(next(iter(alternating.generator.parameters())), next(iter(ours.generator.parameters())))


def test_pacgan_variants_train_with_the_simultaneous_step():
    data = _dataset("ring8")
    for variant in ("pacgan1", "pacgan4"):
        recipe = resolve_recipe(get_registry(), variant, data.spec)
        assert recipe.train_options["training_step"] == "simultaneous"

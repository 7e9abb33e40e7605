"""Labels reach conditional components: a tiny conditional G, D and loss in a test plugin, written from the docs.

On ring8 and grid25 a point's label is the index of the mixture component it
was drawn from, so the nearest mode centre of every real point must be its
label; on digits every real image must carry the dataset's own label for it.
"""

from __future__ import annotations

import math
import types
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganbench.data.base import DatasetOptions, DataSpec
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import build_models
from ganbench.engine.config import TrainConfig
from ganbench.engine.sampling import generate
from ganbench.engine.seeding import seed_everything
from ganbench.engine.trainer import train
from ganbench.errors import IncompatibleError
from ganbench.plugin import BuildContext, Discriminator, GANLoss, Generator, LossOutput, Recipe, Variant, hookimpl
from ganbench.registrar import PluginOrigin
from ganbench.registry import PluginRegistry
from ganbench.runner.cell import run_cell
from ganbench.runner.context import CellContext
from ganbench.runner.plan import DataConfig, EvalOptions, make_plan

CPU = torch.device("cpu")


# -- the test plugin: conditional components as the docs describe them -----------------------
class ConditionalMLPGenerator(Generator):
    conditional = True

    def __init__(self, ctx: BuildContext, noise_dim: int = 8, hidden: int = 64) -> None:
        super().__init__()
        self.noise_dim, self.latent_dim = noise_dim, noise_dim + ctx.code_dim
        self.shape, self.image = ctx.spec.shape, ctx.spec.kind == "image"
        self.embed = nn.Embedding(ctx.spec.num_classes or 1, 8)  # the engine refuses unlabelled data
        self.net = nn.Sequential(
            nn.Linear(self.latent_dim + 8, hidden), nn.ReLU(), nn.Linear(hidden, math.prod(self.shape))
        )
        self.seen: list[torch.Tensor] = []

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self.seen.append(labels.clone())
        out = self.net(torch.cat([z, self.embed(labels)], dim=1)).view(-1, *self.shape)
        return torch.tanh(out) if self.image else out


class ProjectionDiscriminator(Discriminator):
    """``classify(f, y) = w·f + <embed(y), f>`` (projection discriminator, Miyato & Koyama 2018)."""

    conditional = True

    def __init__(self, ctx: BuildContext, hidden: int = 64) -> None:
        super().__init__()
        self.feature_dim = hidden
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(ctx.spec.shape), hidden), nn.LeakyReLU(0.2))
        self.head = nn.Linear(hidden, 1)
        self.embed = nn.Embedding(ctx.spec.num_classes, hidden)
        self.seen: list[torch.Tensor] = []

    def features(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self.seen.append(labels.clone())
        return self.body(x)

    def classify(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.head(features).squeeze(-1) + (self.embed(labels) * features).sum(dim=1)


class RecordingConditionalLoss(GANLoss):
    """The non-saturating loss, recording the labels (and the real batch) each method receives."""

    conditional = True

    def __init__(self) -> None:
        super().__init__()
        self.d_seen: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.g_seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def discriminator_loss(self, discriminator, real, fake, codes, labels):  # type: ignore[no-untyped-def]
        self.d_seen.append((real.clone(), labels.clone()))
        return LossOutput(F.softplus(-discriminator(real)).mean() + F.softplus(discriminator(fake)).mean())

    def generator_loss(self, discriminator, fake, codes, labels, real):  # type: ignore[no-untyped-def]
        self.g_seen.append((real.clone(), labels.clone()))
        return LossOutput(F.softplus(-discriminator(fake)).mean())


class ForgetfulConditionalLoss(RecordingConditionalLoss):
    def generator_loss(self, discriminator, fake, codes):  # type: ignore[no-untyped-def,override]
        return LossOutput(F.softplus(-discriminator(fake)).mean())


@hookimpl
def ganbench_register(registrar) -> None:  # type: ignore[no-untyped-def]
    kinds = ("image", "points")
    registrar.add_generator("t-cond-mlp", ConditionalMLPGenerator, description="Conditional MLP G.", data_kinds=kinds)
    registrar.add_discriminator("t-projection", ProjectionDiscriminator, description="Projection D.", data_kinds=kinds)
    registrar.add_loss("cond-recording", lambda ctx: RecordingConditionalLoss(), description="Records labels.")
    registrar.add_loss("cond-forgetful", lambda ctx: ForgetfulConditionalLoss(), description="Lacks labels=.")
    recipe = Recipe("t-cond-mlp", "t-projection", "cond-recording", train_options={"lr_g": 1e-3, "lr_d": 1e-3})
    registrar.add_variant(Variant("cgan-test", "Conditional test GAN.", {"image": recipe, "points": recipe}))


def registry() -> PluginRegistry:
    reg = PluginRegistry(strict=True)
    reg.load_entry_points(allowed=set())
    assert reg.add_plugin(
        types.SimpleNamespace(ganbench_register=ganbench_register), PluginOrigin("cgan", "t-cgan", "0")
    )
    return reg


def _dataset(reg: PluginRegistry, name: str):
    entry, _ = reg.dataset(name)
    return entry.factory(DatasetOptions(root=Path(".")))


def _trained(reg: PluginRegistry, dataset: str, recipe: Recipe, steps: int = 4, d_steps: int = 2):
    data = _dataset(reg, dataset)
    seed_everything(0)
    models = build_models(reg, recipe, data.spec)
    batches = batch_stream(data, "train", batch_size=32, device=CPU, seed=0)
    result = train(models, batches, TrainConfig(steps=steps, d_steps=d_steps, log_every=2), CPU)
    assert result.status == "ok"
    return data, models


def _true_labels(data, real: torch.Tensor) -> torch.Tensor:
    if data.spec.mode_centres is not None:  # mixtures: the label is the mode the point was drawn from
        centres = torch.tensor(data.spec.mode_centres)
        return torch.cdist(real, centres).argmin(dim=1)
    x, y = data.tensors("train")  # digits: look each image up in the dataset
    lookup = {bytes(img.numpy().tobytes()): int(label) for img, label in zip(x, y, strict=True)}
    return torch.tensor([lookup[bytes(img.numpy().tobytes())] for img in real])


@pytest.mark.parametrize("dataset", ["ring8", "grid25", "digits"])
def test_conditional_g_d_and_loss_receive_the_real_batchs_labels(dataset):
    reg = registry()
    recipe = reg.variant("cgan-test").variant.recipe_for("points" if dataset != "digits" else "image")
    data, models = _trained(reg, dataset, recipe, steps=4, d_steps=2)
    G, D, loss = models.generator, models.discriminator, models.loss
    assert len(loss.d_seen) == 8 and len(loss.g_seen) == 4 and len(G.seen) == 8
    classes = set()
    for (real, labels), g_labels in zip(loss.d_seen, G.seen, strict=True):
        assert labels.dtype == torch.long and labels.shape == (32,)
        assert torch.equal(labels, _true_labels(data, real))  # the labels belong to these very items
        assert torch.equal(g_labels, labels)  # the fake was generated for the real batch's labels
        classes |= set(labels.tolist())
    assert len(classes) > 1
    # D saw them too: per step, two D updates scoring real then fake, then the G update scoring the last fake.
    assert len(D.seen) == 4 * 5
    for s in range(4):
        for j in range(2):
            labels = loss.d_seen[2 * s + j][1]
            assert torch.equal(D.seen[5 * s + 2 * j], labels) and torch.equal(D.seen[5 * s + 2 * j + 1], labels)
        assert torch.equal(D.seen[5 * s + 4], loss.d_seen[2 * s + 1][1])
    for step, (real, labels) in enumerate(loss.g_seen):  # the G step gets the last D update's batch, real included
        last_real, last_labels = loss.d_seen[2 * step + 1]
        assert torch.equal(real, last_real) and torch.equal(labels, last_labels)


def test_conditional_and_unconditional_components_mix():
    """A conditional G with the built-in (unconditional) mlp D and non-saturating loss trains unchanged."""
    reg = registry()
    _, models = _trained(reg, "ring8", Recipe("t-cond-mlp", "mlp", "nonsaturating"), steps=3, d_steps=1)
    assert len(models.generator.seen) == 3
    samples = generate(models, 300, CPU, seed=1)
    assert samples.images.shape == (300, 2) and samples.labels is not None
    assert samples.labels.min() >= 0 and samples.labels.max() < 8 and len(samples.labels.unique()) == 8


def test_conditional_components_need_labelled_data_and_a_loss_that_takes_labels():
    reg = registry()
    spec = DataSpec(name="unlabelled", kind="points", shape=(2,))
    with pytest.raises(IncompatibleError, match=r"the generator of this recipe is conditional, but dataset"):
        build_models(reg, Recipe("t-cond-mlp", "mlp", "nonsaturating"), spec)
    ring = _dataset(reg, "ring8").spec
    with pytest.raises(IncompatibleError, match=r"loss 'cond-forgetful' is conditional but its generator_loss"):
        build_models(reg, Recipe("mlp", "mlp", "cond-forgetful"), ring)


def test_a_conditional_variant_runs_and_is_scored_as_a_cell(tmp_path):
    reg = registry()
    plan = make_plan(
        reg, variants=["cgan-test"], datasets=["ring8"], seeds=[0], data=DataConfig(root=Path(".")),
        train_overrides={"steps": 10, "batch_size": 32, "log_every": 5},
    )  # fmt: skip
    row = run_cell(plan.cells[0], CellContext(reg, plan.datasets["ring8"], CPU, tmp_path, EvalOptions(n_samples=500)))
    assert row["status"] == "ok", row["error"]
    assert row["modes_total"] == 8

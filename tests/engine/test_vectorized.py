"""--vectorize-seeds: S seeds trained as one batched model match their sequential runs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from ganbench.components import GANLoss
from ganbench.data.base import DatasetOptions
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import Composition, build_models, resolve_recipe
from ganbench.engine.config import TrainConfig
from ganbench.engine.seeding import rng_state, seed_everything
from ganbench.engine.trainer import train
from ganbench.engine.vectorized import check_vectorizable, train_vectorized
from ganbench.errors import UserError
from ganbench.metrics.modes import mixture_modes
from ganbench.registry import get_registry

CPU = torch.device("cpu")
SEEDS = (0, 1, 2)
# Small networks keep 200 steps × (3 sequential + 1 batched) runs to a few seconds.
SMALL = {
    "dcgan": Composition(generator_options={"hidden": 32, "depth": 2}, discriminator_options={"hidden": 32}),
    "pacgan2": Composition(
        generator_options={"hidden": 32, "depth": 2},
        discriminator_options={"pack": 2, "body": "maxout", "body_options": {"units": 16, "pieces": 3}},
    ),
}


def _setup(variant: str, seed: int, steps: int, batch: int):
    registry = get_registry()
    entry, _ = registry.dataset("ring8")
    data = entry.factory(DatasetOptions(root=Path(".")))
    recipe = resolve_recipe(registry, variant, data.spec, SMALL[variant])
    cfg = TrainConfig().with_overrides(dict(recipe.train_options))
    cfg = dataclasses.replace(cfg, steps=steps, batch_size=batch, log_every=1, warmup_steps=0)
    seed_everything(seed)
    models = build_models(registry, recipe, data.spec)
    return models, cfg, batch_stream(data, "train", batch_size=batch, device=CPU, seed=seed)


@pytest.mark.parametrize(("variant", "batch"), [("dcgan", 32), ("pacgan2", 32)])
def test_each_seed_matches_its_sequential_run(variant, batch):
    torch.set_num_threads(1)
    steps = 200
    sequential = []
    for seed in SEEDS:
        models, cfg, stream = _setup(variant, seed, steps, batch)
        result = train(models, stream, cfg, CPU)
        sequential.append((models, result))
    seed_models, states, streams = [], [], []
    for seed in SEEDS:
        models, cfg, stream = _setup(variant, seed, steps, batch)
        seed_models.append(models)
        states.append(rng_state())
        streams.append(stream)
    outcome = train_vectorized(seed_models, states, streams, cfg, CPU)

    for (seq_models, seq), vec, vec_models in zip(sequential, outcome.results, seed_models, strict=True):
        assert seq.status == vec.status == "ok" and vec.steps_done == steps
        assert [h["step"] for h in vec.history] == [h["step"] for h in seq.history]
        for key in ("d_loss", "g_loss"):
            expected = torch.tensor([h[key] for h in seq.history])
            got = torch.tensor([h[key] for h in vec.history])
            torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-6)
        # Batch-norm running statistics and weights came back into each seed's own module.
        for (name, a), (_, b) in zip(
            seq_models.generator.state_dict().items(), vec_models.generator.state_dict().items(), strict=True
        ):
            torch.testing.assert_close(b.float(), a.float(), rtol=1e-3, atol=1e-5, msg=name)
        # Identical samples give identical metrics; the two generators' samples agree to round-off.
        torch.manual_seed(123)
        z = torch.randn(500, seq_models.generator.noise_dim)
        seq_models.generator.eval(), vec_models.generator.eval()
        with torch.no_grad():
            a, b = seq_models.generator(z), vec_models.generator(z)
        torch.testing.assert_close(b, a, rtol=1e-3, atol=1e-4)
        spec = seq_models.spec
        got, expected = (mixture_modes(x, spec.mode_centres, spec.mode_std) for x in (b, a))
        assert (got["modes"], got["hq_fraction"]) == (expected["modes"], expected["hq_fraction"])
        assert got["kl_modes"] == pytest.approx(expected["kl_modes"], rel=1e-6, nan_ok=True)
    assert not torch.allclose(  # the seeds really are different runs
        torch.tensor([h["d_loss"] for h in outcome.results[0].history]),
        torch.tensor([h["d_loss"] for h in outcome.results[1].history]),
    )


def test_losses_with_own_modules_are_refused():
    registry = get_registry()
    entry, _ = registry.dataset("ring8")
    data = entry.factory(DatasetOptions(root=Path(".")))
    models = build_models(registry, resolve_recipe(registry, "infogan", data.spec), data.spec)
    with pytest.raises(UserError, match="--vectorize-seeds needs a loss without"):
        check_vectorizable(models, TrainConfig())


def test_vectorized_seeds_are_deterministic():
    torch.set_num_threads(1)
    runs = []
    for _ in range(2):
        seed_models, states, streams = [], [], []
        for seed in (3, 4):
            models, cfg, stream = _setup("pacgan2", seed, 15, 16)
            seed_models.append(models)
            states.append(rng_state())
            streams.append(stream)
        runs.append(train_vectorized(seed_models, states, streams, cfg, CPU))
    assert [r.history for r in runs[0].results] == [r.history for r in runs[1].results]


class _TermsLoss(GANLoss):
    """A plugin-style loss without modules that logs terms (a tensor each side and a plain float), around the
    recipe's own loss: the batched loop must log them per seed as the sequential loop does."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def discriminator_loss(self, D, real, fake, codes):
        out = self.inner.discriminator_loss(D, real, fake, codes)
        return type(out)(out.total, {"real_score": D(real).mean(), "const": 0.5})

    def generator_loss(self, D, fake, codes):
        out = self.inner.generator_loss(D, fake, codes)
        return type(out)(out.total, {"fake_score": D(fake).mean()})


def test_loss_terms_are_logged_per_seed_as_in_the_sequential_loop():
    torch.set_num_threads(1)
    steps, seeds = 12, (0, 1)

    def with_terms(seed):
        models, cfg, stream = _setup("dcgan", seed, steps, 16)
        return dataclasses.replace(models, loss=_TermsLoss(models.loss)), cfg, stream

    sequential = []
    for seed in seeds:
        models, cfg, stream = with_terms(seed)
        sequential.append(train(models, stream, cfg, CPU).history)
    seed_models, states, streams = [], [], []
    for seed in seeds:
        models, cfg, stream = with_terms(seed)
        seed_models.append(models)
        states.append(rng_state())
        streams.append(stream)
    outcome = train_vectorized(seed_models, states, streams, cfg, CPU)
    for seq, vec in zip(sequential, (r.history for r in outcome.results), strict=True):
        assert list(vec[0]) == list(seq[0]) == ["step", "d_loss", "g_loss", "d_real_score", "d_const", "g_fake_score"]
        for key in ("d_real_score", "d_const", "g_fake_score"):
            torch.testing.assert_close(torch.tensor([h[key] for h in vec]), torch.tensor([h[key] for h in seq]))
    assert sequential[0][0]["d_real_score"] != sequential[1][0]["d_real_score"]  # per seed, not one seed's

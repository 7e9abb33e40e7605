"""PacGAN (Lin et al. 2018): the paper's 2D networks, packing, the variants' recipe, the batch-size check."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from ganbench.builtins.pacgan.networks import BatchNormMLPGenerator, Maxout, MaxoutDiscriminator
from ganbench.builtins.pacgan.packing import PacDiscriminator, pack_samples
from ganbench.cli import main
from ganbench.data.base import DatasetOptions
from ganbench.engine.build import build_models, resolve_recipe
from ganbench.engine.config import TrainConfig
from ganbench.errors import IncompatibleError
from ganbench.registry import get_registry


def _models(variant: str, dataset: str = "ring8"):
    registry = get_registry()
    entry, _ = registry.dataset(dataset)
    data = entry.factory(DatasetOptions(root=Path(".")))
    recipe = resolve_recipe(registry, variant, data.spec)
    return recipe, build_models(registry, recipe, data.spec)


def test_registered_names():
    registry = get_registry()
    assert {"pacgan1", "pacgan2", "pacgan3", "pacgan4"} <= set(registry.names("variant"))
    assert {"maxout", "pacgan"} <= set(registry.names("discriminator"))
    assert "mlp-bn" in registry.names("generator")


@pytest.mark.parametrize("pack", [1, 2, 3, 4])
def test_points_recipe_is_the_papers(pack):
    recipe, models = _models(f"pacgan{pack}")
    cfg = TrainConfig().with_overrides(dict(recipe.train_options))
    assert (cfg.lr_g, cfg.lr_d, cfg.beta1, cfg.beta2, cfg.d_steps) == (1e-4, 1e-4, 0.8, 0.999, 1)
    assert cfg.batch_size == 100 * pack, "100 packs per minibatch, as in the official code"
    assert recipe.loss == "nonsaturating"
    G, D = models.generator, models.discriminator
    assert isinstance(G, BatchNormMLPGenerator) and G.noise_dim == 2
    linears = [m for m in G.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features, m.bias is not None) for m in linears] == [
        (2, 400, False), (400, 400, False), (400, 400, False), (400, 400, False), (400, 2, True)
    ]  # fmt: skip
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in G.modules()) == 4
    assert isinstance(D, PacDiscriminator) and D.pack == D.batch_multiple == pack
    body = D.body
    assert isinstance(body, MaxoutDiscriminator)
    maxouts = [m for m in body.modules() if isinstance(m, Maxout)]
    expected = [(2 * pack, 200, 5), (200, 200, 5), (200, 200, 5)]
    assert [(m.linear.in_features, m.units, m.pieces) for m in maxouts] == expected
    assert body.head.in_features == 200 and body.head.out_features == 1


def test_paper_init():
    _, models = _models("pacgan2")
    for module in [*models.generator.modules(), *models.discriminator.modules()]:
        if isinstance(module, torch.nn.Linear):
            w = module.weight.detach()
            if w.numel() >= 10_000:  # enough values for a tight std estimate
                assert abs(float(w.std()) - 0.02) < 0.002 and abs(float(w.mean())) < 0.002
            if module.bias is not None:
                assert torch.count_nonzero(module.bias) == 0


def test_maxout_is_max_over_pieces():
    layer = Maxout(3, units=4, pieces=5)
    x = torch.randn(7, 3)
    affine = x @ layer.linear.weight.T + layer.linear.bias  # (7, 20): unit u owns columns 5u..5u+4
    expected = torch.stack([affine[:, 5 * u : 5 * u + 5].max(dim=1).values for u in range(4)], dim=1)
    torch.testing.assert_close(layer(x), expected)


def test_packing_concatenates_consecutive_samples():
    x = torch.arange(12.0).reshape(6, 2)
    packed = pack_samples(x, 3)
    assert packed.tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    images = torch.randn(4, 3, 8, 8)
    packed = pack_samples(images, 2)
    assert packed.shape == (2, 6, 8, 8)
    assert torch.equal(packed[1, 3:], images[3]), "images are packed along the channels"
    with pytest.raises(ValueError, match="packs of 4"):
        pack_samples(torch.zeros(6, 2), 4)


def test_discriminator_scores_one_logit_per_pack():
    _, models = _models("pacgan3")
    assert models.discriminator(torch.randn(300, 2)).shape == (100,)


def test_pacdcgan_on_stacked_digits():
    _, models = _models("pacgan2", "stacked-digits")
    D = models.discriminator
    assert D.body.main[0].in_channels == 6, "two 3-channel images stacked along the channels"
    fake = models.generator(torch.randn(8, models.generator.latent_dim))
    assert D(fake).shape == (4,)


def test_pacgan_on_another_registered_body():
    registry = get_registry()
    entry, _ = registry.dataset("ring8")
    data = entry.factory(DatasetOptions(root=Path(".")))
    recipe = resolve_recipe(registry, "pacgan4", data.spec)
    recipe = dataclasses.replace(recipe, discriminator_options={"pack": 4, "body": "mlp"})
    models = build_models(registry, recipe, data.spec)
    assert models.discriminator.body.main[0].in_features == 8
    with pytest.raises(IncompatibleError, match="pack twice"):
        build_models(
            registry, type(recipe)(**{**recipe.__dict__, "discriminator_options": {"body": "pacgan"}}), data.spec
        )


def test_indivisible_batch_fails_before_training_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--plugins", "pacgan2", "--dataset", "ring8", "--batch-size", "99",
              "--results-dir", str(tmp_path / "results")])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2
    assert len(err) == 1 and "--batch-size 99" in err[0] and "multiple of 2" in err[0] and "98 or 100" in err[0]
    assert not (tmp_path / "results").exists(), "nothing is trained or written"

"""The conditional plugin: shapes, labels change outputs, projection and AC-GAN by hand, CBN per class, variants."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ganbench.builtins.conditional.acgan import acgan_loss
from ganbench.builtins.conditional.generators import cond_dcgan_generator, cond_mlp_generator
from ganbench.builtins.conditional.layers import ConditionalBatchNorm2d
from ganbench.builtins.conditional.projection import ProjectionDiscriminator
from ganbench.builtins.sngan.factories import conditional_resnet_generator
from ganbench.builtins.sngan.resnet import ConditionalBatchNorm2d as ResNetCBN
from ganbench.engine.build import build_context, build_models
from ganbench.plugin import BuildContext, DataSpec, Discriminator, IncompatibleError
from ganbench.registry import PluginRegistry

K = 5


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def registry() -> PluginRegistry:
    reg = PluginRegistry(strict=True)
    reg.load_entry_points(allowed=set())
    return reg


def image_spec(side: int = 16, classes: int | None = K) -> DataSpec:
    return DataSpec("img", "image", (1, side, side), num_classes=classes)


def points_spec(classes: int | None = K) -> DataSpec:
    return DataSpec("pts", "points", (2,), num_classes=classes)


def labels(n: int) -> torch.Tensor:
    return torch.arange(n) % K


def _label_effect(g, n: int = 6) -> float:
    """How much G's output moves when only the labels change (same noise), in eval mode."""
    g.eval()
    z = torch.randn(n, g.latent_dim)
    with torch.no_grad():
        return float((g(z, labels(n)) - g(z, (labels(n) + 1) % K)).abs().max())


@pytest.mark.parametrize("conditioning", ["concat", "cbn"])
@pytest.mark.parametrize("side", [16, 28])
def test_cond_dcgan_shapes_and_labels_matter(conditioning: str, side: int) -> None:
    g = cond_dcgan_generator(BuildContext(spec=image_spec(side)), width=8, conditioning=conditioning)
    assert g.conditional and g.latent_dim == 100
    x = g(torch.randn(4, 100), labels(4))
    assert x.shape == (4, 1, side, side) and x.abs().max() <= 1.0
    if conditioning == "cbn":  # CBN starts as plain BN: perturb the per-class γ, β as training would
        with torch.no_grad():
            for m in g.modules():
                if isinstance(m, ConditionalBatchNorm2d):
                    m.gamma.weight.normal_(1.0, 0.3)
                    m.beta.weight.normal_(0.0, 0.3)
    assert _label_effect(g) > 1e-4


def test_cond_mlp_shapes_and_labels_matter() -> None:
    g = cond_mlp_generator(BuildContext(spec=points_spec()), hidden=16, depth=2)
    assert g(torch.randn(7, g.latent_dim), labels(7)).shape == (7, 2)
    assert _label_effect(g) > 1e-4


def test_cbn_has_per_class_parameters_and_applies_them() -> None:
    """Each class's γ, β: output = γ_y · BN(x) + β_y, with one row of γ and β per class."""
    cbn = ConditionalBatchNorm2d(3, K)
    assert cbn.gamma.weight.shape == (K, 3) and cbn.beta.weight.shape == (K, 3)
    assert torch.equal(cbn.gamma.weight, torch.ones(K, 3)) and torch.equal(cbn.beta.weight, torch.zeros(K, 3))
    with torch.no_grad():
        cbn.gamma.weight.copy_(torch.arange(K * 3, dtype=torch.float32).view(K, 3))
        cbn.beta.weight.copy_(-torch.arange(K * 3, dtype=torch.float32).view(K, 3))
    x, y = torch.randn(8, 3, 4, 4), labels(8)
    normed = F.batch_norm(x, None, None, training=True, eps=cbn.norm.eps)
    expected = cbn.gamma.weight[y][:, :, None, None] * normed + cbn.beta.weight[y][:, :, None, None]
    torch.testing.assert_close(cbn(x, y), expected)
    cbn(x, y).sum().backward()
    assert cbn.gamma.weight.grad[y].abs().sum() > 0  # gradients reach the classes in the batch ...
    unused = sorted(set(range(K)) - set(y.tolist()))
    assert all(cbn.gamma.weight.grad[k].abs().sum() == 0 for k in unused)  # ... and only those


def test_sngan_cbn_generator_is_conditional_in_every_block() -> None:
    g = conditional_resnet_generator(BuildContext(spec=image_spec(32)), width=8)
    assert g.conditional and len(g.blocks) == 3
    assert all(isinstance(b.bn1, ResNetCBN) and isinstance(b.bn2, ResNetCBN) for b in g.blocks)
    x = g(torch.randn(3, g.latent_dim), labels(3))
    assert x.shape == (3, 1, 32, 32) and x.abs().max() <= 1.0
    with torch.no_grad():
        for b in g.blocks:
            b.bn1.beta.weight.normal_(0.0, 0.5)
    assert _label_effect(g, 4) > 1e-4


class _Linear(Discriminator):
    """φ(x) = x (2 features), ψ(φ) = w·φ: a body whose projection term is easy by hand."""

    feature_dim = 2

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([0.5, -1.0]))

    def features(self, x):
        return x

    def classify(self, f):
        return f @ self.w


def test_projection_term_by_hand() -> None:
    d = ProjectionDiscriminator(_Linear(), K, normalise=False)
    with torch.no_grad():
        d.embed.weight.copy_(torch.arange(2 * K, dtype=torch.float32).view(K, 2))
    x, y = torch.tensor([[1.0, 2.0], [3.0, -1.0]]), torch.tensor([0, 3])
    # ψ: 0.5·1 - 2 = -1.5 and 1.5 + 1 = 2.5; ⟨e_0, x_0⟩ = 0·1 + 1·2 = 2; ⟨e_3, x_1⟩ = 6·3 + 7·(-1) = 11
    torch.testing.assert_close(d(x, y), torch.tensor([-1.5 + 2.0, 2.5 + 11.0]))
    assert not torch.allclose(d(x, y), d(x, (y + 1) % K))


def test_projection_builds_any_body_and_forwards_options(registry: PluginRegistry) -> None:
    ctx = build_context(registry, image_spec(32))
    d = registry.component("discriminator", "projection").factory(ctx, body="sngan-resnet", spectral_norm=True, width=8)
    assert d.conditional and d.feature_dim == 8 and type(d.body).__name__ == "ResNetDiscriminator"
    assert hasattr(d.embed, "parametrizations")  # spectrally normalised embedding
    x = torch.randn(3, 1, 32, 32)
    assert d.features(x, labels(3)).shape == (3, 8) and d(x, labels(3)).shape == (3,)
    with pytest.raises(IncompatibleError, match="unknown option 'nope'"):
        registry.component("discriminator", "projection").factory(ctx, nope=1)
    with pytest.raises(IncompatibleError, match="nest"):
        registry.component("discriminator", "projection").factory(ctx, body="projection")


class _Fixed(Discriminator):
    """Features are the input; the logit is a constant ``c`` (to compute the adversarial term by hand)."""

    def __init__(self, c: float, dim: int) -> None:
        super().__init__()
        self.c, self.feature_dim = c, dim

    def features(self, x):
        return x

    def classify(self, f):
        return torch.full((f.shape[0],), self.c)


def test_acgan_loss_by_hand() -> None:
    loss = acgan_loss(BuildContext(spec=points_spec(), feature_dim=2), weight=0.5)
    with torch.no_grad():
        loss.classifier.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0, 0], [0, 0], [0, 0]]))
        loss.classifier.bias.zero_()
    real, fake, y = torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 1.0]]), torch.tensor([0])
    d = _Fixed(0.3, 2)
    # class logits: real (2, 0, 0, 0, 0), fake (0, 1, 0, 0, 0); CE for class 0:
    ce_real = -2.0 + torch.log(torch.exp(torch.tensor(2.0)) + 4)
    ce_fake = torch.log(torch.exp(torch.tensor(1.0)) + 4)
    sp = torch.nn.functional.softplus
    d_out = loss.discriminator_loss(d, real, fake, torch.empty(1, 0), labels=y)
    expected_d = sp(torch.tensor(-0.3)) + sp(torch.tensor(0.3)) + 0.5 * (ce_real + ce_fake)
    torch.testing.assert_close(d_out.total, expected_d)
    g_out = loss.generator_loss(d, fake, torch.empty(1, 0), labels=y)
    torch.testing.assert_close(g_out.total, sp(torch.tensor(-0.3)) + 0.5 * ce_fake)
    assert set(d_out.terms) == {"d_adv", "d_aux"} and set(g_out.terms) == {"g_adv", "g_aux"}


def test_unlabelled_data_is_a_one_line_error() -> None:
    with pytest.raises(IncompatibleError, match="no class labels"):
        cond_mlp_generator(BuildContext(spec=points_spec(None)))
    with pytest.raises(IncompatibleError, match="no class labels"):
        cond_dcgan_generator(BuildContext(spec=image_spec(16, None)))
    with pytest.raises(IncompatibleError, match="conditioning='film'; valid: concat, cbn"):
        cond_dcgan_generator(BuildContext(spec=image_spec()), conditioning="film")


@pytest.mark.parametrize(
    ("variant", "kind"), [("cgan", "image"), ("cgan", "points"), ("acgan", "image"), ("acgan", "points"),
                          ("sngan-projection", "image")],
)  # fmt: skip
def test_variants_train_through_the_engine(registry: PluginRegistry, variant: str, kind: str) -> None:
    from dataclasses import replace

    from ganbench.engine.config import TrainConfig
    from ganbench.engine.trainer import train

    recipe = registry.variant(variant).variant.recipe_for(kind)
    spec = image_spec(16) if kind == "image" else points_spec()
    if kind == "image":  # tiny widths
        recipe = replace(
            recipe,
            generator_options={**recipe.generator_options, "width": 8},
            discriminator_options={**recipe.discriminator_options, "width": 8},
        )
    models = build_models(registry, recipe, spec)
    assert models.generator.conditional
    cfg = TrainConfig(steps=2, batch_size=4, log_every=1, **dict(recipe.train_options))
    shape = spec.shape
    batches = iter(lambda: (torch.rand(4, *shape) * 2 - 1, labels(4)), None)
    result = train(models, batches, cfg, torch.device("cpu"))
    assert result.status == "ok" and result.steps_done == 2
    if variant == "sngan-projection":
        assert recipe.train_options["d_steps"] == 5 and recipe.loss == "hinge"

"""Opt-in fast paths: off by default and unchanged loop, validation errors, and the benchmark's reference net."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from benchmarks.reference_dcgan import NetD, NetG
from ganbench.data.base import DatasetOptions
from ganbench.data.loaders import batch_stream
from ganbench.engine import fastpaths
from ganbench.engine.build import build_models, resolve_recipe
from ganbench.engine.config import TrainConfig
from ganbench.engine.seeding import seed_everything
from ganbench.engine.trainer import train
from ganbench.errors import UserError
from ganbench.registry import get_registry

CPU = torch.device("cpu")


def _models(dataset: str = "digits", side: int | None = None, variant: str = "dcgan"):
    registry = get_registry()
    entry, _ = registry.dataset(dataset)
    data = entry.factory(DatasetOptions(root=Path("."), resolution=side))
    seed_everything(0)
    return data, build_models(registry, resolve_recipe(registry, variant, data.spec), data.spec)


def _shapes(module: torch.nn.Module) -> list[tuple[int, ...]]:
    return [tuple(p.shape) for p in module.parameters()]


@pytest.mark.parametrize("side", [16, 28, 32])
def test_reference_nets_match_ganbench_layer_for_layer(side):
    """benchmarks/reference_dcgan.py builds by hand what plugins/vanilla builds."""
    _, models = _models(side=side)
    ref_g, ref_d = NetG(100, 64, 1, side), NetD(64, 1, side)
    assert _shapes(ref_g) == _shapes(models.generator)
    assert _shapes(ref_d) == _shapes(models.discriminator)
    assert sum(p.numel() for p in ref_g.parameters()) == sum(p.numel() for p in models.generator.parameters())
    assert sum(p.numel() for p in ref_d.parameters()) == sum(p.numel() for p in models.discriminator.parameters())
    assert [type(m).__name__ for m in ref_g.main] == [type(m).__name__ for m in models.generator.main]
    z = torch.randn(2, 100, 1, 1)
    assert ref_g(z).shape == (2, 1, side, side) == models.generator(z.flatten(1)).shape


def test_default_is_the_plain_loop():
    """All fast paths off: the loop calls the loss's own bound methods, no autocast, no scaler."""
    _, models = _models()
    fns = fastpaths.prepare(models, TrainConfig(), CPU)
    assert fns.generator is models.generator
    assert fns.discriminator_loss == models.loss.discriminator_loss
    assert fns.generator_loss == models.loss.generator_loss
    assert fns.amp_dtype is None and not fns.scalers and not fns.channels_last and fns.names == []
    assert next(iter(models.generator.parameters())).is_contiguous()


def _run(cfg: TrainConfig):
    data, models = _models()
    batches = batch_stream(data, "train", batch_size=cfg.batch_size, device=CPU, seed=0)
    return models, train(models, batches, cfg, CPU)


def test_channels_last_trains_and_matches_the_default_closely():
    _, base = _run(TrainConfig(steps=3, batch_size=16, log_every=3))
    fast_models, fast = _run(TrainConfig(steps=3, batch_size=16, log_every=3, channels_last=True))
    assert fast.status == "ok"
    weight = next(p for p in fast_models.generator.parameters() if p.dim() == 4)
    assert weight.is_contiguous(memory_format=torch.channels_last)
    # same arithmetic in another memory layout: equal up to float summation order
    assert math.isclose(fast.d_loss, base.d_loss, rel_tol=1e-3) and math.isclose(fast.g_loss, base.g_loss, rel_tol=1e-3)


def test_bf16_autocast_trains_on_cpu():
    _, result = _run(TrainConfig(steps=2, batch_size=8, log_every=2, amp="bf16"))
    assert result.status == "ok" and math.isfinite(result.d_loss)


def test_unknown_amp_is_a_one_line_error():
    with pytest.raises(UserError, match=r"unknown --amp 'fp8'; valid choices: off, bf16, fp16"):
        TrainConfig().with_overrides({"amp": "fp8"})


def test_fp16_needs_cuda():
    with pytest.raises(UserError, match="--amp fp16 needs a CUDA device"):
        fastpaths.check_fast_paths({"amp": "fp16"}, CPU)


def test_compile_without_a_compiler_fails_clearly(monkeypatch):
    monkeypatch.setenv("CXX", "no-such-compiler-xyz")
    with pytest.raises(UserError, match="--compile on cpu needs a C\\+\\+ compiler") as err:
        fastpaths.check_fast_paths({"compile": True}, CPU)
    assert "\n" not in str(err.value)


def test_compile_errors_are_wrapped_not_swallowed(monkeypatch):
    """A Dynamo/Inductor failure surfaces as a one-line FastPathError; no fallback to eager."""

    class FakeCompileFailure(torch._dynamo.exc.TorchDynamoException):
        pass

    def broken_compile(fn):
        def call(*args, **kwargs):
            raise FakeCompileFailure("C++ compile error: cannot find Python.h")

        return call

    monkeypatch.setattr(torch, "compile", broken_compile)
    wrapped = fastpaths._compiled(lambda x: x, "the generator", CPU)
    with pytest.raises(fastpaths.FastPathError, match="--compile failed for the generator on cpu"):
        wrapped(torch.ones(1))


def test_model_errors_under_compile_are_not_relabelled(monkeypatch):
    monkeypatch.setattr(torch, "compile", lambda fn: fn)
    wrapped = fastpaths._compiled(lambda x: x.view(7), "the generator", CPU)
    with pytest.raises(RuntimeError):
        wrapped(torch.ones(3))


def test_enabled_names_for_the_config_record():
    cfg = TrainConfig(channels_last=True, amp="bf16", compile=True)
    assert fastpaths.enabled_names(cfg) == ["channels_last", "amp=bf16", "compile"]
    assert fastpaths.enabled_names(TrainConfig()) == []

"""The EMA generator: the update rule against a hand computation, buffers copied, training untouched, bad values."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from torch import nn

from ganbench.cli import main
from ganbench.data.base import DatasetOptions
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import Recipe, build_models
from ganbench.engine.config import TrainConfig
from ganbench.engine.ema import EmaGenerator, effective_decay
from ganbench.engine.seeding import seed_everything
from ganbench.engine.trainer import train
from ganbench.errors import UserError
from ganbench.registry import get_registry

CPU = torch.device("cpu")


def test_effective_decay_copies_before_start_then_ramps_to_decay():
    assert effective_decay(0.999, 5, 0) == effective_decay(0.999, 5, 4) == 0.0
    assert effective_decay(0.999, 5, 5) == pytest.approx(1 / 10)  # (1 + 0) / (10 + 0)
    assert effective_decay(0.999, 0, 90) == pytest.approx(91 / 100)
    assert effective_decay(0.9, 0, 10_000) == 0.9


def test_update_is_the_moving_average_and_buffers_are_copied():
    torch.manual_seed(0)
    raw = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ema = EmaGenerator(raw, decay=0.5, start=2)
    expected = [p.detach().clone() for p in raw.parameters()]
    for step in range(6):
        with torch.no_grad():
            for p in raw.parameters():
                p.add_(torch.randn_like(p))
        raw.train()(torch.randn(8, 3))  # moves the batch-norm running statistics
        ema.update(step)
        d = effective_decay(0.5, 2, step)
        expected = [d * e + (1 - d) * p.detach() for e, p in zip(expected, raw.parameters(), strict=True)]
        for e, p in zip(expected, ema.module.parameters(), strict=True):
            torch.testing.assert_close(p, e, rtol=1e-6, atol=1e-6)
        for name, buffer in raw.named_buffers():
            assert torch.equal(dict(ema.module.named_buffers())[name], buffer), name
    assert not ema.module.training
    assert not any(p.requires_grad for p in ema.module.parameters())
    assert not any(torch.equal(a, b) for a, b in zip(raw.parameters(), ema.module.parameters(), strict=True))


def _train(steps: int, ema_decay: float | None):
    registry = get_registry()
    entry, _ = registry.dataset("ring8")
    data = entry.factory(DatasetOptions(root=Path(".")))
    seed_everything(0)
    models = build_models(registry, Recipe("mlp", "mlp", "nonsaturating"), data.spec)
    ema = EmaGenerator(models.generator, ema_decay) if ema_decay is not None else None
    batches = batch_stream(data, "train", batch_size=32, device=CPU, seed=0)
    result = train(models, batches, TrainConfig(steps=steps, log_every=5), CPU, ema=ema)
    assert result.status == "ok"
    return models, ema


def test_ema_does_not_change_training_and_differs_from_raw():
    plain, _ = _train(12, None)
    with_ema, ema = _train(12, 0.9)
    for a, b in zip(plain.generator.state_dict().values(), with_ema.generator.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    raw = copy.deepcopy(with_ema.generator.state_dict())
    assert any(not torch.equal(raw[k], v) for k, v in ema.state_dict().items())


@pytest.mark.parametrize("decay", [0, 1, 1.5, -0.1, True])
def test_bad_decay_is_refused(decay):
    with pytest.raises(UserError, match="--ema must be a decay strictly between 0 and 1"):
        TrainConfig().with_overrides({"ema": decay})


def test_negative_start_is_refused():
    with pytest.raises(UserError, match="--ema-start must be a non-negative integer"):
        TrainConfig().with_overrides({"ema": 0.99, "ema_start": -1})


def test_recorded_fields_hold_the_ema_settings_only_when_set():
    assert "ema" not in TrainConfig().recorded() and "ema_start" not in TrainConfig().recorded()
    recorded = TrainConfig().with_overrides({"ema": 0.99, "ema_start": 7}).recorded()
    assert (recorded["ema"], recorded["ema_start"]) == (0.99, 7)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--ema", "1.0"], "--ema must be a decay strictly between 0 and 1"),
        (["--ema", "0.99", "--ema-start", "-3"], "--ema-start must be a non-negative integer"),
        (["--ema", "0.99", "--vectorize-seeds", "--seeds", "0-1"], "--ema is not supported with --vectorize-seeds"),
        (["--ema", "0.99", "--nproc", "2"], "--ema is not supported with --nproc"),
    ],
)
def test_cli_bad_ema_values_fail_before_training_with_one_line(capsys, tmp_path, flags, message):
    with pytest.raises(SystemExit) as info:
        main(
            ["run", "--plugins", "dcgan", "--dataset", "ring8", "--steps", "2", "--results-dir", str(tmp_path), *flags]
        )
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert not any(tmp_path.rglob("generator.pt"))

"""``ganbench.testing``: each plugin kind unit-tested in-process from the public API, checked against
closed forms and against what the engine itself does."""

from __future__ import annotations

import math

import pytest
import torch

from ganbench import testing
from ganbench.builtins.training.factories import cosine
from ganbench.cli import main
from ganbench.metrics.extractor import FeatureExtractor
from ganbench.metrics.inputs import MetricUnavailableError
from ganbench.plugin import LossOutput, TrainingStep


def mean_gap(inputs) -> dict[str, float]:
    return {"gap": (inputs.fake.mean() - inputs.real.mean()).item()}


def test_metric_inputs_hold_what_is_given_and_only_what_is_declared():
    fake, real = torch.full((10, 2), 3.0), torch.ones(10, 2)
    assert mean_gap(testing.metric_inputs(fake=fake, real=real)) == {"gap": 2.0}
    inputs = testing.metric_inputs(fake=fake, needs={"fake"})
    with pytest.raises(AttributeError, match="does not declare needs='real'"):
        mean_gap(inputs)
    with pytest.raises(MetricUnavailableError, match="'real'"):  # declared, not given: skipped, as in a run
        mean_gap(testing.metric_inputs(fake=fake, needs={"fake", "real"}))
    with pytest.raises(TypeError, match="unknown input"):
        testing.metric_inputs(fakes=fake)
    assert testing.metric_inputs(testing.IMAGES, fake=fake).spec.kind == "image"


def test_schedule_context_drives_a_registered_schedule_as_the_engine_does():
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0)
    schedule = cosine(optimizer, testing.schedule_context(total_steps=4), eta_min=0.0)
    rates = []
    for _ in range(4):
        optimizer.step()
        schedule.step()
        rates.append(optimizer.param_groups[0]["lr"])
    expected = [0.5 * (1 + math.cos(math.pi * t / 4)) for t in range(1, 5)]
    assert rates == pytest.approx(expected, abs=1e-12)
    ctx = testing.optimizer_context(1e-3, side="discriminator")
    assert (ctx.lr, ctx.side, ctx.beta1, ctx.beta2) == (1e-3, "discriminator", 0.5, 0.999)


class Recording(TrainingStep):
    """The alternating step, recording the step numbers and adding a constant term."""

    def __init__(self) -> None:
        self.steps: list[int] = []

    def run(self, ctx):  # type: ignore[no-untyped-def]
        self.steps.append(ctx.step)
        d_out, g_out = super().run(ctx)
        return LossOutput(d_out.total, {**d_out.terms, "seen": torch.tensor(1.0)}), g_out


def test_step_context_trains_tiny_models_with_a_training_step():
    models = testing.tiny_models()
    before = [p.detach().clone() for p in models.generator.parameters()]
    real = torch.randn(8, 2)
    step = Recording()
    outs = testing.run_training_step(step, testing.step_context(models, real=real, d_steps=2, step=5), steps=3)
    assert step.steps == [5, 6, 7] and len(outs) == 3
    d_out, g_out = outs[-1]
    assert d_out.terms["seen"].item() == 1.0 and torch.isfinite(g_out.total)
    assert any(not torch.equal(a, b) for a, b in zip(before, models.generator.parameters(), strict=True))


def test_tiny_models_take_registered_names_or_factories():
    from ganbench.builtins.vanilla.losses import NonSaturatingLoss

    made = []

    def my_loss(ctx):
        made.append(ctx.feature_dim)
        return NonSaturatingLoss()

    models = testing.tiny_models(testing.IMAGES, generator="dcgan", discriminator="dcgan", loss=my_loss)
    assert made == [models.discriminator.feature_dim] and made[0] > 0  # built after D, with its feature size
    assert models.generator(torch.randn(3, models.generator.latent_dim)).shape == (3, 1, 16, 16)


def shifted(*, device, batch_size, shift: float = 0.0, inception_weights=None):
    """An extractor that asks for the Inception weights (and records what it got)."""
    shifted.got = inception_weights
    return FeatureExtractor("shifted", "id", "none", lambda x: x.flatten(1) + shift, device, batch_size)


def legacy(*, device, weights, batch_size):
    """The first extractor API: a required ``weights`` meant the Inception weights."""
    return FeatureExtractor("legacy", str(weights), "none", lambda x: x.flatten(1), device, batch_size)


def own_weights(*, device, batch_size, weights: str | None = None):
    return FeatureExtractor("own", str(weights), "none", lambda x: x.flatten(1), device, batch_size)


def test_build_extractor_passes_options_and_inception_weights_only_on_request():
    x = torch.zeros(4, 2)
    fx = testing.build_extractor(shifted, options={"shift": 2.0}, inception_weights="inc.pt")
    assert torch.equal(fx(x), torch.full((4, 2), 2.0)) and shifted.got == "inc.pt" and fx.options == {"shift": 2.0}
    assert testing.build_extractor(legacy, inception_weights="inc.pt").layer == "inc.pt"
    assert testing.build_extractor(own_weights, inception_weights="inc.pt").layer == "None"  # never the Inception's
    assert testing.build_extractor(own_weights, options={"weights": "mine.pt"}).layer == "mine.pt"
    with pytest.raises(Exception, match="unknown option 'shfit'; valid options: shift"):
        testing.build_extractor(shifted, options={"shfit": 1})


def _run_cli(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return info.value.code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--extractor-opt", "dim=3"], "extractor 'raw': unknown option 'dim'; valid options: (none)"),
        (["--extractor-opt", "dim"], "--extractor-opt expects KEY=VALUE, got 'dim'"),
    ],
)
def test_extractor_options_are_validated_before_training(capsys, tmp_path, args, needle):
    code, err = _run_cli(
        capsys, "run", "--plugins", "dcgan", "--dataset", "ring8", "--steps", "2", "--results-dir", str(tmp_path),
        "--out", "x", *args,
    )  # fmt: skip
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err
    assert not (tmp_path / "x").exists()


def test_plugins_json_lists_metric_columns_with_direction_and_description(capsys, monkeypatch):
    import json

    from ganbench import columns

    monkeypatch.setenv("GANBENCH_LOAD_PLUGINS", "")
    with pytest.raises(SystemExit) as info:
        main(["plugins", "--json"])
    assert info.value.code in (0, None)
    listing = json.loads(capsys.readouterr().out)
    [metrics] = [p for p in listing["plugins"] if p["plugin"] == "metrics"]
    by_name = {c["name"]: c for c in metrics["columns"]}
    assert by_name["fid"]["direction"] == "lower" and by_name["fid"]["metric"] == "fid"
    assert by_name["recall"]["direction"] == "higher" and by_name["kid_std"]["direction"] is None
    for name, record in by_name.items():
        declared = columns.column(name)
        assert (record["direction"], record["description"]) == (declared.direction, declared.description)


def test_suite_key_extractor_options_reaches_the_evaluation(tmp_path, capsys):
    """``extractor_opt = {...}`` in a suite file is validated like --extractor-opt (an unknown key: one line)."""
    suite = tmp_path / "s.toml"
    suite.write_text('plugins = ["dcgan"]\ndataset = ["ring8"]\nsteps = 2\nextractor_opt = {bins = 3}\n')
    code, err = _run_cli(capsys, "run", "--config", str(suite), "--results-dir", str(tmp_path), "--out", "x")
    assert code == 2 and err.strip().splitlines() == [
        "ganbench: error: extractor 'raw': unknown option 'bins'; valid options: (none)"
    ], err
    from ganbench.runner.suite_config import load_suite

    assert load_suite(suite)["extractor_options"] == {"bins": 3}

"""TensorBoard files of a run: metric scalars only, one point per (tag, step), samples at every
evaluation, and the hparams row; read back with TensorBoard's own event reader."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from ganbench.cli import main


@pytest.fixture(scope="module")
def logdir(tmp_path_factory) -> Path:
    """One tiny ring8 run (40 steps, evaluated at 20 and 40) with TensorBoard files."""
    return _run(tmp_path_factory.mktemp("tb"), "ring8")


def _run(results: Path, dataset: str, *extra: str) -> Path:
    with pytest.raises(SystemExit) as info:
        main([
            "run", "--plugins", "dcgan", "--dataset", dataset, "--steps", "40", "--eval-every", "20",
            "--batch-size", "32", "--eval-samples", "300", "--tensorboard", "--results-dir", str(results),
            "--out", "r", "--quiet", *extra,
        ])  # fmt: skip
    assert info.value.code == 0
    return results / "r" / f"dcgan-{dataset}-s0" / "tensorboard"


def _events(logdir: Path) -> EventAccumulator:
    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_tensorboard_logs_metrics_once_and_samples_per_evaluation(logdir: Path):
    acc = _events(logdir)
    tags = acc.Tags()
    scalars = tags["scalars"]
    assert "loss/d_loss" in scalars and "loss/g_loss" in scalars
    assert "loss/d_real" in scalars and "loss/d_fake" in scalars  # the loss's terms, per read-out
    metric_tags = [t for t in scalars if t.startswith("metrics/")]
    assert metric_tags, scalars
    for banned in ("step", "seed", "batch_size", "fid_n_fake", "fid_n_real", "modes_total", "d_loss"):
        assert f"metrics/{banned}" not in scalars
    for tag in scalars:
        steps = [e.step for e in acc.Scalars(tag)]
        assert len(steps) == len(set(steps)), f"{tag} has duplicate points: {steps}"
    assert [e.step for e in acc.Scalars(metric_tags[0])][:2] == [20, 40]
    images = {t: [e.step for e in acc.Images(t)] for t in tags["images"]}
    assert images.get("samples") == [20, 40], images  # every evaluation step, once each


def test_tensorboard_hparams_row_has_config_and_final_metrics(logdir: Path):
    from tensorboard.plugins.hparams import plugin_data_pb2

    acc = _events(logdir)
    content = acc.PluginTagToContent("hparams")
    assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= set(content)
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    assert start.hparams["variant"].string_value == "dcgan"
    assert start.hparams["train.steps"].number_value == 40
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    metric_names = {m.name.tag for m in experiment.metric_infos}
    assert "metrics/hq_fraction" in metric_names and "metrics/step" not in metric_names

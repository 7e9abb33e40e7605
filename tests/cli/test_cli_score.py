"""``ganbench score`` on samples from elsewhere, and ``--eval-every``/``--tensorboard`` outputs of a run."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from ganbench.cli import main
from ganbench.data.base import DatasetOptions
from ganbench.registry import get_registry


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One tiny run on ring8 with periodic evaluation and TensorBoard files."""
    results = tmp_path_factory.mktemp("results")
    with pytest.raises(SystemExit) as info:
        main([
            "run", "--plugins", "dcgan", "--dataset", "ring8", "--steps", "40", "--eval-every", "20",
            "--eval-samples", "400", "--tensorboard", "--results-dir", str(results), "--out", "r", "--quiet",
        ])  # fmt: skip
    assert info.value.code == 0
    return results / "r" / "dcgan-ring8-s0"


def test_eval_every_records_metrics_against_steps(trained_run):
    evals = pd.read_csv(trained_run / "evals.csv")
    assert list(evals["step"]) == [20, 40]
    assert {"fid", "modes", "hq_fraction"} <= set(evals.columns)
    final = json.loads((trained_run / "metrics.json").read_text())
    assert math.isclose(evals["fid"].iloc[-1], final["fid"], rel_tol=1e-9)  # same samples, same seed


def test_tensorboard_event_files_are_written(trained_run):
    events = list((trained_run / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0


def test_score_true_ring_samples_from_npy(tmp_path, capsys):
    data = get_registry().dataset("ring8")[0].factory(DatasetOptions(root=tmp_path))
    np.save(tmp_path / "true.npy", data.tensors("train")[0][:2500].numpy())
    code, out, err = run_cli(
        capsys, "score", str(tmp_path / "true.npy"), "--dataset", "ring8", "--out", str(tmp_path / "s.json")
    )
    assert code == 0, err
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["modes"] == 8 and scores["hq_fraction"] > 0.97 and scores["n"] == 2500
    assert "modes" in out


def test_score_a_saved_generator(trained_run, capsys, tmp_path):
    code, _, err = run_cli(
        capsys,
        "score",
        str(trained_run / "generator.pt"),
        "--dataset",
        "ring8",
        "--n",
        "300",
        "--out",
        str(tmp_path / "g.json"),
    )
    assert code == 0, err
    assert json.loads((tmp_path / "g.json").read_text())["n"] == 300


def test_score_a_folder_of_digit_images(tmp_path, capsys):
    digits = get_registry().dataset("digits")[0].factory(DatasetOptions(root=tmp_path))
    images = digits.tensors("test")[0][:200]
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, image in enumerate(images):
        pixels = ((image[0] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
        Image.fromarray(pixels, "L").resize((28, 28)).save(folder / f"{i:03d}.png")
    code, _, err = run_cli(capsys, "score", str(folder), "--dataset", "digits", "--out", str(tmp_path / "d.json"))
    assert code == 0, err
    scores = json.loads((tmp_path / "d.json").read_text())
    assert scores["n"] == 200 and scores["modes"] == 10


class Evil:
    """Not a tensor: loading it would need arbitrary unpickling."""


def test_score_rejects_pickles_and_bad_shapes(tmp_path, capsys):
    torch.save({"x": Evil()}, tmp_path / "evil.pt")
    code, _, err = run_cli(capsys, "score", str(tmp_path / "evil.pt"), "--dataset", "ring8")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "will not load it" in err
    np.save(tmp_path / "bad.npy", np.zeros((10, 3), dtype=np.float32))
    code, _, err = run_cli(capsys, "score", str(tmp_path / "bad.npy"), "--dataset", "ring8")
    assert code == 2 and "(N, 2)" in err


def test_score_selects_metrics_and_rejects_unknown_ones_before_reading(tmp_path, capsys):
    data = get_registry().dataset("ring8")[0].factory(DatasetOptions(root=tmp_path))
    np.save(tmp_path / "true.npy", data.tensors("train")[0][:500].numpy())
    code, _, err = run_cli(capsys, "score", str(tmp_path / "missing.npy"), "--dataset", "ring8", "--metrics", "nope")
    assert code == 2 and "unknown metric 'nope'; valid choices: cas, class_accuracy, code-accuracy, fid" in err, err
    code, _, err = run_cli(
        capsys, "score", str(tmp_path / "true.npy"), "--dataset", "ring8", "--metrics", "modes",
        "--out", str(tmp_path / "m.json"),
    )  # fmt: skip
    assert code == 0, err
    scores = json.loads((tmp_path / "m.json").read_text())
    assert scores["modes"] == 8 and "fid" not in scores and "precision" not in scores

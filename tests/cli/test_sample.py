"""``ganbench sample`` and ``ganbench.load_generator``: PNGs that ``ganbench score`` scores, npz/pt round trips,
EMA weights, ``--class`` on a conditional generator, and one-line errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import ganbench
from ganbench.cli import main
from ganbench.cli.sample import generate_all, to_uint8
from ganbench.runner.cell import run_cell
from ganbench.runner.context import CellContext
from ganbench.runner.plan import DataConfig, EvalOptions, make_plan
from tests.engine import test_labels


def cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="module")
def generator_file(tmp_path_factory) -> Path:
    """A tiny digits DCGAN trained with --ema (a few steps, no evaluation)."""
    results = tmp_path_factory.mktemp("run")
    with pytest.raises(SystemExit) as info:
        main([
            "run", "--plugins", "dcgan", "--dataset", "digits", "--steps", "4", "--batch-size", "16", "--no-eval",
            "--gen-opt", "width=8", "--disc-opt", "width=8", "--ema", "0.9", "--results-dir", str(results),
            "--out", "tiny", "--quiet",
        ])  # fmt: skip
    assert info.value.code == 0
    [path] = list((results / "tiny").glob("*/generator.pt"))
    return path


def test_png_export_is_scored_by_ganbench_score(capsys, tmp_path, generator_file):
    out = tmp_path / "s"
    code, stdout, err = cli(capsys, "sample", str(generator_file), "--n", "1000", "--out", str(out), "--format", "png")
    assert code == 0, err
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 1000
    assert Image.open(pngs[0]).size == (16, 16) and Image.open(pngs[0]).mode == "L"
    code, stdout, err = cli(capsys, "score", str(out), "--dataset", "digits", "--n", "1000", "--metrics", "fid")
    assert code == 0, err
    scores = dict(line.split(None, 1) for line in stdout.splitlines() if line.strip())
    assert scores["n"].strip() == "1000"
    assert float(scores["fid"]) > 0


def test_npz_pt_and_png_round_trip(capsys, tmp_path, generator_file):
    for fmt in ("npz", "pt", "png"):
        code, _, err = cli(
            capsys, "sample", str(generator_file), "--n", "7", "--out", str(tmp_path / fmt), "--format", fmt,
            "--seed", "3", "--batch-size", "3",
        )  # fmt: skip
        assert code == 0, err
    from_npz = np.load(tmp_path / "npz" / "samples.npz")
    assert set(from_npz.files) == {"samples"}  # unconditional: no labels
    from_pt = torch.load(tmp_path / "pt" / "samples.pt", weights_only=True)
    assert torch.equal(torch.from_numpy(from_npz["samples"]), from_pt)
    model = ganbench.load_generator(generator_file)
    expected, labels = generate_all(model, 7, 3, 3, None, quiet=True)
    assert labels is None and torch.equal(from_pt, expected) and from_pt.shape == (7, 1, 16, 16)
    pixels = np.stack([np.asarray(Image.open(p)) for p in sorted((tmp_path / "png").glob("*.png"))])
    assert np.array_equal(pixels, to_uint8(expected)[..., 0].numpy())


def test_ema_weights_are_loaded_with_ema(generator_file):
    saved = torch.load(generator_file, weights_only=True)
    assert saved["ema"] == {"decay": 0.9, "start": 0}
    raw, ema = ganbench.load_generator(generator_file), ganbench.load_generator(generator_file, ema=True)
    for name, tensor in ema.generator.state_dict().items():
        assert torch.equal(tensor, saved["ema_state_dict"][name])
    z = raw.sample_latent(5)
    assert raw.latent_dim == z.shape[1] == 100 and not raw.conditional and raw.num_classes is None
    assert not torch.equal(raw(z), ema(z))


def test_bad_inputs_fail_with_one_line(capsys, tmp_path, generator_file):
    no_ema = tmp_path / "no_ema.pt"
    saved = torch.load(generator_file, weights_only=True)
    torch.save({k: v for k, v in saved.items() if not k.startswith("ema")}, no_ema)
    tensor_file = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), tensor_file)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    cases = [
        ([str(tmp_path / "missing.pt")], "does not exist"),
        ([str(tensor_file)], "is not a ganbench generator"),
        ([str(tmp_path / "full" / "x.txt")], "generator file"),
        ([str(generator_file), "--class", "3"], "--class needs a conditional generator"),
        ([str(no_ema), "--ema"], "holds no EMA weights"),
        ([str(generator_file), "--format", "jpg"], "unknown --format 'jpg'; valid choices: png, npz, pt"),
        ([str(generator_file), "--n", "0"], "--n must be at least 1"),
    ]
    for extra, message in cases:
        args = ["sample", *extra]
        if "--n" not in extra:
            args += ["--n", "2"]
        code, _, err = cli(capsys, *args, "--out", str(tmp_path / "o"))
        assert code == 2, (extra, err)
        assert message in err and len(err.strip().splitlines()) == 1, (extra, err)
    code, _, err = cli(capsys, "sample", str(generator_file), "--n", "2", "--out", str(tmp_path / "full"))
    assert code == 2 and "already holds files" in err
    assert not (tmp_path / "o").exists()


def test_class_on_a_conditional_generator(capsys, tmp_path, monkeypatch):
    """A tiny conditional generator written through the public plugin API (tests/engine/test_labels.py)."""
    registry = test_labels.registry()
    plan = make_plan(
        registry, variants=["cgan-test"], datasets=["digits"], seeds=[0], data=DataConfig(root=Path(".")),
        train_overrides={"steps": 2, "batch_size": 16, "log_every": 1},
    )  # fmt: skip
    ctx = CellContext(registry, plan.datasets["digits"], torch.device("cpu"), tmp_path, EvalOptions(enabled=False))
    row = run_cell(plan.cells[0], ctx)
    assert row["status"] == "ok", row
    path = tmp_path / plan.cells[0].cell_id / "generator.pt"
    monkeypatch.setattr("ganbench.cli.sample.load_registry", lambda ctx: registry)

    code, _, err = cli(capsys, "sample", str(path), "--n", "9", "--out", str(tmp_path / "c"), "--format", "npz",
                       "--class", "3")  # fmt: skip
    assert code == 0, err
    arrays = np.load(tmp_path / "c" / "samples.npz")
    assert arrays["samples"].shape == (9, 1, 16, 16) and (arrays["labels"] == 3).all()
    model = ganbench.load_generator(path, registry=registry)
    assert model.conditional and model.num_classes == 10
    torch.manual_seed(0)
    z = model.sample_latent(9)
    assert torch.equal(torch.from_numpy(arrays["samples"]), model(z, torch.full((9,), 3)))
    with pytest.raises(ValueError, match="conditional"):
        model(z)

    code, _, err = cli(capsys, "sample", str(path), "--n", "40", "--out", str(tmp_path / "p"))
    assert code == 0, err
    classes = sorted(int(d.name) for d in (tmp_path / "p").iterdir())
    assert set(classes) <= set(range(10)) and len(classes) > 3 and len(list((tmp_path / "p").rglob("*.png"))) == 40
    for bad, message in (("10", "--class must be in [0, 10)"), ("-1", "--class must be in [0, 10)")):
        code, _, err = cli(capsys, "sample", str(path), "--n", "2", "--out", str(tmp_path / "b"), "--class", bad)
        assert code == 2 and message in err, err
    json.dumps(row, default=str)

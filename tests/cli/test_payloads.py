"""No file a user can hand ganbench runs code: a crafted payload for every path that reads one.

Each payload is a pickle whose ``__reduce__`` would create a marker file. The
first test proves the payload is live (plain unpickling does create the
marker); every other test asserts ganbench refuses the file with one line
naming it and the marker never appears.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from ganbench.cli import main
from ganbench.engine.checkpoint import CHECKPOINT_FILE
from ganbench.metrics import inception
from ganbench.metrics.cache import RealStatsCache, RealStatsKey
from ganbench.registry import get_registry
from ganbench.runner.cell import run_cell
from ganbench.runner.context import CellContext
from ganbench.runner.plan import DataConfig, EvalOptions, make_plan
from ganbench.safeload import UnsafeFileError, load_tensors


class Payload:
    """Unpickling this creates ``marker``: a stand-in for any shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "PAYLOAD-RAN"


def torch_payload(path: Path, marker: Path, wrap=lambda p: {"weights": p}) -> Path:
    torch.save(wrap(Payload(marker)), path)
    return path


def raw_payload(path: Path, marker: Path) -> Path:
    """A plain (non-zip) pickle, the legacy torch format."""
    with path.open("wb") as fh:
        pickle.dump({"weights": Payload(marker)}, fh)
    return path


def run_cli(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return info.value.code, capsys.readouterr().err


def assert_refused(code: int, err: str, path: Path, marker: Path) -> None:
    assert not marker.exists(), "the payload ran"
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert str(path) in lines[0] and "will not load it" in lines[0], err
    assert "\x1b" not in err and "weights_only" not in err, "torch's own message leaked"


def test_the_payload_is_live(tmp_path, marker):
    path = torch_payload(tmp_path / "evil.pt", marker)
    torch.load(path, weights_only=False)
    assert marker.exists()


@pytest.mark.parametrize("make", [torch_payload, raw_payload])
def test_shared_loader_refuses_with_ganbench_line(tmp_path, marker, make):
    path = make(tmp_path / "evil.pt", marker)
    with pytest.raises(UnsafeFileError) as info:
        load_tensors(path, what="weights file")
    message = str(info.value)
    assert not marker.exists()
    assert message.startswith(f"weights file {path} holds objects other than tensors") and "\n" not in message


@pytest.fixture
def torch_home(tmp_path, monkeypatch) -> Path:
    """An empty torch hub cache and no weights variable: only what a test puts there is found."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv(inception.ENV_WEIGHTS, raising=False)
    monkeypatch.setattr(inception, "_download", lambda url, dest: (_ for _ in ()).throw(OSError("offline")))
    inception._state_dict_memo.cache_clear()
    return tmp_path / "torch"


@pytest.fixture
def digit_samples(tmp_path) -> Path:
    path = tmp_path / "fake.npy"
    np.save(path, np.random.default_rng(0).random((8, 1, 8, 8), dtype=np.float32))
    return path


SCORE_INCEPTION = ("--dataset", "digits", "--extractor", "inception-v3-compat", "--n", "8")


@pytest.mark.parametrize("make", [torch_payload, raw_payload])
def test_score_inception_weights_option(tmp_path, marker, capsys, torch_home, digit_samples, make):
    evil = make(tmp_path / "evil.pth", marker)
    code, err = run_cli(capsys, "score", str(digit_samples), *SCORE_INCEPTION, "--inception-weights", str(evil))
    assert_refused(code, err, evil, marker)


def test_score_inception_weights_env(tmp_path, marker, capsys, torch_home, digit_samples, monkeypatch):
    evil = torch_payload(tmp_path / "evil.pth", marker)
    monkeypatch.setenv(inception.ENV_WEIGHTS, str(evil))
    code, err = run_cli(capsys, "score", str(digit_samples), *SCORE_INCEPTION)
    assert_refused(code, err, evil, marker)


def test_score_inception_weights_in_torch_hub_cache(marker, capsys, torch_home, digit_samples):
    cached = inception.inception_cache_path()
    assert str(cached).startswith(str(torch_home))
    cached.parent.mkdir(parents=True)
    torch_payload(cached, marker)
    code, err = run_cli(capsys, "score", str(digit_samples), *SCORE_INCEPTION)
    assert_refused(code, err, cached, marker)


@pytest.mark.parametrize("where", ["option", "hub-cache"])
def test_run_refuses_inception_weights_before_training(tmp_path, marker, capsys, torch_home, where):
    evil = inception.inception_cache_path() if where == "hub-cache" else tmp_path / "evil.pth"
    evil.parent.mkdir(parents=True, exist_ok=True)
    torch_payload(evil, marker)
    option = ["--inception-weights", str(evil)] if where == "option" else []
    results = tmp_path / "results"
    code, err = run_cli(
        capsys, "run", "--dataset", "digits", "--extractor", "inception-v3-compat", *option,
        "--steps", "2", "--results-dir", str(results), "--quiet",
    )  # fmt: skip
    assert_refused(code, err, evil, marker)
    assert not results.exists(), "nothing may train before the weights are checked"


@pytest.mark.parametrize("wrap", [lambda p: p, lambda p: {"format": "ganbench-generator/1", "state_dict": p}])
def test_score_samples_and_generator_files(tmp_path, marker, capsys, wrap):
    evil = torch_payload(tmp_path / "generator.pt", marker, wrap)
    code, err = run_cli(capsys, "score", str(evil), "--dataset", "ring8")
    assert_refused(code, err, evil, marker)


def test_score_npy_with_pickled_objects(tmp_path, marker, capsys):
    path = tmp_path / "evil.npy"
    np.save(path, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    code, err = run_cli(capsys, "score", str(path), "--dataset", "ring8")
    assert not marker.exists() and code == 2 and len(err.strip().splitlines()) == 1, err
    assert str(path) in err and "Traceback" not in err


def test_resume_checkpoint(tmp_path, marker):
    registry = get_registry()
    plan = make_plan(
        registry, variants=["dcgan"], datasets=["ring8"], seeds=[0], data=DataConfig(root=Path(".")),
        train_overrides={"steps": 4, "batch_size": 16, "log_every": 2},
    )  # fmt: skip
    cell = plan.cells[0]
    (tmp_path / cell.cell_id).mkdir()
    torch_payload(tmp_path / cell.cell_id / CHECKPOINT_FILE, marker, lambda p: {"format": "x", "p": p})
    ctx = CellContext(
        registry, plan.datasets["ring8"], torch.device("cpu"), tmp_path, EvalOptions(enabled=False),
        checkpoint_every=2, resume=True,
    )  # fmt: skip
    row = run_cell(cell, ctx)
    assert not marker.exists()
    assert row["status"] == "failed" and "will not load it" in row["error"] and "\n" not in row["error"]


def test_real_stats_cache_file_is_a_miss(tmp_path, marker, caplog):
    cache = RealStatsCache(tmp_path)
    key = RealStatsKey("ring8", "train", None, "raw", "coords", "none", 10, "abc")
    cache.path(key).parent.mkdir(parents=True, exist_ok=True)
    torch_payload(cache.path(key), marker)
    assert cache.load(key) is None and not marker.exists()
    assert "will not load it" in caplog.text


def test_suite_and_run_files_are_data(tmp_path, marker, capsys):
    """TOML and JSON are parsed as data: Python in them is a string (or a bad key), never code."""
    suite = tmp_path / "suite.toml"
    suite.write_text(f"steps = \"__import__('pathlib').Path('{marker}').touch()\"\n")
    code, err = run_cli(capsys, "run", "--config", str(suite), "--results-dir", str(tmp_path / "r"))
    assert code == 2 and "steps must be an integer" in err and not marker.exists(), err
    run_dir = tmp_path / "old"
    run_dir.mkdir()
    payload = {"__reduce__": f"Path('{marker}').touch", "config": {"py/object": "os.system"}}
    (run_dir / "run.json").write_text(json.dumps(payload))
    code, err = run_cli(capsys, "run", "--resume", str(run_dir))
    assert code == 2 and len(err.strip().splitlines()) == 1 and not marker.exists(), err

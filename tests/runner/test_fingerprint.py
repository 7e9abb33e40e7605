"""One results folder, one protocol: a rerun with other settings stops before training unless --overwrite."""

from __future__ import annotations

import json
import types

import pandas as pd
import pytest

from ganbench.cli import main
from ganbench.errors import UserError
from ganbench.runner.fingerprint import Fingerprint, check_results_folder, differing_fields


def _run(tmp_path, capsys, *extra: str) -> tuple[int, str, str]:
    argv = ["run", "--plugins", "dcgan", "--dataset", "ring8", "--no-eval", "--results-dir", str(tmp_path)]
    with pytest.raises(SystemExit) as done:
        main([*argv, "--out", "x", "-q", *extra])
    out, err = capsys.readouterr()
    return int(done.value.code), out, err


def test_rerun_with_other_steps_stops_naming_steps_and_overwrite_replaces(tmp_path, capsys):
    code, _, _ = _run(tmp_path, capsys, "--steps", "50")
    assert code == 0
    config = json.loads((tmp_path / "x" / "dcgan-ring8-s0" / "config.json").read_text())
    assert config["fingerprint"]["fields"]["steps"] == 50
    row = json.loads((tmp_path / "x" / "dcgan-ring8-s0" / "metrics.json").read_text())
    assert row["fingerprint"] == config["fingerprint"]["hash"]
    assert (row["device_type"], row["steps"], row["batch_size"]) == ("cpu", 50, 64)

    code, out, err = _run(tmp_path, capsys, "--steps", "60")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "steps 50 -> 60" in lines[0] and "--overwrite" in lines[0], err
    assert "Traceback" not in err
    assert json.loads((tmp_path / "x" / "dcgan-ring8-s0" / "metrics.json").read_text())["steps"] == 50

    code, out, err = _run(tmp_path, capsys, "--steps", "60", "--overwrite")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "x" / "results.csv")
    assert list(table["steps"]) == [60] and "steps" in out and "batch_size" in out

    code, _, err = _run(tmp_path, capsys, "--steps", "60", "--seeds", "1")
    assert code == 0, err  # a new cell with the same protocol is added as before
    assert sorted(pd.read_csv(tmp_path / "x" / "results.csv")["seed"]) == [0, 1]


def test_check_results_folder_ignores_unknown_cells(tmp_path):
    fp = Fingerprint({"steps": 10, "batch_size": 64})
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "config.json").write_text(json.dumps({"variant": "dcgan"}))  # older ganbench
    assert check_results_folder(tmp_path, {"old": fp, "absent": fp}, overwrite=False) == []
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "config.json").write_text(json.dumps({"fingerprint": Fingerprint({"steps": 20}).to_json()}))
    with pytest.raises(UserError, match=r"steps 20 -> 10; batch_size null -> 64"):
        check_results_folder(tmp_path, {"new": fp}, overwrite=False)
    assert check_results_folder(tmp_path, {"new": fp}, overwrite=True) == ["new"]
    assert not (tmp_path / "new").exists()


def test_fingerprint_hash_follows_the_fields():
    a, b = Fingerprint({"steps": 10, "lr_g": 2e-4}), Fingerprint({"lr_g": 2e-4, "steps": 10})
    assert a.hash == b.hash and a.hash != Fingerprint({"steps": 11, "lr_g": 2e-4}).hash
    assert differing_fields({"steps": 10, "amp": "off"}, {"steps": 10, "amp": "bf16"}) == ["amp"]


def test_ema_settings_are_part_of_the_fingerprint(tmp_path, capsys):
    code, _, err = _run(tmp_path, capsys, "--steps", "4")
    assert code == 0, err
    fields = json.loads((tmp_path / "x" / "dcgan-ring8-s0" / "config.json").read_text())["fingerprint"]["fields"]
    assert "ema" not in fields and "ema_start" not in fields  # cells without --ema keep their recorded fields
    code, _, err = _run(tmp_path, capsys, "--steps", "4", "--ema", "0.99")
    assert code == 2 and "ema null -> 0.99" in err and "ema_start null -> 0" in err, err
    code, _, err = _run(tmp_path, capsys, "--steps", "4", "--ema", "0.99", "--overwrite")
    assert code == 0, err
    code, _, err = _run(tmp_path, capsys, "--steps", "4", "--ema", "0.99", "--ema-start", "2")
    assert code == 2 and "ema_start 0 -> 2" in err, err


def test_data_parallel_cells_record_world_size_and_sync_bn():
    """Per-rank batch norm makes a 2-process cell differ from a 1-process one: their fingerprints must differ."""
    from ganbench.components import Recipe
    from ganbench.data.base import DataSpec
    from ganbench.engine.config import TrainConfig
    from ganbench.runner.fingerprint import cell_fingerprint
    from ganbench.runner.plan import EvalOptions

    common = {
        "train": TrainConfig(steps=10),
        "recipe": Recipe("mlp", "mlp", "nonsaturating"),
        "dataset": types.SimpleNamespace(spec=DataSpec("ring8", "points", (2,))),
        "dataset_name": "ring8",
        "evaluation": EvalOptions(),
        "device": "cpu",
    }
    one = cell_fingerprint(**common)
    assert "world_size" not in one.fields  # cells from before data parallelism keep matching
    two = cell_fingerprint(**common, world_size=2)
    assert two.fields["world_size"] == 2 and two.fields["sync_bn"] is False
    assert set(differing_fields(one.fields, two.fields)) == {"sync_bn", "world_size"}
    assert cell_fingerprint(**common, world_size=2, sync_bn=True).hash != two.hash


def test_eval_real_samples_is_recorded_only_when_set():
    """``--eval-real-samples`` changes FID's real side: fingerprinted, and cells without it keep theirs."""
    from ganbench.components import Recipe
    from ganbench.data.base import DataSpec
    from ganbench.engine.config import TrainConfig
    from ganbench.runner.fingerprint import cell_fingerprint
    from ganbench.runner.plan import EvalOptions

    common = {
        "train": TrainConfig(steps=10),
        "recipe": Recipe("dcgan", "dcgan", "nonsaturating"),
        "dataset": types.SimpleNamespace(spec=DataSpec("mnist-5k", "image", (1, 28, 28))),
        "dataset_name": "mnist-5k",
        "device": "cpu",
    }
    default = cell_fingerprint(**common, evaluation=EvalOptions())
    assert "eval_real_samples" not in default.fields
    two_k = cell_fingerprint(**common, evaluation=EvalOptions(n_real=2000))
    assert two_k.fields["eval_real_samples"] == 2000 and two_k.hash != default.hash
    with pytest.raises(UserError, match="--eval-real-samples must be an integer of at least 2"):
        EvalOptions(n_real=1)


def test_shipped_mnist5k_suite_sets_the_protocol():
    from ganbench.runner.suite_config import load_suite
    from ganbench.suites import shipped

    suite = load_suite(shipped()["mnist5k-cpu"])
    assert suite["eval_samples"] == suite["eval_real_samples"] == 2000
    assert suite["datasets"] == ["mnist-5k"] and suite["seeds"] == [0, 1, 2]
    assert suite["extractor"] == "inception-v3-compat"

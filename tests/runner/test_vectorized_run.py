"""`ganbench run --seeds A-B --vectorize-seeds`: per-seed rows and files; what it refuses; dataset options."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ganbench.cli import main
from ganbench.runner.suite_config import int_ranges


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_seed_ranges():
    assert int_ranges("0-3") == [0, 1, 2, 3]
    assert int_ranges("0,5-6, 9") == [0, 5, 6, 9]
    assert int_ranges("3-1") is None and int_ranges("a") is None


def test_vectorized_run_writes_one_row_and_folder_per_seed(tmp_path, capsys):
    code, _, err = run_cli(
        capsys, "run", "--plugins", "dcgan", "--dataset", "ring8", "--seeds", "0-2", "--vectorize-seeds",
        "--steps", "12", "--log-every", "4", "--eval-samples", "200", "--results-dir", str(tmp_path), "--out", "v",
        "--quiet",
    )  # fmt: skip
    assert code in (0, None), err
    table = pd.read_csv(tmp_path / "v" / "results.csv")
    assert sorted(table["seed"]) == [0, 1, 2]
    assert (table["status"] == "ok").all() and (table["trained_with"] == "3 seeds vectorized").all()
    assert table["modes"].notna().all() and table["train_img_s"].gt(0).all()
    for seed in range(3):
        cell = tmp_path / "v" / f"dcgan-ring8-s{seed}"
        assert (cell / "generator.pt").is_file() and (cell / "samples.png").is_file()
        assert pd.read_csv(cell / "history.csv")["step"].tolist() == [4, 8, 12]
    run = json.loads((tmp_path / "v" / "run.json").read_text())
    assert run["invocations"][-1]["config"]["vectorize_seeds"] is True


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--checkpoint-every", "5"], "--vectorize-seeds cannot be combined with --checkpoint-every"),
        (["--eval-every", "5"], "--vectorize-seeds cannot be combined with --eval-every"),
        (["--executor", "ray"], "--vectorize-seeds runs with the local executor only"),
    ],
)
def test_unsupported_combinations_fail_in_one_line(tmp_path, capsys, flags, message):
    code, _, err = run_cli(
        capsys, "run", "--plugins", "dcgan", "--seeds", "0-1", "--vectorize-seeds", *flags,
        "--results-dir", str(tmp_path / "r"),
    )  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err
    assert not (tmp_path / "r").exists()


def test_dataset_options(tmp_path, capsys):
    code, _, err = run_cli(
        capsys, "run", "--plugins", "dcgan", "--dataset", "ring8", "--data-opt", "size=640", "--steps", "3",
        "--no-eval", "--results-dir", str(tmp_path), "--out", "s", "--quiet",
    )  # fmt: skip
    assert code in (0, None), err
    run = json.loads((tmp_path / "s" / "run.json").read_text())
    assert run["invocations"][-1]["config"]["data"]["options"] == {"size": 640}
    code, _, err = run_cli(
        capsys, "run", "--plugins", "dcgan", "--dataset", "ring8", "--steps", "3", "--no-eval",
        "--results-dir", str(tmp_path), "--out", "s", "--quiet",
    )  # fmt: skip
    assert code == 2 and "data_options" in err, "another training set is another protocol"
    code, _, err = run_cli(capsys, "run", "--dataset", "digits", "--data-opt", "size=5", "--results-dir", str(tmp_path))
    assert code == 2 and "dataset 'digits' has no option 'size'" in err and "valid options: (none)" in err
    code, _, err = run_cli(capsys, "run", "--dataset", "ring8", "--data-opt", "size=0", "--results-dir", str(tmp_path))
    assert code == 2 and "option size=0 must be a positive integer" in err


def test_mixture_size_option_sets_the_training_set():
    from pathlib import Path

    from ganbench.data.base import DatasetOptions
    from ganbench.registry import get_registry

    entry, _ = get_registry().dataset("ring8")
    default = entry.factory(DatasetOptions(root=Path(".")))
    small = entry.factory(DatasetOptions(root=Path("."), options={"size": 1000}))
    assert default.tensors("train")[0].shape == (100_000, 2) and small.tensors("train")[0].shape == (1000, 2)
    assert small.tensors("test")[0].shape == (10_000, 2)
    again = entry.factory(DatasetOptions(root=Path("."), options={"size": 1000}))
    assert (again.tensors("train")[0] == small.tensors("train")[0]).all(), "drawn once, deterministically"

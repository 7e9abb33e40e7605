"""Issue 4's done-when checks through the real CLI: offline failure, fixture CIFAR-10, image folders."""

from __future__ import annotations

import pandas as pd
import pytest

from ganbench.cli import main
from tests.data.fixtures import go_offline, make_cifar10, make_image_folder, patch_checksums


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_missing_cifar10_fails_before_training_in_one_line(tmp_path, capsys, monkeypatch):
    go_offline(monkeypatch)
    code, _, err = run_cli(
        capsys, "run", "--plugins", "dcgan", "--dataset", "cifar10", "--data-root", str(tmp_path / "data"),
        "--results-dir", str(tmp_path / "results"),
    )  # fmt: skip
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "cifar-10" in lines[0].lower() and str(tmp_path / "data") in lines[0], err
    assert not (tmp_path / "results").exists(), "nothing is trained or written"


def test_fixture_cifar10_trains_dcgan_and_infogan(tmp_path, capsys, monkeypatch):
    root = tmp_path / "data"
    make_cifar10(root, per_batch=16, n_test=16)
    patch_checksums(monkeypatch, root)
    go_offline(monkeypatch)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))  # no Inception weights here
    monkeypatch.setenv("GANBENCH_CACHE", str(tmp_path / "cache"))
    code, _, err = run_cli(
        capsys, "run", "--plugins", "dcgan,infogan", "--dataset", "cifar10", "--steps", "20", "--batch-size", "16",
        "--data-root", str(root), "--results-dir", str(tmp_path / "results"), "--out", "c", "--eval-samples", "64",
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(tmp_path / "results" / "c" / "results.csv")
    assert list(table["variant"]) == ["dcgan", "infogan"] and set(table["status"]) == {"ok"}
    assert table["fid"].isna().all()
    assert table["fid_note"].str.contains("weights", case=False).all(), table["fid_note"].tolist()
    assert (tmp_path / "results" / "c" / "infogan-cifar10-s0" / "traversal.png").is_file()


def test_folder_of_mixed_images_trains(tmp_path, capsys):
    folder = make_image_folder(tmp_path / "faces")
    code, _, err = run_cli(
        capsys, "run", "--plugins", "dcgan", "--dataset", f"folder:{folder.path}", "--steps", "5",
        "--batch-size", "4", "--resolution", "32", "--no-eval",
        "--results-dir", str(tmp_path / "results"), "--out", "f",
    )  # fmt: skip
    assert code == 0, err
    table = pd.read_csv(tmp_path / "results" / "f" / "results.csv")
    assert table.loc[0, "status"] == "ok" and table.loc[0, "dataset"] == f"folder:{folder.path}"

"""``compare`` checks the protocol before comparing numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ganbench.cli import main
from ganbench.results.compare import check_protocol

BASELINE = Path(__file__).resolve().parents[2] / "results" / "baselines" / "ci"


def _table(steps: int, **extra) -> pd.DataFrame:
    rows = [
        {"variant": v, "dataset": "ring8", "seed": 0, "status": "ok", "steps": steps, "batch_size": 64,
         "fid_extractor": "raw", "fid_n_fake": 2500, "modes": 8, "hq_fraction": 0.9, "train_img_s": 1000.0,
         "device_type": "cpu", **extra}
        for v in ("dcgan", "infogan")
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _compare(tmp_path: Path, capsys, base: pd.DataFrame, cur: pd.DataFrame, *flags: str):
    base.to_csv(tmp_path / "base.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    with pytest.raises(SystemExit) as done:
        main(["compare", str(tmp_path / "base.csv"), str(tmp_path / "cur.csv"), *flags])
    out, err = capsys.readouterr()
    return done.value.code, out, err


def test_different_steps_exit_2_naming_steps(tmp_path, capsys):
    code, out, err = _compare(tmp_path, capsys, _table(1000), _table(200))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one line per differing field
    assert "steps" in lines[0] and "baseline 1000, current 200" in lines[0] and "2 row(s)" in lines[0]


def test_one_line_per_differing_field(tmp_path, capsys):
    code, _, err = _compare(tmp_path, capsys, _table(1000), _table(200, fid_n_fake=1000))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "fid_n_fake" in lines[0] and "steps" in lines[1]


def test_allow_protocol_change_compares_and_prints_the_difference_first(tmp_path, capsys):
    code, out, _ = _compare(tmp_path, capsys, _table(1000), _table(200), "--allow-protocol-change")
    assert code == 0
    assert out.index("protocol differs in steps") < out.index("regression(s) in 2 common row(s)")


def test_device_type_matters_only_for_timings(tmp_path, capsys):
    gpu = _table(1000, device_type="cuda")
    code, _, err = _compare(tmp_path, capsys, _table(1000), gpu, "--max-regress", "modes=-1")
    assert code == 0, err
    code, _, err = _compare(tmp_path, capsys, _table(1000), gpu, "--max-regress", "train_img_s=-20%")
    assert code == 2 and "device_type" in err


def test_columns_absent_on_one_side_are_unknown_not_different(tmp_path, capsys):
    old = _table(1000).drop(columns=["fid_n_fake"])
    check = check_protocol(old, _table(1000), ["modes"])
    assert check.ok and check.unknown == ["fid_n_fake"]
    code, _, err = _compare(tmp_path, capsys, old, _table(1000))
    assert code == 0 and "unknown, not checked): fid_n_fake" in err


def test_committed_baseline_still_compares(tmp_path, capsys):
    """The CI baseline predates kid_subset_size & co.: they are unknown, and the gate still works."""
    current = pd.read_csv(BASELINE / "results.csv").assign(kid_subset_size=360, kid_subsets=100, device_type="cpu")
    current.to_csv(tmp_path / "cur.csv", index=False)
    with pytest.raises(SystemExit) as done:
        main(["compare", str(BASELINE), str(tmp_path / "cur.csv"), "--config", str(BASELINE / "thresholds.toml")])
    _, err = capsys.readouterr()
    assert done.value.code == 0 and "kid_subset_size" in err

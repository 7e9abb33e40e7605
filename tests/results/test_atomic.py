"""Atomic writes: the umask's file mode, strict JSON, and a table no cell value can break."""

from __future__ import annotations

import json
import math
import os
import stat

import numpy as np
import pandas as pd
import pytest
import torch

from ganbench.results import atomic


@pytest.fixture
def umask():
    """Run under a given umask, restoring the process's afterwards."""
    previous = os.umask(0o022)
    os.umask(previous)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_every_writer_honours_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    atomic.write_text(tmp_path / "a.txt", "x")
    atomic.write_bytes(tmp_path / "b.bin", b"x")
    atomic.write_json(tmp_path / "c.json", {"x": 1})
    atomic.save_torch(tmp_path / "d.pt", {"w": torch.ones(2)})
    atomic.write_table(pd.DataFrame({"x": [1]}), tmp_path)
    written = ["a.txt", "b.bin", "c.json", "d.pt", "results.csv", "results.parquet"]
    assert {name: oct(mode(tmp_path / name)) for name in written} == {name: oct(expected) for name in written}
    open(tmp_path / "plain", "w").close()
    assert mode(tmp_path / "plain") == expected == atomic.default_file_mode()


def test_json_is_strict_nan_and_inf_become_null(tmp_path):
    row = {"fid": math.nan, "kid": [math.inf, 1.0], "nested": {"x": -math.inf}, "np": np.float32("nan"), "ok": 2.5}
    atomic.write_json(tmp_path / "m.json", row)
    text = (tmp_path / "m.json").read_text()
    assert "NaN" not in text and "Infinity" not in text

    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    strict = json.loads(text, parse_constant=refuse)  # what a strict reader (browsers, jq) accepts
    assert strict == {"fid": None, "kid": [None, 1.0], "nested": {"x": None}, "np": None, "ok": 2.5}


def test_table_writes_values_parquet_cannot_type(tmp_path):
    frame = pd.DataFrame([
        {"seed": 99999999999999999999, "plugin_col": 1.5, "nested": [1, 2]},
        {"seed": 1, "plugin_col": "text", "nested": {"a": 1}},
    ])  # fmt: skip
    atomic.write_table(frame, tmp_path)
    back = pd.read_parquet(tmp_path / "results.parquet")
    assert back["seed"].tolist() == ["99999999999999999999", "1"]
    assert back["plugin_col"].tolist() == ["1.5", "text"]
    assert pd.read_csv(tmp_path / "results.csv")["seed"].astype(str).tolist() == ["99999999999999999999", "1"]


def test_failed_write_leaves_no_temporary_file(tmp_path):
    def boom(fh):
        fh.write("partial")
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError):
        atomic._write(tmp_path / "x.txt", "w", boom)
    assert list(tmp_path.iterdir()) == []

"""The comparing parts of the report: merged folders, leaderboard, curves, readable samples, key-value lines."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ganbench.errors import UserError
from ganbench.report import write_report
from ganbench.report.leaderboard import leaderboard_html
from ganbench.report.merge import protocol_differences
from ganbench.report.plots import curve_metrics
from ganbench.report.sections import flatten_pairs, readable_png

from .fixtures import make_results, tiny_png


def test_two_folders_merge_into_one_report(tmp_path: Path):
    a = make_results(tmp_path / "a", ("dcgan",), ("ring8", "mnist"), (0, 1))
    b = make_results(tmp_path / "b", ("infogan",), ("ring8", "mnist"), (0, 1))
    _, html_path = write_report([a, b], tmp_path / "out")
    html = html_path.read_text(encoding="utf-8")
    board = html.split("<h2 id='leaderboard'>")[1].split("<h2 ")[0]
    assert ">dcgan<" in board and ">infogan<" in board
    assert str(a) in html and str(b) in html  # both sources named in the header
    summary = html.split("<table class='results summary'>")[1].split("</table>")[0]
    assert summary.count("<tr>") == 1 + 2 * 2


def test_merge_refuses_different_protocols_and_duplicate_rows(tmp_path: Path):
    a = make_results(tmp_path / "a", ("dcgan",), ("mnist",), (0,))
    b = make_results(tmp_path / "b", ("infogan",), ("mnist",), (0,))
    table = pd.read_parquet(b / "results.parquet").assign(fid_n_fake=5000)
    table.to_parquet(b / "results.parquet", index=False)
    with pytest.raises(UserError, match="mnist fid_n_fake differs"):
        write_report([a, b], tmp_path / "out")
    assert protocol_differences([("a", pd.read_parquet(a / "results.parquet"))]) == []
    with pytest.raises(UserError, match="more than one results folder"):
        write_report([a, a], tmp_path / "out2")
    with pytest.raises(UserError, match="--out"):
        write_report([a, b])


def test_cli_report_of_several_folders_needs_out(tmp_path: Path, capsys):
    from ganbench.cli import main

    a = make_results(tmp_path / "a", ("dcgan",), ("ring8",), (0,), with_evals=False)
    b = make_results(tmp_path / "b", ("infogan",), ("ring8",), (0,), with_evals=False)
    with pytest.raises(SystemExit) as info:
        main(["report", str(a), str(b)])
    assert info.value.code == 2 and "--out" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["report", str(a), str(b), "--out", str(tmp_path / "o")])
    assert info.value.code == 0 and (tmp_path / "o" / "report.html").is_file()


def test_report_leaderboard_is_ganbench_tables_with_the_best_in_bold(tmp_path: Path):
    """The report shows `ganbench table`'s leaderboard: best mean per column in bold (by the metric's
    direction), every name escaped, each dataset's table in a box of its own."""
    rows = []
    for variant, fid, recall in (("a<i>", 30.0, 0.2), ("b", 20.0, 0.1), ("c", 25.0, 0.3)):
        for seed in range(5):
            rows.append({"variant": variant, "dataset": "cifar10", "seed": seed, "status": "ok", "data_kind": "image",
                         "fid": fid + seed / 10, "kid_mean": 0.01 * seed, "precision": 0.5,
                         "recall": recall + 0.01 * seed, "fid_extractor": "inception-v3-compat",
                         "fid_n_fake": 1000})  # fmt: skip
    html = leaderboard_html(pd.DataFrame(rows))
    assert "<strong class='best'>20.20</strong>" in html  # fid: lower is better -> b
    assert "<strong class='best'>0.320</strong>" in html  # recall: higher is better -> c
    assert "<strong class='best'>30.20</strong>" not in html
    assert "<strong class='best'>0.500</strong>" not in html  # precision: all tied, nothing to beat
    assert "<i>" not in html and "a&lt;i&gt;" in html
    assert html.count("<div class='fit'><table class='leaderboard'>") == 1
    assert "no leaderboard" in leaderboard_html(pd.DataFrame({"x": [1]}))


def test_curves_skip_protocol_columns_and_keep_every_metric():
    evals = pd.DataFrame({
        "step": [50, 100], "fid": [3.0, 2.0], "fid_n_fake": [500, 500], "fid_n_real": [1000, 1000],
        "kid_mean": [0.1, 0.05], "kid_std": [0.01, 0.01], "precision": [0.1, 0.2], "recall": [0.1, 0.2],
        "density": [0.1, 0.2], "coverage": [0.1, 0.2], "modes": [3, 5], "modes_total": [8, 8],
        "hq_fraction": [0.5, 0.6], "kl_modes": [1.0, 0.5], "ndb": [10, 8], "ndb_k": [0.1, 0.08], "ndb_js": [0.1, 0.1],
        "eval_s": [1.0, 1.0],
    })  # fmt: skip
    metrics = curve_metrics([evals], "points")
    assert metrics[:3] == ["modes", "hq_fraction", "kl_modes"]
    assert {"ndb_k", "ndb", "ndb_js", "fid", "recall"} <= set(metrics)
    assert not {"fid_n_fake", "fid_n_real", "modes_total", "kid_std", "eval_s", "step"} & set(metrics)


def test_small_images_upscale_with_nearest_neighbour():
    data = tiny_png(3, size=24)
    big = readable_png(data)
    with Image.open(io.BytesIO(data)) as small_im, Image.open(io.BytesIO(big)) as big_im:
        assert big_im.size == (264, 264)  # 24 * 11 >= 256
        small, large = np.asarray(small_im.convert("RGB")), np.asarray(big_im.convert("RGB"))
    assert (large[::11, ::11] == small).all() and (large[5::11, 10::11] == small).all()  # blocks, not blur
    assert readable_png(tiny_png(3, size=300)) == tiny_png(3, size=300)


def test_invocation_is_key_value_lines(tmp_path: Path):
    run = {"argv": ["ganbench", "run", "--plugins", "a b"], "config": {"seeds": [0, 1], "data": {"root": "/d"}},
           "invocations": [{"argv": ["ganbench", "run"], "resumed": False}], "none": None}  # fmt: skip
    pairs = dict(flatten_pairs(run))
    assert pairs["argv"] == "ganbench run --plugins 'a b'"
    assert pairs["config.seeds"] == "0, 1" and pairs["config.data.root"] == "/d"
    assert pairs["invocations.0.argv"] == "ganbench run" and pairs["invocations.0.resumed"] == "False"
    assert not any("{" in v for v in pairs.values())
    results = make_results(tmp_path / "r", ("dcgan",), ("ring8",), (0,), with_evals=False)
    (results / "run.json").write_text(json.dumps(run))
    _, html_path = write_report(results, tmp_path / "o")
    assert "<span class='k'>config.data.root</span>: <span class='v'>/d</span>" in html_path.read_text()

"""ganbench report: files, tables, embedded images, escaping, multi-seed aggregation, broken inputs."""

from __future__ import annotations

import base64
import html as html_lib
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ganbench.errors import UserError
from ganbench.report import aggregate, build_model, collect, format_mean_std, render_html, write_report
from ganbench.results.aggregate import status_summary
from ganbench.results.display import mean_std_text

from .fixtures import EVIL, make_results

VARIANTS = ("infogan", EVIL)
DATASETS = ("ring8", "mnist")
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("report")
    results = make_results(root / "run", VARIANTS, DATASETS, SEEDS, statuses={("infogan", "mnist", 1): "diverged"})
    md, html_path = write_report(results, root / "out")
    return {"results": results, "out": root / "out", "md": md, "html": html_path.read_text(encoding="utf-8"),
            "md_text": md.read_text(encoding="utf-8"), "table": pd.read_csv(results / "results.csv")}  # fmt: skip


def test_files_written_atomically(report):
    out: Path = report["out"]
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    assert report["md"] == out / "report.md"
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert report["html"].startswith("<!DOCTYPE html>") and report["html"].rstrip().endswith("</html>")


def test_tables_present(report):
    html = report["html"]
    for cls in ("results summary", "results runs", "results protocol"):
        assert f"<table class='{cls}'>" in html
    for header in ("fid ↓", "modes ↑", "train_img_s ↑", "fid_extractor", "fid_layer", "fid_n_fake", "fid_split",
                   "real_stats_key"):  # fmt: skip
        assert f"<th>{header}</th>" in html
    assert "mnist-train-2048-n1000" in html and "inception-v3-compat" in html
    # summary: one row per (variant, dataset); runs: one per cell
    summary = html.split("<table class='results summary'>")[1].split("</table>")[0]
    runs = html.split("<table class='results runs'>")[1].split("</table>")[0]
    assert summary.count("<tr>") == 1 + len(VARIANTS) * len(DATASETS)
    assert runs.count("<tr>") == 1 + len(VARIANTS) * len(DATASETS) * len(SEEDS)
    assert "2/3 ok, 1 diverged" in summary
    assert "| variant | dataset | seeds | status |" in report["md_text"]


def _data_uris(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)]


def test_images_embedded_and_valid(report):
    html = report["html"]
    images = _data_uris(html)
    assert len(images) == html.count("<img ")
    for data in images:
        with Image.open(io.BytesIO(data)) as im:
            im.verify()
    cells = [p for p in report["results"].iterdir() if p.is_dir()]
    for cell in cells:
        assert (cell / "samples.png").read_bytes() in images
    traversals = [c for c in cells if (c / "traversal.png").exists()]
    assert len(traversals) == len(DATASETS) * len(SEEDS)  # infogan only
    assert all((c / "traversal.png").read_bytes() in images for c in traversals)
    # one training-curves figure per (variant, dataset), plus summary bars
    curves = "<figcaption>losses (history.csv) and metrics over steps (evals.csv)</figcaption>"
    assert html.count(curves) == len(VARIANTS) * len(DATASETS)
    assert "<figcaption>modes by variant (bar: mean ± std over seeds; dots: seeds)</figcaption>" in html


def test_html_is_self_contained(report):
    html = report["html"]
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert html.count("<script>") == 1
    # CSP: nothing but data: images and the page's own style and script
    assert "default-src 'none'" in html_lib.unescape(html)


def test_markdown_images_exist(report):
    out: Path = report["out"]
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report["md_text"])
    assert len(links) == report["html"].count("<img ")
    for link in links:
        assert (out / link).is_file()


def test_everything_is_escaped(report):
    html, md = report["html"], report["md_text"]
    assert EVIL not in html and EVIL not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "<b>bold?</b>" not in html and "&lt;b&gt;bold?&lt;/b&gt;" in html  # config values too
    assert re.findall(r"<script", html, flags=re.I) == ["<script"]


def test_escaping_covers_paths_and_column_names(tmp_path: Path):
    evil_dir = tmp_path / "<img src=x onerror=alert(2)>"
    make_results(evil_dir, ("dcgan",), ("ring8",), (0,))
    tbl = pd.read_csv(evil_dir / "results.csv")
    tbl["<i>plugin_metric</i>"] = 1.5
    tbl.to_csv(evil_dir / "results.csv", index=False)
    (evil_dir / "results.parquet").unlink()
    html = render_html(build_model(collect(evil_dir)))
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<i>plugin_metric</i>" not in html and "&lt;i&gt;plugin_metric&lt;/i&gt;" in html


def test_multi_seed_mean_std_matches_numpy(report):
    tbl: pd.DataFrame = report["table"]
    agg = aggregate(tbl)
    assert len(agg) == len(VARIANTS) * len(DATASETS)
    for _, row in agg.iterrows():
        sub = tbl[(tbl["variant"] == row["variant"]) & (tbl["dataset"] == row["dataset"])]
        for metric in ("fid", "modes", "precision", "train_img_s", "hq_fraction", "code_accuracy"):
            values = sub[metric].dropna().to_numpy(dtype=float)
            if len(values) == 0:
                assert math.isnan(row[f"{metric}_mean"])
                continue
            assert row[f"{metric}_mean"] == pytest.approx(np.mean(values), rel=1e-12)
            assert row[f"{metric}_std"] == pytest.approx(np.std(values, ddof=1), rel=1e-12)
            assert row[f"n_{metric}"] == len(values)
            # the same numbers, in the metric's fixed format, are what the report shows
            shown = mean_std_text(metric, float(np.mean(values)), float(np.std(values, ddof=1)), len(values),
                                  int(row["n_seeds"]))  # fmt: skip
            assert f"<td>{shown}</td>" in report["html"].replace(EVIL, "")


def test_aggregate_skips_nan_and_single_values():
    tbl = pd.DataFrame({
        "variant": ["a", "a", "a", "b"], "dataset": ["d"] * 4, "seed": [0, 1, 2, 0],
        "status": ["ok", "ok", "failed", "ok"], "fid": [10.0, 14.0, math.nan, 7.0],
    })  # fmt: skip
    agg = aggregate(tbl).set_index("variant")
    assert agg.loc["a", "fid_mean"] == 12.0
    assert agg.loc["a", "fid_std"] == pytest.approx(math.sqrt(8.0))
    assert agg.loc["a", "n_fid"] == 2 and agg.loc["a", "n_seeds"] == 3
    assert agg.loc["a", "status"] == "2/3 ok, 1 failed"
    assert math.isnan(agg.loc["b", "fid_std"])
    assert format_mean_std(agg.loc["b", "fid_mean"], agg.loc["b", "fid_std"]) == "7"
    assert format_mean_std(12.0, math.sqrt(8.0)) == "12 ± 2.8"


def test_status_summary():
    assert status_summary(pd.Series(["ok", "ok"])) == "2/2 ok"
    assert status_summary(pd.Series(["ok", "diverged", "failed"])).startswith("1/3 ok, ")


def test_single_seed_title(tmp_path: Path):
    make_results(tmp_path / "r", ("dcgan",), ("ring8",), (0,), with_evals=False)
    model = build_model(collect(tmp_path / "r"))
    assert not model.multi_seed
    html = render_html(model)
    assert "Summary (mean ± std" not in html and "<h2 id='summary'>Summary</h2>" in html


def test_broken_cells_become_warnings(tmp_path: Path):
    root = make_results(tmp_path / "r", ("dcgan",), ("ring8",), (0, 1))
    cells = sorted(p for p in root.iterdir() if p.is_dir())
    (cells[0] / "history.csv").write_text("")
    (cells[0] / "samples.png").write_bytes(b"<svg onload=alert(3)>")
    (cells[1] / "config.json").write_text("{not json")
    md, html_path = write_report(root)
    html = html_path.read_text(encoding="utf-8")
    assert md.parent == root  # default --out is the results folder
    assert "history.csv: unreadable" in html
    assert "samples.png is not a PNG/JPEG/GIF image; not shown" in html
    assert "config.json: unreadable" in html
    assert "<svg" not in html


def test_table_rebuilt_from_metrics_json(tmp_path: Path):
    root = make_results(tmp_path / "r", ("dcgan",), ("ring8",), (0, 1))
    (root / "results.csv").unlink()
    (root / "results.parquet").unlink()
    collected = collect(root)
    assert len(collected.table) == 2
    assert any("rebuilt from the cells' metrics.json" in w for w in collected.warnings)


def test_user_errors(tmp_path: Path):
    with pytest.raises(UserError, match="does not exist"):
        write_report(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no results"):
        write_report(tmp_path / "empty")


def test_rerun_removes_stale_assets(tmp_path: Path):
    big = make_results(tmp_path / "big", ("dcgan", "infogan"), ("ring8",), (0, 1))
    small = make_results(tmp_path / "small", ("dcgan",), ("ring8",), (0,), with_evals=False)
    write_report(big, tmp_path / "out")
    write_report(small, tmp_path / "out")
    links = set(re.findall(r"\(report_assets/([^)]+)\)", (tmp_path / "out" / "report.md").read_text()))
    assert {p.name for p in (tmp_path / "out" / "report_assets").iterdir()} == links


def test_cli_report(tmp_path: Path, capsys):
    from ganbench.cli import main

    root = make_results(tmp_path / "r", ("dcgan",), ("ring8",), (0,), with_evals=False)
    with pytest.raises(SystemExit) as info:
        main(["report", str(root), "--out", str(tmp_path / "o")])
    assert info.value.code == 0
    assert "report.html" in capsys.readouterr().out
    assert (tmp_path / "o" / "report.html").is_file() and (tmp_path / "o" / "report.md").is_file()
    with pytest.raises(SystemExit) as info:
        main(["report", str(tmp_path / "missing")])
    assert info.value.code == 2
    assert "does not exist" in capsys.readouterr().err


def test_run_json_shown(report):
    run = json.loads((report["results"] / "run.json").read_text())
    assert "<h2 id='invocation'>Invocation</h2>" in report["html"]
    assert run["torch_version"] in report["html"]


def test_page_heading_is_the_report_title(report):
    """The heading must not be overwritten by a figure caption."""
    assert "<h1>ganbench report</h1>" in report["html"]

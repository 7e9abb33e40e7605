"""``ganbench table``: intervals and p-values agree with scipy, Holm with a hand computation, every seed counts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from ganbench.cli import main
from ganbench.results.aggregate import aggregate, summary_display
from ganbench.results.leaderboard import (
    build_leaderboard,
    holm,
    leaderboard_html,
    p_value,
    render_latex,
    render_markdown,
    t_interval,
)

FID = {"dcgan": [30.0, 34.0, 29.0, 31.5], "wgan": [22.0, 25.0, 21.0, 26.5], "hinge": [28.0, 33.0, 35.0, 27.0]}
PREC = {"dcgan": [0.60, 0.62, 0.58, 0.61], "wgan": [0.70, 0.66, 0.71, 0.69], "hinge": [0.61, 0.55, 0.66, 0.59]}


def _digits_table() -> pd.DataFrame:
    rows = []
    for variant in FID:
        for seed in range(4):
            rows.append(
                {"variant": variant, "dataset": "digits", "seed": seed, "status": "ok", "steps": 1000,
                 "batch_size": 64, "data_kind": "image", "fid_extractor": "ganbench-digits", "fid_n_fake": 2500,
                 "fid": FID[variant][seed], "kid_mean": FID[variant][seed] / 10, "precision": PREC[variant][seed],
                 "recall": 0.5 + seed / 100}
            )  # fmt: skip
    return pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # row order must not matter (paired pairs seeds)


def test_t_interval_matches_scipy():
    x = FID["dcgan"]
    want = stats.t.interval(0.9, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert t_interval(x, 0.9) == pytest.approx(want, rel=1e-12)
    assert all(math.isnan(v) for v in t_interval([3.0], 0.95))


@pytest.mark.parametrize(
    ("test", "reference"),
    [
        ("welch", lambda a, b: stats.ttest_ind(a, b, equal_var=False).pvalue),
        ("mannwhitney", lambda a, b: stats.mannwhitneyu(a, b, alternative="two-sided").pvalue),
        ("paired", lambda a, b: stats.ttest_rel(a, b).pvalue),
    ],
)
def test_p_values_match_scipy(test, reference):
    assert p_value(FID["wgan"], FID["dcgan"], test) == pytest.approx(reference(FID["wgan"], FID["dcgan"]), rel=1e-12)


def test_holm_by_hand():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max(0.06, 0.04) = 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.02, math.nan, 0.03]) == pytest.approx([0.04, math.nan, 0.04], nan_ok=True)  # NaN not in m
    assert holm([0.4, 0.45]) == pytest.approx([0.8, 0.8])


@pytest.mark.parametrize("test", ["welch", "mannwhitney", "paired"])
def test_leaderboard_cells_match_scipy(test):
    board = build_leaderboard(_digits_table(), baseline="dcgan", ci=0.95, test=test)
    (block,) = board.blocks
    assert block.metrics == ["fid", "kid_mean", "precision", "recall"]  # the headline metrics of images
    assert [r.variant for r in block.rows] == ["wgan", "hinge", "dcgan"]  # ordered by FID first
    rows = {r.variant: r for r in block.rows}
    for variant in ("wgan", "hinge"):
        cells = rows[variant].cells
        raw = []
        for metric, values in (("fid", FID), ("precision", PREC)):
            x, b = values[variant], values["dcgan"]
            lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
            assert (cells[metric].low, cells[metric].high) == pytest.approx((lo, hi), rel=1e-12)
            assert cells[metric].mean == pytest.approx(np.mean(x)) and cells[metric].n == 4
            if test == "welch":
                raw.append(stats.ttest_ind(x, b, equal_var=False).pvalue)
            elif test == "mannwhitney":
                raw.append(stats.mannwhitneyu(x, b, alternative="two-sided").pvalue)
            else:
                raw.append(stats.ttest_rel(x, b).pvalue)  # FID/PREC lists are indexed by seed
            assert cells[metric].p == pytest.approx(raw[-1], rel=1e-12)
        family = [cells[m].p for m in block.metrics]  # Holm across the four metrics shown
        assert [cells[m].p_holm for m in block.metrics] == pytest.approx(holm(family), nan_ok=True)
    assert all(math.isnan(c.p) for c in rows["dcgan"].cells.values())
    assert rows["wgan"].cells["fid"].best and rows["wgan"].cells["precision"].best


def test_single_seed_says_n1_without_an_interval():
    table = _digits_table()
    board = build_leaderboard(table[table["seed"] == 0], baseline="dcgan")
    text = render_markdown(board)
    assert "n=1" in text and "[" not in text.split("### digits")[1].split("mean \\[")[0]
    assert all(math.isnan(c.p) for r in board.blocks[0].rows for c in r.cells.values())


def test_interval_never_leaves_the_valid_range():
    table = pd.DataFrame(
        {"variant": "a", "dataset": "ring8", "seed": [0, 1, 2], "status": "ok", "fid_extractor": "raw",
         "hq_fraction": [0.0, 0.02, 0.9], "fid": [0.01, 0.02, 3.0], "modes": [0, 1, 8], "kl_modes": [0.1, 0.2, 2.0]}
    )  # fmt: skip
    board = build_leaderboard(table, metrics=["hq_fraction", "fid"])
    cells = board.blocks[0].rows[0].cells
    assert cells["hq_fraction"].low == 0.0 and cells["fid"].low == 0.0
    assert cells["hq_fraction"].high <= 1.0
    board = build_leaderboard(table.assign(modes_total=8), metrics=["modes", "kl_modes"])
    cells = board.blocks[0].rows[0].cells
    assert cells["modes"].high == 8.0 and cells["kl_modes"].high == pytest.approx(math.log(8))  # K, log K


def _collapsed_grid25_table(tmp_path: Path) -> pd.DataFrame:
    """Two healthy seeds and one that collapsed (no sample within 3σ of any centre), scored for real."""
    from ganbench.builtins.toydata.mixtures import GRID25, make_mixture
    from ganbench.data.base import DatasetOptions
    from ganbench.metrics.modes import mixture_modes

    _ = make_mixture(GRID25)(DatasetOptions(root=tmp_path))
    centres = torch.tensor(GRID25.centres)
    collapsed = mixture_modes(torch.full((500, 2), 1.0e3), centres, GRID25.std)
    assert collapsed["modes"] == 0 and collapsed["kl_modes"] == pytest.approx(math.log(25))
    healthy = [
        {"modes": 25, "hq_fraction": 0.91, "kl_modes": 0.05},
        {"modes": 24, "hq_fraction": 0.88, "kl_modes": 0.1},
    ]
    rows = [{"seed": s, **m} for s, m in enumerate([*healthy, collapsed])]
    other = [{"seed": s, "modes": 20, "hq_fraction": 0.8, "kl_modes": 0.3} for s in range(3)]
    common = {
        "dataset": "grid25",
        "status": "ok",
        "fid_extractor": "raw",
        "modes_total": 25,
        "steps": 1000,
        "batch_size": 64,
    }
    return pd.DataFrame(
        [{"variant": "dcgan", **common, **r} for r in rows] + [{"variant": "wgan", **common, **r} for r in other]
    )


def test_a_collapsed_seed_counts_everywhere(tmp_path):
    table = _collapsed_grid25_table(tmp_path)
    agg = aggregate(table).set_index("variant")
    assert agg.loc["dcgan", "n_kl_modes"] == 3 and agg.loc["dcgan", "incomplete"] == ""
    assert agg.loc["dcgan", "kl_modes_mean"] == pytest.approx((0.05 + 0.1 + math.log(25)) / 3)
    shown = summary_display(table).set_index("variant")
    assert (
        shown.loc["dcgan", "kl_modes ↓"]
        == f"{(0.05 + 0.1 + math.log(25)) / 3:.4g} ± {agg.loc['dcgan', 'kl_modes_std']:.2g}"
    )
    board = build_leaderboard(table, baseline="wgan")
    rows = {r.variant: r for r in board.blocks[0].rows}
    assert rows["dcgan"].cells["kl_modes"].n == 3 and rows["dcgan"].cells["modes"].mean == pytest.approx(49 / 3)
    assert [r.variant for r in board.blocks[0].rows] == ["wgan", "dcgan"]  # 20 modes beat 16.3 on average


def test_a_seed_missing_a_metric_is_shown_and_ranked_incomplete(tmp_path):
    table = _collapsed_grid25_table(tmp_path)
    table.loc[(table["variant"] == "dcgan") & (table["seed"] == 2), ["kl_modes", "modes", "hq_fraction"]] = math.nan
    table.loc[(table["variant"] == "dcgan") & (table["seed"] == 2), "status"] = "diverged"
    shown = summary_display(table).set_index("variant")
    assert shown.loc["dcgan", "kl_modes ↓"] == "0.075 ± 0.035 (2 of 3 seeds)"
    assert "kl_modes" in shown.loc["dcgan", "incomplete"] and shown.loc["dcgan", "status"] == "2/3 ok, 1 diverged"
    head = ["dataset", "seeds", "status", "steps", "batch_size", "modes ↑", "hq_fraction ↑", "kl_modes ↓"]
    assert list(shown.columns[: len(head)]) == head  # protocol, then the 2D headline metrics first
    board = build_leaderboard(table)
    rows = board.blocks[0].rows
    assert [r.variant for r in rows] == ["wgan", "dcgan"] and rows[1].incomplete  # ranked after complete ones
    text = render_markdown(board)
    assert "dcgan †" in text and "n=2 of 3" in text and "incomplete" in text
    assert not rows[1].cells["modes"].best  # the survivors' 24.5 modes are not "best"


def test_latex_markdown_and_html_escape_and_highlight():
    table = _digits_table().replace({"variant": {"wgan": "w_gan&<b>"}})
    board = build_leaderboard(table, baseline="dcgan")
    latex = render_latex(board)
    assert r"\toprule" in latex and r"\midrule" in latex and r"\bottomrule" in latex
    assert r"w\_gan\&\textless{}b\textgreater{}" in latex and r"\textbf{" in latex
    assert "w_gan&" not in latex
    md = render_markdown(board)
    header = next(line for line in md.splitlines() if line.startswith("| variant"))
    sep = md.splitlines()[md.splitlines().index(header) + 1]
    assert header.count("|") == sep.count("|") and set(sep) <= set("|:-")
    assert "**" in md and "w\\_gan&\\<b\\>" in md
    fragment = leaderboard_html(board)
    assert "<b>" not in fragment and "w_gan&amp;&lt;b&gt;" in fragment and "<strong class='best'>" in fragment


def test_cli_table_formats_and_protocol_merge(tmp_path, capsys):
    table = _digits_table()
    for name, part in (("a", table[table["variant"] != "hinge"]), ("b", table[table["variant"] == "hinge"])):
        (tmp_path / name).mkdir()
        part.to_csv(tmp_path / name / "results.csv", index=False)

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as done:
            main(["table", str(tmp_path / "a"), str(tmp_path / "b"), *args])
        out, err = capsys.readouterr()
        return int(done.value.code), out, err

    code, out, _ = run("--baseline", "dcgan", "--format", "latex")
    assert code == 0 and r"\toprule" in out and "hinge" in out
    code, out, _ = run("--baseline", "dcgan", "--format", "json", "--test", "paired", "--ci", "0.9")
    doc = json.loads(out)
    assert doc["test"] == "paired" and doc["ci"] == 0.9 and doc["interval"] == "student-t"
    code, out, _ = run("--format", "csv", "--metrics", "fid")
    assert code == 0 and out.splitlines()[0].startswith("dataset,variant,metric,n,")
    assert len(out.splitlines()) == 1 + 3
    code, _, err = run("--test", "ttest")
    assert code == 2 and "welch, mannwhitney, paired" in err
    code, _, err = run("--baseline", "nope")
    assert code == 2 and "dcgan" in err

    longer = table[table["variant"] == "hinge"].assign(steps=2000)
    longer.to_csv(tmp_path / "b" / "results.csv", index=False)
    code, out, err = run()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "steps" in err
    code, out, _ = run("--allow-protocol-change")
    assert code == 0 and "measured differently (steps)" in out

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
    ProtocolMismatch,
    build_leaderboard,
    holm,
    leaderboard_html,
    mixed_settings,
    p_value,
    render,
    render_latex,
    render_markdown,
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


def _perm(x, y, statistic, kind="independent"):
    return stats.permutation_test(
        (x, y), statistic, permutation_type=kind, n_resamples=np.inf, vectorized=True, axis=-1
    ).pvalue


def _mean_diff(a, b, axis=-1):
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def _welch_t(a, b, axis=-1):
    return stats.ttest_ind(a, b, equal_var=False, axis=axis).statistic


def _rank_diff(a, b, axis=-1):
    ranks = stats.rankdata(np.concatenate([a, b], axis=-1), axis=-1)  # mid-ranks of the pooled values
    return ranks[..., : a.shape[-1]].mean(axis=-1) - ranks[..., a.shape[-1] :].mean(axis=-1)


REFERENCES = {
    "permutation": lambda a, b: _perm(a, b, _mean_diff),
    "welch": lambda a, b: _perm(a, b, _welch_t),
    "mannwhitney": lambda a, b: _perm(a, b, _rank_diff),
    "paired": lambda a, b: _perm(a, b, _mean_diff, "samples"),
}


@pytest.mark.parametrize("test", list(REFERENCES))
def test_p_values_match_scipy_exact(test):
    want = REFERENCES[test](FID["wgan"], FID["dcgan"])
    assert p_value(FID["wgan"], FID["dcgan"], test) == pytest.approx(want, rel=1e-12)
    if test == "mannwhitney":  # without ties the rank test is scipy's exact Mann-Whitney test
        exact = stats.mannwhitneyu(FID["wgan"], FID["dcgan"], method="exact").pvalue
        assert p_value(FID["wgan"], FID["dcgan"], test) == pytest.approx(exact, rel=1e-12)


def test_holm_by_hand():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max(0.06, 0.04) = 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.02, math.nan, 0.03]) == pytest.approx([0.04, math.nan, 0.04], nan_ok=True)  # NaN not in m
    assert holm([0.4, 0.45]) == pytest.approx([0.8, 0.8])


def _wilson(p, n):
    z = stats.norm.ppf(0.975)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("test", list(REFERENCES))
def test_leaderboard_cells_match_scipy(test):
    board = build_leaderboard(_digits_table(), baseline="dcgan", ci=0.95, test=test)
    (block,) = board.blocks
    assert block.metrics == ["fid", "kid_mean", "precision", "recall"]  # the headline metrics of images
    assert [r.variant for r in block.rows] == ["wgan", "hinge", "dcgan"]  # ordered by FID first
    rows = {r.variant: r for r in block.rows}
    raw = []
    for variant in ("wgan", "hinge"):
        cells = rows[variant].cells
        x, b = FID[variant], FID["dcgan"]
        lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))  # FID: unbounded above
        assert (cells["fid"].low, cells["fid"].high) == pytest.approx((lo, hi), rel=1e-12)
        assert cells["fid"].mean == pytest.approx(np.mean(x)) and cells["fid"].n == 4
        # precision lies in [0, 1] and its t-interval stays inside: Student t, not clipped
        p = PREC[variant]
        want = stats.t.interval(0.95, len(p) - 1, loc=np.mean(p), scale=stats.sem(p))
        assert (cells["precision"].low, cells["precision"].high) == pytest.approx(want, rel=1e-12)
        assert cells["precision"].interval == "t"
        for metric, values in (("fid", FID), ("precision", PREC)):
            assert cells[metric].p == pytest.approx(REFERENCES[test](values[variant], values["dcgan"]), rel=1e-12)
        # effect sizes: difference of means and P(X > Y) in the metric's direction (lower FID is better)
        assert cells["fid"].diff.value == pytest.approx(np.mean(x) - np.mean(b))
        u = stats.mannwhitneyu(b, x).statistic  # pairs where the baseline's FID is higher = variant better
        assert cells["fid"].poi.value == pytest.approx(u / 16)
        assert cells["fid"].poi.low <= cells["fid"].poi.value <= cells["fid"].poi.high
        raw += [cells[m].p for m in block.metrics]
    # one Holm family over every test the table prints: 2 variants x 4 metrics
    assert board.family == 8
    adjusted = [rows[v].cells[m].p_holm for v in ("wgan", "hinge") for m in block.metrics]
    assert adjusted == pytest.approx(holm(raw), nan_ok=True)
    assert all(math.isnan(c.p) for c in rows["dcgan"].cells.values())
    # 4 seeds: wgan's FID interval overlaps hinge's, so no best is claimed
    assert not any(r.cells["fid"].best for r in block.rows)
    text = render(board, "text")
    floor = "0.125" if test == "paired" else "0.0286"  # 2 / 2^4 sign flips; 2 / C(8, 4) splits
    assert "Holm-corrected over all 8 tests" in text and f"smallest attainable p here {floor}" in text
    assert "fewer than 5 seeds (as few as n=4)" in text


def test_p_is_never_zero_and_constant_samples_are_ties():
    rows = [
        {"variant": v, "dataset": "ring8", "seed": s, "status": "ok", "fid_extractor": "raw", "modes_total": 8,
         "modes": m, "hq_fraction": 0.5, "kl_modes": 0.1}
        for v, m in (("a", 8), ("b", 7)) for s in range(3)
    ]  # fmt: skip
    board = build_leaderboard(pd.DataFrame(rows), baseline="b", test="welch")
    cell = next(r for r in board.blocks[0].rows if r.variant == "a").cells["modes"]
    assert cell.p == pytest.approx(0.1) and cell.p_min == pytest.approx(0.1)  # Welch's t-test says p = 0
    assert cell.tied and cell.low < 8.0 == cell.high  # all 8 modes on 3 seeds: not a zero-width interval
    assert "all equal" in render(board, "text")
    assert not cell.best  # the two Wilson intervals overlap at 3 seeds


def test_aggregate_across_datasets_uses_stratified_bootstrap():
    table = _digits_table()
    other = table.assign(dataset="digits2")
    board = build_leaderboard(pd.concat([table, other]), baseline="dcgan")
    assert board.family == 16
    agg = {(a.variant, a.metric): a for a in board.aggregates}
    fid = agg[("wgan", "fid")]
    assert fid.datasets == ["digits", "digits2"]
    single = board.blocks[0].rows[0].cells["fid"].poi.value
    assert fid.poi.value == pytest.approx(single) and fid.poi.low <= fid.poi.value <= fid.poi.high
    assert "across datasets" in render(board, "text")


def test_context_rows_and_untrained_flag():
    from ganbench.metrics.modes import perfect_mixture_scores

    table = pd.DataFrame(
        {"variant": ["a"] * 3 + ["b"] * 3, "dataset": "ring8", "seed": [0, 1, 2] * 2, "status": "ok",
         "fid_extractor": "raw", "modes_total": 8, "modes": [8, 8, 7, 3, 2, 4],
         "hq_fraction": [0.95, 0.9, 0.97, 0.1, 0.05, 0.14], "kl_modes": [0.01, 0.02, 0.05, 1.0, 1.2, 0.9]}
    )  # fmt: skip
    from ganbench.builtins.toydata.mixtures import RING8

    perfect = perfect_mixture_scores(RING8.centres, RING8.std, 2500)
    assert perfect["hq_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=0.005)  # chi-square, 2 d.o.f.
    assert perfect["modes"] == pytest.approx(8) and 0 < perfect["kl_modes"] < 0.01
    board = build_leaderboard(table, context={"ring8": perfect}, context_label="(reference): perfect sampler")
    rows = {r.variant: r for r in board.blocks[0].rows}
    assert rows["b"].untrained and not rows["a"].untrained
    text = render(board, "text")
    assert "(reference)" in text and "b untrained?" in text and "perfect sampler" in text


def test_text_fits_the_width():
    table = _digits_table()
    board = build_leaderboard(table, baseline="dcgan")
    for width in (60, 80, 120):
        text = render(board, "text", width)
        assert max(map(len, text.splitlines())) <= width
        assert text.count("wgan") >= 2  # nothing dropped: the grid is split, not cut
    assert max(map(len, render(board, "text").splitlines())) > 120


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
    # a t-interval of [-0.87, 1.48] would hide a failed approximation behind [0, 1]: Wilson instead
    low, high = _wilson(np.mean([0.0, 0.02, 0.9]), 3)
    assert cells["hq_fraction"].interval == "wilson"
    assert (cells["hq_fraction"].low, cells["hq_fraction"].high) == pytest.approx((low, high))
    assert cells["fid"].interval == "t" and cells["fid"].crossed and cells["fid"].low == 0.0  # marked, not hidden
    assert "‡" in render(board, "text")
    board = build_leaderboard(table.assign(modes_total=8), metrics=["modes", "kl_modes"])
    cells = board.blocks[0].rows[0].cells
    assert cells["modes"].high <= 8.0 and cells["kl_modes"].high <= math.log(8)  # K, log K
    assert cells["modes"].interval == cells["kl_modes"].interval == "wilson"


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
    table.loc[table["variant"] == "w_gan&<b>", "fid"] -= 10.0  # clear of the others: a best to bold
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
    assert doc["test"] == "paired" and doc["ci"] == 0.9 and doc["family"] == 8
    assert {c["interval"] for c in doc["cells"]} == {"t"} and doc["legend"]
    code, out, _ = run("--format", "csv", "--metrics", "fid")
    assert code == 0 and out.splitlines()[0].startswith("dataset,variant,metric,n,")
    assert len(out.splitlines()) == 1 + 3
    code, _, err = run("--test", "ttest")
    assert code == 2 and "permutation, welch, mannwhitney, paired" in err
    code, _, err = run("--baseline", "nope")
    assert code == 2 and "dcgan" in err

    longer = table[table["variant"] == "hinge"].assign(steps=2000)
    longer.to_csv(tmp_path / "b" / "results.csv", index=False)
    code, out, err = run()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "steps" in err
    code, out, _ = run("--allow-protocol-change")
    assert code == 0 and "measured differently (steps)" in out


def test_reference_points_come_from_the_dataset_definition():
    from ganbench.metrics.reference_points import reference_points

    frame = pd.DataFrame(
        {"variant": "a", "dataset": ["ring8", "nope"], "seed": 0, "status": "ok", "fid_extractor": "raw",
         "fid_n_fake": 1000, "fid_n_real": 10_000, "modes_total": 8, "modes": 8, "hq_fraction": 0.9, "kl_modes": 0.1}
    )  # fmt: skip
    points = reference_points(frame)
    assert set(points) == {"ring8"}  # an unknown dataset only loses its context row
    ring = points["ring8"]
    assert ring["hq_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)  # P(chi2 with 2 d.o.f. < 9)
    # the FID floor: 1,000 points of the mixture against 10,000, here by numpy and scipy's sqrtm (mean of 20)
    from scipy.linalg import sqrtm

    rng = np.random.default_rng(0)
    centres = np.array([[math.cos(2 * math.pi * i / 8), math.sin(2 * math.pi * i / 8)] for i in range(8)])

    def mixture(n):
        return centres[rng.integers(0, 8, n)] + 0.01 * rng.normal(size=(n, 2))

    def fid(a, b):
        ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
        return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca + cb - 2 * sqrtm(ca @ cb).real))

    expected = np.mean([fid(mixture(1000), mixture(10_000)) for _ in range(20)])
    assert ring["fid"] == pytest.approx(expected, rel=1.0)  # a noisy, tiny floor: the same order of size
    assert 0 < ring["fid"] < 0.005


def test_seeds_of_one_variant_made_with_different_settings_are_not_averaged_silently():
    """Same name, same protocol columns, different settings fingerprint (e.g. the old alternating update rule
    beside the new simultaneous one): refused with the fingerprints named, or ranked with a note when asked."""
    frame = pd.DataFrame(
        {"variant": ["pacgan1"] * 4 + ["pacgan2"] * 2, "dataset": "ring8", "seed": [0, 1, 2, 3, 0, 1],
         "status": "ok", "steps": 2000, "batch_size": 100, "modes": [7.0, 8.0, 6.0, 7.0, 8.0, 8.0],
         "fingerprint": ["98c01a34", "98c01a34", "46ef1c81", "46ef1c81", "aaaa", "aaaa"]}
    )  # fmt: skip
    assert mixed_settings(frame) == {"pacgan1": ["98c01a34", "46ef1c81"]}
    with pytest.raises(ProtocolMismatch) as info:
        build_leaderboard(frame)
    assert info.value.lines == [
        "pacgan1 on ring8 mixes runs made with different settings (fingerprint 98c01a34, 46ef1c81): one name, "
        "other training or evaluation settings (each cell's config.json names them)"
    ]
    board = build_leaderboard(frame, allow_protocol_change=True)
    assert "ring8: pacgan1's seeds were made with different settings (2)" in board.notes
    assert mixed_settings(frame.drop(columns="fingerprint")) == {}  # older rows without one are not judged


def test_image_variants_far_below_the_floors_precision_are_flagged_untrained():
    """On images the reference row is the real-vs-real floor and the share read against it is precision (the
    share of generated images inside the real k-NN manifold): 0.30 < 0.5 x 0.84 is flagged, 0.60 is not."""
    frame = pd.DataFrame(
        {"variant": ["a"] * 3 + ["b"] * 3, "dataset": "mnist-5k", "seed": [0, 1, 2] * 2, "status": "ok",
         "data_kind": "image", "fid": [40.0, 42.0, 41.0, 90.0, 95.0, 92.0],
         "precision": [0.60, 0.62, 0.58, 0.30, 0.28, 0.32]}
    )  # fmt: skip
    board = build_leaderboard(frame, context={"mnist-5k": {"fid": 5.8, "precision": 0.84}}, context_label="(ref)")
    flagged = {r.variant: r.untrained for r in board.blocks[0].rows}
    assert flagged == {"a": False, "b": True}
    text = render(board, "text", 200)
    assert "b untrained?" in text and "a untrained?" not in text
    assert "untrained?: mean precision (share of generated images inside the real images' k-NN manifold)" in text

"""ganbench compare: threshold parsing, direction semantics, NaN/status/row rules, exit codes 0/1/2."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from ganbench.errors import UserError
from ganbench.results.compare import (
    DEFAULT_THRESHOLDS,
    TableError,
    ThresholdError,
    compare_tables,
    format_comparison,
    load_table,
    load_thresholds_file,
    parse_threshold,
    parse_thresholds,
)


def table(**overrides: list) -> pd.DataFrame:
    data = {
        "variant": ["dcgan", "dcgan", "infogan", "infogan"],
        "dataset": ["ring8", "mnist", "ring8", "mnist"],
        "seed": [0, 0, 0, 0],
        "status": ["ok", "ok", "ok", "ok"],
        "error": [None, None, None, None],
        "fid": [math.nan, 40.0, math.nan, 50.0],
        "fid_extractor": [None, "inception-v3-compat", None, "inception-v3-compat"],
        "modes": [8.0, math.nan, 7.0, math.nan],
        "train_img_s": [1000.0, 500.0, 900.0, 450.0],
        "kid_mean": [math.nan, 0.0, math.nan, 0.02],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from ganbench.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


# --- threshold parsing -------------------------------------------------------------------------


def test_parse_relative_absolute_and_sign():
    t = parse_thresholds("fid=10%,train_img_s=-15%, modes=-1")
    assert (t["fid"].limit, t["fid"].relative, t["fid"].worse) == (pytest.approx(0.10), True, "up")
    assert (t["train_img_s"].limit, t["train_img_s"].relative, t["train_img_s"].worse) == (
        pytest.approx(0.15), True, "down",
    )  # fmt: skip
    assert (t["modes"].limit, t["modes"].relative, t["modes"].worse) == (1.0, False, "down")
    assert t["fid"].describe() == "+10%" and t["train_img_s"].describe() == "-15%" and t["modes"].describe() == "-1"


def test_parse_repeated_options_merge():
    t = parse_thresholds(["fid=10%", "modes=-1,train_img_s=-20%"])
    assert sorted(t) == ["fid", "modes", "train_img_s"]


def test_zero_without_sign_takes_the_known_direction():
    assert parse_threshold("fid", "0%").worse == "up"
    assert parse_threshold("modes", "0").worse == "down"
    assert parse_threshold("custom", "-0").worse == "down"
    with pytest.raises(ThresholdError, match="custom"):
        parse_threshold("custom", "0")


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("fid10%", "metric=limit"),
        ("fid=abc", "fid"),
        ("fid=10%%", "fid"),
        ("=10%", "metric name"),
        ("fid=nan", "finite"),
        ("fid=inf%", "finite"),
        ("fid=10%,fid=5%", "twice"),
        ("fid=", "fid"),
    ],
)
def test_parse_errors_are_user_errors(spec: str, match: str):
    with pytest.raises(ThresholdError, match=match) as info:
        parse_thresholds(spec)
    assert isinstance(info.value, UserError)
    assert "\n" not in str(info.value)


def test_thresholds_file(tmp_path: Path):
    cfg = tmp_path / "t.toml"
    cfg.write_text('[max_regress]\nfid = "10%"\ntrain_img_s = "-15%"\nmodes = -1\nkid_mean = 0.01\n')
    t = load_thresholds_file(cfg)
    assert t["fid"].worse == "up" and t["fid"].relative
    assert t["modes"].worse == "down" and not t["modes"].relative and t["modes"].limit == 1
    assert t["kid_mean"].worse == "up" and t["kid_mean"].limit == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("fid = 3\n", "unknown key"),
        ("[other]\nfid = 3\n", "unknown key"),
        ("[max_regress\n", "not valid TOML"),
        ("[max_regress]\nfid = true\n", "fid"),
        ("[max_regress]\nfid = [1]\n", "fid"),
        ("max_regress = 3\n", r"\[max_regress\]"),
    ],
)
def test_thresholds_file_errors(tmp_path: Path, text: str, match: str):
    cfg = tmp_path / "t.toml"
    cfg.write_text(text)
    with pytest.raises(ThresholdError, match=match):
        load_thresholds_file(cfg)


def test_thresholds_file_missing(tmp_path: Path):
    with pytest.raises(ThresholdError, match="does not exist"):
        load_thresholds_file(tmp_path / "nope.toml")


# --- direction semantics -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "baseline", "current", "regressed"),
    [
        ("fid=10%", 40.0, 43.9, False),  # rose 9.75 %: allowed
        ("fid=10%", 40.0, 44.0, False),  # exactly at the limit: allowed
        ("fid=10%", 40.0, 44.5, True),  # rose 11.25 %
        ("fid=10%", 40.0, 10.0, False),  # improved a lot
        ("fid=-10%", 40.0, 30.0, True),  # the user's sign wins: fid may drop at most 10 %
        ("train_img_s=-15%", 1000.0, 860.0, False),
        ("train_img_s=-15%", 1000.0, 840.0, True),
        ("train_img_s=-15%", 1000.0, 3000.0, False),
        ("modes=-1", 8.0, 7.0, False),
        ("modes=-1", 8.0, 6.0, True),
        ("modes=-1", 8.0, 9.0, False),
        ("kid_mean=0.005", 0.010, 0.014, False),
        ("kid_mean=0.005", 0.010, 0.016, True),
        ("kid_mean=0.005", -0.002, 0.004, True),  # absolute works across zero
        ("kid_mean=10%", 0.0, 0.0, False),  # 0 -> 0 is no change
        ("kid_mean=10%", 0.0, 0.001, True),  # 0 -> anything worse is an infinite relative change
        ("kid_mean=10%", 0.0, -0.001, False),
    ],
)
def test_direction_semantics(spec: str, baseline: float, current: float, regressed: bool):
    metric = spec.split("=")[0]
    base = table(**{metric: [baseline] * 4})
    cur = table(**{metric: [current] * 4})
    result = compare_tables(base, cur, parse_thresholds(spec))
    assert not result.ok == regressed
    assert len(result.regressions) == (4 if regressed else 0)
    assert all(d.metric == metric for d in result.regressions)


# --- rows, status and NaN ----------------------------------------------------------------------


def test_identical_tables_pass_with_defaults():
    result = compare_tables(table(), table())
    assert result.ok
    # defaults only for metrics in both tables
    assert set(result.thresholds) == {m for m in DEFAULT_THRESHOLDS if m in table().columns}
    assert "precision" not in result.thresholds


def test_worsened_table_names_metric_and_row():
    cur = table(fid=[math.nan, 40.0, math.nan, 60.0])  # infogan/mnist fid +20 %
    result = compare_tables(table(), cur)
    assert [(d.key, d.metric) for d in result.regressions] == [(("infogan", "mnist", 0), "fid")]
    text = format_comparison(result)
    assert "REGRESSION infogan/mnist/s0 fid: baseline 50, current 60, change +10 (+20.0%), threshold +10%" in text


def test_status_regression_skips_metrics():
    cur = table(status=["ok", "diverged", "ok", "ok"], error=[None, "NaN loss at step 40", None, None],
                fid=[math.nan, math.nan, math.nan, 50.0])  # fmt: skip
    result = compare_tables(table(), cur)
    assert [(d.key, d.metric, d.current) for d in result.regressions] == [(("dcgan", "mnist", 0), "status", "diverged")]
    assert "NaN loss at step 40" in format_comparison(result)


def test_not_ok_in_both_is_not_a_status_regression():
    statuses = ["ok", "failed", "ok", "ok"]
    result = compare_tables(table(status=statuses), table(status=statuses))
    assert result.ok


def test_recovered_status_is_fine():
    result = compare_tables(table(status=["ok", "failed", "ok", "ok"]), table())
    assert result.ok


def test_nan_rules():
    base = table(fid=[math.nan, math.nan, math.nan, 50.0])
    cur = table(fid=[math.nan, 45.0, math.nan, math.nan])
    result = compare_tables(base, cur, parse_thresholds("fid=10%"))
    verdicts = {d.key: d.verdict for d in result.deltas}
    assert verdicts[("dcgan", "ring8", 0)] == "n/a"
    assert verdicts[("dcgan", "mnist", 0)] == "new"
    assert verdicts[("infogan", "mnist", 0)] == "REGRESSION"
    assert [d.note for d in result.regressions] == ["value missing in current"]


def test_missing_and_new_rows():
    base = table()
    cur = pd.concat([table().iloc[1:], table().iloc[:1].assign(seed=1)], ignore_index=True)
    result = compare_tables(base, cur)
    assert [(d.key, d.metric) for d in result.regressions] == [(("dcgan", "ring8", 0), "row")]
    assert result.new_rows == [("dcgan", "ring8", 1)]
    assert "new rows (not in baseline): dcgan/ring8/s1" in format_comparison(result)
    assert compare_tables(base, cur, allow_missing=True).ok


def test_seed_dtype_does_not_matter(tmp_path: Path):
    base = table()
    cur = table(seed=[0.0, 0.0, 0.0, 0.0])
    assert compare_tables(base, cur).common_rows == 4


# --- unusable input (exit 2) -------------------------------------------------------------------


def test_unknown_metric_in_threshold():
    with pytest.raises(ThresholdError, match=r"unknown metric 'fidd'.*fid"):
        compare_tables(table(), table(), parse_thresholds("fidd=10%"))


def test_metric_missing_from_one_table_is_unknown():
    with pytest.raises(ThresholdError, match="modes"):
        compare_tables(table(), table().drop(columns=["modes"]), parse_thresholds("modes=-1"))


def test_non_numeric_metric():
    with pytest.raises(TableError, match="fid_extractor"):
        compare_tables(table(), table(), parse_thresholds("fid_extractor=+1"))


def test_missing_key_columns():
    with pytest.raises(TableError, match="seed"):
        compare_tables(table(), table().drop(columns=["seed"]))


def test_no_common_rows():
    with pytest.raises(TableError, match=r"no .* row in common"):
        compare_tables(table(), table(seed=[5, 5, 5, 5]))


def test_duplicate_rows():
    with pytest.raises(TableError, match="duplicate row dcgan/ring8/s0"):
        compare_tables(pd.concat([table(), table().iloc[:1]]), table())


def test_load_table_forms(tmp_path: Path):
    t = table()
    t.to_csv(tmp_path / "a.csv", index=False)
    t.to_parquet(tmp_path / "b.parquet", index=False)
    (tmp_path / "run").mkdir()
    t.to_csv(tmp_path / "run" / "results.csv", index=False)
    for source in ("a.csv", "b.parquet", "run"):
        loaded = load_table(tmp_path / source)
        assert compare_tables(t, loaded).ok
    with pytest.raises(TableError, match="does not exist"):
        load_table(tmp_path / "nope.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TableError, match=r"no results\.parquet or results\.csv"):
        load_table(tmp_path / "empty")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(TableError, match="unsupported"):
        load_table(tmp_path / "x.txt")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(TableError, match="cannot read"):
        load_table(tmp_path / "bad.parquet")


# --- CLI ---------------------------------------------------------------------------------------


@pytest.fixture
def tables(tmp_path: Path) -> tuple[Path, Path, Path]:
    base = tmp_path / "base.csv"
    same = tmp_path / "same.parquet"
    worse = tmp_path / "worse.csv"
    table().to_csv(base, index=False)
    table().to_parquet(same, index=False)
    table(train_img_s=[1000.0, 500.0, 900.0, 300.0], modes=[8.0, math.nan, 5.0, math.nan]).to_csv(worse, index=False)
    return base, same, worse


def test_cli_identical_exit_0(tables, capsys):
    base, same, _ = tables
    code, out, _ = run_cli(["compare", str(base), str(same)], capsys)
    assert code == 0
    assert "0 regression(s) in 4 common row(s)" in out


def test_cli_regression_exit_1(tables, capsys):
    base, _, worse = tables
    code, out, _ = run_cli(["compare", str(base), str(worse), "--max-regress", "train_img_s=-15%", "--max-regress",
                            "modes=-1"], capsys)  # fmt: skip
    assert code == 1
    assert "REGRESSION infogan/mnist/s0 train_img_s: baseline 450, current 300" in out
    assert "REGRESSION infogan/ring8/s0 modes: baseline 7, current 5, change -2" in out
    assert "threshold -1" in out


def test_cli_loose_threshold_exit_0(tables, capsys):
    base, _, worse = tables
    code, _, _ = run_cli(["compare", str(base), str(worse), "--max-regress", "train_img_s=-50%,modes=-3"], capsys)
    assert code == 0


def test_cli_config_file_and_override(tables, tmp_path, capsys):
    base, _, worse = tables
    cfg = tmp_path / "t.toml"
    cfg.write_text('[max_regress]\ntrain_img_s = "-50%"\nmodes = -1\n')
    code, out, _ = run_cli(["compare", str(base), str(worse), "--config", str(cfg)], capsys)
    assert code == 1 and "modes" in out and "REGRESSION infogan/mnist/s0 train_img_s" not in out
    code, _, _ = run_cli(["compare", str(base), str(worse), "--config", str(cfg), "--max-regress", "modes=-2"], capsys)
    assert code == 0


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["{base}", "{missing}"], "does not exist"),
        (["{base}", "{same}", "--max-regress", "fidd=10%"], "unknown metric 'fidd'"),
        (["{base}", "{same}", "--max-regress", "fid=ten"], "bad threshold for fid"),
        (["{base}", "{nokeys}"], "lacks key column"),
        (["{base}", "{other}"], "no (variant, dataset, seed) row in common"),
    ],
)
def test_cli_unusable_input_exit_2(tables, tmp_path, capsys, args, match):
    base, same, _ = tables
    table().drop(columns=["variant"]).to_csv(tmp_path / "nokeys.csv", index=False)
    table(seed=[9, 9, 9, 9]).to_csv(tmp_path / "other.csv", index=False)
    paths = {"base": base, "same": same, "missing": tmp_path / "missing.csv", "nokeys": tmp_path / "nokeys.csv",
             "other": tmp_path / "other.csv"}  # fmt: skip
    code, _, err = run_cli(["compare", *(a.format(**paths) for a in args)], capsys)
    assert code == 2
    assert match in err
    assert len(err.strip().splitlines()) == 1

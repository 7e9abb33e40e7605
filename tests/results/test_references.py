"""Published tables as data: validation, mean ± s.e. over seeds, verdicts, rendering."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ganbench.results.references import (
    AGREES,
    DIFFERS,
    MISSING,
    UNDEFINED,
    UNTESTED,
    ReferenceError,
    builtin_references,
    compare,
    load_reference,
    mean_se,
    parse_reference,
    render_reference,
)

TABLE1 = {  # (variant, dataset) -> (modes, HQ %, KL), PacGAN Table 1
    ("pacgan1", "ring8"): ((6.3, 0.5), (98.2, 0.2), (0.45, 0.09)),
    ("pacgan2", "ring8"): ((7.9, 0.1), (95.6, 2.0), (0.07, 0.03)),
    ("pacgan3", "ring8"): ((7.8, 0.1), (97.7, 0.3), (0.10, 0.02)),
    ("pacgan4", "ring8"): ((7.8, 0.1), (95.9, 1.4), (0.07, 0.02)),
    ("pacgan1", "grid25"): ((17.3, 0.8), (94.8, 0.7), (0.70, 0.07)),
    ("pacgan2", "grid25"): ((23.8, 0.7), (91.3, 0.8), (0.13, 0.04)),
    ("pacgan3", "grid25"): ((24.6, 0.4), (94.2, 0.4), (0.06, 0.02)),
    ("pacgan4", "grid25"): ((24.8, 0.2), (93.6, 0.6), (0.04, 0.01)),
}


def test_shipped_pacgan_table_holds_the_published_numbers():
    assert "pacgan-table1" in builtin_references()
    ref = load_reference("pacgan-table1")
    assert ref.runs == 10 and "NeurIPS 2018" in ref.source and "mean ± standard error" in ref.statistic
    assert [m.column for m in ref.metrics] == ["modes", "hq_fraction", "kl_modes"]
    assert {m.column: m.scale for m in ref.metrics}["hq_fraction"] == 100.0
    got = {(c.variant, c.dataset): tuple(c.values[k] for k in ("modes", "hq_fraction", "kl_modes")) for c in ref.cells}
    assert got == TABLE1


def test_mean_and_standard_error_match_pandas():
    values = [6.0, 8.0, 7.0, 3.0]
    mean, se = mean_se(values)
    s = pd.Series(values)
    assert mean == pytest.approx(s.mean()) and se == pytest.approx(s.sem())
    assert math.isnan(mean_se([1.0])[1])


def _rows(variant, dataset, modes, statuses=None):
    statuses = statuses or ["ok"] * len(modes)
    return [
        {"variant": variant, "dataset": dataset, "seed": i, "status": st, "modes": m, "hq_fraction": 0.95,
         "kl_modes": 0.1}
        for i, (m, st) in enumerate(zip(modes, statuses, strict=True))
    ]  # fmt: skip


def test_verdicts_use_two_combined_standard_errors():
    ref = load_reference("pacgan-table1")
    table = pd.DataFrame(
        _rows("pacgan2", "ring8", [8, 8, 8, 7, 8])  # 7.8 ± 0.2: |7.8 - 7.9| = 0.1 ≤ 2·hypot(0.2, 0.1)
        + _rows("pacgan1", "ring8", [8, 8, 8, 8])  # 8 ± 0 vs 6.3 ± 0.5: 1.7 > 1.0
        + _rows("pacgan3", "ring8", [8, 2], ["ok", "failed"])  # one finished seed: no standard error
    )
    by_key = {(c.variant, c.dataset, c.metric.column): c for c in compare(ref, table)}
    agree = by_key["pacgan2", "ring8", "modes"]
    assert agree.n == 5 and agree.mean == pytest.approx(7.8) and agree.se == pytest.approx(0.2)
    assert agree.verdict == AGREES
    assert by_key["pacgan1", "ring8", "modes"].verdict == DIFFERS
    assert by_key["pacgan3", "ring8", "modes"].n == 1 and by_key["pacgan3", "ring8", "modes"].verdict == UNTESTED
    assert by_key["pacgan4", "grid25", "modes"].verdict == MISSING
    nan_kl = pd.DataFrame(_rows("pacgan4", "ring8", [0, 0])).assign(kl_modes=float("nan"))
    kl = next(c for c in compare(ref, nan_kl) if c.variant == "pacgan4" and c.metric.column == "kl_modes")
    assert (kl.n, kl.runs, kl.verdict) == (0, 2, UNDEFINED)
    hq = by_key["pacgan2", "ring8", "hq_fraction"]
    assert hq.mean == pytest.approx(95.0), "fractions are scaled to the paper's percent"


def test_boundary_of_the_verdict():
    ref = parse_reference(
        {"name": "t", "title": "t", "source": "s", "statistic": "mean ± s.e.",
         "metrics": [{"column": "modes", "label": "modes"}],
         "cells": [{"row": "A", "variant": "v", "dataset": "d", "modes": [10.0, 0.0]}]}
    )  # fmt: skip
    # ours: mean 11, se 0.5 -> bound 2·0.5 = 1.0, difference 1.0: agrees; 11.5 ± 0.5 differs.
    inside = pd.DataFrame([{"variant": "v", "dataset": "d", "status": "ok", "modes": m} for m in (10.5, 11.5)])
    assert compare(ref, inside)[0].verdict == AGREES
    outside = pd.DataFrame([{"variant": "v", "dataset": "d", "status": "ok", "modes": m} for m in (11.0, 12.0)])
    assert compare(ref, outside)[0].verdict == DIFFERS


def test_render_text_and_markdown():
    ref = load_reference("pacgan-table1")
    comparisons = compare(ref, pd.DataFrame(_rows("pacgan2", "ring8", [8, 8, 7])))
    text = render_reference(ref, comparisons, "text")
    assert "7.7 ± 0.3 (n=3)" in text and "7.9 ± 0.1" in text and "agrees" in text and "no runs" in text
    md = render_reference(ref, comparisons, "markdown")
    lines = md.splitlines()
    assert lines[2].startswith("| row | variant | dataset | metric | ganbench | paper | difference | verdict |")
    assert sum(line.startswith("| PacGAN2 | pacgan2 | ring8 |") for line in lines) == 3
    assert len([line for line in lines if line.startswith("| ")]) == 1 + 24
    with pytest.raises(ReferenceError, match="valid choices: text, markdown"):
        render_reference(ref, comparisons, "html")


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"colour": 1}, "unknown key 'colour'"),
        ({"metrics": []}, r"at least one \[\[metrics\]\]"),
        ({"cells": [{"row": "A", "variant": "v", "dataset": "d", "fid": [1, 0]}]}, "'fid' is not a metric column"),
        ({"cells": [{"row": "A", "variant": "v", "dataset": "d", "modes": [1]}]}, r"\[value, standard error >= 0\]"),
        ({"cells": [{"row": "A", "variant": "v", "dataset": "d", "modes": [1, -1]}]}, "standard error >= 0"),
        ({"metrics": [{"column": "modes", "label": "m", "scale": 0}]}, "scale must be a non-zero number"),
        ({"title": ""}, "'title' must be a non-empty string"),
    ],
)
def test_invalid_reference_files_fail_in_one_line(patch, message):
    data = {
        "name": "t", "title": "t", "source": "s", "statistic": "x",
        "metrics": [{"column": "modes", "label": "modes"}],
        "cells": [{"row": "A", "variant": "v", "dataset": "d", "modes": [1.0, 0.1]}],
        **patch,
    }  # fmt: skip
    with pytest.raises(ReferenceError, match=message):
        parse_reference(data, source="bad.toml")


def test_unknown_reference_name_lists_choices(tmp_path):
    with pytest.raises(ReferenceError, match=r"valid choices: .*pacgan-table1"):
        load_reference("nope")
    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "m"\ntitle = "t"\nsource = "s"\nstatistic = "x"\n[[metrics]]\ncolumn = "fid"\nlabel = "FID"\n'
        '[[cells]]\nrow = "A"\nvariant = "dcgan"\ndataset = "digits"\nfid = [3.0, 0.5]\n'
    )
    assert load_reference(str(path)).cells[0].values == {"fid": (3.0, 0.5)}
    path.write_text("name = [")
    with pytest.raises(ReferenceError, match="not valid TOML"):
        load_reference(str(path))


def test_ganbench_table_reference_prints_both_columns_and_verdicts(tmp_path, capsys):
    from ganbench.cli import main

    rows = _rows("pacgan2", "ring8", [8, 8, 7]) + _rows("pacgan1", "grid25", [20, 21])
    pd.DataFrame([{**r, "steps": 1500, "batch_size": 100} for r in rows]).to_csv(tmp_path / "results.csv", index=False)
    with pytest.raises(SystemExit) as info:
        main(["table", str(tmp_path), "--reference", "pacgan-table1", "--format", "markdown"])
    out = capsys.readouterr().out
    assert info.value.code in (0, None)
    # 1,500 updates against the paper's 400,000: no agrees/differs, both budgets printed
    assert "| PacGAN2 | pacgan2 | ring8 | modes | 7.7 ± 0.3 (n=3) | 7.9 ± 0.1 | -0.2 | budget differs |" in out
    assert "budget: paper 400,000 updates, batch 200/100, 10 runs" in out and "ganbench 1,500 updates" in out
    assert "agrees" not in out.split("Verdicts:")[1]
    with pytest.raises(SystemExit) as info:
        main(["table", str(tmp_path), "--reference", "pacgan-table1", "--format", "markdown", "--ignore-budget"])
    out = capsys.readouterr().out
    assert "| PacGAN2 | pacgan2 | ring8 | modes | 7.7 ± 0.3 (n=3) | 7.9 ± 0.1 | -0.2 | agrees |" in out
    assert "| GAN | pacgan1 | grid25 | modes | 20.5 ± 0.5 (n=2) | 17.3 ± 0.8 | 3.2 | differs |" in out
    assert "given anyway (--ignore-budget)" in out
    with pytest.raises(SystemExit) as info:
        main(["table", str(tmp_path), "--reference", "pacgan-table1", "--format", "latex"])
    assert info.value.code == 2 and "--reference prints text, markdown" in capsys.readouterr().err


def _results_folder(tmp_path, suite=None):
    import json

    rows = _rows("pacgan2", "ring8", [8, 8, 7]) + _rows("pacgan1", "grid25", [20, 21])
    pd.DataFrame([{**r, "steps": 1500, "batch_size": 100} for r in rows]).to_csv(tmp_path / "results.csv", index=False)
    (tmp_path / "run.json").write_text(json.dumps({"invocations": [{"suite": suite}]}))
    return tmp_path


def test_report_shows_the_tables_the_suite_declares(tmp_path):
    from ganbench.report import write_report

    folder = _results_folder(tmp_path, {"name": "pacgan-2d-cpu", "references": ["pacgan-table1"]})
    md_path, html_path = write_report(folder)
    page, md = html_path.read_text(), md_path.read_text()
    for text in (page, md):
        assert "Published results" in text and "PacGAN" in text
        assert "7.7 ± 0.3 (n=3)" in text and "20.5 ± 0.5 (n=2)" in text and "budget differs" in text
        assert "400,000 updates" in text and "1,500 updates" in text
    assert "<td>7.9 ± 0.1</td>" in page  # the paper's column, escaped like every other table


def test_report_reference_option_and_its_absence(tmp_path, capsys):
    from ganbench.cli import main
    from ganbench.report import write_report

    folder = _results_folder(tmp_path)  # no suite: no published table unless asked
    assert "Published results" not in write_report(folder)[1].read_text()
    with pytest.raises(SystemExit) as info:
        main(["report", str(folder), "--reference", "pacgan-table1"])
    assert info.value.code in (0, None)
    assert "7.7 ± 0.3 (n=3)" in (folder / "report.html").read_text()
    with pytest.raises(SystemExit) as info:
        main(["report", str(folder), "--reference", "nope"])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and len(err) == 1 and "valid choices" in err[0] and "pacgan-table1" in err[0]


def test_a_table_that_cannot_be_compared_is_a_note_not_a_failure(tmp_path):
    from ganbench.report import write_report

    folder = _results_folder(tmp_path, {"references": ["pacgan-table1"]})
    frame = pd.read_csv(folder / "results.csv")
    frame.loc[0, "steps"] = 3000  # two budgets in one cell
    frame.to_csv(folder / "results.csv", index=False)
    page = write_report(folder)[1].read_text()
    assert "pacgan-table1: not compared: pacgan2 on ring8 has rows with steps 1500, 3000" in page


def test_a_suite_naming_an_unknown_table_fails_before_planning(tmp_path, capsys):
    from ganbench.cli import main

    suite = tmp_path / "s.toml"
    suite.write_text('variants = ["dcgan"]\ndatasets = ["ring8"]\nreferences = ["nope"]\n')
    with pytest.raises(SystemExit) as info:
        main(["run", "--config", str(suite), "--steps", "1", "--results-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and len(err) == 1 and "nope" in err[0], err


def test_budget_matches_per_cell_batch_and_is_validated():
    ref = load_reference("pacgan-table1")
    assert ref.budget.updates == 400_000 and ref.budget.batch == 100 and ref.budget.runs == 10
    rows = [{**r, "steps": 400_000, "batch_size": 200} for r in _rows("pacgan2", "ring8", [8, 8, 7])]

    def modes(table, **kw):
        return next(c for c in compare(ref, table, **kw) if c.variant == "pacgan2" and c.metric.column == "modes")

    assert modes(pd.DataFrame(rows)).verdict == "agrees"  # 100 packs of 2 = ganbench batch_size 200
    rows = [{**r, "batch_size": 100} for r in rows]
    assert modes(pd.DataFrame(rows)).verdict == "budget differs"
    assert modes(pd.DataFrame(rows), ignore_budget=True).verdict == "agrees"
    data = {
        "name": "t", "title": "t", "source": "s", "statistic": "mean ± s.e.", "budget": {"updates": 0},
        "metrics": [{"column": "modes", "label": "modes"}],
        "cells": [{"row": "A", "variant": "v", "dataset": "d", "modes": [10.0, 0.0]}],
    }  # fmt: skip
    with pytest.raises(ReferenceError, match=r"budget\.updates must be a positive integer"):
        parse_reference(data)


def test_text_fits_the_terminal_width(tmp_path, capsys, monkeypatch):
    from ganbench.cli import main

    rows = _rows("pacgan2", "ring8", [8, 8, 7])
    pd.DataFrame([{**r, "steps": 1500, "batch_size": 200} for r in rows]).to_csv(tmp_path / "results.csv", index=False)
    for width in (60, 100):
        monkeypatch.setenv("COLUMNS", str(width))
        with pytest.raises(SystemExit):
            main(["table", str(tmp_path), "--reference", "pacgan-table1"])
        lines = capsys.readouterr().out.splitlines()
        assert max(map(len, lines)) <= width
        rows_shown = [line for line in lines if line.startswith("PacGAN2  pacgan2")]
        assert len(rows_shown) >= 3 and sum("budget differs" in line for line in rows_shown) == 3  # none dropped
        assert any("ganbench 1,500 updates, batch 200, 3 runs" in line for line in lines) or width < 100

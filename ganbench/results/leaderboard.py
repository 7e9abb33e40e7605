"""The leaderboard behind ``ganbench table``: variants per dataset, mean with a confidence interval,
and p-values against a baseline variant, Holm-corrected across the metrics shown.

Statistics (also in docs/metrics.md, "Comparing variants"):

* Interval: Student t, ``mean ± t_{(1+ci)/2, n-1} · s / √n`` over the seeds, clipped to the metric's
  valid range. With 3-10 seeds this is the usual choice; a percentile bootstrap is too narrow at such n
  (it cannot reach beyond the observed seeds). One seed: the cell says ``n=1`` and shows no interval.
* Tests against ``--baseline``: ``welch`` (``scipy.stats.ttest_ind(equal_var=False)``), ``mannwhitney``
  (two-sided ``mannwhitneyu``), ``paired`` (``ttest_rel`` on the seeds both variants have). Each needs
  at least 2 values a side (pairs for ``paired``); otherwise there is no p-value.
* Holm's step-down correction within one variant's comparison, across the metrics shown.
* Every seed counts: ``n`` is the number of seeds with a value, shown against the variant's seeds
  (``n=2 of 3``); such a variant is marked incomplete and ranked after the complete ones.
* Rows of one dataset must share the protocol (:func:`ganbench.columns.comparison_protocol`), else
  :class:`ProtocolMismatch` (exit 2) unless ``allow_protocol_change``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ganbench import columns
from ganbench.errors import UserError
from ganbench.results.aggregate import metric_columns, status_summary
from ganbench.results.compare import protocol_text

TESTS = ("welch", "mannwhitney", "paired")
FORMATS = ("text", "markdown", "latex", "csv", "json")
ALPHA = 0.05
INCOMPLETE_MARK = "†"
Test = Literal["welch", "mannwhitney", "paired"]


class ProtocolMismatch(UserError):
    """Rows that are to be ranked together were measured differently."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass
class LeaderCell:
    metric: str
    n: int
    """Seeds with a value."""
    total: int
    """Seeds of the variant (failed and diverged ones included)."""
    mean: float = math.nan
    low: float = math.nan
    high: float = math.nan
    p: float = math.nan
    p_holm: float = math.nan
    best: bool = False

    @property
    def significant(self) -> bool:
        return not math.isnan(self.p_holm) and self.p_holm < ALPHA


@dataclass
class LeaderRow:
    variant: str
    n_seeds: int
    status: str
    steps: str
    batch_size: str
    cells: dict[str, LeaderCell]
    incomplete: list[str] = field(default_factory=list)
    is_baseline: bool = False


@dataclass
class DatasetBlock:
    dataset: str
    kind: str
    metrics: list[str]
    rows: list[LeaderRow]
    protocol: dict[str, str]


@dataclass
class Leaderboard:
    blocks: list[DatasetBlock]
    ci: float
    test: str
    baseline: str | None
    notes: list[str] = field(default_factory=list)


# -- statistics -------------------------------------------------------------------------------------------


def t_interval(values: Sequence[float], ci: float) -> tuple[float, float]:
    """Student-t confidence interval of the mean; NaN bounds with fewer than 2 values."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return math.nan, math.nan
    mean, sem = float(x.mean()), float(x.std(ddof=1)) / math.sqrt(len(x))
    half = float(stats.t.ppf((1 + ci) / 2, len(x) - 1)) * sem
    return mean - half, mean + half


def p_value(a: Sequence[float], b: Sequence[float], test: Test) -> float:
    """Two-sided p-value of ``a`` against ``b`` (for ``paired``, equal-length pairs); NaN if undefined."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) < 2 or len(y) < 2:
        return math.nan
    with warnings.catch_warnings():  # scipy warns on (nearly) constant samples; the p-value is still defined
        warnings.simplefilter("ignore", RuntimeWarning)
        return _p_value(x, y, test)


def _p_value(x: np.ndarray, y: np.ndarray, test: Test) -> float:
    if test == "welch":
        p = stats.ttest_ind(x, y, equal_var=False).pvalue
    elif test == "mannwhitney":
        p = stats.mannwhitneyu(x, y, alternative="two-sided").pvalue
    elif test == "paired":
        if len(x) != len(y):
            raise ValueError("paired test needs equally many values on both sides")
        if np.allclose(x - y, 0.0, rtol=0, atol=0):
            return 1.0  # identical pairs: no evidence of a difference (scipy returns NaN)
        p = stats.ttest_rel(x, y).pvalue
    else:
        raise ValueError(f"unknown test {test!r}; valid: {', '.join(TESTS)}")
    p = float(p)
    if math.isnan(p) and test == "welch" and np.ptp(x) == 0 and np.ptp(y) == 0:
        return 1.0 if x[0] == y[0] else 0.0  # both constant: equal means or certainly different
    return p


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm 1979); NaN entries stay NaN and are not counted in m."""
    indexed = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    m = len(indexed)
    out = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


# -- building ---------------------------------------------------------------------------------------------


def _values(group: pd.DataFrame, metric: str) -> pd.Series:
    values = pd.to_numeric(group[metric], errors="coerce") if metric in group else pd.Series(dtype=float)
    keep = values.notna() & np.isfinite(values.astype(float))
    return values[keep].astype(float)


def _by_seed(group: pd.DataFrame, metric: str) -> dict[Any, float]:
    values = _values(group, metric)
    return dict(zip(group.loc[values.index, "seed"], values, strict=True)) if "seed" in group else {}


def _distinct(series: pd.Series) -> str:
    return ", ".join(dict.fromkeys(t for t in (protocol_text(v) for v in series) if t))


def protocol_conflicts(rows: pd.DataFrame, metrics: Iterable[str]) -> dict[str, list[str]]:
    """Protocol columns on which ``rows`` hold more than one value: ``{column: [values]}`` (empty = unknown)."""
    out: dict[str, list[str]] = {}
    for col in columns.comparison_protocol(list(metrics)):
        if col not in rows:
            continue
        values = list(dict.fromkeys(t for t in (protocol_text(v) for v in rows[col]) if t))
        if len(values) > 1:
            out[col] = values
    return out


def _sort_key(row: LeaderRow, order: list[str]) -> tuple[Any, ...]:
    key: list[Any] = [bool(row.incomplete)]
    for m in order:
        mean = row.cells[m].mean
        sign = -1.0 if columns.direction(m) == "higher" else 1.0
        key.append((math.isnan(mean), sign * mean if not math.isnan(mean) else 0.0))
    return (*key, row.variant)


def _block_metrics(block: pd.DataFrame, kind: columns.DataKindKey, metrics: Sequence[str] | None) -> list[str]:
    available = metric_columns(block)
    if metrics:
        return columns.order_metrics(list(dict.fromkeys(metrics)), kind)
    head = [m for m in columns.headline_metrics(kind) if m in available]
    return head or [m for m in available if columns.direction(m) is not None]


def build_leaderboard(
    frame: pd.DataFrame,
    *,
    baseline: str | None = None,
    metrics: Sequence[str] | None = None,
    ci: float = 0.95,
    test: str = "welch",
    allow_protocol_change: bool = False,
) -> Leaderboard:
    """The leaderboard of a results table (one or several folders' rows); see the module docstring."""
    if not 0 < ci < 1:
        raise UserError(f"--ci must lie strictly between 0 and 1 (e.g. 0.95), got {ci}")
    if test not in TESTS:
        raise UserError(f"unknown test {test!r}; valid choices: {', '.join(TESTS)}")
    missing = [c for c in ("variant", "dataset", "seed") if c not in frame.columns]
    if missing:
        raise UserError(f"results table lacks column(s) {', '.join(missing)}")
    if frame.empty:
        raise UserError("the results table has no rows")
    duplicated = frame.duplicated(["variant", "dataset", "seed"], keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise UserError(
            f"(variant, dataset, seed) {first['variant']}/{first['dataset']}/s{first['seed']} appears more than "
            "once; give each results folder once, and folders that do not share cells"
        )
    variants = sorted(frame["variant"].astype(str).unique())
    if baseline is not None and baseline not in variants:
        raise UserError(f"baseline variant {baseline!r} is not in the results; valid: {', '.join(variants)}")
    if metrics:
        known = set(metric_columns(frame))
        unknown = [m for m in metrics if m not in known]
        if unknown:
            raise UserError(f"unknown metric {unknown[0]!r}; metrics with values: {', '.join(sorted(known))}")

    board = Leaderboard([], ci, test, baseline)
    mismatch: list[str] = []
    for dataset, block in frame.groupby(frame["dataset"].astype(str), sort=True):
        kind = columns.data_kind_of(block.iloc[0].to_dict())
        shown = _block_metrics(block, kind, metrics)
        conflicts = protocol_conflicts(block, shown)
        for col, values in conflicts.items():
            mismatch.append(f"protocol differs in {col} on {dataset}: {', '.join(values)}")
        if conflicts and allow_protocol_change:
            board.notes.append(f"{dataset}: rows were measured differently ({', '.join(conflicts)})")
        protocol = {c: _distinct(block[c]) for c in columns.comparison_protocol(shown) if c in block}
        board.blocks.append(_block(str(dataset), kind, shown, block, baseline, ci, test, protocol))
    if mismatch and not allow_protocol_change:
        raise ProtocolMismatch(mismatch)
    return board


def _block(
    dataset: str,
    kind: str,
    shown: list[str],
    block: pd.DataFrame,
    baseline: str | None,
    ci: float,
    test: Test,
    protocol: dict[str, str],
) -> DatasetBlock:
    groups = {str(v): g for v, g in block.groupby(block["variant"].astype(str), sort=True)}
    applicable = [m for m in shown if len(_values(block, m))]
    base = groups.get(baseline) if baseline is not None else None
    totals = pd.to_numeric(block["modes_total"], errors="coerce").dropna().unique() if "modes_total" in block else []
    modes_total = float(totals[0]) if len(totals) == 1 else None  # bounds modes (<= K) and kl_modes (<= log K)
    rows: list[LeaderRow] = []
    for variant, group in groups.items():
        total = int(group["seed"].nunique())
        cells: dict[str, LeaderCell] = {}
        for m in shown:
            values = _values(group, m)
            cell = LeaderCell(m, len(values), total)
            if len(values):
                cell.mean = float(values.mean())
                low, high = t_interval(values.tolist(), ci)
                cell.low, cell.high = columns.clip(m, low, modes_total), columns.clip(m, high, modes_total)
            if base is not None and variant != baseline:
                cell.p = _test(group, base, m, test)
            cells[m] = cell
        for m, adjusted in zip(shown, holm([cells[m].p for m in shown]), strict=True):
            cells[m].p_holm = adjusted
        rows.append(
            LeaderRow(
                variant=variant,
                n_seeds=total,
                status=status_summary(group["status"]) if "status" in group else "",
                steps=_distinct(group["steps"]) if "steps" in group else "",
                batch_size=_distinct(group["batch_size"]) if "batch_size" in group else "",
                cells=cells,
                incomplete=[m for m in applicable if cells[m].n < total],
                is_baseline=variant == baseline,
            )
        )
    order = [m for m in columns.headline_metrics(kind) if m in shown] or shown[:1]  # type: ignore[arg-type]
    rows.sort(key=lambda r: _sort_key(r, order))
    _mark_best(rows, shown)
    return DatasetBlock(dataset, kind, shown, rows, protocol)


def _test(group: pd.DataFrame, base: pd.DataFrame, metric: str, test: Test) -> float:
    if test == "paired":
        a, b = _by_seed(group, metric), _by_seed(base, metric)
        seeds = sorted(set(a) & set(b))
        return p_value([a[s] for s in seeds], [b[s] for s in seeds], "paired")
    return p_value(_values(group, metric).tolist(), _values(base, metric).tolist(), test)


def _mark_best(rows: list[LeaderRow], shown: list[str]) -> None:
    """Best mean per column, among complete variants when there are any (ties all bold)."""
    eligible = [r for r in rows if not r.incomplete] or rows
    for m in shown:
        direction = columns.direction(m)
        means = [r.cells[m].mean for r in eligible if not math.isnan(r.cells[m].mean)]
        if direction is None or not means:
            continue
        best = max(means) if direction == "higher" else min(means)
        for r in eligible:
            r.cells[m].best = r.cells[m].mean == best


# -- rendering --------------------------------------------------------------------------------------------


def format_p(p: float) -> str:
    if math.isnan(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def cell_parts(cell: LeaderCell) -> tuple[str, str, str]:
    """(value, interval, annotation) texts of a cell, e.g. ``("0.912", "[0.880, 0.944]", "n=3 p=0.012*")``."""
    fmt = columns.column(cell.metric)
    show = fmt.format if fmt else (lambda v: columns.format_metric(cell.metric, v))
    if cell.n == 0:
        return "—", "", f"n=0 of {cell.total}" if cell.total else ""
    interval = "" if cell.n < 2 or math.isnan(cell.low) else f"[{show(cell.low)}, {show(cell.high)}]"
    n = f"n={cell.n}" + (f" of {cell.total}" if cell.n < cell.total else "")
    p = "" if math.isnan(cell.p_holm) else f" p={format_p(cell.p_holm)}" + ("*" if cell.significant else "")
    return show(cell.mean), interval, n + p


def cell_text(cell: LeaderCell) -> str:
    return " ".join(part for part in cell_parts(cell) if part)


def _header(metric: str) -> str:
    arrow = {"lower": " ↓", "higher": " ↑"}.get(columns.direction(metric) or "", "")
    return metric + arrow


def _variant_label(row: LeaderRow) -> str:
    return row.variant + (" (baseline)" if row.is_baseline else "") + (f" {INCOMPLETE_MARK}" if row.incomplete else "")


def _protocol_line(block: DatasetBlock) -> str:
    return ", ".join(f"{k} {v}" for k, v in block.protocol.items() if v)


def legend(board: Leaderboard) -> list[str]:
    lines = [
        f"mean [{board.ci:.0%} Student-t interval] over n seeds; best mean per column (among complete variants) "
        "in bold in Markdown and LaTeX",
    ]
    if board.baseline is not None:
        lines.append(
            f"p: {board.test} test against {board.baseline}, Holm-corrected across the metrics shown; * p < {ALPHA}"
        )
    incomplete = [(b.dataset, r) for b in board.blocks for r in b.rows if r.incomplete]
    for dataset, row in incomplete:
        lines.append(
            f"{INCOMPLETE_MARK} {row.variant} on {dataset} is incomplete ({row.status}): "
            f"{', '.join(row.incomplete)} missing for some seeds; ranked after the complete variants"
        )
    lines.extend(board.notes)
    return lines


def _grid(block: DatasetBlock) -> tuple[list[str], list[list[str]]]:
    header = ["variant", "seeds", "steps", "batch_size", *(_header(m) for m in block.metrics)]
    body = [
        [_variant_label(r), str(r.n_seeds), r.steps, r.batch_size, *(cell_text(r.cells[m]) for m in block.metrics)]
        for r in block.rows
    ]
    return header, body


def render_text(board: Leaderboard) -> str:
    out: list[str] = []
    for block in board.blocks:
        header, body = _grid(block)
        widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(header)]
        out.append(f"{block.dataset} ({_protocol_line(block)})")
        out.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
        out.append("  ".join("-" * w for w in widths))
        out.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body)
        out.append("")
    out.extend(legend(board))
    return "\n".join(out) + "\n"


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|*_`[]<>#"})


def md_escape(text: str) -> str:
    """Text safe inside a GitHub Markdown table cell (pipes, emphasis, links and HTML escaped)."""
    return text.translate(_MD_SPECIAL)


def render_markdown(board: Leaderboard) -> str:
    out: list[str] = []
    for block in board.blocks:
        header = ["variant", "seeds", "steps", "batch_size", *(_header(m) for m in block.metrics)]
        out.append(f"### {md_escape(block.dataset)}")
        out.append("")
        out.append(f"Protocol: {md_escape(_protocol_line(block))}")
        out.append("")
        out.append("| " + " | ".join(md_escape(h) for h in header) + " |")
        out.append("|" + "|".join([":---", "---:", "---:", "---:", *(["---:"] * len(block.metrics))]) + "|")
        for r in block.rows:
            cells = [md_escape(_variant_label(r)), str(r.n_seeds), md_escape(r.steps), md_escape(r.batch_size)]
            for m in block.metrics:
                value, interval, note = cell_parts(r.cells[m])
                value = md_escape(value)
                if r.cells[m].best:
                    value = f"**{value}**"
                cells.append(" ".join(p for p in (value, md_escape(interval), md_escape(note)) if p))
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    out.extend(md_escape(line) + "  " for line in legend(board))
    return "\n".join(out).rstrip() + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "↓": r"$\downarrow$", "↑": r"$\uparrow$", "—": "---", "†": r"$^\dagger$",
}  # fmt: skip


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def render_latex(board: Leaderboard) -> str:
    """One booktabs ``tabular`` per dataset (needs ``\\usepackage{booktabs}``), best values in bold."""
    out: list[str] = []
    for block in board.blocks:
        header = ["variant", "seeds", "steps", "batch", *(_header(m) for m in block.metrics)]
        out.append(f"% {latex_escape(block.dataset)}: {latex_escape(_protocol_line(block))}")
        out.append(r"\begin{tabular}{l" + "r" * (len(header) - 1) + "}")
        out.append(r"\toprule")
        out.append(" & ".join(latex_escape(h) for h in header) + r" \\")
        out.append(r"\midrule")
        for r in block.rows:
            cells = [latex_escape(_variant_label(r)), str(r.n_seeds), latex_escape(r.steps), latex_escape(r.batch_size)]
            for m in block.metrics:
                value, interval, note = cell_parts(r.cells[m])
                value = latex_escape(value)
                if r.cells[m].best:
                    value = rf"\textbf{{{value}}}"
                cells.append(" ".join(p for p in (value, latex_escape(interval), latex_escape(note)) if p))
            out.append(" & ".join(cells) + r" \\")
        out.append(r"\bottomrule")
        out.append(r"\end{tabular}")
        out.append("")
    out.extend(f"% {latex_escape(line)}" for line in legend(board))
    return "\n".join(out) + "\n"


def records(board: Leaderboard) -> list[dict[str, Any]]:
    """One record per (dataset, variant, metric): the numbers behind every cell."""
    out = []
    for block in board.blocks:
        for r in block.rows:
            for m in block.metrics:
                c = r.cells[m]
                out.append(
                    {
                        "dataset": block.dataset, "variant": r.variant, "metric": m, "n": c.n, "n_seeds": c.total,
                        "mean": c.mean, "ci_low": c.low, "ci_high": c.high, "ci": board.ci, "test": board.test,
                        "baseline": board.baseline, "p": c.p, "p_holm": c.p_holm, "significant": c.significant,
                        "best": c.best, "incomplete": bool(r.incomplete), "status": r.status, "steps": r.steps,
                        "batch_size": r.batch_size,
                    }
                )  # fmt: skip
    return out


def render_csv(board: Leaderboard) -> str:
    rows = records(board)
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: "" if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()} for r in rows)
    return buffer.getvalue()


def _json_safe(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def render_json(board: Leaderboard) -> str:
    doc = {
        "ci": board.ci,
        "interval": "student-t",
        "test": board.test,
        "correction": "holm",
        "baseline": board.baseline,
        "blocks": [
            {
                "dataset": b.dataset,
                "kind": b.kind,
                "metrics": b.metrics,
                "protocol": b.protocol,
                "incomplete": {r.variant: r.incomplete for r in b.rows if r.incomplete},
            }
            for b in board.blocks
        ],
        "cells": [{k: _json_safe(v) for k, v in r.items()} for r in records(board)],
        "notes": board.notes,
    }
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def leaderboard_html(board: Leaderboard) -> str:
    """An HTML fragment (one ``<table class="leaderboard">`` per dataset), every string escaped,
    the best value per column in ``<strong class="best">``; for the report."""
    esc = html.escape
    out: list[str] = []
    for block in board.blocks:
        out.append(f"<h3>{esc(block.dataset)}</h3>")
        out.append(f"<p class='protocol'>{esc(_protocol_line(block))}</p>")
        out.append("<table class='leaderboard'>")
        header = ["variant", "seeds", "steps", "batch_size", *(_header(m) for m in block.metrics)]
        out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead><tbody>")
        for r in block.rows:
            klass = " class='incomplete'" if r.incomplete else ""
            cells = [esc(_variant_label(r)), str(r.n_seeds), esc(r.steps), esc(r.batch_size)]
            for m in block.metrics:
                value, interval, note = (esc(p) for p in cell_parts(r.cells[m]))
                if r.cells[m].best:
                    value = f"<strong class='best'>{value}</strong>"
                cells.append(" ".join(p for p in (value, interval, note) if p))
            out.append(f"<tr{klass}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        out.append("</tbody></table>")
    if board.blocks:
        out.append("<ul class='leaderboard-legend'>" + "".join(f"<li>{esc(x)}</li>" for x in legend(board)) + "</ul>")
    return "\n".join(out)


RENDERERS = {
    "text": render_text,
    "markdown": render_markdown,
    "latex": render_latex,
    "csv": render_csv,
    "json": render_json,
}


def render(board: Leaderboard, fmt: str) -> str:
    if fmt not in RENDERERS:
        raise UserError(f"unknown format {fmt!r}; valid choices: {', '.join(FORMATS)}")
    return RENDERERS[fmt](board)

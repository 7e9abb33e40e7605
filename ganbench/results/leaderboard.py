"""The leaderboard behind ``ganbench table``: variants per dataset, mean with an interval, exact tests
against a baseline variant with effect sizes, Holm-corrected over every test the table prints.

Statistics (also in docs/metrics.md, "Comparing variants"; the formulas live in
:mod:`ganbench.results.stats`):

* Interval of the mean over seeds (:func:`ganbench.results.stats.mean_interval`): Student t, never
  clipped (marked ``‡`` where it crosses the bound of a metric bounded on one side); for metrics bounded
  on both sides (shares, modes ≤ K, mode KL ≤ log K) the conservative Wilson score interval where t would
  leave the bounds or the seeds tie, so it never leaves them and is never zero-wide. One seed: ``n=1``.
* Tests against ``--baseline`` are permutation tests, exact (every split of the seeds, every sign flip
  for ``paired``) at the sizes GAN comparisons have: ``permutation`` (difference of means), ``welch``
  (Welch's t as the statistic), ``mannwhitney`` (mid-ranks, ties handled exactly), ``paired`` (the
  seeds both variants have). p is never 0; the legend states the smallest attainable p.
* Holm's step-down correction over the whole table: every (dataset, variant, metric) test printed.
* Effect sizes per comparison: difference of means and the probability of improvement P(X > Y)
  (Agarwal et al. 2021), each with a seeded percentile-bootstrap interval; with several datasets, the
  mean P(X > Y) across them with a stratified-bootstrap interval.
* A best mean is bold only when its interval is clear of every other variant's; tied bests are all bold.
* Every seed counts: ``n`` is the number of seeds with a value, shown against the variant's seeds
  (``n=2 of 3``); such a variant is marked incomplete and ranked after the complete ones.
* Context rows (optional, computed by the caller): reference points such as a perfect sampler's scores;
  variants far from them are flagged ``untrained?``.
* Rows of one dataset must share the protocol (:func:`ganbench.columns.comparison_protocol`), else
  :class:`ProtocolMismatch` (exit 2) unless ``allow_protocol_change``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ganbench import columns
from ganbench.errors import UserError
from ganbench.results import stats
from ganbench.results.aggregate import metric_columns, status_summary
from ganbench.results.compare import protocol_text
from ganbench.results.display import metric_header as _header
from ganbench.results.textgrid import fitted, wrapped

TESTS = ("permutation", "welch", "mannwhitney", "paired")
FORMATS = ("text", "markdown", "latex", "csv", "json")
ALPHA = 0.05
INCOMPLETE_MARK = "†"
CROSSED_MARK = "‡"
UNTRAINED_MARK = "untrained?"
UNTRAINED_SHARE = 0.5
"""A variant whose mean share of real-looking samples is below this fraction of the reference row's is flagged."""
UNTRAINED_METRICS = {
    "hq_fraction": "high-quality share",
    "precision": "precision (share of generated images inside the real images' k-NN manifold)",
}
"""The share of generated samples that look real, per kind of data: near a mode (2D mixtures) or inside the real
k-NN manifold (images; Kynkäänniemi et al. 2019), read against the reference row (a perfect sampler or the
real-vs-real floor). The first one a block has a reference for is used."""
Test = Literal["permutation", "welch", "mannwhitney", "paired"]
_STATISTIC: dict[str, stats.exact.Statistic] = {"permutation": "mean", "welch": "welch", "mannwhitney": "rank"}
TEST_DESCRIPTIONS = {
    "permutation": "permutation test of the difference of means",
    "welch": "permutation test of Welch's t",
    "mannwhitney": "permutation test of the mid-rank difference (Mann-Whitney, ties exact)",
    "paired": "paired permutation test (sign flips of the per-seed differences, seeds both have)",
}


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
    interval: str = "none"
    """How the interval was computed: ``t``, ``bootstrap``, ``wilson`` or ``none``."""
    crossed: bool = False
    """The Student-t interval crossed the metric's bound (shown truncated, marked)."""
    tied: bool = False
    """All seeds gave the same value."""
    p: float = math.nan
    p_holm: float = math.nan
    p_min: float = math.nan
    """Smallest p the test could give at these sample sizes."""
    exact: bool = True
    diff: stats.Estimate | None = None
    """Difference of means against the baseline (variant − baseline), with its bootstrap interval."""
    poi: stats.Estimate | None = None
    """Probability that a seed of this variant beats one of the baseline (metric direction aware)."""
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
    untrained: bool = False


@dataclass
class DatasetBlock:
    dataset: str
    kind: str
    metrics: list[str]
    rows: list[LeaderRow]
    protocol: dict[str, str]
    context: dict[str, float] = field(default_factory=dict)
    """Reference points per metric (e.g. a perfect sampler's), shown as a context row."""
    untrained_metric: str = ""
    """The metric the ``untrained?`` flags of this block were read on (empty: none could be)."""


@dataclass
class AggregateCell:
    """Across datasets: the mean probability of improvement of ``variant`` over the baseline on ``metric``."""

    variant: str
    metric: str
    datasets: list[str]
    poi: stats.Estimate


@dataclass
class Leaderboard:
    blocks: list[DatasetBlock]
    ci: float
    test: str
    baseline: str | None
    notes: list[str] = field(default_factory=list)
    family: int = 0
    """Tests in the Holm family (every p-value the table prints)."""
    aggregates: list[AggregateCell] = field(default_factory=list)
    context_label: str = ""


# -- statistics -------------------------------------------------------------------------------------------

t_interval = stats.t_interval
holm = stats.holm


def test_result(a: Sequence[float], b: Sequence[float], test: Test) -> stats.PermutationResult | None:
    """The exact (or, past the enumeration limit, seeded Monte-Carlo) permutation test of ``a`` against
    ``b``; ``None`` with fewer than 2 values a side (pairs for ``paired``)."""
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; valid: {', '.join(TESTS)}")
    if len(a) < 2 or len(b) < 2:
        return None
    if test == "paired":
        return stats.paired_permutation_test(a, b)
    return stats.permutation_test(a, b, _STATISTIC[test])


def p_value(a: Sequence[float], b: Sequence[float], test: Test) -> float:
    """Two-sided p-value of ``a`` against ``b`` (for ``paired``, equal-length pairs); NaN if undefined."""
    result = test_result(a, b, test)
    return math.nan if result is None else result.p


def bounds(metric: str, modes_total: float | None) -> tuple[float | None, float | None]:
    """The valid range of ``metric``; with K modes known, ``modes`` ≤ K and ``kl_modes`` ≤ log K."""
    col = columns.column(metric)
    low, high = (col.low, col.high) if col is not None else (None, None)
    if modes_total is not None and modes_total >= 1:
        cap = {"modes": float(modes_total), "kl_modes": math.log(modes_total)}.get(metric)
        if cap is not None and modes_total > 1:
            high = cap if high is None else min(high, cap)
    return low, high


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


def mixed_settings(rows: pd.DataFrame) -> dict[str, list[str]]:
    """Variants whose rows carry more than one settings fingerprint (:mod:`ganbench.runner.fingerprint`: every
    setting that changes a cell's numbers except its seed): ``{variant: [fingerprints]}``. Seeds of one
    variant averaged together must come from one configuration; rows without a fingerprint are not judged."""
    if "fingerprint" not in rows or "variant" not in rows:
        return {}
    out: dict[str, list[str]] = {}
    for variant, group in rows.groupby(rows["variant"].astype(str), sort=True):
        prints = list(dict.fromkeys(str(v) for v in group["fingerprint"].dropna() if str(v)))
        if len(prints) > 1:
            out[str(variant)] = prints
    return out


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
    test: str = "permutation",
    allow_protocol_change: bool = False,
    context: Mapping[str, Mapping[str, float]] | None = None,
    context_label: str = "",
) -> Leaderboard:
    """The leaderboard of a results table (one or several folders' rows); see the module docstring.

    ``context`` maps a dataset to reference points per metric (shown as a context row labelled
    ``context_label``, e.g. a perfect sampler's high-quality share and KL on the 2D mixtures).
    """
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

    board = Leaderboard([], ci, test, baseline, context_label=context_label)
    mismatch: list[str] = []
    samples: dict[tuple[str, str, str], tuple[list[float], list[float]]] = {}
    for dataset, block in frame.groupby(frame["dataset"].astype(str), sort=True):
        kind = columns.data_kind_of(block.iloc[0].to_dict())
        shown = _block_metrics(block, kind, metrics)
        conflicts = protocol_conflicts(block, shown)
        for col, values in conflicts.items():
            mismatch.append(f"protocol differs in {col} on {dataset}: {', '.join(values)}")
        if conflicts and allow_protocol_change:
            board.notes.append(f"{dataset}: rows were measured differently ({', '.join(conflicts)})")
        for variant, prints in mixed_settings(block).items():
            mismatch.append(
                f"{variant} on {dataset} mixes runs made with different settings (fingerprint {', '.join(prints)}): "
                "one name, other training or evaluation settings (each cell's config.json names them)"
            )
            if allow_protocol_change:
                board.notes.append(f"{dataset}: {variant}'s seeds were made with different settings ({len(prints)})")
        protocol = {c: _distinct(block[c]) for c in columns.comparison_protocol(shown) if c in block}
        points = dict((context or {}).get(str(dataset), {}))
        built = _block(str(dataset), kind, shown, block, baseline, ci, test, protocol, samples)  # type: ignore[arg-type]
        built.context = {m: v for m, v in points.items() if m in shown}
        _flag_untrained(built)
        board.blocks.append(built)
    if mismatch and not allow_protocol_change:
        raise ProtocolMismatch(mismatch)
    _holm_over_table(board)
    board.aggregates = _aggregates(board, samples)
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
    samples: dict[tuple[str, str, str], tuple[list[float], list[float]]],
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
                cell.tied = len(values) > 1 and float(np.ptp(values.to_numpy())) == 0.0
                iv = stats.mean_interval(values.tolist(), ci, *bounds(m, modes_total))
                cell.low, cell.high, cell.interval, cell.crossed = iv.low, iv.high, iv.method, iv.crossed
            if base is not None and variant != baseline:
                _compare(cell, group, base, m, test, ci, samples, (dataset, variant))
            cells[m] = cell
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


def _compare(
    cell: LeaderCell,
    group: pd.DataFrame,
    base: pd.DataFrame,
    metric: str,
    test: Test,
    ci: float,
    samples: dict[tuple[str, str, str], tuple[list[float], list[float]]],
    where: tuple[str, str],
) -> None:
    """Test ``group`` against the baseline on ``metric`` and attach the effect sizes to ``cell``."""
    if test == "paired":
        a, b = _by_seed(group, metric), _by_seed(base, metric)
        seeds = sorted(set(a) & set(b))
        x, y = [a[s] for s in seeds], [b[s] for s in seeds]
    else:
        x, y = _values(group, metric).tolist(), _values(base, metric).tolist()
    result = test_result(x, y, test)
    if result is not None:
        cell.p, cell.p_min, cell.exact = result.p, result.p_min, result.exact
    if x and y:
        better = columns.direction(metric) != "lower"
        cell.diff, cell.poi = stats.effect_sizes(x, y, ci, paired=test == "paired", higher_is_better=better)
        samples[(where[0], where[1], metric)] = (x, y)


def _holm_over_table(board: Leaderboard) -> None:
    """Holm over every test the table prints (all datasets, variants and metrics): one family."""
    cells = [r.cells[m] for b in board.blocks for r in b.rows for m in b.metrics]
    for cell, adjusted in zip(cells, stats.holm([c.p for c in cells]), strict=True):
        cell.p_holm = adjusted
    board.family = stats.family_size([c.p for c in cells])


def _aggregates(
    board: Leaderboard, samples: dict[tuple[str, str, str], tuple[list[float], list[float]]]
) -> list[AggregateCell]:
    """With a baseline and at least two datasets: per (variant, metric) the mean P(X > Y) over the
    datasets both have, with a stratified-bootstrap interval."""
    if board.baseline is None or len(board.blocks) < 2:
        return []
    out = []
    variants = sorted({v for (_, v, _) in samples})
    metrics = list(dict.fromkeys(m for b in board.blocks for m in b.metrics))
    for variant in variants:
        for metric in metrics:
            datasets = [b.dataset for b in board.blocks if (b.dataset, variant, metric) in samples]
            if len(datasets) < 2 or columns.direction(metric) is None:
                continue
            pairs = [samples[(d, variant, metric)] for d in datasets]
            better = columns.direction(metric) != "lower"
            estimate = stats.stratified_probability_of_improvement(pairs, board.ci, higher_is_better=better)
            out.append(AggregateCell(variant, metric, datasets, estimate))
    return out


def _flag_untrained(block: DatasetBlock) -> None:
    """Flag variants whose share of real-looking samples is far below the reference row's (UNTRAINED_METRICS)."""
    for metric in UNTRAINED_METRICS:
        reference = block.context.get(metric)
        if reference is None or math.isnan(reference) or metric not in block.metrics:
            continue
        block.untrained_metric = metric
        for row in block.rows:
            cell = row.cells.get(metric)
            if cell is not None and not math.isnan(cell.mean):
                row.untrained = cell.mean < UNTRAINED_SHARE * reference
        return


def _overlaps(a: LeaderCell, b: LeaderCell) -> bool:
    """Whether two cells' intervals overlap (a cell without an interval overlaps everything)."""
    if math.isnan(a.low) or math.isnan(b.low):
        return True
    return a.low <= b.high and b.low <= a.high


def _mark_best(rows: list[LeaderRow], shown: list[str]) -> None:
    """Bold the best mean per column only where its interval is clear of every other variant's, among
    complete variants when there are any; variants tied on the best mean are all bold (or none)."""
    eligible = [r for r in rows if not r.incomplete] or rows
    for m in shown:
        direction = columns.direction(m)
        present = [r for r in eligible if not math.isnan(r.cells[m].mean)]
        if direction is None or len(present) < 2:
            continue
        means = [r.cells[m].mean for r in present]
        top = max(means) if direction == "higher" else min(means)
        leaders = [r for r in present if r.cells[m].mean == top]
        others = [r for r in present if r.cells[m].mean != top]
        clear = all(not _overlaps(a.cells[m], b.cells[m]) for a in leaders for b in others)
        if others and clear:
            for r in leaders:
                r.cells[m].best = True


# -- rendering --------------------------------------------------------------------------------------------


def format_p(p: float) -> str:
    if math.isnan(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _shower(metric: str) -> Any:
    fmt = columns.column(metric)
    return fmt.format if fmt else (lambda v: columns.format_metric(metric, v))


def cell_parts(cell: LeaderCell) -> tuple[str, str, str]:
    """(value, interval, annotation) texts of a cell, e.g. ``("0.912", "[0.880, 0.944]", "n=3 p=0.012*")``."""
    show = _shower(cell.metric)
    if cell.n == 0:
        return "—", "", f"n=0 of {cell.total}" if cell.total else ""
    interval = ""
    if cell.n >= 2 and not math.isnan(cell.low):
        interval = f"[{show(cell.low)}, {show(cell.high)}]" + (CROSSED_MARK if cell.crossed else "")
    n = f"n={cell.n}" + (f" of {cell.total}" if cell.n < cell.total else "") + (" all equal" if cell.tied else "")
    p = "" if math.isnan(cell.p_holm) else f" p={format_p(cell.p_holm)}" + ("*" if cell.significant else "")
    return show(cell.mean), interval, n + p


def cell_text(cell: LeaderCell) -> str:
    return " ".join(part for part in cell_parts(cell) if part)


def _variant_label(row: LeaderRow) -> str:
    return (
        row.variant
        + (" (baseline)" if row.is_baseline else "")
        + (f" {INCOMPLETE_MARK}" if row.incomplete else "")
        + (f" {UNTRAINED_MARK}" if row.untrained else "")
    )


def _protocol_line(block: DatasetBlock) -> str:
    return ", ".join(f"{k} {v}" for k, v in block.protocol.items() if v)


def _fewest_seeds(board: Leaderboard) -> int | None:
    ns = [r.cells[m].n for b in board.blocks for r in b.rows for m in b.metrics if r.cells[m].n > 0]
    return min(ns) if ns else None


def legend(board: Leaderboard) -> list[str]:
    lines = [
        f"mean [{board.ci:.0%} interval] over n seeds: Student t, never clipped ({CROSSED_MARK}: it crossed the "
        "bound of a metric bounded on one side, shown truncated); for metrics bounded on both sides (shares, modes "
        "<= K, mode KL <= log K) the Wilson score interval where t would leave the bounds or the seeds tie",
        "bold (Markdown, LaTeX, HTML): the best mean per column (complete variants) when its interval is clear of "
        "every other variant's; tied bests are all bold; none when intervals overlap",
    ]
    fewest = _fewest_seeds(board)
    if fewest is not None and fewest < stats.FEW_SEEDS:
        lines.append(
            f"fewer than {stats.FEW_SEEDS} seeds (as few as n={fewest}): intervals are wide or rough and "
            "p-values coarse; read the ranking as provisional"
        )
    if board.baseline is not None:
        p_mins = [r.cells[m].p_min for b in board.blocks for r in b.rows for m in b.metrics]
        p_mins = [p for p in p_mins if not math.isnan(p)]
        floor = f"; smallest attainable p here {min(p_mins):.3g}" if p_mins else ""
        exact = all(r.cells[m].exact for b in board.blocks for r in b.rows for m in b.metrics)
        how = (
            "exact (every arrangement of the seeds)"
            if exact
            else f"exact up to {stats.MAX_EXACT:,} arrangements, else {stats.MONTE_CARLO_RESAMPLES:,} seeded random"
        )
        lines.append(
            f"p: two-sided {TEST_DESCRIPTIONS[board.test]} against {board.baseline}, {how}{floor}; "
            f"Holm-corrected over all {board.family} tests this table prints (every variant x metric x dataset "
            f"against {board.baseline}); * p < {ALPHA}"
        )
        lines.append(
            f"delta: difference of means (variant - {board.baseline}); P(better): probability that a seed of the "
            f"variant beats a seed of {board.baseline} in the metric's direction, ties count 1/2 (Agarwal et al. "
            f"2021); both with {board.ci:.0%} percentile-bootstrap intervals ({stats.RESAMPLES:,} resamples, seed "
            f"{stats.SEED})"
        )
    if board.aggregates:
        lines.append(
            f"across datasets: mean over datasets of P(better), {board.ci:.0%} stratified-bootstrap interval "
            "(seeds resampled within each dataset; Agarwal et al. 2021)"
        )
    if any(b.context for b in board.blocks) and board.context_label:
        lines.append(board.context_label)
        flagged = dict.fromkeys(b.untrained_metric for b in board.blocks if any(r.untrained for r in b.rows))
        if flagged:
            shares = " or ".join(UNTRAINED_METRICS[m] for m in flagged if m)
            lines.append(
                f"{UNTRAINED_MARK}: mean {shares} below {UNTRAINED_SHARE:.0%} of the reference row's; "
                "far from a trained model, compare with care"
            )
    if any(m in columns.SCALE_NOTES for b in board.blocks for m in b.metrics):
        lines.append(columns.SCALE_LEGEND)
    incomplete = [(b.dataset, r) for b in board.blocks for r in b.rows if r.incomplete]
    for dataset, row in incomplete:
        lines.append(
            f"{INCOMPLETE_MARK} {row.variant} on {dataset} is incomplete ({row.status}): "
            f"{', '.join(row.incomplete)} missing for some seeds; ranked after the complete variants"
        )
    lines.extend(board.notes)
    return lines


CONTEXT_ROW = "(reference)"


def _context_cells(block: DatasetBlock) -> list[str] | None:
    if not block.context:
        return None
    texts = [_shower(m)(block.context[m]) if m in block.context else "" for m in block.metrics]
    return [CONTEXT_ROW, "", "", "", *texts]


def _grid(block: DatasetBlock) -> tuple[list[str], list[list[str]]]:
    header = ["variant", "seeds", "steps", "batch_size", *(_header(m) for m in block.metrics)]
    body = [
        [_variant_label(r), str(r.n_seeds), r.steps, r.batch_size, *(cell_text(r.cells[m]) for m in block.metrics)]
        for r in block.rows
    ]
    context = _context_cells(block)
    return header, body + ([context] if context else [])


def _estimate_text(estimate: stats.Estimate | None, show: Any) -> str:
    if estimate is None or math.isnan(estimate.value):
        return ""
    text = show(estimate.value)
    return text + (f" [{show(estimate.low)}, {show(estimate.high)}]" if estimate.has_interval else "")


def _signed(show: Any) -> Any:
    return lambda v: ("+" if v > 0 else "") + show(v)


def comparison_grid(block: DatasetBlock) -> tuple[list[str], list[list[str]]]:
    """Each variant against the baseline per metric: delta [CI], P(better) [CI], p, Holm p (empty without one)."""
    header = ["variant", "metric", "delta", "P(better)", "p", "p (Holm)"]
    body = []
    for r in block.rows:
        for m in block.metrics:
            c = r.cells[m]
            if c.diff is None and math.isnan(c.p):
                continue
            poi = _estimate_text(c.poi, lambda v: f"{v:.2f}")
            p_holm = format_p(c.p_holm) + ("*" if c.significant else "")
            body.append(
                [r.variant, _header(m), _estimate_text(c.diff, _signed(_shower(m))), poi, format_p(c.p), p_holm]
            )
    return header, body


def aggregate_grid(board: Leaderboard) -> tuple[list[str], list[list[str]]]:
    header = ["variant", "metric", "datasets", "mean P(better)"]
    body = [
        [a.variant, _header(a.metric), ", ".join(a.datasets), _estimate_text(a.poi, lambda v: f"{v:.2f}")]
        for a in board.aggregates
    ]
    return header, body


def render_text(board: Leaderboard, width: int | None = None) -> str:
    """Plain aligned text; with ``width`` (the terminal's ``COLUMNS``) every line fits it: wide grids are split
    into stacked parts that repeat the variant column, and the legend is wrapped."""
    out: list[str] = []
    for block in board.blocks:
        out.extend(wrapped([f"{block.dataset} ({_protocol_line(block)})"], width))
        out.extend(fitted(*_grid(block), width, keys=1))
        out.append("")
        header, body = comparison_grid(block)
        if body:
            out.append(f"{block.dataset}: against {board.baseline}")
            out.extend(fitted(header, body, width, keys=2))
            out.append("")
    if board.aggregates:
        out.append(f"across datasets: against {board.baseline}")
        out.extend(fitted(*aggregate_grid(board), width, keys=2))
        out.append("")
    out.extend(wrapped(legend(board), width))
    return "\n".join(out) + "\n"


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|*_`[]<>#"})


def md_escape(text: str) -> str:
    """Text safe inside a GitHub Markdown table cell (pipes, emphasis, links and HTML escaped)."""
    return text.translate(_MD_SPECIAL)


def _md_table(header: list[str], body: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(md_escape(h) for h in header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    return lines + ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in body]


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
        context = _context_cells(block)
        if context:
            out.append("| " + " | ".join(md_escape(c) for c in context) + " |")
        out.append("")
        header, body = comparison_grid(block)
        if body:
            out.append(f"Against {md_escape(str(board.baseline))}:")
            out.append("")
            out.extend(_md_table(header, body))
            out.append("")
    if board.aggregates:
        out.append(f"Across datasets, against {md_escape(str(board.baseline))}:")
        out.append("")
        out.extend(_md_table(*aggregate_grid(board)))
        out.append("")
    out.extend(md_escape(line) + "  " for line in legend(board))
    return "\n".join(out).rstrip() + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "↓": r"$\downarrow$", "↑": r"$\uparrow$", "—": "---", "†": r"$^\dagger$", "‡": r"$^\ddagger$",
    "×": r"$\times$", "³": r"$^3$", "²": r"$^2$", "≤": r"$\leq$", "≥": r"$\geq$", "−": "-",
}  # fmt: skip


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def _latex_table(header: list[str], body: list[list[str]]) -> list[str]:
    lines = [r"\begin{tabular}{ll" + "r" * (len(header) - 2) + "}", r"\toprule"]
    lines.append(" & ".join(latex_escape(h) for h in header) + r" \\")
    lines.append(r"\midrule")
    lines.extend(" & ".join(latex_escape(c) for c in row) + r" \\" for row in body)
    return [*lines, r"\bottomrule", r"\end{tabular}", ""]


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
        context = _context_cells(block)
        if context:
            out.append(r"\midrule")
            out.append(" & ".join(latex_escape(c) for c in context) + r" \\")
        out.append(r"\bottomrule")
        out.append(r"\end{tabular}")
        out.append("")
        header, body = comparison_grid(block)
        if body:
            out.append(f"% {latex_escape(block.dataset)}: against {latex_escape(str(board.baseline))}")
            out.extend(_latex_table(header, body))
    if board.aggregates:
        out.append(f"% across datasets: against {latex_escape(str(board.baseline))}")
        out.extend(_latex_table(*aggregate_grid(board)))
    out.extend(f"% {latex_escape(line)}" for line in legend(board))
    return "\n".join(out) + "\n"


def _part(estimate: stats.Estimate | None, name: str) -> float:
    return math.nan if estimate is None else float(getattr(estimate, name))


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
                        "batch_size": r.batch_size, "interval": c.interval, "crossed_bound": c.crossed,
                        "tied": c.tied, "p_min": c.p_min, "exact": c.exact if not math.isnan(c.p) else None,
                        "family": board.family,
                        "diff": _part(c.diff, "value"), "diff_low": _part(c.diff, "low"),
                        "diff_high": _part(c.diff, "high"), "p_better": _part(c.poi, "value"),
                        "p_better_low": _part(c.poi, "low"), "p_better_high": _part(c.poi, "high"),
                        "untrained": r.untrained, "reference": block.context.get(m, math.nan),
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
        "interval": "per cell: student-t or wilson (each cell's 'interval')",
        "test": board.test,
        "test_description": TEST_DESCRIPTIONS[board.test],
        "correction": "holm",
        "family": board.family,
        "resamples": stats.RESAMPLES,
        "bootstrap_seed": stats.SEED,
        "aggregates": [
            {
                "variant": a.variant,
                "metric": a.metric,
                "datasets": a.datasets,
                "mean_p_better": _json_safe(a.poi.value),
                "low": _json_safe(a.poi.low),
                "high": _json_safe(a.poi.high),
            }
            for a in board.aggregates
        ],
        "legend": legend(board),
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


def _html_table(header: list[str], body: list[list[str]]) -> str:
    esc = html.escape
    head = "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead>"
    rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in body)
    return f"<table class='leaderboard'>{head}<tbody>{rows}</tbody></table>"


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
        context = _context_cells(block)
        if context:
            out.append("<tr class='context'>" + "".join(f"<td>{esc(c)}</td>" for c in context) + "</tr>")
        out.append("</tbody></table>")
        header, body = comparison_grid(block)
        if body:
            out.append(f"<p class='protocol'>against {esc(str(board.baseline))}</p>")
            out.append(_html_table(header, body))
    if board.aggregates:
        out.append(f"<p class='protocol'>across datasets, against {esc(str(board.baseline))}</p>")
        out.append(_html_table(*aggregate_grid(board)))
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


def render(board: Leaderboard, fmt: str, width: int | None = None) -> str:
    """``board`` in format ``fmt``; ``width`` limits the text format's lines (the others are for files)."""
    if fmt not in RENDERERS:
        raise UserError(f"unknown format {fmt!r}; valid choices: {', '.join(FORMATS)}")
    if fmt == "text":
        return render_text(board, width)
    return RENDERERS[fmt](board)

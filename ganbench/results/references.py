"""Published result tables as data, and ganbench's numbers beside them.

A reference file (TOML, parsed as data and validated here) holds a paper's
table: its source, the protocol, which ganbench results column each metric
is (with a scale to the paper's units) and, per cell (a row of the paper on
one dataset), the ganbench variant/dataset it corresponds to and the published
``[value, standard error]``. :func:`compare` computes ganbench's mean and
standard error over seeds for each cell and a verdict: *agrees* when
``|ours − paper| ≤ 2·sqrt(se_ours² + se_paper²)`` (two combined standard
errors), *differs* otherwise. A verdict compares like with like only if our runs had the paper's
training budget (``[budget]``: generator updates, batch size, runs): where our rows record a different
budget the verdict is *budget differs* and the table prints both budgets, unless the user asks for
agrees/differs anyway (``ignore_budget``). Shipped references live in
``ganbench/references/*.toml``; any file path works too.
"""

from __future__ import annotations

import html
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ganbench.errors import UserError
from ganbench.results.textgrid import fitted, wrapped

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "references"
COMBINED_SE_FACTOR = 2.0
"""A cell agrees when the difference is within this many combined standard errors."""
REFERENCE_FORMATS = ("text", "markdown")
DISPLAY_COLUMNS = ["row", "variant", "dataset", "metric", "ganbench", "paper", "difference", "verdict"]
AGREES, DIFFERS, UNTESTED, MISSING = "agrees", "differs", "n/a (1 seed)", "no runs"
BUDGET_DIFFERS = "budget differs"
UNDEFINED = "n/a (no value)"
"""Finished rows whose metric is NaN, e.g. the mode KL of a run with no high-quality sample."""


class ReferenceError(UserError):
    """A reference table that cannot be found, read or validated."""


@dataclass(frozen=True)
class ReferenceMetric:
    column: str
    """The ganbench results column."""
    label: str
    scale: float = 1.0
    """Paper value = ganbench value × scale (e.g. 100 for a fraction reported in %)."""


@dataclass(frozen=True)
class ReferenceCell:
    row: str
    """The paper's row label (e.g. ``PacGAN2``)."""
    variant: str
    dataset: str
    values: Mapping[str, tuple[float, float]]
    """Metric column -> (published value, published standard error), in the paper's units."""
    batch: int | None = None
    """The paper's minibatch as ganbench's ``batch_size`` of this cell (e.g. 100 packs of 2 = 200 samples);
    ``None``: the reference's ``budget.batch``."""


@dataclass(frozen=True)
class Budget:
    """The training budget behind a published table (any part may be unknown)."""

    updates: int | None = None
    """Generator updates per run."""
    batch: int | None = None
    """Samples (packs, for PacGAN) per minibatch."""
    runs: int | None = None
    note: str = ""

    def describe(self) -> str:
        parts = [
            f"{self.updates:,} updates" if self.updates else "",
            f"batch {self.batch}" if self.batch else "",
            f"{self.runs} runs" if self.runs else "",
        ]
        return ", ".join(p for p in parts if p) or "unknown"


@dataclass(frozen=True)
class Reference:
    name: str
    title: str
    source: str
    statistic: str
    protocol: str
    metrics: tuple[ReferenceMetric, ...]
    cells: tuple[ReferenceCell, ...]
    url: str = ""
    runs: int | None = None
    budget: Budget = Budget()


@dataclass(frozen=True)
class Comparison:
    """One metric of one cell: ganbench beside the paper."""

    row: str
    variant: str
    dataset: str
    metric: ReferenceMetric
    n: int
    """Seeds that finished (status ok) and have the metric."""
    mean: float
    se: float
    paper: float
    paper_se: float
    runs: int = 0
    """Finished rows for this cell, with or without a value of the metric."""
    budget_differs: bool = False
    """Our rows' steps or batch size are not the paper's (and the user did not ask to ignore it)."""

    @property
    def difference(self) -> float:
        return self.mean - self.paper

    @property
    def verdict(self) -> str:
        if self.n == 0:
            return UNDEFINED if self.runs else MISSING
        if self.n < 2:
            return UNTESTED
        if self.budget_differs:
            return BUDGET_DIFFERS
        bound = COMBINED_SE_FACTOR * math.hypot(self.se, self.paper_se)
        return AGREES if abs(self.difference) <= bound else DIFFERS


def builtin_references() -> dict[str, Path]:
    return {path.stem: path for path in sorted(REFERENCE_DIR.glob("*.toml"))}


def resolve_reference(name_or_path: str) -> Path:
    """A shipped reference by name, or a path to a reference TOML file."""
    shipped = builtin_references()
    if name_or_path in shipped:
        return shipped[name_or_path]
    path = Path(name_or_path).expanduser()
    if path.suffix == ".toml" and path.is_file():
        return path
    raise ReferenceError(
        f"unknown reference {name_or_path!r}; valid choices: {', '.join(shipped) or '(none)'}, or a .toml file path"
    )


def load_reference(name_or_path: str) -> Reference:
    path = resolve_reference(name_or_path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ReferenceError(f"cannot read reference {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ReferenceError(
            f"reference {path} is not UTF-8 text (byte {exc.start}); it must be a UTF-8 TOML file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ReferenceError(f"reference {path} is not valid TOML: {exc}") from None
    return parse_reference(data, source=str(path))


def _text(data: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
    value = data.get(key, "" if not required else None)
    if not isinstance(value, str) or (required and not value.strip()):
        raise ReferenceError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def parse_reference(data: Mapping[str, Any], source: str = "reference") -> Reference:
    """Validate a parsed reference table; every problem is one line naming the file and the bad entry."""
    known = {"name", "title", "source", "url", "code", "statistic", "runs", "protocol", "metrics", "cells", "budget"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ReferenceError(f"{source}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(known))}")
    metrics_raw = data.get("metrics")
    if not isinstance(metrics_raw, list) or not metrics_raw:
        raise ReferenceError(f"{source}: needs at least one [[metrics]] entry (column, label, scale)")
    metrics = []
    for i, entry in enumerate(metrics_raw):
        where = f"{source}: metrics[{i}]"
        if not isinstance(entry, Mapping):
            raise ReferenceError(f"{where} must be a table")
        scale = _number(entry.get("scale", 1.0))
        if scale is None or scale == 0:
            raise ReferenceError(f"{where}: scale must be a non-zero number, got {entry.get('scale')!r}")
        metrics.append(ReferenceMetric(_text(entry, "column", where), _text(entry, "label", where), scale))
    columns = {m.column for m in metrics}
    cells_raw = data.get("cells")
    if not isinstance(cells_raw, list) or not cells_raw:
        raise ReferenceError(f"{source}: needs at least one [[cells]] entry (row, variant, dataset, values)")
    cells, seen = [], set()
    for i, entry in enumerate(cells_raw):
        where = f"{source}: cells[{i}]"
        if not isinstance(entry, Mapping):
            raise ReferenceError(f"{where} must be a table")
        row, variant, dataset = (_text(entry, k, where) for k in ("row", "variant", "dataset"))
        if (variant, dataset) in seen:
            raise ReferenceError(f"{where}: variant {variant!r} on {dataset!r} appears twice")
        seen.add((variant, dataset))
        values: dict[str, tuple[float, float]] = {}
        batch = entry.get("batch")
        if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
            raise ReferenceError(f"{where}: batch must be a positive integer (ganbench batch_size), got {batch!r}")
        for key, value in entry.items():
            if key in ("row", "variant", "dataset", "batch"):
                continue
            if key not in columns:
                raise ReferenceError(f"{where}: {key!r} is not a metric column; valid: {', '.join(sorted(columns))}")
            pair = [_number(v) for v in value] if isinstance(value, list) else []
            if len(pair) != 2 or None in pair or pair[1] < 0:  # type: ignore[operator]
                raise ReferenceError(f"{where}: {key} must be [value, standard error >= 0], got {value!r}")
            values[key] = (pair[0], pair[1])  # type: ignore[assignment]
        if not values:
            raise ReferenceError(f"{where}: no published values")
        cells.append(ReferenceCell(row, variant, dataset, values, batch))
    runs = data.get("runs")
    if runs is not None and (isinstance(runs, bool) or not isinstance(runs, int) or runs < 1):
        raise ReferenceError(f"{source}: runs must be a positive integer, got {runs!r}")
    return Reference(
        budget=_budget(data.get("budget"), source, runs),
        name=_text(data, "name", source),
        title=_text(data, "title", source),
        source=_text(data, "source", source),
        statistic=_text(data, "statistic", source),
        protocol=_text(data, "protocol", source, required=False),
        metrics=tuple(metrics),
        cells=tuple(cells),
        url=_text(data, "url", source, required=False),
        runs=runs,
    )


def _budget(raw: Any, source: str, runs: int | None) -> Budget:
    """The ``[budget]`` table: ``updates``, ``batch`` (positive integers) and an optional ``note``."""
    if raw is None:
        return Budget(runs=runs)
    if not isinstance(raw, Mapping):
        raise ReferenceError(f"{source}: budget must be a table (updates, batch, note)")
    unknown = sorted(set(raw) - {"updates", "batch", "note"})
    if unknown:
        raise ReferenceError(f"{source}: budget: unknown key {unknown[0]!r}; valid keys: batch, note, updates")
    values: dict[str, int | None] = {}
    for key in ("updates", "batch"):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ReferenceError(f"{source}: budget.{key} must be a positive integer, got {value!r}")
        values[key] = value
    return Budget(values["updates"], values["batch"], runs, _text(raw, "note", f"{source}: budget", required=False))


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (sample std with ddof 1 over sqrt(n)); se is NaN for one value."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    mean = sum(values) / n
    if n < 2:
        return mean, math.nan
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(var / n)


def our_budget(rows: pd.DataFrame) -> Budget:
    """The budget our rows record (steps = generator updates, batch_size); ``None`` parts when unknown or mixed."""

    def one(column: str) -> int | None:
        if column not in rows.columns:
            return None
        values = pd.to_numeric(rows[column], errors="coerce").dropna().unique()
        return int(values[0]) if len(values) == 1 else None

    seeds = int(rows["seed"].nunique()) if "seed" in rows.columns else len(rows)
    return Budget(one("steps"), one("batch_size"), seeds or None)


def cell_budget(reference: Reference, cell: ReferenceCell) -> Budget:
    """The paper's budget for one cell, its batch in ganbench's ``batch_size`` units."""
    b = reference.budget
    return Budget(b.updates, cell.batch if cell.batch is not None else b.batch, b.runs, b.note)


def budget_differs(paper: Budget, ours: Budget) -> bool:
    """Whether our training budget is known to differ from the paper's (updates or batch size).

    The number of runs is not part of it: fewer seeds widen our standard error, which the verdict uses."""
    return any(
        p is not None and o is not None and p != o
        for p, o in ((paper.updates, ours.updates), (paper.batch, ours.batch))
    )


def compare(reference: Reference, table: pd.DataFrame, *, ignore_budget: bool = False) -> list[Comparison]:
    """Every (cell, metric) of ``reference`` against the finished rows of a results table; where our rows'
    budget differs from the paper's the verdict is ``budget differs`` unless ``ignore_budget``."""
    ok = table[table["status"] == "ok"] if "status" in table.columns else table
    out = []
    for cell in reference.cells:
        rows = ok[(ok["variant"] == cell.variant) & (ok["dataset"] == cell.dataset)]
        differs = not ignore_budget and budget_differs(cell_budget(reference, cell), our_budget(rows))
        for metric in reference.metrics:
            if metric.column not in cell.values:
                continue
            paper, paper_se = cell.values[metric.column]
            raw = rows[metric.column] if metric.column in rows.columns else pd.Series(dtype=float)
            values = [float(v) * metric.scale for v in pd.to_numeric(raw, errors="coerce").dropna()]
            mean, se = mean_se(values)
            out.append(
                Comparison(
                    cell.row,
                    cell.variant,
                    cell.dataset,
                    metric,
                    len(values),
                    mean,
                    se,
                    paper,
                    paper_se,
                    len(rows),
                    differs,
                )
            )
    return out


def _fmt(value: float, digits: int) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}"


def _digits(paper: float, paper_se: float) -> int:
    """As many decimals as the paper printed (at least one)."""
    texts = [repr(v) for v in (paper, paper_se)]
    return max(1, *(len(t.split(".")[1]) if "." in t else 0 for t in texts))


def comparison_frame(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """One display row per (cell, metric): ganbench mean ± s.e. (n), the paper's, the difference, the verdict."""
    rows = []
    for c in comparisons:
        d = _digits(c.paper, c.paper_se)
        ours = "—" if c.n == 0 else f"{_fmt(c.mean, d)} ± {_fmt(c.se, d)} (n={c.n})"
        if c.runs > c.n:
            ours += f" ({c.runs - c.n} of {c.runs} runs without a value)"
        rows.append(
            {
                "row": c.row,
                "variant": c.variant,
                "dataset": c.dataset,
                "metric": c.metric.label,
                "ganbench": ours,
                "paper": f"{_fmt(c.paper, d)} ± {_fmt(c.paper_se, d)}",
                "difference": _fmt(c.difference, d),
                "verdict": c.verdict,
            }
        )
    return pd.DataFrame(rows, columns=DISPLAY_COLUMNS)


def _md_escape(value: object) -> str:
    text = html.escape(str(value).replace("\n", " "), quote=False)
    for ch in "|`*[]":
        text = text.replace(ch, "\\" + ch)
    return text


def verdict_counts(comparisons: Sequence[Comparison]) -> str:
    counts: dict[str, int] = {}
    for c in comparisons:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    return ", ".join(f"{n} {verdict}" for verdict, n in counts.items())


def agreement_rule(reference: Reference) -> str:
    """The verdict rule and what the paper's ± means, printed under every side-by-side table."""
    bound = f"{COMBINED_SE_FACTOR:g} combined standard errors"
    return f"agrees = |ganbench − paper| ≤ {bound}; paper: {reference.statistic}"


def _summary(budgets: Sequence[Budget]) -> str:
    """Several cells' budgets in one phrase: ``400,000 updates, batch 100/200/300/400, 10 runs``."""

    def values(name: str) -> str:
        seen = list(dict.fromkeys(getattr(b, name) for b in budgets))
        if None in seen:
            return ""
        return "/".join(f"{v:,}" if name == "updates" else str(v) for v in seen)

    parts = [f"{values('updates')} updates", f"batch {values('batch')}", f"{values('runs')} runs"]
    return (
        ", ".join(p for p, name in zip(parts, ("updates", "batch", "runs"), strict=True) if values(name)) or "unknown"
    )


def budget_lines(reference: Reference, table: pd.DataFrame, *, ignore_budget: bool = False) -> list[str]:
    """The paper's training budget beside ours, and what the verdicts do about a difference."""
    paper: list[Budget] = []
    ours: list[Budget] = []
    for cell in reference.cells:
        rows = table[(table["variant"] == cell.variant) & (table["dataset"] == cell.dataset)]
        if len(rows):
            paper.append(cell_budget(reference, cell))
            ours.append(our_budget(rows))
    if not paper:
        return [f"budget: paper {reference.budget.describe()}; ganbench has no rows for these cells"]
    lines = [f"budget: paper {_summary(paper)}; ganbench {_summary(ours)}"]
    if reference.budget.note:
        lines.append(f"paper's budget: {reference.budget.note}")
    if any(budget_differs(p, o) for p, o in zip(paper, ours, strict=True)):
        lines.append(
            "verdicts given anyway (--ignore-budget): a different budget alone can explain a difference"
            if ignore_budget
            else f"'{BUDGET_DIFFERS}': our runs had another training budget, so agreement is not tested "
            "(--ignore-budget tests it anyway)"
        )
    return lines


def render_reference(
    reference: Reference,
    comparisons: Sequence[Comparison],
    fmt: str = "text",
    budget: Sequence[str] = (),
    width: int | None = None,
) -> str:
    """The side-by-side table with its provenance (and the ``budget`` lines), as plain text or Markdown;
    ``width`` (the terminal's) wraps the text: columns that do not fit continue in a block below."""
    frame = comparison_frame(comparisons)
    rule = "\n".join([agreement_rule(reference), *budget])
    if fmt == "markdown":
        header = "| " + " | ".join(frame.columns) + " |"
        lines = [
            f"**{_md_escape(reference.title)}** — ganbench beside {_md_escape(reference.source)}",
            "",
            header,
            "|" + "---|" * len(frame.columns),
            *("| " + " | ".join(_md_escape(v) for v in row) + " |" for row in frame.itertuples(index=False)),
            "",
            "  \n".join(_md_escape(line) for line in rule.splitlines())
            + f"  \nVerdicts: {_md_escape(verdict_counts(comparisons))}.",
        ]
        return "\n".join(lines)
    if fmt != "text":
        raise ReferenceError(f"unknown format {fmt!r}; valid choices: {', '.join(REFERENCE_FORMATS)}")
    rows = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    body = fitted(list(frame.columns), rows, width, keys=2) if rows else ["(no cells)"]
    head = wrapped([reference.title, f"source: {reference.source}"], width)
    tail = wrapped([*rule.splitlines(), f"verdicts: {verdict_counts(comparisons)}"], width)
    return "\n".join([*head, "", *body, "", *tail])


def reference_table(
    frame: pd.DataFrame,
    name_or_path: str,
    fmt: str = "text",
    *,
    allow_protocol_change: bool = False,
    ignore_budget: bool = False,
    width: int | None = None,
) -> str:
    """``ganbench table RESULTS --reference NAME``: a results table's rows beside a published table.

    Seeds of one cell are averaged only if they share steps and batch size (the budget), unless
    ``allow_protocol_change``.
    """
    reference = load_reference(name_or_path)
    if fmt not in REFERENCE_FORMATS:
        raise ReferenceError(f"--reference prints {', '.join(REFERENCE_FORMATS)}; got --format {fmt!r}")
    if not allow_protocol_change:
        check_one_budget(reference, frame)
    budget = budget_lines(reference, frame, ignore_budget=ignore_budget)
    comparisons = compare(reference, frame, ignore_budget=ignore_budget)
    return render_reference(reference, comparisons, fmt, budget, width)


BUDGET_COLUMNS = ("steps", "batch_size")


def check_one_budget(reference: Reference, frame: pd.DataFrame) -> None:
    """Refuse to average a cell's rows trained with different budgets (e.g. two runs merged)."""
    for cell in reference.cells:
        rows = frame[(frame["variant"] == cell.variant) & (frame["dataset"] == cell.dataset)]
        for column in BUDGET_COLUMNS:
            if column in rows.columns and rows[column].nunique(dropna=True) > 1:
                values = ", ".join(str(v) for v in sorted(rows[column].dropna().unique()))
                raise ReferenceError(
                    f"{cell.variant} on {cell.dataset} has rows with {column} {values}; give one run's results "
                    "(or --allow-protocol-change to average them anyway)"
                )


def reference_report(run_dir: Path, name_or_path: str, fmt: str = "text") -> str:
    """The same for one results folder (its ``*/metrics.json`` rows)."""
    from ganbench.results.table import read_rows, rows_to_frame

    rows = read_rows(Path(run_dir))
    if not rows:
        raise ReferenceError(f"no results in {str(run_dir)!r} (no */metrics.json); give a ganbench run folder")
    return reference_table(rows_to_frame(rows), name_or_path, fmt)

"""Regression comparison of two results tables, row by row on (variant, dataset, seed).

Why a separate module: CI runs ``ganbench compare BASELINE CURRENT`` after a
benchmark and needs one clear verdict (exit 0/1) plus a table a human can read.

Threshold semantics (``--max-regress fid=10%,train_img_s=-15%,modes=-1``)
-----------------------------------------------------------------------
* The sign says which direction of change is allowed, and so which direction
  is a regression: ``fid=10%`` means fid may *rise* by at most 10 % (rising is
  bad); ``train_img_s=-15%`` means throughput may *drop* by at most 15 %.
  The user's sign is authoritative, even where it contradicts
  :data:`DIRECTIONS`. A value of ``0``/``0%`` without a sign takes the
  metric's known direction (``+0``/``-0`` pick one explicitly).
* A trailing ``%`` makes the limit relative to the baseline value; without it
  the limit is absolute in the metric's own unit (``modes=-1``: at most one
  mode lost).
* Relative change against a baseline of exactly 0 is 0 when the current
  value is also 0 and infinite otherwise (so any worsening from 0 fails a
  relative threshold; use an absolute one for metrics that sit near 0).

Defaults (:data:`DEFAULT_THRESHOLDS`) apply only when no threshold is given at
all, and only to metrics that are columns of both tables. Thresholds that are
given replace the defaults entirely.

Rows and NaN
------------
* Rows are matched on (variant, dataset, seed); duplicate keys, missing key
  columns or no common rows make the input unusable (:class:`UserError`, exit 2).
* A row whose ``status`` is ok in the baseline and anything else in the
  current table is a regression; its metrics are then not compared. A
  missing ``status`` column counts as "ok".
* A baseline row absent from the current table is a regression unless
  ``allow_missing``; current rows absent from the baseline are listed as new.
* Metric values: NaN in both → "n/a" (not applicable, passes); NaN in the
  baseline only → "new" (passes); a baseline value that became NaN in the
  current table → regression (a metric silently disappeared).

Protocol
--------
Numbers are compared only between rows measured the same way: :func:`check_protocol` lists each
column of :func:`ganbench.columns.comparison_protocol` on which matched rows differ (steps, N,
extractor, ...; ``device_type`` only when a timing is gated). ``ganbench compare`` exits 2 on any
difference unless ``--allow-protocol-change``. A column missing from one table (an older ganbench)
is *unknown*, reported as such, and not a difference.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ganbench import columns
from ganbench.errors import UserError
from ganbench.results.thresholds import DEFAULT_THRESHOLDS

KEY_COLUMNS: tuple[str, str, str] = ("variant", "dataset", "seed")
TABLE_NAMES = ("results.parquet", "results.csv")
"""File names looked for inside a results folder (Parquet first: it keeps dtypes)."""


class _LiveDirections(Mapping[str, Literal["lower", "higher"]]):
    """``{metric: direction}`` read from the catalogue on every use, so plugin columns declared later count."""

    def __getitem__(self, key: str) -> Literal["lower", "higher"]:
        return columns.directions()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(columns.directions())

    def __len__(self) -> int:
        return len(columns.directions())


DIRECTIONS: Mapping[str, Literal["lower", "higher"]] = _LiveDirections()
LOWER_IS_BETTER = frozenset(m for m, d in DIRECTIONS.items() if d == "lower")
HIGHER_IS_BETTER = frozenset(m for m, d in DIRECTIONS.items() if d == "higher")
"""Which way each known metric improves (density: closer to 1 is better, treated as higher)."""


_TOLERANCE = 1e-9
"""Slack for float noise, so ``100 -> 110`` passes ``10%`` exactly."""


class ThresholdError(UserError):
    """A ``--max-regress`` entry or thresholds file that cannot be understood."""


class TableError(UserError):
    """A results table that is missing or cannot be compared."""


RowKey = tuple[str, str, int]


def format_key(key: RowKey) -> str:
    return f"{key[0]}/{key[1]}/s{key[2]}"


@dataclass(frozen=True)
class Threshold:
    """How far one metric may move in its bad direction before it counts as a regression."""

    metric: str
    limit: float
    """Non-negative magnitude: a fraction of the baseline if ``relative``, else in the metric's unit."""
    relative: bool
    worse: Literal["up", "down"]
    """The direction of change that is a regression."""

    def describe(self) -> str:
        sign = "+" if self.worse == "up" else "-"
        if self.relative:
            return f"{sign}{_fmt_number(self.limit * 100)}%"
        return f"{sign}{_fmt_number(self.limit)}"

    def exceeded(self, baseline: float, current: float) -> bool:
        """True when ``current`` moved further than allowed in the bad direction."""
        change = relative_change(baseline, current) if self.relative else current - baseline
        bad = change if self.worse == "up" else -change
        return bad > self.limit + _TOLERANCE


def relative_change(baseline: float, current: float) -> float:
    """(current - baseline) / |baseline|; 0 → 0 is 0 and 0 → anything else is ±inf."""
    if baseline == 0:
        if current == 0:
            return 0.0
        return math.copysign(math.inf, current)
    return (current - baseline) / abs(baseline)


def parse_threshold(metric: str, value: str | float | int) -> Threshold:
    """Parse one threshold value (``"10%"``, ``"-15%"``, ``"-1"``, ``-1``) for ``metric``."""
    metric = metric.strip()
    if not metric or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", metric):
        raise ThresholdError(f"bad metric name {metric!r} in threshold; expected e.g. fid=10% or modes=-1")
    if isinstance(value, bool):
        raise ThresholdError(f"bad threshold for {metric}: {value!r}; expected a number like 10%, -15% or -1")
    text = str(value).strip() if not isinstance(value, (int, float)) else repr(float(value))
    relative = text.endswith("%")
    number_text = text[:-1].strip() if relative else text
    try:
        number = float(number_text)
    except ValueError:
        raise ThresholdError(f"bad threshold for {metric}: {text!r}; expected a number like 10%, -15% or -1") from None
    if not math.isfinite(number):
        raise ThresholdError(f"bad threshold for {metric}: {text!r}; the limit must be a finite number")
    if number != 0 or number_text.startswith(("+", "-")):
        worse: Literal["up", "down"] = "down" if number_text.startswith("-") else "up"
    else:
        direction = columns.direction(metric)  # read now: plugin columns are declared when plugins load
        if direction is None:
            raise ThresholdError(
                f"threshold {metric}={text} has no sign and {metric!r} has no known direction; write +0 or -0"
            )
        worse = "up" if direction == "lower" else "down"
    limit = abs(number) / 100 if relative else abs(number)
    return Threshold(metric=metric, limit=limit, relative=relative, worse=worse)


def parse_thresholds(specs: str | Iterable[str] | None) -> dict[str, Threshold]:
    """Parse ``--max-regress`` values: each a comma-separated list of ``metric=limit``."""
    if specs is None:
        return {}
    if isinstance(specs, str):
        specs = [specs]
    out: dict[str, Threshold] = {}
    for spec in specs:
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            if "=" not in item:
                raise ThresholdError(f"bad threshold {item!r}; expected metric=limit, e.g. fid=10% or modes=-1")
            metric, _, value = item.partition("=")
            threshold = parse_threshold(metric, value)
            if threshold.metric in out:
                raise ThresholdError(f"threshold for {threshold.metric!r} given twice")
            out[threshold.metric] = threshold
    return out


def load_thresholds_file(path: str | Path) -> dict[str, Threshold]:
    """Read a TOML file with a ``[max_regress]`` table (``fid = "10%"``, ``modes = -1``)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise ThresholdError("reading a thresholds file needs Python >= 3.11 or the 'tomli' package") from None
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ThresholdError(f"thresholds file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ThresholdError(f"cannot read thresholds file {str(path)!r}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdError(f"thresholds file {str(path)!r} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"max_regress"})
    if unknown:
        raise ThresholdError(f"unknown key(s) {', '.join(unknown)} in {str(path)!r}; valid: max_regress")
    table = data.get("max_regress")
    if not isinstance(table, dict):
        raise ThresholdError(f'{str(path)!r} needs a [max_regress] table, e.g. fid = "10%"')
    out: dict[str, Threshold] = {}
    for metric, value in table.items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ThresholdError(f'bad threshold for {metric} in {str(path)!r}: {value!r}; expected e.g. "10%" or -1')
        out[metric] = parse_threshold(metric, value)
    return out


SWEEP_FILE = "sweep.json"
SWEEP_BEST_DIR = "best"
"""A ``ganbench sweep`` folder is recognised by its ``sweep.json``; ``best/`` holds its comparable rows."""


def is_sweep_folder(path: str | Path) -> bool:
    return (Path(path) / SWEEP_FILE).is_file()


def load_table(path: str | Path) -> pd.DataFrame:
    """Read a results table: a ``.csv``/``.parquet`` file, or a results folder holding one (for a
    ``ganbench sweep`` folder, the table of its best settings re-run on fresh seeds)."""
    path = Path(path)
    if path.is_dir() and (path / SWEEP_FILE).is_file() and not any((path / n).is_file() for n in TABLE_NAMES):
        path = path / SWEEP_BEST_DIR  # a sweep folder: its table is the best settings re-run on fresh seeds
    if path.is_dir():
        for name in TABLE_NAMES:
            if (path / name).is_file():
                path = path / name
                break
        else:
            raise TableError(f"no {' or '.join(TABLE_NAMES)} in folder {str(path)!r}")
    elif not path.exists():
        raise TableError(f"results table {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq"}:
        raise TableError(f"unsupported table file {str(path)!r}; valid: a .csv or .parquet file, or a results folder")
    try:
        frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except Exception as exc:  # pandas/pyarrow raise many types; the user needs one line
        raise TableError(f"cannot read results table {str(path)!r}: {type(exc).__name__}: {exc}") from None
    return check_table(frame, path)


def check_table(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A table with rows whose metric columns hold numbers (as numbers); otherwise one :class:`TableError` line.

    Text in a metric column (a hand-edited CSV, a spreadsheet's ``n/a``) would otherwise make pandas read
    the whole column as text, and every later step would leave the column out without a word.
    """
    if frame.empty:
        raise TableError(f"results table {str(path)!r} has no rows (only a header); nothing to show")
    frame = frame.copy()
    for name in frame.columns:
        if columns.column(name) is None or pd.api.types.is_numeric_dtype(frame[name]):
            continue
        values, bad = _as_numbers(frame[name])
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise TableError(
                f"results table {str(path)!r}: metric column {name!r} must hold numbers, "
                f"but row {row + 1} holds {frame[name].iloc[row]!r}"
            )
        frame[name] = values
    return frame


def _as_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``values`` as floats, and the mask of entries that are text rather than a number or blank."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna() & (values.astype(str).str.strip() != "")
    return numbers, bad


@dataclass(frozen=True)
class Delta:
    """One comparison: a (row, metric) pair or a whole-row check (metric ``status`` / ``row``)."""

    key: RowKey
    metric: str
    baseline: Any
    current: Any
    change: str
    threshold: str
    verdict: Literal["ok", "REGRESSION", "n/a", "new", "skipped"]
    note: str = ""

    @property
    def regressed(self) -> bool:
        return self.verdict == "REGRESSION"


@dataclass
class ComparisonResult:
    deltas: list[Delta] = field(default_factory=list)
    thresholds: dict[str, Threshold] = field(default_factory=dict)
    common_rows: int = 0
    missing_rows: list[RowKey] = field(default_factory=list)
    new_rows: list[RowKey] = field(default_factory=list)

    @property
    def regressions(self) -> list[Delta]:
        return [d for d in self.deltas if d.regressed]

    @property
    def ok(self) -> bool:
        return not self.regressions


def _keyed(df: pd.DataFrame, label: str) -> dict[RowKey, pd.Series]:
    missing = [c for c in KEY_COLUMNS if c not in df.columns]
    if missing:
        raise TableError(f"{label} table lacks key column(s) {', '.join(missing)}; needs {', '.join(KEY_COLUMNS)}")
    seeds = pd.to_numeric(df["seed"], errors="coerce")
    if seeds.isna().any() or (seeds % 1 != 0).any():
        raise TableError(f"{label} table has a non-integer seed; seeds must be integers")
    rows: dict[RowKey, pd.Series] = {}
    for (_, row), seed in zip(df.iterrows(), seeds, strict=True):
        key = (str(row["variant"]), str(row["dataset"]), int(seed))
        if key in rows:
            raise TableError(f"{label} table has duplicate row {format_key(key)}")
        rows[key] = row
    return rows


def _numeric_column(df: pd.DataFrame, metric: str, label: str) -> pd.Series:
    values, bad = _as_numbers(df[metric])
    if bad.any():
        raise TableError(f"metric {metric!r} in the {label} table is not numeric (e.g. {df[metric][bad].iloc[0]!r})")
    return values


def _status(row: pd.Series) -> str:
    if "status" not in row.index:
        return "ok"
    value = row["status"]
    return "" if _isnan(value) else str(value)


def _isnan(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _fmt_number(value: Any) -> str:
    if _isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, (int, float)):
        return f"{float(value):.6g}"
    return str(value)


def _fmt_change(baseline: float, current: float) -> str:
    diff = current - baseline
    rel = relative_change(baseline, current)
    rel_text = "" if math.isinf(rel) else f" ({rel * 100:+.1f}%)"
    return f"{diff:+.6g}{rel_text}"


def compare_tables(
    baseline: pd.DataFrame,
    current: pd.DataFrame,
    thresholds: Mapping[str, Threshold] | None = None,
    *,
    allow_missing: bool = False,
) -> ComparisonResult:
    """Compare ``current`` against ``baseline``; see the module docstring for the rules.

    ``thresholds`` empty or ``None`` means :data:`DEFAULT_THRESHOLDS` restricted to
    metrics present in both tables. Raises :class:`TableError`/:class:`ThresholdError`
    (both :class:`UserError`) on unusable input.
    """
    base_rows = _keyed(baseline, "baseline")
    cur_rows = _keyed(current, "current")
    shared_columns = [c for c in baseline.columns if c in current.columns]
    if thresholds:
        chosen = dict(thresholds)
        unknown = [m for m in chosen if m not in shared_columns]
        if unknown:
            candidates = [c for c in shared_columns if columns.direction(c)] or shared_columns
            raise ThresholdError(
                f"unknown metric {unknown[0]!r} in thresholds; metrics in both tables: {', '.join(candidates)}"
            )
    else:
        chosen = {m: parse_threshold(m, v) for m, v in DEFAULT_THRESHOLDS.items() if m in shared_columns}

    base_values = {m: dict(zip(base_rows, _numeric_column(baseline, m, "baseline"), strict=True)) for m in chosen}
    cur_values = {m: dict(zip(cur_rows, _numeric_column(current, m, "current"), strict=True)) for m in chosen}

    common = [k for k in base_rows if k in cur_rows]
    if not common:
        raise TableError(
            "the two tables have no (variant, dataset, seed) row in common; "
            f"baseline has e.g. {format_key(next(iter(base_rows)))}"
            if base_rows
            else "the baseline table is empty"
        )
    result = ComparisonResult(thresholds=chosen, common_rows=len(common))
    result.missing_rows = [k for k in base_rows if k not in cur_rows]
    result.new_rows = [k for k in cur_rows if k not in base_rows]

    for key in result.missing_rows:
        verdict: Literal["ok", "REGRESSION"] = "ok" if allow_missing else "REGRESSION"
        result.deltas.append(Delta(key, "row", "present", "missing", "", "", verdict, "row absent from current"))

    for key in sorted(common):
        b_status, c_status = _status(base_rows[key]), _status(cur_rows[key])
        if b_status == "ok" and c_status != "ok":
            error = cur_rows[key].get("error") if "error" in cur_rows[key].index else None
            note = "" if _isnan(error) else str(error)
            result.deltas.append(Delta(key, "status", b_status, c_status or "(empty)", "", "ok", "REGRESSION", note))
            continue
        for metric, threshold in chosen.items():
            b, c = float(base_values[metric][key]), float(cur_values[metric][key])
            if math.isnan(b) and math.isnan(c):
                result.deltas.append(Delta(key, metric, b, c, "", threshold.describe(), "n/a"))
            elif math.isnan(b):
                result.deltas.append(Delta(key, metric, b, c, "", threshold.describe(), "new"))
            elif math.isnan(c):
                result.deltas.append(
                    Delta(key, metric, b, c, "", threshold.describe(), "REGRESSION", "value missing in current")
                )
            else:
                verdict = "REGRESSION" if threshold.exceeded(b, c) else "ok"
                result.deltas.append(Delta(key, metric, b, c, _fmt_change(b, c), threshold.describe(), verdict))
    return result


def _aligned(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
    return lines


def format_comparison(result: ComparisonResult, *, only_regressions: bool = False) -> str:
    """Plain aligned text (robust in CI logs): all deltas, then a summary listing each regression."""
    header = ["variant", "dataset", "seed", "metric", "baseline", "current", "change", "threshold", "verdict"]

    def cells(d: Delta) -> list[str]:
        verdict = d.verdict + (f" ({d.note})" if d.note else "")
        return [
            d.key[0], d.key[1], str(d.key[2]), d.metric, _fmt_number(d.baseline), _fmt_number(d.current),
            d.change, d.threshold, verdict,
        ]  # fmt: skip

    shown = result.regressions if only_regressions else result.deltas
    lines = _aligned(header, [cells(d) for d in shown]) if shown else []
    if result.new_rows:
        lines.append("")
        lines.append("new rows (not in baseline): " + ", ".join(format_key(k) for k in result.new_rows))
    lines.append("")
    regressions = result.regressions
    lines.append(
        f"{len(regressions)} regression(s) in {result.common_rows} common row(s); "
        f"metrics checked: {', '.join(f'{m} {t.describe()}' for m, t in result.thresholds.items()) or '(none)'}"
    )
    for d in regressions:
        change = f", change {d.change}" if d.change else ""
        threshold = f", threshold {d.threshold}" if d.threshold else ""
        note = f" [{d.note}]" if d.note else ""
        lines.append(
            f"REGRESSION {format_key(d.key)} {d.metric}: baseline {_fmt_number(d.baseline)}, "
            f"current {_fmt_number(d.current)}{change}{threshold}{note}"
        )
    return "\n".join(lines)


# -- protocol check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtocolDifference:
    """One protocol column on which matched rows disagree."""

    field: str
    pairs: tuple[tuple[str, str], ...]
    """Distinct ``(baseline, current)`` values."""
    rows: tuple[RowKey, ...]

    def describe(self) -> str:
        values = "; ".join(f"baseline {b or '(empty)'}, current {c or '(empty)'}" for b, c in self.pairs)
        example = format_key(self.rows[0])
        return f"protocol differs in {self.field}: {values} ({len(self.rows)} row(s), e.g. {example})"


@dataclass
class ProtocolCheck:
    differences: list[ProtocolDifference] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """Protocol columns recorded on one side only (older results): not checked, not a difference."""

    @property
    def ok(self) -> bool:
        return not self.differences

    def unknown_note(self) -> str:
        if not self.unknown:
            return ""
        return f"protocol not recorded on both sides (unknown, not checked): {', '.join(self.unknown)}"


def protocol_text(value: Any) -> str:
    """A protocol value as comparable text: ``1000`` and ``1000.0`` agree, NaN/None are empty."""
    if _isnan(value):
        return ""
    if isinstance(value, bool):
        return str(value)
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value).strip()
    if math.isfinite(f) and f.is_integer():
        return str(int(f))
    return f"{f:.10g}"


def check_protocol(baseline: pd.DataFrame, current: pd.DataFrame, metrics: Iterable[str] = ()) -> ProtocolCheck:
    """Whether the rows both tables hold agree on :func:`ganbench.columns.comparison_protocol` of ``metrics``.

    A column absent from one table, or empty in one row, is unknown (an older ganbench did not record it),
    not a difference.
    """
    base_rows, cur_rows = _keyed(baseline, "baseline"), _keyed(current, "current")
    common = sorted(k for k in base_rows if k in cur_rows)
    check = ProtocolCheck()
    for col in columns.comparison_protocol(list(metrics)):
        in_base, in_cur = col in baseline.columns, col in current.columns
        if not (in_base and in_cur):
            if in_base or in_cur:
                check.unknown.append(col)
            continue
        pairs: dict[tuple[str, str], None] = {}
        rows: list[RowKey] = []
        one_sided = False
        for key in common:
            b, c = protocol_text(base_rows[key][col]), protocol_text(cur_rows[key][col])
            if not b or not c:
                one_sided = one_sided or bool(b or c)
                continue
            if b != c:
                pairs[(b, c)] = None
                rows.append(key)
        if rows:
            check.differences.append(ProtocolDifference(col, tuple(pairs), tuple(rows)))
        elif one_sided:
            check.unknown.append(col)
    return check

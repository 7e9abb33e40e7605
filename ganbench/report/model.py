"""The report's content, built once from a collected results folder and rendered twice (HTML, Markdown).

Keeping content separate from rendering means both outputs show the same
tables and figures, and escaping lives in exactly one place per format.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from ganbench import columns
from ganbench.columns import PROTOCOL_COLUMNS
from ganbench.report import plots
from ganbench.report.collect import CellArtifacts, Collected
from ganbench.report.figures import ReportFigure, image_mime
from ganbench.report.references import ReferenceSection, declared_references, reference_sections
from ganbench.report.sections import (
    DatasetSection,
    Definition,
    dataset_sections,
    definitions,
    flatten_pairs,
    runs_frame,
    summary_frame,
)
from ganbench.results.aggregate import metric_columns, protocol_display, table_kind

AGGREGATION_NOTE = (
    "Summary rows are mean ± sample standard deviation (ddof=1) over the seeds of each (variant, dataset), "
    "using only seeds that have a value; a mean over fewer seeds than the group has says so, e.g. "
    "'(2 of 3 seeds)', and the incomplete column names those metrics. With one value only the mean is shown. "
    "Runs of every status are included; the status column says how many were ok. Error bars are clipped to "
    "each metric's valid range. ↓ lower is better, ↑ higher is better. "
    "FID values are comparable only at the same extractor, N and reference statistics (see the protocol table)."
)


@dataclass
class RunInfo:
    """One cell folder of a group: its config and status, shown in a collapsible block."""

    cell_id: str
    seed: str
    status: str
    facts: list[tuple[str, str]]


@dataclass
class GroupSection:
    """All seeds of one (variant, dataset): curves overlaid in one figure, each seed's images."""

    anchor: str
    heading: str
    status: str
    runs: list[RunInfo] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ReportModel:
    title: str
    source: str
    generated: str
    run_info: list[tuple[str, str]]
    summary: pd.DataFrame
    multi_seed: bool
    runs: pd.DataFrame
    protocol: pd.DataFrame
    summary_figures: list[ReportFigure]
    groups: list[GroupSection]
    warnings: list[str]
    note: str = AGGREGATION_NOTE
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The merged results table (the leaderboard is rendered from it)."""
    datasets: list[DatasetSection] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    references: list[ReferenceSection] = field(default_factory=list)
    """Published tables beside the rows (``--reference``, or the suite's ``references``)."""
    sweep: Any = None
    """A ``ganbench sweep`` folder's equal-budget comparison (:class:`ganbench.report.sweep.SweepSection`)."""


def _text(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _seed_sort(value: Any) -> tuple[int, Any]:
    try:
        return (0, int(value))
    except (TypeError, ValueError):
        return (1, str(value))


def _group_section(i: int, key: tuple[str, str], cells: list[CellArtifacts], kind: Any = None) -> GroupSection:
    variant, dataset = key
    statuses = [_text({**c.config, **c.metrics}.get("status", "")) for c in cells]
    ok = sum(s == "ok" for s in statuses)
    section = GroupSection(anchor=f"group-{i}", heading=f"{variant} · {dataset}", status=f"{ok}/{len(cells)} ok")
    curves = []
    for j, cell in enumerate(cells):
        seed = _text(cell.key[2])
        status = statuses[j]
        section.runs.append(RunInfo(cell.cell_id, seed, status, [(str(k), _text(v)) for k, v in cell.config.items()]))
        section.warnings.extend(f"{cell.cell_id}: {w}" for w in cell.warnings)
        curves.append(plots.RunCurves(f"seed {seed}", cell.history, cell.evals))
        for attr, what in (("samples", "samples"), ("traversal", "latent traversal")):
            path = getattr(cell, attr)
            if path is None:
                continue
            data = path.read_bytes()
            mime = image_mime(data)
            if mime is None:
                section.warnings.append(f"{cell.cell_id}: {path.name} is not a PNG/JPEG/GIF image; not shown")
                continue
            ext = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}[mime]
            title = f"seed {seed} · {what}" + ("" if status == "ok" else f" ({status})")
            section.figures.append(ReportFigure(title, data, mime, f"group{i:03d}-s{j}-{attr}.{ext}", "sample"))
    png = plots.training_curves(curves, f"{variant} · {dataset}: training curves", kind)
    if png:
        parts = (("losses (history.csv)", "history"), ("metrics over steps (evals.csv)", "evals"))
        sources = [name for name, attr in parts if any(getattr(c, attr) is not None for c in cells)]
        title = " and ".join(sources)
        section.figures.insert(0, ReportFigure(title, png, "image/png", f"group{i:03d}-curves.png", "curves"))
    return section


def build_model(
    collected: Collected, title: str = "ganbench report", references: Sequence[str] | None = None
) -> ReportModel:
    """The report's content; ``references`` (default: those the run's suite declares) are shown beside the rows."""
    table = collected.table
    multi_seed = {"variant", "dataset", "seed"} <= set(table.columns) and bool(
        (table.groupby(["variant", "dataset"])["seed"].nunique() > 1).any()
    )
    has_keys = {"variant", "dataset"} <= set(table.columns)
    colours = plots.variant_colours(table["variant"].astype(str).tolist()) if has_keys else {}
    summary_figures = []
    kind = table_kind(table) if len(table) else None
    for metric in columns.order_metrics(plots.SUMMARY_METRICS, kind):  # headline metrics first
        png = plots.summary_bars(table, metric, colours)
        if png:
            caption = f"{metric} by variant (bar: mean ± std over seeds; dots: seeds)"
            summary_figures.append(ReportFigure(caption, png, "image/png", f"summary-{metric}.png"))
    grouped: dict[tuple[str, str], list[CellArtifacts]] = {}
    for cell in sorted(collected.cells, key=lambda c: (c.key[0], c.key[1], _seed_sort(c.key[2]), c.cell_id)):
        grouped.setdefault((cell.key[0] or cell.cell_id, cell.key[1]), []).append(cell)
    datasets = dataset_sections(table, collected.cells)
    kinds = {d.dataset: d.kind for d in datasets}
    shown = [*metric_columns(table), *(c for c in PROTOCOL_COLUMNS if c in table.columns)]
    return ReportModel(
        title=title,
        source=str(collected.root),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        run_info=flatten_pairs(collected.run),
        summary=summary_frame(table) if has_keys else pd.DataFrame(),
        multi_seed=multi_seed,
        runs=runs_frame(table),
        protocol=protocol_display(table),
        summary_figures=summary_figures,
        groups=[_group_section(i, k, cells, kinds.get(k[1])) for i, (k, cells) in enumerate(grouped.items())],
        warnings=list(collected.warnings),
        table=table,
        datasets=datasets,
        definitions=definitions(shown),
        sources=list(collected.sources) or [str(collected.root)],
        references=reference_sections(
            table, declared_references(collected.run) if references is None else list(references)
        ),
    )

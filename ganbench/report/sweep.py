"""The equal-budget section of a sweep folder's report: the comparison tables and the expected-best plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ganbench.report.figures import ReportFigure
from ganbench.report.plots import budget_plot
from ganbench.results.sweep_table import NOTE, budget_frames, read_sweep_tables


@dataclass
class SweepSection:
    """Per dataset, each variant at the same number of trials; the curves of the expected best."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figure: ReportFigure | None = None
    note: str = NOTE
    error: str = ""


def sweep_section(run_dir: Path) -> SweepSection:
    """Read ``sweep_summary`` and ``expected_best`` of a sweep folder (a note if it has not finished)."""
    summary, budget = read_sweep_tables(run_dir)
    if summary is None or budget is None:
        return SweepSection(error="the sweep has not finished: no sweep_summary.csv yet")
    picture = budget_plot(budget)
    figure = None
    if picture is not None:
        figure = ReportFigure("Expected best score against the number of trials", picture, "image/png",
                              "sweep_expected_best.png")  # fmt: skip
    return SweepSection(budget_frames(summary, budget), figure)

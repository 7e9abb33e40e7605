"""Reports of a results folder: one Markdown file (+ image assets) and one self-contained HTML page.

Public API: :func:`write_report`; the pieces (:func:`collect`, :func:`aggregate`,
:func:`build_model`, :func:`render_html`, :func:`render_markdown`) are usable alone.
"""

from __future__ import annotations

from pathlib import Path

from ganbench.report.aggregate import aggregate, format_mean_std
from ganbench.report.collect import Collected, collect
from ganbench.report.html import render_html
from ganbench.report.io import atomic_write_bytes, atomic_write_text
from ganbench.report.markdown import ASSETS_DIR, render_markdown
from ganbench.report.model import ReportModel, build_model

__all__ = [
    "Collected",
    "ReportModel",
    "aggregate",
    "build_model",
    "collect",
    "format_mean_std",
    "render_html",
    "render_markdown",
    "write_report",
]


def write_report(results_dir: str | Path, out_dir: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``report.md`` (with ``report_assets/``) and ``report.html`` into ``out_dir`` (default: ``results_dir``).

    Returns ``(markdown_path, html_path)``. Raises :class:`~ganbench.errors.UserError`
    when ``results_dir`` holds no results.
    """
    model = build_model(collect(results_dir))
    out = Path(out_dir) if out_dir is not None else Path(results_dir)
    out.mkdir(parents=True, exist_ok=True)
    assets = out / ASSETS_DIR
    for fig in [*model.summary_figures, *(f for g in model.groups for f in g.figures)]:
        atomic_write_bytes(assets / fig.asset_name, fig.data)
    md_path = atomic_write_text(out / "report.md", render_markdown(model))
    html_path = atomic_write_text(out / "report.html", render_html(model))
    return md_path, html_path

"""Reports of a results folder: one Markdown file (+ image assets) and one self-contained HTML page.

Public API: :func:`write_report`; the pieces (:func:`collect`, :func:`aggregate`,
:func:`build_model`, :func:`render_html`, :func:`render_markdown`) are usable alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ganbench.errors import UserError
from ganbench.report.collect import Collected, collect
from ganbench.report.html import render_html
from ganbench.report.markdown import ASSETS_DIR, render_markdown
from ganbench.report.merge import merge_collected
from ganbench.report.model import ReportModel, build_model
from ganbench.results import atomic
from ganbench.results.aggregate import aggregate, format_mean_std
from ganbench.results.compare import SWEEP_BEST_DIR, is_sweep_folder

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


def write_report(
    results_dir: str | Path | Sequence[str | Path],
    out_dir: str | Path | None = None,
    references: Sequence[str] | None = None,
) -> tuple[Path, Path]:
    """Write ``report.md`` (with ``report_assets/``) and ``report.html`` into ``out_dir`` (default: ``results_dir``).

    ``references``: published tables (names or TOML paths) to show beside the rows; by default the
    ones the run's suite declares.

    Several results folders are merged into one report when their metric protocols agree
    (``out_dir`` is then required). Returns ``(markdown_path, html_path)``. Raises
    :class:`~ganbench.errors.UserError` when a folder holds no results or the protocols differ.
    """
    sweep = None
    if isinstance(results_dir, (str, Path)) and is_sweep_folder(results_dir):
        from ganbench.report.sweep import sweep_section

        sweep = sweep_section(Path(results_dir))  # the rows: the best settings re-run on fresh seeds
        collected = collect(Path(results_dir) / SWEEP_BEST_DIR)
        default_out = Path(results_dir)
    elif isinstance(results_dir, (str, Path)):
        collected = collect(results_dir)
        default_out = Path(results_dir)
    else:
        folders = list(results_dir)
        if not folders:
            raise UserError("no results folder given")
        if len(folders) > 1 and out_dir is None:
            raise UserError("several results folders need an output folder (--out DIR)")
        collected = collect(folders[0]) if len(folders) == 1 else merge_collected([collect(f) for f in folders])
        default_out = Path(folders[0])
    model = build_model(collected, references=references)
    model.sweep = sweep
    out = Path(out_dir) if out_dir is not None else default_out
    out.mkdir(parents=True, exist_ok=True)
    assets = out / ASSETS_DIR
    figures = [*model.summary_figures, *(f for g in model.groups for f in g.figures)]
    if sweep is not None and sweep.figure is not None:
        figures.append(sweep.figure)
    for section in model.datasets:
        figures += [*([section.curves] if section.curves else []), *section.samples, *section.traversals]
    for fig in figures:
        atomic.write_bytes(assets / fig.asset_name, fig.data)
    if assets.is_dir():  # a previous report of a bigger run may have left images nobody links to
        keep = {f.asset_name for f in figures}
        for stale in assets.iterdir():
            if stale.is_file() and stale.name not in keep and stale.suffix in {".png", ".jpg", ".gif"}:
                stale.unlink()
    md_path, html_path = out / "report.md", out / "report.html"
    atomic.write_bytes(md_path, render_markdown(model).encode("utf-8"))
    atomic.write_bytes(html_path, render_html(model).encode("utf-8"))
    return md_path, html_path

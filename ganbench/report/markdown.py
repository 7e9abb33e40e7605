"""Render the report as GitHub-flavoured Markdown, with images as files in ``report_assets/``.

Markdown renderers pass raw HTML through, so cell text is HTML-escaped as well
as having table syntax (``|``, backslash, backticks) escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from ganbench.report.leaderboard import leaderboard_markdown
from ganbench.report.model import ReportFigure, ReportModel

ASSETS_DIR = "report_assets"


def md_escape(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace("\r", " ").replace("\n", " ")
    text = html.escape(text, quote=False)
    for ch in "|`*[]":
        text = text.replace(ch, "\\" + ch)
    return text


def table_md(df: pd.DataFrame) -> str:
    if not len(df.columns):
        return "_(no data)_"
    lines = ["| " + " | ".join(md_escape(c) for c in df.columns) + " |"]
    lines.append("|" + "|".join("---" for _ in df.columns) + "|")
    lines.extend("| " + " | ".join(md_escape(v) for v in row) + " |" for row in df.itertuples(index=False))
    return "\n".join(lines)


def _figure_md(fig: ReportFigure) -> str:
    return f"![{md_escape(fig.title)}]({ASSETS_DIR}/{fig.asset_name})"


def render_markdown(model: ReportModel) -> str:
    source = model.source.replace("`", "'")
    out = [f"# {md_escape(model.title)}", "", f"Results: `{source}` · generated {model.generated}"]
    if model.warnings:
        out += ["", "## Warnings", ""] + [f"- {md_escape(w)}" for w in model.warnings]
    if len(model.table):
        out += ["", "## Leaderboard", "", "Each dataset's headline metrics over the seeds (`ganbench table`).", ""]
        out.append(leaderboard_markdown(model.table, [Path(source) for source in model.sources]))
    if model.sweep is not None:
        out += ["", "## Equal-budget comparison (sweep)", ""]
        if model.sweep.error:
            out.append(f"_{md_escape(model.sweep.error)}_")
        for title, frame in model.sweep.tables.items():
            out += [f"### {md_escape(title)}", "", table_md(frame), ""]
        if model.sweep.figure is not None:
            out.append(_figure_md(model.sweep.figure))
        out += ["", md_escape(model.sweep.note)]
    if model.references:
        out += ["", "## Published results", "", "ganbench's mean ± standard error beside the paper's value."]
    for section in model.references:
        if section.error:
            out += ["", f"_{md_escape(section.name)}: not compared: {md_escape(section.error)}_"]
            continue
        frame = section.frame if section.frame is not None else pd.DataFrame()
        out += ["", f"### {md_escape(section.title)}", "", f"ganbench beside {md_escape(section.source)}", ""]
        out += [table_md(frame), "", f"{md_escape(section.rule)}. Verdicts: {md_escape(section.verdicts)}."]
    if model.datasets:
        out += ["", "## Variants compared, per dataset"]
    for section in model.datasets:
        out += ["", f"### {md_escape(section.dataset)}", ""]
        out += [f"_{md_escape(n)}_" for n in section.notes]
        for heading, figs in (
            ("Metrics against steps", [section.curves] if section.curves else []),
            ("Samples side by side", section.samples),
            ("Latent traversals", section.traversals),
        ):
            if figs:
                out += ["", f"#### {heading}", ""] + [_figure_md(f) for f in figs]
    title = "Summary (mean ± std over seeds)" if model.multi_seed else "Summary"
    out += ["", f"## {title}", "", md_escape(model.note), "", table_md(model.summary)]
    if model.summary_figures:
        out += ["", "### Metrics by variant", ""] + [_figure_md(f) for f in model.summary_figures]
    if model.definitions:
        out += ["", "<details><summary>Metric definitions</summary>", ""]
        out += [f"- `{d.name}`: {md_escape(d.description)} ({d.direction}; valid {md_escape(d.valid)})"
                for d in model.definitions]  # fmt: skip
        out += ["", "</details>"]
    out += ["", "## All runs", "", table_md(model.runs)]
    out += ["", "## Metric protocol", "", table_md(model.protocol)]
    if model.run_info:
        out += ["", "## Invocation", ""] + [f"- {md_escape(k)}: {md_escape(v)}" for k, v in model.run_info]
    if model.groups:
        out += ["", "## Runs in detail"]
    for group in model.groups:
        out += ["", f"### {md_escape(group.heading)} — {md_escape(group.status)}", ""]
        out += [f"- warning: {md_escape(w)}" for w in group.warnings]
        for r in group.runs:
            out.append(f"- seed {md_escape(r.seed)}: {md_escape(r.status)} (folder {md_escape(r.cell_id)})")
        if group.figures:
            out += [""] + [_figure_md(f) for f in group.figures]
        for run in group.runs:
            out += ["", f"<details><summary>seed {md_escape(run.seed)} config</summary>", ""]
            out += [table_md(pd.DataFrame(run.facts, columns=["key", "value"])), "", "</details>"]
    return "\n".join(out) + "\n"

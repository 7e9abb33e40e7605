"""Render the report as one self-contained HTML page.

Self-contained: images are base64 data URIs, CSS and the one script are
inline, nothing is fetched from the network. Every string from the results
(names, config values, paths, column names, cells) goes through
:func:`html.escape`; a Content-Security-Policy that allows only data: images
and the page's own (hashed) style and script is a second line of defence.
"""

from __future__ import annotations

import base64
import hashlib
import html
from pathlib import Path
from typing import Any

import pandas as pd

from ganbench.report.leaderboard import leaderboard_html
from ganbench.report.model import ReportFigure, ReportModel
from ganbench.report.sections import DatasetSection

STYLE = """
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0;
color:#1d232a;background:#f6f7f9;overflow-wrap:anywhere}
header{background:#1f3a56;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
header .meta{opacity:.85;font-size:12px;overflow-wrap:anywhere}
main{padding:8px 28px 40px;max-width:1280px}
h2{margin:28px 0 8px;font-size:18px;border-bottom:2px solid #d5dbe2;padding-bottom:4px}
h3{margin:18px 0 6px;font-size:15px}
.note{color:#4a5561;font-size:12px;max-width:1000px}
.scroll,.fit{max-width:100%;overflow-x:auto;background:#fff;border:1px solid #d5dbe2;border-radius:4px}
table{border-collapse:collapse;font-size:12px;overflow-wrap:normal}
th,td{padding:4px 6px;border-bottom:1px solid #e6e9ed;text-align:left;vertical-align:top}
.scroll table td{white-space:nowrap}
table.summary{width:100%;font-size:11px}
table.summary td.key{white-space:nowrap;max-width:150px;overflow:hidden;text-overflow:ellipsis}
th{background:#eef1f4;position:sticky;top:0}
table.leaderboard{width:100%}
table.leaderboard td,table.leaderboard th{padding:4px 10px}
table.leaderboard th{white-space:nowrap}
strong.best{color:#0b5d1e}
p.protocol,ul.leaderboard-legend{font-size:12px;color:#4a5561;margin:4px 0}
tr:hover td{background:#f3f7fb}
td.status-bad{color:#a12622;font-weight:600}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:14px;align-items:start}
.figs.wide{grid-template-columns:1fr}
.figs.samples{grid-template-columns:repeat(auto-fill,minmax(280px,1fr))}
figure{margin:0;background:#fff;border:1px solid #d5dbe2;border-radius:4px;padding:8px;min-width:0}
figure img{display:block;max-width:100%;height:auto}
figure img.sample{width:100%;min-width:256px;image-rendering:pixelated}
figure img.traversal{image-rendering:pixelated;max-height:1400px;width:auto;max-width:100%}
figcaption{font-size:12px;color:#4a5561;margin-top:4px}
section.cell,section.dataset{background:#fff;border:1px solid #d5dbe2;border-radius:6px;padding:4px 16px 16px;
margin:16px 0}
section.cell .figs figure{border-color:#e6e9ed}
section.cell figure img.sample{min-width:0;width:auto;max-height:520px}
details{margin:6px 0}
summary{cursor:pointer;color:#1f3a56;font-weight:600}
dl.defs{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:13px;margin:8px 0}
dl.defs dt{font-family:monospace;font-weight:600}
dl.defs dd{margin:0}
.kv{font-family:monospace;font-size:12px;background:#fff;border:1px solid #d5dbe2;border-radius:4px;padding:8px 12px}
.kv div{overflow-wrap:anywhere}
.kv .k{color:#1f3a56;font-weight:600}
.warn{background:#fff4e0;border:1px solid #e8c37a;border-radius:4px;padding:6px 12px}
nav ul{columns:3;font-size:12px;padding-left:18px}
code{font-size:12px;overflow-wrap:anywhere}
"""

SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0, minSample = 1e9;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
    if (imgs[i].className === "sample" && imgs[i].closest("section.dataset")) {
      minSample = Math.min(minSample, imgs[i].getBoundingClientRect().width);
    }
  }
  var b = document.body;
  b.setAttribute("data-images-loaded", ok + "/" + imgs.length);
  b.setAttribute("data-script-count", String(document.scripts.length));
  b.setAttribute("data-scroll-width", String(document.documentElement.scrollWidth));
  b.setAttribute("data-min-sample-width", String(Math.round(minSample)));
  var fits = document.querySelectorAll("div.fit"), inner = 0;
  for (var j = 0; j < fits.length; j++) { inner = Math.max(inner, fits[j].scrollWidth - fits[j].clientWidth); }
  b.setAttribute("data-fit-overflow", String(inner));
});
"""
"""Records image load status, page width and the smallest side-by-side sample on <body> (the browser test
reads them; harmless otherwise)."""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


CSP = f"default-src 'none'; img-src data:; style-src {_csp_hash(STYLE)}; script-src {_csp_hash(SCRIPT)}"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _status_bad(value: str) -> bool:
    """A run status other than ok, or a summary like ``2/3 ok, 1 diverged``."""
    if "/" in value:
        return "," in value
    return value not in ("ok", "")


KEY_COLUMNS = ("variant", "dataset", "seed", "seeds", "status")


def table_html(df: pd.DataFrame, css_class: str = "results") -> str:
    """An escaped table. The summary must fit the page: its headers may break after ``_`` and its key
    cells are cut with an ellipsis (full text on hover); other tables scroll inside their box."""
    if df.empty and not len(df.columns):
        return "<p class='note'>(no data)</p>"
    fit = "summary" in css_class.split()
    head = "".join(f"<th>{esc(c).replace('_', '_<wbr>') if fit else esc(c)}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for col, value in zip(df.columns, row, strict=True):
            classes = ["status-bad"] if col == "status" and _status_bad(str(value)) else []
            if fit and col in KEY_COLUMNS:
                classes.append("key")
            cls = f" class='{' '.join(classes)}'" if classes else ""
            title = f" title='{esc(value)}'" if fit and col in KEY_COLUMNS else ""
            cells.append(f"<td{cls}{title}>{esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<div class='{'fit' if fit else 'scroll'}'><table class='{esc(css_class)}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure_html(fig: ReportFigure) -> str:
    b64 = base64.b64encode(fig.data).decode("ascii")
    return (
        f"<figure><img class='{esc(fig.kind)}' src='data:{esc(fig.mime)};base64,{b64}' alt='{esc(fig.title)}'>"
        f"<figcaption>{esc(fig.title)}</figcaption></figure>"
    )


def _kv_html(pairs: list[tuple[str, str]], css_class: str = "kv") -> str:
    """Key-value lines (``key: value``), never a JSON blob."""
    lines = "".join(f"<div><span class='k'>{esc(k)}</span>: <span class='v'>{esc(v)}</span></div>" for k, v in pairs)
    return f"<div class='{esc(css_class)}'>{lines}</div>"


def _figs_html(figs: list[ReportFigure], css: str = "figs") -> str:
    return f"<div class='{esc(css)}'>" + "".join(figure_html(f) for f in figs) + "</div>" if figs else ""


def _dataset_html(section: DatasetSection) -> str:
    parts = [f"<section class='dataset' id='{esc(section.anchor)}'><h3>{esc(section.dataset)}</h3>"]
    parts.extend(f"<p class='note'>{esc(n)}</p>" for n in section.notes)
    if section.curves is not None:
        parts.append("<h4>Metrics against steps</h4>" + _figs_html([section.curves], "figs wide"))
    if section.samples:
        parts.append("<h4>Samples side by side</h4>" + _figs_html(section.samples, "figs samples"))
    if section.traversals:
        parts.append("<h4>Latent traversals</h4>" + _figs_html(section.traversals))
    parts.append("</section>")
    return "".join(parts)


def _definitions_html(model: ReportModel) -> str:
    items = "".join(
        f"<dt>{esc(d.name)}</dt><dd>{esc(d.description)} · {esc(d.direction)} · valid {esc(d.valid)}</dd>"
        for d in model.definitions
    )
    return (
        "<details class='definitions'><summary>Metric definitions (click to open)</summary>"
        f"<dl class='defs'>{items}</dl><p class='note'>Protocols, constants and sources: "
        "docs/metrics.md in the ganbench repository.</p></details>"
    )


def _references_html(model: ReportModel) -> str:
    """Each published table beside the run's mean ± standard error, with its verdicts (or why it is missing)."""
    parts = [
        "<h2 id='published'>Published results</h2><p class='note'>ganbench's mean ± standard error over the "
        "finished seeds beside the paper's value, as <code>ganbench table RUN --reference NAME</code> prints it.</p>"
    ]
    for section in model.references:
        if section.error:
            parts.append(f"<p class='note'>{esc(section.name)}: not compared: {esc(section.error)}</p>")
            continue
        parts.append(f"<h3>{esc(section.title)}</h3><p class='note'>ganbench beside {esc(section.source)}</p>")
        parts.append(table_html(section.frame if section.frame is not None else pd.DataFrame(), "results reference"))
        parts.append(f"<p class='note'>{esc(section.rule)}. Verdicts: {esc(section.verdicts)}.</p>")
    return "".join(parts)


def _sweep_html(section: Any) -> str:
    """The equal-budget comparison: one table per dataset, the expected-best curves, how to read them."""
    parts = ["<h2 id='sweep'>Equal-budget comparison (sweep)</h2>"]
    if section.error:
        parts.append(f"<p class='note'>{esc(section.error)}</p>")
    for title, frame in section.tables.items():
        parts.append(f"<h3>{esc(title)}</h3>" + table_html(frame, "results sweep"))
    if section.figure is not None:
        parts.append(_figs_html([section.figure]))
    parts.append(f"<p class='note'>{esc(section.note)}</p>")
    return "".join(parts)


def render_html(model: ReportModel) -> str:
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{esc(CSP)}\">",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{esc(model.title)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>{esc(model.title)}</h1><div class='meta'>results: "
        + ", ".join(f"<code>{esc(s)}</code>" for s in (model.sources or [model.source]))
        + f" · generated {esc(model.generated)}</div></header><main>",
    ]
    if model.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in model.warnings)
        parts.append(f"<h2>Warnings</h2><div class='warn'><ul>{items}</ul></div>")
    board = leaderboard_html(model.table, [Path(source) for source in model.sources])
    if board:
        parts.append(
            "<h2 id='leaderboard'>Leaderboard</h2><p class='note'>Per dataset, each variant's headline metrics "
            "over its seeds, as <code>ganbench table</code> shows them; a best mean is bold only where its interval is "
            "clear of every other variant's.</p>" + board
        )
    if model.sweep is not None:
        parts.append(_sweep_html(model.sweep))
    if model.references:
        parts.append(_references_html(model))
    if model.datasets:
        parts.append("<h2 id='compare'>Variants compared, per dataset</h2>")
        parts.extend(_dataset_html(d) for d in model.datasets)
    title = "Summary (mean ± std over seeds)" if model.multi_seed else "Summary"
    parts.append(f"<h2 id='summary'>{esc(title)}</h2><p class='note'>{esc(model.note)}</p>")
    parts.append(table_html(model.summary, "results summary"))
    if model.summary_figures:
        parts.append("<h3>Metrics by variant</h3>" + _figs_html(model.summary_figures))
    if model.definitions:
        parts.append(_definitions_html(model))
    parts.append("<h2 id='runs'>All runs</h2>")
    parts.append(table_html(model.runs, "results runs"))
    parts.append(
        "<h2 id='protocol'>Metric protocol</h2><p class='note'>How each run's metrics were measured: "
        "feature extractor, layer, sample counts, real split and the key of the cached real statistics.</p>"
    )
    parts.append(table_html(model.protocol, "results protocol"))
    if model.run_info:
        parts.append("<h2 id='invocation'>Invocation</h2>")
        parts.append(_kv_html(model.run_info, "kv invocation"))
    if model.groups:
        parts.append("<h2 id='details'>Runs in detail</h2><nav><ul>")
        for g in model.groups:
            parts.append(f"<li><a href='#{esc(g.anchor)}'>{esc(g.heading)}</a> ({esc(g.status)})</li>")
        parts.append("</ul></nav>")
    for group in model.groups:
        heading = f"{esc(group.heading)} — {esc(group.status)}"
        parts.append(f"<section class='cell' id='{esc(group.anchor)}'><h3>{heading}</h3>")
        if group.warnings:
            items = "".join(f"<li>{esc(w)}</li>" for w in group.warnings)
            parts.append(f"<div class='warn'><ul>{items}</ul></div>")
        curves = [f for f in group.figures if f.kind == "curves"]
        images = [f for f in group.figures if f.kind != "curves"]
        parts.append(_figs_html(curves, "figs wide") + _figs_html(images))
        for run in group.runs:
            summary = f"seed {esc(run.seed)}: {esc(run.status)} · folder <code>{esc(run.cell_id)}</code> · config"
            parts.append(f"<details><summary>{summary}</summary>{_kv_html(run.facts)}</details>")
        parts.append("</section>")
    parts.append(f"</main><script>{SCRIPT}</script></body></html>")
    return "\n".join(parts)

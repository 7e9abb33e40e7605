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

import pandas as pd

from ganbench.report.model import ReportFigure, ReportModel

STYLE = """
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0;
color:#1d232a;background:#f6f7f9}
header{background:#1f3a56;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
header .meta{opacity:.85;font-size:12px;word-break:break-all}
main{padding:8px 28px 40px;max-width:1400px}
h2{margin:28px 0 8px;font-size:18px;border-bottom:2px solid #d5dbe2;padding-bottom:4px}
h3{margin:18px 0 6px;font-size:15px}
.note{color:#4a5561;font-size:12px;max-width:1000px}
.scroll{overflow-x:auto;background:#fff;border:1px solid #d5dbe2;border-radius:4px}
table{border-collapse:collapse;font-size:12px;white-space:nowrap}
th,td{padding:4px 8px;border-bottom:1px solid #e6e9ed;text-align:left}
th{background:#eef1f4;position:sticky;top:0}
tr:hover td{background:#f3f7fb}
td.status-bad{color:#a12622;font-weight:600}
.figs{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
figure{margin:0;background:#fff;border:1px solid #d5dbe2;border-radius:4px;padding:8px}
figure img{display:block;max-width:100%;height:auto;max-height:520px}
figure img.sample{min-width:180px;image-rendering:pixelated}
figcaption{font-size:12px;color:#4a5561;margin-top:4px;max-width:420px}
section.cell{background:#fff;border:1px solid #d5dbe2;border-radius:6px;padding:4px 16px 16px;margin:16px 0}
section.cell .figs figure{border-color:#e6e9ed}
details{margin:6px 0}
summary{cursor:pointer;color:#1f3a56}
.warn{background:#fff4e0;border:1px solid #e8c37a;border-radius:4px;padding:6px 12px}
nav ul{columns:3;font-size:12px;padding-left:18px}
code{font-size:12px}
"""

SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) { if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; } }
  document.body.setAttribute("data-images-loaded", ok + "/" + imgs.length);
  document.body.setAttribute("data-script-count", String(document.scripts.length));
});
"""
"""Records image load status on <body> (the browser test reads it; harmless otherwise)."""


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


def table_html(df: pd.DataFrame, css_class: str = "results") -> str:
    if df.empty and not len(df.columns):
        return "<p class='note'>(no data)</p>"
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for col, value in zip(df.columns, row, strict=True):
            cls = " class='status-bad'" if col == "status" and _status_bad(str(value)) else ""
            cells.append(f"<td{cls}>{esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<div class='scroll'><table class='{esc(css_class)}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _pairs_html(pairs: list[tuple[str, str]], css_class: str) -> str:
    return table_html(pd.DataFrame(pairs, columns=["key", "value"]), css_class) if pairs else ""


def figure_html(fig: ReportFigure) -> str:
    b64 = base64.b64encode(fig.data).decode("ascii")
    return (
        f"<figure><img class='{esc(fig.kind)}' src='data:{esc(fig.mime)};base64,{b64}' alt='{esc(fig.title)}'>"
        f"<figcaption>{esc(fig.title)}</figcaption></figure>"
    )


def render_html(model: ReportModel) -> str:
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{esc(CSP)}\">",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{esc(model.title)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>{esc(model.title)}</h1><div class='meta'>results: <code>{esc(model.source)}</code>"
        f" · generated {esc(model.generated)}</div></header><main>",
    ]
    if model.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in model.warnings)
        parts.append(f"<h2>Warnings</h2><div class='warn'><ul>{items}</ul></div>")
    title = "Summary (mean ± std over seeds)" if model.multi_seed else "Summary"
    parts.append(f"<h2 id='summary'>{esc(title)}</h2><p class='note'>{esc(model.note)}</p>")
    parts.append(table_html(model.summary, "results summary"))
    if model.summary_figures:
        parts.append("<h3>Metrics by variant</h3><div class='figs'>")
        parts.extend(figure_html(f) for f in model.summary_figures)
        parts.append("</div>")
    parts.append("<h2 id='runs'>All runs</h2>")
    parts.append(table_html(model.runs, "results runs"))
    parts.append(
        "<h2 id='protocol'>Metric protocol</h2><p class='note'>How each run's metrics were measured: "
        "feature extractor, layer, sample counts, real split and the key of the cached real statistics.</p>"
    )
    parts.append(table_html(model.protocol, "results protocol"))
    if model.run_info:
        parts.append("<h2 id='invocation'>Invocation</h2>")
        parts.append(_pairs_html(model.run_info, "kv"))
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
        for figs in (curves, images):
            if figs:
                parts.append("<div class='figs'>" + "".join(figure_html(f) for f in figs) + "</div>")
        for run in group.runs:
            summary = f"seed {esc(run.seed)}: {esc(run.status)} · folder <code>{esc(run.cell_id)}</code> · config"
            parts.append(f"<details><summary>{summary}</summary>{_pairs_html(run.facts, 'kv')}</details>")
        parts.append("</section>")
    parts.append(f"</main><script>{SCRIPT}</script></body></html>")
    return "\n".join(parts)

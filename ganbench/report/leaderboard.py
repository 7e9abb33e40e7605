"""The report's leaderboard: per dataset, each variant's headline metrics (mean ± std over seeds), best in bold.

Built from :func:`ganbench.results.aggregate.aggregate` with the catalogue's directions and
headline metrics (:mod:`ganbench.columns`). :func:`leaderboard_html` and
:func:`leaderboard_markdown` are the only entry points the report uses, so a shared
leaderboard module (``ganbench table``) can replace this one in one place.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ganbench import columns
from ganbench.results.aggregate import aggregate
from ganbench.results.display import mean_std_text, metric_header

KIND_TITLES = {"points": "2D mixtures", "stacked": "stacked digits", "image": "images"}


@dataclass
class Leaderboard:
    """One table per kind of data: rows are (dataset, variant), columns the kind's headline metrics."""

    kind: str
    metrics: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    best: list[set[str]] = field(default_factory=list)
    """Per row, the metrics where this variant is best on its dataset."""

    @property
    def header(self) -> list[str]:
        return ["dataset", "variant", "seeds", *(metric_header(m) for m in self.metrics)]


def leaderboards(table: pd.DataFrame) -> list[Leaderboard]:
    if table.empty or not {"variant", "dataset"} <= set(table.columns):
        return []
    kinds = [columns.data_kind_of(r) for r in table.to_dict("records")]
    boards = []
    for kind in ("points", "stacked", "image"):
        part = table[[k == kind for k in kinds]]
        if part.empty:
            continue
        agg = aggregate(part)
        metrics = [m for m in columns.headline_metrics(kind) if f"{m}_mean" in agg and agg[f"{m}_mean"].notna().any()]
        board = Leaderboard(kind, metrics)
        first = metrics[0] if metrics else None
        for dataset, rows in agg.groupby("dataset", sort=True):
            if first is not None:
                ascending = columns.direction(first) != "higher"
                rows = rows.sort_values(f"{first}_mean", ascending=ascending, na_position="last", kind="stable")
            best_values = {m: _best(rows[f"{m}_mean"], columns.direction(m)) for m in metrics}
            for r in rows.to_dict("records"):
                n_seeds = int(r.get("n_seeds") or 0)
                cells = {"dataset": str(dataset), "variant": str(r["variant"]), "seeds": str(n_seeds)}
                best = set()
                for m in metrics:
                    mean, std = r[f"{m}_mean"], r[f"{m}_std"]
                    cells[m] = mean_std_text(m, mean, std, int(r.get(f"n_{m}") or 0), n_seeds)
                    if best_values[m] is not None and not math.isnan(mean) and mean == best_values[m]:
                        best.add(m)
                board.rows.append(cells)
                board.best.append(best)
        boards.append(board)
    return boards


def _best(values: pd.Series, direction: str | None) -> float | None:
    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.empty or direction is None or len(values) < 2:
        return None
    return float(values.min() if direction == "lower" else values.max())


def leaderboard_html(table: pd.DataFrame) -> str:
    """The leaderboards as escaped HTML tables; best values in ``<strong>``."""
    parts = []
    for board in leaderboards(table):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in board.header)
        body = []
        for cells, best in zip(board.rows, board.best, strict=True):
            tds = [f"<td class='key' title='{html.escape(cells[k])}'>{html.escape(cells[k])}</td>"
                   for k in ("dataset", "variant")]  # fmt: skip
            tds.append(f"<td>{html.escape(cells['seeds'])}</td>")
            for m in board.metrics:
                text = html.escape(cells[m])
                tds.append(f"<td class='best'><strong>{text}</strong></td>" if m in best else f"<td>{text}</td>")
            body.append("<tr>" + "".join(tds) + "</tr>")
        parts.append(
            f"<h3>{html.escape(KIND_TITLES[board.kind])}</h3><div class='fit'><table class='results leaderboard'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )
    return "".join(parts)


def leaderboard_markdown(table: pd.DataFrame, escape: Callable[[object], str]) -> str:
    """The leaderboards as Markdown tables; best values in bold."""
    out = []
    for board in leaderboards(table):
        out += [f"### {KIND_TITLES[board.kind]}", ""]
        out.append("| " + " | ".join(escape(h) for h in board.header) + " |")
        out.append("|" + "|".join("---" for _ in board.header) + "|")
        for cells, best in zip(board.rows, board.best, strict=True):
            values = [escape(cells[k]) for k in ("dataset", "variant", "seeds")]
            values += [f"**{escape(cells[m])}**" if m in best else escape(cells[m]) for m in board.metrics]
            out.append("| " + " | ".join(values) + " |")
        out.append("")
    return "\n".join(out)

"""The report's leaderboard: ``ganbench table``'s leaderboard (:mod:`ganbench.results.leaderboard`) of the
report's rows, as HTML that fits the page and as Markdown.

Per dataset, each variant's headline metrics: mean, interval over the seeds and ``n``, the best mean per
column in bold where its interval is clear of the others', and the reference row: a perfect sampler on 2D
mixtures, the stored real-vs-real floor on images. Rows measured under different protocols are still ranked
here, with the leaderboard's note saying so (``ganbench table`` refuses them unless asked); a merged report
only holds folders whose protocols agree.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ganbench.errors import UserError
from ganbench.results import leaderboard as board_lib


def _board(table: pd.DataFrame, folders: Sequence[Path]) -> board_lib.Leaderboard | str:
    """The leaderboard, or the one-line reason there is none (no rows, no keys)."""
    from ganbench.metrics.reference_points import context_label, reference_points

    try:
        context = reference_points(table, folders)
        return board_lib.build_leaderboard(
            table, allow_protocol_change=True, context=context, context_label=context_label(table, context)
        )
    except UserError as exc:
        return str(exc)


def leaderboard_html(table: pd.DataFrame, folders: Sequence[Path] = ()) -> str:
    """Escaped HTML: one table per dataset, each in a box that must not scroll sideways. ``folders``: the
    results folders, where a stored real-vs-real floor may lie (:mod:`ganbench.metrics.floor_store`)."""
    board = _board(table, folders)
    if isinstance(board, str):
        return f"<p class='note'>no leaderboard: {html.escape(board)}</p>"
    fragment = board_lib.leaderboard_html(board)
    return fragment.replace("<table class='leaderboard'>", "<div class='fit'><table class='leaderboard'>").replace(
        "</tbody></table>", "</tbody></table></div>"
    )


def leaderboard_markdown(table: pd.DataFrame, folders: Sequence[Path] = ()) -> str:
    board = _board(table, folders)
    if isinstance(board, str):
        return f"_no leaderboard: {board_lib.md_escape(board)}_\n"
    return board_lib.render_markdown(board)

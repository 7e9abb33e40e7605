"""The report's leaderboard: ``ganbench table``'s leaderboard (:mod:`ganbench.results.leaderboard`) of the
report's rows, as HTML that fits the page and as Markdown.

Per dataset, each variant's headline metrics: mean, interval over the seeds and ``n``, the best mean per
column in bold where its interval is clear of the others', and the perfect sampler's reference row on 2D
mixtures. Rows measured under different protocols are still ranked here, with the leaderboard's note saying
so (``ganbench table`` refuses them unless asked); a merged report only holds folders whose protocols agree.
"""

from __future__ import annotations

import html

import pandas as pd

from ganbench.errors import UserError
from ganbench.results import leaderboard as board_lib


def _board(table: pd.DataFrame) -> board_lib.Leaderboard | str:
    """The leaderboard, or the one-line reason there is none (no rows, no keys)."""
    from ganbench.metrics.reference_points import CONTEXT_LABEL, reference_points

    try:
        return board_lib.build_leaderboard(
            table, allow_protocol_change=True, context=reference_points(table), context_label=CONTEXT_LABEL
        )
    except UserError as exc:
        return str(exc)


def leaderboard_html(table: pd.DataFrame) -> str:
    """Escaped HTML: one table per dataset, each in a box that must not scroll sideways."""
    board = _board(table)
    if isinstance(board, str):
        return f"<p class='note'>no leaderboard: {html.escape(board)}</p>"
    fragment = board_lib.leaderboard_html(board)
    return fragment.replace("<table class='leaderboard'>", "<div class='fit'><table class='leaderboard'>").replace(
        "</tbody></table>", "</tbody></table></div>"
    )


def leaderboard_markdown(table: pd.DataFrame) -> str:
    board = _board(table)
    if isinstance(board, str):
        return f"_no leaderboard: {board_lib.md_escape(board)}_\n"
    return board_lib.render_markdown(board)

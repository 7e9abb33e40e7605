"""Help panels for commands with many options (``ganbench run --help``).

Options say their panel with typer's ``rich_help_panel``. The CLI prints plain help (``rich_markup_mode=None``:
rendering with rich costs more start-up than the rest of ``--help``), and typer's plain formatter ignores
panels, so :class:`PanelledCommand` prints one section per panel, in :data:`ORDER`.
"""

from __future__ import annotations

from typing import Any

import typer
import typer.core

SWEEP = "Sweep"
WHAT = "What to run"
TRAINING = "Training"
EVALUATION = "Evaluation"
OUTPUT = "Output"
SCALE_OUT = "Scale-out"
OTHER = "Options"
"""Where an option without a panel goes (``--help``)."""
ORDER = (WHAT, TRAINING, EVALUATION, OUTPUT, SCALE_OUT)
"""Panels print in this order; others follow in the order they first appear, then :data:`OTHER`."""


class PanelledCommand(typer.core.TyperCommand):
    """A typer command whose plain ``--help`` groups the options by their ``rich_help_panel``."""

    order: tuple[str, ...] = ORDER
    """Panels in print order (a subclass may put its own first)."""

    def format_options(self, ctx: typer.Context, formatter: Any) -> None:  # Any: typer's vendored click formatter
        panels: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            panel = getattr(param, "rich_help_panel", None) or (
                "Arguments" if param.param_type_name == "argument" else OTHER
            )
            panels.setdefault(panel, []).append(record)

        def rank(title: str) -> int:
            return self.order.index(title) if title in self.order else len(self.order) + (title == OTHER)

        for title in sorted(panels, key=rank):  # stable: unlisted panels keep their first-appearance order
            records = panels[title]
            with formatter.section(title):
                formatter.write_dl(records)


class SweepCommand(PanelledCommand):
    """``ganbench sweep``: its own options first, then ``run``'s panels."""

    order = (SWEEP, *ORDER)

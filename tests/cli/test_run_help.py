"""``ganbench run --help`` groups its ~60 options into panels and lists the shipped suites."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from ganbench.cli import app
from ganbench.cli.panels import ORDER, OTHER
from ganbench.suites import shipped


def _help() -> str:
    result = CliRunner().invoke(app, ["run", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def _sections(text: str) -> dict[str, list[str]]:
    """Section title -> the long flags listed under it."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
            sections[current] = []
        elif current is not None:
            sections[current] += re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", line)
    return sections


def test_run_help_groups_every_option_into_the_panels_in_order():
    sections = _sections(_help())
    assert [title for title in sections if title != "Usage"] == [*ORDER, OTHER]
    assert sections[OTHER] == ["--help"]
    listed = [flag for flags in sections.values() for flag in flags]
    command = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    declared = [opt for param in command.params for opt in param.opts if opt.startswith("--")]
    assert sorted(listed) == sorted({*declared, "--help"})  # each option once, none lost
    assert "--plugins" in sections["What to run"] and "--suite" in sections["What to run"]
    assert "--steps" in sections["Training"] and "--eval-samples" in sections["Evaluation"]
    assert "--out" in sections["Output"] and "--nproc" in sections["Scale-out"]


def test_run_help_lists_the_suite_choices():
    text = " ".join(_help().split())
    assert shipped() and "ci" in shipped()
    assert f"A suite shipped with ganbench: {', '.join(shipped())} " in text

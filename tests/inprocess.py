"""The ``ganbench`` command line run in the test's own process, answering what a subprocess would.

A fresh Python costs seconds of imports (torch) per call on a 2-core machine; the same entry point,
:func:`ganbench.cli.main` (exit codes through ``SystemExit``), runs in-process in milliseconds. ``env`` and
``cwd`` hold for the call only, like a child's environment: ``PYTHONPATH`` entries go to the front of
``sys.path``, the registry is rebuilt, and afterwards the modules imported from those entries are forgotten
and the metric columns and torch-fidelity extractors their plugins declared are withdrawn, so consecutive
calls see what separate processes would. An exception that escapes ``main`` (a traceback for
the user) is not turned into an exit code: it fails the test. Keep subprocesses for what only a process shows:
signals, the installed entry point's exit status, spawned ranks.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

from ganbench import columns, registry
from ganbench.cli import main


@dataclass(frozen=True)
class CliResult:
    """The parts of ``subprocess.CompletedProcess`` the tests read."""

    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def child_like(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Iterator[None]:
    """``env`` (``PYTHONPATH`` onto ``sys.path``) and ``cwd`` for the block; everything restored after it."""
    env = dict(env or {})
    sites = [p for p in env.pop("PYTHONPATH", "").split(os.pathsep) if p]
    saved_env = {key: os.environ.get(key) for key in env}
    saved_path, saved_cwd, saved_modules = list(sys.path), os.getcwd(), set(sys.modules)
    saved_columns, saved_extractors = dict(columns._CATALOGUE), dict(FEATURE_EXTRACTORS_REGISTRY)
    try:
        os.environ.update(env)
        sys.path[:0] = sites
        if cwd is not None:
            os.chdir(cwd)
        registry._DEFAULT.clear()  # the process-wide registry is built from what is on sys.path now
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for name in set(sys.modules) - saved_modules:
            where = getattr(sys.modules[name], "__file__", None) or ""
            if any(where.startswith(site) for site in sites):
                del sys.modules[name]
        registry._DEFAULT.clear()
        for table, saved in ((columns._CATALOGUE, saved_columns), (FEATURE_EXTRACTORS_REGISTRY, saved_extractors)):
            table.clear()
            table.update(saved)


def ganbench(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> CliResult:
    """``ganbench ARGS`` in this process: exit code, stdout and stderr as text."""
    out, err = io.StringIO(), io.StringIO()
    with child_like(env, cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code: int | str | None = 0
        except SystemExit as exc:
            code = exc.code
    if isinstance(code, str):  # sys.exit("message"): Python prints it and exits with 1
        err.write(code + "\n")
        code = 1
    return CliResult(code or 0, out.getvalue(), err.getvalue())


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``ganbench ARGS`` in this process via :func:`ganbench.cli.main`: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def assert_user_error(code: int, err: str, *needles: str) -> str:
    """A user error: exit 2 and one ``ganbench: error:`` line containing every needle; returns that line."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganbench: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]

"""The ``ganbench`` command line (typer): one module per command, errors as one line."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# OpenMP threads that wait by spinning make every torch op on a busy machine (ours: 2 cores shared by
# several jobs) up to 10x slower than on one thread; passive waiting keeps 2 threads near 1.3x of 1
# (benchmarks/README.md). Set before torch loads its OpenMP runtime; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import typer

from ganbench import exitcodes
from ganbench.errors import GanbenchError, Terminated

# Click's exception classes, wherever this typer keeps them (newer releases vendor click).
_click_exceptions = sys.modules[typer.BadParameter.__module__]
ClickException = _click_exceptions.ClickException
NoArgsIsHelpError = getattr(_click_exceptions, "NoArgsIsHelpError", None)
ClickAbort = getattr(_click_exceptions, "Abort", typer.Abort)

app = typer.Typer(
    name="ganbench",
    help="Benchmark GAN variants: FID, mode collapse and throughput, with plugins.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,  # plain help text: rendering it with rich costs more start-up than the rest of --help
)


def _register_commands() -> None:
    from ganbench.cli import (
        common,
        compare,
        datasets,
        floor,
        new_plugin,
        plugins,
        report,
        run,
        sample,
        score,
        sweep,
        table,
    )

    common.register(app)
    for module in (run, sweep, score, floor, sample, plugins, datasets, report, compare, table, new_plugin):
        module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: exit status by :mod:`ganbench.exitcodes`; user errors are one ``ganbench: error:`` line."""
    command = typer.main.get_command(app)
    signals = Signals()
    try:
        with signals.terminate_as_interrupt():
            code = command.main(args=argv, prog_name="ganbench", standalone_mode=False)
    except GanbenchError as exc:
        print(f"ganbench: error: {exc}", file=sys.stderr)
        sys.exit(exitcodes.USER_ERROR)
    except OSError as exc:  # a folder that cannot be written, a full disk: one line, not a traceback
        print(f"ganbench: error: {describe_os_error(exc)}", file=sys.stderr)
        sys.exit(exitcodes.USER_ERROR)
    except ClickException as exc:
        if NoArgsIsHelpError is not None and isinstance(exc, NoArgsIsHelpError):
            print(exc.ctx.get_help() if exc.ctx else "", file=sys.stderr)
        else:
            print(f"ganbench: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)  # click's usage errors are 2, like ours
    except (ClickAbort, KeyboardInterrupt):
        code = exitcodes.SIGINT
    code = code if isinstance(code, int) else exitcodes.OK
    if signals.terminated:
        code = exitcodes.SIGTERM
    launched_rank = os.environ.get(exitcodes.LAUNCHED_RANK_ENV) == "1"  # its launcher speaks for it
    if code in (exitcodes.SIGINT, exitcodes.SIGTERM) and not launched_rank:  # typer returns 130 for Ctrl-C
        what = "terminated (SIGTERM)" if code == exitcodes.SIGTERM else "interrupted (Ctrl-C)"
        print(f"ganbench: {what}; cells that were running are recorded as interrupted", file=sys.stderr)
    sys.exit(code)


class Signals:
    """SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) while a command runs, so it stops a run the
    way Ctrl-C does: cells in flight are recorded ``interrupted``, the table of what finished is written."""

    def __init__(self) -> None:
        self.terminated = False

    @contextmanager
    def terminate_as_interrupt(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():  # handlers belong to the main thread
            yield
            return

        def terminate(signum: int, frame: object) -> None:
            self.terminated = True
            raise Terminated()

        previous = signal.signal(signal.SIGTERM, terminate)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def describe_os_error(exc: OSError) -> str:
    """``cannot write PATH: Read-only file system``-style text for an OSError nothing else caught."""
    from ganbench.results.atomic import disk_full_error, is_disk_full

    where = exc.filename
    if is_disk_full(exc):
        return str(disk_full_error(Path(where).parent if where else "the output folder", exc))
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{where}: {reason}" if where else reason


_register_commands()

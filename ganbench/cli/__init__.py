"""The ``ganbench`` command line (typer): one module per command, errors as one line."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ganbench.errors import GanbenchError

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
    from ganbench.cli import common, compare, datasets, new_plugin, plugins, report, run, sample, score, sweep, table

    common.register(app)
    for module in (run, sweep, score, sample, plugins, datasets, report, compare, table, new_plugin):
        module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one ``ganbench: error: ...`` line and exit code 2."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="ganbench", standalone_mode=False)
    except GanbenchError as exc:
        print(f"ganbench: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:  # a folder that cannot be written, a full disk: one line, not a traceback
        print(f"ganbench: error: {describe_os_error(exc)}", file=sys.stderr)
        sys.exit(2)
    except ClickException as exc:
        if NoArgsIsHelpError is not None and isinstance(exc, NoArgsIsHelpError):
            print(exc.ctx.get_help() if exc.ctx else "", file=sys.stderr)
        else:
            print(f"ganbench: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (ClickAbort, KeyboardInterrupt):
        print("ganbench: aborted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def describe_os_error(exc: OSError) -> str:
    """``cannot write PATH: Read-only file system``-style text for an OSError nothing else caught."""
    from ganbench.results.atomic import disk_full_error, is_disk_full

    where = exc.filename
    if is_disk_full(exc):
        return str(disk_full_error(Path(where).parent if where else "the output folder", exc))
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{where}: {reason}" if where else reason


_register_commands()

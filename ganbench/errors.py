"""Exceptions that carry a message meant for the user.

Anything deriving from :class:`UserError` is printed by the CLI as one line
(no traceback) and turns into a non-zero exit code.
"""

from __future__ import annotations


class GanbenchError(Exception):
    """Base class of every error ganbench raises on purpose."""


class UserError(GanbenchError):
    """Bad input from the user: an unknown name, a bad option value, missing data."""


class UnknownNameError(UserError):
    """A name that is not registered; the message lists the valid choices."""

    def __init__(self, what: str, name: str, choices: list[str] | tuple[str, ...]) -> None:
        valid = ", ".join(sorted(choices)) or "(none registered)"
        super().__init__(f"unknown {what} {name!r}; valid choices: {valid}")
        self.what = what
        self.name = name
        self.choices = tuple(choices)


class IncompatibleError(UserError):
    """A component cannot work with a dataset or with another component."""


class PluginContractError(IncompatibleError):
    """A component does not do what the plugin API promises (e.g. a generator's samples have the wrong shape)."""


class DatasetUnavailableError(UserError):
    """A dataset's files are missing or corrupt; the message says how to fix it."""


class DiskFullError(GanbenchError):
    """A write failed because the disk (or the quota) is full; the message names the folder."""


class PluginError(GanbenchError):
    """A plugin failed to import, declared a bad hook or registered something invalid."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's stop, ``kill``), raised like Ctrl-C so that every cell in flight is recorded
    ``interrupted`` by the same code path; a KeyboardInterrupt subclass so code that cleans up after Ctrl-C
    cleans up after SIGTERM too."""


def interruption_text(exc: KeyboardInterrupt) -> str:
    """The ``error`` of a cell stopped by ``exc``."""
    return "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted by the user (Ctrl-C)"

"""The ``xlsales`` command. Each command lives in its own module and registers itself on ``main``.

Every failure ends in one line on stderr and an exit code (see ``xlsales.errors``), never a traceback:
bad input → 2, the environment (disk full, permission, read-only folder) → 3, a bug → 4.
"""
from __future__ import annotations

import importlib
import os
import sys

import click

from xlsales.errors import EXIT_ENVIRONMENT, EXIT_INPUT, EXIT_INTERNAL, EnvironmentFailure, InputError, os_problem

# Modules that add commands to ``main``; a module missing here is simply not offered.
COMMAND_MODULES = ("inputs", "targets", "funnel", "commission", "memo", "build", "excel", "demo")

class _Main(click.Group):
    """The command group, with one place that turns any escaped exception into a message and an exit code."""

    def invoke(self, ctx):
        _exit_on_terminate()
        # A file object that failed (disk full) fails again when it is garbage-collected; Python would
        # print that second failure with a traceback. The first one is reported below.
        sys.unraisablehook = lambda unraisable: None
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except InputError as error:
            fail(error)
        except Exception as error:  # noqa: BLE001 - sorted below
            self._last_resort(error)

    @staticmethod
    def _last_resort(error: Exception) -> None:
        from xlsales.workbooks.binding import WorkbookError
        if isinstance(error, WorkbookError):   # the user's workbook lacks a table or name it needs
            fail(InputError(str(error)))
        if isinstance(error, (EnvironmentFailure, OSError, MemoryError)):
            fail_environment(error)
        if os.environ.get("XLSALES_DEBUG"):
            raise error
        what = str(error).splitlines()[0][:300] if str(error) else ""
        click.echo(f"xlsales: internal error ({type(error).__name__}{': ' + what if what else ''}); "
                   f"nothing was written. Please report it (XLSALES_DEBUG=1 shows the details).", err=True)
        sys.exit(EXIT_INTERNAL)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xlsales")
def main():
    """xlsales: sales targets, funnel, commission and review memos behind Excel.

    Exit codes: 0 done, 1 build with failed outputs, 2 bad input, 3 environment failure (disk full,
    permission, read-only folder), 4 internal error."""


def _exit_on_terminate() -> None:
    """SIGTERM (a CI timeout, ``kill``) ends the command like Ctrl-C does: through the ``finally`` blocks,
    so temp files and staging folders are removed. SIGKILL cannot be caught; what it leaves is removed by
    the next run in that folder (xlsales.staging.clean_stale)."""
    import signal
    import threading
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM"):
        def _terminated(signum, frame):
            raise SystemExit(128 + signum)
        signal.signal(signal.SIGTERM, _terminated)


def fail(error: InputError) -> None:
    """Report bad input the one way every command does: the message on stderr and exit code 2."""
    click.echo(f"xlsales: {error}", err=True)
    sys.exit(EXIT_INPUT)


def fail_environment(error: BaseException) -> None:
    """Disk full, permission denied, read-only folder, a tool missing: the message and exit code 3."""
    if isinstance(error, OSError):
        message = os_problem(error)
    elif isinstance(error, MemoryError):
        message = "out of memory"
    else:
        message = str(error)
    click.echo(f"xlsales: {message}; nothing was written", err=True)
    sys.exit(EXIT_ENVIRONMENT)


for _name in COMMAND_MODULES:
    try:
        importlib.import_module(f"xlsales.cli.{_name}")
    except ModuleNotFoundError as missing:
        if missing.name != f"xlsales.cli.{_name}":
            raise

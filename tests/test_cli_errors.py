"""The command line's last line of defence: every failure is one line and a documented exit code."""
from __future__ import annotations

import errno

import click
import pytest
from click.testing import CliRunner

from xlsales.cli import main
from xlsales.errors import EXIT_ENVIRONMENT, EXIT_INPUT, EXIT_INTERNAL, InputError


@pytest.fixture()
def failing_command():
    """A throw-away command that raises what the test gives it."""
    raised = {}

    @main.command("raise-for-test", hidden=True)
    def _raise():
        raise raised["error"]

    yield raised
    main.commands.pop("raise-for-test")


@pytest.mark.parametrize("error, code, words", [
    (InputError("orders.csv, row 3, column amount: 'x' is not a number"), EXIT_INPUT,
     "xlsales: orders.csv, row 3, column amount: 'x' is not a number\n"),
    (OSError(errno.ENOSPC, "No space left on device", "/out/targets.xlsx"), EXIT_ENVIRONMENT,
     "xlsales: cannot write or read /out/targets.xlsx: the disk is full; nothing was written\n"),
    (PermissionError(errno.EACCES, "Permission denied", "/ro/x.xlsx"), EXIT_ENVIRONMENT,
     "xlsales: cannot write or read /ro/x.xlsx: permission denied; nothing was written\n"),
    (OSError(errno.EROFS, "Read-only file system", "/ro"), EXIT_ENVIRONMENT,
     "xlsales: cannot write or read /ro: the folder is read-only; nothing was written\n"),
    (ZeroDivisionError("division by zero"), EXIT_INTERNAL,
     "xlsales: internal error (ZeroDivisionError: division by zero); nothing was written. Please report it "
     "(XLSALES_DEBUG=1 shows the details).\n"),
])
def test_an_escaped_exception_is_one_line_and_an_exit_code(failing_command, error, code, words):
    failing_command["error"] = error
    result = CliRunner().invoke(main, ["raise-for-test"])
    assert result.exit_code == code
    assert result.stderr == words
    assert "Traceback" not in result.output


def test_a_workbook_without_the_tables_a_refresh_needs_is_bad_input(failing_command):
    from xlsales.workbooks.binding import WorkbookError
    failing_command["error"] = WorkbookError("the workbook has no table named 'Grid'; restore it from the template")
    result = CliRunner().invoke(main, ["raise-for-test"])
    assert result.exit_code == EXIT_INPUT
    assert result.stderr == "xlsales: the workbook has no table named 'Grid'; restore it from the template\n"


def test_click_usage_errors_keep_clicks_own_exit_code(failing_command):
    failing_command["error"] = click.UsageError("no such option")
    assert CliRunner().invoke(main, ["raise-for-test"]).exit_code == 2

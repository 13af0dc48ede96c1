"""The ``xlsales`` command. Each command lives in its own module and registers itself on ``main``."""
from __future__ import annotations

import importlib
import sys

import click

from xlsales.errors import InputError

# Modules that add commands to ``main``; a module missing here is simply not offered.
COMMAND_MODULES = ("inputs", "targets", "funnel", "commission", "memo", "build", "excel", "demo")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xlsales")
def main():
    """xlsales: sales targets, funnel, commission and review memos behind Excel."""


def fail(error: InputError) -> None:
    """Report bad input the one way every command does: the message on stderr and exit code 2."""
    click.echo(f"xlsales: {error}", err=True)
    sys.exit(2)


for _name in COMMAND_MODULES:
    try:
        importlib.import_module(f"xlsales.cli.{_name}")
    except ModuleNotFoundError as missing:
        if missing.name != f"xlsales.cli.{_name}":
            raise

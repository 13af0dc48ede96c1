"""``xlsales excel-setup``: the workbook or add-in that brings the xlsales functions into Excel."""
from __future__ import annotations

from pathlib import Path

import click

from xlsales.cli import fail, main
from xlsales.errors import InputError

NEXT_STEPS = """\
Next (Windows or macOS desktop Excel, see docs/excel.md):
  1. xlwings addin install            (once; then allow "Trust access to the VBA project object model")
  2. open {name}, xlwings tab > Import Functions
  3. type =SPLIT_TARGET(100, {{1;1;1}}, 1) in a cell; the xlsales tab holds the ribbon buttons
xlwings Lite: paste lite/main.py and lite/requirements.txt into the xlwings Lite editor."""


@main.command("excel-setup")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into (created if missing).")
@click.option("--kind", type=click.Choice(["workbook", "addin", "both"]), default="workbook",
              show_default=True, help="A macro-enabled workbook (xlsales.xlsm), an add-in (xlsales.xlam) or both.")
@click.option("--interpreter-win", help="Python for Windows Excel (default: this one on Windows, else 'python').")
@click.option("--interpreter-mac", help="Python for macOS Excel (default: this one on macOS, else 'python').")
def excel_setup(out_dir, kind, interpreter_win, interpreter_mac):
    """Write xlsales.xlsm / xlsales.xlam with the xlsales ribbon, the UDF modules and xlwings Lite files."""
    from xlsales.excel import setup

    try:
        written = setup.build(out_dir, kind, interpreter_win=interpreter_win, interpreter_mac=interpreter_mac)
    except InputError as error:
        fail(error)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(NEXT_STEPS.format(name=written[0].name))

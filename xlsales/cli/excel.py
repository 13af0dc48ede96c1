"""``xlsales excel-setup``: the workbook or add-in that brings the xlsales functions into Excel."""
from __future__ import annotations

from pathlib import Path

import click

from xlsales.cli import fail, main
from xlsales.errors import InputError

NEXT_STEPS = """\
Next (Windows desktop Excel, see docs/excel.md):
  1. right-click xlsales.xlam > Properties > tick Unblock (if shown) > OK
  2. Excel: File > Options > Add-ins > Manage: Excel Add-ins > Go > Browse > xlsales.xlam > OK
  3. type =SPLIT_TARGET(100, {1;1;1}, 1) in a cell; the xlsales tab acts on the workbook in front of you
macOS, Excel on the web, or macros not allowed: xlwings Lite, with lite/main.py and lite/requirements.txt."""

LITE_STEPS = """\
Next (xlwings Lite: Windows, macOS, Excel on the web; no macros; see docs/excel.md):
  1. Excel: Home > Add-ins > search xlwings Lite > Add
  2. paste lite/requirements.txt into its requirements.txt tab and lite/main.py into its main.py tab
  3. type =SPLIT_TARGET(100, {1;1;1}, 1) in a cell"""


@main.command("excel-setup")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into (created if missing).")
@click.option("--kind", type=click.Choice(["addin", "workbook", "both", "lite"]), default="addin",
              show_default=True,
              help="The add-in with the ribbon (xlsales.xlam), a macro-enabled workbook with the functions "
                   "only (xlsales.xlsm), both, or only the xlwings Lite bundle (lite/main.py, lite/requirements.txt); "
                   "every kind writes the Lite bundle.")
@click.option("--interpreter-win", help="Python for Windows Excel (default: this one on Windows, else "
                                        r"%USERPROFILE%\xlsales-env\Scripts\pythonw.exe).")
@click.option("--interpreter-mac", help="Python for macOS Excel (default: this one on macOS, else 'python').")
def excel_setup(out_dir, kind, interpreter_win, interpreter_mac):
    """Write the xlsales add-in (ribbon and functions), or a workbook, and the xlwings Lite bundle."""
    from xlsales.excel import setup

    try:
        written = setup.build(out_dir, kind, interpreter_win=interpreter_win, interpreter_mac=interpreter_mac)
    except InputError as error:
        fail(error)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(LITE_STEPS if kind == "lite" else NEXT_STEPS)

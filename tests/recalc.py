"""Recalculate a workbook with LibreOffice, the real spreadsheet engine the tests compare against."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import openpyxl
import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


ALWAYS_RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def recalculate(path, outdir=None) -> openpyxl.Workbook:
    """Open ``path`` in headless LibreOffice, let it compute every formula, return the values.

    The profile tells LibreOffice to recalculate every formula on load (OOXMLRecalcMode 0), so the
    values read back are LibreOffice's own, never the cached results the binder wrote.
    """
    if SOFFICE is None:
        pytest.fail("LibreOffice (soffice) is needed: .ci/run installs Debian's libreoffice-calc")
    outdir = Path(outdir or tempfile.mkdtemp(prefix="xlsales-recalc-"))
    profile = Path(tempfile.gettempdir()) / f"xlsales-lo-{uuid.uuid4().hex}"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(ALWAYS_RECALCULATE, encoding="utf-8")
    try:
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "xlsx", "--outdir", str(outdir), str(path)],
            check=True, capture_output=True, timeout=180,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return openpyxl.load_workbook(outdir / Path(path).name, data_only=True)


ERROR_VALUES = ("#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "Err:")


def error_cells(wb) -> list[str]:
    """Every cell that shows a spreadsheet error, as 'Sheet!A1: value'."""
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(ERROR_VALUES):
                    found.append(f"{ws.title}!{cell.coordinate}: {cell.value}")
    return found

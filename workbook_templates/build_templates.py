"""Write the shipped .xlsx templates from the workbook modules' field definitions.

Run with ``make templates``. Each kind K with ``xlsales.workbooks.K.build_template(lang)`` gets
``K.xlsx`` (English) and ``K.zh.xlsx`` (Chinese labels and sheet names).
"""
from __future__ import annotations

import importlib
import sys
from datetime import datetime
from pathlib import Path

from xlsales.workbooks.binding import save_atomic

KINDS = ("targets", "funnel", "commission")
FOLDER = Path(__file__).resolve().parent
# Templates carry a fixed date, so rebuilding an unchanged template gives the same bytes.
STAMP = datetime(2026, 1, 1)


def main() -> int:
    for kind in KINDS:
        try:
            module = importlib.import_module(f"xlsales.workbooks.{kind}")
        except ModuleNotFoundError:
            continue
        if not hasattr(module, "build_template"):
            continue
        for lang, name in (("en", f"{kind}.xlsx"), ("zh", f"{kind}.zh.xlsx")):
            save_atomic(module.build_template(lang), FOLDER / name, stamp=STAMP)
            print(f"wrote {FOLDER / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What each ribbon button runs: the same workbook code as the command line, on a workbook file.

The workbook modules belong to other parts of xlsales; this adapter only knows where each entry
point lives, so that a missing one is reported as "not available" instead of a traceback.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from xlsales.errors import InputError

# kind -> (module, function). Refresh functions take the workbook path and rewrite it in place,
# keeping the user's input cells (as the targets and commission modules do); the
# memo function takes the workbook path and an output folder. Names not yet in the workbook modules
# follow the targets one and report "not available" until they exist.
ENTRY_POINTS = {
    "targets": ("xlsales.workbooks.targets", "refresh_targets_workbook"),
    "funnel": ("xlsales.workbooks.funnel", "refresh_funnel_workbook"),
    "commission": ("xlsales.workbooks.commission", "refresh_workbook"),
    # the commission workbook recomputed from its own tables, without its input files (what xlwings
    # Lite's calculate_commissions runs; on the desktop: live.run(book, "commission_tables"))
    "commission_tables": ("xlsales.workbooks.commission", "recompute_workbook"),
    "memos": ("xlsales.memos", "write_memos_from_workbook"),
}


class NotAvailable(InputError):
    """This version of xlsales has no code for that button yet."""


def entry_point(kind: str):
    if kind not in ENTRY_POINTS:
        raise InputError(f"kind: expected one of {', '.join(ENTRY_POINTS)}, got {kind!r}")
    module_name, function_name = ENTRY_POINTS[kind]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        if missing.name and module_name.startswith(missing.name):
            raise NotAvailable(f"{kind}: not available in this version of xlsales "
                               f"({module_name} is missing)") from None
        raise
    function = getattr(module, function_name, None)
    if function is None:
        raise NotAvailable(f"{kind}: not available in this version of xlsales "
                           f"({module_name}.{function_name} is missing)")
    return function


def refresh(kind: str, path) -> Path:
    """Refresh the ``kind`` workbook at ``path`` in place; returns the path."""
    path = Path(path)
    entry_point(kind)(path)
    return path


def write_memos(path, out_dir) -> Path:
    """Write the review memos for the workbook at ``path`` into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    entry_point("memos")(Path(path), out_dir)
    return out_dir

"""Where a workbook's input files are, recorded so that a refresh (the ribbon's buttons, ``--refresh``)
finds them again after the folder is moved, shared or opened on another machine.

Each input is recorded twice: relative to the workbook's folder (``inputs/orders.csv``, with ``/``
on every system), which survives moving the workbook and its inputs together, and as the absolute
path it had when written, the fallback when only the workbook moved. A refresh takes the first
that exists and otherwise says which files it looked for.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from xlsales.errors import InputError


# The folder the workbook really lives in, while a copy of it is refreshed elsewhere (the ribbon).
_FOLDER: contextvars.ContextVar[Path | None] = contextvars.ContextVar("workbook_folder", default=None)


@contextlib.contextmanager
def workbook_folder(folder):
    """Resolve recorded relative paths from ``folder`` (the open workbook's) instead of the copy's."""
    token = _FOLDER.set(Path(folder).resolve())
    try:
        yield
    finally:
        _FOLDER.reset(token)


def recorded(value, workbook) -> tuple[str | None, str | None]:
    """(relative, absolute) for the input file ``value`` of the workbook at ``workbook``."""
    if not value:
        return None, None
    from xlsales.staging import final_place
    absolute = final_place(Path(value).resolve())     # an input the same build writes is staged too
    try:
        relative = Path(os.path.relpath(absolute, final_place(Path(workbook).resolve()).parent)).as_posix()
    except ValueError:   # another drive on Windows: no relative path exists
        relative = None
    return relative, str(absolute)


def _as_path(text: str) -> Path:
    """A recorded path on this system: Windows separators are read on any system."""
    if "\\" in text and "/" not in text:
        return Path(*PureWindowsPath(text).parts)
    return Path(*PurePosixPath(text).parts) if text else Path()


def locate(relative, absolute, workbook, what: str) -> Path | None:
    """The input file recorded as ``relative`` / ``absolute`` for the workbook at ``workbook``; None
    when nothing was recorded. Raises InputError naming every place it looked."""
    if not relative and not absolute:
        return None
    candidates = []
    if relative:
        rel = _as_path(str(relative))
        folder = _FOLDER.get() or Path(workbook).resolve().parent
        candidates.append(rel if rel.is_absolute() else folder / rel)
    if absolute:
        candidates.append(Path(str(absolute)))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = " and ".join(str(c) for c in dict.fromkeys(candidates))
    raise InputError(f"{Path(workbook).name}: the {what} file it was made from is not there: looked for {looked}. "
                     f"Put the file back (beside the workbook as it was), or run the command again with its "
                     f"new place")

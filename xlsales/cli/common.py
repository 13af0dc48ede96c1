"""Pieces shared by the commands: options, dates, blend weights, output paths."""
from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from xlsales.errors import InputError

LANG_OPTION = click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
                           help="Language of labels and memos (zh = 简体中文).")


def mapping_options(command):
    """--preset and --mapping: read a CRM export through a shipped preset or the user's mapping file."""
    from xlsales.io.crm_mapping import PRESETS

    command = click.option("--mapping", "mapping_file", type=click.Path(dir_okay=False, path_type=Path),
                           help="Your own mapping (YAML: our column → the CRM's column, our stage → the CRM's "
                                "stages) for another CRM's export.")(command)
    return click.option("--preset", type=click.Choice(PRESETS),
                        help="Read opportunities / orders as this CRM exports them (column and stage names).")(command)


def mapping_from(preset, mapping_file):
    """The mapping --preset / --mapping name (None for neither); a bad file raises InputFileError."""
    from xlsales.io.crm_mapping import load_mapping
    return load_mapping(preset, mapping_file)


def parse_date(value, name: str) -> pd.Timestamp | None:
    if value in (None, ""):
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        raise InputError(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None


def parse_blend(text: str | None) -> tuple[tuple[str, float], ...] | None:
    """'history=0.6,capacity=0.4' → (('history', 0.6), ('capacity', 0.4))."""
    if not text:
        return None
    pairs = []
    for part in text.replace("，", ",").split(","):
        name, _, weight = part.partition("=")
        try:
            pairs.append((name.strip().lower(), float(weight)))
        except ValueError:
            raise InputError(f"--blend: {part.strip()!r} is not basis=weight (e.g. history=0.6)") from None
    return tuple(pairs)


def output_path(path: Path, option: str = "--out") -> Path:
    """A workbook to write: not a folder, and not inside a file."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise InputError(f"{option}: {path} is a folder; give a file name such as {path / 'targets.xlsx'}")
    _no_file_above(path.parent, option)
    return path


def output_folder(path: Path, option: str = "--out") -> Path:
    """A folder to write several files into: not an existing file, and not inside a file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option}: {path} is a file; give a folder")
    _no_file_above(path, option)
    return path


def _no_file_above(path: Path, option: str) -> None:
    for parent in (path, *path.parents):
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{option}: {parent} is a file, so it cannot hold the output")
            return

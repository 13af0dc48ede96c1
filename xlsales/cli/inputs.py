"""``xlsales check`` (validate input files) and ``xlsales sample-data`` (write the sample company's files)."""
from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path

import click
import pandas as pd

from xlsales.cli import fail, main
from xlsales.cli.common import mapping_from, mapping_options
from xlsales.errors import InputError, InputFileError
from xlsales.io.loading import capped
from xlsales.io.schemas import LOADERS, SCHEMAS, check_orders_against_reps, detect_kind, load_table
from xlsales.workbooks import ooxml


def _optional(module: str, name: str):
    """A function from a module another part of xlsales may not have yet; None when it is absent."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError as missing:
        if missing.name != module:
            raise
        return None


# ---------------------------------------------------------------- check


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(sorted(SCHEMAS)), help="What the files hold (default: told by the headers).")
@click.option("--stages", type=click.Path(dir_okay=False, path_type=Path),
              help="Stage table (YAML, CSV or XLSX) to check opportunities against (default: the built-in stages).")
@mapping_options
def check(files, kind, stages, preset, mapping_file):
    """Validate input files (orders, reps, opportunities) without writing anything."""
    try:
        loaded, problems = check_files(files, kind, stages, mapping_from(preset, mapping_file))
    except InputError as error:
        fail(error)
    for path, frame in loaded:
        if not any(p.startswith((f"{path.name},", f"{path.name}:")) for p in problems):
            click.echo(f"OK {path}: {len(frame)} rows ({frame.attrs['kind']})")
    if problems:
        fail(InputFileError(capped(problems)))


def check_files(files, kind=None, stages=None, mapping=None) -> tuple[list[tuple[Path, pd.DataFrame]], list[str]]:
    """Load every file and cross-check them; returns the frames and all problems found. With a CRM
    ``mapping``, a file is the kind whose columns it holds by the CRM's names (a presets maps orders and
    opportunities), else told by our own headers (the reps)."""
    from xlsales.io.crm_mapping import mapped_kind

    problems: list[str] = []
    loaded = []
    for path in files:
        try:
            file_kind = kind or (mapping and mapped_kind(path, mapping)) or detect_kind(path)
        except InputFileError as error:
            problems.extend(error.problems)
            continue
        extra = {} if file_kind == "reps" else {"mapping": mapping}  # CRM exports hold orders and deals
        loaded.append((Path(path), LOADERS[file_kind](path, problems, **extra)))
    # A file that could not be read at all loads empty; cross-checks against it would only add noise.
    usable = [frame for _, frame in loaded if len(frame)]
    reps = next((f for f in usable if f.attrs["kind"] == "reps"), None)
    for frame in usable:
        if frame.attrs["kind"] == "orders" and reps is not None:
            check_orders_against_reps(frame, reps, problems)
        elif frame.attrs["kind"] == "opportunities":
            _check_opportunities(frame, reps, stages, problems)
    return loaded, problems


def _check_opportunities(opps, reps, stages, problems) -> None:
    """The funnel's own rules (stages, statuses, dates), where the funnel part of xlsales is installed."""
    load_stages = _optional("xlsales.io.opportunities", "load_stages")
    check_opportunities = _optional("xlsales.io.opportunities", "check_opportunities")
    if load_stages and check_opportunities:
        check_opportunities(opps, load_stages(stages), reps, problems)


# ---------------------------------------------------------------- sample-data

FORMATS = {"csv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}
SHEET_NAMES_ZH = {"orders": "订单", "reps": "销售代表", "opportunities": "商机"}


@main.command("sample-data")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the files to (created if missing).")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--reps", "rep_count", default=40, show_default=True, type=int, help="Number of reps.")
@click.option("--months", default=30, show_default=True, type=int, help="Months of orders from 2024-01.")
@click.option("--format", "file_format", type=click.Choice(sorted(FORMATS)), default="csv", show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the column headers.")
def sample_data(out_dir, seed, rep_count, months, file_format, lang):
    """Write the sample company's input files (reps, orders, opportunities), so you see the expected columns."""
    try:
        tables = sample_tables(seed, rep_count, months)
        written = write_tables(tables, out_dir, file_format, lang)
    except InputError as error:
        fail(error)
    for path in written:
        click.echo(f"wrote {path} ({len(tables[path.stem])} rows)")


def sample_tables(seed=7, rep_count=40, months=30) -> dict[str, pd.DataFrame]:
    """The sample company as input tables by kind, ready to write."""
    from xlsales.sample import sample_company

    if rep_count < 1 or rep_count > 50_000:
        raise InputError(f"--reps must be between 1 and 50000, not {rep_count}")
    if months < 1 or months > 120:
        raise InputError(f"--months must be between 1 and 120, not {months}")
    company = sample_company(seed=seed, reps=rep_count, months=months)
    tables = {"reps": company.reps, "orders": company.orders}
    sample_opportunities = _optional("xlsales.sample.opportunities", "sample_opportunities")
    if sample_opportunities is not None:
        tables["opportunities"] = sample_opportunities(company)
    return tables


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path, file_format="csv", lang="en") -> list[Path]:
    from xlsales.cli.common import output_folder
    output_folder(out_dir)           # a file in the way is bad input; a read-only disk is the environment
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, frame in tables.items():
        path = out_dir / f"{kind}{FORMATS[file_format]}"
        _write_atomically(_for_humans(frame, kind, lang), path, file_format, kind, lang)
        written.append(path)
    return written


def _for_humans(frame: pd.DataFrame, kind: str, lang: str) -> pd.DataFrame:
    """Dates as plain dates, yes/no in the user's language, headers in the user's language."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.date
        elif pd.api.types.is_bool_dtype(out[column]) and lang == "zh":
            out[column] = out[column].map({True: "是", False: "否"})
    if lang == "zh":
        out = out.rename(columns=chinese_headers(kind))
    return out


def chinese_headers(kind: str) -> dict[str, str]:
    return {c.name: next(a for a in c.aliases if not a.isascii()) for c in SCHEMAS[kind].columns
            if any(not a.isascii() for a in c.aliases)}


def _write_atomically(frame: pd.DataFrame, path: Path, file_format: str, kind: str, lang: str) -> None:
    """Write next to the target, then swap it in: a half-written file never replaces a good one."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    try:
        if file_format == "csv":
            # With a BOM Excel opens UTF-8 correctly (names are Chinese whatever the header language).
            frame.to_csv(temp, index=False, encoding="utf-8-sig", float_format="%.15g")
        elif file_format == "xlsx":
            sheet = SHEET_NAMES_ZH[kind] if lang == "zh" else kind
            frame.to_excel(temp, index=False, sheet_name=sheet, engine="openpyxl")
            ooxml.fix_package_file(temp)
        else:
            frame.to_parquet(temp, index=False)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

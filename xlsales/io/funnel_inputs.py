"""Everything the funnel reads, loaded and checked together: opportunities, reps, stages and targets."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from xlsales.errors import InputFileError
from xlsales.io.loading import Column, Schema, load_table

TARGET_FILE = Schema("targets", (
    Column("measure", ("指标",), required=False, default="revenue"),
    Column("rep", ("销售代表", "销售", "业务员", "sales rep")),
    Column("month", ("月份", "月"), kind="date"),
    Column("target", ("目标", "目标金额", "quota", "指标金额"), kind="number"),
    Column("region", ("区域", "大区"), required=False),
    Column("team", ("团队", "小组"), required=False),
))



def read_funnel_inputs(opps_path, reps_path, stages_path=None, targets_book=None, target_file=None,
                       lang="en") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Load and check every input, reporting all problems at once (InputFileError)."""
    from xlsales.io.opportunities import check_opportunities, load_stages, with_rep_details
    from xlsales.io.schemas import load_opportunities, load_reps

    problems: list[str] = []
    reps = load_reps(reps_path, problems)
    try:
        stages = load_stages(stages_path, lang)
    except InputFileError as error:
        problems.extend(error.problems)
        stages = None
    opps = load_opportunities(opps_path, problems)
    if stages is not None and not problems:
        opps = check_opportunities(opps, stages, reps, problems)
    targets = _targets(targets_book, target_file, problems)
    if problems:
        raise InputFileError(problems)
    return with_rep_details(opps, reps), stages, targets


def _targets(targets_book, target_file, problems) -> pd.DataFrame | None:
    if target_file:
        frame = load_table(target_file, TARGET_FILE, problems)
        frame["month"] = frame["month"].dt.to_period("M").dt.to_timestamp()
        return frame
    if targets_book:
        from xlsales.workbooks.binding import WorkbookError
        from xlsales.workbooks.targets import read_monthly_targets

        if not Path(targets_book).is_file():
            problems.append(f"{Path(targets_book).name}: file not found ({targets_book})")
            return None
        try:
            return read_monthly_targets(targets_book)
        except (WorkbookError, KeyError, ValueError, TypeError) as error:
            problems.append(f"{Path(targets_book).name}: not a targets workbook made by xlsales ({error})")
    return None

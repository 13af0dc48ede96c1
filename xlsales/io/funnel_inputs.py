"""Everything the funnel reads, loaded and checked together: opportunities, reps, stages and targets."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from xlsales.errors import InputFileError
from xlsales.io.loading import Column, Schema, load_table, raise_if_any

TARGET_FILE = Schema("targets", (
    Column("measure", ("指标",), required=False, default="revenue"),
    Column("rep", ("销售代表", "销售", "业务员", "sales rep")),
    Column("month", ("月份", "月"), kind="date"),
    Column("target", ("目标", "目标金额", "quota", "指标金额"), kind="number"),
    Column("region", ("区域", "大区"), required=False),
    Column("team", ("团队", "小组"), required=False),
))

# A deal's stage history: it entered ``stage`` on ``entered`` (status open), or was won / lost that day.
STAGE_EVENTS = Schema("stage_events", (
    Column("id", ("编号", "商机编号", "商机id", "opportunity id", "deal id")),
    Column("stage", ("阶段", "商机阶段", "销售阶段")),
    Column("entered", ("日期", "进入日期", "进入阶段日期", "date", "stage date", "changed"), kind="date"),
    Column("status", ("状态", "商机状态"), required=False, default="open"),
))


def read_stage_events(path, stages: pd.DataFrame, problems: list | None = None) -> pd.DataFrame:
    """A stage-events file (id, stage, entered, optional status) as ``funnel_history.deals_as_of`` takes
    it: stage names and statuses in English or Chinese, each problem named by row and column."""
    from xlsales.core.stages import stage_lookup, status_lookup
    from xlsales.io.loading import Problems, report
    from xlsales.io.opportunities import flag_rows, unknown_stages

    found = Problems()
    events = load_table(path, STAGE_EVENTS, found)
    if not found:
        stage_no = events["stage"].astype(str).str.strip().str.lower().map(stage_lookup(stages))
        status = events["status"].astype(str).str.strip().str.lower().map(status_lookup())
        unknown_stages(found, events, stages, stage_no.isna())
        flag_rows(found, events, "status", status.isna(), lambda v: f"'{v}' is not a status (use open, won or lost)")
        if not found and not found.hidden:
            events = events.assign(stage_no=stage_no.astype("int64"), status=status)
    report(found, problems)
    return events


def latest_date(deals: pd.DataFrame) -> pd.Timestamp | None:
    """The last day a snapshot knows of (created, stage entered or closed): the day it was taken, when
    the user does not say."""
    days = [deals[c].max() for c in ("created", "stage_entered", "closed_date") if c in deals]
    days = [d for d in days if pd.notna(d)]
    return pd.Timestamp(max(days)).normalize() if days else None


def read_funnel_inputs(opps_path, reps_path, stages_path=None, targets_book=None, target_file=None,
                       lang="en", mapping=None, as_of=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Load and check every input, reporting all problems at once (InputFileError). ``mapping``: a CRM
    preset or mapping file (``crm_mapping.load_mapping``) the opportunities file is read through;
    ``as_of``: the day the opportunities file is seen from (None: not checked, e.g. a stage history)."""
    from xlsales.io.opportunities import check_opportunities, load_stages, with_rep_details
    from xlsales.io.schemas import load_opportunities, load_reps

    problems: list[str] = []
    reps = load_reps(reps_path, problems)
    try:
        stages = load_stages(stages_path, lang)
    except InputFileError as error:
        problems.extend(error.problems)
        stages = None
    opps = load_opportunities(opps_path, problems, mapping)
    if stages is not None and not problems:
        opps = check_opportunities(opps, stages, reps, problems, as_of)
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


def compare_argument(value) -> pd.Timestamp | Path | None:
    """``--compare``: an earlier snapshot file, or a date (with stage events)."""
    import re

    if value in (None, ""):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text) and not Path(text).exists():
        try:
            return pd.Timestamp(text).normalize()
        except ValueError:
            raise InputFileError([f"--compare: {text!r} is not a date (use YYYY-MM-DD) nor a file"]) from None
    return Path(text)


def read_pipeline_views(opps_path, reps_path, stages_path=None, targets_book=None, target_file=None, lang="en", *,
                        as_of, compare=None, compare_as_of=None, events_path=None, mapping=None):
    """The deals as of ``as_of`` and, with ``compare``, as of the earlier date, plus stages and targets.

    Without ``events_path`` the opportunities file is today's snapshot and ``compare`` an earlier
    snapshot file, seen from ``compare_as_of`` (default: the last date it mentions). With a stage-events
    file both views are rebuilt from the history (``deals_as_of``) and ``compare`` is the earlier date.
    Returns (deals, stages, targets, earlier deals or None, earlier as-of or None, stage events or None)."""
    from xlsales.core.funnel_history import deals_as_of
    from xlsales.io.opportunities import check_opportunities, with_rep_details
    from xlsales.io.schemas import load_opportunities, load_reps

    compare = compare_argument(compare)
    as_of = pd.Timestamp(as_of).normalize()
    problems: list[str] = []
    if isinstance(compare, pd.Timestamp) and events_path is None:
        raise InputFileError([f"--compare: {compare:%Y-%m-%d} is a date; comparing with a date needs the stage "
                              "history (--stage-events FILE); otherwise give the earlier snapshot file"])
    if isinstance(compare, Path) and events_path is not None:
        raise InputFileError(["--compare: with --stage-events give the earlier date (YYYY-MM-DD), not a file"])
    deals, stages, targets = read_funnel_inputs(opps_path, reps_path, stages_path, targets_book, target_file, lang,
                                                mapping, as_of=as_of if events_path is None else None)
    earlier = earlier_as_of = events = None
    if events_path is not None:
        events = read_stage_events(events_path, stages, problems)
        if not problems:
            unknown = ~events["id"].isin(set(deals["id"]))
            if unknown.any():
                row = events.index[unknown.to_numpy()][0]
                problems.append(f"{events.attrs['source']}, row {row}, column id: "
                                f"'{events.at[row, 'id']}' is not a deal in {Path(opps_path).name}")
        raise_if_any(problems)
        names = stages["stage"]
        if isinstance(compare, pd.Timestamp):
            earlier, earlier_as_of = deals_as_of(events, deals, compare, names), compare
        deals = deals_as_of(events, deals, as_of, names)
    elif compare is not None:
        reps = load_reps(reps_path)
        earlier = load_opportunities(compare, problems, mapping)
        if not problems:
            earlier = check_opportunities(earlier, stages, reps, problems, compare_as_of)
        raise_if_any(problems)
        earlier = with_rep_details(earlier, reps)
        earlier_as_of = pd.Timestamp(compare_as_of).normalize() if compare_as_of is not None else latest_date(earlier)
        earlier_as_of = earlier_as_of if earlier_as_of is not None else as_of
    if earlier_as_of is not None and earlier_as_of > as_of:
        raise InputFileError([f"--compare: the earlier view ({earlier_as_of:%Y-%m-%d}) is after the as-of date "
                              f"({as_of:%Y-%m-%d}); give the older snapshot to --compare"])
    return deals, stages, targets, earlier, earlier_as_of, events

"""The opportunities file and the stage table: business checks, each problem named by file, row, column.

Columns and types come from ``schemas.OPPORTUNITIES`` (helper-1's loader); here we check what only
the funnel knows: the stage exists, the status agrees with the stage, dates are in order, the rep is
known. Stage names and statuses are accepted in English or Chinese and come back as the stage
table's names and as open / won / lost.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from xlsales.core.stages import complete_stages, default_stages, stage_lookup, status_lookup
from xlsales.errors import InputError, InputFileError
from xlsales.io.loading import MAX_PROBLEMS, Column, Problems, Schema, load_table, problem_at, report, visible
from xlsales.io.schemas import load_opportunities

STAGES = Schema("stages", (
    Column("stage", ("阶段", "阶段名称", "name", "stage name")),
    Column("probability", ("概率", "赢率", "赢单概率", "win probability"), kind="number", nonnegative=True),
    Column("stale_days", ("滞留天数", "停留天数", "days before stale", "stale after"), kind="number",
           required=False, nonnegative=True),
    Column("order", ("顺序", "序号", "排序"), kind="number", required=False),
    Column("norm", ("标准转化率", "转化率标准", "norm conversion", "expected conversion"), kind="number",
           required=False, nonnegative=True),
    Column("aliases", ("别名", "其他名称", "alias"), required=False),
), unique=("stage",))


# ------------------------------------------------------------------------------- the stage table


def load_stages(path=None, lang: str = "en") -> pd.DataFrame:
    """The stage table from a YAML, CSV, XLSX or Parquet file, or the defaults when ``path`` is None.

    YAML: a list of stages (or ``stages:`` holding one), each a mapping with stage, probability,
    stale_days and optionally order, norm, aliases (a list or text separated by | ; or ,).
    """
    if path is None:
        return default_stages(lang)
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        frame = _stages_from_yaml(path)
    else:
        frame = load_table(path, STAGES)
    if frame["order"].notna().any():
        frame = frame.sort_values("order", kind="stable")
    frame = frame.assign(order=np.arange(1, len(frame) + 1),
                         aliases=[_aliases(a) for a in frame["aliases"]])
    try:
        stages = complete_stages(frame.reset_index(drop=True))
    except InputError as error:
        raise InputFileError([f"{path.name}: {error}"]) from None
    stages.attrs["source"] = path.name      # a problem of the table is reported against its file
    return stages


def _stages_from_yaml(path: Path) -> pd.DataFrame:
    from xlsales.io.yamlfile import load_yaml
    data = load_yaml(path, "stage table")
    if isinstance(data, dict):
        data = data.get("stages")
    if not isinstance(data, list) or not all(isinstance(s, dict) for s in data):
        raise InputFileError([f"{path.name}: expected a list of stages, each with stage, probability, stale_days"])
    lookup = STAGES.lookup()
    from xlsales.io.loading import normalize_header
    rows, problems = [], []
    for i, item in enumerate(data, start=1):
        row = {c.name: None for c in STAGES.columns}
        for key, value in item.items():
            column = lookup.get(normalize_header(key))
            if column is not None:
                row[column.name] = value
        for column in STAGES.columns:
            value = row[column.name]
            where = f"{path.name}, stage {i}, {column.name}"
            if column.required and value in (None, ""):
                problems.append(f"{where}: blank; a value is required")
            elif column.kind == "number" and value is not None and (
                    isinstance(value, bool) or not isinstance(value, (int, float))):
                problems.append(f"{where}: {value!r} is not a number")
            elif column.nonnegative and isinstance(value, (int, float)) and value < 0:
                problems.append(f"{where}: {value!r} is negative; it must be 0 or more")
        rows.append(row)
    if problems:
        raise InputFileError(problems)
    frame = pd.DataFrame(rows, columns=[c.name for c in STAGES.columns])
    for column in ("probability", "stale_days", "order", "norm"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


def _aliases(value) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(w.strip() for w in str(value).replace("|", ";").replace(",", ";").split(";") if w.strip())


# ------------------------------------------------------------------------------- opportunities


def read_opportunities(path, stages: pd.DataFrame, reps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load and check an opportunities file; every problem (types and business rules) at once."""
    problems: list[str] = []
    frame = load_opportunities(path, problems)
    if not problems:
        frame = check_opportunities(frame, stages, reps, problems)
    if problems:
        raise InputFileError(problems)
    return frame


def check_opportunities(opps: pd.DataFrame, stages: pd.DataFrame, reps: pd.DataFrame | None = None,
                        problems: list | None = None, as_of=None) -> pd.DataFrame:
    """Business checks on a loaded opportunities frame; returns it with stage names and statuses
    normalised. ``as_of``: the day the snapshot is seen from (no stage can have been entered after it).
    Problems raise InputFileError, or go to ``problems`` if given."""
    found = Problems()
    out = opps.copy()
    won_stage = len(stages)
    order = out["stage"].astype(str).str.strip().str.lower().map(stage_lookup(stages))
    status = out["status"].astype(str).str.strip().str.lower().map(status_lookup())
    unknown_stages(found, out, stages, order.isna() & out["stage"].notna())
    flag_rows(found, out, "status", status.isna() & out["status"].notna(),
          lambda v: f"'{visible(v)}' is not a status (use open, won or lost / 进行中, 赢单, 输单)")
    flag_rows(found, out, "status", status.eq("won") & order.notna() & order.ne(won_stage),
          lambda v: f"'{v}' means won, so the stage must be the won stage '{stages['stage'].iloc[-1]}'")
    flag_rows(found, out, "status", status.isin(["open", "lost"]) & order.eq(won_stage),
          lambda v: f"'{v}' conflicts with the stage '{stages['stage'].iloc[-1]}' (a won deal has status won)")
    flag_rows(found, out, "status", status.eq("open") & out["closed_date"].notna(),
          lambda v: f"'{v}' but the deal has a closed date; an open deal is not closed yet")
    for column in ("stage_entered", "expected_close", "closed_date"):
        flag_rows(found, out, column, out[column] < out["created"],
              lambda v, c=column: f"{_day(v)} is before the created date; {c.replace('_', ' ')} cannot come "
                                  f"before the deal was created")
    flag_rows(found, out, "stage_entered", out["stage_entered"] > out["closed_date"],
          lambda v: f"{_day(v)} is after the closed date")
    if as_of is not None:
        day = pd.Timestamp(as_of).normalize()
        # A snapshot exported later may hold deals created after the as-of date (left out) and deals closed
        # after it (open then); but an open deal known then that entered its stage after it was at an
        # unknown stage on that day: counting it at today's stage would be silently wrong.
        later = (out["created"] <= day) & status.eq("open") & (out["stage_entered"] > day)
        flag_rows(found, out, "stage_entered", later,
                  lambda v: f"{_day(v)} is after the as-of date {day:%Y-%m-%d}: the deal was open then, at a stage "
                            "this file cannot tell (correct the date, or give the --as-of the file was exported "
                            "on)")
    if reps is not None:
        known = set(reps["rep"].dropna())
        source = reps.attrs.get("source", "the reps file")
        flag_rows(found, out, "rep", out["rep"].notna() & ~out["rep"].isin(known), lambda v: f"'{visible(v)}' is not in {source}")
    if not found and not found.hidden:
        out["stage"] = stages["stage"].to_numpy()[order.astype(int).to_numpy() - 1]
        out["status"] = status
        closed = out["status"].ne("open")
        out["closed_date"] = out["closed_date"].where(~(closed & out["closed_date"].isna()), out["stage_entered"])
    report(found, problems)
    return out


# An unknown stage at this many deals or more is the stage table's problem (a stage missing from it, or
# named otherwise), reported once against the stage table rather than at every deal.
TABLE_BLAME = 3


def unknown_stages(found: Problems, frame: pd.DataFrame, stages: pd.DataFrame, unknown: pd.Series) -> None:
    """Stages of ``frame`` (opportunities, stage events) that the stage table lacks: a stage used by a few
    rows at each row; one used by ``TABLE_BLAME`` rows or more once, against the stage table."""
    names = ", ".join(stages["stage"])
    unknown = unknown.fillna(False).astype(bool)
    keys = frame["stage"].astype(str).str.strip().str.lower()
    counts = keys[unknown].value_counts()
    many = counts.index[counts >= TABLE_BLAME]
    flag_rows(found, frame, "stage", unknown & ~keys.isin(many),
              lambda v: f"'{visible(v)}' is not a stage of the stage table ({names})")
    table = stages.attrs.get("source")
    where = f"{table}" if table else "the default stage table"
    source = frame.attrs.get("source", "the file")
    for key in sorted(many, key=lambda k: keys.index[unknown & keys.eq(k)][0]):
        rows = frame.index[(unknown & keys.eq(key)).to_numpy()]
        shown = ", ".join(str(r) for r in rows[:5]) + (", …" if len(rows) > 5 else "")
        hint = ("add it to the stage table, or as another stage's alias" if table else
                "give your stage table with --stages FILE, or correct the stage names")
        found.append(f"{where}: stage '{visible(frame.at[rows[0], 'stage'])}' is not in the stage table ({names}), "
                     f"yet {len(rows):,} rows of {source} are at it (rows {shown}); {hint}")


def flag_rows(found: Problems, frame: pd.DataFrame, column: str, bad: pd.Series, say) -> None:
    """Word a problem at each row where ``bad`` holds (the first few; the rest are counted)."""
    bad = bad.fillna(False).astype(bool)
    rows = frame.index[bad.to_numpy()]
    for row in rows[: MAX_PROBLEMS + 1]:
        found.append(problem_at(frame, row, column, say(frame.at[row, column])))
    found.hidden += max(0, len(rows) - MAX_PROBLEMS - 1)


def _day(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def with_rep_details(opps: pd.DataFrame, reps: pd.DataFrame | None) -> pd.DataFrame:
    """Fill team and region of each deal from the reps file where the deal does not carry them."""
    out = opps.copy()
    for column in ("team", "region"):
        if column not in out:
            out[column] = None
        if reps is not None and column in reps:
            from_reps = out["rep"].map(reps.drop_duplicates("rep").set_index("rep")[column])
            out[column] = out[column].where(out[column].notna(), from_reps)
    return out

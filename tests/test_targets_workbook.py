"""The targets workbook recalculated by LibreOffice equals what Python computed, to the cent."""
from __future__ import annotations

import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from recalc import error_cells, recalculate

from xlsales.cli import main
from xlsales.sample import sample_company
from xlsales.workbooks.binding import find_table, read_table
from xlsales.workbooks.targets import (
    CHECKS, GRID, MEASURE_PLANS, MONTH_KEYS, OKMA, PACING, REGION_SUMMARY, RESPLIT, REVISIONS, read_monthly_targets,
    refresh_targets_workbook, targets_report,
)

CENT = 0.005


@pytest.fixture(scope="module")
def company():
    return sample_company(seed=11, reps=24, months=30)


@pytest.fixture(scope="module", params=["en", "zh"])
def built(request, company, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"targets-{request.param}") / "targets.xlsx"
    path, plan, pace = targets_report(company.orders, company.reps, out, lang=request.param, buffer=0.1)
    return path, plan, pace, recalculate(path)


def numbers(frame, column):
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def test_no_formula_shows_an_error(built):
    assert error_cells(built[3]) == []


def test_company_targets_and_checks(built):
    path, plan, pace, values = built
    plans = read_table(values, "MeasurePlans", MEASURE_PLANS)
    assert np.abs(numbers(plans, "company_target") - plan.company["company_target"].to_numpy()).max() < CENT
    assert np.abs(numbers(plans, "assigned_total") - plan.company["assigned_total"].to_numpy()).max() < CENT
    assert np.abs(numbers(plans, "last_year") - plan.company["last_year"].to_numpy()).max() < CENT
    checks = read_table(values, "Checks", CHECKS)
    assert len(checks) == 15 and set(checks["ok"]) == {"OK"}


def test_grid_and_region_summary_equal_python(built):
    path, plan, pace, values = built
    grid = read_table(values, "TargetGrid", GRID)
    assert np.abs(numbers(grid, "target") - plan.reps["target"].to_numpy()).max() < CENT
    assert np.abs(numbers(grid, "check")).max() < CENT
    regions = read_table(values, "RegionSummary", REGION_SUMMARY)
    monthly = plan.monthly.assign(q=plan.monthly["month"].dt.quarter)
    by_quarter = monthly.pivot_table(index=["measure", "region"], columns="q", values="target", aggfunc="sum")
    expected = by_quarter.reindex(pd.MultiIndex.from_frame(regions[["measure", "region"]]))
    for q in range(1, 5):
        assert np.abs(numbers(regions, f"q{q}") - expected[q].to_numpy()).max() < CENT
    assert np.abs(numbers(regions, "reps_total") - plan.regions["target"].to_numpy()).max() < CENT


def test_pacing_formulas_equal_python(built):
    path, plan, pace, values = built
    got = read_table(values, "Pacing", PACING)
    assert list(got["rep"]) == list(pace["rep"])
    for column, python in (("target", "target"), ("expected", "expected_to_date"), ("actual", "actual_to_date"),
                           ("gap", "gap"), ("run_rate", "run_rate"), ("daily_pace", "required_daily_pace")):
        assert np.abs(numbers(got, column) - pace[python].to_numpy()).max() < CENT, column
    has_target = pace["target"] > 0
    assert np.abs(numbers(got, "attainment")[has_target] - pace["attainment"][has_target]).max() < 1e-9
    zh = "销售额" in set(read_table(values, "MeasurePlans", MEASURE_PLANS)["label"])
    words = {"behind": ("Behind", "落后"), "on_pace": ("On pace", "正常"), "departed": ("Departed", "已离职")}
    assert got["status"].tolist() == [words[s][zh] for s in pace["status"]]
    # The sample has a rep who left during the plan year: departed, never on pace.
    assert "departed" in set(pace["status"])


def test_forecast_footing_on_the_assumptions_sheet(built):
    path, plan, pace, values = built
    plans = read_table(values, "MeasurePlans", MEASURE_PLANS)
    assert pd.to_datetime(plans["history_from"]).tolist() == plan.company["history_from"].tolist()
    assert pd.to_datetime(plans["history_to"]).tolist() == plan.company["history_to"].tolist()
    assert all("2025-01" in text and "2025-12" in text for text in plans["footing_label"])


def test_resplit_sheet_equals_python(built):
    from xlsales.core.decomposition import resplit_remaining

    path, plan, pace, values = built
    got = read_table(values, "Resplit", RESPLIT)
    assert set(got["ok"]) == {"OK"}
    revised = resplit_remaining(plan, pace.attrs["as_of"])
    totals = revised.groupby(["measure", "rep"], sort=False)["revised"].sum()
    expected = totals.reindex(pd.MultiIndex.from_frame(got[["measure", "rep"]]))
    assert np.abs(numbers(got, "total") - expected.to_numpy()).max() < CENT
    assert np.abs(numbers(got, "target") - plan.reps["target"].to_numpy()).max() < CENT


def test_okma_measurement_is_region_attainment(built):
    path, plan, pace, values = built
    okma = read_table(values, "OKMA", OKMA)
    sums = pace.groupby(["region", "measure"])[["actual_to_date", "target"]].sum()
    expected = (sums["actual_to_date"] / sums["target"]).reindex(pd.MultiIndex.from_frame(okma[["region", "measure"]]))
    assert np.abs(numbers(okma, "measurement") - expected.to_numpy()).max() < 1e-9


def test_monthly_targets_read_back(built):
    path, plan, pace, values = built
    back = read_monthly_targets(path)
    merged = back.merge(plan.monthly, on=["measure", "rep", "month"], suffixes=("", "_python"))
    assert len(merged) == len(plan.monthly)
    assert (merged["target"] == merged["target_python"]).all()


def test_sheets_protection_and_inputs(built):
    wb = openpyxl.load_workbook(built[0])
    ws, table = find_table(wb, "TargetGrid")
    assert ws.protection.sheet is True
    headers = [c.value for c in ws[3]]
    override_col = next(i for i, h in enumerate(headers, 1) if h in ("Override", "手工调整"))
    target_col = next(i for i, h in enumerate(headers, 1) if h in ("Target", "年度目标"))
    assert ws.cell(4, override_col).protection.locked is False
    assert ws.cell(4, target_col).protection.locked is True
    assumptions, _ = find_table(wb, "MeasurePlans")
    assert assumptions.protection.sheet is False


def test_override_re_splits_by_formula_then_refresh_re_phases(company, tmp_path):
    path, plan, pace = targets_report(company.orders, company.reps, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    ws, table = find_table(wb, "TargetGrid")
    headers = [c.value for c in ws[3]]
    col = {h: i for i, h in enumerate(headers, 1)}
    row = 4   # first rep, revenue
    rep, region = ws.cell(row, col["Rep"]).value, ws.cell(row, col["Region"]).value
    old = ws.cell(row, col["Suggested"]).value
    ws.cell(row, col["Override"]).value = old + 500_000
    ws.cell(row, col["Reason"]).value = "Key account moved in"
    for c in range(len(headers) + 1, 40):   # the user widens the table and adds a column of notes
        ws.cell(3, c).value = f"Blank{c}"
        table.tableColumns.append(type(table.tableColumns[0])(id=len(table.tableColumns) + 1, name=f"Blank{c}"))
    ws.cell(3, 40).value = "My notes"
    start, end = table.ref.split(":")
    table.ref = f"{start}:AN{openpyxl.utils.cell.coordinate_from_string(end)[1]}"
    ws.cell(row, 40).value = "call the CFO"
    table.tableColumns.append(type(table.tableColumns[0])(id=len(table.tableColumns) + 1, name="My notes"))
    wb.save(path)

    values = recalculate(path)
    grid = read_table(values, "TargetGrid", GRID)
    in_region = grid[(grid["measure"] == "revenue") & (grid["region"] == region)]
    region_target = plan.regions.set_index(["measure", "region"]).loc[("revenue", region), "target"]
    assert abs(numbers(in_region, "target").sum() - region_target) < CENT   # still ties out at once
    others = in_region[in_region["rep"] != rep]
    share = numbers(others, "suggested") / numbers(others, "suggested").sum()
    assert np.abs(numbers(others, "target") - share * (region_target - old - 500_000)).max() < CENT
    checks = read_table(values, "Checks", CHECKS)
    waiting = checks[checks["check"] == "Rows waiting for a refresh"]
    assert waiting["ok"].tolist()[0] == "CHECK"                              # months not yet re-phased

    refresh_targets_workbook(path, who="tester")
    values = recalculate(path)
    assert error_cells(values) == []
    assert set(read_table(values, "Checks", CHECKS)["ok"]) == {"OK"}
    grid = read_table(values, "TargetGrid", GRID).set_index(["measure", "rep"])
    assert grid.loc[("revenue", rep), "target"] == old + 500_000
    assert grid.loc[("revenue", rep), "My notes"] == "call the CFO"          # the user's column survived
    assert grid.loc[("revenue", rep), "reason"] == "Key account moved in"
    months = grid.loc[("revenue", rep), list(MONTH_KEYS)].astype(float).sum()
    assert months == old + 500_000
    log = read_table(values, "RevisionLog", REVISIONS)
    assert log[["who", "measure", "rep", "old", "new", "reason"]].values.tolist() == [
        ["tester", "revenue", rep, old, old + 500_000, "Key account moved in"]]
    refresh_targets_workbook(path, who="tester")                             # nothing new: no new line
    assert len(read_table(openpyxl.load_workbook(path), "RevisionLog", REVISIONS)) == 1


def test_cli_keeps_overrides_when_rebuilding(company, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    company.orders.to_csv(inputs / "orders.csv", index=False)
    company.reps.to_csv(inputs / "reps.csv", index=False)
    out = tmp_path / "t.xlsx"
    args = ["targets", "--orders", str(inputs / "orders.csv"), "--reps", str(inputs / "reps.csv"), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    ws, _ = find_table(wb, "TargetGrid")
    col = {c.value: i for i, c in enumerate(ws[3], 1)}
    ws.cell(5, col["Override"]).value = 1_000_000
    rep = ws.cell(5, col["Rep"]).value
    wb.save(out)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    grid = read_table(openpyxl.load_workbook(out), "TargetGrid", GRID).set_index(["measure", "rep"])
    assert grid.loc[("revenue", rep), "override"] == 1_000_000
    assert grid.loc[("revenue", rep), "suggested"] == 1_000_000


def test_bad_input_exits_2_and_writes_nothing(tmp_path):
    (tmp_path / "orders.csv").write_text("date,rep,amount\n2025-01-03,Ann,abc\n", encoding="utf-8")
    (tmp_path / "reps.csv").write_text("rep,region\nAnn,East\n", encoding="utf-8")
    out = tmp_path / "t.xlsx"
    result = CliRunner().invoke(main, ["targets", "--orders", str(tmp_path / "orders.csv"),
                                       "--reps", str(tmp_path / "reps.csv"), "--out", str(out)])
    assert result.exit_code == 2
    assert "orders.csv, row 2, column amount" in result.output
    assert not out.exists()


def test_text_that_looks_like_a_formula_stays_text(company, tmp_path):
    reps = company.reps.copy()
    orders = company.orders.copy()
    old = reps.loc[0, "rep"]
    reps.loc[0, "rep"] = '=HYPERLINK("http://evil","x")'
    orders.loc[orders["rep"] == old, "rep"] = reps.loc[0, "rep"]
    path, _, _ = targets_report(orders, reps, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    ws, _ = find_table(wb, "Reps")
    assert ws.cell(2, 1).value == '=HYPERLINK("http://evil","x")'
    assert ws.cell(2, 1).data_type == "s"


def test_refresh_of_a_copy_keeps_user_styles(company, tmp_path):
    path, _, _ = targets_report(company.orders, company.reps, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    ws, _ = find_table(wb, "TargetGrid")
    ws.cell(4, 1).font = openpyxl.styles.Font(color="FF0000", bold=True)
    wb.save(path)
    shutil.copy(path, tmp_path / "copy.xlsx")
    refresh_targets_workbook(tmp_path / "copy.xlsx")
    ws, _ = find_table(openpyxl.load_workbook(tmp_path / "copy.xlsx"), "TargetGrid")
    assert ws.cell(4, 1).font.bold and ws.cell(4, 1).font.color.rgb == "00FF0000"


def test_same_inputs_give_identical_files(company, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1782777600")
    first, _, _ = targets_report(company.orders, company.reps, tmp_path / "a" / "t.xlsx")
    second, _, _ = targets_report(company.orders, company.reps, tmp_path / "b" / "t.xlsx")
    assert first.read_bytes() == second.read_bytes()

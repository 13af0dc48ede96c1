"""The funnel workbook: LibreOffice recalculates every formula to Python's figures; refresh keeps the user's work."""
from __future__ import annotations

import math
import zipfile

import numpy as np
import openpyxl

from xlsales.glossary import term
import pandas as pd
import pytest
from openpyxl.styles import PatternFill
from openpyxl.utils import range_boundaries

from recalc import error_cells, recalculate
from xlsales.core.funnel_analysis import analyse_funnel
from xlsales.core.stages import default_stages
from xlsales.io.opportunities import with_rep_details
from xlsales.sample import sample_company
from xlsales.sample.opportunities import sample_opportunities
from xlsales.workbooks.binding import name_cell, read_table
from xlsales.workbooks.funnel import (
    DEALS, FORECAST, FUNNEL, HEADLINES, REPS, TABLES, TEAM_FORECAST, TEAMS, WATCH, build_template, funnel_report, watch_list,
    write_funnel_workbook,
)


def _targets(company):
    from xlsales.workbooks.targets import plan_from_orders

    plan, _ = plan_from_orders(company.orders, company.reps, as_of=company.as_of)
    return plan.monthly


@pytest.fixture(scope="module")
def company():
    return sample_company(seed=11, reps=10, months=20)


@pytest.fixture(scope="module")
def built(company, tmp_path_factory):
    folder = tmp_path_factory.mktemp("funnel")
    deals = with_rep_details(sample_opportunities(company), company.reps)
    as_of = company.as_of - pd.Timedelta(days=20)
    result = analyse_funnel(deals, default_stages(), as_of, _targets(company))
    path = write_funnel_workbook(result, folder / "funnel.xlsx")
    return result, path, recalculate(path, folder / "recalc")


def _blank(v):
    return np.nan if v is None or v == "" else v


def assert_same(got, expected, what, money=False):
    got = [_blank(v) for v in got]
    expected = list(expected)
    assert len(got) == len(expected), what
    for i, (g, e) in enumerate(zip(got, expected)):
        if e is None or (isinstance(e, float) and math.isnan(e)):
            assert isinstance(g, float) and math.isnan(g), f"{what}[{i}]: {g!r}, expected blank"
        elif money:
            assert abs(float(g) - float(e)) < 0.005, f"{what}[{i}]: {g} != {e}"
        else:
            assert float(g) == pytest.approx(float(e), rel=1e-9, abs=1e-9), f"{what}[{i}]: {g} != {e}"


def test_no_error_cells(built):
    _, _, wb = built
    assert error_cells(wb) == []


def test_deal_formulas_equal_python(built):
    result, _, wb = built
    table = read_table(wb, "Deals", DEALS).set_index("id")
    facts = result.deals.set_index("id").loc[table.index]
    assert len(table) == len(result.deals)
    for key in ("stage_no", "probability", "days_in_stage", "cycle_days"):
        assert_same(table[key], facts[key], key)
    assert_same(table["weighted"], facts["weighted"], "weighted", money=True)
    for flag in ("stale", "slipped", "not_credible"):
        assert_same(table[flag], facts[flag].astype(int), flag)
    assert facts["stale"].sum() > 0 and facts["slipped"].sum() > 0


def test_stage_funnel_equals_python(built):
    result, _, wb = built
    table = read_table(wb, "StageFunnel", FUNNEL)
    expected = result.by_stage
    assert table["stage"].tolist() == expected["stage"].tolist()
    for key in ("probability", "open_deals", "reached", "conversion", "norm", "vs_norm", "stale", "slipped"):
        assert_same(table[key], expected[key], key)
    for key in ("open_amount", "weighted"):
        assert_same(table[key], expected[key], key, money=True)


@pytest.mark.parametrize("name, fields, frame, key", [
    ("TeamFunnel", TEAMS, "by_team", "team"), ("RepFunnel", REPS, "by_rep", "rep")])
def test_group_tables_equal_python(built, name, fields, frame, key):
    result, _, wb = built
    table = read_table(wb, name, fields).set_index(key)
    expected = getattr(result, frame).set_index(key).loc[table.index]
    assert len(table) == len(expected)
    for column in ("open_deals", "won", "lost", "win_rate", "cycle_days", "stale", "slipped", "not_credible"):
        assert_same(table[column], expected[column], f"{name}.{column}")
    for column in ("open_amount", "weighted", "won_amount", "avg_deal", "velocity"):
        assert_same(table[column], expected[column], f"{name}.{column}", money=True)
    assert table["bottleneck"].tolist() == expected["bottleneck"].tolist()


def test_forecast_equals_python(built):
    result, _, wb = built
    table = read_table(wb, "RepForecast", FORECAST).set_index("rep")
    expected = result.forecast.set_index("rep").loc[table.index]
    assert expected["target"].notna().any() and (expected["gap"] > 0).any()
    for column in ("target", "closed", "gap", "pipeline", "weighted", "commit", "best_case", "forecast", "avg_deal"):
        assert_same(table[column], expected[column], column, money=True)
    for column in ("coverage", "win_rate", "deals_needed"):
        assert_same(table[column], expected[column], column)


def test_team_forecast_equals_python(built):
    result, _, wb = built
    table = read_table(wb, "TeamForecast", TEAM_FORECAST).set_index("team")
    expected = result.forecast_by_team.set_index("team").loc[table.index]
    assert len(table) == len(result.by_team) and expected["target"].notna().all()
    for column in ("target", "closed", "gap", "pipeline", "weighted", "commit", "best_case", "forecast", "avg_deal"):
        assert_same(table[column], expected[column], column, money=True)
    for column in ("coverage", "win_rate", "deals_needed"):
        assert_same(table[column], expected[column], column)
    assert expected["target"].sum() == pytest.approx(result.forecast["target"].sum())


def test_watch_list_holds_stale_and_slipped_deals(built):
    result, _, wb = built
    table = read_table(wb, "WatchList", WATCH).set_index("id")
    d = result.deals
    flagged = d[d["is_open"] & (d["stale"] | d["slipped"])].set_index("id")
    assert set(table.index) == set(flagged.index) and len(flagged) > 0
    assert table["amount"].is_monotonic_decreasing
    facts = flagged.loc[table.index]
    for key in ("days_in_stage", "pushes"):
        assert_same(table[key], facts[key], key)
    for flag in ("stale", "slipped", "not_credible"):
        assert_same(table[flag], facts[flag].astype(int), flag)
    limits = result.stages.set_index("stage")["stale_days"]
    assert_same(table["stale_limit"], limits.reindex(facts["stage"]).to_numpy(), "stale_limit")
    for deal_id, row in table.iterrows():
        assert ("days in" in row["reason"]) == bool(facts.loc[deal_id, "stale"])
        assert ("has passed" in row["reason"]) == bool(facts.loc[deal_id, "past_due"])
        assert ("pushed" in row["reason"]) == bool(facts.loc[deal_id, "pushes"] > 0)


def test_watch_list_reasons_by_hand():
    from test_funnel_core import AS_OF, hand_deals

    result = analyse_funnel(hand_deals(), default_stages(), AS_OF)
    en = watch_list(result, "en").set_index("id")["reason"].to_dict()
    assert en == {"E": "60 days in negotiation (limit 30); close date pushed 3× (not credible)",
                  "B": "expected close 2026-06-15 has passed; close date pushed 1×",
                  "A": "60 days in lead (limit 30)"}
    zh = watch_list(analyse_funnel(hand_deals().replace({"stage": {"lead": "线索", "proposal": "方案报价",
                                                                   "negotiation": "商务谈判", "won": "赢单",
                                                                   "needs analysis": "需求分析"}}),
                                   default_stages("zh"), AS_OF), "zh").set_index("id")["reason"]
    assert zh["E"] == "商务谈判阶段停留60天（上限30天）；改期3次（不可信）"
    assert zh["B"] == "预计成交日期2026-06-15已过；改期1次"


HEADLINE_METRICS = {
    "OpenDeals": "open_deals", "OpenPipeline": "open_pipeline", "WeightedPipeline": "weighted_pipeline",
    "WinRate": "win_rate", "AvgDeal": "avg_deal", "CycleDays": "cycle_days", "Velocity": "velocity",
    "StaleDeals": "stale_deals", "SlippedDeals": "slipped_deals", "NotCredible": "not_credible",
    "Target": "target", "Closed": "closed", "Gap": "gap", "PipelineDue": "pipeline_in_period",
    "Commit": "commit", "BestCase": "best_case", "ForecastTotal": "forecast", "Coverage": "coverage",
    "DealsNeeded": "deals_needed"}


def assert_headlines(result, wb):
    summary = result.summary.set_index("metric")["value"]
    for name, metric in HEADLINE_METRICS.items():
        assert_same([name_cell(wb, name).value], [summary[metric]], name)
    bottleneck = summary["bottleneck"]
    assert name_cell(wb, "Bottleneck").value == (bottleneck if isinstance(bottleneck, str) else None)


def test_headlines_equal_python(built):
    result, _, wb = built
    assert_headlines(result, wb)


@pytest.mark.parametrize("case", ["nothing yet", "only open deals", "target already met"])
def test_edge_cases_recalculate_without_errors(case, tmp_path):
    from test_funnel_core import AS_OF, hand_deals, hand_targets

    deals, as_of, targets = hand_deals(), AS_OF, hand_targets()
    if case == "nothing yet":
        as_of = "2025-01-01"
    elif case == "only open deals":
        deals = deals[deals["status"] == "open"]
    else:
        targets = targets.assign(target=10.0)
    result = analyse_funnel(deals, default_stages(), as_of, targets)
    path = write_funnel_workbook(result, tmp_path / "funnel.xlsx")
    values = recalculate(path, tmp_path / "recalc")
    assert error_cells(values) == []
    assert_headlines(result, values)
    forecast = read_table(values, "RepForecast", FORECAST).set_index("rep")
    if case == "target already met":
        assert forecast.loc["ann", "gap"] == 0 and pd.isna(_blank(forecast.loc["ann", "coverage"]))


def test_refresh_keeps_user_columns_inputs_and_one_chart(company, tmp_path):
    deals = with_rep_details(sample_opportunities(company), company.reps)
    path = tmp_path / "funnel.xlsx"
    first = analyse_funnel(deals, default_stages(), company.as_of - pd.Timedelta(days=60))
    write_funnel_workbook(first, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Deals"]
    table = ws.tables["Deals"]
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    ws.cell(min_row, max_col + 1, "My notes")
    ws.cell(min_row + 1, max_col + 1, "call back")
    noted_id = ws.cell(min_row + 1, min_col).value
    table.ref = f"A{min_row}:{openpyxl.utils.get_column_letter(max_col + 1)}{max_row}"
    ws.cell(min_row, 1).fill = PatternFill("solid", fgColor="00B050")
    forecast = wb["Forecast"]
    rep = forecast.cell(4, 1).value
    forecast.cell(4, 3, 123456)                               # a target typed by hand (no targets given)
    wb.save(path)

    second = analyse_funnel(deals, default_stages(), company.as_of)
    write_funnel_workbook(second, path)
    wb = openpyxl.load_workbook(path)
    notes = read_table(wb, "Deals", DEALS).set_index("id")["My notes"]
    assert notes.loc[noted_id] == "call back" and notes.notna().sum() == 1
    assert wb["Deals"].cell(3, 1).fill.fgColor.rgb.endswith("00B050")
    assert read_table(wb, "RepForecast", FORECAST).set_index("rep").loc[rep, "target"] == 123456
    assert len(wb["Funnel"]._charts) == 1
    rules = [r for cf in wb["Deals"].conditional_formatting for r in cf.rules]
    assert len(rules) == 2                                     # stale and slipped, not duplicated
    assert len(read_table(wb, "Deals", DEALS)) == len(second.deals)
    values = recalculate(path, tmp_path / "recalc")
    assert error_cells(values) == []
    assert name_cell(values, "Target").value == 123456          # the typed target feeds the totals


def test_chart_references_the_stage_funnel(built):
    _, path, _ = built
    wb = openpyxl.load_workbook(path)
    (chart,) = wb["Funnel"]._charts
    refs = [s.val.numRef.f for s in chart.series] + [s.cat.strRef.f if s.cat.strRef else s.cat.numRef.f
                                                     for s in chart.series]
    assert all(r.startswith("'Funnel'!") or r.startswith("Funnel!") for r in refs)
    table = wb["Funnel"].tables["StageFunnel"]
    assert refs[0].endswith(f"${table.ref.split(':')[1][1:]}")   # the data runs to the table's last row


def test_chinese_workbook(company, tmp_path):
    paths, summary = funnel_report(company, tmp_path, lang="zh", targets=_targets(company))
    wb = openpyxl.load_workbook(paths[0])
    assert wb.sheetnames == ["概览", "阶段", "漏斗", "团队", "销售代表", "预测", "团队预测", "经理预测", "关注商机", "风险商机", "商机"]
    deals = read_table(wb, "Deals", DEALS)
    assert set(deals["status"]) <= {"进行中", "赢单", "输单"}
    assert set(deals["stage"]) <= {"线索", "需求分析", "方案报价", "商务谈判", "赢单"}
    assert wb["商机"].cell(3, 1).value == "商机编号"
    values = recalculate(paths[0], tmp_path / "recalc")
    assert error_cells(values) == []
    s = summary.set_index("metric")["value"]
    assert_same([name_cell(values, "WeightedPipeline").value], [s["weighted_pipeline"]], "weighted", money=True)
    assert_same([name_cell(values, "DealsNeeded").value], [s["deals_needed"]], "deals needed")
    assert name_cell(values, "Bottleneck").value in {"线索", "需求分析", "方案报价", "商务谈判"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_structure_and_excel_limits(lang):
    wb = build_template(lang)
    tables = {name: ws for ws in wb.worksheets for name in ws.tables}
    assert set(tables) == set(TABLES)
    functions = {"FORECAST", "TREND", "RATE", "DAYS", "COUNT", "SUM", "GROWTH", "INDEX", "MATCH", "ROWS"}
    assert not {t.upper() for t in tables} & functions
    for name, _, _, _, _ in HEADLINES:
        assert name in wb.defined_names and " " not in name and name not in tables
        assert name.upper() not in functions
    for ws in wb.worksheets:
        boxes = [range_boundaries(t.ref) for t in ws.tables.values()]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1], f"overlap on {ws.title}"
    stages_sheet = tables["Stages"]
    assert not stages_sheet.protection.sheet
    assert all(ws.protection.sheet for ws in wb.worksheets if ws is not stages_sheet)
    forecast = tables["RepForecast"]
    assert forecast.cell(4, 3).protection.locked is False       # the target column takes input
    assert len(tables["StageFunnel"]._charts) == 1


def test_shipped_templates_match_build_template():
    from xlsales.workbook_templates import template_path

    for lang in ("en", "zh"):
        shipped = openpyxl.load_workbook(template_path("funnel", lang))
        built = build_template(lang)
        assert shipped.sheetnames == built.sheetnames
        assert {n for ws in shipped for n in ws.tables} == set(TABLES)
        for ws in built.worksheets:
            for name, table in ws.tables.items():
                header = [c.value for c in next(ws.iter_rows(min_row=3, max_row=3))]
                assert [c.value for c in next(shipped[ws.title].iter_rows(min_row=3, max_row=3))] == header


def test_refresh_from_the_recorded_input_files(tmp_path):
    """The ribbon's Refresh funnel: the workbook re-reads the files it was made from."""
    from click.testing import CliRunner

    from xlsales.cli import main
    from xlsales.excel.refresh import entry_point
    from xlsales.sample import sample_company
    from xlsales.sample.opportunities import sample_opportunities
    from xlsales.workbooks.binding import name_cell, open_workbook

    company = sample_company(seed=5, reps=12, months=30)
    opps = sample_opportunities(company)
    company.reps.to_csv(tmp_path / "reps.csv", index=False)
    opps.to_csv(tmp_path / "opportunities.csv", index=False)
    out = tmp_path / "funnel.xlsx"
    result = CliRunner().invoke(main, ["funnel", "--opportunities", str(tmp_path / "opportunities.csv"),
                                       "--reps", str(tmp_path / "reps.csv"), "--as-of", "2026-06-30",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    before = name_cell(open_workbook(out), "OpenDeals").value
    # A deal is lost after the workbook was made; the refresh must see it.
    first_open = opps.index[opps["status"] == "open"][0]
    opps.loc[first_open, "status"] = "lost"
    opps.loc[first_open, "closed_date"] = pd.Timestamp("2026-06-29")
    opps.to_csv(tmp_path / "opportunities.csv", index=False)
    entry_point("funnel")(out)
    values = recalculate(out)
    assert error_cells(values) == []
    open_now = int(values["Summary"][name_cell(values, "OpenDeals").coordinate].value)
    assert open_now == int(opps["status"].eq("open").sum())
    assert before.startswith("=")       # headline figures are formulas, not values


def _cell_value(v):
    return None if v is None or v == "" else v


# The week-over-week, risk, customers and forecast-call sheets are small sheets written cell by cell
# through openpyxl, which stores no results: they are computed on the first recalculation (left for later).
_UNCACHED_SHEETS = {term("sheet", f"funnel.{key}", "en")
                    for key in ("changes", "risk", "customers", "rep_customers", "calls")}


def test_cached_results_are_what_libreoffice_computes(built):
    """Every formula carries Python's value as its cached result, and LibreOffice computes the same."""
    _, path, recalculated = built
    cached = openpyxl.load_workbook(path, data_only=True)
    formulas = openpyxl.load_workbook(path)
    compared = uncached = 0
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                mine = _cell_value(cached[ws.title][cell.coordinate].value)
                theirs = _cell_value(recalculated[ws.title][cell.coordinate].value)
                if mine is None and ws.title in _UNCACHED_SHEETS:
                    uncached += 1
                    continue
                where = f"{ws.title}!{cell.coordinate} {cell.value}"
                if isinstance(theirs, (int, float)) and not isinstance(theirs, bool):
                    assert isinstance(mine, (int, float)), f"{where}: cached {mine!r}, LibreOffice {theirs!r}"
                    assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-6), where
                else:
                    assert mine == theirs, f"{where}: cached {mine!r}, LibreOffice {theirs!r}"
                compared += 1
    assert compared > 1000
    with zipfile.ZipFile(path) as z:        # a full recalculation on load only while some formula has no result
        assert f'fullCalcOnLoad="{int(uncached > 0)}"' in z.read("xl/workbook.xml").decode()

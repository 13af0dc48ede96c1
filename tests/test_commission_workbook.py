"""The commission workbook and command: LibreOffice recalculation equals Python to the cent; bad plans exit 2."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from recalc import error_cells, recalculate

from xlsales.cli import main
from xlsales.core.commission_plan import Award, Draw, Measure, Plan, Tier
from xlsales.io.plan import load_plan
from xlsales.sample import sample_company
from xlsales.workbooks.binding import name_cell, read_table
from xlsales.workbooks.commission import (MEASURE_PAYOUTS, REP_PAYOUTS, TIER_WORKING, build_template,
                                          commission_report, run_commission, write_commission_workbook)

ROOT = Path(__file__).resolve().parents[1]
BAD_PLANS = sorted((ROOT / "tests" / "bad_plans").glob("*.yaml"))


@pytest.fixture(scope="module")
def company():
    return sample_company(reps=12, months=30)


@pytest.fixture(scope="module")
def quotas(company):
    """Monthly quotas for 2026 that put reps on both sides of every tier, gate and accelerator."""
    months = pd.date_range("2026-01-01", periods=12, freq="MS")
    reps = company.reps["rep"].tolist()
    level = {rep: (400_000, 800_000, 1_500_000, 2_500_000, 5_000_000)[i % 5] for i, rep in enumerate(reps)}
    # the first rep carries a heavy quota before June: ahead in June, behind year to date
    heavy = {rep: 5.0 if i == 0 else 1.0 for i, rep in enumerate(reps)}
    rows = [(m, rep, month, level[rep] * (1.0 if m == "revenue" else 0.8) * (heavy[rep] if month.month < 6 else 1))
            for m in ("revenue", "collections") for rep in reps for month in months]
    return pd.DataFrame(rows, columns=["measure", "rep", "month", "target"]).assign(region="", team="")


def _tricky_company(company):
    """The sample with a return, a mid-month hire and a rep who left mid-month."""
    orders = company.orders.copy()
    first = orders[orders["date"].dt.strftime("%Y-%m") == "2026-06"].index[0]
    orders.loc[first, "amount"] = -23_456.78
    reps = company.reps.copy()
    reps.loc[reps.index[1], "hire_date"] = pd.Timestamp("2026-06-11")
    reps["leave_date"] = pd.NaT
    reps.loc[reps.index[2], "leave_date"] = pd.Timestamp("2026-06-20")
    reps["active"] = True
    return type("Company", (), {"orders": orders, "reps": reps})


def _recalculated_matches(path, result, tmp_path):
    wb = recalculate(path, tmp_path / "recalc")
    assert error_cells(wb) == []
    period = result.period(int(result.payouts["pno"].max()))
    reps = read_table(wb, "RepPayouts", REP_PAYOUTS).set_index("rep")
    python = period.payouts.set_index("rep")
    for column in ("commission", "plan_cap_adj", "clawbacks", "awards", "earned", "draw_topup", "draw_recovery",
                   "payout", "draw_close"):
        got = reps[column].astype(float)
        assert (got.round(2) == python.loc[got.index, column].round(2)).all(), column
    assert set(reps["check"]) == {"OK"}
    measures = read_table(wb, "MeasurePayouts", MEASURE_PAYOUTS).set_index(["rep", "measure"])
    expected = period.measures.assign(rep=lambda f: f["rep"].astype(str), measure=lambda f: f["measure"].astype(str)
                                      ).set_index(["rep", "measure"])
    for column in ("tier_pay", "accelerator", "gate", "weighted", "cap_adj", "clawback", "net"):
        got = measures[column].astype(float).round(2)
        assert (got == expected.loc[got.index, column].round(2)).all(), column
    assert name_cell(wb, "TotalCheck").value == "OK"
    assert name_cell(wb, "TotalPayout").value == pytest.approx(period.payouts["payout"].sum(), abs=0.005)
    return wb


def test_workbook_recalculates_to_python_payouts(company, quotas, tmp_path):
    plan = load_plan(ROOT / "examples" / "plans" / "plan.en.yaml")
    tricky = _tricky_company(company)
    result = run_commission(plan, tricky.orders, tricky.reps, "2026-06", quotas)
    kinds = set(result.period(2026 * 12 + 5).lines["kind"])
    # the sample exercises every kind of line
    assert {"tier", "gate", "weight", "clawback", "award", "draw", "proration", "accelerator_gate"} <= kinds
    path = write_commission_workbook(result, tmp_path / "commission.xlsx", "en")
    wb = _recalculated_matches(path, result, tmp_path)
    statement = [ws for ws in wb.worksheets if ws.title.startswith("ST ")]
    assert len(statement) == len(company.reps)
    texts = [c for ws in statement for row in ws.iter_rows(values_only=True) for c in row if c in ("OK", "CHECK")]
    assert set(texts) == {"OK"}


def _set_in_table(ws, table_name, key_header, key, header, value):
    from openpyxl.utils import range_boundaries
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables[table_name].ref)
    headers = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
    key_col, col = min_col + headers.index(key_header), min_col + headers.index(header)
    row = next(r for r in range(min_row + 1, max_row + 1) if ws.cell(r, key_col).value == key)
    assert ws.cell(row, col).protection.locked is False  # a plan input the user may edit
    ws.cell(row, col).value = value


def test_editing_a_rate_and_a_bound_moves_every_payout_clawback_and_base_rate(company, quotas, tmp_path):
    """Tier 1's rate is also the clawback rate and the accelerator base rate: after the edit and a
    LibreOffice recalculation, every payout, clawback, base rate and statement line equals the engine's
    under the edited plan. (No draw: an opening draw balance is carried from earlier periods as a value.)"""
    import dataclasses
    plan = dataclasses.replace(load_plan(ROOT / "examples" / "plans" / "plan.en.yaml"), draw=None)
    tricky = _tricky_company(company)
    before = run_commission(plan, tricky.orders, tricky.reps, "2026-06", quotas)
    path = write_commission_workbook(before, tmp_path / "edit.xlsx", "en")
    wb = openpyxl.load_workbook(path)
    _set_in_table(wb["Plan"], "Tiers", "Tier key", "revenue#1", "Rate", 0.045)
    _set_in_table(wb["Plan"], "Tiers", "Tier key", "revenue#3", "Lower bound", 1.1)
    _set_in_table(wb["Plan"], "Measures", "Measure", "collections", "Weight", 0.3)  # unchanged, but editable
    assert wb["Plan"].cell(6, 2).protection.locked is False  # PlanCap
    wb.save(path)
    revenue = plan.measure("revenue")
    edited_tiers = (Tier(0, 0.045), revenue.tiers[1], Tier(1.1, revenue.tiers[2].rate))
    edited = dataclasses.replace(plan, measures=(dataclasses.replace(revenue, tiers=edited_tiers),
                                                 plan.measure("collections")))
    after = run_commission(edited, tricky.orders, tricky.reps, "2026-06", quotas)
    june = after.period(2026 * 12 + 5)
    assert (june.payouts["payout"] != before.period(2026 * 12 + 5).payouts["payout"]).sum() >= 6
    assert (june.measures["clawback"] < 0).any() and (june.measures["accelerator"] < 0).any()
    wb = recalculate(path, tmp_path / "recalc")
    assert error_cells(wb) == []
    got = read_table(wb, "RepPayouts", REP_PAYOUTS).set_index("rep")
    python = june.payouts.set_index("rep")
    for column in ("commission", "plan_cap_adj", "clawbacks", "awards", "payout"):
        assert (got[column].astype(float).round(2) == python.loc[got.index, column].round(2)).all(), column
    measures = read_table(wb, "MeasurePayouts", MEASURE_PAYOUTS).set_index(["rep", "measure"])
    expected = june.measures.assign(rep=lambda f: f["rep"].astype(str), measure=lambda f: f["measure"].astype(str)
                                    ).set_index(["rep", "measure"])
    for column in ("tier_pay", "accelerator", "clawback", "net"):
        assert (measures[column].astype(float).round(2) == expected.loc[measures.index, column].round(2)).all(), column
    from xlsales.workbooks.commission import MEASURES
    rates = read_table(wb, "Measures", MEASURES).set_index("measure")
    assert rates.loc["revenue", "base_rate"] == pytest.approx(0.045)
    assert rates.loc["revenue", "first_rate"] == pytest.approx(0.045)
    # the statement lines follow the working: they still add up to the (new) payouts
    assert name_cell(wb, "TotalLines").value == pytest.approx(june.payouts["payout"].sum(), abs=0.005)
    assert name_cell(wb, "TotalPayout").value == pytest.approx(june.payouts["payout"].sum(), abs=0.005)
    statements = [ws for ws in wb.worksheets if ws.title.startswith("ST ")]
    checks = [c for ws in statements for row in ws.iter_rows(values_only=True) for c in row if c in ("OK", "CHECK")]
    assert checks and set(checks) == {"OK"}
    links = [c.hyperlink for ws in openpyxl.load_workbook(path).worksheets if ws.title.startswith("ST ")
             for row in ws.iter_rows() for c in row if c.hyperlink]
    assert links and all(h.location or h.target for h in links)


def test_marginal_tiers_are_slice_formulas_not_a_top_rate(company, quotas, tmp_path):
    plan = load_plan(ROOT / "examples" / "plans" / "plan.en.yaml")
    result = run_commission(plan, company.orders, company.reps, "2026-06", quotas)
    path = write_commission_workbook(result, tmp_path / "c.xlsx", "en")
    wb = openpyxl.load_workbook(path)
    working = read_table(wb, "TierWorking", TIER_WORKING)
    formula = working["in_tier"].iloc[0]
    assert "MAX(0,IF(" in formula and "MIN(" in formula
    assert working["payout"].iloc[0].startswith("=ROUND(")


def test_zh_workbook_with_caps_quarter_plan_and_each_ties(company, tmp_path):
    plan = Plan(measures=(Measure("revenue", (Tier(0, 0.02), Tier(300_000, 0.04), Tier(600_000, 0.06)),
                                  weight=0.8, basis="amount", mode="retro", cap=30_000, quota_source="fixed",
                                  quota_amount=2_000_000, gate=0.5),
                          Measure("collections", (Tier(0, 0.01), Tier(1.0, 0.02)), weight=0.2, quota_source="fixed",
                                  quota_amount=250_000)),
                period="quarter", cap=25_000, awards=(Award("star", "季度之星", 3000, "collections", tie="each"),),
                draw=Draw(9_000, False))
    result = run_commission(plan, company.orders, company.reps, "2026-Q2")
    path = write_commission_workbook(result, tmp_path / "q.xlsx", "zh")
    _recalculated_matches(path, result, tmp_path)


def test_refresh_in_place_keeps_user_columns(company, quotas, tmp_path):
    plan = load_plan(ROOT / "examples" / "plans" / "plan.en.yaml")
    result = run_commission(plan, company.orders, company.reps, "2026-05", quotas)
    path = write_commission_workbook(result, tmp_path / "c.xlsx", "en")
    wb = openpyxl.load_workbook(path)
    ws = wb["Payouts"]
    table = ws.tables["RepPayouts"]
    from openpyxl.utils import range_boundaries
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    # the user adds a "Paid on" column to the right of the table and types a note for the first rep
    ws.cell(min_row, max_col + 1, "Approved by")
    first_rep = ws.cell(min_row + 1, min_col).value
    ws.cell(min_row + 1, max_col + 1, "Ms Wang")
    from openpyxl.utils import get_column_letter
    table.ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col + 1)}{max_row}"
    wb.save(path)
    result = run_commission(plan, company.orders, company.reps, "2026-06", quotas)
    write_commission_workbook(result, path, "en")
    again = read_table(openpyxl.load_workbook(path), "RepPayouts", REP_PAYOUTS).set_index("rep")
    assert again.loc[first_rep, "Approved by"] == "Ms Wang"


def test_commission_report_for_the_demo(company, quotas, tmp_path):
    plan = load_plan(ROOT / "examples" / "plans" / "plan.zh.yaml")
    paths, summary = commission_report(company, plan, quotas, "2026-06", tmp_path, lang="zh")
    assert paths[0].name == "commission_2026-06.xlsx" and paths[0].exists()
    assert len(paths) == 1 + len(company.reps)
    assert list(summary["payout"]) == sorted(summary["payout"], reverse=True)
    one = openpyxl.load_workbook(paths[1]).active
    values = [row for row in one.iter_rows(values_only=True)]
    assert any(isinstance(v, str) and v.startswith("=ROUND(SUM(") for row in values for v in row)


def test_templates_in_both_languages_have_the_tables():
    for lang in ("en", "zh"):
        wb = build_template(lang)
        names = {t for ws in wb.worksheets for t in ws.tables}
        assert {"Measures", "Tiers", "Actuals", "TierWorking", "MeasurePayouts", "RepPayouts", "Awards",
                "StatementLines"} <= names
        assert all(ws.protection.sheet for ws in wb.worksheets)


# ------------------------------------------------------------------ the command


@pytest.fixture(scope="module")
def files(company, quotas, tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    company.orders.to_csv(folder / "orders.csv", index=False)
    company.reps.to_csv(folder / "reps.csv", index=False)
    q = quotas.assign(period=quotas["month"].dt.strftime("%Y-%m"), quota=quotas["target"])[
        ["rep", "measure", "period", "quota"]]
    q.to_csv(folder / "quotas.csv", index=False)
    return folder


def test_command_writes_workbook_and_statements(files, tmp_path):
    out = tmp_path / "commission.xlsx"
    result = CliRunner().invoke(main, [
        "commission", "--plan", str(ROOT / "examples/plans/plan.en.yaml"), "--orders", str(files / "orders.csv"),
        "--reps", str(files / "reps.csv"), "--quotas", str(files / "quotas.csv"), "--period", "2026-06",
        "--out", str(out), "--statements", str(tmp_path / "st")])
    assert result.exit_code == 0, result.output
    assert out.exists() and len(list((tmp_path / "st").glob("statement_*_2026-06.xlsx"))) == 12
    assert "Total" in result.output


@pytest.mark.parametrize("bad", BAD_PLANS, ids=[p.stem for p in BAD_PLANS])
def test_bad_plans_exit_2_with_a_clear_message_and_write_nothing(bad, files, tmp_path):
    out = tmp_path / "commission.xlsx"
    result = CliRunner().invoke(main, [
        "commission", "--plan", str(bad), "--orders", str(files / "orders.csv"), "--reps", str(files / "reps.csv"),
        "--quotas", str(files / "quotas.csv"), "--period", "2026-06", "--out", str(out)])
    assert result.exit_code == 2
    assert bad.name in result.output
    assert not out.exists()


EXPECTED_MESSAGES = {
    "tiers_not_ascending": "measures.revenue.tiers[3].bound: 1 is not above the bound before it (1.2)",
    "first_bound_not_zero": "measures.revenue.tiers[1].bound: the first lower bound must be 0",
    "weights_not_one": "measures: weights must add up to 1 (100%): revenue 0.7 + collections 0.2 = 0.9",
    "unknown_measure": "measures.profit: unknown measure 'profit'",
    "negative_rate": "measures.revenue.tiers[2].rate: a rate cannot be negative",
    "misspelled_setting": "measures.revenue.mdoe: is not a plan setting",
    "award_unknown_measure": "awards[1].measure: unknown measure 'collections'",
}


@pytest.mark.parametrize("stem,message", EXPECTED_MESSAGES.items())
def test_bad_plan_messages_name_the_yaml_path(stem, message):
    from xlsales.errors import InputFileError
    with pytest.raises(InputFileError) as error:
        load_plan(ROOT / "tests" / "bad_plans" / f"{stem}.yaml")
    assert f"{stem}.yaml, {message}" in str(error.value)


def test_period_outside_the_plan_year_and_missing_quotas_exit_2(files, tmp_path):
    args = ["commission", "--plan", str(ROOT / "examples/plans/plan.en.yaml"), "--orders", str(files / "orders.csv"),
            "--reps", str(files / "reps.csv"), "--out", str(tmp_path / "c.xlsx")]
    outside = CliRunner().invoke(main, args + ["--quotas", str(files / "quotas.csv"), "--period", "2025-06"])
    assert outside.exit_code == 2 and "not in the plan year 2026" in outside.output
    missing = CliRunner().invoke(main, args + ["--period", "2026-06"])
    assert missing.exit_code == 2 and "--targets" in missing.output
    assert not (tmp_path / "c.xlsx").exists()


def test_shipped_example_plans_are_the_documented_ones():
    from xlsales.io.plan import example_plan, example_plan_path
    for lang in ("en", "zh"):
        assert example_plan_path(lang).read_text(encoding="utf-8") == \
            (ROOT / "examples" / "plans" / f"plan.{lang}.yaml").read_text(encoding="utf-8")
        plan = example_plan(lang)
        assert [m.key for m in plan.measures] == ["revenue", "collections"]
        assert sum(m.weight for m in plan.measures) == pytest.approx(1)


def test_command_with_a_clawback_list(files, company, tmp_path):
    rep = company.reps["rep"].iloc[3]
    pd.DataFrame({"销售代表": [rep], "日期": ["2026-06-10"], "金额": [50_000], "原因": ["客户退货"]}).to_csv(
        tmp_path / "clawbacks.csv", index=False)
    args = ["commission", "--plan", str(ROOT / "examples/plans/plan.en.yaml"), "--orders", str(files / "orders.csv"),
            "--reps", str(files / "reps.csv"), "--quotas", str(files / "quotas.csv"), "--period", "2026-06"]
    plain = CliRunner().invoke(main, args + ["--out", str(tmp_path / "a.xlsx")])
    clawed = CliRunner().invoke(main, args + ["--out", str(tmp_path / "b.xlsx"), "--clawbacks",
                                               str(tmp_path / "clawbacks.csv")])
    assert plain.exit_code == 0 and clawed.exit_code == 0, clawed.output
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    lines = read_table(wb, "StatementLines", __import__("xlsales.workbooks.commission", fromlist=["LINES"]).LINES)
    mine = lines[(lines["rep"] == rep) & (lines["item"] == "Clawback")]
    # the line's amount is the MeasurePayouts clawback cell (a formula); its working is -50 000 × 3% × 70%
    assert mine["base"].tolist() == [-50_000] and mine["rate"].round(6).tolist() == [0.021]
    assert mine["amount"].iloc[0].startswith("=ROUND(SUMIFS(") and "Payouts" in mine["amount"].iloc[0]
    pd.DataFrame({"rep": [rep], "date": ["2026-06-10"], "amount": [1], "measure": ["profit"]}).to_csv(
        tmp_path / "bad.csv", index=False)
    bad = CliRunner().invoke(main, args + ["--out", str(tmp_path / "c.xlsx"), "--clawbacks", str(tmp_path / "bad.csv")])
    assert bad.exit_code == 2 and "bad.csv, row 2, column measure" in bad.output
    assert not (tmp_path / "c.xlsx").exists()


def test_refresh_rereads_the_recorded_input_files(files, company, tmp_path):
    from xlsales.workbooks.commission import refresh_workbook
    out = tmp_path / "c.xlsx"
    quotas = tmp_path / "quotas.csv"
    quotas.write_bytes((files / "quotas.csv").read_bytes())
    result = CliRunner().invoke(main, [
        "commission", "--plan", str(ROOT / "examples/plans/plan.zh.yaml"), "--orders", str(files / "orders.csv"),
        "--reps", str(files / "reps.csv"), "--quotas", str(quotas), "--period", "2026-06", "--out", str(out),
        "--lang", "zh"])
    assert result.exit_code == 0, result.output
    before = read_table(openpyxl.load_workbook(out), "RepPayouts", REP_PAYOUTS).set_index("rep")["expected"]
    # the quotas change: every quota doubles; Refresh picks it up
    frame = pd.read_csv(quotas)
    frame.assign(quota=frame["quota"] * 2).to_csv(quotas, index=False)
    refresh_workbook(out)
    wb = openpyxl.load_workbook(out)
    assert "方案" in wb.sheetnames
    after = read_table(wb, "RepPayouts", REP_PAYOUTS).set_index("rep")["expected"]
    assert (after != before).any()
    # recorded relative to the workbook, the absolute path beside it as the fallback
    assert name_cell(wb, "SourceQuotas").value == "quotas.csv"
    assert name_cell(wb, "SourceQuotas").offset(0, 1).value == str(quotas.resolve())


def test_on_target_earnings_and_a_decelerator_by_hand_and_in_libreoffice(tmp_path):
    """OTE 180 000 a year on a 120 000 base: 5 000 a month at 100 % of quota. Tiers are multiples of the
    rate at quota: 0.5× below 50 % (a decelerator), 1× to 100 %, 1.5× above. 100 % pays
    0.5 × 0.5 + 0.5 × 1 = 0.75 rate × quota, so the rate at quota is 5 000 ÷ (100 000 × 0.75) = 6.6667 %.
    120 000 pays 50 000 × 3.3333 % + 50 000 × 6.6667 % + 20 000 × 10 % = 1 666.67 + 3 333.33 + 2 000.00."""
    from xlsales.io.plan import plan_from_dict
    plan = plan_from_dict({"name": "OTE plan", "year": 2026, "ote": {"annual": 180_000, "base_salary": 120_000},
                           "measures": {"revenue": {"quota": 100_000, "tiers": [[0, 0.5], [0.5, 1.0], [1.0, 1.5]]}}})
    assert plan.target_incentive == 5_000 and plan.measure("revenue").ote_factor == 0.75
    assert plan.measure("revenue").tier_kinds() == ["decelerator", "", "accelerator"]
    reps = pd.DataFrame({"rep": ["A", "B", "C"], "region": ["E"] * 3})
    orders = pd.DataFrame({"date": pd.to_datetime(["2026-03-02"] * 3), "rep": ["A", "B", "C"],
                           "amount": [120_000.0, 30_000.0, 100_000.0]})
    result = run_commission(plan, orders, reps, "2026-03")
    march = result.period(2026 * 12 + 2)
    assert march.payouts.set_index("rep")["payout"].to_dict() == {"A": 7_000.00, "B": 1_000.00, "C": 5_000.00}
    lines = march.lines[(march.lines["rep"] == "A") & (march.lines["kind"] == "tier")]
    assert lines["amount"].tolist() == [1_666.67, 3_333.33, 2_000.00]
    from xlsales.workbooks.statements import describe
    words = describe(lines, plan)["description"].tolist()
    assert words[0].startswith("Revenue tier 1 (decelerator, 0.00–50,000.00): 50,000.00 × 3.33333%")
    assert "accelerator" in words[2]
    path = write_commission_workbook(result, tmp_path / "ote.xlsx", "en")
    wb = _recalculated_matches(path, result, tmp_path)
    working = read_table(wb, "TierWorking", TIER_WORKING)
    kinds = working[working["rep"] == "A"]["tier_kind"].tolist()
    assert kinds[0] == "Decelerator" and not isinstance(kinds[1], str) or kinds[1] == "" and kinds[2] == "Accelerator"
    assert kinds[2] == "Accelerator"

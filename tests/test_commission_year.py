"""Commission through a plan year: split credit and credit notes, closed periods and prior-period
adjustments, quota relief, collections by collection date. Hand-worked figures, to the cent."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from xlsales.cli import main
from xlsales.core.commission_credits import credited_orders
from xlsales.core.commission_plan import Measure, Plan, Tier
from xlsales.workbooks.binding import read_table
from xlsales.workbooks.commission import REP_PAYOUTS, run_commission

# Revenue only, tiers in money: 5% up to 10 000, 10% above; a fixed quota of 100 000 a month.
PLAN = Plan(measures=(Measure("revenue", (Tier(0, 0.05), Tier(10_000, 0.10)), basis="amount",
                              quota_source="fixed", quota_amount=100_000),), name="Test plan")
PLAN_YAML = """\
name: Test plan
year: 2026
period: month
measures:
  revenue:
    quota: 100000
    basis: amount
    tiers: [[0, 5%], [10000, 10%]]
"""
REPS = pd.DataFrame({"rep": ["A", "B", "C"], "region": ["East"] * 3, "team": ["t1"] * 3})


def _orders():
    return pd.DataFrame({
        "date": pd.to_datetime(["2026-03-05", "2026-03-10", "2026-04-10", "2026-04-12"]),
        "rep": ["A", "B", "C", "A"],
        "amount": [12_000.0, 8_000.0, -5_000.0, 15_000.0],
        "order_id": ["O1", "O2", "N1", "O4"],
        "reverses": [None, None, "O1", None],
    })


CREDITS = pd.DataFrame({"order_id": ["O1", "O1"], "rep": ["A", "B"], "share": [0.6, 0.4]})


def _payout(result, rep, period):
    p = result.payouts
    return float(p[(p["rep"] == rep) & (p["period"] == period)]["payout"].iloc[0])


def test_split_credit_in_cents_adds_up_to_the_order():
    orders = pd.DataFrame({"date": pd.to_datetime(["2026-01-02"]), "rep": ["A"], "amount": [1_000.01],
                           "collected": [0.02], "order_id": ["X"]})
    credits = pd.DataFrame({"order_id": ["X"] * 3, "rep": ["A", "B", "C"], "share": [1 / 3] * 3})
    out = credited_orders(orders, credits)
    assert out["rep"].tolist() == ["A", "B", "C"]
    assert out["amount"].tolist() == [333.34, 333.34, 333.33]  # 100 001 cents: two extra cents to the first
    assert out["collected"].tolist() == [0.01, 0.01, 0.0]


def test_split_credit_and_a_credit_note_by_hand():
    result = run_commission(PLAN, _orders(), REPS, "2026-04", credits=CREDITS)
    # March: O1 12 000 is 7 200 for A (60%) and 4 800 for B (40%); B also has O2 8 000.
    # A: 7 200 × 5% = 360.00. B: 12 800 → 10 000 × 5% + 2 800 × 10% = 780.00.
    assert _payout(result, "A", "2026-03") == 360.00
    assert _payout(result, "B", "2026-03") == 780.00
    # April: credit note N1 −5 000 reverses O1, credited like O1 (A −3 000, B −2 000), not to C whom
    # the note names. Taken back at the rate each was paid in March: A 360 / 7 200 = 5% → −150.00;
    # B 780 / 12 800 = 6.09375% → −121.875 → −121.88. A's April order O4 15 000 pays 500 + 500.
    assert _payout(result, "A", "2026-04") == 1_000.00 - 150.00
    assert _payout(result, "B", "2026-04") == -121.88
    assert _payout(result, "C", "2026-04") == 0.0
    lines = result.lines[(result.lines["kind"] == "credit_note") & (result.lines["period"] == "2026-04")]
    by_rep = lines.set_index(lines["rep"].astype(str))
    assert by_rep.loc["B", "amount"] == -121.88 and by_rep.loc["B", "base"] == -2_000
    assert by_rep.loc["B", "rate"] == pytest.approx(780 / 12_800)
    assert by_rep.loc["A", "note"] == "O1 (2026-03)"
    # the statement lines add up to each payout
    sums = result.lines.groupby(["rep", "period"], observed=True)["amount"].sum().round(2)
    payouts = result.payouts.set_index(["rep", "period"])["payout"]
    assert (sums == payouts.loc[sums.index]).all()


def test_a_credit_note_never_raises_a_payout():
    """A retro plan: netting the note into April's achievement would drop a rep below a tier; the
    credit note is a take-back at the rate paid, never a change of tier that could raise anything."""
    without = run_commission(PLAN, _orders()[lambda f: f["order_id"] != "N1"], REPS, "2026-04", credits=CREDITS)
    with_note = run_commission(PLAN, _orders(), REPS, "2026-04", credits=CREDITS)
    a, b = without.payouts.set_index(["rep", "period"]), with_note.payouts.set_index(["rep", "period"])
    assert (b["payout"] <= a["payout"] + 1e-9).all()


# ------------------------------------------------------------------ through the command line


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "plan.yaml").write_text(PLAN_YAML, encoding="utf-8")
    orders = _orders().rename(columns={"date": "日期", "rep": "销售代表", "amount": "金额", "order_id": "订单编号",
                                       "reverses": "冲销订单"})
    orders.to_csv(tmp_path / "orders.csv", index=False)
    REPS.to_csv(tmp_path / "reps.csv", index=False)
    pd.DataFrame({"订单编号": ["O1", "O1"], "销售代表": ["A", "B"], "分成比例": ["60%", "40%"]}).to_csv(
        tmp_path / "credits.csv", index=False)
    return tmp_path


def _run(folder, *extra):
    return CliRunner().invoke(main, ["commission", "--plan", str(folder / "plan.yaml"), "--orders",
                                     str(folder / "orders.csv"), "--reps", str(folder / "reps.csv"), *extra])


def test_command_with_credits_pays_the_hand_worked_figures(folder):
    out = folder / "c.xlsx"
    result = _run(folder, "--credits", str(folder / "credits.csv"), "--period", "2026-04", "--out", str(out))
    assert result.exit_code == 0, result.output
    payouts = read_table(openpyxl.load_workbook(out), "RepPayouts", REP_PAYOUTS).set_index("rep")
    assert payouts.loc["A", "expected"] == 850.00 and payouts.loc["B", "expected"] == -121.88


@pytest.mark.parametrize("rows, message", [
    ({"订单编号": ["O1", "O1"], "销售代表": ["A", "B"], "分成比例": ["60%", "30%"]},
     "credits.csv, rows 2, 3, column 分成比例: the shares of order 'O1' add up to 90%, not 100%"),
    ({"订单编号": ["O1", "O9"], "销售代表": ["A", "B"], "比例": [1, 1]},
     "credits.csv, row 3, column 订单编号: order 'O9' is not in orders.csv"),
    ({"order_id": ["O1"], "rep": ["Z"], "share": [1]}, "credits.csv, row 2, column rep: 'Z' is not in reps.csv"),
    ({"order_id": ["O1", "O1"], "rep": ["A", "B"], "share": ["0.6", "abc"]},
     "credits.csv, row 3, column share: 'abc' is not a share"),
])
def test_bad_credits_exit_2_naming_file_row_and_column(folder, rows, message):
    pd.DataFrame(rows).to_csv(folder / "credits.csv", index=False)
    out = folder / "c.xlsx"
    result = _run(folder, "--credits", str(folder / "credits.csv"), "--period", "2026-04", "--out", str(out))
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize("change, message", [
    (lambda f: f.assign(金额=f["金额"].where(f["订单编号"] != "N1", 5_000.0)),
     "orders.csv, row 4, column 金额: a credit note (it reverses 'O1') must be a negative amount"),
    (lambda f: f.assign(冲销订单=f["冲销订单"].where(f["订单编号"] != "N1", "O7")),
     "orders.csv, row 4, column 冲销订单: order 'O7' is not in the file"),
    (lambda f: f.assign(金额=f["金额"].where(f["订单编号"] != "N1", -12_000.01)),
     "orders.csv, row 4, column 金额: credit notes reverse 12,000.01 of order 'O1', which was 12,000.00"),
])
def test_bad_credit_notes_exit_2(folder, change, message):
    change(pd.read_csv(folder / "orders.csv")).to_csv(folder / "orders.csv", index=False)
    result = _run(folder, "--period", "2026-04", "--out", str(folder / "c.xlsx"))
    assert result.exit_code == 2 and message in result.output, result.output


# ------------------------------------------------------------------ quota relief

RELIEF_PLAN_YAML = """\
name: Relief plan
year: 2026
measures:
  revenue:
    quota: 20000
    tiers: [[0, 5%], [0.7, 8%]]
    gate: 65%
"""


@pytest.fixture()
def relief_folder(tmp_path):
    (tmp_path / "plan.yaml").write_text(RELIEF_PLAN_YAML, encoding="utf-8")
    pd.DataFrame({"date": ["2026-03-05"], "rep": ["A"], "amount": [12_000]}).to_csv(tmp_path / "orders.csv",
                                                                                   index=False)
    REPS.to_csv(tmp_path / "reps.csv", index=False)
    return tmp_path


def _relief_run(folder, relief_rows, lang="en"):
    pd.DataFrame(relief_rows).to_csv(folder / "relief.csv", index=False)
    return CliRunner().invoke(main, ["commission", "--plan", str(folder / "plan.yaml"), "--orders",
                                     str(folder / "orders.csv"), "--reps", str(folder / "reps.csv"), "--relief",
                                     str(folder / "relief.csv"), "--period", "2026-03", "--out",
                                     str(folder / "c.xlsx"), "--lang", lang])


def test_quota_relief_by_hand(relief_folder):
    """Quota 20 000, achieved 12 000: 60% is below the 65% gate, nothing paid. A relief of 5 000 makes the
    quota 15 000 for attainment: 80%; 10 500 × 5% + 1 500 × 8% = 525.00 + 120.00 = 645.00."""
    result = _relief_run(relief_folder, {"销售代表": ["A"], "期间": ["2026年3月"], "指标": ["销售额"],
                                         "金额": ["5,000"], "原因": ["客户划转给B"]})
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(relief_folder / "c.xlsx")
    payouts = read_table(wb, "RepPayouts", REP_PAYOUTS).set_index("rep")
    assert payouts.loc["A", "expected"] == 645.00
    from xlsales.workbooks.commission import LINES, RELIEF
    lines = read_table(wb, "StatementLines", LINES)
    relief_line = lines[lines["item"] == "Quota relief"]
    assert relief_line["description"].tolist() == [
        "Revenue quota 20,000.00 relieved by 5,000.00 to 15,000.00 for attainment (reason: 客户划转给B)"]
    trail = read_table(wb, "QuotaRelief", RELIEF)
    assert trail[["rep", "period", "quota", "relief", "quota_after", "reason"]].values.tolist() == [
        ["A", "2026-03", 20_000, 5_000, 15_000, "客户划转给B"]]
    without = CliRunner().invoke(main, ["commission", "--plan", str(relief_folder / "plan.yaml"), "--orders",
                                        str(relief_folder / "orders.csv"), "--reps", str(relief_folder / "reps.csv"),
                                        "--period", "2026-03", "--out", str(relief_folder / "d.xlsx")])
    assert without.exit_code == 0
    assert read_table(openpyxl.load_workbook(relief_folder / "d.xlsx"), "RepPayouts", REP_PAYOUTS
                      ).set_index("rep").loc["A", "expected"] == 0


@pytest.mark.parametrize("rows, message", [
    ({"rep": ["A"], "period": ["2026-03"], "measure": ["revenue"], "amount": [25_000], "reason": ["x"]},
     "relief.csv, row 2, column amount: relief 25,000.00 for A (revenue, 2026-03) is larger than the quota 20,000.00"),
    ({"rep": ["A"], "period": ["2026-03"], "measure": ["revenue"], "amount": [100], "reason": [None]},
     "relief.csv, row 2, column reason: blank; a value is required"),
    ({"rep": ["A", "Q"], "period": ["2026-03"] * 2, "measure": ["revenue"] * 2, "amount": [1, 1], "reason": ["x"] * 2},
     "relief.csv, row 3, column rep: 'Q' is not in reps.csv"),
    ({"rep": ["A"], "period": ["2026-03"], "measure": ["profit"], "amount": [1], "reason": ["x"]},
     "relief.csv, row 2, column measure: 'profit' is not a measure of the plan"),
])
def test_bad_relief_exits_2(relief_folder, rows, message):
    result = _relief_run(relief_folder, rows)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (relief_folder / "c.xlsx").exists()


# ------------------------------------------------------------------ collections by collection date

COLLECTIONS_YAML = """\
name: Collections plan
year: 2026
measures:
  collections: {quota: 100000, basis: amount, tiers: [[0, 0.02]], paid_on: %s}
"""


@pytest.fixture()
def collections_folder(tmp_path):
    pd.DataFrame({"日期": ["2026-03-05", "2026-03-20"], "销售代表": ["A", "B"], "金额": [10_000, 5_000],
                  "回款": [6_000, 5_000], "回款日期": ["2026-04-10", "2026-03-25"], "订单编号": ["O1", "O2"]}
                 ).to_csv(tmp_path / "orders.csv", index=False)
    REPS.to_csv(tmp_path / "reps.csv", index=False)
    pd.DataFrame({"order_id": ["O1", "O1"], "rep": ["A", "B"], "share": ["50%", "50%"]}).to_csv(
        tmp_path / "credits.csv", index=False)
    return tmp_path


@pytest.mark.parametrize("paid_on, expected", [
    # by collection date: March B's own 5 000 → 100.00; April O1's 6 000, split 50/50 → 60.00 each
    ("collection_date", {("A", "2026-03"): 0.0, ("B", "2026-03"): 100.0, ("A", "2026-04"): 60.0,
                         ("B", "2026-04"): 60.0}),
    # by order date everything is March: A 3 000 → 60.00, B 3 000 + 5 000 → 160.00
    ("order_date", {("A", "2026-03"): 60.0, ("B", "2026-03"): 160.0, ("A", "2026-04"): 0.0, ("B", "2026-04"): 0.0}),
])
def test_collections_by_collection_date_credited_to_the_orders_reps(collections_folder, paid_on, expected):
    (collections_folder / "plan.yaml").write_text(COLLECTIONS_YAML % paid_on, encoding="utf-8")
    for period in ("2026-03", "2026-04"):
        out = collections_folder / f"{paid_on}-{period}.xlsx"
        result = CliRunner().invoke(main, ["commission", "--plan", str(collections_folder / "plan.yaml"), "--orders",
                                           str(collections_folder / "orders.csv"), "--reps",
                                           str(collections_folder / "reps.csv"), "--credits",
                                           str(collections_folder / "credits.csv"), "--period", period,
                                           "--out", str(out), "--ledger", str(collections_folder / "l.csv")])
        assert result.exit_code == 0, result.output
        payouts = read_table(openpyxl.load_workbook(out), "RepPayouts", REP_PAYOUTS).set_index("rep")["expected"]
        assert {rep: float(payouts[rep]) for rep in ("A", "B")} == {r: v for (r, p), v in expected.items()
                                                                  if p == period}


def test_collected_without_a_collection_date_exits_2(collections_folder):
    (collections_folder / "plan.yaml").write_text(COLLECTIONS_YAML % "collection_date", encoding="utf-8")
    orders = pd.read_csv(collections_folder / "orders.csv")
    orders.loc[0, "回款日期"] = None
    orders.to_csv(collections_folder / "orders.csv", index=False)
    result = CliRunner().invoke(main, ["commission", "--plan", str(collections_folder / "plan.yaml"), "--orders",
                                       str(collections_folder / "orders.csv"), "--reps",
                                       str(collections_folder / "reps.csv"), "--period", "2026-03",
                                       "--out", str(collections_folder / "c.xlsx")])
    assert result.exit_code == 2
    assert "orders.csv, row 2, column 回款日期: 6,000.00 collected but no collection date" in result.output


# ------------------------------------------------------------------ what-if and plan curves

WHATIF_YAML = PLAN_YAML.replace("tiers: [[0, 5%], [10000, 10%]]", "tiers: [[0, 6%], [10000, 10%]]").replace(
    "name: Test plan", "name: Test plan v2")


@pytest.fixture()
def whatif_folder(tmp_path):
    (tmp_path / "plan.yaml").write_text(PLAN_YAML, encoding="utf-8")
    (tmp_path / "plan_v2.yaml").write_text(WHATIF_YAML, encoding="utf-8")
    pd.DataFrame({"date": ["2026-03-05", "2026-03-06"], "rep": ["A", "B"], "amount": [12_000, 8_000]}).to_csv(
        tmp_path / "orders.csv", index=False)
    REPS.to_csv(tmp_path / "reps.csv", index=False)
    pd.DataFrame({"id": ["D1", "D2"], "rep": ["B", "A"], "amount": [5_000, 9_999], "stage": ["proposal", "won"],
                  "created": ["2026-01-10"] * 2, "stage_entered": ["2026-02-01", "2026-02-10"],
                  "expected_close": ["2026-03-20", "2026-02-10"], "status": ["open", "won"],
                  "closed_date": [None, "2026-02-10"]}).to_csv(tmp_path / "opportunities.csv", index=False)
    return tmp_path


def test_what_if_a_second_plan_with_plan_curves_and_the_pipeline(whatif_folder):
    """Tier 1 at 6% instead of 5%: A (12 000) 700.00 → 800.00, B (8 000) 400.00 → 480.00. If B's open deal
    of 5 000 closes in March: 13 000 → 800.00 (plan) / 900.00 (what-if). Won deals are not added."""
    from xlsales.workbooks.commission import PLAN_CURVE, WHATIF_LINES, WHATIF_REPS
    out = whatif_folder / "c.xlsx"
    result = CliRunner().invoke(main, [
        "commission", "--plan", str(whatif_folder / "plan.yaml"), "--orders", str(whatif_folder / "orders.csv"),
        "--reps", str(whatif_folder / "reps.csv"), "--period", "2026-03", "--out", str(out),
        "--what-if", str(whatif_folder / "plan_v2.yaml"), "--pipeline", str(whatif_folder / "opportunities.csv")])
    assert result.exit_code == 0, result.output
    assert "What-if (before prior-period adjustments) plan_v2.yaml: 1,100.00 → 1,280.00 (+180.00); 2 reps change" \
        in result.output
    wb = openpyxl.load_workbook(out)
    reps = read_table(wb, "WhatIfReps", WHATIF_REPS).set_index("rep")
    assert reps.loc["A", ["payout", "whatif_payout"]].tolist() == [700.0, 800.0]
    assert reps.loc["B", ["payout", "whatif_payout", "pipeline_payout", "pipeline_whatif"]].tolist() == \
        [400.0, 480.0, 800.0, 900.0]
    assert reps.loc["A", ["pipeline_payout", "pipeline_whatif"]].tolist() == [700.0, 800.0]
    lines = read_table(wb, "WhatIfLines", WHATIF_LINES)
    assert lines[["rep", "line", "old", "new"]].values.tolist() == [["A", "tier revenue 1", 500, 600],
                                                                   ["B", "tier revenue 1", 400, 480]]
    curve = read_table(wb, "PlanCurve", PLAN_CURVE)
    a = curve[curve["rep"] == "A"].set_index("attainment")
    assert list(a.index.round(1)) == [round(0.1 * i, 1) for i in range(16)]
    # amount tiers on a 100 000 quota: 10% is 10 000 → 500 / 600; 150% is 150 000 → 500 + 14 000 / 600 + 14 000
    assert a.loc[0.1, ["payout", "whatif_payout"]].tolist() == [500.0, 600.0]
    assert a.iloc[-1][["payout", "whatif_payout"]].tolist() == [14_500.0, 14_600.0]
    assert a.iloc[0][["payout", "whatif_payout"]].tolist() == [0.0, 0.0]
    import zipfile
    assert any(n.startswith("xl/charts/chart") for n in zipfile.ZipFile(out).namelist())


def test_plan_curve_chart_follows_the_rep_typed_in_libreoffice(whatif_folder, tmp_path):
    from recalc import recalculate

    from xlsales.workbooks.binding import name_cell
    from xlsales.workbooks.commission import CURVE_VIEW
    out = whatif_folder / "c.xlsx"
    result = CliRunner().invoke(main, [
        "commission", "--plan", str(whatif_folder / "plan.yaml"), "--orders", str(whatif_folder / "orders.csv"),
        "--reps", str(whatif_folder / "reps.csv"), "--period", "2026-03", "--out", str(out),
        "--what-if", str(whatif_folder / "plan_v2.yaml")])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert name_cell(wb, "CurveRep").value == "A" and name_cell(wb, "CurveRep").protection.locked is False
    name_cell(wb, "CurveRep").value = "B"
    wb.save(out)
    view = read_table(recalculate(out, tmp_path / "recalc"), "CurveView", CURVE_VIEW)
    assert view["payout"].round(2).tolist()[:2] == [0.0, 500.0] and view["whatif_payout"].round(2).tolist()[-1] == 14_600


# ------------------------------------------------------------------ plan versions and moves between plans

VERSIONS_YAML = """\
name: Field plan
year: 2026
measures:
  revenue: {quota: 100000, basis: amount, tiers: [[0, 5%], [10000, 10%]]}
versions:
  - {name: H1, from: 2026-01-01}
  - name: H2
    from: 2026-06-16
    measures:
      revenue: {quota: 100000, basis: amount, tiers: [[0, 6%], [10000, 12%]]}
  - name: Inside
    from: 2026-06-01
    reps: [B]
    measures:
      revenue: {quota: 50000, basis: amount, tiers: [[0, 2%]]}
"""


@pytest.fixture()
def versions_folder(tmp_path):
    (tmp_path / "plan.yaml").write_text(VERSIONS_YAML, encoding="utf-8")
    pd.DataFrame({"date": ["2026-06-10", "2026-06-20", "2026-05-10", "2026-06-05"], "rep": ["A", "A", "B", "B"],
                  "amount": [8_000, 12_000, 10_000, 10_000]}).to_csv(tmp_path / "orders.csv", index=False)
    REPS.to_csv(tmp_path / "reps.csv", index=False)
    return tmp_path


def test_plan_versions_prorated_inside_a_period_and_a_move_to_another_plan(versions_folder, tmp_path):
    """June: H1 is in force for A on days 1–15 (half the month), H2 on 16–30. Amount bounds scale by the
    share: H1 pays 8 000 (10 June) as 5 000 × 5% + 3 000 × 10% = 550.00; H2 pays 12 000 (20 June) as
    5 000 × 6% + 7 000 × 12% = 1 140.00; June 1 690.00. B moved to the Inside plan on 1 June: 10 000 × 2% =
    200.00; in May, still on H1, 10 000 × 5% = 500.00."""
    from recalc import recalculate

    from xlsales.io.plan import load_plan
    from xlsales.workbooks.statements import describe
    plan = load_plan(versions_folder / "plan.yaml")
    orders = pd.read_csv(versions_folder / "orders.csv", parse_dates=["date"])
    result = run_commission(plan, orders, REPS, "2026-06")
    assert _payout(result, "A", "2026-06") == 1_690.00 and _payout(result, "B", "2026-06") == 200.00
    assert _payout(result, "B", "2026-05") == 500.00 and _payout(result, "A", "2026-05") == 0.0
    june = result.lines[(result.lines["period"] == "2026-06") & (result.lines["rep"] == "A")
                        & (result.lines["kind"] == "tier")]
    words = describe(june, result.plan)["description"].tolist()
    assert words[0].startswith("Revenue (H1) tier 1 (0.00–5,000.00): 5,000.00 × 5%")
    assert any(w.startswith("Revenue (H2) tier 2 (above 5,000.00): 7,000.00 × 12%") for w in words)
    out = versions_folder / "c.xlsx"
    cli = CliRunner().invoke(main, ["commission", "--plan", str(versions_folder / "plan.yaml"), "--orders",
                                    str(versions_folder / "orders.csv"), "--reps", str(versions_folder / "reps.csv"),
                                    "--period", "2026-06", "--out", str(out)])
    assert cli.exit_code == 0, cli.output
    wb = recalculate(out, tmp_path / "recalc")
    payouts = read_table(wb, "RepPayouts", REP_PAYOUTS).set_index("rep")
    assert payouts.loc["A", "payout"] == 1_690.00 and payouts.loc["B", "payout"] == 200.00
    assert set(payouts["check"]) == {"OK"}


@pytest.mark.parametrize("versions, message", [
    ("  - {name: H1, from: 2026-01-01, to: 2026-06-20}\n  - {name: H2, from: 2026-06-16}\n",
     "plan.yaml, versions[2].from: H2 (2026-06-16 to 2026-12-31) overlaps versions[1] H1 (2026-01-01 to 2026-06-20) "
     "for every rep"),
    ("  - {name: H1, from: 2026-01-01}\n  - {name: X, from: 2026-03-01, to: 2026-05-31, reps: [A, B]}\n"
     "  - {name: Y, from: 2026-05-01, reps: [B]}\n",
     "plan.yaml, versions[3].from: Y (2026-05-01 to 2026-12-31) overlaps versions[2] X (2026-03-01 to 2026-05-31) for B"),
    ("  - {name: H1, from: 2026-02-01}\n", "plan.yaml, versions: no version is in force from 2026-01-01 to 2026-01-31"),
])
def test_overlapping_or_missing_plan_versions_exit_2(versions_folder, versions, message):
    text = VERSIONS_YAML.split("versions:\n")[0] + "versions:\n" + versions
    (versions_folder / "plan.yaml").write_text(text, encoding="utf-8")
    cli = CliRunner().invoke(main, ["commission", "--plan", str(versions_folder / "plan.yaml"), "--orders",
                                    str(versions_folder / "orders.csv"), "--reps", str(versions_folder / "reps.csv"),
                                    "--period", "2026-06", "--out", str(versions_folder / "c.xlsx")])
    assert cli.exit_code == 2 and message in cli.output, cli.output
    assert not (versions_folder / "c.xlsx").exists()

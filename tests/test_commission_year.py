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

"""Closed periods are never recomputed: the ledger, prior-period adjustments, tamper detection."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlsales.cli import main
from xlsales.core.commission_ledger import ledger_rows, prior_period_adjustments, with_adjustments
from xlsales.core.commission_plan import Measure, Plan, Tier
from xlsales.core.money import cents
from xlsales.workbooks.binding import read_table
from xlsales.workbooks.commission import REP_PAYOUTS, LINES, run_commission

PLAN = Plan(measures=(Measure("revenue", (Tier(0, 0.05), Tier(10_000, 0.10)), basis="amount",
                              quota_source="fixed", quota_amount=100_000),), name="Test plan")
PLAN_YAML = """\
name: Test plan
year: 2026
measures:
  revenue: {quota: 100000, basis: amount, tiers: [[0, 5%], [10000, 10%]]}
"""
REPS = pd.DataFrame({"rep": ["A", "B"], "region": ["East", "East"]})
JAN, FEB, MAR = 2026 * 12, 2026 * 12 + 1, 2026 * 12 + 2


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "plan.yaml").write_text(PLAN_YAML, encoding="utf-8")
    pd.DataFrame({"date": ["2026-01-05", "2026-02-03", "2026-02-04"], "rep": ["A", "A", "B"],
                  "amount": [12_000, 5_000, 1_000]}).to_csv(tmp_path / "orders.csv", index=False)
    REPS.to_csv(tmp_path / "reps.csv", index=False)
    return tmp_path


def _run(folder, *extra):
    return CliRunner().invoke(main, ["commission", "--plan", str(folder / "plan.yaml"), "--orders",
                                     str(folder / "orders.csv"), "--reps", str(folder / "reps.csv"),
                                     "--out", str(folder / "commission.xlsx"), *extra])


def _rep_payouts(folder):
    return read_table(openpyxl.load_workbook(folder / "commission.xlsx"), "RepPayouts", REP_PAYOUTS).set_index("rep")


def test_close_then_a_late_order_is_paid_as_a_prior_period_adjustment(folder):
    closed = _run(folder, "--close", "2026-01")
    assert closed.exit_code == 0, closed.output
    ledger = pd.read_csv(folder / "commission-ledger.csv", dtype=str, keep_default_na=False)
    assert list(ledger.columns) == ["period", "rep", "line", "amount", "inputs", "check"]
    mine = ledger[(ledger["rep"] == "A") & (ledger["period"] == "2026-01")].set_index("line")["amount"]
    # 10 000 × 5% + 2 000 × 10% = 700.00, one row per statement line and the figures
    assert mine["payout"] == "700.00" and mine["tier revenue 1"] == "500.00" and mine["tier revenue 2"] == "200.00"
    assert mine["achieved revenue"] == "12000.00"
    assert set(ledger["line"]) >= {"input plan", "input orders", "input reps", "seal"}
    # a closed period is never recomputed in place
    again = _run(folder, "--period", "2026-01")
    assert again.exit_code == 2 and "2026-01 is closed in commission-ledger.csv" in again.output
    before = (folder / "commission-ledger.csv").read_bytes()
    # a late January order of 1 000: January should have paid 500 + 300 = 800.00, i.e. 100.00 more
    orders = pd.read_csv(folder / "orders.csv")
    orders.loc[len(orders)] = ["2026-01-20", "A", 1_000]
    orders.to_csv(folder / "orders.csv", index=False)
    feb = _run(folder, "--period", "2026-02")
    assert feb.exit_code == 0, feb.output
    assert (folder / "commission-ledger.csv").read_bytes() == before  # paying an open period writes no ledger
    payouts = _rep_payouts(folder)
    # February: 5 000 × 5% = 250.00 of its own, + 100.00 for January
    assert payouts.loc["A", "prior_adjustments"] == 100.00 and payouts.loc["A", "expected"] == 350.00
    assert payouts.loc["B", "prior_adjustments"] == 0 and payouts.loc["B", "expected"] == 50.00
    lines = read_table(openpyxl.load_workbook(folder / "commission.xlsx"), "StatementLines", LINES)
    adj = lines[lines["item"] == "Prior-period adjustment"]
    assert len(adj) == 1 and adj["amount"].iloc[0] == 100.00
    text = adj["description"].iloc[0]
    assert "2026-01 was paid 700.00, is now 800.00" in text and "orders.csv" in text
    assert "Revenue achieved 12,000.00 → 13,000.00" in text
    # closing February records the adjustment; March with unchanged inputs adjusts nothing
    assert _run(folder, "--close", "2026-02").exit_code == 0
    ledger = pd.read_csv(folder / "commission-ledger.csv", dtype=str, keep_default_na=False)
    feb_a = ledger[(ledger["rep"] == "A") & (ledger["period"] == "2026-02")].set_index("line")["amount"]
    assert feb_a["prior_period_adjustment 2026-01"] == "100.00" and feb_a["payout"] == "250.00"
    march = _run(folder, "--period", "2026-03")
    assert march.exit_code == 0, march.output
    assert (_rep_payouts(folder)["prior_adjustments"].astype(float) == 0).all()


@pytest.mark.parametrize("tamper, message", [
    (lambda t: t.replace("\n2026-01,A,payout,700.00,", "\n2026-01,A,payout,7000.00,"),
     "column amount: '7000.00' was changed by hand after the period was closed"),
    (lambda t: "\n".join(line for line in t.split("\n") if ",A,tier revenue 2," not in line),
     "a row was removed, inserted or rewritten here"),
    (lambda t: t.replace("\n2026-01,B,payout,", "\n2026-01,C,payout,"), "column rep: 'C' was changed by hand"),
])
def test_a_ledger_edited_by_hand_is_reported_with_row_and_column(folder, tamper, message):
    assert _run(folder, "--close", "2026-01").exit_code == 0
    path = folder / "commission-ledger.csv"
    path.write_text(tamper(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = _run(folder, "--period", "2026-02")
    assert result.exit_code == 2 and "commission-ledger.csv, row " in result.output and message in result.output, \
        result.output
    assert "Traceback" not in result.output


def test_a_removed_or_cut_back_ledger_is_reported(folder):
    assert _run(folder, "--close", "2026-01").exit_code == 0
    path = folder / "commission-ledger.csv"
    january = path.read_bytes()
    assert _run(folder, "--close", "2026-02").exit_code == 0
    path.write_bytes(january)  # February's close cut off
    cut = _run(folder, "--period", "2026-03")
    assert cut.exit_code == 2 and "records 2026-02 closed" in cut.output, cut.output
    path.unlink()
    gone = _run(folder, "--period", "2026-03")
    assert gone.exit_code == 2 and "commission-ledger.csv: missing" in gone.output, gone.output


# ------------------------------------------------------------------ property: adjustments = new − old


def _orders(amounts):
    dates = pd.to_datetime([f"2026-{1 + i % 3:02d}-{1 + i // 3:02d}" for i in range(len(amounts))])
    return pd.DataFrame({"date": dates, "rep": ["A" if i % 2 else "B" for i in range(len(amounts))],
                         "amount": [float(a) for a in amounts]})


amounts = st.lists(st.integers(-3_000, 30_000).map(lambda x: x / 4), min_size=2, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=amounts, second=amounts)
def test_adjustments_are_new_minus_old_per_rep_and_period(first, second):
    old = run_commission(PLAN, _orders(first), REPS, "2026-03")
    ledger = pd.concat([ledger_rows(old, JAN, "x"), ledger_rows(old, FEB, "x")], ignore_index=True)
    # unchanged inputs: nothing to adjust
    assert prior_period_adjustments(ledger, run_commission(PLAN, _orders(first), REPS, "2026-03")).empty
    new = run_commission(PLAN, _orders(second), REPS, "2026-03")
    adj = prior_period_adjustments(ledger, new).set_index(["rep", "ref_period"])["amount"]
    for pno, label in ((JAN, "2026-01"), (FEB, "2026-02")):
        for rep in ("A", "B"):
            pay = lambda r: r.payouts[(r.payouts["pno"] == pno) & (r.payouts["rep"] == rep)]["payout"].iloc[0]  # noqa
            assert adj.get((rep, label), 0.0) == cents(pay(new) - pay(old))
    # paying the adjustments in March and closing it: a rerun with the same inputs adjusts nothing more
    march = with_adjustments(new, prior_period_adjustments(ledger, new), MAR)
    ledger = pd.concat([ledger, ledger_rows(march, MAR, "y")], ignore_index=True)
    assert prior_period_adjustments(ledger, run_commission(PLAN, _orders(second), REPS, "2026-04")).empty
    sums = march.lines[march.lines["pno"] == MAR].groupby("rep", observed=True)["amount"].sum().round(2)
    paid = march.payouts[march.payouts["pno"] == MAR].set_index("rep")["payout"]
    assert (sums == paid.loc[sums.index]).all()


def test_refresh_of_a_closed_period_is_refused_and_of_an_open_one_adjusts(folder):
    from xlsales.errors import InputError
    from xlsales.workbooks.commission import refresh_workbook
    assert _run(folder, "--close", "2026-01").exit_code == 0
    with pytest.raises(InputError, match="2026-01 is closed in commission-ledger.csv"):
        refresh_workbook(folder / "commission.xlsx")
    assert _run(folder, "--period", "2026-02").exit_code == 0
    orders = pd.read_csv(folder / "orders.csv")
    orders.loc[len(orders)] = ["2026-01-20", "A", 1_000]
    orders.to_csv(folder / "orders.csv", index=False)
    refresh_workbook(folder / "commission.xlsx")
    assert _rep_payouts(folder).loc["A", "prior_adjustments"] == 100.00


def test_a_close_whose_workbook_cannot_be_written_leaves_the_period_open(folder, monkeypatch):
    """Closing is all or nothing: the disk fills while the workbook is written, so the ledger is put back
    as it was (January stays closed, February open) and a later --close pays February in full."""
    import errno

    import xlsales.workbooks.commission as commission_workbook

    assert _run(folder, "--close", "2026-01").exit_code == 0
    before = (folder / "commission-ledger.csv").read_bytes()
    real = commission_workbook.write_commission_workbook

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(commission_workbook, "write_commission_workbook", full_disk)
    failed = _run(folder, "--close", "2026-02")
    assert failed.exit_code == 3, failed.output
    assert (folder / "commission-ledger.csv").read_bytes() == before
    assert not list(folder.glob(".ledger-*"))
    monkeypatch.setattr(commission_workbook, "write_commission_workbook", real)
    closed = _run(folder, "--close", "2026-02")
    assert closed.exit_code == 0, closed.output
    ledger = pd.read_csv(folder / "commission-ledger.csv", dtype=str, keep_default_na=False)
    assert sorted(set(ledger["period"])) == ["2026-01", "2026-02"]


def test_a_first_close_that_fails_leaves_no_ledger(folder, monkeypatch):
    import xlsales.workbooks.commission as commission_workbook

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(commission_workbook, "write_commission_workbook", read_only)
    assert _run(folder, "--close", "2026-01").exit_code == 3
    assert not (folder / "commission-ledger.csv").exists()

"""The customers view on a hand-made set: revenue, ABC, dormancy and concentration per company and per rep;
the same figures in the API, the workbook after LibreOffice recalculation, and the memos."""
from __future__ import annotations

import pandas as pd
import pytest

from xlsales.core.customers import concentration, customer_view
from xlsales.core.funnel_analysis import deal_facts
from xlsales.core.stages import default_stages

T = pd.Timestamp
AS_OF = T("2026-06-30")
ORDERS = pd.DataFrame([
    ("2026-06-01", "ann", "A", 300.0), ("2026-03-01", "ann", "A", 200.0), ("2026-05-10", "ann", "B", 300.0),
    ("2025-12-01", "ann", "C", 100.0), ("2026-06-20", "ann", "D", 50.0), ("2024-01-01", "ann", "E", 50.0),
    ("2026-06-15", "bob", "F", 1000.0), ("2026-01-15", "bob", "G", 200.0), ("2026-06-10", "bob", None, 999.0),
    ("2026-07-02", "bob", "G", 5000.0),            # after the as-of date: not counted
], columns=["date", "rep", "customer", "amount"]).assign(date=lambda f: pd.to_datetime(f["date"]))


def deals() -> pd.DataFrame:
    rows = [("X1", "ann", "B", 400.0, "proposal", "open"), ("X2", "bob", "F", 700.0, "lead", "open"),
            ("X3", "ann", "A", 900.0, "won", "won")]
    frame = pd.DataFrame(rows, columns=["id", "rep", "customer", "amount", "stage", "status"])
    frame = frame.assign(team="t", created=T("2026-05-01"), stage_entered=T("2026-05-01"),
                         expected_close=T("2026-08-01"), closed_date=[pd.NaT, pd.NaT, T("2026-06-01")],
                         close_date_changes=0)
    return deal_facts(frame, default_stages(), AS_OF)


@pytest.fixture(scope="module")
def company():
    return customer_view(ORDERS, AS_OF, deals()).set_index("customer")


@pytest.fixture(scope="module")
def per_rep():
    return customer_view(ORDERS, AS_OF, deals(), by=["rep"]).set_index(["rep", "customer"])


def test_company_view_by_hand(company):
    assert company.index.tolist() == ["F", "A", "B", "G", "C", "D", "E"]             # largest first
    assert company["revenue"].tolist() == [1000, 500, 300, 200, 100, 50, 0]
    assert company["orders"].tolist() == [1, 2, 1, 1, 1, 1, 0]
    # shares held before each: 0, 1000/2150, 1500/2150, 1800/2150 = .837, 2000/2150 = .930, 2100/2150, 1
    assert company["abc"].tolist() == ["A", "A", "A", "B", "B", "C", "C"]
    assert company.loc[company["dormant"]].index.tolist() == ["C", "E"]             # last order before 2025-12-30
    assert company.loc["E", "last_order"] == T("2024-01-01")
    assert company.loc["B", "open_deals"] == 1 and company.loc["F", "open_pipeline"] == 700
    assert company.loc["A", "open_deals"] == 0


def test_company_concentration_by_hand(company):
    c = concentration(company.reset_index()).iloc[0]
    assert c["customers"] == 7 and c["revenue"] == 2150
    assert c["top_n_share"] == 1.0                               # fewer than 10 customers
    assert c["top_share_customers"] == 2                          # ⌈20 % × 7⌉
    assert c["top_share_share"] == pytest.approx(1500 / 2150)
    assert (c["a"], c["b"], c["c"], c["dormant"]) == (3, 2, 2, 2)


def test_per_rep_view_by_hand(per_rep):
    ann = per_rep.loc["ann"]
    assert ann["abc"].tolist() == ["A", "A", "B", "B", "C"]                # 0, .526, .842, .947, 1
    bob = per_rep.loc["bob"]
    assert bob["abc"].tolist() == ["A", "B"] and bob["revenue"].tolist() == [1000, 200]
    c = concentration(per_rep.reset_index(), ["rep"]).set_index("rep")
    assert c.loc["ann", "top_share_share"] == pytest.approx(500 / 950)
    assert c.loc["bob", "top_share_share"] == pytest.approx(1000 / 1200)
    a_without_deal = per_rep[(per_rep["abc"] == "A") & (per_rep["open_deals"] == 0)].index.tolist()
    assert a_without_deal == [("ann", "A")]

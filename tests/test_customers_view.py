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


@pytest.fixture(scope="module")
def customer_book(tmp_path_factory):
    from recalc import recalculate

    from xlsales.core.customers import add_customers
    from xlsales.core.funnel_analysis import analyse_funnel
    from xlsales.workbooks.funnel import write_funnel_workbook

    raw = deals().drop(columns=[c for c in deals().columns if c not in (
        "id", "rep", "customer", "amount", "stage", "status", "team", "created", "stage_entered", "expected_close",
        "closed_date", "close_date_changes")])
    result = add_customers(analyse_funnel(raw, default_stages(), AS_OF), ORDERS)
    folder = tmp_path_factory.mktemp("customers")
    path = write_funnel_workbook(result, folder / "funnel.xlsx")
    return result, recalculate(path, folder / "recalc")


def _table_rows(ws, header_row, first_col=1):
    """The rows of the table whose header starts at (header_row, first_col), up to its first blank header."""
    header = [c.value for c in ws[header_row]][first_col - 1:]
    width = header.index(None) if None in header else len(header)
    header = header[:width]
    return [dict(zip(header, [c.value for c in row][first_col - 1:first_col - 1 + width]))
            for row in ws.iter_rows(min_row=header_row + 1) if row[first_col - 1].value is not None]


def test_workbook_recalculates_to_the_api(customer_book, company):
    from recalc import error_cells

    result, wb = customer_book
    assert error_cells(wb) == []
    ws = wb["Customers"]
    rows = {r["Customer"]: r for r in _table_rows(ws, 15)}
    for name, c in company.iterrows():
        assert rows[name]["ABC class"] == c["abc"] and rows[name]["Dormant"] == int(c["dormant"]), name
        assert rows[name]["Revenue (12 months)"] == c["revenue"] and rows[name]["Rank"] == c["rank"]
        assert rows[name]["Open deals"] == c["open_deals"]
    conc = concentration(company.reset_index()).iloc[0]
    values = {ws.cell(r, 4).value: ws.cell(r, 5).value for r in range(4, 13)}
    assert values["Share of the top 10"] == conc["top_n_share"] == 1.0
    assert values["Share of the top 20 %"] == pytest.approx(conc["top_share_share"], abs=1e-12)
    assert (values["A customers"], values["B customers"], values["C customers"], values["Dormant customers"]) == \
        (3, 2, 2, 2)


def test_rep_sheet_recalculates_to_the_api(customer_book, per_rep):
    _, wb = customer_book
    ws = wb["Rep customers"]
    rows = {(r["Rep"], r["Customer"]): r for r in _table_rows(ws, 4, first_col=14)}
    for (rep, name), c in per_rep.iterrows():
        row = rows[(rep, name)]
        assert (row["ABC class"], row["Dormant"], row["Open deals"]) == (c["abc"], int(c["dormant"]), c["open_deals"])
        assert row["A-class without an open deal"] == int(c["abc"] == "A" and c["open_deals"] == 0)
    conc = {r["Rep"]: r for r in _table_rows(ws, 4)}
    assert conc["ann"]["Share of the top 20 %"] == pytest.approx(500 / 950, abs=1e-12)
    assert conc["ann"]["A-class without an open deal"] == 1 and conc["bob"]["A-class without an open deal"] == 0
    assert (conc["ann"]["A customers"], conc["ann"]["Dormant customers"]) == (2, 2)


@pytest.mark.parametrize("lang, words", [
    ("en", ["5 customers on file; by sales over the last 12 months 2 A, 2 B, 1 C", "the top 20 % (1) bring 52.6%",
            "2 dormant", "A-class customers without an open deal:", "- A: ¥500"]),
    ("zh", ["共 5 个客户（按近 12 个月销售额：A 类 2、B 类 2、C 类 1）", "前 20%（1 个）贡献 52.6%", "无在途商机的 A 类客户", "- A：近 12 个月 ¥500"]),
])
def test_coaching_memo_lists_the_reps_a_customers_without_a_deal(customer_book, lang, words):
    from xlsales.memos.coaching import coaching_context
    from xlsales.memos.periods import period
    from xlsales.memos.render import render_memo
    from xlsales.memos.sources import customer_summary, group_funnel

    result, _ = customer_book
    s = customer_summary(result, "ann")
    assert [a["customer"] for a in s["a_without_deal"]] == ["A"] and s["dormant"] == 2 and s["a"] == 2
    assert s["top_share_share"] == pytest.approx(500 / 950)
    reps = pd.DataFrame({"rep": ["ann", "bob"], "region": ["N", "S"], "team": ["t", "t"]})
    targets = pd.DataFrame({"rep": ["ann", "bob"], "month": [T("2026-06-01")] * 2, "target": [5000.0, 5000.0]})
    ctx = coaching_context(ORDERS.dropna(subset=["customer"]), reps, targets, period("2026-06"), "ann",
                           group_funnel(result, ["ann"]), group_funnel(result, ["bob"]))
    md = render_memo(ctx, lang).markdown
    for w in words:
        assert w in md, (w, md)


def test_monthly_memo_gives_the_company_concentration(customer_book):
    from xlsales.memos.sources import company_funnel

    result, _ = customer_book
    c = company_funnel(result)["customers"]
    assert (c["customers"], c["a"], c["b"], c["c"], c["dormant"]) == (7, 3, 2, 2, 2)
    assert c["top_share_share"] == pytest.approx(1500 / 2150) and c["top_n_share"] == 1.0

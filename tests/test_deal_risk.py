"""Deal risk on a hand-made set: each rule fires on exactly one deal, the reasons say why; medians from
the stage history, and the fallback to the stage table's days with too little history."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlsales.core.deal_risk import RULES, RiskRules, deal_risk, stage_medians
from xlsales.core.funnel_analysis import deal_facts
from xlsales.core.stages import default_stages

T = pd.Timestamp
AS_OF = T("2026-06-30")
DAYS = {1: 10, 2: 20, 3: 40, 4: 12}      # days every closed deal of the history spent in each stage


def history(closed: int) -> pd.DataFrame:
    """``closed`` won deals, each 10 days a lead, 20 in needs analysis, 40 in proposal, 12 in negotiation."""
    rows = []
    for k in range(closed):
        day = T("2025-01-01") + pd.Timedelta(days=k)
        for stage_no in (1, 2, 3, 4):
            rows.append((f"H{k}", stage_no, "open", day))
            day += pd.Timedelta(days=DAYS[stage_no])
        rows.append((f"H{k}", 5, "won", day))
    rows.append(("OPEN1", 1, "open", T("2026-01-01")))        # an open deal's events do not count
    return pd.DataFrame(rows, columns=["id", "stage_no", "status", "entered"])


def _deal(id, stage, entered, pushes=0, amount=1000.0, activity="2026-06-25"):
    return dict(id=id, rep="ann", team="east", customer=f"C{id}", amount=amount, stage=stage, status="open",
                created=T("2026-01-01"), stage_entered=T(entered), expected_close=T("2026-09-30"),
                closed_date=pd.NaT, close_date_changes=pushes, last_activity=T(activity) if activity else pd.NaT)


def open_deals() -> pd.DataFrame:
    return pd.DataFrame([
        _deal("SLOW", "lead", "2026-06-14"),                       # 16 days > 1.5 × 10; lead stale after 30
        _deal("PUSHED", "lead", "2026-06-25", pushes=2),           # pushed twice
        _deal("STALE", "proposal", "2026-05-11"),                  # 50 days > 45 stale, < 1.5 × 40 = 60
        _deal("CUT", "needs analysis", "2026-06-20", amount=700),  # 1 000 → 700 since last week
        _deal("IDLE", "negotiation", "2026-06-25", activity="2026-06-10"),   # 20 days without activity
        _deal("FINE", "needs analysis", "2026-06-20"),
    ])


@pytest.fixture(scope="module")
def risk():
    stages = default_stages()
    medians = stage_medians(history(30), stages)
    facts = deal_facts(open_deals(), stages, AS_OF)
    changes = pd.DataFrame({"id": ["CUT", "FINE"], "amount_before": [1000.0, 1000.0]})
    return medians, deal_risk(facts, medians, AS_OF, RiskRules(), changes).set_index("id")


def test_medians_come_from_the_closed_deals_history(risk):
    medians, _ = risk
    assert medians["median_days"].tolist()[:4] == [10, 20, 40, 12]
    assert medians["deals"].tolist()[:4] == [30] * 4
    assert medians["typical_days"].tolist()[:4] == [10, 20, 40, 12]
    assert set(medians["source"][:4]) == {"history"} and medians.attrs["closed_deals"] == 30


def test_each_rule_fires_once(risk):
    _, r = risk
    expected = {"SLOW": "slow", "PUSHED": "pushed", "STALE": "stale", "CUT": "amount_cut", "IDLE": "no_activity"}
    for rule in RULES:
        assert r.index[r[rule]].tolist() == [k for k, v in expected.items() if v == rule], rule
    assert r.loc["FINE", "rules_fired"] == 0 and r.loc["FINE", "risk"] == "low"
    assert (r.loc[list(expected), "risk"] == "medium").all()
    assert r.loc["SLOW", "days_in_stage"] == 16 and r.loc["SLOW", "typical_days"] == 10
    assert r.loc["IDLE", "days_idle"] == 20 and r.loc["CUT", "amount_before"] == 1000


def test_two_rules_make_a_deal_high_risk():
    stages = default_stages()
    deals = pd.DataFrame([_deal("BOTH", "lead", "2026-06-14", pushes=3)])
    r = deal_risk(deal_facts(deals, stages, AS_OF), stage_medians(history(30), stages), AS_OF)
    assert r.loc[0, "risk"] == "high" and r.loc[0, "rules_fired"] == 2


def test_too_little_history_falls_back_to_the_stage_table():
    stages = default_stages()
    medians = stage_medians(history(29), stages)
    assert medians.attrs["closed_deals"] == 29 and not medians.attrs["use_history"]
    assert medians["typical_days"].tolist()[:4] == stages["stale_days"].tolist()[:4] == [30, 45, 45, 30]
    assert set(medians["source"]) == {"stage table"}
    r = deal_risk(deal_facts(open_deals(), stages, AS_OF), medians, AS_OF).set_index("id")
    assert not r.loc["SLOW", "slow"]                # 16 days ≤ 1.5 × 30
    none = stage_medians(None, stages)
    assert np.isnan(none["median_days"]).all() and none.attrs["closed_deals"] == 0


def test_no_activity_column_means_no_activity_rule():
    stages = default_stages()
    deals = open_deals().drop(columns="last_activity")
    r = deal_risk(deal_facts(deals, stages, AS_OF), stage_medians(None, stages), AS_OF)
    assert not r["no_activity"].any()


@pytest.fixture(scope="module")
def risk_book(tmp_path_factory):
    from recalc import recalculate

    from xlsales.core.deal_risk import assess_risk
    from xlsales.core.funnel_analysis import analyse_funnel
    from xlsales.core.funnel_changes import compare_pipeline
    from xlsales.workbooks.funnel import write_funnel_workbook

    stages = default_stages()
    now = open_deals()
    earlier = now.assign(amount=np.where(now["id"].eq("CUT"), 1000.0, now["amount"]))
    result = analyse_funnel(now, stages, AS_OF)
    result.changes = compare_pipeline(earlier, now, stages, T("2026-06-23"), AS_OF)
    assess_risk(result, history(30))
    folder = tmp_path_factory.mktemp("risk")
    path = write_funnel_workbook(result, folder / "funnel.xlsx")
    return result, path, recalculate(path, folder / "recalc")


def _risk_rows(wb):
    ws = wb["Risk"]
    header = [c.value for c in ws[4]]
    return {r[header.index("Deal ID")]: dict(zip(header, r)) for r in ws.iter_rows(min_row=5, values_only=True)
            if r[header.index("Deal ID")]}


def test_workbook_flags_recalculate_to_the_api(risk_book):
    from recalc import error_cells

    result, _, wb = risk_book
    assert error_cells(wb) == []
    rows = _risk_rows(wb)
    labels = {"slow": "Slow in stage", "pushed": "Close date pushed repeatedly", "stale": "Stale",
              "amount_cut": "Amount cut", "no_activity": "No recent activity"}
    for r in result.risk.itertuples(index=False):
        row = rows[r.id]
        for rule, label in labels.items():
            assert row[label] == int(getattr(r, rule)), (r.id, rule)
        assert row["Rules fired"] == r.rules_fired and row["Risk"] == r.risk.capitalize()
        assert row["Typical days"] == r.typical_days
    assert rows["SLOW"]["Why (as of the last refresh)"] == "16 days in lead (typical 10 × 1.5)"
    assert rows["CUT"]["Why (as of the last refresh)"] == "amount down 30% (1,000 → 700)"
    assert rows["IDLE"]["Why (as of the last refresh)"] == "no activity for 20 days"
    stages = wb["Stages"]
    assert stages["I11"].value == 30 and stages["I12"].value == 1
    assert "median days of 30 closed deals" in stages["H13"].value


def test_an_edited_threshold_is_kept_and_used_on_refresh(risk_book, tmp_path):
    import openpyxl

    from xlsales.core.deal_risk import assess_risk
    from xlsales.workbooks.funnel import write_funnel_workbook
    from xlsales.workbooks.funnel_sheets import existing_risk_rules

    result, path, _ = risk_book
    wb = openpyxl.load_workbook(path)
    wb["Stages"]["I5"] = 3                       # close date pushed 3 times or more
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    rules = existing_risk_rules(edited)
    assert rules.max_pushes == 3 and rules.slow_factor == 1.5
    assess_risk(result, history(30), rules)
    assert not result.risk["pushed"].any()
    write_funnel_workbook(result, edited)
    assert openpyxl.load_workbook(edited)["Stages"]["I5"].value == 3
    wb = openpyxl.load_workbook(edited)
    wb["Stages"]["I4"] = "fast"
    wb.save(edited)
    from xlsales.workbooks.binding import WorkbookError
    with pytest.raises(WorkbookError, match="'fast' is not a number"):
        existing_risk_rules(edited)

"""Managers' forecast calls: typed per rep in the funnel workbook, rolled up rep → team → company beside the
weighted and category figures (LibreOffice recalculates to Python's roll-up), kept by a refresh."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from recalc import error_cells, recalculate
from test_funnel_core import AS_OF, hand_deals, hand_targets

from xlsales.core.funnel_analysis import analyse_funnel, forecast_calls
from xlsales.core.stages import default_stages
from xlsales.workbooks.binding import WorkbookError
from xlsales.workbooks.funnel import write_funnel_workbook


def _rows(ws):
    header = [c.value for c in ws[4]]
    return [dict(zip(header, r)) for r in ws.iter_rows(min_row=5, values_only=True) if r[0]]


def test_rollup_by_hand():
    f = pd.DataFrame({"rep": ["ann", "bob", "cat"], "team": ["e", "e", "w"], "weighted": [10.0, 20, 30],
                      "commit": [100.0, 0, 50], "best_case": [5.0, 6, 7], "closed": [1000.0, 0, 200],
                      "forecast": [1100.0, 0, 250]})
    calls = pd.DataFrame({"rep": ["ann", "zed"], "team": ["e", "w"], "commit_call": [1200.0, 50.0],
                          "best_case_call": [None, 80.0]})
    r = forecast_calls(f, calls)
    company, east, west = r.iloc[0], r[r["team"].eq("e") & r["level"].eq("team")].iloc[0], \
        r[r["team"].eq("w") & r["level"].eq("team")].iloc[0]
    assert (company["commit_call"], company["best_case_call"], company["forecast"]) == (1250, 80, 1350)
    assert (east["commit_call"], east["call_vs_forecast"]) == (1200, 100) and pd.isna(east["best_case_call"])
    assert west["commit_call"] == 50 and west["weighted"] == 30          # zed left: call kept, figures 0
    assert r.loc[r["rep"].eq("zed"), "level"].tolist() == ["rep"]


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calls")
    path = folder / "funnel.xlsx"
    result = analyse_funnel(hand_deals(), default_stages(), AS_OF, hand_targets())
    write_funnel_workbook(result, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Forecast calls"]
    rows = {(r["Level"], r["Rep"]): i for i, r in enumerate(_rows(ws), start=5)}
    ws.cell(rows[("Rep", "ann")], 9).value = 1200          # manager's commit for ann
    ws.cell(rows[("Rep", "ann")], 11).value = "signed PO expected"
    ws.cell(rows[("Rep", "bob")], 10).value = 900          # best case for bob
    wb.save(path)
    write_funnel_workbook(analyse_funnel(hand_deals(), default_stages(), AS_OF, hand_targets()), path)  # refresh
    return result, path, recalculate(path, folder / "recalc")


def test_a_refresh_keeps_the_calls_and_the_rollup_recalculates(refreshed):
    result, _, wb = refreshed
    assert error_cells(wb) == []
    rows = {(r["Level"], r["Team"], r["Rep"]): r for r in _rows(wb["Forecast calls"])}
    ann, bob = rows[("Rep", "east", "ann")], rows[("Rep", "west", "bob")]
    assert (ann["Manager's commit"], ann["Note"], bob["Manager's best case"]) == (1200, "signed PO expected", 900)
    expected = forecast_calls(result.forecast, pd.DataFrame({"rep": ["ann", "bob"], "commit_call": [1200.0, None],
                                                             "best_case_call": [None, 900.0]}))
    for r in expected.itertuples(index=False):
        level = {"company": "Company", "team": "Team", "rep": "Rep"}[r.level]
        row = rows[(level, None if pd.isna(r.team) else r.team, None if pd.isna(r.rep) else r.rep)]
        for key, label in (("weighted", "Weighted"), ("commit", "Commit (deals)"), ("best_case", "Best case (deals)"),
                           ("forecast", "Forecast (closed + commit)"), ("commit_call", "Manager's commit"),
                           ("best_case_call", "Manager's best case"), ("call_vs_forecast", "Call − forecast")):
            value = getattr(r, key)
            assert (row[label] in (None, "") if pd.isna(value) else row[label] == pytest.approx(value)), (r, key)
    company = rows[("Company", None, None)]
    assert company["Manager's commit"] == 1200 and company["Manager's best case"] == 900
    assert company["Forecast (closed + commit)"] == 300      # C won 300 in the period; no commit deal (E pushed 3×)


def test_a_call_that_is_not_a_number_is_named(refreshed, tmp_path):
    _, path, _ = refreshed
    wb = openpyxl.load_workbook(path)
    ws = wb["Forecast calls"]
    row = next(i for i, r in enumerate(_rows(ws), start=5) if r["Rep"] == "bob")
    ws.cell(row, 9).value = "lots"
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(WorkbookError, match=rf"Forecast calls, row {row}, Manager's commit: 'lots' is not a number"):
        write_funnel_workbook(analyse_funnel(hand_deals(), default_stages(), AS_OF, hand_targets()), tmp_path / "bad.xlsx")

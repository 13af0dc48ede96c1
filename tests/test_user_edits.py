"""Every refresh path keeps what the user typed or coloured (README, "Workbooks: what you may change")."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl.styles import PatternFill
from openpyxl.utils import range_boundaries

from xlsales.cli import main
from xlsales.workbooks.binding import INPUT, Field, create_table, open_workbook, save_atomic, write_table

FIELDS = (Field("rep", "Rep", "销售代表"), Field("amount", "Amount", "金额"),
          Field("override", "Override", "调整", INPUT))
RED = "FFFF0000"


def _fill(cell):
    return cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None


def test_a_fill_stays_on_the_row_it_was_set_on_when_rows_move(tmp_path):
    wb = openpyxl.Workbook()
    create_table(wb.active, "T", FIELDS, "A1")
    write_table(wb, "T", FIELDS, pd.DataFrame({"rep": ["a", "b", "c"], "amount": [1.0, 2.0, 3.0]}), key=["rep"])
    path = save_atomic(wb, tmp_path / "t.xlsx")
    wb = open_workbook(path)
    ws = wb.active
    ws["A2"].fill = PatternFill("solid", fgColor=RED)      # the user colours rep a (the first row)
    ws["C4"].fill = PatternFill("solid", fgColor=RED)      # and the override cell of rep c
    save_atomic(wb, path)
    wb = open_workbook(path)
    write_table(wb, "T", FIELDS, pd.DataFrame({"rep": ["new", "c", "b", "a"], "amount": [9.0, 3.0, 2.0, 1.0]}),
                key=["rep"])
    save_atomic(wb, path)
    ws = open_workbook(path).active
    by_rep = {ws.cell(r, 1).value: (_fill(ws.cell(r, 1)), _fill(ws.cell(r, 3))) for r in range(2, 6)}
    assert by_rep == {"new": (None, None), "c": (None, RED), "b": (None, None), "a": (RED, None)}


def test_a_blank_from_the_program_never_erases_what_the_user_typed_in_an_input_column(tmp_path):
    wb = openpyxl.Workbook()
    create_table(wb.active, "T", FIELDS, "A1")
    write_table(wb, "T", FIELDS, pd.DataFrame({"rep": ["a", "b"], "amount": [1.0, 2.0]}), key=["rep"])
    wb.active["C3"] = "ask Li"
    write_table(wb, "T", FIELDS, pd.DataFrame({"rep": ["b", "a"], "amount": [2.0, 1.0], "override": [None, 5.0]}),
                key=["rep"])
    assert [wb.active.cell(r, 3).value for r in (2, 3)] == ["ask Li", 5.0]


def _grid(wb, name):
    for ws in wb.worksheets:
        if name in ws.tables:
            c0, r0, c1, r1 = range_boundaries(ws.tables[name].ref)
            headers = [ws.cell(r0, c).value for c in range(c0, c1 + 1)]
            return ws, r0, {h: c0 + i for i, h in enumerate(headers)}, r1
    raise KeyError(name)


def test_targets_refresh_and_rerun_keep_text_overrides_fills_and_the_typed_company_target(tmp_path, sample_files):
    orders, reps = sample_files
    args = ["targets", "--orders", str(orders), "--reps", str(reps), "--year", "2026"]
    runner = CliRunner()
    first = tmp_path / "t.xlsx"
    assert runner.invoke(main, [*args, "--out", str(first)]).exit_code == 0
    wb = openpyxl.load_workbook(first)
    ws, top, col, _ = _grid(wb, "TargetGrid")
    text_rep = ws.cell(top + 3, col["Rep"]).value
    coloured_rep = ws.cell(top + 5, col["Rep"]).value
    ws.cell(top + 3, col["Override"]).value = "50万"
    ws.cell(top + 5, col["Rep"]).fill = PatternFill("solid", fgColor=RED)
    plans, ptop, pcol, _ = _grid(wb, "MeasurePlans")
    assert plans.cell(ptop + 1, pcol["Measure"]).value == "revenue"
    plans.cell(ptop + 1, pcol["Company target (by hand)"]).value = 99_000_000
    wb.save(first)
    second = tmp_path / "u.xlsx"
    second.write_bytes(first.read_bytes())

    refreshed = runner.invoke(main, ["targets", "--refresh", str(first)])
    rerun = runner.invoke(main, [*args, "--out", str(second)])
    for result, path in ((refreshed, first), (rerun, second)):
        assert result.exit_code == 0, result.output
        assert (f"xlsales: note: {path.name}, sheet Targets, row {top + 3}, column Override / 手工调整: "
                f"'50万' is not a number, so it is not used; it is kept as typed") in result.stderr
        wb = openpyxl.load_workbook(path)
        ws, top2, col2, bottom = _grid(wb, "TargetGrid")
        rows = {ws.cell(r, col2["Rep"]).value: r for r in range(top2 + 1, bottom + 1)
                if ws.cell(r, col2["Measure"]).value == "revenue"}
        assert ws.cell(rows[text_rep], col2["Override"]).value == "50万"
        coloured = {rep for rep, r in rows.items() if _fill(ws.cell(r, col2["Rep"])) == RED}
        assert coloured == {coloured_rep}
        plans, ptop, pcol, _ = _grid(wb, "MeasurePlans")
        assert plans.cell(ptop + 1, pcol["Company target (by hand)"]).value == 99_000_000
        # the reps' revenue targets are split from the typed company target (no buffer): they add up to it
        targets = [ws.cell(r, col2["Suggested"]).value for r in rows.values()]
        assert sum(targets) == 99_000_000


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    result = CliRunner().invoke(main, ["sample-data", "--out", str(folder), "--reps", "8", "--months", "26"])
    assert result.exit_code == 0, result.output
    return folder / "orders.csv", folder / "reps.csv"


def _stages(path) -> dict[str, list]:
    ws, top, col, bottom = _grid(openpyxl.load_workbook(path), "Stages")
    return {ws.cell(r, col["Stage"]).value: [ws.cell(r, col[h]).value for h in ("Win probability", "Days before stale")]
            for r in range(top + 1, bottom + 1)}


def _weighted(path) -> float:
    """The Deals sheet's weighted amounts as written (Python's cached results of the formulas)."""
    ws, top, col, bottom = _grid(openpyxl.load_workbook(path, data_only=True), "Deals")
    return sum(ws.cell(r, col["Weighted"]).value or 0 for r in range(top + 1, bottom + 1))


def test_funnel_rerun_and_refresh_keep_what_was_typed_on_the_stages_sheet(tmp_path, sample_files):
    """The Stages sheet says "edit probabilities, stale limits and norms here": a re-run of `xlsales funnel`
    onto the workbook (and the ribbon's refresh) keeps those values, uses them and says so; values not typed
    there follow the stage file."""
    from xlsales.workbooks.funnel import refresh_funnel_workbook

    orders, reps = sample_files
    opps = orders.parent / "opportunities.csv"
    stages = tmp_path / "stages.yaml"
    stages.write_text("stages:\n  - {stage: lead, probability: 0.1, stale_days: 30}\n"
                      "  - {stage: needs analysis, probability: 0.25, stale_days: 45}\n"
                      "  - {stage: proposal, probability: 0.5, stale_days: 45}\n"
                      "  - {stage: negotiation, probability: 0.75, stale_days: 30}\n"
                      "  - {stage: won, probability: 1}\n", encoding="utf-8")
    book = tmp_path / "funnel.xlsx"
    args = ["funnel", "--opportunities", str(opps), "--reps", str(reps), "--stages", str(stages),
            "--as-of", "2026-02-28", "--out", str(book)]
    runner = CliRunner()
    assert runner.invoke(main, args).exit_code == 0
    wb = openpyxl.load_workbook(book)
    ws, top, col, bottom = _grid(wb, "Stages")
    row = next(r for r in range(top + 1, bottom + 1) if ws.cell(r, col["Stage"]).value == "needs analysis")
    ws.cell(row, col["Win probability"]).value = 0.3          # typed by the user
    ws.cell(top + 1, col["Days before stale"]).value = 60     # lead
    wb.save(book)
    stages.write_text(stages.read_text(encoding="utf-8").replace("proposal, probability: 0.5",
                                                                 "proposal, probability: 0.55"), encoding="utf-8")
    deals = pd.read_csv(opps, encoding="utf-8-sig")
    open_deals = deals[deals["status"] == "open"]

    for attempt in range(2):                    # kept on the next re-run too, not only the first
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        cell = f"C{row}"
        assert (f"xlsales: note: funnel.xlsx, sheet Stages, cell {cell} (Win probability): kept 0.3 typed for "
                "'needs analysis' (the stage table says 0.25)") in result.stderr
        assert _stages(book) == {"lead": [0.1, 60], "needs analysis": [0.3, 45], "proposal": [0.55, 45],
                                 "negotiation": [0.75, 30], "won": [1, None]}
        p = open_deals["stage"].map({"lead": 0.1, "needs analysis": 0.3, "proposal": 0.55, "negotiation": 0.75})
        assert _weighted(book) == pytest.approx(float((open_deals["amount"] * p).sum()), abs=0.01)

    refresh_funnel_workbook(book)               # the ribbon's refresh
    assert _stages(book)["needs analysis"] == [0.3, 45] and _stages(book)["lead"] == [0.1, 60]


def test_a_rebuild_keeps_what_was_typed_on_the_funnel_workbooks_stages_sheet(tmp_path):
    """`xlsales build` onto an earlier build refreshes its funnel workbook as a re-run of `xlsales funnel`
    does: a probability typed on the Stages sheet is kept, said so, and used for every deal at that stage."""
    import yaml

    config = tmp_path / "build.yaml"
    config.write_text(yaml.safe_dump({
        "company": "Test Co", "language": "en", "as_of": "2026-06-30",
        "inputs": {"sample": {"seed": 3, "reps": 8, "months": 24}},
        "outputs": {"dir": "out", "workbooks": ["funnel"], "formats": ["md"]}}), encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(main, ["build", str(config)])
    assert first.exit_code == 0, first.output
    book = tmp_path / "out" / "workbooks" / "funnel.xlsx"
    wb = openpyxl.load_workbook(book)
    ws, top, col, bottom = _grid(wb, "Stages")
    stage = ws.cell(top + 2, col["Stage"]).value
    typed = round(float(ws.cell(top + 2, col["Win probability"]).value) + 0.07, 2)
    ws.cell(top + 2, col["Win probability"]).value = typed
    wb.save(book)

    again = runner.invoke(main, ["build", str(config)])
    assert again.exit_code == 0, again.output
    assert f"kept {typed:g} typed for {stage!r}" in again.stderr
    assert _stages(book)[stage][0] == typed
    ws, top, col, bottom = _grid(openpyxl.load_workbook(book, data_only=True), "Deals")
    rows = [(ws.cell(r, col["Amount"]).value, ws.cell(r, col["Weighted"]).value) for r in range(top + 1, bottom + 1)
            if ws.cell(r, col["Stage"]).value == stage and ws.cell(r, col["Weighted"]).value]
    assert rows and all(w == pytest.approx(a * typed, abs=0.01) for a, w in rows)

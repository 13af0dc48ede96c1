"""The xlwings Lite scripts (udfs/xlsales_scripts.py) on the open workbook, as Lite shows it to them.

A Lite script has no workbook file and reads values but no formulas. ``FakeBook(path, lite=True)``
(tests/fake_excel.py) is such a book over a demo workbook. After the same edit by hand, the script
and the desktop button (``live.run``, which saves the file and refreshes a copy) must leave the
same tables in the book: the same values and the same formulas, cell for cell. The script writes
one 2-D block per changed table at most, and nothing at all when nothing changed. The same scripts
run inside the bundle where xlsales is not installed in tests/test_udfs_lite.py.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from openpyxl.utils import range_boundaries

from fake_excel import FakeBook
from xlsales.excel import lite_book, live, setup
from xlsales.sample import sample_company
from xlsales.workbooks import commission as commission_wb
from xlsales.workbooks import targets as targets_wb
from xlsales.workbooks.targets import targets_report

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

# Columns whose cells differ between two runs by nature: when a revision was logged.
VOLATILE = {("RevisionLog", "When")}


@pytest.fixture(scope="module")
def targets_path(tmp_path_factory):
    """The sample company's targets workbook (40 reps, 4 measures), as `xlsales demo` makes it."""
    company = sample_company()
    path, _, _ = targets_report(company.orders, company.reps, tmp_path_factory.mktemp("lite") / "targets.xlsx")
    return path


def open_book(path, tmp_path, name, lite):
    copy = tmp_path / name / path.name
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    book = FakeBook(copy, lite=lite)
    if lite:   # Lite cannot lift a sheet's protection: the user unprotects the formula sheets first
        for sheet in book.sheets:
            sheet.ws.protection.sheet = False
    return book


def _cell(value):
    """A cell's value, numbers to 12 significant digits: a computation in another process (the fresh
    environment) may differ in the last bit of a ratio, which Excel's 15 digits do not show."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


def tables_of(book) -> dict:
    """{table: (sheet, ref, rows of cell values, formulas as text)} of a fake book's workbook."""
    out = {}
    for ws in book.wb.worksheets:
        for table in ws.tables.values():
            rows = [[_cell(c.value) for c in row] for row in ws[table.ref]]
            headers = rows[0]
            for i, header in enumerate(headers):
                if (table.displayName, header) in VOLATILE:
                    for row in rows[1:]:
                        row[i] = "(time)" if row[i] is not None else None
            out[table.displayName] = (ws.title, table.ref, rows)
    return out


def edit_targets(book):
    """A sales director's edits: an override with its reason on the first rep, growth of one measure."""
    ws = next(s.ws for s in book.sheets if "TargetGrid" in s.ws.tables)
    min_col, min_row, max_col, _ = range_boundaries(ws.tables["TargetGrid"].ref)
    headers = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
    suggested = ws.cell(min_row + 1, headers["Suggested"]).value
    ws.cell(min_row + 1, headers["Override"]).value = round(suggested * 0.9 / 100) * 100
    ws.cell(min_row + 1, headers["Reason"]).value = "new key account"
    plans = next(s.ws for s in book.sheets if "MeasurePlans" in s.ws.tables)
    min_col, min_row, max_col, _ = range_boundaries(plans.tables["MeasurePlans"].ref)
    growth = next(c for c in range(min_col, max_col + 1) if plans.cell(min_row, c).value == "Growth")
    plans.cell(min_row + 2, growth).value = 0.25
    return ws, headers, range_boundaries(ws.tables["TargetGrid"].ref)[1] + 1


def value_writes(book) -> list[str]:
    return [w for w in book.writes() if w.startswith("value ")]


def test_an_unchanged_workbook_gets_no_write(targets_path, tmp_path):
    book = open_book(targets_path, tmp_path, "lite", lite=True)
    assert lite_book.run(book, "targets") == "targets: 0 cells updated"
    assert book.writes() == []
    assert not any(what.startswith("formula") for _, what in book.calls)   # Lite reads no formulas


def test_the_script_leaves_what_the_desktop_button_leaves(targets_path, tmp_path):
    desktop = open_book(targets_path, tmp_path, "desktop", lite=False)
    lite = open_book(targets_path, tmp_path, "lite", lite=True)
    edit_targets(desktop)
    ws, headers, row = edit_targets(lite)
    before = tables_of(lite)

    assert live.run(desktop, "targets").startswith("targets: ")
    message = lite_book.run(lite, "targets")

    after, expected = tables_of(lite), tables_of(desktop)
    assert after.keys() == expected.keys()
    for name in expected:
        assert after[name] == expected[name], name
    assert after != before and not message.startswith("targets: 0 ")
    # The override was logged, with who and why; the user's own cells stay.
    log = after["RevisionLog"][2]
    assert before["RevisionLog"][2][1:] == [[None] * 7]            # the empty log's blank row
    assert log[1][1:] == [lite_book._who(), log[1][2], log[1][3], log[1][4], log[1][5], "new key account"]
    assert ws.cell(row, headers["Reason"]).value == "new key account"
    # One 2-D write per changed table at most, each block written once.
    n_tables = sum(len(s.tables) for s in lite.sheets)
    writes = value_writes(lite)
    assert 1 <= len(writes) <= n_tables and len(set(writes)) == len(writes)
    # Run again: nothing left to do.
    lite.calls.clear()
    assert lite_book.run(lite, "targets") == "targets: 0 cells updated" and lite.writes() == []


def test_a_failure_is_one_line_in_the_task_pane(targets_path, tmp_path, capsys):
    book = open_book(targets_path, tmp_path, "lite", lite=True)
    for sheet in book.sheets:                 # the user deleted a table the refresh needs
        sheet.tables.pop("MeasurePlans", None)
    message = lite_book.script(book, "targets")
    assert message.startswith("xlsales: ") and "MeasurePlans" in message
    assert capsys.readouterr().out.strip() == message
    assert "Traceback" not in message


def _buttons() -> list[tuple[str, str, str]]:
    """(function, shape name, sheet) of every @script(button=...) in udfs/xlsales_scripts.py."""
    tree = ast.parse((Path(setup.udfs_dir()) / "xlsales_scripts.py").read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "script":
                    button = next(k.value.value for k in decorator.keywords if k.arg == "button")
                    shape, cell = button[1:].split("]")
                    out.append((node.name, shape, cell.rsplit("!", 1)[0]))
    return out


def test_each_button_sits_on_a_sheet_of_its_workbook_in_both_languages():
    buttons = _buttons()
    names = {sheet for _, _, sheet in buttons}
    assert names == {*targets_wb.SHEETS["assumptions"], *commission_wb.SHEETS["plan"]}
    assert len({shape for _, shape, _ in buttons}) == len(buttons)


# --- commission: recomputed from the workbook's own tables ---------------------------------------

@pytest.fixture(scope="module")
def commission_path(tmp_path_factory):
    """A commission workbook as `xlsales commission` writes it from input files (12 reps, June 2026 of
    the example plan: tiers, gate, accelerators, caps, awards, a draw), recording its inputs."""
    import yaml
    from click.testing import CliRunner

    from xlsales.cli import main

    root = Path(__file__).resolve().parents[1]
    made = tmp_path_factory.mktemp("lite-commission")
    plan = str(root / "examples" / "plans" / "plan.en.yaml")
    result = CliRunner().invoke(main, ["sample-data", "--out", str(made / "inputs"), "--reps", "12", "--months", "30"])
    assert result.exit_code == 0, result.output
    config = {"company": "T", "language": "en", "as_of": "2026-06-30",
              "inputs": {"orders": "inputs/orders.csv", "reps": "inputs/reps.csv",
                         "opportunities": "inputs/opportunities.csv"},
              "plan": {"commission": plan}, "outputs": {"dir": "out", "formats": ["md"]}}
    (made / "build.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(made / "build.yaml")])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, [
        "commission", "--plan", plan, "--orders", str(made / "inputs" / "orders.csv"),
        "--reps", str(made / "inputs" / "reps.csv"), "--targets", str(made / "out" / "workbooks" / "targets.xlsx"),
        "--period", "2026-06", "--out", str(made / "june.xlsx")])
    assert result.exit_code == 0, result.output
    return made / "june.xlsx"


def edit_tier_rate(book, rate=0.06):
    """A plan change typed in the workbook: revenue's tier 2 (100 % of quota and up) pays ``rate``."""
    ws = next(s.ws for s in book.sheets if "Tiers" in s.ws.tables)
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables["Tiers"].ref)
    headers = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
    row = next(r for r in range(min_row + 1, max_row + 1) if ws.cell(r, headers["Tier key"]).value == "revenue#2")
    ws.cell(row, headers["Rate"]).value = rate


def _payouts(book) -> dict:
    ws = next(s.ws for s in book.sheets if "RepPayouts" in s.ws.tables)
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables["RepPayouts"].ref)
    headers = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
    return {ws.cell(r, headers["Rep"]).value: ws.cell(r, headers["Computed payout"]).value
            for r in range(min_row + 1, max_row + 1)}


def test_unchanged_the_recompute_from_tables_equals_the_refresh_from_files(commission_path, tmp_path):
    """Nothing edited: the workbook's own tables give, to the cent and cell for cell, what the input
    files give: the Lite script and the desktop button (which re-reads the files) write nothing."""
    lite = open_book(commission_path, tmp_path, "lite", lite=True)
    assert lite_book.run(lite, "commission") == "commission: 0 cells updated"
    assert lite.writes() == []
    desktop = open_book(commission_path, tmp_path, "desktop", lite=False)
    assert live.run(desktop, "commission") == "commission: 0 cells updated"
    assert any(v for v in _payouts(lite).values())     # real payouts, not an empty plan


def test_an_edited_rate_is_paid_as_the_desktop_pays_it(commission_path, tmp_path):
    from recalc import recalculate

    desktop = open_book(commission_path, tmp_path, "desktop", lite=False)
    lite = open_book(commission_path, tmp_path, "lite", lite=True)
    before = _payouts(lite)
    edit_tier_rate(desktop)
    edit_tier_rate(lite)

    assert live.run(desktop, "commission_tables").startswith("commission_tables: ")
    message = lite_book.run(lite, "commission")

    assert tables_of(lite) == tables_of(desktop)
    n_tables = sum(len(s.tables) for s in lite.sheets)
    writes = value_writes(lite)
    assert 1 <= len(writes) <= n_tables and len(set(writes)) == len(writes) and not message.startswith("commission: 0")
    after = _payouts(lite)
    assert after != before and all(after[rep] >= before[rep] for rep in before)   # a higher rate never pays less
    # The engine's payouts are the workbook's formulas' payouts under the edited rate (LibreOffice).
    desktop.save()
    values = recalculate(desktop.fullname, tmp_path / "recalc")
    ws = next(ws for ws in values.worksheets if "RepPayouts" in ws.tables)
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables["RepPayouts"].ref)
    headers = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
    checks = [ws.cell(r, headers["Check"]).value for r in range(min_row + 1, max_row + 1)]
    assert checks and set(checks) == {"OK"}
    for r in range(min_row + 1, max_row + 1):
        assert ws.cell(r, headers["Payout"]).value == pytest.approx(after[ws.cell(r, headers["Rep"]).value], abs=0.005)
    lite.calls.clear()
    assert lite_book.run(lite, "commission") == "commission: 0 cells updated" and lite.writes() == []


def test_a_bad_rate_is_named_and_nothing_is_written(commission_path, tmp_path, capsys):
    lite = open_book(commission_path, tmp_path, "lite", lite=True)
    edit_tier_rate(lite, "six percent")
    message = lite_book.script(lite, "commission")
    assert message.startswith("xlsales: ") and "measures.revenue.tiers[2]" in message and "rate" in message
    assert lite.writes() == []


def test_an_older_workbook_is_told_what_to_do_and_gets_the_tables_from_a_refresh(commission_path, tmp_path):
    import openpyxl

    from xlsales.workbooks.binding import WorkbookError, name_cell
    from xlsales.workbooks.commission import recompute_workbook, refresh_workbook

    path = tmp_path / commission_path.name
    path.write_bytes(commission_path.read_bytes())
    wb = openpyxl.load_workbook(path)            # as an xlsales before the Engine inputs sheet wrote it
    wb.remove(wb["Engine inputs"])
    del wb["Plan"].tables["AwardRules"]
    wb.save(path)
    with pytest.raises(WorkbookError, match="no table 'AwardRules'.*calculate commissions once with the input files"):
        recompute_workbook(path)
    from xlsales.workbooks.sources import workbook_folder
    with workbook_folder(commission_path.parent):
        refresh_workbook(path)                   # the ribbon's refresh from the files adds them
    wb = openpyxl.load_workbook(path)
    assert "Engine inputs" in wb.sheetnames and "AwardRules" in wb["Plan"].tables
    before = _payouts(FakeBook(path))
    recompute_workbook(path)
    assert _payouts(FakeBook(path)) == before
    # A closed period is paid against the ledger file: refused, naming it.
    wb = openpyxl.load_workbook(path)
    name_cell(wb, "LedgerSeal").value = "2026-05 abc123"
    wb.save(path)
    with pytest.raises(Exception, match="LedgerSeal: .*last closed 2026-05"):
        recompute_workbook(path)

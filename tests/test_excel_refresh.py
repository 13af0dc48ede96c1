"""The ribbon's refresh in Excel, counted on a fake xlwings Book (tests/fake_excel.py).

An unchanged refresh makes no write at all; a real change writes each changed table in one 2-D call
with screen updating off and calculation manual, both restored afterwards, also when a write fails.
The number of calls is bounded by the number of tables, never by the number of cells.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl.utils import range_boundaries

from fake_excel import FakeBook
from xlsales.excel import live
from xlsales.sample import sample_company
from xlsales.workbooks.targets import targets_report

# openpyxl keeps archives open that its garbage collection closes with a warning.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(scope="module")
def targets_path(tmp_path_factory):
    """The sample company's targets workbook (40 reps, 4 measures), as `xlsales demo` makes it."""
    company = sample_company()
    path, _, _ = targets_report(company.orders, company.reps, tmp_path_factory.mktemp("refresh") / "targets.xlsx")
    return path


@pytest.fixture
def book(targets_path, tmp_path):
    copy = tmp_path / targets_path.name
    copy.write_bytes(targets_path.read_bytes())
    return FakeBook(copy)


def _grid(book):
    sheet = next(s for s in book.sheets.values() if "TargetGrid" in s.ws.tables)
    ws = sheet.ws
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables["TargetGrid"].ref)
    headers = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
    return sheet, ws, min_row, max_row, headers


def test_an_unchanged_refresh_writes_nothing(book):
    n_tables = sum(len(s.tables) for s in book.sheets.values())
    assert live.run(book, "targets") == "targets: 0 cells updated"
    assert book.writes() == []                       # not even screen updating or calculation
    assert len(book.calls) <= 3 * n_tables           # the table's range, its values, its formulas
    assert book.app.history == []


def test_an_override_writes_one_block_per_changed_table(book):
    sheet, ws, min_row, max_row, headers = _grid(book)
    row = min_row + 1
    override = round(ws.cell(row, headers["Suggested"]).value * 0.9 / 100) * 100
    ws.cell(row, headers["Override"]).value = override
    ws.cell(row, headers["Reason"]).value = "new key account"
    before = [[c.value for c in r] for r in ws.iter_rows(min_row=min_row + 1, max_row=max_row)]

    message = live.run(book, "targets")

    n_tables = sum(len(s.tables) for s in book.sheets.values())
    value_writes = [w for w in book.writes() if w.startswith("value ")]
    assert message.startswith("targets: ") and not message.startswith("targets: 0 ")
    assert 1 <= len(value_writes) <= n_tables        # one 2-D write per changed table at most
    assert len(set(value_writes)) == len(value_writes)
    assert len(book.calls) <= 3 * n_tables + 2 * n_tables + 4   # reads, writes (+ protection), app
    after = [[c.value for c in r] for r in ws.iter_rows(min_row=min_row + 1, max_row=max_row)]
    assert after != before
    assert ws.cell(row, headers["Override"]).value == override     # what the user typed stays
    assert ws.cell(row, headers["Reason"]).value == "new key account"
    # Quiet while writing, and put back as it was.
    assert book.app.history[:2] == [("screen_updating", False), ("calculation", "manual")]
    assert book.app.screen_updating is True and book.app.calculation == "automatic"
    # A second refresh finds nothing left to do.
    book.calls.clear()
    assert live.run(book, "targets") == "targets: 0 cells updated" and book.writes() == []


def test_screen_and_calculation_are_restored_when_a_write_fails(book):
    sheet, ws, min_row, _, headers = _grid(book)
    ws.cell(min_row + 1, headers["Override"]).value = round(ws.cell(min_row + 1, headers["Suggested"]).value
                                                            * 0.8 / 100) * 100
    sheet.fail_on_write = True
    with pytest.raises(RuntimeError, match="refused"):
        live.run(book, "targets")
    assert book.app.screen_updating is True and book.app.calculation == "automatic"
    assert ws.protection.sheet       # the protected grid sheet is protected again


@pytest.mark.parametrize("live_value, live_formula, fresh, same", [
    (None, "", None, True), ("", "", None, True), (None, "", 0, False),
    (1234.0, "1234", 1234, True), (1234.0, "1234", 1234.5, False), (0.1 + 0.2, "0.3", 0.3, True),
    (True, "TRUE", True, True), (1.0, "1", True, False),
    ("Li", "Li", "Li", True), ("=abc", "=abc", "'=abc", True), ("abc", "abc", "'=abc", False),
    (3.0, "=1+2", "=1+2", True), (3.0, "=1+2", "=1+3", False), (3.0, "=1+2", 3, False),
])
def test_cell_comparison(live_value, live_formula, fresh, same):
    assert live._same(live_value, live_formula, fresh) is same


def test_dates_compare_equal_as_excel_returns_them():
    from datetime import date, datetime

    assert live._same(datetime(2026, 3, 1), "3/1/2026", datetime(2026, 3, 1))
    assert live._same(datetime(2026, 3, 1, 0, 0, 0, 400), "3/1/2026", date(2026, 3, 1))
    assert live._same(46082.0, "46082", datetime(2026, 3, 1))      # a date cell shown as a number
    assert not live._same(datetime(2026, 3, 2), "3/2/2026", datetime(2026, 3, 1))


# --- every ribbon job on the workbooks that build and the commands write, after moving them -------

@pytest.fixture(scope="module")
def moved_build(tmp_path_factory):
    """A build from input files, then the whole folder moved elsewhere (as when it is shared)."""
    import shutil

    import yaml
    from click.testing import CliRunner

    from xlsales.cli import main

    root = Path(__file__).resolve().parents[1]
    made = tmp_path_factory.mktemp("made")
    result = CliRunner().invoke(main, ["sample-data", "--out", str(made / "inputs"), "--reps", "8", "--months", "24"])
    assert result.exit_code == 0, result.output
    config = {"company": "T", "language": "en", "as_of": "2026-06-30",
              "inputs": {"orders": "inputs/orders.csv", "reps": "inputs/reps.csv",
                         "opportunities": "inputs/opportunities.csv"},
              "plan": {"commission": str(root / "examples" / "plans" / "plan.en.yaml")},
              "outputs": {"dir": "out", "formats": ["md"]}}
    (made / "build.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(made / "build.yaml")])
    assert result.exit_code == 0, result.output
    # A commission workbook written by the command, into a folder of its own.
    result = CliRunner().invoke(main, [
        "commission", "--plan", str(root / "examples" / "plans" / "plan.en.yaml"),
        "--orders", str(made / "inputs" / "orders.csv"), "--reps", str(made / "inputs" / "reps.csv"),
        "--targets", str(made / "out" / "workbooks" / "targets.xlsx"), "--period", "2026-06",
        "--out", str(made / "pay" / "june.xlsx")])
    assert result.exit_code == 0, result.output
    moved = tmp_path_factory.mktemp("moved") / "shared copy"
    shutil.copytree(made, moved)
    shutil.rmtree(made)
    return moved


@pytest.mark.parametrize("kind, name", [("funnel", "out/workbooks/funnel.xlsx"),
                                        ("commission", "out/workbooks/commission.xlsx"),
                                        ("targets", "out/workbooks/targets.xlsx"),
                                        ("commission", "pay/june.xlsx")])
def test_every_refresh_works_on_a_moved_build_and_changes_nothing(moved_build, tmp_path, kind, name):
    """Inputs are recorded relative to the workbook: the moved copy finds its own inputs, and a
    refresh of unchanged inputs writes nothing."""
    book = FakeBook(moved_build / name)
    assert live.run(book, kind) == f"{kind}: 0 cells updated"
    assert book.writes() == []


def test_write_memos_works_on_a_moved_build(moved_build):
    book = FakeBook(moved_build / "out" / "workbooks" / "targets.xlsx")
    message = live.run(book, "memos")
    out = moved_build / "out" / "workbooks" / "targets memos"
    assert message == f"Memos written to {out}" and list(out.glob("*.md"))


def test_a_missing_input_names_the_files_it_looked_for(moved_build, tmp_path):
    import shutil

    from xlsales.errors import InputError

    copy = tmp_path / "elsewhere"
    (copy / "workbooks").mkdir(parents=True)
    shutil.copy2(moved_build / "out" / "workbooks" / "funnel.xlsx", copy / "workbooks" / "funnel.xlsx")
    with pytest.raises(InputError) as caught:
        live.run(FakeBook(copy / "workbooks" / "funnel.xlsx"), "funnel")
    message = str(caught.value)
    assert "funnel.xlsx: the opportunities file it was made from is not there" in message
    assert str(copy / "workbooks" / ".." / ".." / "inputs" / "opportunities.csv") in message
    assert "opportunities.csv" in message.split(" and ")[1]     # the absolute fallback too

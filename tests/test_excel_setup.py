"""``xlsales excel-setup``: the .xlsm / .xlam it writes, their ribbon and config, and the xlwings Lite files."""
from __future__ import annotations

import inspect
import io
import json
import re
import subprocess
import sys
import textwrap
import types
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
import xlwings
from click.testing import CliRunner

from xlsales.cli import main
from xlsales.excel import setup, vba

ROOT = Path(__file__).resolve().parents[1]
UDFS_DIR = ROOT / "udfs"
MACROS = {"REFRESH_TARGETS", "REFRESH_FUNNEL", "CALCULATE_COMMISSIONS", "WRITE_MEMOS"}
CUSTOM_UI_NS = "{http://schemas.microsoft.com/office/2009/07/customui}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
# openpyxl keeps the VBA in an in-memory zip that it never closes; its garbage collection warns.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("excel-setup")
    result = CliRunner().invoke(main, ["excel-setup", "--out", str(folder), "--kind", "both"])
    assert result.exit_code == 0, result.output
    return folder


def load(path: Path):
    """openpyxl with keep_vba; an add-in is read as an .xlsm (openpyxl refuses the add-in type)."""
    data = path.read_bytes()
    if path.suffix == ".xlam":
        data = setup.as_xlsm(data)
    return openpyxl.load_workbook(io.BytesIO(data), keep_vba=True)


def template(kind: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(Path(xlwings.__file__).parent / setup.KINDS[kind][0])


def test_cli_writes_everything(out):
    names = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    assert {"xlsales.xlsm", "xlsales.xlam", "lite/main.py", "lite/requirements.txt"} <= names
    assert not [n for n in names if n.endswith(".tmp") or n.endswith(".py") and "/" not in n]


def test_cli_default_kind_is_the_addin(tmp_path):
    result = CliRunner().invoke(main, ["excel-setup", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "xlsales.xlam").is_file() and not (tmp_path / "xlsales.xlsm").exists()
    assert "Add-ins" in result.output and "Unblock" in result.output and "{1;1;1}" in result.output


@pytest.mark.parametrize("kind, name", [("workbook", "xlsales.xlsm"), ("addin", "xlsales.xlam")])
def test_vba_project_keeps_the_template_modules_and_adds_the_wrappers(out, kind, name):
    wb = load(out / name)
    assert wb.vba_archive is not None
    shipped = vba.modules(zipfile.ZipFile(out / name).read("xl/vbaProject.bin"))
    original = vba.modules(template(kind).read("xl/vbaProject.bin"))
    assert {k: v for k, v in shipped.items() if k != "xlwings_udfs"} == original
    assert shipped["xlwings_udfs"].replace("\r\n", "\n") == setup.udf_wrappers(kind)
    workbook = "ActiveWorkbook" if kind == "addin" else "ThisWorkbook"
    assert (f'XLPy.CallUDF "xlsales.udfs.xlsales_macros", "REFRESH_TARGETS", Array(control), {workbook}, '
            "Application.Caller") in shipped["xlwings_udfs"]


def test_vba_project_reads_back_with_an_independent_parser(out):
    """oletools' olevba (its own compound-file and VBA readers) finds every module with its source.
    Run in its own process: olevba changes the recursion limit, which upsets ast.parse in CPython 3.11."""
    code = ("import json, sys\nfrom oletools.olevba import VBA_Parser\n"
            "parser = VBA_Parser('xlsales.xlam', data=open(sys.argv[1], 'rb').read())\n"
            "print(json.dumps({n.rsplit('.', 1)[0]: c for _, _, n, c in parser.extract_macros()}))\n")
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", code, str(out / "xlsales.xlam")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert "xlwings_udfs" in found and "Function SPLIT_TARGET(total, weights, Optional round_to, Optional locked)" \
        in found["xlwings_udfs"]
    assert {"xlwings", "RibbonMyAddin", "ThisWorkbook", "Dictionary", "Sheet2"} <= set(found)


def test_only_the_addin_carries_the_ribbon(out):
    """A workbook's own ribbon shows only while that workbook is active: the .xlsm has none."""
    package = zipfile.ZipFile(out / "xlsales.xlsm")
    assert not [n for n in package.namelist() if n.startswith("customUI")]
    assert setup.CUSTOM_UI_REL not in package.read("_rels/.rels").decode()


@pytest.mark.parametrize("name", ["xlsales.xlam"])
def test_ribbon_part_is_valid_and_related(out, name):
    package = zipfile.ZipFile(out / name)
    rels = ElementTree.fromstring(package.read("_rels/.rels"))
    ui = [r for r in rels.iter(REL_NS + "Relationship") if r.get("Type") == setup.CUSTOM_UI_REL]
    assert len(ui) == 1 and ui[0].get("Target") == "customUI/customUI14.xml"
    assert len({r.get("Id") for r in rels}) == len(list(rels))
    assert not [n for n in package.namelist() if n.startswith("customUI/") and n != "customUI/customUI14.xml"]
    root = ElementTree.fromstring(package.read("customUI/customUI14.xml"))
    assert root.tag == CUSTOM_UI_NS + "customUI"
    tabs = list(root.iter(CUSTOM_UI_NS + "tab"))
    assert [t.get("label") for t in tabs] == ["xlsales"]
    buttons = list(root.iter(CUSTOM_UI_NS + "button"))
    assert {b.get("onAction") for b in buttons} == MACROS
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[A-Za-z_]\w*", i) for i in ids)


def test_ribbon_callbacks_are_the_macros_import_functions_creates():
    spec_macros = {}
    exec(compile((UDFS_DIR / "xlsales_macros.py").read_text(), "xlsales_macros", "exec"), spec_macros)
    for name in MACROS:
        parameters = list(inspect.signature(spec_macros[name]).parameters.values())
        # Excel calls onAction with the button: one parameter, optional so shapes can call it too.
        assert [(p.name, p.default) for p in parameters] == [("control", None)]
    assert {b[4] for b in setup.RIBBON} == MACROS


@pytest.mark.parametrize("kind, name", [("workbook", "xlsales.xlsm"), ("addin", "xlsales.xlam")])
def test_callbacks_do_not_clash_with_template_vba(out, kind, name):
    procedures = vba.procedures(zipfile.ZipFile(out / name).read("xl/vbaProject.bin"))
    assert procedures, "the template's VBA could not be read"
    assert not {p.split(".")[1] for p in procedures if not p.startswith("xlwings_udfs.")} & MACROS
    assert {p.split(".")[1] for p in procedures if p.startswith("xlwings_udfs.")} >= MACROS


def test_template_vba_as_found():
    """What the templates define: the ribbon template's only callback runs <file name>.main()."""
    addin = vba.modules(template("addin").read("xl/vbaProject.bin"))
    assert "Sub RunMain(control As IRibbonControl)" in addin["RibbonMyAddin"]
    assert 'PROJECT_NAME As String = "myaddin"' in addin["xlwings"]
    assert "Sub ImportPythonUDFs()" in addin["xlwings"]
    workbook = vba.procedures(template("workbook").read("xl/vbaProject.bin"))
    assert set(workbook) == {"Module1.SampleCall"}


def conf_rows(ws):
    rows = []
    for key, value in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if key is None:
            break
        rows.append((key, value))
    return dict(rows)


@pytest.mark.parametrize("name, sheet, gone", [("xlsales.xlsm", "xlwings.conf", "_xlwings.conf"),
                                               ("xlsales.xlam", "myaddin.conf", "_myaddin.conf")])
def test_config_sheet(out, name, sheet, gone):
    wb = load(out / name)
    assert sheet in wb.sheetnames and gone not in wb.sheetnames
    conf = conf_rows(wb[sheet])
    assert conf["UDF Modules"] == "xlsales.udfs.xlsales_udfs;xlsales.udfs.xlsales_macros"
    assert "PYTHONPATH" not in conf   # nothing of the machine that ran excel-setup
    assert set(conf) >= {"Interpreter_Win", "Interpreter_Mac", "UDF Modules"}
    if sys.platform.startswith("linux"):  # never a bare "python" for Windows when set up elsewhere
        assert conf["Interpreter_Win"] == r"%USERPROFILE%\xlsales-env\Scripts\pythonw.exe"
        assert conf["Interpreter_Mac"] == "python"
    assert conf["Use UDF Server"] is False and conf["Show Console"] is False
    # The notes sit below a blank row, so xlwings (which reads A1 down to the first blank) skips them.
    assert wb[sheet].cell(len(conf) + 1, 1).value is None
    notes = " ".join(str(c.value) for c in wb[sheet]["A"] if c.value)
    assert "Import Functions" in notes and f"xlwings64-{xlwings.__version__}.dll" in notes


def test_the_addin_config_sheet_is_the_one_its_vba_reads(out):
    source = vba.modules(zipfile.ZipFile(out / "xlsales.xlam").read("xl/vbaProject.bin"))["xlwings"]
    project = re.search(r'PROJECT_NAME As String = "(\w+)"', source).group(1)
    assert f"{project}.conf" in load(out / "xlsales.xlam").sheetnames


def test_addin_workbook_stays_hidden(out):
    assert load(out / "xlsales.xlam").views[0].visibility == "hidden"


def test_interpreters_can_be_given(tmp_path):
    setup.build(tmp_path, "workbook", interpreter_win=r"C:\Python312\python.exe",
                interpreter_mac="/opt/homebrew/bin/python3")
    conf = conf_rows(load(tmp_path / "xlsales.xlsm")["xlwings.conf"])
    assert conf["Interpreter_Win"] == r"C:\Python312\python.exe"
    assert conf["Interpreter_Mac"] == "/opt/homebrew/bin/python3"


def test_bad_kind_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["excel-setup", "--out", str(tmp_path), "--kind", "xll"])
    assert result.exit_code == 2 and not list(tmp_path.iterdir())


def test_udf_modules_are_importable_by_their_configured_names():
    import importlib

    for name in setup.UDF_MODULES:
        module = importlib.import_module(name)
        assert Path(module.__file__).resolve() == (UDFS_DIR / (name.rsplit(".", 1)[1] + ".py")).resolve()


# --- xlwings Lite ---------------------------------------------------------------------------------

def test_every_kind_writes_the_lite_bundle_from_the_package(out):
    """The bundle is made by excel-setup each time (tests/test_udfs_lite.py runs it without xlsales)."""
    assert (out / "lite" / "main.py").read_text(encoding="utf-8") == setup.lite_bundle()["main.py"]
    assert "xlsales" not in [line.split("==")[0] for line in
                             (out / "lite" / "requirements.txt").read_text().splitlines()]
    assert not (UDFS_DIR / "lite").exists()     # no hand-kept copy in the repository


# Run where processes and sockets do not exist, as in Pyodide: importing those modules fails.
# The libraries Pyodide provides (pandas, numpy, openpyxl, jinja2) are loaded first, as they would be
# there; after that any import of subprocess, multiprocessing or socket fails.
BLOCK = textwrap.dedent("""
    import sys
    import jinja2, numpy, openpyxl, pandas  # noqa: F401
    for name in ("subprocess", "multiprocessing", "socket", "_socket", "_posixsubprocess"):
        sys.modules[name] = None
""")
def test_package_imports_without_processes_or_sockets():
    code = BLOCK + ("import xlsales, xlsales.core, xlsales.excel.converters, xlsales.excel.refresh\n"
                    "print(xlsales.split_target(10, [1, 1]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[5.0, 5.0]"


# --- ribbon macros: refresh adapter and write-back into the open workbook -------------------------

from openpyxl.utils import range_boundaries  # noqa: E402
from openpyxl.worksheet.table import Table  # noqa: E402

from xlsales.errors import InputError  # noqa: E402
from xlsales.excel import live, refresh  # noqa: E402


from fake_excel import FakeBook  # noqa: E402


def plan_workbook(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws.append(["rep", "weight", "target", "note"])
    for row in rows:
        ws.append(row)
    ws["F1"] = "user's own cell outside the table"
    ws.add_table(Table(displayName="Targets", ref=f"A1:D{len(rows) + 1}"))
    wb.save(path)


def fake_refresh(path):
    """Stands in for a workbook module: recomputes the target column, keeps the user's notes."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Plan"]
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, 2).value is not None:
            ws.cell(row, 3).value = ws.cell(row, 2).value * 100
    wb.save(path)


def test_write_back_touches_only_changed_cells(tmp_path):
    path = tmp_path / "plan.xlsx"
    plan_workbook(path, [["Li", 1, 100, "keep me"], ["Wang", 2, 150, None], ["Zhao", 3, "=B4*100", None]])
    book = FakeBook(path)
    fake_refresh(path)
    count = live.write_back(book, live.fresh_tables(path))
    sheet = book.sheets["Plan"]
    assert sheet.written == ["C3", "C4"] and count == 2
    assert [sheet.ws.cell(r, 3).value for r in (2, 3, 4)] == [100, 200, 300]
    assert sheet.ws["D2"].value == "keep me" and sheet.ws["F1"].value.startswith("user's")


def test_write_back_grows_and_shrinks_the_table(tmp_path):
    path = tmp_path / "plan.xlsx"
    plan_workbook(path, [["Li", 1, 100, None], ["Wang", 2, 200, None]])
    book = FakeBook(path)
    plan_workbook(path, [["Li", 1, 100, None], ["Wang", 2, 200, None], ["Zhao", 3, 300, None]])
    live.write_back(book, live.fresh_tables(path))
    sheet = book.sheets["Plan"]
    assert sheet.tables["Targets"].table.ref == "A1:D4" and sheet.ws["A4"].value == "Zhao"
    plan_workbook(path, [["Li", 1, 100, None]])
    live.write_back(book, live.fresh_tables(path))
    assert sheet.tables["Targets"].table.ref == "A1:D2"
    assert sheet.ws["A3"].value is None and sheet.ws["A4"].value is None


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path):
    path = tmp_path / "plan.xlsx"
    plan_workbook(path, [["Li", 1, 100, None]])
    book = FakeBook(path)
    wb = openpyxl.load_workbook(path)
    wb["Plan"]["D2"].value = "=not a formula"
    wb["Plan"]["D2"].data_type = "s"
    wb.save(path)
    live.write_back(book, live.fresh_tables(path))
    cell = book.sheets["Plan"].ws["D2"]
    assert cell.value == "=not a formula" and cell.data_type == "s"   # Excel got it with its text prefix


def test_macro_run_refreshes_a_copy_and_writes_back(tmp_path, monkeypatch):
    path = tmp_path / "plan.xlsx"
    plan_workbook(path, [["Li", 1, None, "mine"], ["Wang", 3, None, None]])
    module = types.ModuleType("fake_targets_module")
    module.refresh_workbook = fake_refresh
    monkeypatch.setitem(sys.modules, "fake_targets_module", module)
    monkeypatch.setitem(refresh.ENTRY_POINTS, "targets", ("fake_targets_module", "refresh_workbook"))
    book = FakeBook(path)
    assert live.run(book, "targets") == "targets: 2 cells updated"
    assert book.saved == 1
    assert [book.sheets["Plan"].ws.cell(r, 3).value for r in (2, 3)] == [100, 300]
    assert openpyxl.load_workbook(path)["Plan"]["C2"].value is None  # the file is Excel's to save


def test_refresh_reports_missing_code_as_not_available(monkeypatch, tmp_path):
    monkeypatch.setitem(refresh.ENTRY_POINTS, "funnel", ("xlsales.workbooks.no_such_module", "refresh_workbook"))
    with pytest.raises(refresh.NotAvailable, match="funnel: not available"):
        refresh.refresh("funnel", tmp_path / "x.xlsx")
    monkeypatch.setitem(refresh.ENTRY_POINTS, "funnel", ("xlsales.excel.refresh", "no_such_function"))
    with pytest.raises(refresh.NotAvailable, match="no_such_function is missing"):
        refresh.refresh("funnel", tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="kind"):
        refresh.refresh("okma", tmp_path / "x.xlsx")


def test_macro_on_an_unsaved_workbook_says_so(tmp_path):
    book = types.SimpleNamespace(fullname="Book1", save=lambda: None)
    with pytest.raises(InputError, match="save it to a file first"):
        live.run(book, "targets")


def test_every_button_has_an_entry_point():
    # the four ribbon buttons, and the commission recompute from the workbook's own tables (Lite's script)
    assert {"targets", "funnel", "commission", "memos", "commission_tables"} == set(refresh.ENTRY_POINTS)
    for kind in refresh.ENTRY_POINTS:
        assert callable(refresh.entry_point(kind))


def test_write_back_lifts_and_restores_sheet_protection(tmp_path):
    path = tmp_path / "plan.xlsx"
    plan_workbook(path, [["Li", 1, 100, None]])
    book = FakeBook(path)
    sheet = book.sheets["Plan"]
    sheet.ws.protection.sheet = True
    plan_workbook(path, [["Li", 1, 999, None]])
    assert live.write_back(book, live.fresh_tables(path)) == 1
    assert sheet.ws["C2"].value == 999 and sheet.ws.protection.sheet
    unprotect, (protect, options) = sheet.api.calls
    assert unprotect == "Unprotect" and protect == "Protect"
    assert options["Contents"] is True and options["AllowFormattingCells"] is True
    assert options["AllowSorting"] is False
    assert live.write_back(book, live.fresh_tables(path)) == 0 and len(sheet.api.calls) == 2  # no-op


def test_refresh_targets_button_on_a_real_targets_workbook(tmp_path):
    """The targets workbook module behind REFRESH_TARGETS: an override re-phases the months."""
    from xlsales.sample import sample_company
    from xlsales.workbooks.targets import targets_report

    company = sample_company(seed=5, reps=12, months=24)
    path, _, _ = targets_report(company.orders, company.reps, tmp_path / "targets.xlsx")
    book = FakeBook(path)
    ws = next(s.ws for s in book.sheets.values() if "TargetGrid" in s.ws.tables)
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables["TargetGrid"].ref)
    headers = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
    regions = [ws.cell(r, headers["Region"]).value for r in range(min_row + 1, max_row + 1)]
    row = min_row + 1 + next(i for i, region in enumerate(regions) if regions.count(region) > 1)
    month_cols = [c for h, c in headers.items() if h in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                                         "Aug", "Sep", "Oct", "Nov", "Dec")]
    assert len(month_cols) == 12, headers
    before = [ws.cell(row, c).value for c in month_cols]
    override = round(ws.cell(row, headers["Suggested"]).value * 0.9 / 100) * 100
    ws.cell(row, headers["Override"]).value = override          # the user types an override in Excel
    ws.cell(row, headers["Reason"]).value = "new key account"
    ws.protection.sheet = bool(ws.protection.sheet)

    message = live.run(book, "targets")

    assert message.startswith("targets: ") and message.endswith("cells updated")
    after = [ws.cell(row, c).value for c in month_cols]
    assert after != before
    assert ws.cell(row, headers["Override"]).value == override  # the user's cells are not rewritten
    assert ws.cell(row, headers["Reason"]).value == "new key account"
    # Written as blocks (one per changed table), the user's cells in them with what they hold.
    assert 1 <= len([w for w in book.writes() if w.startswith("value ")]) <= len(live.fresh_tables(path))

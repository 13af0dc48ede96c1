"""``xlsales excel-setup``: the .xlsm / .xlam it writes, their ribbon and config, and the xlwings Lite files."""
from __future__ import annotations

import inspect
import io
import re
import subprocess
import sys
import textwrap
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
    assert {"xlsales.xlsm", "xlsales.xlam", "xlsales_udfs.py", "xlsales_macros.py",
            "lite/main.py", "lite/requirements.txt"} <= names
    assert not [n for n in names if n.endswith(".tmp")]


def test_cli_default_kind_is_the_workbook(tmp_path):
    result = CliRunner().invoke(main, ["excel-setup", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "xlsales.xlsm").is_file() and not (tmp_path / "xlsales.xlam").exists()
    assert "Import Functions" in result.output


@pytest.mark.parametrize("kind, name", [("workbook", "xlsales.xlsm"), ("addin", "xlsales.xlam")])
def test_vba_project_is_kept(out, kind, name):
    wb = load(out / name)
    assert wb.vba_archive is not None
    kept = zipfile.ZipFile(out / name).read("xl/vbaProject.bin")
    assert kept == template(kind).read("xl/vbaProject.bin")


def test_workbook_content_types(out):
    for name, content_type in [("xlsales.xlsm", setup.XLSM_CT), ("xlsales.xlam", setup.ADDIN_CT)]:
        types = ElementTree.fromstring(zipfile.ZipFile(out / name).read("[Content_Types].xml"))
        overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(CT_NS + "Override")}
        defaults = {d.get("Extension"): d.get("ContentType") for d in types.iter(CT_NS + "Default")}
        assert overrides["/xl/workbook.xml"] == content_type
        assert defaults["xml"] == "application/xml" and "/customUI/customUI14.xml" not in overrides
        assert "bin" in defaults or "/xl/vbaProject.bin" in overrides


@pytest.mark.parametrize("name", ["xlsales.xlsm", "xlsales.xlam"])
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
    assert not {p.split(".")[1] for p in procedures} & MACROS


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
    assert conf["UDF Modules"] == "xlsales_udfs;xlsales_macros"
    assert conf["PYTHONPATH"] == str(out.resolve())
    assert (out / "xlsales_udfs.py").is_file()
    assert set(conf) >= {"Interpreter_Win", "Interpreter_Mac", "PYTHONPATH", "UDF Modules"}
    if sys.platform.startswith("linux"):
        assert conf["Interpreter_Win"] == conf["Interpreter_Mac"] == "python"
    assert conf["Use UDF Server"] is False and conf["Show Console"] is False
    # The notes sit below a blank row, so xlwings (which reads A1 down to the first blank) skips them.
    assert wb[sheet].cell(len(conf) + 1, 1).value is None
    assert "Import Functions" in " ".join(str(c.value) for c in wb[sheet]["A"] if c.value)


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


def test_udf_modules_are_copied(out):
    for module in setup.UDF_MODULES:
        assert (out / f"{module}.py").read_bytes() == (UDFS_DIR / f"{module}.py").read_bytes()


# --- xlwings Lite ---------------------------------------------------------------------------------

def test_lite_files_in_the_repository_are_current(out):
    assert (UDFS_DIR / "lite" / "main.py").read_text(encoding="utf-8") == setup.lite_main()
    assert (UDFS_DIR / "lite" / "requirements.txt").read_text(encoding="utf-8") == setup.lite_requirements()
    assert (out / "lite" / "main.py").read_text(encoding="utf-8") == setup.lite_main()


def test_lite_requirements_pin_xlwings_and_xlsales():
    lines = [l for l in setup.lite_requirements().splitlines() if l and not l.startswith("#")]
    assert lines == [f"xlwings=={xlwings.__version__}", "xlsales==0.1.0"]


# Run where processes and sockets do not exist, as in Pyodide: importing those modules fails.
# xlwings Lite brings its own xlwings, so a stand-in that records the decorators is used here.
NO_PROCESSES = textwrap.dedent("""
    import sys, types
    for name in ("subprocess", "multiprocessing", "socket", "_socket", "_posixsubprocess", "select"):
        sys.modules[name] = None
    xw = types.ModuleType("xlwings")
    def func(f=None, **kw):
        def inner(f):
            f.__dict__.setdefault("__lite__", {"args": {}})
            return f
        return inner if f is None else inner(f)
    def arg(name, convert=None, **kw):
        def inner(f):
            f.__dict__.setdefault("__lite__", {"args": {}})["args"][name] = kw
            return f
        return inner
    def ret(*a, **kw):
        return lambda f: f
    xw.func, xw.arg, xw.ret, xw.sub, xw.script = func, arg, ret, func, func
    sys.modules["xlwings"] = xw
    import xlsales
    namespace = {"__name__": "main"}
    exec(compile(open(sys.argv[1], encoding="utf-8").read(), "main.py", "exec"), namespace)
    print(namespace["SPLIT_TARGET"](100.0, [[1.0], [1.0], [1.0]], 1.0))
    print(namespace["COMMISSION"](30000.0, [[0.0, 0.05], [10000.0, 0.07], [25000.0, 0.1]]))
    print(sorted(k for k, v in namespace.items() if hasattr(v, "__lite__")))
    print(sorted(m for m in sys.modules if m.split(".")[0] in ("subprocess", "multiprocessing", "socket")
                 and sys.modules[m] is not None))
""")


def test_lite_main_runs_without_processes_or_sockets():
    done = subprocess.run([sys.executable, "-c", NO_PROCESSES, str(UDFS_DIR / "lite" / "main.py")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    split, commission, functions, leaked = done.stdout.strip().splitlines()
    assert split == "[[34.0], [33.0], [33.0]]" and commission == "2050.0"
    assert len(eval(functions)) == 14 and eval(leaked) == []


def test_package_imports_without_processes_or_sockets():
    code = ("import sys\n"
            "for n in ('subprocess', 'multiprocessing', 'socket', '_socket', '_posixsubprocess'):\n"
            "    sys.modules[n] = None\n"
            "import xlsales, xlsales.core, xlsales.excel.converters, xlsales.excel.refresh\n"
            "print(xlsales.split_target(10, [1, 1]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[5.0, 5.0]"

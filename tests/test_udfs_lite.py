"""The xlwings Lite bundle: imported in a fresh virtual environment WITHOUT xlsales, it computes what
the Python API computes.

The environment holds only what Lite has: numpy, pandas and lxml (Pyodide provides them), openpyxl
(a pure-Python wheel Lite installs from the package index) and an xlwings stand-in recording the
decorators, as Lite's own xlwings does. Processes and sockets are blocked, as in Pyodide. Every Excel
function is called with the values Lite passes (floats, and ints for whole numbers, lists of rows
with ndim=2, None for blanks, error values as text) and its results are compared with the same calls
in this process, where xlsales is installed, and with the API. The scripts (``@script``) run there
on a book as Lite shows it (tests/fake_excel.py, ``lite=True``) made from a demo workbook with a
user's edits, and must leave the tables the desktop button leaves.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest
from click.testing import CliRunner

from fake_excel import FakeBook
from test_lite_scripts import commission_path  # noqa: F401  (a fixture: the commission workbook)
from test_udfs import AGREEMENT, BAD, U
from xlsales.cli import main
from xlsales.excel import lite, setup

RUNNER = textwrap.dedent("""
    import json, sys, types
    import contextlib, io, socket, subprocess
    import numpy, pandas  # noqa: F401  (what Pyodide provides)
    attempts = []   # Pyodide can import socket and subprocess but can neither connect nor start a process
    def _refused(what):
        def refuse(*args, **kwargs):
            attempts.append(what)
            raise OSError(f"{what}: not in Pyodide")
        return refuse
    socket.socket = _refused("socket")
    socket.create_connection = _refused("socket.create_connection")
    subprocess.Popen = _refused("subprocess.Popen")
    sys.modules["multiprocessing"] = None
    registered = {}
    xw = types.ModuleType("xlwings")
    def _entry(f):
        return registered.setdefault(f.__name__, {"kind": None, "args": {}, "ret": {}})
    def func(f=None, **options):
        def inner(f):
            _entry(f)["kind"] = "func"
            return f
        return inner if f is None else inner(f)
    def script(f=None, **options):
        def inner(f):
            _entry(f)["kind"] = "script"
            return f
        return inner if f is None else inner(f)
    def arg(name, convert=None, **options):
        def inner(f):
            _entry(f)["args"][name] = {k: v for k, v in options.items() if k != "doc"}
            return f
        return inner
    def ret(convert=None, **options):
        def inner(f):
            _entry(f)["ret"] = options
            return f
        return inner
    xw.func, xw.script, xw.arg, xw.ret, xw.sub = func, script, arg, ret, script
    xw.Book = type("Book", (), {})
    sys.modules["xlwings"] = xw
    try:
        import xlsales  # noqa: F401
        raise SystemExit("xlsales is installed here: the test needs an environment without it")
    except ModuleNotFoundError:
        pass
    namespace = {"__name__": "main"}
    exec(compile(open(sys.argv[1], encoding="utf-8").read(), "main.py", "exec"), namespace)
    cases = json.load(open(sys.argv[2], encoding="utf-8"))
    results = [namespace[name](*args) for name, args in cases]
    scripts = []
    for script_name, workbook, out in json.load(open(sys.argv[3], encoding="utf-8")):
        from fake_excel import FakeBook   # over openpyxl, as Lite shows a book to a script
        book = FakeBook(workbook, lite=True)
        for sheet in book.sheets:
            sheet.ws.protection.sheet = False   # as docs/excel.md asks before the first run
        shown = io.StringIO()
        with contextlib.redirect_stdout(shown):
            namespace[script_name](book)
        book.wb.save(out)
        scripts.append({"writes": book.writes(), "shown": shown.getvalue()})
    leaked = attempts
    files = sorted({getattr(m, "__file__", None) or "" for n, m in sys.modules.items()
                    if n == "xlsales" or n.startswith("xlsales.")})
    lite_packages = sorted({n.split(".")[0] for n in sys.modules} & {"openpyxl", "lxml", "tqdm", "click", "jinja2",
                                                                    "yaml", "pydantic", "pyarrow"})
    print(json.dumps({"results": results, "registered": registered, "leaked": leaked, "files": files,
                      "scripts": scripts, "packages": lite_packages}))
""")


def _whole_as_int(value):
    """Lite passes whole numbers as ints."""
    if isinstance(value, list):
        return [_whole_as_int(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _json_safe(args) -> bool:
    try:
        json.dumps(args)
        return True
    except TypeError:
        return False


CASES = ([(name, list(args)) for name, args, _, _ in AGREEMENT]
         + [(name, _whole_as_int(list(args))) for name, args, _, _ in AGREEMENT]
         + [(name, list(args)) for name, args, _ in BAD if _json_safe(list(args))])


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("lite")
    result = CliRunner().invoke(main, ["excel-setup", "--out", str(out), "--kind", "lite"])
    assert result.exit_code == 0, result.output
    return out / "lite"


@pytest.fixture(scope="module")
def edited(commission_path, tmp_path_factory):
    """{script: edited workbook}: the demo workbooks with a user's edits (test_lite_scripts.py's): an
    override and a growth rate in the targets workbook, a tier rate in the commission workbook."""
    from test_lite_scripts import edit_targets, edit_tier_rate
    from xlsales.sample import sample_company
    from xlsales.workbooks.targets import targets_report

    folder = tmp_path_factory.mktemp("lite-books")
    company = sample_company()
    path, _, _ = targets_report(company.orders, company.reps, folder / "targets.xlsx")
    book = FakeBook(path)
    edit_targets(book)
    book.save()
    commission = folder / commission_path.name
    commission.write_bytes(commission_path.read_bytes())
    book = FakeBook(commission)
    edit_tier_rate(book)
    book.save()
    return {"refresh_targets": path, "calculate_commissions": commission}


@pytest.fixture(scope="module")
def lite_run(bundle, edited, tmp_path_factory):
    """main.py run in a fresh venv holding only what Lite's requirements.txt brings (no xlsales)."""
    folder = tmp_path_factory.mktemp("lite-venv")
    env_dir = folder / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    wanted = [line for line in (bundle / "requirements.txt").read_text().splitlines()
              if line and not line.startswith("#") and not line.startswith("xlwings")]
    done = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *wanted],
                          capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    (folder / "cases.json").write_text(json.dumps(CASES), encoding="utf-8")
    (folder / "runner.py").write_text(RUNNER, encoding="utf-8")
    (folder / "fake_excel.py").write_text((Path(__file__).parent / "fake_excel.py").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    scripts = [(name, str(path), str(folder / f"{name}.xlsx")) for name, path in edited.items()]
    (folder / "scripts.json").write_text(json.dumps(scripts), encoding="utf-8")
    done = subprocess.run([python, folder / "runner.py", bundle / "main.py", folder / "cases.json",
                           folder / "scripts.json"], capture_output=True, text=True, timeout=600, cwd=folder, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    result["books"] = {name: Path(out) for name, _, out in scripts}
    result["wheels"] = {path.parent.name.split("-")[0].lower(): path.read_text(encoding="utf-8")
                        for path in env_dir.glob("lib/python*/site-packages/*.dist-info/WHEEL")
                        if path.parent.name.split("-")[0].lower() in lite.PURE_PACKAGES}
    return result


def test_excel_setup_writes_the_bundle(bundle):
    assert sorted(p.name for p in bundle.iterdir()) == ["main.py", "requirements.txt"]
    assert not list(bundle.parent.glob("*.xl*"))          # --kind lite writes the bundle only


def test_requirements_are_what_pyodide_and_lite_have(bundle):
    import re

    lines = [re.split(r"[<>=!~ ]", line)[0] for line in (bundle / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert set(lines) <= set(lite.PYODIDE_PACKAGES) | set(lite.PURE_PACKAGES) | set(lite.LITE_PACKAGES)
    assert "xlsales" not in (bundle / "requirements.txt").read_text().split("#")[-1]


def test_the_bundle_is_assembled_from_the_package_not_kept_by_hand(bundle):
    text = (bundle / "main.py").read_text(encoding="utf-8")
    for name, source in lite.modules((Path(setup.udfs_dir()) / "xlsales_udfs.py").read_text()).items():
        if name != "xlsales":
            path = lite._module_path(name)
            assert path.read_text(encoding="utf-8") == source
            assert source in text or repr(source) in text, name
    assert not (Path(__file__).resolve().parents[1] / "udfs" / "lite" / "main.py").exists()


def test_every_function_is_registered_with_its_options(lite_run):
    registered = lite_run["registered"]
    functions = {name for name, info in registered.items() if info["kind"] == "func"}
    assert functions == {a[0] for a in AGREEMENT}
    assert registered["SPLIT_TARGET"]["args"]["weights"]["ndim"] == 2
    assert registered["SPLIT_TARGET"]["ret"] == {"transpose": False}


def test_the_bundle_runs_where_xlsales_is_not_installed(lite_run):
    assert lite_run["leaked"] == []
    assert lite_run["files"] and all(f.startswith("<xlsales>/") for f in lite_run["files"])   # from memory


def test_every_function_gives_what_the_api_gives(lite_run):
    results = lite_run["results"]
    for (name, args), result in zip(CASES, results):
        expected = getattr(U, name)(*args)
        assert result == (json.loads(json.dumps(expected))), (name, args)
    for (name, args, api, orientation), result in zip(AGREEMENT, results):
        expected = api()
        shaped = ([[v] for v in expected] if orientation == "column" else
                  [list(expected)] if orientation == "row" else expected)
        assert result == json.loads(json.dumps(shaped)), name
    bad = results[2 * len(AGREEMENT):]
    assert bad and all(isinstance(r, str) and r.startswith("#XLSALES! ") for r in bad)


def test_the_bundle_needs_no_command_line_packages(lite_run):
    assert set(lite_run["packages"]) <= {"openpyxl", "lxml", "yaml", "pydantic"}   # no tqdm, click, jinja2, pyarrow


@pytest.mark.parametrize("script, kind", [("refresh_targets", "targets"),
                                          ("calculate_commissions", "commission_tables")])
def test_each_script_leaves_what_the_desktop_button_leaves(lite_run, edited, script, kind, tmp_path):
    from openpyxl import load_workbook

    from test_lite_scripts import tables_of
    from xlsales.excel import live

    copy = tmp_path / edited[script].name
    copy.write_bytes(edited[script].read_bytes())
    desktop = FakeBook(copy)
    live.run(desktop, kind)
    lite_book = type("Book", (), {"wb": load_workbook(lite_run["books"][script])})
    assert tables_of(lite_book) == tables_of(desktop)
    run = lite_run["scripts"][list(edited).index(script)]
    assert run["shown"].startswith(kind.split("_")[0] + ": ") and "xlsales:" not in run["shown"], run["shown"]
    writes = [w for w in run["writes"] if w.startswith("value ")]
    n_tables = len(tables_of(desktop))
    assert 1 <= len(writes) <= n_tables and len(set(writes)) == len(writes)


def test_what_lite_installs_from_the_package_index_is_pure_python(lite_run):
    """Lite installs a package from the index only as a pure-Python wheel (py3-none-any)."""
    assert set(lite_run["wheels"]) == set(lite.PURE_PACKAGES)
    for name, wheel in lite_run["wheels"].items():
        tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
        assert tags and all(tag.endswith("-none-any") for tag in tags), (name, tags)
        assert "Root-Is-Purelib: true" in wheel, name

"""The metadata and VBA that classic xlwings (Windows) builds from the UDF and macro modules.

On Linux ``xw.func`` & co. are no-ops. Windows uses ``xlwings.udfs.xlfunc/xlarg/xlret/xlsub``; that
module only needs pywin32 to import, so the fixture stubs pywin32's modules, applies the real
decorators by importing our modules with them in place of ``xw.func`` & co., and restores
everything afterwards. This reaches into xlwings internals: it is pinned to xlwings 0.37.8.
"""
from __future__ import annotations

import importlib.util
import io
import sys
import types
from pathlib import Path

import pytest
import xlwings

UDFS_DIR = Path(__file__).resolve().parents[1] / "udfs"
STUBBED = ("pythoncom", "pywintypes", "win32com", "win32com.client")

FUNCTIONS = {
    "SPLIT_TARGET": ["total", "weights", "round_to", "locked"],
    "SEASONAL_SPLIT": ["total", "history", "cycle", "round_to"],
    "TARGET_FROM_HISTORY": ["history", "growth", "method", "window"],
    "ATTAINMENT": ["actual", "target"],
    "RUN_RATE": ["actual", "elapsed", "total"],
    "REQUIRED_PACE": ["target", "actual", "remaining"],
    "DEALS_NEEDED": ["gap", "win_rate", "avg_deal"],
    "FUNNEL_CONVERSION": ["counts"],
    "WEIGHTED_PIPELINE": ["amounts", "probabilities"],
    "SALES_VELOCITY": ["opportunities", "win_rate", "avg_deal", "cycle_days"],
    "PIPELINE_COVERAGE": ["pipeline", "target", "closed"],
    "COMMISSION": ["achieved", "tiers", "quota", "mode", "cap"],
    "COMMISSION_DETAIL": ["achieved", "tiers", "quota", "mode", "cap"],
    "ABC_CLASS": ["values", "a_share", "b_share"],
}
REQUIRED = {"SPLIT_TARGET": 2, "SEASONAL_SPLIT": 2, "TARGET_FROM_HISTORY": 1, "PIPELINE_COVERAGE": 2,
            "COMMISSION": 2, "COMMISSION_DETAIL": 2, "ABC_CLASS": 1}
RANGE_ARGS = {"weights", "locked", "history", "counts", "amounts", "probabilities", "tiers", "values"}
MACROS = ["REFRESH_TARGETS", "REFRESH_FUNNEL", "CALCULATE_COMMISSIONS", "WRITE_MEMOS"]


def _stub(name):
    module = types.ModuleType(name)
    module.CoInitialize = lambda: None
    module.com_error = type("com_error", (Exception,), {})
    module.Dispatch = lambda *a, **k: None
    return module


def _load(name):
    spec = importlib.util.spec_from_file_location(name, UDFS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def classic():
    """(xlwings.udfs, udfs module, macros module) decorated the way Windows decorates them."""
    saved_modules = {name: sys.modules.get(name) for name in STUBBED + ("xlwings.udfs",)}
    saved_attrs = {name: getattr(xlwings, name) for name in ("func", "arg", "ret", "sub")}
    try:
        for name in STUBBED:
            sys.modules[name] = _stub(name)
        sys.modules["win32com"].client = sys.modules["win32com.client"]
        sys.modules.pop("xlwings.udfs", None)
        import xlwings.udfs as udfs

        xlwings.func, xlwings.arg, xlwings.ret, xlwings.sub = udfs.xlfunc, udfs.xlarg, udfs.xlret, udfs.xlsub
        yield udfs, _load("xlsales_udfs"), _load("xlsales_macros")
    finally:
        for name, value in saved_attrs.items():
            setattr(xlwings, name, value)
        for name, module in saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        if hasattr(xlwings, "udfs") and saved_modules["xlwings.udfs"] is None:
            del xlwings.udfs


class FakeBook:
    def __init__(self, name):
        self.Name = name


def vba_of(udfs, module_name, module, book="xlsales.xlsm"):
    out = io.StringIO()
    udfs.generate_vba_wrapper(module_name, module, out, FakeBook(book))
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_metadata(classic, name):
    _, module, _ = classic
    info = getattr(module, name).__xlfunc__
    assert info["name"] == name
    assert info["sub"] is False
    assert info["category"] == "xlsales"
    assert info["volatile"] is False and info["async_mode"] is None
    assert [a["name"] for a in info["args"]] == FUNCTIONS[name]
    required = REQUIRED.get(name, len(FUNCTIONS[name]))
    for arg in info["args"]:
        assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
        assert len(arg["doc"]) <= 255
        assert arg["options"]["err_to_str"] is True
        if arg["name"] in RANGE_ARGS:
            assert arg["options"]["ndim"] == 2, (name, arg["name"])
        else:
            assert "ndim" not in arg["options"], (name, arg["name"])
        assert ("optional" in arg) == (arg["pos"] >= required), (name, arg["name"])
        if "optional" in arg:
            assert arg["optional"] is None
    assert "expand" not in info["ret"]["options"]
    assert info["ret"]["doc"] and len(info["ret"]["doc"]) <= 255


def test_function_docs_have_english_and_chinese(classic):
    _, module, _ = classic
    for name in FUNCTIONS:
        doc = getattr(module, name).__xlfunc__["ret"]["doc"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in doc), name
        assert any("a" <= ch <= "z" for ch in doc), name


def test_split_target_argument_docs(classic):
    _, module, _ = classic
    docs = {a["name"]: a["doc"] for a in module.SPLIT_TARGET.__xlfunc__["args"]}
    assert "weights" in docs["weights"].lower()
    assert "round_to" not in docs or "multiple" in docs["round_to"]


def test_decorated_functions_still_work(classic):
    _, module, _ = classic
    assert module.SPLIT_TARGET(100.0, [[1.0], [1.0], [1.0]], 1.0) == [[34.0], [33.0], [33.0]]
    assert module.COMMISSION(30000.0, [[0.0, 0.05], [10000.0, 0.07], [25000.0, 0.1]]) == 2050.0
    assert module.ATTAINMENT("x", 1.0).startswith("#XLSALES! actual")


def test_generated_vba_for_functions(classic):
    udfs, module, _ = classic
    vba = vba_of(udfs, "xlsales_udfs", module)
    for name, args in FUNCTIONS.items():
        required = REQUIRED.get(name, len(args))
        params = ", ".join(("Optional " if i >= required else "") + a for i, a in enumerate(args))
        assert f"Function {name}({params})" in vba
        assert (f'{name} = XLPy.CallUDF("xlsales_udfs", "{name}", Array({", ".join(args)}), '
                f"ThisWorkbook, Application.Caller)") in vba
    assert vba.count("End Function") == len(FUNCTIONS)
    assert "Sub " not in vba


def test_generated_vba_in_an_addin_uses_the_active_workbook(classic):
    udfs, module, _ = classic
    vba = vba_of(udfs, "xlsales_udfs", module, book="xlsales.xlam")
    assert '"SPLIT_TARGET", Array(total, weights, round_to, locked), ActiveWorkbook' in vba


def test_macros_are_subs(classic):
    udfs, _, macros = classic
    vba = vba_of(udfs, "xlsales_macros", macros)
    for name in MACROS:
        info = getattr(macros, name).__xlfunc__
        assert info["sub"] is True
        assert [(a["name"], a["optional"]) for a in info["args"]] == [("control", None)]
        # One optional argument: Excel passes the ribbon button to it, so it is a valid callback.
        assert f"Sub {name}(Optional control)" in vba
        assert (f'XLPy.CallUDF "xlsales_macros", "{name}", Array(control), ThisWorkbook, '
                "Application.Caller") in vba
    assert vba.count("End Sub") == len(MACROS)
    assert "Function " not in vba


@pytest.mark.skipif(sys.platform.startswith("win"), reason="real decorators on Windows")
def test_the_trick_is_undone_after_each_test():
    assert "pythoncom" not in sys.modules and "xlwings.udfs" not in sys.modules
    assert not hasattr(_load("xlsales_udfs").SPLIT_TARGET, "__xlfunc__")


@pytest.mark.parametrize("book", ["xlsales.xlam", "xlsales.xlsm"])
def test_shipped_wrappers_are_what_import_functions_writes(classic, book):
    """The xlwings_udfs module excel-setup puts into the add-in (and the workbook) is, to the byte,
    what xlwings' own generator writes for the same modules, under the names of UDF Modules."""
    from xlsales.excel import setup, wrappers

    udfs, module, macros = classic
    expected = wrappers.HEADER
    for name, source in zip(setup.UDF_MODULES, (module, macros)):
        expected += vba_of(udfs, name, source, book)
    assert setup.udf_wrappers("addin" if book.endswith(".xlam") else "workbook") == expected

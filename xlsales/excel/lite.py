"""The xlwings Lite bundle: one ``main.py`` holding the Excel functions and the code they run.

xlwings Lite runs what its main.py holds, in Pyodide, with the packages of its requirements.txt.
xlsales is not on the package index, so the bundle carries the code itself: ``excel-setup``
assembles it from the one implementation, never from a hand-kept copy. It takes the UDF module
(udfs/xlsales_udfs.py) and every xlsales module it imports, directly or not (found by reading their
imports), embeds their sources unchanged, and serves them to ``import`` from memory under their own
names. The functions need only numpy and pandas, which Pyodide provides, and xlwings, which Lite
brings; the scripts (udfs/xlsales_scripts.py: the ribbon's refresh jobs, run on the open workbook)
also need openpyxl and lxml (see ``requirements``). A module imported at the top of a bundled module
that would need anything else (processes, sockets, click, tqdm) is refused here, when the bundle is
made, not in the user's Excel. An import inside a function (the command line's progress bars, file
loaders, memos) is bundled only when what it needs is there; otherwise it is left out and named in
main.py: Lite never runs that code.
"""
from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

import xlwings

import xlsales
from xlsales.errors import InputError

PACKAGE_ROOT = Path(xlsales.__file__).resolve().parent
# What main.py may import besides the standard library and the bundled xlsales modules.
PYODIDE_PACKAGES = ("numpy", "pandas", "lxml", "pyyaml", "pydantic")
IMPORT_NAMES = {"pyyaml": "yaml"}   # requirement name -> the name imported
# Pure-Python wheels that Lite installs from the package index (its requirements.txt does so for any
# pure-Python package: "Pyodide first checks PyPI for a compatible wheel"); openpyxl brings et_xmlfile.
PURE_PACKAGES = ("openpyxl", "et_xmlfile")
LITE_PACKAGES = ("xlwings",)
AVAILABLE = tuple(IMPORT_NAMES.get(n, n) for n in PYODIDE_PACKAGES + PURE_PACKAGES + LITE_PACKAGES)
# The Excel functions of the SPEC, as the top-level API names that xlsales_udfs.py calls.
API = ("split_target", "seasonal_split", "target_from_history", "attainment", "run_rate", "required_pace",
       "deals_needed", "funnel_conversion", "weighted_pipeline", "sales_velocity", "pipeline_coverage",
       "commission", "commission_detail", "abc_class", "InputError")
NOT_IN_PYODIDE = ("subprocess", "multiprocessing", "socket", "pyarrow", "click", "tqdm")

HEADER = '''\
# xlsales for xlwings Lite: paste this whole file into the main.py tab of the xlwings Lite editor
# and requirements.txt into its tab. Written by `xlsales excel-setup --kind lite` from xlsales
# {version}; do not edit: run excel-setup again to update. The functions (=SPLIT_TARGET() ...) are the
# same as in desktop Excel, computed by the same code: the xlsales modules below, embedded unchanged.
'''

LOADER = '''\
import importlib.abc
import importlib.util
import sys


class _XlsalesBundle(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the embedded xlsales modules to `import`, from memory."""

    def find_spec(self, name, path=None, target=None):
        if name in _MODULES:
            return importlib.util.spec_from_loader(name, self, is_package=name in _PACKAGES)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        if module.__name__ in _PACKAGES:
            module.__path__ = []
        module.__file__ = "<xlsales>/" + module.__name__.replace(".", "/") + ".py"   # in memory, not a file
        exec(compile(_MODULES[module.__name__], "<xlsales>/" + module.__name__, "exec"), module.__dict__)


if not any(isinstance(finder, _XlsalesBundle) for finder in sys.meta_path):
    for _name in [n for n in sys.modules if n == "xlsales" or n.startswith("xlsales.")]:
        del sys.modules[_name]      # a stale copy from an earlier run of this main.py
    sys.meta_path.insert(0, _XlsalesBundle())
'''


def _module_path(name: str) -> Path:
    """The source file of xlsales module ``name`` (a package's __init__.py), wherever the package
    puts it (workbook_templates lives beside xlsales in a checkout); a missing path when ``name`` is
    not a module (a name imported from one: "from xlsales.core.money import cents")."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return PACKAGE_ROOT / "-not-a-module-"
    return Path(spec.origin)


_FROM = re.compile(r"^([ \t]*)from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)", re.M)
_IMPORT = re.compile(r"^([ \t]*)import[ \t]+([^\n#]*)", re.M)


def _imports_by_text(source: str, name: str) -> tuple[list[str], list[str]]:
    """The same as ``_imports`` from the text, for when CPython 3.11's ast.parse fails with
    "AST constructor recursion depth mismatch" (it does after some library changed the recursion limit).
    An indented import counts as one inside a function."""
    top, lazy = [], []
    for indent, module, names in _FROM.findall(source):
        if module.startswith("."):
            raise InputError(f"lite bundle: {name} uses a relative import; the bundle needs absolute ones")
        found = lazy if indent else top
        found.append(module)
        found += [f"{module}.{n.split()[0]}" for n in names.strip("()").replace("\n", " ").split(",") if n.strip()]
    for indent, names in _IMPORT.findall(source):
        (lazy if indent else top).extend(n.split()[0] for n in names.split(",") if n.strip())
    return top, lazy


def _imports(source: str, name: str) -> tuple[list[str], list[str]]:
    """Absolute module names ``source`` imports: (when it is imported, inside functions)."""
    try:
        tree = ast.parse(source)
    except SystemError:
        return _imports_by_text(source, name)
    top, lazy = [], []

    def visit(node, inside: bool):
        for child in ast.iter_child_nodes(node):
            found = lazy if inside else top
            if isinstance(child, ast.Import):
                found += [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    raise InputError(f"lite bundle: {name} uses a relative import; the bundle needs absolute ones")
                found.append(child.module)
                found += [f"{child.module}.{alias.name}" for alias in child.names]
            visit(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return top, lazy


def _api_module() -> str:
    """The top-level ``xlsales`` of the bundle: the Excel functions' API, from where they are defined."""
    lines = ['"""xlsales (bundled for xlwings Lite): the Excel functions\' Python API."""']
    for name in API:
        lines.append(f"from {getattr(xlsales, name).__module__} import {name}  # noqa: F401")
    lines.append(f'__version__ = "{xlsales.__version__}"')
    return "\n".join(lines) + "\n"


def _available(top: str) -> bool:
    return top in AVAILABLE or top in sys.stdlib_module_names and top not in NOT_IN_PYODIDE


def _closure(names: list[str], sources: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The xlsales modules ``names`` import when imported (at any depth), and the lazy imports seen."""
    found, lazy, pending = {}, [], list(names)
    while pending:
        name = pending.pop()
        top = name.split(".")[0]
        if top != "xlsales":
            if not _available(top):
                raise InputError(f"lite bundle: the code imports {name}, which xlwings Lite (Pyodide) does not have")
            continue
        if name in sources or name in found:
            continue
        path = _module_path(name)
        if not path.is_file():
            continue   # a name imported from a module ("from xlsales.core.money import cents")
        found[name] = path.read_text(encoding="utf-8")
        at_import, inside = _imports(found[name], name)
        pending += at_import
        lazy += inside
        parent = name.rsplit(".", 1)[0]
        if parent != "xlsales" and parent not in sources:
            pending.append(parent)
    return found, lazy


def bundle(entry_source: str) -> tuple[dict[str, str], list[str]]:
    """({module name: source} of every xlsales module ``entry_source`` needs, the packages included;
    the modules imported inside functions that are left out, because Lite does not have what they need).

    What a module imports when it is imported must be there. What it imports inside a function is
    bundled when that can be done; otherwise the function is one Lite never runs (the command line's
    progress bar, file loading, memos) and the module is left out."""
    sources = {"xlsales": _api_module()}
    at_import, inside = _imports(entry_source, "main.py")
    found, lazy = _closure(at_import + _imports(sources["xlsales"], "xlsales")[0] + inside, sources)
    sources.update(found)
    left_out, tried = set(), set()
    while lazy:
        name = lazy.pop()
        if name in sources or name in tried:
            continue
        tried.add(name)
        try:
            found, more = _closure([name], sources)
        except InputError:
            top = name.split(".")[0]
            left_out.add(top if top != "xlsales" else name if _module_path(name).is_file() else name.rsplit(".", 1)[0])
            continue
        sources.update(found)
        lazy += more
    return dict(sorted(sources.items())), sorted(left_out - set(sources))


def modules(entry_source: str) -> dict[str, str]:
    """{module name: source} of every xlsales module ``entry_source`` needs, the packages included."""
    return bundle(entry_source)[0]


def _literal(source: str) -> str:
    """``source`` as a readable Python string literal."""
    if "'''" not in source and not source.endswith("\\"):
        return "r'''" + source + "'''"
    return repr(source)


def main_py(udf_source: str, script_source: str = "") -> str:
    """main.py: the bundled modules, the loader, then the UDF module and the scripts module as they are."""
    bundled, left_out = bundle(udf_source + "\n" + script_source)
    packages = sorted(name for name in bundled if name == "xlsales" or _module_path(name).name == "__init__.py")
    parts = [HEADER.format(version=xlsales.__version__)]
    if left_out:
        parts += ["# Left out (imported inside functions of the command line that Lite never runs, and needing",
                  "# what Lite does not have): " + ", ".join(left_out) + ".", ""]
    parts += ["# fmt: off", "_MODULES = {"]
    for name, source in bundled.items():
        parts.append(f"    {name!r}: {_literal(source)},")
    parts += ["}", f"_PACKAGES = {set(packages)!r}", "# fmt: on", "", LOADER, "",
              "# " + "-" * 97, "# The Excel functions: udfs/xlsales_udfs.py, as it is.", "", udf_source]
    if script_source:
        parts += ["", "# " + "-" * 97, "# The scripts (the ribbon's jobs, run on the open workbook): "
                  "udfs/xlsales_scripts.py, as it is.", "", script_source]
    return "\n".join(parts)


def requirements() -> str:
    from importlib.metadata import requires

    ranges = {}
    for line in requires("xlsales") or []:
        name = re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower()
        if ";" not in line:
            ranges[name] = line.strip()
    return ("# xlwings Lite installs these. numpy, pandas, lxml, pyyaml and pydantic come from Pyodide (their\n"
            "# versions are Pyodide's, so they are not pinned); openpyxl is a pure-Python wheel Lite installs\n"
            "# from the package index. The scripts need all but numpy and pandas. Keep the xlwings line the\n"
            "# Lite editor shows if it differs.\n"
            f"xlwings=={xlwings.__version__}\n" + "".join(f"{n}\n" for n in PYODIDE_PACKAGES)
            + f"{ranges.get('openpyxl', 'openpyxl')}\n")

"""The xlwings Lite bundle: one ``main.py`` holding the Excel functions and the code they run.

xlwings Lite runs what its main.py holds, in Pyodide, with the packages of its requirements.txt.
xlsales is not on the package index, so the bundle carries the code itself: ``excel-setup``
assembles it from the one implementation, never from a hand-kept copy. It takes the UDF module
(udfs/xlsales_udfs.py) and every xlsales module it imports, directly or not (found by reading their
imports), embeds their sources unchanged, and serves them to ``import`` from memory under their own
names. The result needs only numpy and pandas, which Pyodide provides, and xlwings, which Lite
brings. A module that would need anything else (files, processes, openpyxl) is refused here, when
the bundle is made, not in the user's Excel.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import xlwings

import xlsales
from xlsales.errors import InputError

PACKAGE_ROOT = Path(xlsales.__file__).resolve().parent
# What main.py may import besides the standard library and the bundled xlsales modules.
PYODIDE_PACKAGES = ("numpy", "pandas")
LITE_PACKAGES = ("xlwings",)
# The Excel functions of the SPEC, as the top-level API names that xlsales_udfs.py calls.
API = ("split_target", "seasonal_split", "target_from_history", "attainment", "run_rate", "required_pace",
       "deals_needed", "funnel_conversion", "weighted_pipeline", "sales_velocity", "pipeline_coverage",
       "commission", "commission_detail", "abc_class", "InputError")
NOT_IN_PYODIDE = ("subprocess", "multiprocessing", "socket", "openpyxl", "lxml", "pyarrow", "click", "tqdm")

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
        exec(compile(_MODULES[module.__name__], "<xlsales>/" + module.__name__, "exec"), module.__dict__)


if not any(isinstance(finder, _XlsalesBundle) for finder in sys.meta_path):
    for _name in [n for n in sys.modules if n == "xlsales" or n.startswith("xlsales.")]:
        del sys.modules[_name]      # a stale copy from an earlier run of this main.py
    sys.meta_path.insert(0, _XlsalesBundle())
'''


def _module_path(name: str) -> Path:
    parts = name.split(".")[1:]
    folder = PACKAGE_ROOT.joinpath(*parts)
    return folder / "__init__.py" if folder.is_dir() else folder.with_suffix(".py")


_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#]*)", re.M)


def _imports_by_text(source: str, name: str) -> list[str]:
    """The same as ``_imports`` from the text, for when CPython 3.11's ast.parse fails with
    "AST constructor recursion depth mismatch" (it does after some library changed the recursion limit)."""
    found = []
    for module, names in _FROM.findall(source):
        if module.startswith("."):
            raise InputError(f"lite bundle: {name} uses a relative import; the bundle needs absolute ones")
        found.append(module)
        found += [f"{module}.{n.split()[0]}" for n in names.strip("()").replace("\n", " ").split(",") if n.strip()]
    for names in _IMPORT.findall(source):
        found += [n.split()[0] for n in names.split(",") if n.strip()]
    return found


def _imports(source: str, name: str) -> list[str]:
    """Absolute module names ``source`` imports (at any depth of the code, lazily or not)."""
    found = []
    try:
        tree = ast.parse(source)
    except SystemError:
        return _imports_by_text(source, name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise InputError(f"lite bundle: {name} uses a relative import; the bundle needs absolute ones")
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def _api_module() -> str:
    """The top-level ``xlsales`` of the bundle: the Excel functions' API, from where they are defined."""
    lines = ['"""xlsales (bundled for xlwings Lite): the Excel functions\' Python API."""']
    for name in API:
        lines.append(f"from {getattr(xlsales, name).__module__} import {name}  # noqa: F401")
    lines.append(f'__version__ = "{xlsales.__version__}"')
    return "\n".join(lines) + "\n"


def modules(entry_source: str) -> dict[str, str]:
    """{module name: source} of every xlsales module ``entry_source`` needs, the packages included."""
    sources = {"xlsales": _api_module()}
    pending = _imports(entry_source, "main.py") + _imports(sources["xlsales"], "xlsales")
    while pending:
        name = pending.pop()
        top = name.split(".")[0]
        if top in NOT_IN_PYODIDE:
            raise InputError(f"lite bundle: the code imports {name}, which xlwings Lite (Pyodide) does not have")
        if top != "xlsales" or name in sources:
            continue
        path = _module_path(name)
        if not path.is_file():
            continue   # a name imported from a module ("from xlsales.core.money import cents")
        sources[name] = path.read_text(encoding="utf-8")
        pending += _imports(sources[name], name)
        parent = name.rsplit(".", 1)[0]
        if parent != "xlsales" and parent not in sources:
            pending.append(parent)
    return dict(sorted(sources.items()))


def _literal(source: str) -> str:
    """``source`` as a readable Python string literal."""
    if "'''" not in source and not source.endswith("\\"):
        return "r'''" + source + "'''"
    return repr(source)


def main_py(udf_source: str) -> str:
    """main.py: the bundled modules, the loader, then the UDF module as it is."""
    bundled = modules(udf_source)
    packages = sorted(name for name in bundled if name == "xlsales" or _module_path(name).name == "__init__.py")
    parts = [HEADER.format(version=xlsales.__version__), "# fmt: off", "_MODULES = {"]
    for name, source in bundled.items():
        parts.append(f"    {name!r}: {_literal(source)},")
    parts += ["}", f"_PACKAGES = {set(packages)!r}", "# fmt: on", "", LOADER, "",
              "# " + "-" * 97, "# The Excel functions: udfs/xlsales_udfs.py, as it is.", "", udf_source]
    return "\n".join(parts)


def requirements() -> str:
    return ("# xlwings Lite installs these. numpy and pandas come from Pyodide (their versions are\n"
            "# Pyodide's, so they are not pinned). Keep the xlwings line the Lite editor shows if it differs.\n"
            f"xlwings=={xlwings.__version__}\nnumpy\npandas\n")

"""``xlsales excel-setup``: a ready xlsales.xlam / xlsales.xlsm from xlwings' own quickstart files.

openpyxl (``keep_vba=True``) fills the config sheet and keeps ``vbaProject.bin``. Into that VBA
project goes the module ``xlwings_udfs`` that xlwings' "Import Functions" would write
(``xlsales.excel.wrappers``): one ``Function`` per Excel function and one ``Sub`` per ribbon macro
(``Sub REFRESH_TARGETS(Optional control)``, a valid ribbon callback). So the functions and buttons
work without the VBA editor. The add-in carries the ribbon, a customUI part added at zip level
(openpyxl drops parts it does not know); its wrappers pass ``ActiveWorkbook``, so every button acts
on the workbook in front of the user. The .xlsm carries the functions and no ribbon (a workbook's
own ribbon shows only while that workbook is active, which is never the one to refresh).
"""
from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import xlwings

from xlsales.errors import InputError
from xlsales.excel import vba, wrappers
from xlsales.memos.write import write_atomic
from xlsales.workbooks import ooxml

# The modules as Excel imports them: from the installed package, so nothing is copied beside the
# add-in and no PYTHONPATH of the machine that ran excel-setup is written.
UDF_MODULES = ("xlsales.udfs.xlsales_udfs", "xlsales.udfs.xlsales_macros")
KINDS = {
    # kind: (template in the xlwings package, output name, config sheet as shipped, active name)
    # The add-in template's own VBA reads its settings from "<PROJECT_NAME>.conf", i.e. myaddin.conf.
    "workbook": ("quickstart.xlsm", "xlsales.xlsm", "_xlwings.conf", "xlwings.conf"),
    "addin": ("quickstart_addin_ribbon.xlam", "xlsales.xlam", "_myaddin.conf", "myaddin.conf"),
}
CUSTOM_UI_PART = "customUI/customUI14.xml"
CUSTOM_UI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOM_UI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
ADDIN_CT = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
XLSM_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PYTHON_DEFAULT = "python"  # xlwings' own default: the python found on PATH
# Written when excel-setup runs off Windows: the virtual environment docs/excel.md creates
# (xlwings expands %USERPROFILE%); pythonw runs without a console window.
WINDOWS_DEFAULT = r"%USERPROFILE%\xlsales-env\Scripts\pythonw.exe"

# (group id, group label, button id, label, macro, imageMso, tip)
RIBBON = (
    ("xlsalesPlan", "Targets 目标", "xlsalesRefreshTargets", "Refresh targets", "REFRESH_TARGETS",
     "RefreshAll", "Re-split the targets and refresh the summary and checks. 刷新目标分解"),
    ("xlsalesFunnel", "Funnel 漏斗", "xlsalesRefreshFunnel", "Refresh funnel", "REFRESH_FUNNEL",
     "Refresh", "Refresh stages, stale and slipped deals and the forecast. 刷新销售漏斗"),
    ("xlsalesPay", "Commission 提成", "xlsalesCalculateCommissions", "Calculate commissions",
     "CALCULATE_COMMISSIONS", "AutoSum", "Calculate payouts, tier working and statements. 计算提成"),
    ("xlsalesReview", "Review 复盘", "xlsalesWriteMemos", "Write memos", "WRITE_MEMOS",
     "FileNew", "Write the review memos beside the workbook. 生成复盘报告"),
)


def udfs_dir() -> Path:
    """The folder holding xlsales_udfs.py: the repository's udfs/ or wherever it is importable."""
    checkout = Path(__file__).resolve().parents[2] / "udfs"
    installed = Path(__file__).resolve().parents[1] / "udfs"   # a wheel: xlsales/udfs/
    if (installed / "xlsales_udfs.py").is_file():
        return installed
    if (checkout / "xlsales_udfs.py").is_file():
        return checkout
    import importlib.util

    spec = importlib.util.find_spec("xlsales_udfs")
    if spec and spec.origin:
        return Path(spec.origin).parent
    raise InputError("udfs: xlsales_udfs.py not found next to the xlsales package or on sys.path")


def config(interpreter_win: str | None = None, interpreter_mac: str | None = None) -> dict[str, object]:
    """The xlwings settings of the generated file, in the order they are written from A1.

    The interpreter of the running platform defaults to the one running this code; off Windows,
    ``Interpreter_Win`` is the documented environment's ``pythonw.exe`` (``WINDOWS_DEFAULT``).
    """
    on_win, on_mac = sys.platform.startswith("win"), sys.platform == "darwin"
    return {
        "Interpreter_Win": interpreter_win or (sys.executable if on_win else WINDOWS_DEFAULT),
        "Interpreter_Mac": interpreter_mac or (sys.executable if on_mac else PYTHON_DEFAULT),
        "UDF Modules": ";".join(UDF_MODULES),
        "Debug UDFs": False,
        "Use UDF Server": False,
        "Show Console": False,
    }


NOTES = (
    "xlsales settings for xlwings. Keys start in A1; a key left out falls back to xlwings.conf beside "
    "this file, then ~/.xlwings/xlwings.conf.",
    "Interpreter_Win / Interpreter_Mac: the Python that has xlsales installed. excel-setup writes the one "
    f"it ran with; run off Windows it writes {WINDOWS_DEFAULT} (the environment docs/excel.md creates). "
    f'"{PYTHON_DEFAULT}" means the python on PATH.',
    "UDF Modules: the functions and ribbon macros of the installed xlsales package. Their VBA wrappers "
    "are already in this file (module xlwings_udfs), written by excel-setup as Import Functions would.",
    f"This file was made with xlwings {xlwings.__version__}: its VBA loads xlwings64-{xlwings.__version__}.dll "
    "from the Python environment, so that environment needs the same xlwings version.",
)


def fill_config(wb, shipped: str, active: str, settings: dict) -> None:
    """Rename the template's config sheet so xlwings reads it, and write ``settings`` from A1."""
    if shipped not in wb.sheetnames:
        raise InputError(f"template: config sheet {shipped!r} not found (xlwings version changed?)")
    ws = wb[shipped]
    ws.title = active
    ws.delete_rows(1, ws.max_row)
    for row, (key, value) in enumerate(settings.items(), start=1):
        ws.cell(row, 1, key)
        ws.cell(row, 2, value)
    for offset, note in enumerate(NOTES):
        ws.cell(len(settings) + 2 + offset, 1, note)  # below a blank row, so never read as a key
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 60


def ribbon_xml() -> bytes:
    """The xlsales tab: one group per job, one button per ``@xw.sub`` macro."""
    ElementTree.register_namespace("", CUSTOM_UI_NS)
    q = f"{{{CUSTOM_UI_NS}}}"
    root = ElementTree.Element(q + "customUI")
    tabs = ElementTree.SubElement(ElementTree.SubElement(root, q + "ribbon"), q + "tabs")
    tab = ElementTree.SubElement(tabs, q + "tab", id="xlsalesTab", label="xlsales")
    for group_id, group_label, button_id, label, macro, image, tip in RIBBON:
        group = ElementTree.SubElement(tab, q + "group", id=group_id, label=group_label)
        ElementTree.SubElement(group, q + "button", id=button_id, label=label, size="large",
                               imageMso=image, onAction=macro, screentip=label, supertip=tip)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _as_addin_with_ribbon(package: bytes) -> bytes:
    """``package`` with the xlsales customUI part, its relationship and the add-in content type.

    The two package XML files are edited as text so that their namespaces stay exactly as written.
    """
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        rels = source.read("_rels/.rels").decode("utf-8")
        types = source.read("[Content_Types].xml")
    rels = re.sub(r"<Relationship\b[^>]*/ui/extensibility\"[^>]*/>", "", rels)
    ids = set(re.findall(r'Id="([^"]+)"', rels))
    new_id = next(f"rId{n}" for n in range(1, len(ids) + 2) if f"rId{n}" not in ids)
    rels = rels.replace("</Relationships>", f'<Relationship Id="{new_id}" Type="{CUSTOM_UI_REL}" '
                                            f'Target="{CUSTOM_UI_PART}"/></Relationships>')
    types = types.replace(XLSM_CT.encode(), ADDIN_CT.encode())  # openpyxl writes an .xlsm
    replaced = {"_rels/.rels": rels.encode("utf-8"), "[Content_Types].xml": types,
                CUSTOM_UI_PART: ribbon_xml()}
    return _replace_parts(package, replaced, drop="customUI/")


def _replace_parts(package: bytes, parts: dict[str, bytes], drop: str | None = None) -> bytes:
    """``package`` with ``parts`` written over (or added) and parts under ``drop`` removed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename in parts or (drop and item.filename.startswith(drop)):
                continue
            target.writestr(item, source.read(item.filename))
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def udf_wrappers(kind: str) -> str:
    """The ``xlwings_udfs`` VBA module for ``kind``, as "Import Functions" writes it."""
    folder = udfs_dir()
    modules = [(name, folder / f"{name.rsplit('.', 1)[-1]}.py") for name in UDF_MODULES]
    return wrappers.vba_module(modules, addin=kind == "addin")


def build_file(kind: str, interpreter_win: str | None = None, interpreter_mac: str | None = None) -> bytes:
    """The bytes of xlsales.xlsm (kind "workbook") or xlsales.xlam (kind "addin")."""
    import openpyxl

    template, _, shipped, active = KINDS[kind]
    data = (Path(xlwings.__file__).parent / template).read_bytes()
    # openpyxl knows neither the .xlam extension nor its content type: it reads the add-in as an
    # .xlsm from a file object, and _as_addin_with_ribbon gives the add-in content type back.
    wb = openpyxl.load_workbook(io.BytesIO(as_xlsm(data)), keep_vba=True)
    fill_config(wb, shipped, active, config(interpreter_win, interpreter_mac))
    buffer = io.BytesIO()
    wb.save(buffer)
    wb.vba_archive.close()
    package = ooxml.fix_package(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(package)) as saved:
        project = saved.read("xl/vbaProject.bin")
    package = _replace_parts(package, {"xl/vbaProject.bin": vba.with_module(
        project, wrappers.MODULE_NAME, udf_wrappers(kind))})
    return _as_addin_with_ribbon(package) if kind == "addin" else package


def as_xlsm(package: bytes) -> bytes:
    """An add-in's bytes retyped as a macro-enabled workbook, so that openpyxl reads it."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        types = source.read("[Content_Types].xml")
    return _replace_parts(package, {"[Content_Types].xml": types.replace(ADDIN_CT.encode(), XLSM_CT.encode())})


def lite_bundle() -> dict[str, str]:
    """{"main.py": ..., "requirements.txt": ...}: the xlwings Lite bundle, assembled from the package."""
    from xlsales.excel import lite

    return {"main.py": lite.main_py((udfs_dir() / "xlsales_udfs.py").read_text(encoding="utf-8"),
                                    (udfs_dir() / "xlsales_scripts.py").read_text(encoding="utf-8")),
            "requirements.txt": lite.requirements()}


def build(out_dir, kind: str = "addin", interpreter_win: str | None = None,
          interpreter_mac: str | None = None) -> list[Path]:
    """Write the add-in and/or workbook (none for kind "lite") and the xlwings Lite bundle."""
    if kind not in (*KINDS, "both", "lite"):
        raise InputError(f"kind: expected addin, workbook, both or lite, got {kind!r}")
    kinds = list(KINDS) if kind == "both" else [] if kind == "lite" else [kind]
    out_dir = Path(out_dir)
    (out_dir / "lite").mkdir(parents=True, exist_ok=True)
    written = []
    for k in kinds:
        path = out_dir / KINDS[k][1]
        write_atomic(path, build_file(k, interpreter_win=interpreter_win, interpreter_mac=interpreter_mac))
        written.append(path)
    for name, text in lite_bundle().items():
        write_atomic(out_dir / "lite" / name, text.encode("utf-8"))
        written.append(out_dir / "lite" / name)
    return written

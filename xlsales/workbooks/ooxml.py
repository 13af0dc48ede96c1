"""Small fixes that make openpyxl's packages pass the Open XML SDK validator (Office 2016 level).

openpyxl writes the children of a style ``<font>`` in the order of its own class (name, charset,
family, b, i, ...), while the schema Excel and the Open XML SDK check (CT_Font) wants b, i, strike,
condense, extend, outline, shadow, u, vertAlign, sz, color, name, family, charset, scheme. Excel
usually opens such a file, but the validator reports each font and a strict reader may repair it.

``fix_styles`` rewrites the styles part and is applied to every package xlsales saves (the
workbook binder's ``save_atomic``, ``excel-setup``, sample ``.xlsx`` inputs); a writer that streams
its own package passes its ``xl/styles.xml`` through it too.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STYLES_PART = "xl/styles.xml"
# CT_Font's child order as the Open XML SDK validates it.
FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz",
              "color", "name", "family", "charset", "scheme")
_RANK = {f"{{{MAIN_NS}}}{name}": rank for rank, name in enumerate(FONT_ORDER)}


def fix_styles(xml: bytes) -> bytes:
    """``xl/styles.xml`` with the children of every ``<font>`` (cell and conditional formats) in
    schema order; the bytes are returned unchanged when nothing is out of order."""
    root = etree.fromstring(xml)
    changed = False
    for font in root.iter(f"{{{MAIN_NS}}}font"):
        children = list(font)
        ordered = sorted(children, key=lambda child: _RANK.get(child.tag, len(_RANK)))
        if ordered != children:
            font[:] = ordered
            changed = True
    if not changed:
        return xml
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def fix_package(package: bytes) -> bytes:
    """A whole package's bytes with ``fix_styles`` applied to its styles part."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        if STYLES_PART not in source.namelist():
            return package
        styles = source.read(STYLES_PART)
        fixed = fix_styles(styles)
        if fixed == styles:
            return package
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                target.writestr(item, fixed if item.filename == STYLES_PART else source.read(item.filename))
    return out.getvalue()


def fix_package_file(path) -> None:
    """``fix_package`` on a file in place (written beside it and moved over it in one step)."""
    from xlsales.memos.write import write_atomic

    path = Path(path)
    data = path.read_bytes()
    fixed = fix_package(data)
    if fixed is not data:
        write_atomic(path, fixed)

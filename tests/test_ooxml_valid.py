"""Every kind of file xlsales writes passes the Open XML SDK validator at the Office 2016 level.

The validator is Node's ``@ooxml-tools/validate`` (the SDK compiled to WebAssembly), installed into
tests/ooxml/node_modules by ``make test`` and ``.ci/run``. One Node process checks every file. The
files come from the commands a user runs, on a small sample company so that the check stays fast:
the shipped templates, ``sample-data --format xlsx``, a build's three workbooks in English and in
Chinese, ``targets --refresh``, commission statements, and ``excel-setup``'s .xlsm and .xlam.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from lxml import etree

from xlsales.cli import main
from xlsales.workbooks import ooxml

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tests" / "ooxml"
LEVEL = "Office2016"
# Sheet names Excel refuses or keeps for itself (case-insensitive), and characters it does not allow.
RESERVED_SHEETS = {"history"}
BAD_SHEET_CHARS = set("[]:*?/\\")
# openpyxl keeps the VBA archive of a macro file open; its garbage collection warns.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def validate(paths) -> dict[str, list[dict]]:
    if shutil.which("node") is None or not (TOOL / "node_modules" / "@ooxml-tools" / "validate").is_dir():
        pytest.fail("the Open XML validator is not installed: run `make test` (or "
                    "`npm ci --prefix tests/ooxml`), which installs it from tests/ooxml/package-lock.json")
    done = subprocess.run(["node", str(TOOL / "validate.mjs"), LEVEL, *map(str, paths)],
                          capture_output=True, text=True, cwd=TOOL, timeout=1200)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> list[Path]:
    """One file of every kind the commands write."""
    out = tmp_path_factory.mktemp("ooxml")
    files = sorted((ROOT / "workbook_templates").glob("*.xlsx"))
    for lang in ("en", "zh"):
        inputs = out / f"inputs-{lang}"
        _run("sample-data", "--out", inputs, "--reps", 6, "--months", 24, "--format", "xlsx", "--lang", lang)
        files += sorted(inputs.glob("*.xlsx"))
        config = {"company": "Test Co", "language": lang, "as_of": "2026-06-30",
                  "inputs": {"sample": {"seed": 3, "reps": 6, "months": 24}},
                  "plan": {"commission": str(ROOT / "examples" / "plans" / f"plan.{lang}.yaml")},
                  "outputs": {"dir": str(out / f"build-{lang}"), "formats": ["md"]}}
        (out / f"build-{lang}.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        _run("build", out / f"build-{lang}.yaml")
        files += sorted((out / f"build-{lang}").rglob("*.xlsx"))
    en = out / "inputs-en"
    refreshed = out / "refreshed.xlsx"
    _run("targets", "--orders", en / "orders.xlsx", "--reps", en / "reps.xlsx", "--out", refreshed)
    _run("targets", "--refresh", refreshed)
    _run("commission", "--plan", ROOT / "examples" / "plans" / "plan.en.yaml", "--orders", en / "orders.xlsx",
         "--reps", en / "reps.xlsx", "--targets", refreshed, "--period", "2026-06",
         "--out", out / "commission.xlsx", "--statements", out / "statements")
    files += [refreshed, out / "commission.xlsx", *sorted((out / "statements").glob("*.xlsx"))[:2]]
    _run("excel-setup", "--out", out / "excel", "--kind", "both")
    files += [out / "excel" / "xlsales.xlsm", out / "excel" / "xlsales.xlam"]
    return files


def test_every_kind_of_file_is_written(written):
    names = {p.name for p in written}
    assert {"targets.xlsx", "funnel.xlsx", "commission.xlsx", "targets.zh.xlsx", "orders.xlsx",
            "refreshed.xlsx", "xlsales.xlsm", "xlsales.xlam"} <= names
    assert any(n.startswith("statement_") for n in names)
    assert len([p for p in written if p.name == "funnel.xlsx" and "build-" in str(p)]) == 2  # en, zh


def test_the_open_xml_sdk_finds_nothing(written):
    findings = validate(written)
    assert set(findings) == {str(p) for p in written}
    problems = {path: errors for path, errors in findings.items() if errors}
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)[:4000]


def test_the_validator_does_see_the_font_order_finding(tmp_path):
    """The check can fail: openpyxl's own font order, unfixed, is reported."""
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x"
    wb.active["A1"].font = openpyxl.styles.Font(bold=True, color="FF0000")
    raw = tmp_path / "raw.xlsx"
    wb.save(raw)
    fixed = tmp_path / "fixed.xlsx"
    fixed.write_bytes(ooxml.fix_package(raw.read_bytes()))
    findings = validate([raw, fixed])
    assert {e["id"] for e in findings[str(raw)]} == {"Sch_UnexpectedElementContentExpectingComplex"}
    assert all(e["part"] == "/xl/styles.xml" for e in findings[str(raw)])
    assert findings[str(fixed)] == []


def test_font_children_in_schema_order():
    styles = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1">'
              b'<font><name val="Calibri"/><family val="2"/><b val="1"/><color rgb="FFFF0000"/><sz val="11"/>'
              b'<scheme val="minor"/></font></fonts><dxfs count="1"><dxf><font><color rgb="FF9C0006"/><b/></font>'
              b'</dxf></dxfs></styleSheet>')
    root = etree.fromstring(ooxml.fix_styles(styles))
    fonts = [[etree.QName(c).localname for c in font] for font in root.iter(f"{{{ooxml.MAIN_NS}}}font")]
    assert fonts == [["b", "sz", "color", "name", "family", "scheme"], ["b", "color"]]
    assert ooxml.fix_styles(ooxml.fix_styles(styles)) == ooxml.fix_styles(styles)


def test_no_sheet_has_a_reserved_or_invalid_name(written):
    for path in written:
        with zipfile.ZipFile(path) as package:
            workbook = etree.fromstring(package.read("xl/workbook.xml"))
        names = [s.get("name") for s in workbook.iter(f"{{{ooxml.MAIN_NS}}}sheet")]
        assert names, path
        for name in names:
            assert name.lower() not in RESERVED_SHEETS, (path.name, name)
            assert len(name) <= 31 and not BAD_SHEET_CHARS & set(name) and name[:1] != "'" != name[-1:], name


def test_text_cells_keep_a_leading_tab_or_cr(tmp_path):
    """Names that start with a tab or a carriage return come back exactly, never as formulas."""
    from xlsales.sample import sample_company
    from xlsales.workbooks.binding import read_table
    from xlsales.workbooks.targets import REPS, targets_report

    company = sample_company(seed=5, reps=6, months=24)
    odd = {company.reps["rep"].iloc[0]: "\tTab Rep", company.reps["rep"].iloc[1]: "\rCR Rep",
           company.reps["rep"].iloc[2]: "=Formula Rep"}
    reps, orders = company.reps.copy(), company.orders.copy()
    reps["rep"], orders["rep"] = reps["rep"].replace(odd), orders["rep"].replace(odd)
    path, _, _ = targets_report(orders, reps, tmp_path / "targets.xlsx")
    roster = read_table(openpyxl.load_workbook(path), "Reps", REPS)
    # An XML reader turns a raw CR into LF and may drop a raw leading tab: equal values prove both
    # were written escaped and preserved.
    assert set(odd.values()) <= set(roster["rep"])
    with zipfile.ZipFile(path) as package:
        sheets = b"".join(package.read(n) for n in package.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>Formula Rep" not in sheets

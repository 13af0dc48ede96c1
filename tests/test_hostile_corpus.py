"""A corpus of bad inputs and settings: each must end in the documented exit code and one located message
(file, row, column, or the setting), never a traceback, and nothing may be written.

Each case names a command, what it breaks in a copy of small good inputs (the sample company), the exit
code and a fragment of the message. Large and hostile files (dimension bombs, alias bombs, zip bombs)
are generated here rather than committed.
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from xlsales.cli import main
from xlsales.errors import EXIT_INPUT

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """Good inputs: the sample company (8 reps, 2024-01 .. 2026-02), the example plan, a stage table."""
    folder = tmp_path_factory.mktemp("base")
    result = CliRunner().invoke(main, ["sample-data", "--out", str(folder), "--reps", "8", "--months", "26"])
    assert result.exit_code == 0, result.output
    shutil.copy(EXAMPLES / "plans" / "plan.en.yaml", folder / "plan.yaml")
    (folder / "stages.yaml").write_text(
        "stages:\n"
        "  - {stage: lead, probability: 0.1, stale_days: 30}\n"
        "  - {stage: needs analysis, probability: 0.25, stale_days: 30}\n"
        "  - {stage: proposal, probability: 0.5, stale_days: 30}\n"
        "  - {stage: negotiation, probability: 0.75, stale_days: 30}\n"
        "  - {stage: won, probability: 1, stale_days: 0}\n", encoding="utf-8")
    (folder / "build.yaml").write_text(
        "company: Test Co\nas_of: 2026-02-27\ninputs:\n  orders: orders.csv\n  reps: reps.csv\n"
        "plan:\n  targets: {growth: 0.1}\noutputs:\n  dir: out\n  workbooks: [targets]\n  memos: [monthly]\n"
        "  formats: [md]\n", encoding="utf-8")
    for args in (["targets", "--orders", str(folder / "orders.csv"), "--reps", str(folder / "reps.csv"), "--year",
                  "2026", "--out", str(folder / "targets.xlsx")],
                 ["funnel", "--opportunities", str(folder / "opportunities.csv"), "--reps", str(folder / "reps.csv"),
                  "--as-of", "2026-02-28", "--out", str(folder / "funnel.xlsx")]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    return folder


# ------------------------------------------------------------------------------------------ mutations


def cell(file: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Set one CSV cell (row = the spreadsheet row, the header being row 1)."""
    def mutate(folder: Path) -> None:
        path = folder / file
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        rows[row - 1][rows[0].index(column)] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    return mutate


def text(file: str, content: str | bytes) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / file).write_bytes(data)
    return mutate


def edit(file: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        path = folder / file
        body = path.read_text(encoding="utf-8")
        assert old in body, (file, old)
        path.write_text(body.replace(old, new, 1), encoding="utf-8")
    return mutate


def append(file: str, extra: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        with (folder / file).open("a", encoding="utf-8") as handle:
            handle.write(extra)
    return mutate


def both(*mutations) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        for m in mutations:
            m(folder)
    return mutate


def xlsx(file: str, rows: list[list], sheet: str = "orders") -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        book = openpyxl.Workbook()
        book.active.title = sheet
        for row in rows:
            book.active.append(row)
        book.save(folder / file)
    return mutate


def patched_xlsx(file: str, patch: Callable[[bytes], bytes], part: str = "xl/worksheets/sheet1.xml",
                 extra: dict | None = None) -> Callable[[Path], None]:
    """A good orders workbook with one part of its package rewritten (or parts added)."""
    def mutate(folder: Path) -> None:
        buffer = io.BytesIO()
        book = openpyxl.Workbook()
        book.active.title = "orders"
        for row in (["date", "rep", "amount"], ["2026-01-05", "沈轩健", 100]):
            book.active.append(row)
        book.save(buffer)
        source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
        with zipfile.ZipFile(folder / file, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                target.writestr(info.filename, patch(data) if info.filename == part else data)
            for name, data in (extra or {}).items():
                target.writestr(name, data)
    return mutate


def workbook_cell(file: str, sheet: str, ref: str, value) -> Callable[[Path], None]:
    """Type ``value`` into one cell of a workbook xlsales wrote (as a user would in Excel)."""
    def mutate(folder: Path) -> None:
        book = openpyxl.load_workbook(folder / file)
        book[sheet][ref] = value
        book.save(folder / file)
    return mutate


def parquet(file: str, frame: pd.DataFrame) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        frame.to_parquet(folder / file, index=False)
    return mutate


def nothing(folder: Path) -> None:
    return None


# ------------------------------------------------------------------------------------------ the corpus

TARGETS = ["targets", "--orders", "{orders}", "--reps", "{reps}", "--out", "{out}/targets.xlsx"]
TARGETS_2026 = [*TARGETS, "--year", "2026"]
CHECK_ORDERS = ["check", "{orders}", "{reps}"]
CHECK_REPS = ["check", "--kind", "reps", "{reps}"]
CHECK_OPPS = ["check", "{opps}", "{reps}"]
FUNNEL = ["funnel", "--opportunities", "{opps}", "--reps", "{reps}", "--as-of", "2026-02-28",
          "--out", "{out}/funnel.xlsx"]
FUNNEL_STAGES = [*FUNNEL, "--stages", "{stages}"]
COMMISSION = ["commission", "--plan", "{plan}", "--orders", "{orders}", "--reps", "{reps}", "--period", "2026-02",
              "--out", "{out}/commission.xlsx", "--statements", "{out}/statements"]
COMMISSION_T = [*COMMISSION, "--targets", "{folder}/targets.xlsx"]     # quotas from the targets workbook
MEMO = ["memo", "--kind", "monthly", "--orders", "{orders}", "--reps", "{reps}", "--out", "{out}/memos",
        "--format", "md"]
MEMO_TPL = [*MEMO, "--templates", "{tpl}"]
BUILD = ["build", "{config}"]


@dataclass(frozen=True)
class Case:
    id: str
    args: list
    mutate: Callable[[Path], None]
    fragment: str
    code: int = EXIT_INPUT


def _orders_cells():
    bad = [("2300-01-01", "column date: '2300-01-01' is outside the dates xlsales accepts (1900-01-01 to 2100-12-31)"),
           ("9999-12-31", "column date: '9999-12-31' is outside the dates"),
           ("1899-12-31", "column date: '1899-12-31' is outside the dates"),
           ("2026-02-30", "column date: '2026-02-30' is not a date"),
           ("2026-13-01", "column date: '2026-13-01' is not a date"),
           ("yesterday", "column date: 'yesterday' is not a date"),
           ("", "column date: blank; a value is required"),
           ("2026\u200b-01-05", "column date: '2026<U+200B>-01-05' is not a date")]
    for value, words in bad:
        yield f"orders-date-{value or 'blank'}", "date", value, words
    bad = [("nan", "'nan' is not a number"), ("NaN", "'NaN' is not a number"), ("inf", "'inf' is not a number"),
           ("-inf", "'-inf' is not a number"), ("1e309", "'1e309' is not a number"),
           ("1e20", "'1e20' is too large (at most 1,000,000,000,000)"),
           ("-2e12", "'-2e12' is too large"),
           ("1.234,56", "'1.234,56' is not a number: a comma may only separate thousands"),
           ("1,5", "'1,5' is not a number: a comma may only separate thousands"),
           ("12,34,567", "'12,34,567' is not a number: a comma may only separate thousands"),
           ("12abc", "'12abc' is not a number"), ("¥", "'¥' is not a number"),
           ("1\u00a0234x", "'1<U+00A0>234x' is not a number"),
           ("", "column amount: blank; a value is required"), ("--5", "'--5' is not a number"),
           ("0x10", "'0x10' is not a number"), ("5%", "'5%' is not a number")]
    for value, words in bad:
        yield f"orders-amount-{value or 'blank'}", "amount", value, words
    bad = [("bad\x01name", "'bad<U+0001>name' contains a control character that Excel cannot store"),
           ("tab\x0bname", "contains a control character"), ("x" * 40_000, "is longer than Excel's 32,767 characters"),
           ("", "column rep: blank; a value is required"),
           ("沈轩健\u200b", "column rep: '沈轩健<U+200B>' is not in reps.csv"),
           ("沈\u00a0轩健", "column rep: '沈<U+00A0>轩健' is not in reps.csv")]
    for value, words in bad:
        yield f"orders-rep-{len(value)}-{value[:4].encode('unicode_escape').decode()}", "rep", value, words
    for value, words in (("-5", "column collected: '-5' is negative"), ("abc", "'abc' is not a number"),
                         ("inf", "'inf' is not a number")):
        yield f"orders-collected-{value}", "collected", value, words
    yield "orders-region-control", "region", "华\x07东", "contains a control character"
    yield "orders-product-control", "product", "E\x1fRP", "contains a control character"


def _reps_cells():
    for column, value, words in (
            ("hire_date", "2300-01-01", "column hire_date: '2300-01-01' is outside the dates"),
            ("hire_date", "2026-02-29", "'2026-02-29' is not a date"),
            ("potential", "-1", "column potential: '-1' is negative"),
            ("potential", "1e13", "'1e13' is too large"),
            ("potential", "nan", "'nan' is not a number"),
            ("active", "maybe", "'maybe' is not yes/no"),
            ("region", "", "column region: blank; a value is required"),
            ("rep", "", "column rep: blank; a value is required"),
            ("rep", "孙英家", "'孙英家' appears again (first in row 3); each rep must be unique"),
            ("team", "a\x00b", "reps.csv, row 4: contains a NUL character (U+0000)"),
            ("manager", "x" * 33_000, "is longer than Excel's 32,767 characters")):
        yield f"reps-{column}-{value[:6].encode('unicode_escape').decode() or 'blank'}", column, value, words


def _opps_cells():
    for column, value, words in (
            ("amount", "-100", "column amount: '-100' is negative"),
            ("amount", "1e309", "'1e309' is not a number"),
            ("amount", "1.234,56", "a comma may only separate thousands"),
            ("stage", "closing", "'closing' is not a stage of the stage table"),
            ("status", "maybe", "'maybe' is not a status"),
            ("created", "2300-01-01", "column created: '2300-01-01' is outside the dates"),
            ("created", "", "column created: blank; a value is required"),
            ("expected_close", "31/12/2026", "'31/12/2026' is not a date"),
            ("close_date_changes", "1.5", "'1.5' is not a whole number"),
            ("close_date_changes", "-1", "'-1' is negative"),
            ("id", "OPP-000067", "'OPP-000067' appears again"),
            ("rep", "nobody", "'nobody' is not in reps.csv"),
            ("customer", "客户\x02", "contains a control character")):
        yield f"opps-{column}-{value[:8] or 'blank'}", column, value, words


ORDERS_HEADER = "date,rep,amount\n"
PLAN_TIERS = "      - [1.0, 5%]        # accelerator above 100% of quota"
OTE = "ote: {annual: 180000, base_salary: 120000}"


def _cases():
    for name, column, value, words in _orders_cells():
        yield Case(name, CHECK_ORDERS, cell("orders.csv", 6, column, value), f"orders.csv, row 6, {words}"
                   if words.startswith("column") else words)
        yield Case(name + "-targets", TARGETS, cell("orders.csv", 6, column, value), words)
    for name, column, value, words in _reps_cells():
        yield Case(name, CHECK_REPS, cell("reps.csv", 4, column, value), words)
        yield Case(name + "-commission", COMMISSION, cell("reps.csv", 4, column, value), words)
    for name, column, value, words in _opps_cells():
        yield Case(name, CHECK_OPPS, cell("opportunities.csv", 5, column, value), words)
        yield Case(name + "-funnel", FUNNEL, cell("opportunities.csv", 5, column, value), words)

    # ---- whole files
    yield Case("orders-stray-2099", TARGETS, cell("orders.csv", 9, "date", "2099-01-05"),
               "orders.csv, row 9, column date: 2099-01-05 is more than a year after every other order "
               "(the others end 2026-02-")
    yield Case("orders-empty", CHECK_ORDERS, text("orders.csv", ""), "orders.csv: the file is empty")
    yield Case("orders-header-only", CHECK_ORDERS, text("orders.csv", ORDERS_HEADER),
               "orders.csv: no data rows below the header")
    yield Case("orders-missing-column", CHECK_ORDERS, text("orders.csv", "date,rep\n2026-01-05,a\n"),
               "orders.csv: missing column amount (金额)")
    yield Case("orders-utf16", CHECK_ORDERS, text("orders.csv", (ORDERS_HEADER + "2026-01-05,a,1\n").encode("utf-16")),
               "cannot read the file as UTF-8 or GBK text")
    yield Case("orders-stray-comma", CHECK_ORDERS, text("orders.csv", ORDERS_HEADER + "2026-01-05,a,1\n2026-01-06,b,1,2\n"),
               "orders.csv, row 3: 4 cells but the header has 3")
    yield Case("orders-xls", ["check", "--kind", "orders", "{folder}/orders.xls"],
               text("orders.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512), "old .xls workbooks are not supported")
    yield Case("orders-unknown-suffix", ["check", "--kind", "orders", "{folder}/orders.json"],
               text("orders.json", "{}"), "unsupported file type '.json'")
    yield Case("orders-bad-byte", CHECK_ORDERS, text("orders.csv", (ORDERS_HEADER + "2026-01-05,a,1\n").encode() +
                                                     b"2026-01-06,\xff\xfe\xfa,1\n"),
               "orders.csv, row 3: cannot read the file as UTF-8 or GBK text")
    yield Case("orders-unclosed-quote", CHECK_ORDERS,
               text("orders.csv", ORDERS_HEADER + '2026-01-05,a,1\n2026-01-06,"b,1\n2026-01-07,c,1\n'),
               "orders.csv, row 3: a quote (\") opens in this row and is never closed")
    yield Case("orders-missing-file", ["check", "--kind", "orders", "{folder}/nope.csv"], nothing,
               "nope.csv: file not found")
    yield Case("orders-duplicate-header", CHECK_ORDERS, text("orders.csv", "date,rep,amount,Amount\n2026-01-05,a,1,2\n"),
               "duplicate header")
    yield Case("orders-unknown-kind", ["check", "{folder}/notes.csv"], text("notes.csv", "foo,bar\n1,2\n"),
               "cannot tell what kind of file this is")
    for name, content, words in (
            ("no-sheets", None, "the workbook has no sheets"),
            ("encrypted", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048, "the workbook is password-protected (encrypted)"),
            ("not-zip", b"PK but not really a zip", "not an Excel workbook"),
            ("empty-zip", "empty-zip", "cannot open it as an Excel workbook")):
        def make(folder, content=content, name=name):
            path = folder / "orders.xlsx"
            if content is None:
                buffer = io.BytesIO()
                book = openpyxl.Workbook()
                book.save(buffer)
                source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
                with zipfile.ZipFile(path, "w") as target:
                    for info in source.infolist():
                        data = source.read(info.filename)
                        if info.filename == "xl/workbook.xml":
                            data = re.sub(rb"<sheet [^>]*/>", b"", data)
                        target.writestr(info.filename, data)
            elif content == "empty-zip":
                with zipfile.ZipFile(path, "w") as target:
                    target.writestr("[Content_Types].xml", "<Types/>")
            else:
                path.write_bytes(content)
        yield Case(f"xlsx-{name}", ["check", "--kind", "orders", "{folder}/orders.xlsx"], make, f"orders.xlsx: {words}")
    yield Case("xlsx-bad-cell", ["check", "--kind", "orders", "{folder}/orders.xlsx"],
               xlsx("orders.xlsx", [["日期", "销售代表", "金额"], ["2026-01-05", "沈轩健", "lots"]]),
               "orders.xlsx, row 2, column 金额: 'lots' is not a number")
    yield Case("xlsx-control-char", ["check", "--kind", "orders", "{folder}/orders.xlsx"],
               xlsx("orders.xlsx", [["date", "rep", "amount"], ["2026-01-05", "a\u200bb", 1], [None], [None],
                                    ["2300-01-01", "c", 2]]),
               "orders.xlsx, row 5, column date: '2300-01-01' is outside the dates")
    yield Case("xlsx-dimension-bomb", ["check", "--kind", "orders", "{folder}/orders.xlsx"],
               patched_xlsx("orders.xlsx", lambda d: d.replace(b'<dimension ref="A1:C2"/>',
                                                               b'<dimension ref="A1:XFD1048576"/>')
                            .replace(b"<v>100</v>", b"<v>1e309</v>")),
               "orders.xlsx, row 2, column amount: 'inf' is not a number")
    yield Case("xlsx-far-cell", ["check", "--kind", "orders", "{folder}/orders.xlsx"],
               patched_xlsx("orders.xlsx", lambda d: d.replace(
                   b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>')),
               "orders.xlsx, row 1048576, column date: blank; a value is required")
    yield Case("xlsx-shared-strings-bomb", ["check", "--kind", "orders", "{folder}/orders.xlsx"],
               patched_xlsx("orders.xlsx", lambda d: d, extra={"xl/bomb.xml": b"<a>" + b" " * 600_000_000 + b"</a>"}),
               "unpacks to 600,000,007 bytes, more than xlsales reads")
    yield Case("parquet-inf", ["check", "--kind", "orders", "{folder}/orders.parquet"],
               parquet("orders.parquet", pd.DataFrame({"date": pd.to_datetime(["2026-01-05", "2026-01-06"]),
                                                       "rep": ["a", "b"], "amount": [1.0, float("inf")]})),
               "orders.parquet, row 3, column amount: 'inf' is not a number")
    yield Case("parquet-far-date", ["check", "--kind", "orders", "{folder}/orders.parquet"],
               parquet("orders.parquet", pd.DataFrame({"date": pd.Series(pd.to_datetime(["2026-01-05", "2300-01-06"]).as_unit("s")),
                                                       "rep": ["a", "b"], "amount": [1.0, 2.0]})),
               "orders.parquet, row 3, column date: '2300-01-06' is outside the dates")
    yield Case("reps-empty", CHECK_REPS, text("reps.csv", ""), "reps.csv: the file is empty")
    yield Case("reps-hired-after-plan-year", TARGETS_2026, cell("reps.csv", 3, "hire_date", "2027-03-01"),
               "reps.csv, row 3, column hire_date: 2027-03-01 is after the plan year 2026")

    # ---- settings on the command line
    for option, value, words in (
            ("--growth", "nan", "--growth: nan is not a number"), ("--growth", "inf", "--growth: inf is not a number"),
            ("--growth", "-2", "--growth: -2 is outside -0.9 to 10"), ("--growth", "11", "--growth: 11 is outside"),
            ("--growth", "abc", "Invalid value for '--growth'"),
            ("--round-to", "nan", "--round-to: nan is not a number"), ("--round-to", "0", "--round-to: 0 is outside"),
            ("--round-to", "-100", "--round-to: -100 is outside"), ("--round-to", "1e10", "--round-to: 1e+10 is outside"),
            ("--round-to", "inf", "--round-to: inf is not a number"),
            ("--year", "1990", "--year: 1990 is outside 2000 to 2100"), ("--year", "2200", "--year: 2200 is outside"),
            ("--year", "2024", "--year: no orders before the plan year 2024"),
            ("--buffer", "2", "--buffer: 2 is outside 0 to 1"), ("--buffer", "-0.1", "--buffer: -0.1 is outside"),
            ("--buffer", "nan", "--buffer: nan is not a number"),
            ("--window", "0", "--window: 0 is outside 1 to 20"), ("--window", "50", "--window: 50 is outside"),
            ("--blend", "history=2", "--blend history: 2 is outside 0 to 1"),
            ("--blend", "history", "--blend: 'history' is not basis=weight"),
            ("--key-product", "nothing", "--key-product: no order in orders.csv is for 'nothing'"),
            ("--as-of", "2026-02-30", "--as-of: '2026-02-30' is not a date"),
            ("--as-of", "someday", "--as-of: 'someday' is not a date")):
        yield Case(f"targets-option{option}={value}", [*TARGETS, option, value], nothing, words)
    yield Case("targets-no-orders", ["targets", "--reps", "{reps}", "--out", "{out}/t.xlsx"], nothing,
               "--orders and --reps are required")
    yield Case("targets-out-is-folder", ["targets", "--orders", "{orders}", "--reps", "{reps}", "--out", "{folder}"],
               nothing, "is a folder; give a file name")
    yield Case("targets-out-inside-file", ["targets", "--orders", "{orders}", "--reps", "{reps}", "--out",
                                           "{folder}/reps.csv/t.xlsx"], nothing, "reps.csv is a file, so it cannot hold")
    yield Case("funnel-both-targets", [*FUNNEL, "--targets", "{folder}/x.xlsx", "--target-file", "{folder}/y.csv"],
               nothing, "give either --targets or --target-file, not both")
    yield Case("memo-bad-format", [*MEMO[:-1], "docx"], nothing, "--format: use md, html and/or pdf")
    yield Case("memo-out-is-file", ["memo", "--kind", "monthly", "--orders", "{orders}", "--reps", "{reps}",
                                    "--out", "{folder}/reps.csv/memos"], nothing, "reps.csv is a file")
    yield Case("memo-statement-without-plan", ["memo", "--kind", "statement", "--orders", "{orders}",
                                               "--reps", "{reps}", "--out", "{out}/m"], nothing,
               "--plan: a commission plan is needed")
    yield Case("memo-unknown-team", [*MEMO, "--team", "nobody"], nothing, "--team: 'nobody' is not a team")
    yield Case("memo-unknown-rep", ["memo", "--kind", "coaching", "--orders", "{orders}", "--reps", "{reps}",
                                    "--rep", "nobody", "--out", "{out}/m"], nothing, "--rep: nobody not in the reps file")
    yield Case("commission-bad-period", [a if a != "2026-02" else "2026-13" for a in COMMISSION], nothing, "2026-13")
    yield Case("commission-statements-is-file", [*COMMISSION[:-1], "{folder}/reps.csv"], nothing,
               "Invalid value for '--statements'")
    yield Case("commission-statements-inside-file", [*COMMISSION[:-1], "{folder}/reps.csv/statements"], nothing,
               "--statements: ")

    # ---- the as-of date, the stage table, true counts
    yield Case("funnel-stage-entered-after-as-of", FUNNEL,       # row 529: the sample's first open deal
               cell("opportunities.csv", 529, "stage_entered", "2026-06-01"),
               "opportunities.csv, row 529, column stage_entered: 2026-06-01 is after the as-of date 2026-02-28: "
               "the deal was open then")
    yield Case("funnel-earlier-snapshot-after-its-as-of",
               [*FUNNEL, "--compare", "{folder}/earlier.csv", "--compare-as-of", "2026-01-31"],
               lambda folder: shutil.copy(folder / "opportunities.csv", folder / "earlier.csv"),
               "is after the as-of date 2026-01-31")
    yield Case("stages-file-lacks-a-stage", FUNNEL_STAGES,
               edit("stages.yaml", "  - {stage: proposal, probability: 0.5, stale_days: 30}\n", ""),
               "stages.yaml: stage 'proposal' is not in the stage table (lead, needs analysis, negotiation, won), "
               "yet ")
    yield Case("default-stages-lack-a-stage", FUNNEL,
               both(*(cell("opportunities.csv", r, "stage", "qualified") for r in (3, 4, 5, 6))),
               "the default stage table: stage 'qualified' is not in the stage table")
    yield Case("orders-100000-bad-cells", CHECK_ORDERS,
               text("orders.csv", ORDERS_HEADER + "2026-01-05,沈轩健,x\n" * 100_000),
               "orders.csv, row 51, column amount: 'x' is not a number\n... and 99950 more")
    yield Case("orders-100000-bad-cells-in-two-columns", CHECK_ORDERS,
               text("orders.csv", ORDERS_HEADER + "2026-13-05,沈轩健,x\n" * 100_000), "... and 199950 more")

    # ---- new inputs of the plan year and the CRM presets: quota relief, ledger, CRM mappings
    for name, row, words in (
            ("relief-outside-plan-year", "沈轩健,2099-02,revenue,100,moved territory",
             "relief.csv, row 2, column period: 2099-02 is not in the plan year 2026"),
            ("relief-feb-30", "沈轩健,2026-02-30,revenue,100,moved territory",
             "relief.csv, row 2, column period: '2026-02-30' is not a date"),
            ("relief-nan", "沈轩健,2026-02,revenue,nan,moved territory", "relief.csv, row 2, column amount"),
            ("relief-huge", "沈轩健,2026-02,revenue,1e20,moved territory", "relief.csv, row 2, column amount"),
            ("relief-no-reason", "沈轩健,2026-02,revenue,100,", "relief.csv, row 2, column reason: blank")):
        yield Case(f"commission-{name}", [*COMMISSION_T, "--relief", "{folder}/relief.csv"],
                   text("relief.csv", "rep,period,measure,amount,reason\n" + row + "\n"), words)
    yield Case("commission-period-feb-30", [a if a != "2026-02" else "2026-02-30" for a in COMMISSION], nothing,
               "'2026-02-30' is not a date")
    yield Case("commission-ledger-empty", [*COMMISSION_T, "--ledger", "{folder}/ledger.csv"], text("ledger.csv", ""),
               "ledger.csv: the file is empty, not a commission ledger")
    yield Case("commission-ledger-not-utf8", [*COMMISSION_T, "--ledger", "{folder}/ledger.csv"],
               text("ledger.csv", b"period,rep\n\xff\xfe"), "ledger.csv, line 2: not UTF-8 text")
    for name, body, words in (
            ("duplicate-key", "opportunities:\n  columns:\n    id: ID\n    id: Deal\n", "the key 'id' appears twice"),
            ("alias", "name: &n X\nopportunities:\n  columns: {id: *n}\n", "an anchor (&n) is not allowed"),
            ("tag", "opportunities:\n  columns:\n    id: !!python/name:os.system\n", "is not allowed; write plain"),
            ("not-utf8", b"name: \xff\n", "mapping.yaml, line 1: not UTF-8 text"),
            ("unknown-column", "opportunities:\n  columns:\n    nosuch: X\n", "'nosuch' is not a column")):
        yield Case(f"mapping-{name}", [*FUNNEL, "--mapping", "{folder}/mapping.yaml"], text("mapping.yaml", body), words)

    # ---- typed in a workbook: a refresh or re-run names the sheet and cell, never Python's exception text
    TARGETS_REFRESH = ["targets", "--refresh", "{folder}/targets.xlsx"]
    for name, sheet, ref, value, words in (
            ("growth-text", "Assumptions", "E19", "abc", "sheet Assumptions, cell E19 (Growth): 'abc' is not a number"),
            ("growth-blank", "Assumptions", "E19", None, "cell E19 (Growth): is blank; a number is needed"),
            ("growth-minus-5", "Assumptions", "E19", -5, "cell E19 (Growth): -5 is outside -0.9 to 10"),
            ("window-text", "Assumptions", "D19", "abc", "cell D19 (Window (years)): 'abc' is not a number"),
            ("window-half", "Assumptions", "D19", 1.5, "cell D19 (Window (years)): 1.5 is not a whole number"),
            ("round-to-0", "Assumptions", "F19", 0, "cell F19 (Round to): 0 is outside 0.01 to"),
            ("method", "Assumptions", "C19", "magic", "cell C19 (Method): expected one of avg, wma, linear"),
            ("company-target-huge", "Assumptions", "G19", 1e20,
             "cell G19 (Company target (by hand)): 100,000,000,000,000,000,000 is outside 0 to 1,000,000,000,000"),
            ("year-text", "Assumptions", "B3", "abc", "sheet Assumptions, cell B3 (Plan year): 'abc' is not a number"),
            ("year-1990", "Assumptions", "B3", 1990, "cell B3 (Plan year): 1990 is outside 2000 to 2100"),
            ("as-of-text", "Assumptions", "B4", "soon", "cell B4 (As of"),
            ("basis", "Assumptions", "B5", "vibes", "cell B5 (Split basis"),
            ("blend-text", "Assumptions", "B6", "abc", "cell B6 (Blend: weight of history): 'abc' is not a number"),
            ("buffer-text", "Assumptions", "B9", "abc", "cell B9 (Over-assignment buffer): 'abc' is not a number"),
            ("ramp", "Assumptions", "B10", "x, 0.5", "cell B10 (New-hire ramp"),
            ("footing", "Assumptions", "B13", "weird", "cell B13 (Part year of history"),
            ("history-end", "Assumptions", "B14", "soon", "cell B14 (Last whole month of history used): 'soon' is not"),
            ("hire-date", "Reps", "E2", "soon", "sheet Reps, cell E2 (Hire date): 'soon' is not a date"),
            ("potential-text", "Reps", "F2", "lots", "sheet Reps, cell F2 (Potential): 'lots' is not a number"),
            ("history-month", "Sales history", "C2", "soon", "sheet Sales history, cell C2 (Month): 'soon' is not"),
            ("history-actual", "Sales history", "D2", "lots", "sheet Sales history, cell D2 (Actual): 'lots' is not")):
        yield Case(f"targets-refresh-{name}", TARGETS_REFRESH, workbook_cell("targets.xlsx", sheet, ref, value), words)
    FUNNEL_RERUN = [*FUNNEL[:-1], "{folder}/funnel.xlsx"]
    for name, ref, value, words in (
            ("probability-text", "C5", "high", "funnel.xlsx, sheet Stages, cell C5 (Win probability): 'high' is not"),
            ("probability-500", "C5", 5, "cell C5 (Win probability): 5 is outside 0 to 1"),
            ("probability-order", "C5", 0.6, "funnel.xlsx, sheet Stages: stage 'proposal' has a lower probability "
                                              "than 'needs analysis' before it, with the values typed there"),
            ("stale-negative", "D4", -3, "cell D4 (Days before stale): -3 is outside 0 to"),
            ("risk-rule-text", "I4", "many", "funnel.xlsx: sheet Stages, cell I4 (risk rule '"),
            ("risk-rule-huge", "I4", 1e300, "funnel.xlsx: sheet Stages, cell I4 (risk rule '")):
        yield Case(f"funnel-stages-{name}", FUNNEL_RERUN, workbook_cell("funnel.xlsx", "Stages", ref, value), words)

    # ---- commission plans
    for name, old, new, words in (
            ("rate-500", "[0, 3%]", "[0, 500%]", "measures.revenue.tiers[1].rate: must be between 0 and 100%, got 5"),
            ("rate-nan", "[0, 3%]", "[0, .nan]", "measures.revenue.tiers[1].rate: nan is not a finite number"),
            ("rate-inf", "[0, 3%]", "[0, .inf]", "is not a finite number"),
            ("rate-1e309", "[0, 3%]", "[0, 1e309]", "is not a finite number"),
            ("rate-negative", "[0, 3%]", "[0, -3%]", "a rate cannot be negative"),
            ("rate-euro", "[0, 3%]", "[0, '0,03']", "a comma may only separate thousands"),
            ("rate-text", "[0, 3%]", "[0, lots]", "measures.revenue.tiers[1].rate: Input should be a valid number"),
            ("gate-50", "gate: 50%", "gate: 50", "measures.revenue.gate: must be between 0 and 200%, got 50"),
            ("gate-negative", "gate: 50%", "gate: -1", "measures.revenue.gate: must be ≥ 0"),
            ("cap-negative", "cap: 80000", "cap: -5", "cap: must be ≥ 0"),
            ("cap-huge", "cap: 80000", "cap: 1e13", "cap: must be between 0 and 1,000,000,000,000"),
            ("cap-inf", "cap: 80000", "cap: .inf", "is not a finite number"),
            ("weight-2", "weight: 70%", "weight: 2", "measures.revenue.weight: must be above 0 and at most 1"),
            ("tiers-descending", PLAN_TIERS, "      - [0.0, 5%]", "is not above the bound before it"),
            ("bound-huge", PLAN_TIERS, "      - [50, 5%]", "measures.revenue.tiers[2].bound: must be between 0 and 1000%"),
            ("year-1990", "year: 2026", "year: 1990", "year: expected a year like 2026"),
            ("unknown-key", "prorate: true", "prorate: true\nbonus: 5", "bonus: is not a plan setting"),
            ("duplicate-key", "prorate: true", "prorate: true\nprorate: false", "the key 'prorate' appears twice"),
            ("alias", "cap: 80000", "cap: &c 80000\nname2: *c", "an anchor (&c) is not allowed"),
            ("tag", "cap: 80000", "cap: !!python/object:os.system 1", "is not allowed; write plain values"),
            ("custom-tag", "cap: 80000", "cap: !money 1", "the tag !money is not allowed"),
            ("bad-yaml", "cap: 80000", "cap: [80000", "not valid YAML"),
            ("award-huge", "amount: 2000", "amount: 1e14", "awards[1].amount: must be between 0 and 1,000,000,000,000"),
            ("draw-negative", "amount: 3000", "amount: -3000", "draw.amount: must be ≥ 0"),
            ("min-attainment", "min_attainment: 1.0", "min_attainment: 50", "awards[1].min_attainment: must be between"),
            ("bool-rate", "[0, 3%]", "[0, true]", "expected a number")):
        yield Case(f"plan-{name}", COMMISSION, edit("plan.yaml", old, new), words)
    # on-target earnings: tier rates are multiples of the rate at quota, so 150% is a legitimate rate there
    for name, old, new, words in (
            ("multiple-50", "[1.2, 8%]", "[1.2, 50]",
             "measures.revenue.tiers[3].rate: must be between 0 and 10× the rate at quota, got 50"),
            ("multiple-nan", "[1.2, 8%]", "[1.2, .nan]", "measures.revenue.tiers[3].rate: nan is not a finite number"),
            ("nothing-at-quota", "[0, 3%]", "[0, 0]",
             "measures.revenue.tiers: with ote, 100% of quota must pay something"),
            ("annual-nan", "annual: 180000", "annual: .nan", "ote.annual: nan is not a finite number"),
            ("annual-huge", "annual: 180000", "annual: 1e15", "ote.annual: must be between 0 and 1,000,000,000,000"),
            ("below-base", "annual: 180000", "annual: 100000", "ote: on-target earnings 100,000.00 must be above")):
        yield Case(f"plan-ote-{name}", COMMISSION, both(edit("plan.yaml", "cap: 80000", "cap: 80000\n" + OTE),
                                                        edit("plan.yaml", old, new)), words)
    yield Case("plan-alias-bomb", COMMISSION,
               text("plan.yaml", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"),
               "plan.yaml, line 1, column 4: an anchor (&a) is not allowed")
    yield Case("plan-deep", COMMISSION, text("plan.yaml", "a: " + "[" * 200 + "]" * 200 + "\n"),
               "nested more than 50 levels deep")
    yield Case("plan-too-large", COMMISSION, text("plan.yaml", "# " + "x" * 1_100_000 + "\n"),
               "plan.yaml: 1,100,003 bytes is too large for a plan")
    yield Case("plan-not-utf8", COMMISSION, text("plan.yaml", "name: \xff\n".encode("latin-1")),
               "plan.yaml, line 1: not UTF-8 text")
    yield Case("plan-list", COMMISSION, text("plan.yaml", "- 1\n- 2\n"), "plan.yaml: expected a mapping")

    # ---- stage tables
    for name, old, new, words in (
            ("duplicate-key", "{stage: lead, probability: 0.1, stale_days: 30}",
             "{stage: lead, probability: 0.1, probability: 0.2, stale_days: 30}", "the key 'probability' appears twice"),
            ("alias", "  - {stage: lead, probability: 0.1, stale_days: 30}",
             "  - &x {stage: lead, probability: 0.1, stale_days: 30}", "an anchor (&x) is not allowed"),
            ("probability-text", "probability: 0.1,", "probability: high,", "'high' is not a number"),
            ("stale-negative", "stale_days: 30}", "stale_days: -30}", "is negative"),
            ("tag", "probability: 0.1,", "probability: !!float 0.1,", "is not allowed; write plain values")):
        yield Case(f"stages-{name}", FUNNEL_STAGES, edit("stages.yaml", old, new), words)
    yield Case("stages-alias-bomb", FUNNEL_STAGES,
               text("stages.yaml", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                                   "stages: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"),
               "stages.yaml, line 1, column 4: an anchor (&a) is not allowed")

    # ---- build configs
    for name, old, new, words in (
            ("as-of-feb-30", "as_of: 2026-02-27", "as_of: 2026-02-30",
             "build.yaml, line 2, column 8: '2026-02-30' is not a date"),
            ("duplicate-key", "company: Test Co", "company: Test Co\ncompany: Other", "the key 'company' appears twice"),
            ("unknown-key", "company: Test Co", "company: Test Co\ncolour: red", "build.yaml: colour: Extra inputs"),
            ("growth-inf", "growth: 0.1", "growth: .inf", "plan.targets.growth"),
            ("growth-nan", "growth: 0.1", "growth: .nan", "plan.targets.growth"),
            ("year-1990", "growth: 0.1", "growth: 0.1, year: 1990", "plan.targets.year"),
            ("period-13", "as_of: 2026-02-27", "period: 2026-13", "period"),
            ("unknown-workbook", "workbooks: [targets]", "workbooks: [forecast]", "outputs.workbooks.0"),
            ("templates-missing", "formats: [md]", "formats: [md]\n  templates: nowhere", "outputs.templates: "),
            ("key-product-nothing", "growth: 0.1", "growth: 0.1, key_product: nothing",
             "plan.targets.key_product: no order in orders.csv is for 'nothing'"),
            ("alias", "company: Test Co", "company: &n Test Co", "an anchor (&n) is not allowed"),
            ("tag", "company: Test Co", "company: !!binary VGVzdA==", "is not allowed; write plain values"),
            ("out-is-file", "dir: out", "dir: reps.csv", "outputs.dir: "),
            ("orders-missing", "orders: orders.csv", "orders: none.csv", "none.csv: file not found"),
            ("bad-orders", "orders: orders.csv", "orders: bad.csv", "bad.csv, row 2, column amount: 'x' is not a number")):
        mutate = edit("build.yaml", old, new)
        if name == "bad-orders":
            mutate = both(mutate, text("bad.csv", ORDERS_HEADER + "2026-01-05,沈轩健,x\n"))
        yield Case(f"build-{name}", BUILD, mutate, words)
    yield Case("build-empty", BUILD, text("build.yaml", ""), "expected keys such as inputs and outputs")

    # ---- user memo templates
    for name, source, words in (
            ("undefined", "{{ nosuch }}", "tpl/monthly.md.j2, line 2: 'nosuch' is undefined"),
            ("syntax", "{% for x in %}", "tpl/monthly.md.j2, line 2: template syntax error"),
            ("missing-include", "{% include 'missing.j2' %}", "includes or extends 'missing.j2'"),
            ("sandbox", "{{ ''.__class__.__mro__ }}", "not allowed in a template (sandbox)"),
            ("big-range", "{% for i in range(100000000) %}{% endfor %}", "range() of more than 10,000 items"),
            ("huge-output", "{% for i in range(9999) %}{% for j in range(9999) %}{{ i }}{% endfor %}{% endfor %}",
             "the memo grew past 5,000,000 characters"),
            ("repeat-bomb", "{{ 'x' * 1000000000 }}", "a repetition of more than 5,000,000 items"),
            ("power-bomb", "{{ 2 ** 100000000 }}", "a power of 1e+08 is too large"),
            ("recursion", "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "calls itself too deeply"),
            ("zero-division", "{{ 1 / 0 }}", "ZeroDivisionError: division by zero")):
        yield Case(f"template-{name}", MEMO_TPL, text("tpl/monthly.md.j2", "# T\n" + source + "\n"), words)
    yield Case("template-in-build", BUILD,
               both(edit("build.yaml", "formats: [md]", "formats: [md]\n  templates: tpl"),
                    text("tpl/monthly.md.j2", "# T\n{{ nosuch }}\n")),
               "tpl/monthly.md.j2, line 2: 'nosuch' is undefined")


CASES = list(_cases())


def test_the_corpus_is_large_and_its_ids_unique():
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_a_located_message_and_nothing_is_written(case, base, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(base, folder)
    (folder / "tpl").mkdir()
    case.mutate(folder)
    before = _files(folder)
    names = {"orders": folder / "orders.csv", "reps": folder / "reps.csv", "opps": folder / "opportunities.csv",
             "plan": folder / "plan.yaml", "stages": folder / "stages.yaml", "config": folder / "build.yaml",
             "tpl": folder / "tpl", "out": tmp_path / "out", "folder": folder}
    args = [a.format(**names) for a in case.args]
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == case.code, result.output
    assert case.fragment in result.stderr, result.stderr[:2000]
    assert result.stderr.startswith("xlsales: ") or result.stderr.startswith("Usage:")
    assert not (tmp_path / "out").exists() or not [p for p in (tmp_path / "out").rglob("*")], "something was written"
    assert _files(folder) == before, "an input file was changed or a file was added"


def test_an_ote_plan_with_multiples_above_one_is_paid(base, tmp_path):
    """With ote, rates are multiples of the rep's rate at quota: 1.5 (150 %) above quota is what such a plan
    means, not a rate a user could not have meant. The same plan without ote is refused (rate-500 above)."""
    folder = tmp_path / "in"
    shutil.copytree(base, folder)
    for old, new in (("cap: 80000", "cap: 80000\n" + OTE), ("[0, 3%]", "[0, 0.5]"), ("[1.0, 5%]", "[1.0, 1.0]"),
                     ("[1.2, 8%]", "[1.2, 150%]"), ("[0, 1%]", "[0, 1]"), ("[0.9, 2%]", "[0.9, 1.2]")):
        edit("plan.yaml", old, new)(folder)
    out = tmp_path / "out"
    args = [a.format(plan=folder / "plan.yaml", orders=folder / "orders.csv", reps=folder / "reps.csv", out=out)
            for a in COMMISSION[:-2]] + ["--quotas", str(folder / "quotas.csv")]
    pd.DataFrame({"rep": pd.read_csv(folder / "reps.csv")["rep"]}).assign(
        measure="revenue", period="2026-02", quota=100_000).pipe(
        lambda q: pd.concat([q, q.assign(measure="collections")])).to_csv(folder / "quotas.csv", index=False)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (out / "commission.xlsx").is_file()

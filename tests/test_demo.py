"""``xlsales demo`` end to end, as a new user runs it."""
from __future__ import annotations

import openpyxl
import pytest
from click.testing import CliRunner

from xlsales.cli import main
from xlsales.workbooks.binding import read_table
from xlsales.workbooks.targets import GRID


@pytest.mark.parametrize("lang, heading", [("en", "Targets and pace"), ("zh", "目标与进度")])
def test_demo_writes_everything_and_says_where(tmp_path, lang, heading):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--lang", lang])
    assert result.exit_code == 0, result.output
    assert heading in result.output
    for name in ("inputs/orders.csv", "inputs/reps.csv", "inputs/opportunities.csv", "workbooks/targets.xlsx",
                 "workbooks/funnel.xlsx", "workbooks/commission.xlsx", "manifest.json"):
        assert (out / name).exists(), name
        assert str(out / name) in result.output
    for stem in ("monthly-2026-06", "quarterly-2026-Q2"):
        for suffix in (".md", ".html", ".pdf"):
            assert (out / "memos" / f"{stem}{suffix}").exists(), stem + suffix
    statements = list((out / "reps").glob("*/statement-2026-06-*.md"))
    coaching = list((out / "reps").glob("*/coaching-2026-06-*.md"))
    assert len(statements) == 40 and 0 < len(coaching) < 40
    # The sample's inputs are valid input files.
    check = CliRunner().invoke(main, ["check", *(str(p) for p in sorted((out / "inputs").glob("*.csv")))])
    assert check.exit_code == 0, check.output
    grid = read_table(openpyxl.load_workbook(out / "workbooks" / "targets.xlsx"), "TargetGrid", GRID)
    assert len(grid) == 40 * 4   # revenue, collections, new customers, key-product revenue

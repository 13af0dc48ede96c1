"""Memos of the sample company against the other results: targets (and its workbook), funnel, commission;
and the PDF through LibreOffice, turned into PNG pages and text."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from xlsales.core.decomposition import pacing
from xlsales.core.funnel_analysis import analyse_funnel
from xlsales.core.stages import default_stages
from xlsales.io.opportunities import with_rep_details
from xlsales.io.plan import load_plan
from xlsales.memos import formatting, suite
from xlsales.memos.context import rep_pacing
from xlsales.memos.periods import Period
from xlsales.memos.render import render_memo
from xlsales.memos.write import render_and_write
from xlsales.sample import sample_company
from xlsales.sample.opportunities import sample_opportunities
from xlsales.workbooks.commission import run_commission
from xlsales.workbooks.binding import name_cell, read_table
from xlsales.workbooks.targets import PACING, plan_from_orders, read_monthly_targets, write_targets_workbook
from recalc import error_cells, recalculate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def world():
    company = sample_company(seed=7, reps=24, months=30)
    plan, as_of = plan_from_orders(company.orders, company.reps, as_of=company.as_of)
    deals = with_rep_details(sample_opportunities(company, as_of=as_of, lang="en"), company.reps)
    funnel = analyse_funnel(deals, default_stages("en"), as_of, plan.monthly, "month")
    cplan = load_plan(ROOT / "examples" / "plans" / "plan.en.yaml")
    commission = run_commission(cplan, company.orders, company.reps, as_of.strftime("%Y-%m"), plan.monthly)
    inp = suite.memo_inputs(company.orders, company.reps, plan, as_of, "Sample", funnel, commission)
    return company, plan, as_of, funnel, commission, inp


def test_year_figures_equal_the_targets_pacing(world):
    company, plan, as_of, *_ , inp = world
    theirs = pacing(plan, as_of)
    theirs = theirs[theirs["measure"] == "revenue"].set_index("rep")
    year = Period("year", pd.Timestamp(as_of.year, 1, 1), pd.Timestamp(as_of.year, 12, 31), as_of)
    mine = rep_pacing(inp.orders, inp.targets, inp.people(), year).set_index("rep").loc[theirs.index]
    pd.testing.assert_series_equal(mine["target"], theirs["target"].astype(float), check_names=False)
    pd.testing.assert_series_equal(mine["actual"], theirs["actual_to_date"], check_names=False)
    pd.testing.assert_series_equal(mine["expected"], theirs["expected_to_date"], check_names=False)
    pd.testing.assert_series_equal(mine["gap"], theirs["gap"], check_names=False)
    assert mine["below_pace"].tolist() == theirs["behind_pace"].tolist()
    review = suite.company_items(inp, ("monthly",))[0][1]
    assert review["year"]["target"] == pytest.approx(theirs["target"].sum())
    assert review["year"]["actual"] == pytest.approx(theirs["actual_to_date"].sum())


def test_memo_from_the_targets_workbook_equals_memo_from_the_plan(world, tmp_path):
    company, plan, as_of, *_ = world
    book = write_targets_workbook(plan, tmp_path / "targets.xlsx", as_of)
    grid = read_monthly_targets(book)
    from_book = suite.memo_inputs(company.orders, company.reps,
                                  grid.loc[grid["measure"] == "revenue", ["rep", "month", "target"]], as_of)
    from_plan = suite.memo_inputs(company.orders, company.reps, plan, as_of)
    a = suite.company_items(from_book, ("monthly",))[0][1]
    b = suite.company_items(from_plan, ("monthly",))[0][1]
    assert a["total"] == b["total"] and a["laggards"] == b["laggards"]


def test_laggards_get_coaching_memos_and_paid_reps_statements(world):
    *_, commission, inp = world
    items = suite.all_items(inp, by_team=False)
    coached = sorted(ctx["rep"]["rep"] for _, ctx in items if ctx["kind"] == "coaching")
    monthly = next(ctx for _, ctx in items if ctx["kind"] == "monthly")
    assert coached == sorted(r["rep"] for r in monthly["laggards"]) == inp.laggards()
    assert coached, "the sample company has reps behind the pace line"
    june = commission.payouts[commission.payouts["period"] == inp.month.label].set_index("rep")["payout"]
    statements = {ctx["rep"]["rep"]: ctx for _, ctx in items if ctx["kind"] == "statement"}
    assert set(statements) == set(june.index)
    for rep, ctx in statements.items():
        assert ctx["total"] == pytest.approx(june[rep], abs=0.005)
        assert sum(line["amount"] for line in ctx["lines"]) == pytest.approx(june[rep], abs=0.005)


def test_memo_funnel_is_the_funnel_analysis(world):
    *_, funnel, _, inp = world
    review = suite.company_items(inp, ("monthly",))[0][1]
    assert [s["reached"] for s in review["funnel"]["stages"]] == funnel.by_stage["reached"].tolist()
    summary = dict(zip(funnel.summary["metric"], funnel.summary["value"]))
    assert review["funnel"]["open"] == pytest.approx(summary["open_pipeline"])
    assert review["funnel"]["bottleneck"] == summary["bottleneck"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figures_in_the_memo_text_are_the_context_figures(world, lang):
    *_, inp = world
    review = suite.company_items(inp, ("monthly",))[0][1]
    md = render_memo(review, lang).markdown
    for value in (review["total"]["target"], review["total"]["actual"], review["year"]["target"]):
        assert formatting.money(value) in md
    for rep in review["laggards"]:
        assert rep["rep"] in md and formatting.money(rep["gap"]) in md


@pytest.mark.skipif(not shutil.which("pdftotext") or not shutil.which("soffice"), reason="poppler/LibreOffice")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_pages_render_and_hold_the_key_figures(world, tmp_path, lang):
    *_, inp = world
    items = suite.company_items(inp, ("monthly",))
    lag = inp.laggards()[0]
    items += suite.rep_items(inp, lag, ("coaching", "statement"))
    paths = render_and_write(items, tmp_path, lang, ("md", "html", "pdf"))
    pdfs = sorted(p for p in paths if p.suffix == ".pdf")
    assert len(pdfs) == 3
    for pdf in pdfs:
        subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / pdf.stem)], check=True)
    pages = list(tmp_path.glob("*.png"))
    assert len(pages) >= 3 and all(p.stat().st_size > 2_000 for p in pages)
    review = items[0][1]
    text = subprocess.run(["pdftotext", str(tmp_path / f"monthly-{inp.month.label}.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert formatting.money(review["total"]["actual"]) in text
    assert formatting.percent(review["total"]["pace_line"]) in text         # the chart's pace line label
    assert ("月度复盘" if lang == "zh" else "Monthly review") in text
    coaching = subprocess.run(["pdftotext", str(tmp_path / f"coaching-{inp.month.label}-{lag}.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
    assert lag in coaching and "OKMA" in coaching


def test_memos_from_the_targets_workbook_alone(world, tmp_path):
    """What the ribbon's WRITE_MEMOS button runs: the workbook is the only input."""
    from xlsales.excel.refresh import write_memos as ribbon_write_memos
    company, plan, as_of, *_ = world
    book = write_targets_workbook(plan, tmp_path / "目标.xlsx", as_of, lang="zh")
    out = ribbon_write_memos(book, tmp_path / "memos")
    monthly = (out / f"monthly-{as_of:%Y-%m}.md").read_text(encoding="utf-8")
    assert "月度复盘" in monthly
    year_target = plan.monthly.loc[plan.monthly["measure"] == "revenue", "target"].sum()
    assert formatting.money(year_target) in monthly
    assert list(out.glob("coaching-*.html"))


CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (Debian chromium-headless-shell) not installed")
def test_html_renders_in_headless_chromium(world, tmp_path):
    *_, inp = world
    paths = render_and_write(suite.company_items(inp, ("monthly",)), tmp_path, "zh", ("html",))
    page = paths[0].resolve().as_uri()
    flags = ["--no-sandbox", "--disable-gpu", "--window-size=900,1400"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    review = suite.company_items(inp, ("monthly",))[0][1]
    assert dom.count("<img") == 3 and "data:image/svg+xml;base64," in dom      # charts inline: self-contained
    assert formatting.money(review["total"]["actual"]) in dom and "月度复盘" in dom
    shot = tmp_path / "page.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", page], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000


def test_memo_year_figures_equal_the_recalculated_targets_workbook(world, tmp_path):
    """The numbers in the memo are the numbers Excel (here LibreOffice) shows in the Pacing sheet."""
    company, plan, as_of, *_, inp = world
    book = write_targets_workbook(plan, tmp_path / "targets.xlsx", as_of)
    values = recalculate(book, tmp_path / "recalc")
    assert error_cells(values) == []
    sheet = read_table(values, "Pacing", PACING)
    sheet = sheet[sheet["measure"] == "revenue"].set_index("rep")
    year = Period("year", pd.Timestamp(as_of.year, 1, 1), pd.Timestamp(as_of.year, 12, 31), as_of)
    mine = rep_pacing(inp.orders, inp.targets, inp.people(), year).set_index("rep").loc[sheet.index]
    for memo_key, sheet_key in (("target", "target"), ("expected", "expected"), ("actual", "actual"),
                                ("gap", "gap"), ("landing", "run_rate"), ("required_daily", "daily_pace")):
        assert mine[memo_key].round(2).tolist() == pytest.approx(
            pd.to_numeric(sheet[sheet_key]).round(2).tolist(), abs=0.01), memo_key
    behind_text = name_cell(values, "StatusBehind").value
    assert mine["below_pace"].tolist() == (sheet["status"] == behind_text).tolist()
    review = suite.company_items(inp, ("monthly",))[0][1]
    assert review["year"]["actual"] == pytest.approx(pd.to_numeric(sheet["actual"]).sum(), abs=0.01)

"""``xlsales commission``: payouts for a period from a plan file, with a statement for every rep."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from xlsales.cli import fail, main
from xlsales.cli.common import LANG_OPTION, output_path
from xlsales.io.schemas import load_sales_inputs
from xlsales.cli.display import text_table
from xlsales.core import periods
from xlsales.errors import InputError, InputFileError
from xlsales.io.loading import capped
from xlsales.io.commission_files import check_credit_notes, load_credits
from xlsales.io.plan import load_clawbacks, load_plan, load_quotas
from xlsales.workbooks.binding import WorkbookError


@main.command()
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Commission plan (YAML); see examples/plans/plan.en.yaml.")
@click.option("--orders", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Orders file (actuals).")
@click.option("--reps", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Reps file.")
@click.option("--targets", "targets_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Targets workbook (xlsales targets): monthly rep targets are the quotas.")
@click.option("--quotas", "quotas_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Quotas file: rep, measure, period (2026-06 or 2026-Q2), quota.")
@click.option("--clawbacks", "clawbacks_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Deals lost or returned after they were paid: rep, date, amount[, measure, reason].")
@click.option("--credits", "credits_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Split credit: order_id, rep, share (订单编号, 销售代表, 比例); an order's shares add up to 100%.")
@click.option("--period", required=True, help="Period to pay: 2026-06 (month plan) or 2026-Q2 (quarter plan).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("commission.xlsx"), show_default=True,
              help="Workbook to write; an existing one is refreshed in place.")
@click.option("--statements", "statements_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write one statement workbook per rep into this folder.")
@LANG_OPTION
def commission(plan_path, orders, reps, targets_path, quotas_path, clawbacks_path, credits_path, period, out,
               statements_dir, lang):
    """Pay commission for a period: tiers, gates, caps, awards, draws, clawbacks; a statement per rep."""
    from xlsales.workbooks.commission import run_commission, summary, write_commission_workbook
    from xlsales.workbooks.statements import write_statement_files

    try:
        plan, orders_frame, reps_frame, targets, quotas, clawbacks, credits = _inputs(
            plan_path, orders, reps, targets_path, quotas_path, clawbacks_path, credits_path)
        out = output_path(out)
        result = run_commission(plan, orders_frame, reps_frame, period, targets, quotas, clawbacks, credits)
        label = periods.label(periods.parse(period, plan.period), plan.period)
        sources = {"plan": plan_path, "orders": orders, "reps": reps, "targets": targets_path,
                   "quotas": quotas_path, "clawbacks": clawbacks_path, "credits": credits_path}
        path = write_commission_workbook(result, out, lang, sources=sources)
        written = []
        if statements_dir:
            written = write_statement_files(result, statements_dir, lang, label, progress=sys.stderr.isatty())
    except (InputError, WorkbookError) as error:
        fail(InputError(str(error)))
    click.echo(f"wrote {path}")
    if statements_dir:
        click.echo(f"wrote {len(written)} statements in {statements_dir}")
    click.echo(format_summary(summary(result.period(periods.parse(period, plan.period))), lang))


def _inputs(plan_path, orders, reps, targets_path, quotas_path, clawbacks_path=None, credits_path=None):
    """Every input checked before anything is written; all file problems reported together."""
    if targets_path and quotas_path:
        raise InputError("give either --targets or --quotas, not both")
    problems = []
    try:
        plan = load_plan(plan_path)
    except InputFileError as error:
        problems.extend(error.problems)
        plan = None
    orders_frame, reps_frame = load_sales_inputs(orders, reps, problems)
    sales_ok = not problems
    if sales_ok:
        check_credit_notes(orders_frame, problems)
    credits = None
    if credits_path:
        credits = load_credits(credits_path, orders_frame if sales_ok else None, reps_frame if sales_ok else None,
                               problems)
    quotas = load_quotas(quotas_path, problems) if quotas_path else None
    clawbacks = load_clawbacks(clawbacks_path, problems) if clawbacks_path else None
    targets = None
    if targets_path:
        targets = _read_targets(targets_path, problems)
    if problems:
        raise InputFileError(capped(problems))
    return plan, orders_frame, reps_frame, targets, quotas, clawbacks, credits


def _read_targets(path, problems):
    from xlsales.workbooks.targets import read_monthly_targets
    if not Path(path).is_file():
        problems.append(f"{Path(path).name}: file not found ({path})")
        return None
    try:
        return read_monthly_targets(path)
    except (WorkbookError, KeyError, ValueError) as error:
        problems.append(f"{Path(path).name}: not a targets workbook from xlsales targets ({error})")
    except Exception as error:  # a damaged file: openpyxl raises many types
        problems.append(f"{Path(path).name}: cannot open it as an Excel workbook ({error})")
    return None


def format_summary(frame, lang: str, top: int = 15) -> str:
    headers = ("销售代表", "提成", "扣回", "奖励", "保底", "应发") if lang == "zh" else (
        "Rep", "Commission", "Clawbacks", "Awards", "Draw", "Payout")
    rows = [(str(r.rep), f"{r.commission + r.plan_cap_adj:,.2f}", f"{r.clawbacks:,.2f}", f"{r.awards:,.2f}",
             f"{r.draw_topup - r.draw_recovery:,.2f}", f"{r.payout:,.2f}") for r in frame.head(top).itertuples()]
    total = ("合计" if lang == "zh" else "Total", f"{(frame.commission + frame.plan_cap_adj).sum():,.2f}",
             f"{frame.clawbacks.sum():,.2f}", f"{frame.awards.sum():,.2f}",
             f"{(frame.draw_topup - frame.draw_recovery).sum():,.2f}", f"{frame.payout.sum():,.2f}")
    more = len(frame) - top
    note = f"\n... {more} more reps in the workbook" if more > 0 and lang != "zh" else (
        f"\n……另有 {more} 人见工作簿" if more > 0 else "")
    return text_table(headers, rows + [total]) + note

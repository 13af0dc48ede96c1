"""``xlsales commission``: payouts for a period from a plan file, with a statement for every rep."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from xlsales.cli import fail, main
from xlsales.cli.common import LANG_OPTION, mapping_from, mapping_options, output_folder, output_path
from xlsales.staging import Staging
from xlsales.io.schemas import load_sales_inputs
from xlsales.cli.display import text_table
from xlsales.core import periods
from xlsales.errors import InputError, InputFileError
from xlsales.io.loading import capped
from xlsales.io.commission_files import check_credit_notes, load_credits, load_relief
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
@click.option("--relief", "relief_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Quota relief: rep, period, measure, amount, reason (销售代表, 期间, 指标, 金额, 原因).")
@click.option("--what-if", "whatif_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A second plan: per rep old and new payout, the lines that change, and plan curves.")
@click.option("--pipeline", "pipeline_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Opportunities file: open deals expected to close in the period, as 'if these close' scenarios.")
@click.option("--period", help="Period to pay: 2026-06 (month plan) or 2026-Q2 (quarter plan).")
@click.option("--close", "close", help="Pay this period and close it: its payouts go into the ledger and are "
                                      "never recomputed; later changes are paid as prior-period adjustments.")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Ledger of closed periods (default: commission-ledger.csv beside the orders file).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("commission.xlsx"), show_default=True,
              help="Workbook to write; an existing one is refreshed in place.")
@click.option("--statements", "statements_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write one statement workbook per rep into this folder.")
@mapping_options
@LANG_OPTION
def commission(plan_path, orders, reps, targets_path, quotas_path, clawbacks_path, credits_path, relief_path,
               whatif_path, pipeline_path, period, close,
               ledger_path, out, statements_dir, preset, mapping_file, lang):
    """Pay commission for a period: tiers, gates, caps, awards, draws, clawbacks; a statement per rep."""
    from xlsales.workbooks.commission import run_commission, summary, write_commission_workbook
    from xlsales.workbooks.statements import write_statement_files

    if close and period and close != period:
        fail(InputError(f"--close {close} and --period {period}: give one period (--close pays and closes it)"))
    period = close or period
    if not period:
        fail(InputError("give --period 2026-06 to pay a period, or --close 2026-06 to pay and close it"))
    try:
        plan, orders_frame, reps_frame, targets, quotas, clawbacks, credits, relief = _inputs(
            plan_path, orders, reps, targets_path, quotas_path, clawbacks_path, credits_path, relief_path,
            mapping_from(preset, mapping_file))
        out = output_path(out)
        if statements_dir:
            output_folder(statements_dir, "--statements")
        result = run_commission(plan, orders_frame, reps_frame, period, targets, quotas, clawbacks, credits, relief)
        label = periods.label(periods.parse(period, plan.period), plan.period)
        sources = {"plan": plan_path, "orders": orders, "reps": reps, "targets": targets_path,
                   "quotas": quotas_path, "clawbacks": clawbacks_path, "credits": credits_path, "relief": relief_path}
        whatif = None
        if whatif_path:
            whatif = _whatif(plan, whatif_path, pipeline_path, reps_frame, period, lambda p, extra: run_commission(
                p, orders_frame if extra is None else _with_orders(orders_frame, extra), reps_frame, period, targets,
                quotas, clawbacks, credits, relief))
        elif pipeline_path:
            raise InputError("--pipeline needs --what-if PLAN (the scenarios are shown beside the what-if); "
                             "give --what-if with the same plan file to see only the pipeline")
        from xlsales.io.ledger import default_path
        from xlsales.workbooks.commission import read_anchor, settle
        ledger_path = ledger_path or default_path(orders)
        before = _ledger_bytes(ledger_path) if close else None
        try:    # a period is closed only with its workbook (and statements) written: else the ledger is put back
            result, anchor = settle(result, period, ledger_path, sources, read_anchor(out), close=bool(close))
            written = []
            if statements_dir:      # all statements and the workbook, or nothing
                with Staging(output_folder(statements_dir, "--statements")) as stage:
                    write_statement_files(result, stage.dir, lang, label, progress=sys.stderr.isatty())
                    path = write_commission_workbook(result, out, lang, sources=sources,
                                                     ledger=(Path(ledger_path).resolve(), anchor), whatif=whatif)
                    written = stage.commit()
            else:
                path = write_commission_workbook(result, out, lang, sources=sources,
                                                 ledger=(Path(ledger_path).resolve(), anchor), whatif=whatif)
        except BaseException:
            if close:
                _put_back(ledger_path, before)
            raise
    except (InputError, WorkbookError) as error:
        fail(InputError(str(error)))
    click.echo(f"wrote {path}")
    if close:
        click.echo(f"closed {period} in {ledger_path}")
    if statements_dir:
        click.echo(f"wrote {len(written)} statements in {statements_dir}")
    click.echo(format_summary(summary(result.period(periods.parse(period, plan.period))), lang))
    if whatif:
        w = whatif["reps"]
        old, new = w["payout"].sum(), w["whatif_payout"].sum()
        click.echo(("假设方案（不含以前期间调整）" if lang == "zh" else "What-if (before prior-period adjustments)")
                   + f" {whatif['name']}: {old:,.2f} → {new:,.2f} "
                   f"({new - old:+,.2f}); {int((w['difference'] != 0).sum())} "
                   + ("人变动" if lang == "zh" else "reps change"))


def _with_orders(orders, extra):
    import pandas as pd
    return pd.concat([orders, extra], ignore_index=True)


def _whatif(plan, whatif_path, pipeline_path, reps_frame, period, run):
    from xlsales.workbooks.commission import whatif_tables
    problems = []
    try:
        second = load_plan(whatif_path)
    except InputFileError as error:
        problems.extend(error.problems)
    opportunities = None
    if pipeline_path:
        from xlsales.io.opportunities import load_stages, read_opportunities
        try:
            opportunities = read_opportunities(pipeline_path, load_stages(), reps_frame)
        except InputFileError as error:
            problems.extend(error.problems)
    if problems:
        raise InputFileError(capped(problems))
    return whatif_tables(plan, second, period, run, opportunities, Path(whatif_path).name)


def _inputs(plan_path, orders, reps, targets_path, quotas_path, clawbacks_path=None, credits_path=None,
            relief_path=None, mapping=None):
    """Every input checked before anything is written; all file problems reported together."""
    if targets_path and quotas_path:
        raise InputError("give either --targets or --quotas, not both")
    problems = []
    try:
        plan = load_plan(plan_path)
    except InputFileError as error:
        problems.extend(error.problems)
        plan = None
    orders_frame, reps_frame = load_sales_inputs(orders, reps, problems, mapping)
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
    relief = load_relief(relief_path, reps_frame if sales_ok else None, problems) if relief_path else None
    if problems:
        raise InputFileError(capped(problems))
    return plan, orders_frame, reps_frame, targets, quotas, clawbacks, credits, relief


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
    adjusted = "prior_adjustments" in frame.columns and bool((frame["prior_adjustments"] != 0).any())
    headers = ["销售代表", "提成", "扣回", "奖励", "保底"] if lang == "zh" else [
        "Rep", "Commission", "Clawbacks", "Awards", "Draw"]
    if adjusted:
        headers.append("以前期间调整" if lang == "zh" else "Prior periods")
    headers.append("应发" if lang == "zh" else "Payout")

    def cells(commission, clawbacks, awards, draw, prior, payout):
        values = [commission, clawbacks, awards, draw] + ([prior] if adjusted else []) + [payout]
        return [f"{v:,.2f}" for v in values]

    prior = frame["prior_adjustments"] if adjusted else frame["payout"] * 0
    rows = [(str(r.rep), *cells(r.commission + r.plan_cap_adj, r.clawbacks, r.awards, r.draw_topup - r.draw_recovery,
                                p, r.payout)) for r, p in zip(frame.head(top).itertuples(), prior.head(top))]
    total = ("合计" if lang == "zh" else "Total", *cells(
        (frame.commission + frame.plan_cap_adj).sum(), frame.clawbacks.sum(), frame.awards.sum(),
        (frame.draw_topup - frame.draw_recovery).sum(), prior.sum(), frame.payout.sum()))
    more = len(frame) - top
    note = f"\n... {more} more reps in the workbook" if more > 0 and lang != "zh" else (
        f"\n……另有 {more} 人见工作簿" if more > 0 else "")
    return text_table(tuple(headers), rows + [total]) + note


def _ledger_bytes(path) -> bytes | None:
    path = Path(path)
    return path.read_bytes() if path.is_file() else None


def _put_back(path, before: bytes | None) -> None:
    """The ledger as it was before a --close whose outputs could not all be written."""
    import os
    import tempfile

    path = Path(path)
    if before is None:
        path.unlink(missing_ok=True)
        return
    fd, tmp = tempfile.mkstemp(prefix=".ledger-", suffix=".csv", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(before)
    os.replace(tmp, path)

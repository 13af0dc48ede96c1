"""``xlsales targets``: plan and split targets into the targets workbook, or refresh one in place."""
from __future__ import annotations

from pathlib import Path

import click

from xlsales.cli import fail, main
from xlsales.cli.display import text_table
from xlsales.cli.common import LANG_OPTION, mapping_from, mapping_options, output_path, parse_blend, parse_date
from xlsales.io.schemas import load_sales_inputs
from xlsales.core.decomposition import BASES, DEFAULT_ROUND_TO, FOOTINGS, MEASURES, MeasurePlan
from xlsales.core.forecast import METHODS
from xlsales.errors import InputError, InputFileError
from xlsales.io.settings import check_hires, check_key_product, check_plan_year, check_target_settings
from xlsales.workbooks.binding import WorkbookError
from xlsales.workbooks.targets import footing_text, refresh_targets_workbook, region_summary, targets_report


@main.command()
@click.option("--orders", type=click.Path(dir_okay=False, path_type=Path), help="Orders file (actuals).")
@click.option("--reps", type=click.Path(dir_okay=False, path_type=Path), help="Reps file.")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("targets.xlsx"), show_default=True,
              help="Workbook to write; an existing one is refreshed and its overrides kept.")
@click.option("--year", type=int, help="Plan year (default: the year of --as-of, the next one when --as-of is 31 December).")
@click.option("--as-of", "as_of", help="Date to pace against (default: the last order date).")
@click.option("--growth", type=float, default=0.15, show_default=True, help="Growth on the forecast, e.g. 0.15.")
@click.option("--method", type=click.Choice(METHODS), default="avg", show_default=True,
              help="Forecast over yearly history: avg, wma (weighted) or linear (trend).")
@click.option("--window", type=int, default=1, show_default=True, help="Years of history the forecast uses.")
@click.option("--footing", type=click.Choice(FOOTINGS), default="ttm", show_default=True,
              help="When the last year of history is a part year: ttm uses the trailing twelve months, "
                   "annualise scales the year to date up by the seasonality.")
@click.option("--basis", type=click.Choice(BASES), default="blend", show_default=True,
              help="How regions and reps share the target.")
@click.option("--blend", help="Blend weights, e.g. history=0.6,capacity=0.4 (with --basis blend).")
@click.option("--buffer", type=float, default=0.0, show_default=True,
              help="Over-assignment: reps carry the company target × (1 + buffer).")
@click.option("--round-to", "round_to", type=float, help="Rounding unit of money targets (default 100).")
@click.option("--refresh", "refresh", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Recompute this targets workbook from its own sheets (assumptions, reps, history, overrides).")
@click.option("--key-product", "key_product", help="Also plan this product's revenue (key-product share = "
              "its target ÷ the revenue target); needs a product column in the orders.")
@click.option("--who", help="Name for the revision log (default: your login).")
@mapping_options
@LANG_OPTION
def targets(orders, reps, out, year, as_of, growth, method, window, footing, basis, blend, buffer, round_to,
            refresh, key_product, who, preset, mapping_file, lang):
    """Set next year's targets from history and split them: company → region → rep → month."""
    try:
        if refresh:
            path = refresh_targets_workbook(refresh, who=who)
            click.echo(f"refreshed {path}")
            return
        if not orders or not reps:
            raise InputError("--orders and --reps are required (or --refresh WORKBOOK)")
        check_target_settings(growth=growth, buffer=buffer, round_to=round_to, year=year, window=window,
                              blend=parse_blend(blend))
        orders_frame, reps_frame = load_sales_inputs(orders, reps, mapping=mapping_from(preset, mapping_file))
        check_key_product(orders_frame, key_product)
        as_of_day = parse_date(as_of, "--as-of")
        plan_year = year or (as_of_day or orders_frame["date"].max()).year
        check_plan_year(orders_frame, plan_year, "--year" if year else "--as-of" if as_of_day else
                        f"the plan year (the year of the last order, {plan_year})")
        late_hires = check_hires(reps_frame, plan_year)
        if late_hires:
            raise InputFileError(late_hires)
        measures = tuple(MeasurePlan(m, growth=growth, method=method, window=window,
                                     round_to=(round_to or DEFAULT_ROUND_TO[m]) if m != "new_customers" else 1.0)
                         for m in MEASURES if m != "key_product" or key_product)
        settings = dict(measures=measures, basis=basis, buffer=buffer, footing=footing)
        if blend:
            settings["blend"] = parse_blend(blend)
        path, plan, pace = targets_report(orders_frame, reps_frame, output_path(out), lang=lang, year=year,
                                          as_of=as_of_day, who=who,
                                          key_product=key_product, **settings)
    except (InputError, WorkbookError) as error:
        fail(InputError(str(error)))
    click.echo(f"wrote {path}")
    click.echo(format_footing(plan, lang))
    click.echo(format_summary(region_summary(plan, pace), lang))


def format_footing(plan, lang: str) -> str:
    """One line: the months the forecast stands on (the same words as the Assumptions sheet)."""
    row = plan.company.iloc[0].to_dict()
    words = footing_text(row, lang)
    return f"预测依据：{words}" if lang == "zh" else f"The forecast stands on {words}."


def format_summary(summary, lang: str) -> str:
    headers = ("区域", "目标", "已完成", "完成率", "落后人数") if lang == "zh" else (
        "Region", "Target", "Actual", "Attained", "Behind pace")
    rows = [(("合计" if lang == "zh" else "Total") if region == "Total" else region,
             f"{row['target']:,.0f}", f"{row['actual']:,.0f}", f"{row['attainment']:.1%}", int(row["behind"]))
            for region, row in summary.iterrows()]
    return text_table(headers, rows)

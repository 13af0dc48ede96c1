"""``xlsales funnel``: the funnel workbook from an opportunities file, the reps and (optionally) targets."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd
from tqdm import tqdm

from xlsales.cli import fail, main
from xlsales.cli.display import text_table
from xlsales.cli.common import LANG_OPTION, mapping_from, mapping_options, output_path
from xlsales.errors import InputError
from xlsales.io.funnel_inputs import TARGET_FILE, read_pipeline_views  # noqa: F401 (TARGET_FILE for tests)

@main.command()
@click.option("--opportunities", "opps_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Opportunities file (CSV, XLSX or Parquet).")
@click.option("--reps", "reps_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Reps file (gives each deal its team and region).")
@click.option("--stages", "stages_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Stage table (YAML, CSV or XLSX); default: 线索/需求分析/方案报价/商务谈判/赢单.")
@click.option("--targets", "targets_book", type=click.Path(dir_okay=False, path_type=Path),
              help="A targets workbook made by `xlsales targets` (its revenue targets are used).")
@click.option("--target-file", "target_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Monthly targets as a table: rep, month, target (optional measure, region, team).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date the funnel is seen from (default: today).")
@click.option("--period", type=click.Choice(["year", "quarter", "month"]), default="year", show_default=True,
              help="Target period that holds the as-of date (forecast, gap, coverage).")
@click.option("--compare", "compare", default=None, metavar="EARLIER",
              help="What changed since: an earlier opportunities snapshot, or a date (YYYY-MM-DD) with "
                   "--stage-events.")
@click.option("--compare-as-of", "compare_as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date the earlier snapshot was taken (default: the last date in it).")
@click.option("--stage-events", "events_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Stage history (id, stage, entered, status): the deals are rebuilt as of each date.")
@click.option("--orders", "orders_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Orders file: adds the customers view (revenue, ABC, dormant customers, concentration).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Workbook to write; an existing one is refreshed in place.")
@mapping_options
@LANG_OPTION
def funnel(opps_path, reps_path, stages_path, targets_book, target_file, as_of, period, compare, compare_as_of,
           events_path, orders_path, out_path, preset, mapping_file, lang):
    """Funnel workbook: stages, deals, funnel by stage/team/rep, stale and slipped deals, forecast vs target."""
    from xlsales.core.funnel_analysis import analyse_funnel
    from xlsales.core.deal_risk import assess_risk
    from xlsales.core.funnel_changes import compare_pipeline
    from xlsales.core.customers import add_customers
    from xlsales.io.schemas import load_orders
    from xlsales.workbooks.funnel_sheets import existing_customer_settings, existing_risk_rules
    from xlsales.workbooks.binding import WorkbookError
    from xlsales.workbooks.funnel import keep_stage_edits, write_funnel_workbook
    from xlsales.workbooks.typed import report_notes

    if targets_book and target_file:
        fail(InputError("give either --targets or --target-file, not both"))
    as_of = pd.Timestamp(as_of or pd.Timestamp.today()).normalize()
    steps = tqdm(total=3, desc="funnel", disable=not sys.stderr.isatty(), file=sys.stderr)
    try:
        mapping = mapping_from(preset, mapping_file)
        deals, stages, targets, earlier, earlier_as_of, events = read_pipeline_views(
            opps_path, reps_path, stages_path, targets_book, target_file, lang, as_of=as_of, compare=compare,
            compare_as_of=compare_as_of, events_path=events_path, mapping=mapping)
        stages, notes = keep_stage_edits(out_path, stages)     # what the user typed on the Stages sheet
        steps.update()
        result = analyse_funnel(deals, stages, as_of, targets, period)
        if earlier is not None:
            result.changes = compare_pipeline(earlier, deals, stages, earlier_as_of, as_of)
        assess_risk(result, events, existing_risk_rules(out_path))
        if orders_path is not None:
            add_customers(result, load_orders(orders_path, mapping=mapping), **existing_customer_settings(out_path))
        steps.update()
        sources = {"opportunities": opps_path, "reps": reps_path, "stages": stages_path,
                   "targets": targets_book, "target_file": target_file, "period": period}
        path = write_funnel_workbook(result, output_path(out_path), lang, sources=sources)
        steps.update()
    except InputError as error:
        steps.close()
        fail(error)
    except WorkbookError as error:          # e.g. the user deleted a table the refresh needs
        steps.close()
        fail(InputError(f"{Path(out_path).name}: {error}"))
    steps.close()
    report_notes(notes)
    click.echo(f"wrote {path}")
    click.echo(text_table(("指标", "数值") if lang == "zh" else ("Figure", "Value"), headline_rows(result.summary, lang)))
    if result.changes is not None:
        _echo_changes(result.changes, lang)


def _echo_changes(changes, lang: str) -> None:
    from xlsales.core.funnel_changes import reconciliation
    from xlsales.glossary import term

    t = changes.total
    word = (lambda key: term("pipeline_change", key, lang))
    deals = "个商机" if lang == "zh" else "deals"
    click.echo(f"{'变化' if lang == 'zh' else 'changes'} {changes.earlier_as_of:%Y-%m-%d} → {changes.as_of:%Y-%m-%d}")
    for name, sign, amount in reconciliation(t):
        mark = {1: "+", -1: "−", 0: "="}[sign]
        click.echo(f"  {mark} {word(name):<22} {int(t[f'{name}_deals']):>8,} {deals} {_show(amount):>18}")
    comma, semicolon = ("，", "；") if lang == "zh" else (", ", "; ")
    moves = comma.join(f"{word(k)} {int(t[f'{k}_deals']):,}" for k in ("forward", "back", "pushed", "pulled_in"))
    click.echo(f"  {moves}{semicolon}{word('pushes')} {int(t['pushes']):,}")


# The funnel's headline figures, as the Summary sheet names them: summary metric, glossary (group, key),
# how it is shown. Target, gap and coverage are over the --period and count closed-won deals.
FIGURES = (
    ("open_deals", ("figure", "open_deals"), "count"), ("open_pipeline", ("figure", "open_pipeline"), "money"),
    ("weighted_pipeline", ("figure", "weighted_pipeline"), "money"), ("win_rate", ("figure", "win_rate"), "share"),
    ("avg_deal", ("figure", "avg_deal"), "money"), ("cycle_days", ("figure", "cycle_days"), "count"),
    ("velocity", ("figure", "velocity"), "money"), ("stale_deals", ("figure", "stale_deals"), "count"),
    ("slipped_deals", ("figure", "slipped_deals"), "count"), ("not_credible", ("figure", "not_credible"), "count"),
    ("bottleneck", ("figure", "bottleneck"), "stage"), ("target", ("figure", "period_target"), "money"),
    ("closed", ("figure", "closed_won"), "money"), ("gap", ("figure", "gap_closed_won"), "money"),
    ("pipeline_in_period", ("figure", "pipeline_due"), "money"), ("commit", ("category", "commit"), "money"),
    ("best_case", ("category", "best case"), "money"), ("forecast", ("figure", "forecast"), "money"),
    ("coverage", ("figure", "coverage"), "times"), ("deals_needed", ("figure", "deals_needed"), "count"),
)
# The selection `xlsales demo` prints.
DEMO_FIGURES = ("open_deals", "open_pipeline", "weighted_pipeline", "win_rate", "avg_deal", "cycle_days",
                "stale_deals", "slipped_deals", "bottleneck", "target", "closed", "gap", "pipeline_in_period",
                "coverage", "deals_needed")


def _figure(value, kind: str, lang: str) -> str:
    from xlsales.core.money import round_half_away
    from xlsales.memos.formatting import number, percent, term

    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if kind in ("money", "count"):
        return number(value)
    if kind == "share":
        return percent(value)
    if kind == "times":
        return f"{round_half_away(float(value), 2):.2f}×"
    return term("stage", value, lang)


def headline_rows(summary: pd.DataFrame, lang: str, metrics=None) -> list[tuple[str, str]]:
    """(label, value as shown) of the funnel's headline figures, all of them or ``metrics``."""
    from xlsales.glossary import term

    values = dict(zip(summary["metric"], summary["value"]))
    return [(term(group, key, lang), _figure(values.get(metric), kind, lang))
            for metric, (group, key), kind in FIGURES if metrics is None or metric in metrics]


def _show(value) -> str:
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "-"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"

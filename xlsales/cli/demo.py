"""``xlsales demo``: the whole job on the built-in sample company.

It writes the sample company's input files, then runs exactly what ``xlsales build`` runs on them
(targets, funnel and commission workbooks, memos), and prints a short summary of each.
"""
from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from xlsales.build.config import BuildConfig
from xlsales.build.run import build, prepare
from xlsales.cli import fail, main
from xlsales.cli.common import LANG_OPTION
from xlsales.cli.display import text_table
from xlsales.cli.funnel import DEMO_FIGURES, headline_rows
from xlsales.cli.inputs import write_tables
from xlsales.cli.targets import format_summary
from xlsales.core.decomposition import pacing
from xlsales.errors import InputError
from xlsales.io.plan import example_plan_path
from xlsales.memos.formatting import number, term
from xlsales.sample import KEY_PRODUCT, sample_company
from xlsales.sample.opportunities import sample_opportunities
from xlsales.workbooks.commission import summary as commission_summary
from xlsales.workbooks.targets import region_summary


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("xlsales-demo"),
              show_default=True, help="Folder for everything the demo writes.")
@LANG_OPTION
def demo(out_dir, lang):
    """Run the whole job on the built-in sample company: data, workbooks and memos."""
    try:
        written = run_demo(out_dir, lang, echo=click.echo)
    except InputError as error:
        fail(error)
    click.echo("")
    click.echo("完成，输出文件：" if lang == "zh" else "Done. Everything the demo wrote:")
    for line in _listing(written, out_dir, lang):
        click.echo(f"  {line}")


def demo_config(inputs: dict[str, Path], out_dir: Path, lang: str, as_of) -> BuildConfig:
    """The build config the demo runs: the sample files, the example plan, every output."""
    return BuildConfig.model_validate({
        "company": "示例公司" if lang == "zh" else "Sample Co", "language": lang, "as_of": as_of.date(),
        "inputs": {kind: str(path) for kind, path in inputs.items()},
        "plan": {"commission": str(example_plan_path(lang)), "targets": {"key_product": KEY_PRODUCT}},
        "outputs": {"dir": str(out_dir), "formats": ["md", "html", "pdf"], "pdf_for": ["monthly", "quarterly"]},
    })


def run_demo(out_dir: Path, lang: str = "en", echo=print) -> list[Path]:
    zh = lang == "zh"
    company = sample_company()
    tables = {"reps": company.reps, "orders": company.orders,
              "opportunities": sample_opportunities(company, lang=lang)}
    written = write_tables(tables, out_dir / "inputs", "csv", lang)
    inputs = {Path(p).stem: Path(p) for p in written}
    # The same pipeline a week earlier: the funnel workbook and the monthly memo show what changed.
    week_ago = pd.Timestamp(company.as_of) - pd.Timedelta(days=7)
    earlier = write_tables({"opportunities": sample_opportunities(company, as_of=week_ago, lang=lang)},
                           out_dir / "inputs" / "last-week", "csv", lang)
    written += earlier
    inputs["compare"] = earlier[0]
    shared = prepare(demo_config(inputs, out_dir, lang, company.as_of))
    report = build(shared.config, jobs=1, shared=shared)
    if report.errors:
        raise InputError("the demo build failed: " + "; ".join(report.errors))

    as_of = shared.memo.month.as_of
    revenue = term("measure", "revenue", lang)
    echo((f"\n目标与进度（{revenue}，按订单，截至 {as_of:%Y-%m-%d}）" if zh
          else f"\nTargets and pace ({revenue}, from orders, as of {as_of:%Y-%m-%d})"))
    pace = pacing(shared.plan, as_of)
    echo(format_summary(region_summary(shared.plan, pace), lang))
    if shared.funnel_book is not None:
        book = shared.funnel_book
        echo(("\n销售漏斗（商机，{:%Y-%m-%d} 至 {:%Y-%m-%d}）" if zh else "\nFunnel (deals, {:%Y-%m-%d} to {:%Y-%m-%d})")
             .format(book.period_start, book.period_end))
        echo(text_table(("指标", "数值") if zh else ("Metric", "Value"), headline_rows(book.summary, lang, DEMO_FIGURES)))
        booked = float(pace.loc[pace["measure"] == "revenue", "actual_to_date"].sum())
        echo(orders_and_deals(book.summary, booked, lang))
    if shared.memo.commission is not None:
        payouts = commission_summary(shared.memo.commission)
        period = max(payouts["period"].astype(str), default="")
        echo(f"\n提成（{period}，前五名）" if zh else f"\nCommission ({period}, top five)")
        echo(commission_table(payouts[payouts["period"].astype(str) == period].head(5), lang))
    return written + [p for p in report.paths if p.name != "manifest.json"] + (
        [report.manifest] if report.manifest else [])


COMMISSION_COLUMNS = {  # column: glossary figure or (en, zh); the payout is the sum of the columns before it
    "rep": ("dimension", "rep"), "commission": ("figure", "commission"),
    "adjustments": ("Caps and clawbacks", "封顶与扣回"), "awards": ("figure", "award"),
    "draw": ("Draw (top-up − recovery)", "保底（补足－追回）"), "payout": ("figure", "payout"),
}


def commission_rows(payouts: pd.DataFrame) -> pd.DataFrame:
    """The commission engine's payout rows as the demo prints them: commission + caps and clawbacks +
    awards + draw (top-up less recovery) = payout, to the cent, as the statement lines add up."""
    return pd.DataFrame({
        "rep": payouts["rep"].astype(str), "commission": payouts["commission"],
        "adjustments": payouts["plan_cap_adj"] + payouts["clawbacks"], "awards": payouts["awards"],
        "draw": payouts["draw_topup"] - payouts["draw_recovery"], "payout": payouts["payout"],
    })


def commission_table(payouts: pd.DataFrame, lang: str) -> str:
    rows = commission_rows(payouts)
    def header(column):
        first, second = COMMISSION_COLUMNS[column]
        return term(first, second, lang) if first in ("figure", "dimension") else (second if lang == "zh" else first)
    headers = [header(c) for c in rows.columns]
    body = [[r[0]] + [number(v, 2) for v in r[1:]] for r in rows.itertuples(index=False)]
    return text_table(headers, body)


def orders_and_deals(headlines: pd.DataFrame, orders_actual: float, lang: str) -> str:
    """Why the targets table's gap (from orders) and the funnel's (from closed-won deals) differ."""
    values = dict(zip(headlines["metric"], headlines["value"]))
    target, closed = float(values["target"]), float(values["closed"])
    gap_orders = max(target - orders_actual, 0.0)
    if lang == "zh":
        return (f"注：目标与进度按订单统计（本年已完成 {number(orders_actual)}，{term('figure', 'gap_orders', lang)} "
                f"{number(gap_orders)}）；漏斗按已成交商机统计（{number(closed)}，{term('figure', 'gap_closed_won', lang)} "
                f"{number(values['gap'])}）。\n两者的差别来自未在 CRM 中建商机的订单，以及已赢单但尚未下单的商机。\n"
                f"{term('figure', 'coverage', lang)} = {term('figure', 'pipeline_due', lang)} ÷ "
                f"{term('figure', 'gap_closed_won', lang)}。")
    return (f"Note: targets and pace count orders ({number(orders_actual)} booked this year, "
            f"{term('figure', 'gap_orders', lang).lower()} {number(gap_orders)}); the funnel counts closed-won deals "
            f"({number(closed)}, {term('figure', 'gap_closed_won', lang).lower()} {number(values['gap'])}).\nThey differ "
            f"by orders booked without a deal in the CRM and by deals won whose orders are not booked yet.\n"
            f"{term('figure', 'coverage', lang)} = {term('figure', 'pipeline_due', lang).lower()} ÷ "
            f"{term('figure', 'gap_closed_won', lang).lower()}.")


def _listing(paths: list[Path], out_dir: Path, lang: str) -> list[str]:
    """Files at the top of ``out_dir`` and in inputs/ and workbooks/ one by one; other folders as one
    line each with their file count."""
    lines, folders = [], {}
    for path in paths:
        relative = Path(path).relative_to(out_dir)
        if len(relative.parts) == 1 or (len(relative.parts) == 2 and relative.parts[0] in ("inputs", "workbooks")):
            lines.append(str(path))
        else:
            folders.setdefault(out_dir / relative.parts[0], []).append(path)
    for folder, files in folders.items():
        lines.append(f"{folder}/（{len(files)} 个文件）" if lang == "zh" else f"{folder}/ ({len(files)} files)")
    return lines

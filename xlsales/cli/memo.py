"""``xlsales memo --kind monthly|quarterly|coaching|statement``: one kind of review memo from input files."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from xlsales.cli import fail, main
from xlsales.cli.common import LANG_OPTION, mapping_options
from xlsales.errors import InputError

_FILE = click.Path(dir_okay=False, exists=True, path_type=Path)


@main.command()
@click.option("--kind", type=click.Choice(["monthly", "quarterly", "coaching", "statement"]), required=True,
              help="monthly (月度复盘), quarterly, coaching (1:1 for reps behind plan) or statement (提成对账单).")
@click.option("--orders", type=_FILE, required=True, help="Orders file (CSV, XLSX or Parquet).")
@click.option("--reps", type=_FILE, required=True, help="Reps file.")
@click.option("--targets", "targets_book", type=_FILE,
              help="Targets workbook to review against (default: targets planned from the orders).")
@click.option("--opportunities", type=_FILE, help="Opportunities file: adds the funnel to the memo.")
@click.option("--stages", type=_FILE, help="Stage table for the opportunities.")
@click.option("--compare", type=_FILE, help="An earlier opportunities snapshot: what changed in the pipeline since.")
@click.option("--plan", "plan_file", type=_FILE, help="Commission plan (YAML); needed for --kind statement.")
@click.option("--as-of", "as_of", help="Figures as of this day (YYYY-MM-DD); default: the last order's date.")
@click.option("--team", help="Review one team instead of the company (monthly/quarterly).")
@click.option("--rep", "reps_wanted", multiple=True,
              help="Only this rep (repeatable). Coaching default: every rep behind the pace line.")
@click.option("--format", "formats", default="md,html", show_default=True,
              help="Comma-separated: md, html, pdf.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Folder of your own templates; any file there replaces the shipped one of that name.")
@click.option("--company", default="", help="Company name for the memo header.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("memos"),
              show_default=True, help="Output folder.")
@mapping_options
@LANG_OPTION
def memo(kind, orders, reps, targets_book, opportunities, stages, compare, plan_file, as_of, team, reps_wanted, formats,
         templates, company, out_dir, preset, mapping_file, lang):
    """Write review memos: Markdown, self-contained HTML with charts, and PDF."""
    from xlsales.build.config import BuildConfig
    from xlsales.build.run import prepare
    from xlsales.cli.common import output_folder, parse_date
    from xlsales.staging import Staging
    from xlsales.memos import suite
    from xlsales.memos.write import render_and_write

    try:
        chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
        bad = [f for f in chosen if f not in ("md", "html", "pdf")]
        if bad or not chosen:
            raise InputError(f"--format: use md, html and/or pdf, got {formats!r}")
        if kind == "statement" and plan_file is None:
            raise InputError("--plan: a commission plan is needed for --kind statement")
        if stages is not None and opportunities is None:
            raise InputError("--stages: give --opportunities too")
        if compare is not None and opportunities is None:
            raise InputError("--compare: give --opportunities too (the current snapshot)")
        config = BuildConfig.model_validate({
            "company": company, "language": lang, "as_of": parse_date(as_of, "--as-of"),
            "inputs": {"orders": orders, "reps": reps, "opportunities": opportunities, "compare": compare, "stages": stages,
                       "preset": preset, "mapping": mapping_file,
                       "targets": targets_book},
            "plan": {"commission": plan_file},
            "outputs": {"dir": out_dir, "workbooks": [], "memos": [kind], "formats": list(chosen)},
        })
        shared = prepare(config)
        inp = shared.memo
        if team is not None and team not in suite.teams(inp):
            raise InputError(f"--team: {team!r} is not a team in the reps file")
        unknown = [r for r in reps_wanted if r not in set(inp.people()["rep"])]
        if unknown:
            raise InputError(f"--rep: {', '.join(unknown)} not in the reps file")
        items = _items(inp, kind, team, reps_wanted)
        output_folder(out_dir)
        with Staging(out_dir) as stage:     # all memos or none
            render_and_write(items, stage.dir, lang, chosen, templates, progress=sys.stderr.isatty())
            paths = stage.commit()
    except InputError as error:
        fail(error)
    if not items:
        click.echo("no rep is behind the pace line: no coaching memo to write" if kind == "coaching"
                   else "nothing to write")
    for path in paths:
        click.echo(f"wrote {path}")


def _items(inp, kind, team, reps_wanted):
    from xlsales.memos import suite
    from xlsales.memos.write import safe_name
    if kind in ("monthly", "quarterly"):
        if team is None:
            return suite.company_items(inp, (kind,))
        if kind == "monthly":
            return suite.team_items(inp, team, (kind,))
        from xlsales.memos.context import review_context
        return [(f"quarterly-{inp.quarter.label}-team-{safe_name(team)}",
                 review_context(inp.orders, inp.reps, inp.targets, inp.quarter, scope=("team", team),
                                company=inp.company))]
    reps = list(reps_wanted) or (inp.laggards() if kind == "coaching" else inp.paid_reps())
    items = []
    for rep in reps:
        if kind == "coaching":
            from xlsales.memos.coaching import coaching_context
            items.append((f"coaching-{inp.month.label}-{safe_name(rep)}",
                          coaching_context(inp.orders, inp.reps, inp.targets, inp.month, rep, company=inp.company,
                                           table=inp.pacing())))
        else:
            items += suite.rep_items(inp, rep, ("statement",))
    return items

"""``xlsales build``: every workbook and memo a config names, in parallel processes and CI shards.

1. Load and check every input first (a problem → InputFileError, nothing written).
2. Compute the shared results once: the target plan, the funnel analysis, the commission payouts.
3. Cut the work into tasks: one per workbook, the company memos, chunks of teams, and chunks of reps
   (coaching memo if behind the pace line, commission statement if paid). ``--shard I/N`` keeps the tasks
   this machine owns: company-level tasks go to shard 1, a team or a rep to shard ``crc32(name) % N + 1``,
   so shards are disjoint, together complete, and stable when other reps come and go.
4. Run the tasks (``jobs`` processes), each rep in its own try: one rep's failure is reported with its
   name and the others are still written.
5. Write ``manifest.json`` (``manifest-shard-I-of-N.json`` in a shard): every file written with its
   SHA-256, sorted, no time stamps.

Determinism: the same config and inputs give byte-identical files. Workbooks carry document dates from
``SOURCE_DATE_EPOCH``; the build sets it to the as-of day (midnight UTC) unless it is already set.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

try:
    import resource
except ImportError:          # Windows: no peak-memory figures
    resource = None

from xlsales.build.config import BuildConfig
from xlsales.errors import InputError, InputFileError, os_problem
from xlsales.memos import suite
from xlsales.memos.pdf import PdfError, to_pdf
from xlsales.memos.render import render_memo
from xlsales.memos.write import check_formats, safe_name, write_atomic, write_memo
from xlsales.staging import Staging

REPS_PER_TASK = 25
TEAMS_PER_TASK = 10


@dataclass
class Shared:
    """What every task needs; computed once and handed to each worker process."""
    config: BuildConfig
    memo: suite.MemoInputs
    plan: object
    funnel_book: object = None      # FunnelResult for the funnel workbook
    out: Path = Path("build")
    final_out: Path | None = None   # while staging, the folder the files will be moved into


@dataclass(frozen=True)
class Task:
    kind: str                       # "workbook", "company", "teams", "reps"
    name: str
    reps: tuple[str, ...] = ()      # the reps, or for "teams" the teams, of the task


@dataclass
class TaskResult:
    task: Task
    paths: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    worker: int = 0                 # the process that ran it
    peak_mb: float = 0.0            # its peak resident memory after the task (ru_maxrss)
    input_errors: list[tuple[str, str]] = field(default_factory=list)   # (message, memo): a user's template
    environment_errors: list[str] = field(default_factory=list)         # disk full, permission denied


@dataclass
class BuildReport:
    paths: list[Path]
    errors: list[str]
    tasks: int
    manifest: Path | None = None
    timings: list[tuple[str, str, float]] = field(default_factory=list)   # (kind, name, seconds) per task
    workers: dict[int, float] = field(default_factory=dict)   # peak resident MB of each process that ran tasks
    skipped: list[str] = field(default_factory=list)   # outputs the config asks for but the inputs cannot give
    input_errors: list[str] = field(default_factory=list)   # bad input found while rendering (templates)
    environment_errors: list[str] = field(default_factory=list)   # the machine failed (disk full, permission)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.input_errors and not self.environment_errors


# ------------------------------------------------------------------------------------------------
# 1–2. inputs and shared results


def load_inputs(config: BuildConfig) -> dict:
    """orders, reps, optional deals + stages and commission plan, all checked; problems raised together."""
    problems: list[str] = []
    out: dict = {"deals": None, "stages": None, "commission_plan": None}
    from xlsales.io.crm_mapping import load_mapping
    mapping = None
    try:
        mapping = load_mapping(config.inputs.preset, config.path(config.inputs.mapping) if config.inputs.mapping else None)
    except InputFileError as error:
        problems.extend(error.problems)
    out["mapping"] = mapping
    if config.inputs.sample is not None:
        from xlsales.sample import sample_company
        s = config.inputs.sample
        company = sample_company(seed=s.seed, reps=s.reps, months=s.months)
        out.update(orders=company.orders, reps=company.reps, as_of=company.as_of)
        if "funnel" in config.outputs.workbooks or config.inputs.opportunities is None:
            out["sample"] = company
    else:
        from xlsales.io.schemas import load_sales_inputs
        orders, reps = load_sales_inputs(config.path(config.inputs.orders), config.path(config.inputs.reps), problems,
                                         mapping)
        out.update(orders=orders, reps=reps, as_of=None)
    if config.inputs.opportunities is not None:
        _load_opportunities(config, problems, out)
    elif "sample" in out:
        _sample_deals(config, out)
    if config.inputs.targets is not None:
        _load_targets(config.path(config.inputs.targets), problems, out)
    if config.plan.commission is not None:
        from xlsales.io.plan import load_plan
        try:
            out["commission_plan"] = load_plan(config.path(config.plan.commission))
        except InputFileError as error:
            problems.extend(error.problems)
    if problems:
        raise InputFileError(problems)
    return out


def _load_targets(path: Path, problems, out) -> None:
    from xlsales.workbooks.targets import read_monthly_targets
    if not path.is_file():
        problems.append(f"{path.name}: file not found ({path})")
        return
    try:
        out["targets"] = read_monthly_targets(path)
    except Exception as error:  # noqa: BLE001 - any unreadable workbook is the same problem to the user
        problems.append(f"{path.name}: not a targets workbook made by xlsales ({error})")


def _load_opportunities(config, problems, out) -> None:
    from xlsales.io.opportunities import check_opportunities, load_stages, with_rep_details
    from xlsales.io.schemas import load_opportunities
    try:
        stages = load_stages(config.path(config.inputs.stages), config.language)
    except InputFileError as error:
        problems.extend(error.problems)
        return
    opps = load_opportunities(config.path(config.inputs.opportunities), problems, out.get("mapping"))
    if not problems:
        opps = check_opportunities(opps, stages, out["reps"], problems, config.as_of)
        out.update(deals=with_rep_details(opps, out["reps"]), stages=stages)
    if config.inputs.compare is not None and not problems:
        earlier = load_opportunities(config.path(config.inputs.compare), problems, out.get("mapping"))
        if not problems:
            earlier = check_opportunities(earlier, stages, out["reps"], problems)
            out["earlier_deals"] = with_rep_details(earlier, out["reps"])


def _sample_deals(config, out) -> None:
    from xlsales.core.stages import default_stages
    from xlsales.io.opportunities import with_rep_details
    from xlsales.sample.opportunities import sample_opportunities
    company = out["sample"]
    opps = sample_opportunities(company, as_of=company.as_of, lang="en")
    out.update(deals=with_rep_details(opps, company.reps), stages=default_stages("en"))
    # The sample's pipeline a week earlier, so that the demo shows what changed week over week.
    week_ago = pd.Timestamp(company.as_of) - pd.Timedelta(days=7)
    out["earlier_deals"] = with_rep_details(sample_opportunities(company, as_of=week_ago, lang="en"), company.reps)
    out["earlier_as_of"] = week_ago


def prepare(config: BuildConfig) -> Shared:
    data = load_inputs(config)
    from xlsales.core.decomposition import MEASURES, DEFAULT_ROUND_TO, MeasurePlan
    from xlsales.workbooks.targets import plan_from_orders

    as_of = pd.Timestamp(config.as_of) if config.as_of else data.get("as_of")
    if config.period and not config.as_of:
        from xlsales.memos.periods import period as parse_period
        as_of = parse_period(config.period).end
    t = config.plan.targets
    measure_options = {k: v for k, v in (("growth", t.growth), ("method", t.method)) if v is not None}
    settings = {"measures": tuple(MeasurePlan(m, round_to=DEFAULT_ROUND_TO[m], **measure_options) for m in MEASURES
                                  if m != "key_product" or t.key_product)}
    settings.update({k: v for k, v in (("basis", t.basis), ("buffer", t.buffer)) if v is not None})
    _check_plan_inputs(config, data, as_of)
    plan, as_of = plan_from_orders(data["orders"], data["reps"], t.year, as_of, None, t.key_product, **settings)
    monthly = data["targets"] if data.get("targets") is not None else plan.monthly
    funnel_memo = funnel_book = commission = None
    # An earlier build's funnel workbook: what the user typed on it (stage probabilities, stale limits,
    # norms, risk thresholds, customer settings) is kept, as a re-run of `xlsales funnel` keeps it.
    existing_funnel = config.path(config.outputs.dir) / "workbooks" / "funnel.xlsx"
    if data["deals"] is not None and "funnel" in config.outputs.workbooks:
        from xlsales.workbooks.funnel import keep_stage_edits
        from xlsales.workbooks.typed import report_notes
        data["stages"], notes = keep_stage_edits(existing_funnel, data["stages"])
        report_notes(notes)
    if data["deals"] is not None:
        # One funnel analysis over the plan year for the workbook, the memos and the console, so that
        # coverage, gap and deals needed are the same figures wherever they are shown.
        from xlsales.core.funnel_analysis import analyse_funnel
        funnel_memo = analyse_funnel(data["deals"], data["stages"], as_of, monthly, "year")
        if "funnel" in config.outputs.workbooks:
            funnel_book = funnel_memo
        if data.get("earlier_deals") is not None:
            from xlsales.core.funnel_changes import compare_pipeline
            from xlsales.io.funnel_inputs import latest_date
            earlier = data["earlier_deals"]
            earlier_as_of = min(data.get("earlier_as_of") or latest_date(earlier) or as_of, as_of)
            funnel_memo.changes = compare_pipeline(earlier, data["deals"], data["stages"], earlier_as_of, as_of)
        if funnel_book is not None:
            from xlsales.core.deal_risk import assess_risk
            from xlsales.workbooks.funnel_sheets import existing_risk_rules
            assess_risk(funnel_book, None, existing_risk_rules(existing_funnel))
        if "customer" in data["orders"] and data["orders"]["customer"].notna().any():
            from xlsales.core.customers import add_customers
            from xlsales.workbooks.funnel_sheets import existing_customer_settings
            settings = existing_customer_settings(existing_funnel) if funnel_book is not None else {}
            add_customers(funnel_memo, data["orders"], **settings)
            if funnel_book is not None:
                for name in ("customers", "rep_customers", "customer_settings"):
                    setattr(funnel_book, name, getattr(funnel_memo, name))
    if data["commission_plan"] is not None:
        from xlsales.workbooks.commission import run_commission
        cplan = data["commission_plan"]
        label = as_of.strftime("%Y-%m") if cplan.period == "month" else f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}"
        commission = run_commission(cplan, data["orders"], data["reps"], label, monthly)
    targets = monthly.loc[monthly["measure"] == "revenue", ["rep", "month", "target"]]
    memo = suite.memo_inputs(data["orders"], data["reps"], targets, as_of, config.company, funnel_memo, commission,
                             measure_targets=suite.sources.other_measures(monthly), key_product=t.key_product)
    return Shared(config, memo, plan, funnel_book, config.path(config.outputs.dir))


def _check_plan_inputs(config: BuildConfig, data: dict, as_of) -> None:
    """What the config's settings need of the inputs: history before the plan year, the key product
    sold, no rep hired after the plan year, a templates folder that exists."""
    from xlsales.io.settings import check_hires, check_key_product, check_plan_year
    t = config.plan.targets
    year = t.year or (pd.Timestamp(as_of) if as_of is not None else data["orders"]["date"].max()).year
    check_key_product(data["orders"], t.key_product, "plan.targets.key_product")
    check_plan_year(data["orders"], year, "plan.targets.year" if t.year else "as_of" if as_of is not None else
                    f"the plan year (the year of the last order, {year})")
    late = check_hires(data["reps"], year)
    templates = config.path(config.outputs.templates)
    if templates is not None and not templates.is_dir():
        late.append(f"outputs.templates: {templates} is not a folder")
    if late:
        raise InputFileError(late)


# ------------------------------------------------------------------------------------------------
# 3. tasks and shards


def shard_of(name: str, count: int) -> int:
    """1-based shard that owns a team or a rep: stable for a name whatever else is in the organisation."""
    return zlib.crc32(str(name).encode("utf-8")) % count + 1


def parse_shard(text: str | None) -> tuple[int, int]:
    if not text:
        return 1, 1
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise InputError(f"--shard: expected I/N such as 2/4, got {text!r}") from None
    if not 1 <= i <= n:
        raise InputError(f"--shard: I must be between 1 and N, got {text!r}")
    return i, n


def plan_tasks(shared: Shared, shard: tuple[int, int] = (1, 1)) -> list[Task]:
    index, count = shard
    cfg = shared.config.outputs
    tasks: list[Task] = []
    if index == 1:
        available = {"targets": shared.config.inputs.targets is None, "funnel": shared.funnel_book is not None,
                     "commission": shared.memo.commission is not None}
        tasks += [Task("workbook", w) for w in cfg.workbooks if available[w]]
        if {"monthly", "quarterly"} & set(cfg.memos):
            tasks.append(Task("company", "company"))
    if cfg.by_team and ("monthly" in cfg.memos or "quarterly" in cfg.memos):
        mine = [t for t in suite.teams(shared.memo) if shard_of(t, count) == index]
        tasks += [Task("teams", f"teams-{i // TEAMS_PER_TASK + 1}", tuple(mine[i:i + TEAMS_PER_TASK]))
                  for i in range(0, len(mine), TEAMS_PER_TASK)]
    if {"coaching", "statement"} & set(cfg.memos):
        mine = rep_shard(shared, shard)
        tasks += [Task("reps", f"reps-{i // REPS_PER_TASK + 1}", tuple(mine[i:i + REPS_PER_TASK]))
                  for i in range(0, len(mine), REPS_PER_TASK)]
    return tasks


_WHY_NOT = {"targets": "inputs.targets names an approved targets workbook, so none is planned here",
            "funnel": "no inputs.opportunities", "commission": "no plan.commission",
            "statement": "no plan.commission"}


def skipped_outputs(shared: Shared) -> list[str]:
    cfg = shared.config.outputs
    have = {"targets": shared.config.inputs.targets is None, "funnel": shared.funnel_book is not None,
            "commission": shared.memo.commission is not None, "statement": shared.memo.commission is not None}
    return [f"{name}: {_WHY_NOT[name]}" for name in [*cfg.workbooks, *cfg.memos] if not have.get(name, True)]


def rep_shard(shared: Shared, shard: tuple[int, int]) -> list[str]:
    """The reps this shard writes per-rep memos for, grouped by team then name."""
    people = shared.memo.people().sort_values(["team", "rep"])
    index, count = shard
    return [r for r in people["rep"] if shard_of(r, count) == index]


# ------------------------------------------------------------------------------------------------
# 4. running


_SHARED: Shared | None = None


class _BadInput(str):
    """An error message that is the user's bad input (sorted into TaskResult.input_errors)."""

    def __new__(cls, message: str, where: str = ""):
        made = super().__new__(cls, message)
        made.where = where
        return made


def _init(shared: Shared) -> None:
    global _SHARED
    _SHARED = shared


def run_task(task: Task) -> TaskResult:
    shared = _SHARED
    result = TaskResult(task)
    started = time.perf_counter()
    try:
        if task.kind == "workbook":
            result.paths.append(str(_workbook(shared, task.name)))
        elif task.kind == "company":
            _memos(shared, suite.company_items(shared.memo, shared.config.outputs.memos),
                   shared.out / "memos", result)
        elif task.kind == "teams":
            items = []
            for team in task.reps:
                try:
                    items += suite.team_items(shared.memo, team, shared.config.outputs.memos)
                except Exception as error:  # noqa: BLE001 - one team's failure does not lose the others
                    result.errors.append(f"team {team}: {type(error).__name__}: {error}")
            _memos(shared, items, shared.out / "memos" / "teams", result)
        else:
            _rep_memos(shared, task.reps, result)
    except OSError as error:        # disk full, permission: the environment, not this task's inputs
        result.environment_errors.append(os_problem(error))
    except Exception as error:  # noqa: BLE001 - a task's failure is reported, the build goes on
        result.errors.append(f"{task.kind} {task.name}: {type(error).__name__}: {error}")
    result.seconds = time.perf_counter() - started
    result.worker = os.getpid()
    result.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if resource else 0.0
    result.input_errors = [(str(e), e.where) for e in result.errors if isinstance(e, _BadInput)]
    result.errors = [str(e) for e in result.errors if not isinstance(e, _BadInput)]
    return result


def _workbook(shared: Shared, name: str) -> Path:
    lang, folder = shared.config.language, shared.out / "workbooks"
    existing = shared.final_out / "workbooks" / f"{name}.xlsx" if shared.final_out is not None else None
    if existing is not None and existing.is_file():     # refreshed, not replaced: the user's edits are kept
        import shutil
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(existing, folder / existing.name)
    if name == "targets":
        from xlsales.workbooks.targets import write_targets_workbook
        return write_targets_workbook(shared.plan, folder / "targets.xlsx", shared.memo.month.as_of, lang=lang)
    if name == "funnel":
        from xlsales.workbooks.funnel import write_funnel_workbook
        return write_funnel_workbook(shared.funnel_book, folder / "funnel.xlsx", lang, sources=_sources(shared, name))
    from xlsales.workbooks.commission import write_commission_workbook
    return write_commission_workbook(shared.memo.commission, folder / "commission.xlsx", lang,
                                     sources=_sources(shared, name))


def _sources(shared: Shared, name: str) -> dict | None:
    """The input files a workbook records for the ribbon's refresh (None for the built-in sample).
    Targets: the approved workbook of the config, else the targets workbook this build writes."""
    config, inputs = shared.config, shared.config.inputs
    if inputs.orders is None or inputs.reps is None:
        return None
    targets = (config.path(inputs.targets) if inputs.targets else
               shared.out / "workbooks" / "targets.xlsx" if "targets" in config.outputs.workbooks else None)
    if name == "funnel":
        return {"opportunities": config.path(inputs.opportunities), "reps": config.path(inputs.reps),
                "stages": config.path(inputs.stages), "targets": targets,
                "period": "year"}
    return {"plan": config.path(config.plan.commission), "orders": config.path(inputs.orders),
            "reps": config.path(inputs.reps), "targets": targets}


def _render(shared: Shared, stem: str, context: dict):
    cfg = shared.config
    return render_memo(context, cfg.language, cfg.path(cfg.outputs.templates), pdf="pdf" in cfg.outputs.formats,
                       stem=stem)


def _render_each(shared: Shared, items, folder: Path, rendered: list, errors: list, who: str = "") -> None:
    """Render every memo; one that fails is reported (``who`` names its rep) and the others go on."""
    for stem, context in items:
        try:
            rendered.append((stem, folder, _render(shared, stem, context)))
        except InputError as error:     # the user's template: reported as bad input, with its file and line
            errors.append(_BadInput(str(error), f"{who}{stem}"))
        except Exception as error:  # noqa: BLE001
            errors.append(f"{who}{stem}: {type(error).__name__}: {error}")


def _memos(shared: Shared, items, folder: Path, result: TaskResult) -> None:
    rendered = []
    _render_each(shared, items, folder, rendered, result.errors)
    _write(shared, rendered, result)


def _rep_memos(shared: Shared, reps, result: TaskResult) -> None:
    rendered = []
    if shared.memo.commission is not None and "statement" in shared.config.outputs.memos:
        try:
            suite.prime_statements(shared.memo, reps)
        except Exception:  # noqa: BLE001 - then each rep tries on its own and reports its own failure
            pass
    for rep in reps:
        try:
            items = suite.rep_items(shared.memo, rep, shared.config.outputs.memos)
        except Exception as error:  # noqa: BLE001
            result.errors.append(f"rep {rep}: {type(error).__name__}: {error}")
            continue
        _render_each(shared, items, shared.out / "reps" / safe_name(rep), rendered, result.errors, f"rep {rep}: ")
    _write(shared, rendered, result)


def _write(shared: Shared, rendered, result: TaskResult) -> None:
    formats = check_formats(shared.config.outputs.formats)
    for stem, folder, memo in rendered:
        result.paths += [str(p) for p in write_memo(memo, folder, stem, formats)]
    wanted = set(shared.config.outputs.pdf_for)
    printable = [r for r in rendered if r[2].kind in wanted]
    if "pdf" in formats and printable:
        _pdfs(printable, result)


def _pdfs(rendered, result: TaskResult) -> None:
    """All PDFs of a task in one LibreOffice run; if that fails, one by one to find the bad memo."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="xlsales-build-") as tmp:
        sources = [(write_atomic(Path(tmp) / folder.name / f"{stem}.html", memo.pdf_html), folder)
                   for stem, folder, memo in rendered]
        try:
            made = to_pdf([s for s, _ in sources], Path(tmp) / "pdf")
        except PdfError:
            made = None
        for i, (source, folder) in enumerate(sources):
            try:
                pdf = made[i] if made is not None else to_pdf([source], Path(tmp) / "pdf")[0]
                target = write_atomic(folder / pdf.name, pdf.read_bytes())
                result.paths.append(str(target))
            except PdfError as error:
                result.errors.append(f"{source.stem}.pdf: {error}")


def build(config: BuildConfig, jobs: int = 1, shard: tuple[int, int] = (1, 1), progress: bool | None = None,
          shared: Shared | None = None) -> BuildReport:
    """Run the whole build; ``progress`` None shows a bar only on a terminal."""
    shared = shared or prepare(config)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch or str(int(shared.memo.month.as_of.normalize().timestamp()))
    final = shared.out
    try:
        with Staging(final) as stage:        # all or nothing: files are moved in only when every one is written
            shared.out, shared.final_out = stage.dir, final
            try:
                report = _run(shared, jobs, shard, progress)
            finally:
                shared.out, shared.final_out = final, None
            if not report.ok:
                report.paths, report.manifest = [], None
                return report
            report.paths = sorted(stage.commit())
        report.manifest = _manifest(final, report.paths, shard) if report.paths else None
        return report
    finally:
        if epoch is None:
            del os.environ["SOURCE_DATE_EPOCH"]


def _run(shared: Shared, jobs: int, shard: tuple[int, int], progress: bool | None) -> BuildReport:
    from tqdm import tqdm

    tasks = plan_tasks(shared, shard)
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(tasks), disable=not show, unit="task", desc="build", file=sys.stderr)
    results = []
    try:
        if jobs <= 1 or len(tasks) <= 1:
            _init(shared)
            for task in tasks:
                results.append(run_task(task))
                bar.update()
        else:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            with ProcessPoolExecutor(jobs, multiprocessing.get_context(method), _init, (shared,)) as pool:
                futures = {pool.submit(run_task, t): t for t in _heaviest_first(tasks)}
                for future in as_completed(futures):
                    try:
                        results.append(future.result())
                    except Exception as error:  # noqa: BLE001 - e.g. a worker killed by the OS
                        task = futures[future]
                        results.append(TaskResult(task, errors=[f"{task.kind} {task.name}: worker failed: {error}"]))
                    bar.update()
    finally:
        bar.close()
    paths = sorted(Path(p) for r in results for p in r.paths)
    errors = sorted(e for r in results for e in r.errors)
    first: dict[str, str] = {}
    for message, where in sorted(e for r in results for e in r.input_errors):
        first.setdefault(message, where)
    input_errors = [f"{message} (first in {where})" for message, where in first.items()]
    timings = [(r.task.kind, r.task.name, r.seconds) for r in results]
    workers: dict[int, float] = {}
    for r in results:
        workers[r.worker] = max(workers.get(r.worker, 0.0), r.peak_mb)
    environment = sorted({e for r in results for e in r.environment_errors})
    return BuildReport(paths, errors, len(tasks), None, timings, workers, skipped_outputs(shared), input_errors,
                       environment)


def _heaviest_first(tasks: list[Task]) -> list[Task]:
    weight = {"workbook": 0, "company": 1, "reps": 2, "teams": 3}
    return sorted(tasks, key=lambda t: weight[t.kind])


def _manifest(out: Path, paths: list[Path], shard: tuple[int, int]) -> Path:
    name = "manifest.json" if shard == (1, 1) else f"manifest-shard-{shard[0]}-of-{shard[1]}.json"
    entries = [{"path": p.relative_to(out).as_posix(), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
               for p in paths]
    entries.sort(key=lambda e: e["path"])
    return write_atomic(out / name, json.dumps({"shard": f"{shard[0]}/{shard[1]}", "files": entries},
                                               ensure_ascii=False, indent=1) + "\n")

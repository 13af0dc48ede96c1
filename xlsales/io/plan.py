"""Read and check a commission plan YAML file.

Every problem names the file and the YAML path, e.g.
``plan.yaml, measures.revenue.tiers[2].bound: 1.2 is not above the bound before it (1.2)``.
Numbers may be written as fractions (0.05) or percentages ("5%"). See docs/commission.md.
"""
from __future__ import annotations

import dataclasses
import math
import re

import pandas as pd
from pathlib import Path
from typing import Annotated, Literal, Union
from datetime import date, timedelta

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from xlsales.core import periods
from xlsales.core.commission_plan import MEASURES, Award, Draw, Measure, Plan, PlanVersion, Tier
from xlsales.errors import InputError, InputFileError

_PERCENT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*%\s*$")


# The ranges a plan's numbers must lie in (docs/commission.md, "Ranges").
MAX_RATE = 1.0            # a tier rate on money: at most 100% of the amount
MAX_COUNT_RATE = 1e6      # a tier rate on a count (new customers): at most 1 000 000 per customer
MAX_FRACTION = 10.0       # bounds, accelerator starts and attainments as fractions of quota: at most 1000%
MAX_MULTIPLE = 10.0       # with ote, a tier rate is a multiple of the rate at quota: at most 10×
MAX_GATE = 2.0            # a gate: at most 200% attainment
MAX_AMOUNT = 1e12         # amounts (bounds on amounts, caps, quotas, awards, draws)
_GROUPED = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _number(value):
    """5%, "5 %" → 0.05; "10,000" → 10000; numbers as they are. NaN, infinity and 1e309 are refused."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value}")
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match:
            value = float(match.group(1)) / 100
        else:
            text = value.replace("_", "").strip()
            if "," in text and not _GROUPED.match(text):
                raise ValueError(f"{value!r} is not a number: a comma may only separate thousands (1,234.56)")
            try:
                value = float(text.replace(",", ""))
            except ValueError:
                return value
    if isinstance(value, (int, float)) and not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return value


Number = Annotated[float, BeforeValidator(_number)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TierModel(_Model):
    bound: Number
    rate: Number

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, value):
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError(f"a tier is [lower bound, rate]; got {len(value)} values")
            return {"bound": value[0], "rate": value[1]}
        return value


class AcceleratorModel(_Model):
    from_: Number = Field(alias="from")
    ytd_attainment: Number = 1.0


class MeasureModel(_Model):
    name: str | None = None
    weight: Number = 1.0
    quota: Union[Literal["targets", "file"], Number] = "targets"
    basis: Literal["quota", "amount"] = "quota"
    mode: Literal["marginal", "retro"] = "marginal"
    tiers: list[TierModel]
    cap: Number | None = None
    gate: Number | None = None
    accelerators: AcceleratorModel | None = None
    paid_on: Literal["order_date", "collection_date"] = "order_date"


class AwardModel(_Model):
    type: Literal["star", "best_team", "spif"]
    name: str | None = None
    amount: Number
    measure: str | None = None
    tie: Literal["share", "each"] = "share"
    min_attainment: Number = 0.0
    reps: list[str] = []
    periods: list[str] = []


class OteModel(_Model):
    annual: Number  # on-target earnings per year: base salary + variable pay at 100 % of quota
    base_salary: Number = 0.0


class VersionModel(_Model):
    """A plan version: its dates, whom it is for (all reps, or the reps listed) and its measures."""
    name: str
    from_: date = Field(alias="from")
    to: date | None = None
    reps: list[str] = []
    measures: dict[str, MeasureModel] | None = None  # default: the plan's measures


class DrawModel(_Model):
    amount: Number
    recoverable: bool = True


class PlanModel(_Model):
    name: str = "Commission plan"
    year: int
    period: Literal["month", "quarter"] = "month"
    currency: str = ""
    prorate: bool = True
    cap: Number | None = None
    measures: dict[str, MeasureModel]
    awards: list[AwardModel] = []
    draw: DrawModel | None = None
    ote: OteModel | None = None
    versions: list[VersionModel] = []


AWARD_NAMES = {"star": "Star of the month 月度销售之星", "best_team": "Best team 最佳团队", "spif": "SPIF"}


def load_plan(path) -> Plan:
    """The plan in ``path``, checked; raises InputFileError listing every problem."""
    from xlsales.io.yamlfile import load_yaml
    path = Path(path)
    return plan_from_dict(load_yaml(path, "plan"), path.name)


def plan_from_dict(data, source: str = "plan") -> Plan:
    if not isinstance(data, dict):
        raise InputFileError([f"{source}: expected a mapping with year, period, measures, ..."])
    try:
        model = PlanModel.model_validate(data)
    except ValidationError as error:
        raise InputFileError([f"{source}, {_path(e['loc'])}: {_message(e)}" for e in error.errors()]) from None
    problems = [f"{source}, {where}: {what}" for where, what in _check(model)]
    problems += [f"{source}, {where}: {what}" for where, what in _check_versions(model)]
    if problems:
        raise InputFileError(problems)
    return _to_plan(model)


def _path(loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        elif part in ("function-after", "function-before") or "[" in str(part) or part in (
                "literal['targets','file']", "float", "list[str]"):
            continue
        else:
            text += ("." if text else "") + str(part)
    return text or "(top)"


def _message(error) -> str:
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "extra_forbidden":
        return "is not a plan setting (check the spelling)"
    return error["msg"].removeprefix("Value error, ")


def _pays_at_quota(key: str, measure: MeasureModel) -> float:
    """What 100 % of quota pays in units of "rate at quota × quota" (the core's ``Measure.ote_factor``)."""
    tiers = tuple(Tier(float(t.bound), float(t.rate)) for t in measure.tiers)
    return Measure(key=key, tiers=tiers, basis=measure.basis, mode=measure.mode).ote_factor


def _within(where: str, value, low: float, high: float, what: str = ""):
    """(where, message) when ``value`` is outside [low, high]."""
    if value is not None and not low <= value <= high:
        shown = f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
        limit = (f"{high:.0%}" if what == "%" else f"{high:g}× the rate at quota" if what == "×"
                 else f"{high:,.0f}" if high >= 1000 else f"{high:g}")
        yield where, f"must be between {low:g} and {limit}, got {shown}"


def _check(model: PlanModel):
    """Business checks pydantic's types cannot express: (YAML path, message) pairs."""
    if not model.measures:
        yield "measures", "at least one measure is required"
    for key, measure in model.measures.items():
        where = f"measures.{key}"
        if key not in MEASURES:
            yield where, f"unknown measure {key!r}; use one of {', '.join(MEASURES)}"
        yield from _check_tiers(measure, where, key, ote=model.ote is not None)
        if not 0 < measure.weight <= 1:
            yield f"{where}.weight", f"must be above 0 and at most 1 (100%), got {measure.weight:g}"
        if not isinstance(measure.quota, str):
            if measure.quota <= 0:
                yield f"{where}.quota", f"a fixed quota must be above 0, got {measure.quota:g}"
            yield from _within(f"{where}.quota", measure.quota, 0, MAX_AMOUNT)
        if measure.cap is not None and measure.cap < 0:
            yield f"{where}.cap", f"must be ≥ 0, got {measure.cap:g}"
        elif measure.cap is not None:
            yield from _within(f"{where}.cap", measure.cap, 0, MAX_AMOUNT)
        if measure.gate is not None and measure.gate < 0:
            yield f"{where}.gate", f"must be ≥ 0, got {measure.gate:g}"
        elif measure.gate is not None:
            yield from _within(f"{where}.gate", measure.gate, 0, MAX_GATE, "%")
        if measure.paid_on == "collection_date" and key != "collections":
            yield f"{where}.paid_on", "only collections (回款) can be paid by the collection date"
        if measure.accelerators is not None:
            if measure.accelerators.from_ <= 0:
                yield f"{where}.accelerators.from", "must be above 0 (the bound where accelerator tiers start)"
            yield from _within(f"{where}.accelerators.from", measure.accelerators.from_, 0, MAX_FRACTION, "%")
            yield from _within(f"{where}.accelerators.ytd_attainment", measure.accelerators.ytd_attainment, 0,
                               MAX_FRACTION, "%")
            if measure.basis != "quota":
                yield f"{where}.accelerators", "a year-to-date gate needs tiers as fractions of quota (basis: quota)"
    weights = sum(m.weight for m in model.measures.values())
    if model.measures and abs(weights - 1) > 1e-9:
        parts = " + ".join(f"{k} {m.weight:g}" for k, m in model.measures.items())
        yield "measures", f"weights must add up to 1 (100%): {parts} = {weights:g}"
    if model.cap is not None and model.cap < 0:
        yield "cap", f"must be ≥ 0, got {model.cap:g}"
    elif model.cap is not None:
        yield from _within("cap", model.cap, 0, MAX_AMOUNT)
    if not 2000 <= model.year <= 2100:
        yield "year", f"expected a year like 2026, got {model.year}"
    for i, award in enumerate(model.awards, start=1):
        yield from _check_award(award, f"awards[{i}]", model)
    if model.ote is not None:
        if model.ote.annual <= model.ote.base_salary or model.ote.base_salary < 0:
            yield "ote", (f"on-target earnings {model.ote.annual:,.2f} must be above the base salary "
                          f"{model.ote.base_salary:,.2f} (≥ 0): the difference is the variable pay")
        yield from _within("ote.annual", model.ote.annual, 0, MAX_AMOUNT)
        for key, measure in model.measures.items():
            if measure.basis != "quota":
                yield f"measures.{key}.basis", "with ote, tier rates are multiples of the rate at quota: basis: quota"
            elif measure.tiers and measure.tiers[0].bound == 0 and _pays_at_quota(key, measure) <= 0:
                yield f"measures.{key}.tiers", ("with ote, 100% of quota must pay something: the tiers below "
                                                "100% all have multiple 0, so no rate at quota can be derived")
    if model.draw is not None and model.draw.amount < 0:
        yield "draw.amount", f"must be ≥ 0, got {model.draw.amount:g}"
    elif model.draw is not None:
        yield from _within("draw.amount", model.draw.amount, 0, MAX_AMOUNT)


def _check_versions(model: PlanModel):
    """Each version's measures are checked like the plan's; versions for the same reps must not overlap,
    and every day of the plan year has a version for everyone."""
    if not model.versions:
        return
    for i, v in enumerate(model.versions, start=1):
        where = f"versions[{i}]"
        if v.to is not None and v.to < v.from_:
            yield f"{where}.to", f"{v.to} is before {where}.from ({v.from_})"
        if v.measures is not None:
            merged = model.model_copy(update={"measures": v.measures, "versions": []})
            for path, what in _check(merged):
                if path.startswith("measures"):
                    yield f"{where}.{path}", what
        for j, w in enumerate(model.versions[:i - 1], start=1):
            shared = (not v.reps and not w.reps) or set(v.reps) & set(w.reps)
            if shared and _overlap(model, v, w):
                whom = "every rep" if not v.reps else ", ".join(sorted(set(v.reps) & set(w.reps)))
                yield f"{where}.from", (f"{v.name} ({_span(model, v)}) overlaps versions[{j}] {w.name} "
                                        f"({_span(model, w)}) for {whom}")
    general = sorted((v for v in model.versions if not v.reps), key=lambda v: v.from_)
    start, year_end = date(model.year, 1, 1), date(model.year, 12, 31)
    if not general:
        yield "versions", "at least one version without reps (for everyone) is needed"
        return
    if general[0].from_ > start:
        yield "versions", f"no version is in force from {start} to {general[0].from_ - timedelta(days=1)}"
    for a, b in zip(general, general[1:]):
        if a.to is not None and a.to + timedelta(days=1) < b.from_:
            yield "versions", f"no version is in force from {a.to + timedelta(days=1)} to {b.from_ - timedelta(days=1)}"
    if general[-1].to is not None and general[-1].to < year_end:
        yield "versions", f"no version is in force from {general[-1].to + timedelta(days=1)} to {year_end}"


def _ends(model, v):
    """A version's first and last day; without ``to``: the day before the next version for the same reps."""
    later = [w.from_ for w in model.versions if w.from_ > v.from_ and set(w.reps) == set(v.reps)]
    end = v.to or (min(later) - timedelta(days=1) if later else date(model.year, 12, 31))
    return v.from_, end


def _overlap(model, v, w) -> bool:
    (a0, a1), (b0, b1) = _ends(model, v), _ends(model, w)
    return a0 <= b1 and b0 <= a1


def _span(model, v) -> str:
    first, last = _ends(model, v)
    return f"{first} to {last}"


def _check_tiers(measure: MeasureModel, where: str, key: str = "revenue", ote: bool = False):
    tiers = measure.tiers
    if not tiers:
        yield f"{where}.tiers", "at least one tier [lower bound, rate] is required"
        return
    if tiers[0].bound != 0:
        yield f"{where}.tiers[1].bound", f"the first lower bound must be 0, got {tiers[0].bound:g}"
    # With on-target earnings a rate is a multiple of the rep's derived rate at quota (1.5 = 150 % of it),
    # so rates above 1 are legitimate there; the derived rates themselves follow from OTE and quotas.
    max_rate = MAX_MULTIPLE if ote else MAX_COUNT_RATE if key == "new_customers" else MAX_RATE
    max_bound = MAX_FRACTION if measure.basis == "quota" else MAX_AMOUNT
    for i, tier in enumerate(tiers, start=1):
        if tier.rate < 0:
            yield f"{where}.tiers[{i}].rate", f"a rate cannot be negative, got {tier.rate:g}"
        else:
            yield from _within(f"{where}.tiers[{i}].rate", tier.rate, 0, max_rate,
                               "%" if max_rate == MAX_RATE else "×" if ote else "")
        if tier.bound > 0:
            yield from _within(f"{where}.tiers[{i}].bound", tier.bound, 0, max_bound,
                               "%" if measure.basis == "quota" else "")
        if i > 1 and tier.bound <= tiers[i - 2].bound:
            yield (f"{where}.tiers[{i}].bound", f"{tier.bound:g} is not above the bound before it "
                   f"({tiers[i - 2].bound:g}); tiers must be in ascending order")


def _check_award(award: AwardModel, where: str, model: PlanModel):
    if award.amount < 0:
        yield f"{where}.amount", f"must be ≥ 0, got {award.amount:g}"
    else:
        yield from _within(f"{where}.amount", award.amount, 0, MAX_AMOUNT)
    yield from _within(f"{where}.min_attainment", award.min_attainment, 0, MAX_FRACTION, "%")
    if award.type in ("star", "best_team"):
        if award.measure is None:
            yield f"{where}.measure", f"a {award.type} award needs the measure it ranks on"
        elif award.measure not in model.measures:
            yield f"{where}.measure", (f"unknown measure {award.measure!r}; the plan has "
                                       f"{', '.join(model.measures)}")
    for j, text in enumerate(award.periods, start=1):
        try:
            periods.parse(text, model.period)
        except InputError as error:
            yield f"{where}.periods[{j}]", str(error).split(": ", 1)[1]


def _to_plan(model: PlanModel) -> Plan:
    plan = _plan_of(model, model.measures)
    if not model.versions:
        return plan
    versions = []
    for v in model.versions:
        first, last = _ends(model, v)
        own = _plan_of(model, v.measures or model.measures).measures
        measures = tuple(dataclasses.replace(m, key=f"{m.key}@{v.name}", version=v.name) for m in own)
        versions.append(PlanVersion(v.name, pd.Timestamp(first), pd.Timestamp(last), measures, plan.awards,
                                    tuple(v.reps)))
    return dataclasses.replace(plan, measures=tuple(m for v in versions for m in v.measures),
                               versions=tuple(versions))


def _plan_of(model: PlanModel, measure_models) -> Plan:
    measures = []
    for key, m in measure_models.items():
        source = m.quota if isinstance(m.quota, str) else "fixed"
        measures.append(Measure(
            key=key, tiers=tuple(Tier(float(t.bound), float(t.rate)) for t in m.tiers), weight=float(m.weight),
            basis=m.basis, mode=m.mode, cap=m.cap, quota_source=source,
            quota_amount=None if source != "fixed" else float(m.quota), gate=m.gate,
            accelerator_from=m.accelerators.from_ if m.accelerators else None,
            accelerator_ytd=m.accelerators.ytd_attainment if m.accelerators else None, name=m.name,
            paid_on=m.paid_on))
    awards = tuple(Award(
        kind=a.type, name=a.name or AWARD_NAMES[a.type], amount=float(a.amount), measure=a.measure, tie=a.tie,
        min_attainment=float(a.min_attainment), reps=tuple(a.reps),
        periods=tuple(periods.label(periods.parse(p, model.period), model.period) for p in a.periods))
        for a in model.awards)
    draw = Draw(float(model.draw.amount), model.draw.recoverable) if model.draw else None
    per_year = periods.PER_YEAR[model.period]
    target = (float(model.ote.annual) - float(model.ote.base_salary)) / per_year if model.ote else None
    return Plan(measures=tuple(measures), period=model.period, year=model.year, name=model.name,
                currency=model.currency, cap=model.cap, awards=awards, draw=draw, prorate=model.prorate,
                target_incentive=target)


# ---------------------------------------------------------------------------------------------
# A simple quotas file: rep, measure, period, quota


def _quota_schema():
    from xlsales.io.loading import Column, Schema
    return Schema("quotas", (
        Column("rep", ("销售代表", "销售", "业务员", "代表", "sales rep")),
        Column("measure", ("指标", "考核指标")),
        Column("period", ("期间", "月份", "季度", "month", "quarter")),
        Column("quota", ("定额", "目标", "指标值", "target"), kind="number", nonnegative=True),
    ))


MEASURE_ALIASES = {"销售额": "revenue", "业绩": "revenue", "回款": "collections", "回款额": "collections",
                   "新客户": "new_customers", "新客户数": "new_customers"}


def load_quotas(path, problems=None):
    """rep, measure, period, quota; Chinese measure names (销售额, 回款, 新客户数) are understood."""
    from xlsales.io.loading import load_table
    frame = load_table(path, _quota_schema(), problems)
    if "measure" in frame.columns:
        frame["measure"] = frame["measure"].map(lambda m: MEASURE_ALIASES.get(str(m).strip(), str(m).strip().lower()))
    return frame


# ---------------------------------------------------------------------------------------------
# The example plans (examples/plans/ in the repository, a copy shipped in xlsales/data/plans/)


def example_plan_path(lang: str = "en") -> Path:
    name = f"plan.{'zh' if lang == 'zh' else 'en'}.yaml"
    return Path(__file__).resolve().parents[1] / "data" / "plans" / name


def example_plan(lang: str = "en") -> Plan:
    """The example plan (two measures, gate, accelerators, caps, awards, a draw), e.g. for the demo."""
    return load_plan(example_plan_path(lang))


# ---------------------------------------------------------------------------------------------
# A clawback list: deals lost or returned after they were paid


def _clawback_schema():
    from xlsales.io.loading import Column, Schema
    return Schema("clawbacks", (
        Column("rep", ("销售代表", "销售", "业务员", "代表", "sales rep")),
        Column("date", ("日期", "退货日期", "扣回日期", "return date"), kind="date"),
        Column("amount", ("金额", "退货金额", "扣回金额", "deal amount"), kind="number"),
        Column("measure", ("指标",), required=False, default="revenue"),
        Column("reason", ("原因", "说明", "备注", "note"), required=False),
    ))


def load_clawbacks(path, problems=None):
    """rep, date, amount (the deal amount lost or returned; the sign is ignored), measure, reason."""
    from xlsales.io.loading import load_table
    frame = load_table(path, _clawback_schema(), problems)
    if "measure" in frame.columns:
        frame["measure"] = frame["measure"].fillna("revenue").map(
            lambda m: MEASURE_ALIASES.get(str(m).strip(), str(m).strip().lower()))
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    return frame

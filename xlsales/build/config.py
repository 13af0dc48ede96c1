"""The ``xlsales build`` config: one YAML file naming the inputs, the plan, the period, the language and
the outputs. Relative paths are read from the config file's folder. See docs/memos.md for every key.

    company: Sample Co
    language: zh                 # zh or en
    as_of: 2026-06-30            # the day the figures are taken; default: the last order's date
    period: 2026-06              # or name the month (2026-06) or quarter (2026-Q2): as_of = its last day
    inputs:
      orders: data/orders.csv    # or `sample: {seed: 7, reps: 40}` for the built-in sample company
      reps: data/reps.csv
      opportunities: data/opportunities.csv   # optional: funnel workbook and funnel memo sections
      compare: data/opportunities-last-week.csv  # optional earlier snapshot: what changed since
      preset: zoho                            # optional: files as a CRM exports them (or mapping: crm.yaml)
      stages: stages.yaml                     # optional stage table
      targets: targets.xlsx                   # optional approved targets workbook (else planned here)
    plan:
      targets: {growth: 0.15, basis: blend, buffer: 0.05}
      commission: plans/plan.zh.yaml          # optional: commission workbook and statements
    outputs:
      dir: build
      workbooks: [targets, funnel, commission]
      memos: [monthly, quarterly, coaching, statement]
      formats: [md, html, pdf]
      pdf_for: [monthly, quarterly, coaching]   # which memo kinds get a PDF (default: all)
      by_team: true
      templates: my-templates                 # optional folder overriding shipped memo templates
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xlsales.errors import InputFileError

WORKBOOKS = ("targets", "funnel", "commission")
MEMOS = ("monthly", "quarterly", "coaching", "statement")
FORMATS = ("md", "html", "pdf")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SampleInput(_Strict):
    seed: int = 7
    reps: int = Field(40, ge=1, le=100_000)
    months: int = Field(30, ge=13, le=120)


class Inputs(_Strict):
    orders: Path | None = None
    reps: Path | None = None
    opportunities: Path | None = None
    compare: Path | None = None     # an earlier opportunities snapshot: the pipeline's changes since
    preset: Literal["zoho", "salesforce", "hubspot", "fxiaoke", "jiandaoyun"] | None = None  # CRM export format
    mapping: Path | None = None     # a user's CRM mapping file (YAML), instead of a preset
    stages: Path | None = None
    targets: Path | None = None     # an approved targets workbook: memos and quotas use its grid
    sample: SampleInput | None = None

    @model_validator(mode="after")
    def _one_source(self):
        if self.sample is None and (self.orders is None or self.reps is None):
            raise ValueError("give inputs.orders and inputs.reps, or inputs.sample for the built-in sample company")
        if self.sample is not None and (self.orders is not None or self.reps is not None):
            raise ValueError("inputs.sample cannot be combined with inputs.orders / inputs.reps")
        return self


class TargetSettings(_Strict):
    growth: float | None = Field(None, ge=-0.9, le=10)
    method: Literal["avg", "wma", "linear"] | None = None
    basis: Literal["history", "potential", "capacity", "blend"] | None = None
    buffer: float | None = Field(None, ge=0, le=1)
    year: int | None = Field(None, ge=2000, le=2100)
    key_product: str | None = None   # also plan this product's revenue (the key-product share)


class PlanSection(_Strict):
    targets: TargetSettings = TargetSettings()
    commission: Path | None = None


class Outputs(_Strict):
    dir: Path = Path("build")
    workbooks: list[Literal["targets", "funnel", "commission"]] = list(WORKBOOKS)
    memos: list[Literal["monthly", "quarterly", "coaching", "statement"]] = list(MEMOS)
    formats: list[Literal["md", "html", "pdf"]] = ["md", "html"]
    # Memo kinds that also get a PDF when formats has pdf (a PDF costs ~0.15 s; 1 000 statements add minutes).
    pdf_for: list[Literal["monthly", "quarterly", "coaching", "statement"]] = list(MEMOS)
    by_team: bool = True
    templates: Path | None = None


class BuildConfig(_Strict):
    company: str = ""
    language: Literal["en", "zh"] = "en"
    as_of: date | None = None
    period: str | None = Field(None, pattern=r"^\d{4}-(0?[1-9]|1[0-2]|[Qq][1-4])$")  # 2026-06 or 2026-Q2
    inputs: Inputs
    plan: PlanSection = PlanSection()
    outputs: Outputs = Outputs()
    base_dir: Path = Field(Path("."), exclude=True)

    def path(self, value: Path | None) -> Path | None:
        """A path from the config, relative to the config file's folder."""
        return None if value is None else (value if value.is_absolute() else self.base_dir / value)


def load_config(path) -> BuildConfig:
    """Read and check a build config; every problem is reported as 'FILE: key: what is wrong'."""
    from xlsales.io.yamlfile import load_yaml
    path = Path(path)
    data = load_yaml(path, "build config")
    if not isinstance(data, dict):
        raise InputFileError([f"{path.name}: expected keys such as inputs and outputs at the top"])
    try:
        config = BuildConfig.model_validate(data)
    except ValidationError as error:
        raise InputFileError([f"{path.name}: {'.'.join(str(p) for p in e['loc']) or 'config'}: "
                              f"{e['msg'].removeprefix('Value error, ')}" for e in error.errors()]) from None
    config.base_dir = path.resolve().parent
    return config

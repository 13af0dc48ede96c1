"""xlsales: sales targets, funnel, commission and review memos behind Excel.

The functions here are the SPEC's Excel functions in snake_case; the Excel wrappers in
``udfs/xlsales_udfs.py`` call exactly these.
"""
from xlsales.core.commission import commission, commission_detail
from xlsales.core.customers import abc_class
from xlsales.core.forecast import target_from_history
from xlsales.core.funnel import funnel_conversion, pipeline_coverage, sales_velocity, weighted_pipeline
from xlsales.core.pacing import attainment, deals_needed, required_pace, run_rate
from xlsales.core.splitting import seasonal_split, split_target
from xlsales.errors import InputError

# The frame-level operations the workbooks and memos are built from.
from xlsales.core.decomposition import MeasurePlan, PlanSettings, monthly_history, pacing, plan_targets
from xlsales.core.funnel_analysis import analyse_funnel
from xlsales.core.payouts import compute_payouts

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "MeasurePlan",
    "PlanSettings",
    "analyse_funnel",
    "compute_payouts",
    "monthly_history",
    "pacing",
    "plan_targets",
    "abc_class",
    "attainment",
    "commission",
    "commission_detail",
    "deals_needed",
    "funnel_conversion",
    "pipeline_coverage",
    "required_pace",
    "run_rate",
    "sales_velocity",
    "seasonal_split",
    "split_target",
    "target_from_history",
    "weighted_pipeline",
]

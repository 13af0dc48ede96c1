"""The shipped .xlsx templates; regenerate them with ``make templates`` (build_templates.py)."""
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def template_path(kind: str) -> Path:
    """The shipped template for a workbook kind: targets, funnel or commission."""
    return FOLDER / f"{kind}.xlsx"

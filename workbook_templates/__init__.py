"""The shipped .xlsx templates; regenerate them with ``make templates`` (build_templates.py)."""
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def template_path(kind: str, lang: str = "en") -> Path:
    """The shipped template for a workbook kind (targets, funnel or commission); the Chinese one
    (``kind.zh.xlsx``) where there is one."""
    localized = FOLDER / f"{kind}.{lang}.xlsx"
    return localized if lang != "en" and localized.exists() else FOLDER / f"{kind}.xlsx"

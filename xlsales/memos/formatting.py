"""Numbers and dates as a reader of the memo expects them, in English or Chinese.

- money: ``¥1,234,567`` (whole yuan; ``decimals=2`` for statements, to the cent), negative ``-¥1,234``.
- compact money for headlines: en ``¥1.23M`` / ``¥12.3K``; zh ``123.5万`` / ``1.23亿`` / ``5,000万`` (万 = 10⁴, 亿 = 10⁸),
  the way Chinese sales reports state big amounts.
- percent: ``95.1%``; dates: en ``30 Jun 2026``, zh ``2026年6月30日``.

Rounding is Excel's ROUND (half away from zero, ``xlsales.core.money``), so a memo shows the figure the
workbook shows.
"""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

from xlsales.core.money import round_half_away
from xlsales.glossary import term  # noqa: F401 - the memos' words, re-exported for templates and charts

LANGS = ("en", "zh")
CURRENCY = "¥"
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang: must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def number(x, decimals: int = 0, prefix: str = "") -> str:
    """``1,234,567`` with thousands separators (both languages use them in business documents); the
    sign goes before ``prefix`` (-¥1,234)."""
    if _missing(x):
        return "–"
    value = round_half_away(float(x), decimals)
    text = f"{prefix}{abs(value):,.{decimals}f}"
    return f"-{text}" if value < 0 else text


def money(x, decimals: int = 0) -> str:
    return number(x, decimals, CURRENCY)


def _trim(value: float, places: int) -> str:
    """``1,234.50`` → ``1,234.5``; ``5,000.0`` → ``5,000`` (short forms carry no trailing zeros)."""
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def compact_money(x, lang: str = "en") -> str:
    """Short form for headlines and charts: 万/亿 in Chinese, K/M/B in English; small amounts in full."""
    if _missing(x):
        return "–"
    value = float(x)
    sign, value = ("-" if value < 0 else ""), abs(value)
    if lang == "zh":
        for size, unit, places in ((1e8, "亿", 2), (1e4, "万", 1)):
            if value >= size:
                return f"{sign}{_trim(round_half_away(value / size, places), places)}{unit}"
    else:
        for size, unit, places in ((1e9, "B", 2), (1e6, "M", 2), (1e3, "K", 1)):
            if value >= size:
                return f"{sign}{CURRENCY}{_trim(round_half_away(value / size, places), places)}{unit}"
    return f"{sign}{money(value)}" if lang != "zh" else f"{sign}{number(value)}元"


def percent(x, decimals: int = 1) -> str:
    if _missing(x):
        return "–"
    return f"{round_half_away(float(x) * 100, decimals):.{decimals}f}%"


def day(x, lang: str = "en") -> str:
    if _missing(x) or x is pd.NaT:
        return "–"
    d = x.date() if isinstance(x, (datetime, pd.Timestamp)) else x
    if not isinstance(d, date):
        d = pd.Timestamp(d).date()
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def month(x, lang: str = "en") -> str:
    d = pd.Timestamp(x)
    return f"{d.year}年{d.month}月" if lang == "zh" else f"{_MONTHS_EN[d.month - 1]} {d.year}"


def period_name(p: dict, lang: str = "en") -> str:
    """A memo period (its ``kind`` and ``start``) as a reader names it: Jun 2026 / 2026年6月, Q2 2026 /
    2026年第2季度, 2026 / 2026年."""
    start = pd.Timestamp(p["start"])
    if p["kind"] == "month":
        return month(start, lang)
    if p["kind"] == "quarter":
        q = (start.month - 1) // 3 + 1
        return f"{start.year}年第{q}季度" if lang == "zh" else f"Q{q} {start.year}"
    return f"{start.year}年" if lang == "zh" else str(start.year)


def filters(lang: str) -> dict:
    """The Jinja filters a memo template uses; each one knows the memo's language."""
    check_lang(lang)
    return {
        "money": money,
        "cents": lambda x: money(x, 2),
        "compact": lambda x: compact_money(x, lang),
        "num": number,
        "pct": percent,
        "day": lambda x: day(x, lang),
        "month": lambda x: month(x, lang),
        "period_name": lambda p: period_name(p, lang),
    }

"""The memo charts: attainment by rep against the pace line, the funnel, and the trend against target.

Drawn with matplotlib (Agg, no display) and written byte-for-byte the same for the same data: SVG with a
fixed ``svg.hashsalt`` and no date, PNG without the software stamp. Chinese labels need a CJK font:
Noto Sans CJK (Debian's fonts-noto-cjk) when installed, else whatever CJK font matplotlib finds, else
DejaVu Sans (Chinese glyphs then show as boxes, but the chart still renders).
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from xlsales.memos.formatting import compact_money, month  # noqa: E402

MAX_REPS = 40
_BLUE, _RED, _GREY, _GREEN = "#2f6db3", "#c0392b", "#7f8c8d", "#2e8b57"
_WORDS = {
    "en": {"attainment": "Attainment by rep", "pace": "pace line", "funnel": "Funnel by stage",
           "trend": "Cumulative actual against target", "target": "target", "actual": "actual",
           "deals": "deals", "shown": "top and bottom {n} of {total} reps"},
    "zh": {"attainment": "各代表达成率", "pace": "进度线", "funnel": "各阶段漏斗",
           "trend": "累计实际与目标", "target": "目标", "actual": "实际",
           "deals": "个商机", "shown": "共{total}人, 显示前后各{n}人"},
}


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    svg: str
    png: bytes

    def svg_data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")

    def png_data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@lru_cache(maxsize=1)
def font_family() -> list[str]:
    names = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [n for n in ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
                       "Noto Serif CJK SC") if n in names]
    return cjk[:1] + ["DejaVu Sans"]


def _style():
    return {"font.family": font_family(), "font.size": 9, "svg.hashsalt": "xlsales", "svg.fonttype": "path",
            "axes.spines.top": False, "axes.spines.right": False, "axes.unicode_minus": False}


def _finish(fig, name: str, title: str, png: bool) -> Chart:
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    picture = b""
    if png:
        raster = io.BytesIO()
        fig.savefig(raster, format="png", dpi=110, metadata={"Software": None}, bbox_inches="tight")
        picture = raster.getvalue()
    plt.close(fig)
    return Chart(name, title, out.getvalue().decode("utf-8"), picture)


def attainment_chart(reps: list[dict], elapsed_share: float, lang: str = "en", png: bool = False) -> Chart:
    """Horizontal bars of attainment, red below the pace line, with the pace line drawn."""
    w = _WORDS[lang]
    rows = [r for r in reps if r.get("attainment") is not None]
    rows.sort(key=lambda r: (-r["attainment"], r["rep"]))
    note = ""
    if len(rows) > MAX_REPS:
        note = w["shown"].format(n=MAX_REPS // 2, total=len(rows))
        rows = rows[:MAX_REPS // 2] + rows[-MAX_REPS // 2:]
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 0.9 + 0.22 * max(len(rows), 1)))
        labels = [r["rep"] for r in rows][::-1]
        values = [r["attainment"] * 100 for r in rows][::-1]
        colors = [_RED if r["below_pace"] else _BLUE for r in rows][::-1]
        ax.barh(range(len(rows)), values, color=colors, height=0.7)
        ax.set_yticks(range(len(rows)), labels)
        ax.axvline(elapsed_share * 100, color=_GREY, linestyle="--", linewidth=1, label=w["pace"])
        ax.set_xlabel("%")
        ax.legend(loc="lower right", frameon=False)
        ax.set_title(w["attainment"] + (f"  ({note})" if note else ""), loc="left")
        return _finish(fig, "attainment", w["attainment"], png)


def funnel_chart(stages: list[dict], lang: str = "en", png: bool = False) -> Chart:
    w = _WORDS[lang]
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 0.8 + 0.4 * max(len(stages), 1)))
        counts = [float(s["reached"]) for s in stages][::-1]
        ax.barh(range(len(stages)), counts, color=_BLUE, height=0.7)
        ax.set_yticks(range(len(stages)), [str(s["stage"]) for s in stages][::-1])
        for i, s in enumerate(stages[::-1]):
            ax.annotate(f"{int(s['reached'])}", (counts[i], i),
                        xytext=(4, 0), textcoords="offset points", va="center")
        ax.set_xlabel(w["deals"])
        ax.set_title(w["funnel"], loc="left")
        ax.margins(x=0.3)
        return _finish(fig, "funnel", w["funnel"], png)


def trend_chart(trend: list[dict], lang: str = "en", png: bool = False) -> Chart:
    """Monthly actual bars with cumulative actual against cumulative target lines."""
    w = _WORDS[lang]
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        x = range(len(trend))
        ax.bar(x, [t["actual"] for t in trend], color=_BLUE, alpha=0.35, label=w["actual"])
        ax.plot(x, [t["cum_target"] for t in trend], color=_GREY, linestyle="--", marker="o", markersize=3,
                label=w["target"] + " Σ")
        ax.plot(x, [t["cum_actual"] for t in trend], color=_GREEN, marker="o", markersize=3,
                label=w["actual"] + " Σ")
        ax.set_xticks(list(x), [month(t["month"], lang).replace(" ", "\n", 1) for t in trend], fontsize=7)
        ax.yaxis.set_major_formatter(lambda v, _: compact_money(v, lang))
        ax.legend(frameon=False, fontsize=7)
        ax.set_title(w["trend"], loc="left")
        return _finish(fig, "trend", w["trend"], png)


def charts_for(context: dict, lang: str, png: bool = False) -> dict[str, Chart]:
    """The charts a memo of this kind shows (a statement has none)."""
    kind = context["kind"]
    charts = {}
    if kind in ("monthly", "quarterly"):
        charts["attainment"] = attainment_chart(context["reps"], context["total"]["pace_line"], lang, png)
    if kind in ("monthly", "quarterly", "coaching"):
        charts["trend"] = trend_chart(context["trend"], lang, png)
        if context.get("funnel"):
            charts["funnel"] = funnel_chart(context["funnel"]["stages"], lang, png)
    return charts

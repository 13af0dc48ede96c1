"""What a director reads from ``xlsales demo``, in both languages: words from the glossary (no internal
key), Chinese punctuation, one value per figure across console, workbook and memos, tables that add up,
and memo HTML with real tables.

One demo run per language (module fixture) serves every assertion; the funnel workbook is recalculated
by LibreOffice once.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from xlsales.cli import main
from xlsales.glossary import GLOSSARY, code_keys, term
from xlsales.memos import formatting
from xlsales.workbooks.binding import name_cell

ASCII_PUNCT_NEXT_TO_HAN = re.compile(r"[\u4e00-\u9fff][(),:;?!]|[(),:;?!][\u4e00-\u9fff]")
# Code keys that are also plain English words our English prose uses ("open deals", "deals won", "weight"):
# in English text only the other keys are codes; in Chinese text every key is one.
ENGLISH_WORDS = {"open", "won", "lost", "closed", "amount", "pipeline", "targets", "weight", "history", "file",
                 "fixed", "capacity", "potential", "commit", "draw", "award", "tier", "gate", "behind", "star",
                 "quota", "blend", "linear", "omitted"}


@pytest.fixture(scope="module", params=["en", "zh"])
def demo(request, tmp_path_factory):
    lang = request.param
    out = tmp_path_factory.mktemp(f"demo-{lang}")
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--lang", lang])
    assert result.exit_code == 0, result.output
    return lang, out, result.output


def _memo_texts(out: Path) -> dict[str, str]:
    files = sorted(out.glob("memos/**/*.md")) + sorted(out.glob("reps/**/*.md"))
    assert files
    return {str(p.relative_to(out)): re.sub(r"!\[[^\]]*\]\([^)]*\)", "", p.read_text(encoding="utf-8")) for p in files}


def _without_glossary_words(text: str, lang: str) -> str:
    """The text with every glossary word of the language and every file path taken out, so that what is
    left of a key can only be the key itself ("Key-product revenue" is a word, "revenue" alone is not)."""
    words = sorted({pair[lang == "zh"] for group in GLOSSARY.values() for pair in group.values()}, key=len, reverse=True)
    for word in words:
        text = text.replace(word, " ")
    return re.sub(r"\S*/\S*", " ", text)


def raw_keys(text: str, lang: str) -> list[str]:
    text = _without_glossary_words(text, lang)
    found = []
    for key in sorted(code_keys()):
        if lang == "en" and key in ENGLISH_WORDS:
            continue
        pattern = re.compile(r"(?<![A-Za-z_])" + re.escape(key) + r"(?![A-Za-z_])", 0 if lang == "en" else re.I)
        found += [f"{key!r} in …{text[max(m.start() - 30, 0):m.end() + 30]}…" for m in pattern.finditer(text)]
    return found


def test_the_scan_finds_a_raw_key():
    assert raw_keys("Conversion from proposal to negotiation", "en")
    assert raw_keys("| key_product | ¥1 |", "en") and raw_keys("阶梯 marginal", "zh") and raw_keys("阶段 Proposal", "zh")
    assert not raw_keys("Key-product revenue: Proposal, 3 open deals won", "en")


def test_no_raw_key_in_any_memo_or_the_console(demo):
    lang, out, console = demo
    texts = {"console": console, **_memo_texts(out)}
    problems = [f"{name}: {hit}" for name, text in texts.items() for hit in raw_keys(text, lang)]
    assert not problems, "\n".join(problems[:20])


def test_chinese_memos_and_console_use_fullwidth_punctuation(demo):
    lang, out, console = demo
    if lang != "zh":
        pytest.skip("Chinese only")
    texts = {"console": console, **_memo_texts(out)}
    problems = [f"{name}: …{text[max(m.start() - 20, 0):m.end() + 20]}…" for name, text in texts.items()
                for m in ASCII_PUNCT_NEXT_TO_HAN.finditer(text)]
    assert not problems, "\n".join(problems[:20])


def _console_value(console: str, label: str) -> str:
    line = next(l for l in console.splitlines() if l.startswith(label + " "))
    return line[len(label):].strip()


def _memo_row(md: str, label: str) -> str:
    """The value cell of the memo table row whose first cell starts with ``label``."""
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith(label):
            return cells[-1]
    raise AssertionError(f"no row {label!r} in the memo")


@pytest.fixture(scope="module")
def recalculated_funnel(demo, tmp_path_factory):
    from tests.recalc import recalculate

    lang, out, _ = demo
    return recalculate(out / "workbooks" / "funnel.xlsx", tmp_path_factory.mktemp(f"recalc-{lang}"))


def test_the_same_figure_reads_the_same_in_console_workbook_and_memo(demo, recalculated_funnel):
    lang, out, console = demo
    wb = recalculated_funnel
    md = (out / "memos" / "monthly-2026-06.md").read_text(encoding="utf-8")
    quarterly = (out / "memos" / "quarterly-2026-Q2.md").read_text(encoding="utf-8")
    word = lambda key: term("figure", key, lang)  # noqa: E731
    coverage = name_cell(wb, "Coverage").value
    assert 0 < coverage < 10
    shown = f"{formatting.round_half_away(coverage, 2):.2f}×"
    for text in (md, quarterly):
        assert _memo_row(text, word("coverage")) == shown
        assert _memo_row(text, word("gap_closed_won")) == formatting.money(name_cell(wb, "Gap").value)
        assert _memo_row(text, word("closed_won")) == formatting.money(name_cell(wb, "Closed").value)
        assert _memo_row(text, word("period_target")) == formatting.money(name_cell(wb, "Target").value)
        assert _memo_row(text, word("deals_needed")) == formatting.number(name_cell(wb, "DealsNeeded").value)
    assert _console_value(console, word("coverage")) == shown
    assert _console_value(console, word("gap_closed_won")) == formatting.number(name_cell(wb, "Gap").value)
    assert _console_value(console, word("closed_won")) == formatting.number(name_cell(wb, "Closed").value)
    assert _console_value(console, word("deals_needed")) == formatting.number(name_cell(wb, "DealsNeeded").value)
    # Coverage is the pipeline due over the gap from closed-won deals, as printed.
    assert coverage == pytest.approx(name_cell(wb, "PipelineDue").value / name_cell(wb, "Gap").value)
    # The gap from orders: the memo's year row and the console's note and targets table agree.
    year_gap = _memo_row(md, f"{2026}年全年" if lang == "zh" else "Year 2026")
    assert formatting.number(_money(year_gap)) in console
    total_line = next(l for l in console.splitlines() if l.startswith("合计" if lang == "zh" else "Total"))
    target, actual = (_money(x) for x in total_line.split()[1:3])
    assert _money(year_gap) == target - actual


def _money(text: str) -> float:
    return float(text.replace("¥", "").replace(",", ""))


def test_console_commission_columns_add_up_to_the_payout_and_match_the_statements(demo):
    lang, out, console = demo
    lines = console.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("提成（" if lang == "zh" else "Commission ("))
    rows = [l.split() for l in lines[start + 2:start + 7]]
    assert len(rows) == 5
    # The draw column (the one that used to be missing) is printed whether or not a top-five rep has one.
    assert ("保底" if lang == "zh" else "Draw") in lines[start + 1]
    for rep, *figures in rows:
        commission, adjustments, awards, draw, payout = (_money(x) for x in figures)
        assert round(commission + adjustments + awards + draw, 2) == payout
        statement = next(out.glob(f"reps/*/statement-2026-06-{rep}.md")).read_text(encoding="utf-8")
        assert formatting.money(payout, 2) in statement.splitlines()[4]      # "## Payout: ¥…"


def test_quarterly_memo_html_has_real_tables_for_every_section(demo):
    lang, out, _ = demo
    pages = [out / "memos" / "quarterly-2026-Q2.html", *sorted((out / "memos" / "teams").glob("quarterly-*.html"))]
    teams = {p.stem.split("-team-")[1] for p in pages[1:]}
    assert len(teams) == 9, "one quarterly memo per team, as the README promises"
    for page in pages:
        doc = lxml_html.fromstring(page.read_text(encoding="utf-8"))
        text = doc.text_content()
        assert "\\|" not in text and "\\#" not in text and "|---" not in text, page.name
        sections = doc.xpath("//h2")
        assert len(sections) >= 6, page.name
        for h2 in sections:
            following = h2.xpath("following-sibling::*")
            body = []
            for el in following:
                if el.tag == "h2":
                    break
                body.append(el)
            tables = [el for el in body if el.tag == "table"]
            assert tables, f"{page.name}: section {h2.text_content()!r} has no table"
            for table in tables:
                header = table.xpath(".//thead//th")
                rows = table.xpath(".//tbody/tr")
                assert header and rows and all(len(r.xpath("./td")) == len(header) for r in rows)
    company = lxml_html.fromstring(pages[0].read_text(encoding="utf-8"))
    headings = [h.text_content() for h in company.xpath("//h2")]
    wanted = (["分区域", "分团队", "环比与同比", "回款", "新客户数", "成功案例复盘"] if lang == "zh"
              else ["By region", "By team", "Compared with earlier periods", "Collections", "New customers",
                    "Wins to learn from"])
    assert all(w in headings for w in wanted), headings

"""The zh / en glossary: one word per concept and language, read back from either language."""
import re

import pytest

from xlsales import glossary
from xlsales.glossary import GLOSSARY, code_keys, fullwidth, key_of, term, terms

ASCII_PUNCT_NEXT_TO_HAN = re.compile(r"[\u4e00-\u9fff][(),:;?!]|[(),:;?!][\u4e00-\u9fff]")


def test_every_term_has_both_languages_and_no_label_is_a_code():
    codes = code_keys()
    for group, entries in GLOSSARY.items():
        for key, (en, zh) in entries.items():
            assert en.strip() and zh.strip(), (group, key)
            assert en not in codes and zh not in codes, (group, key, en, zh)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_one_word_per_concept_within_a_group(lang):
    for group, entries in GLOSSARY.items():
        # sheet names are unique within a workbook kind ("targets.reps" and "funnel.reps" are both Reps)
        kinds = {key.split(".")[0] if group == "sheet" else "" for key in entries}
        for kind in kinds:
            words = [pair[lang == "zh"] for key, pair in entries.items() if group != "sheet" or key.startswith(kind + ".")]
            assert len(words) == len(set(words)), (group, kind, lang)


def test_chinese_terms_use_fullwidth_punctuation():
    for group, entries in GLOSSARY.items():
        for key, (_, zh) in entries.items():
            assert not ASCII_PUNCT_NEXT_TO_HAN.search(zh), (group, key, zh)
            assert fullwidth(zh) == zh, (group, key, zh)


def test_terms_read_back_from_either_language_or_the_key():
    assert term("mode", "marginal", "zh") == "累进" and term("mode", "retro", "en") == "Retro (full rate)"
    assert key_of("mode", "全额") == "retro"
    assert key_of("mode", "  MARGINAL (graduated) ") == "marginal"
    assert key_of("measure", "回款") == "collections" and key_of("measure", "revenue") == "revenue"
    assert key_of("measure", "no such thing") is None
    assert key_of("measure", "no such thing", "x") == "x"
    assert term("measure", "my_own_measure", "zh") == "my_own_measure"   # unknown keys pass through
    assert terms("status", "zh") == {"open": "进行中", "won": "赢单", "lost": "输单"}


def test_the_terms_the_issue_fixes():
    assert term("figure", "win_rate", "zh") == "赢单率"
    assert term("figure", "quota", "zh") == "定额"
    assert "key_product" in code_keys() and "marginal" in code_keys() and "revenue" in code_keys()


def test_fullwidth_touches_only_punctuation_beside_chinese():
    assert fullwidth("销售额(上限 30): 1,000;好") == "销售额（上限 30）： 1,000；好"
    assert fullwidth("Rate (x): 1,000") == "Rate (x): 1,000"
    assert fullwidth("(注)说明") == "（注）说明"
    assert glossary.fullwidth("") == ""

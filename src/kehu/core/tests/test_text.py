"""Pinyin and script helpers: one pinyin pass gives what two whole-text passes gave."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from kehu.core.text import pinyin_both, pinyin_readings, pinyin_search_fields, to_simplified


def _two_passes(text: str) -> tuple[str, str]:
    simplified = to_simplified(text)
    full = "".join(lazy_pinyin(simplified, errors="default"))
    initials = "".join(lazy_pinyin(simplified, style=Style.FIRST_LETTER, errors="default"))
    return full.lower().replace(" ", ""), initials.lower().replace(" ", "")


@pytest.mark.parametrize(
    "name",
    [
        "腾讯科技（深圳）有限公司",
        "重庆长安汽车股份有限公司",
        "中国银行股份有限公司",
        "ABC 科技 Co., Ltd.",
        "騰訊計算機系統有限公司",
        "上海3M中国有限公司",
        "",
        "Apple Inc.",
    ],
)
def test_one_pass_matches_two_whole_text_passes(name):
    assert pinyin_both(name) == _two_passes(name)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="重庆长行银中国科技有限公司深圳腾讯AB c1（）() -", max_size=20))
def test_one_pass_matches_two_passes_on_mixed_text(text):
    assert pinyin_both(text) == _two_passes(text)


def test_simplified_text_is_returned_as_is_and_traditional_converted():
    assert to_simplified("腾讯科技") == "腾讯科技"
    assert to_simplified("騰訊科技") == "腾讯科技"


@pytest.mark.parametrize(
    ("letters", "readings"),
    [
        ("hengrui", [" heng rui"]),
        ("xian", [" xian", " xi an"]),
        ("hengr", [" heng r"]),  # cut short only when no whole reading exists
        ("lvse", [" lv se"]),  # ü written v, as pypinyin writes it
        ("hrjm", []),
        ("ng", []),  # interjections without a vowel are not read
        ("", []),
    ],
)
def test_pinyin_readings_of_typed_letters(letters, readings):
    assert pinyin_readings(letters) == readings


def test_pinyin_readings_of_a_long_ambiguous_search_are_bounded():
    readings = pinyin_readings("xian" * 16, limit=8)

    assert len(readings) == 8
    assert readings[0] == " " + " ".join(["xian"] * 16)


@pytest.mark.parametrize(
    "name",
    ["苏州恒瑞三六零基准科技有限公司", "ABB（中国）有限公司", "重庆长安汽车", "绿地  集团", ""],
)
def test_stored_syllables_are_the_full_pinyin_with_a_space_before_each(name):
    syllables, initials = pinyin_search_fields(name)

    assert syllables.replace(" ", "") == pinyin_both(name)[0]
    assert initials == pinyin_both(name)[1]
    assert syllables == "" or (syllables.startswith(" ") and "  " not in syllables)


def test_a_name_stores_its_syllables_one_by_one():
    assert pinyin_search_fields("苏州恒瑞") == (" su zhou heng rui", "szhr")
    assert pinyin_search_fields("ABB（中国）") == (" abb（ zhong guo ）", "abb（zg）")

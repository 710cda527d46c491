"""Company-name normalisation: properties that must hold for any input, and the cases the spec
names."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opencc import OpenCC

from kehu.dataquality.normalize import normalize_company_name, normalize_person_name


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("北京星辰科技有限公司", "北京星辰科技(北京)有限公司"),
        ("星辰科技有限公司", "星辰科技（北京）有限公司"),
        ("深圳市腾讯计算机系统有限公司", "深圳市騰訊計算機系統有限公司"),
        ("深圳市腾讯计算机系统有限公司", "腾讯计算机系统（深圳）有限公司"),
        ("中国平安保险(集团)股份有限公司", "中国平安保险股份有限公司"),
        ("上海 东方 精密机械 有限公司", "上海东方精密机械有限责任公司"),
        ("ＡＢＣ科技有限公司", "abc科技有限公司"),
        ("Siemens Ltd.", "SIEMENS LTD (China)"),
    ],
)
def test_variants_of_one_company_normalise_equal(a, b):
    assert normalize_company_name(a) == normalize_company_name(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("北京星辰科技有限公司", "北京星河科技有限公司"),
        ("中国银行股份有限公司", "中国建设银行股份有限公司"),
    ],
)
def test_different_companies_stay_different(a, b):
    assert normalize_company_name(a) != normalize_company_name(b)


def test_a_name_that_is_all_brackets_keeps_its_content():
    assert normalize_company_name("(东方)") == "东方"


def test_a_place_name_is_kept_when_nothing_else_would_remain():
    assert normalize_company_name("北京有限公司") == "北京"
    assert normalize_company_name("中国银行") != ""


names = st.text(
    alphabet=st.sampled_from(
        list("北京上海深圳市科技腾讯有限公司股份集团()（）【】 ABCabc１２ 騰訊")
    ),
    max_size=30,
)


@given(names)
def test_normalising_is_idempotent(name):
    once = normalize_company_name(name)
    assert normalize_company_name(once) == once


_S2T = OpenCC("s2t")  # built once: loading its dictionaries took most of each example


@settings(deadline=None)  # timing is not the point here; the machine may be busy
@given(names)
def test_a_name_matches_itself_and_its_width_and_script_variants(name):
    wide = unicodedata.normalize("NFKC", name).replace("(", "（").replace(")", "）")
    traditional = _S2T.convert(name)
    assert normalize_company_name(wide) == normalize_company_name(name)
    assert normalize_company_name(traditional) == normalize_company_name(name)


@given(
    st.sampled_from(["星辰科技", "东方精密机械", "恒瑞电子"]),
    st.sampled_from(["北京", "上海", "江苏"]),
)
def test_a_bracketed_region_never_matters(core, region):
    plain = f"{core}有限公司"
    assert normalize_company_name(f"{core}({region})有限公司") == normalize_company_name(plain)
    assert normalize_company_name(f"{core}（{region}）有限公司") == normalize_company_name(plain)


def test_person_names_fold_width_script_and_spaces():
    assert normalize_person_name("張 偉") == normalize_person_name("张伟")

"""Field rules of spec §2, checked directly and with generated input."""

import string

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from kehu.customers.models import CustomerType
from kehu.customers.validators import (
    CREDIT_CODE_CHARS,
    check_customer_name,
    credit_code_check_char,
    mask_mobile,
    normalize_mobile,
    validate_credit_code,
    validate_mobile,
)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", "914403001922038216"])
def test_real_credit_codes_pass_the_gb32100_check(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("91350100M000100Y44", "credit_code_check"),
        ("91350100M000100Y4", "credit_code_length"),
        ("91350100M000100YI3", "credit_code_chars"),
        ("9135AB00M000100Y43", "credit_code_area"),
    ],
)
def test_bad_credit_codes_are_refused_with_the_rule_broken(code, rule):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(code)
    assert info.value.code == rule


@given(
    st.text(alphabet=CREDIT_CODE_CHARS, min_size=2, max_size=2),
    st.text(alphabet=string.digits, min_size=6, max_size=6),
    st.text(alphabet=CREDIT_CODE_CHARS, min_size=9, max_size=9),
)
def test_any_code_with_its_computed_check_char_is_valid(head, area, body):
    first17 = head + area + body
    validate_credit_code(first17 + credit_code_check_char(first17))


@given(
    st.text(alphabet=CREDIT_CODE_CHARS, min_size=17, max_size=17).filter(
        lambda s: s[2:8].isdigit()
    ),
    st.sampled_from(CREDIT_CODE_CHARS),
)
def test_every_wrong_check_char_is_caught(first17, check):
    if check == credit_code_check_char(first17):
        return
    with pytest.raises(ValidationError):
        validate_credit_code(first17 + check)


@pytest.mark.parametrize("mobile", ["13812345678", "15912345678", "18612345678", "19912345678"])
def test_mainland_mobiles_are_accepted(mobile):
    validate_mobile(mobile)


@pytest.mark.parametrize(
    "mobile",
    ["12345678901", "1381234567", "138123456789", "10012345678", "1381234567a", "01012345678"],
)
def test_non_mobiles_are_refused(mobile):
    with pytest.raises(ValidationError):
        validate_mobile(mobile)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        (" 13812345678 ", "13812345678"),
    ],
)
def test_mobile_input_is_normalised_before_checking(raw, clean):
    assert normalize_mobile(raw) == clean


def test_mobile_is_masked_to_first_three_and_last_four():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("") == ""


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_masking_never_shows_the_middle_four_digits(mobile):
    masked = mask_mobile(mobile)
    assert masked[3:7] == "****"
    assert masked.replace("****", mobile[3:7]) == mobile


@pytest.mark.parametrize(
    "name",
    [
        "深圳市腾讯计算机系统有限公司",
        "华为技术有限公司",
        "中国平安保险（集团）股份有限公司",
        "北京大学",
        "上海市第一人民医院",
        "Siemens Ltd., China",
        "宁波梅山保税港区某某投资合伙企业（有限合伙）",
    ],
)
def test_full_legal_names_are_accepted(name):
    check_customer_name(name, CustomerType.ENTERPRISE)


@pytest.mark.parametrize("name", ["腾讯科技", "华为", "阿里", "有限公司", "ABC"])
def test_short_names_are_refused_with_an_explanation(name):
    with pytest.raises(ValidationError) as info:
        check_customer_name(name, CustomerType.ENTERPRISE)
    message = " ".join(info.value.message_dict["name"])
    assert "深圳市腾讯计算机系统有限公司" in message


@pytest.mark.parametrize("name", ["张伟", "欧阳娜娜", "阿依古丽·买买提", "John Smith"])
def test_individual_customers_may_use_a_persons_name(name):
    check_customer_name(name, CustomerType.INDIVIDUAL)


@pytest.mark.parametrize("name", ["张伟2", "某某科技有限公司", "X"])
def test_individual_customer_name_must_look_like_a_person(name):
    with pytest.raises(ValidationError):
        check_customer_name(name, CustomerType.INDIVIDUAL)

"""The customer list's rows written out in Python ({% customer_rows %}) are the same HTML as
the reference template customers/_customer_row.html, for every optional value present or
missing, hostile text, each status and scale, each mobile level and both languages."""

import datetime as dt
import itertools

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from kehu.accounts.models import User
from kehu.customers.models import Contact, Customer, Industry, Region, Scale
from kehu.customers.templatetags.customer_rows import customer_rows

HOSTILE = '<b>"钱&多多"</b>\'s 有限公司'
NOW = timezone.now()


def _customers() -> list[Customer]:
    owner = User(pk=3, username="zhangwei", full_name="张伟")
    nameless = User(pk=4, username="li<si>", full_name="")
    industry = Industry(pk=1, code="auto_parts", name_zh="汽车零部件", name_en="Auto parts")
    region = Region(pk=2, code="jiangsu", name_zh="江苏", name_en="Jiangsu")
    decision_maker = Contact(pk=5, name="王建国", mobile="13812345678")
    no_mobile = Contact(pk=6, name="<i>赵</i>", mobile="")
    statuses = ["prospect", "interested", "customer", "lost", "no-such-status"]
    scales = [*Scale.values, "", None]
    updated = [
        NOW,
        NOW - dt.timedelta(hours=5),
        NOW - dt.timedelta(days=3),
        NOW - dt.timedelta(days=90),
        None,
    ]
    contacts = [None, [], [decision_maker], [no_mobile, decision_maker]]
    rows = []
    for n, (status, scale, when, people) in enumerate(
        itertools.islice(
            zip(
                itertools.cycle(statuses),
                itertools.cycle(scales),
                itertools.cycle(updated),
                itertools.cycle(contacts),
                strict=False,
            ),
            40,
        )
    ):
        customer = Customer(
            pk=1000 + n,
            code=f"CX202611{n:04d}",
            name=HOSTILE if n % 3 == 0 else f"苏州第{n}精工机械有限公司",
            status=status,
            scale=scale,
        )
        customer.updated_at = when
        customer.industry = industry if n % 2 else None
        customer.region = region if n % 4 < 2 else None
        customer.owner = [owner, nameless, None][n % 3]
        if people is not None:
            customer.key_contacts = people
        rows.append(customer)
    return rows


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("mobile_level", ["hidden", "masked", "visible"])
def test_python_rows_equal_the_reference_template(language, mobile_level):
    customers = _customers()
    with translation.override(language):
        reference = "".join(
            render_to_string(
                "customers/_customer_row.html", {"customer": c, "mobile_level": mobile_level}
            ).lstrip()
            for c in customers
        )
        compiled = customer_rows(customers, mobile_level)
    assert compiled == reference


def test_hostile_text_is_escaped():
    html = customer_rows(_customers()[:1], "visible")
    assert "<b>" not in html
    assert "&lt;b&gt;&quot;钱&amp;多多&quot;&lt;/b&gt;&#x27;s" in html


def test_a_wrong_cell_is_caught():
    """The comparison above can fail: a row that drops the masked mobile differs."""
    customer = _customers()[2]
    customer.key_contacts = [Contact(pk=5, name="王建国", mobile="13812345678")]
    reference = render_to_string(
        "customers/_customer_row.html", {"customer": customer, "mobile_level": "masked"}
    ).lstrip()
    assert customer_rows([customer], "masked") == reference
    assert customer_rows([customer], "hidden") != reference

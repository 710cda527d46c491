"""Template helpers that stand in for slower built-ins must say the same thing."""

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix

from kehu.core.templatetags.kehu import pk_url


@pytest.mark.parametrize("pk", [1, 7, 42, 2**31 - 1])
@pytest.mark.parametrize(
    "viewname", ["customers:detail", "customers:edit", "sales:contract-detail"]
)
def test_pk_url_equals_reverse(viewname, pk):
    assert pk_url(viewname, pk) == reverse(viewname, args=[pk])


def test_pk_url_follows_the_script_prefix():
    try:
        set_script_prefix("/kehu/")
        assert pk_url("customers:detail", 5) == "/kehu/customers/5/"
    finally:
        set_script_prefix("/")
    assert pk_url("customers:detail", 5) == "/customers/5/"


def test_pk_url_refuses_what_is_not_a_whole_number():
    with pytest.raises(ValueError, match="invalid literal"):
        pk_url("customers:detail", "5/../../admin")


def test_pk_url_in_a_template():
    html = Template("{% load kehu %}{% pk_url 'customers:detail' pk %}").render(Context({"pk": 9}))
    assert html == "/customers/9/"

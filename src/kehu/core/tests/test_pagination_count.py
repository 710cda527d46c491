"""Counts with a time budget (KEHU_COUNT_TIME_MS): on PostgreSQL a count that takes longer
than the budget gives way to the planner's estimate, labelled as one, and the budget never
leaks to the rest of the request."""

import pytest
from django.db import connection, transaction

from kehu.core.pagination import bounded_count, paginate
from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer

NAMES = ["上海东方精密机械有限公司", "北京星辰软件技术有限公司", "广州南方餐饮管理有限公司"]

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement timeouts and estimates are PostgreSQL's"
)


@pytest.fixture
def three(owner):
    return [make_customer(owner=owner, name=name) for name in NAMES]


def slow(queryset, seconds: float):
    """The queryset, made to take `seconds` on PostgreSQL (an uncorrelated sub-select runs once)."""
    return queryset.extra(where=["(SELECT true FROM pg_sleep(%s))"], params=[seconds])  # noqa: S610


def test_count_within_the_budget_is_exact(three, settings):
    settings.KEHU_COUNT_TIME_MS = 5000
    count = bounded_count(Customer.objects.all())
    assert (count.value, count.exact) == (3, True)


@postgres_only
def test_count_past_the_budget_is_the_planners_estimate(three, settings):
    settings.KEHU_COUNT_TIME_MS = 20
    count = bounded_count(slow(Customer.objects.all(), 0.5))
    assert count.exact is False
    assert count.at_least is False  # an estimate ("about N"), not "more than N"
    assert count.value >= 1


@postgres_only
def test_the_budget_does_not_outlive_the_count(three, settings):
    settings.KEHU_COUNT_TIME_MS = 20
    with transaction.atomic():
        bounded_count(Customer.objects.all())  # finished within the budget
        bounded_count(slow(Customer.objects.all(), 0.5))  # cut by the budget
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.1), current_setting('statement_timeout')")
            assert cursor.fetchone()[1] == "0"


@postgres_only
def test_no_budget_counts_however_long_it_takes(three, settings):
    settings.KEHU_COUNT_TIME_MS = 0
    count = bounded_count(slow(Customer.objects.all(), 0.1))
    assert (count.value, count.exact) == (3, True)


@postgres_only
def test_an_estimated_count_is_never_below_the_rows_shown(three, settings):
    settings.KEHU_COUNT_TIME_MS = 20
    page = paginate(slow(Customer.objects.all(), 0.5), per_page=2)
    assert page.count.exact is False
    assert page.count.value >= 3  # two on the page and a third behind "Next"
    assert len(page.object_list) == 2
    assert page.has_next


@postgres_only
def test_the_list_page_says_a_cut_count_is_estimated(english, owner, three, monkeypatch):
    """The list whose count ran out of time (simulated: a tiny table counts in well under any
    budget): the page still shows its rows and says the count is an estimate."""
    monkeypatch.setattr("kehu.core.pagination._count_within", lambda *args: None)
    english.force_login(owner)
    response = english.get("/customers/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-count-estimated" in html
    assert "(estimated)" in html
    for name in NAMES:
        assert name in html


def test_sqlite_counts_exactly_whatever_the_budget(three, settings):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite fallback")
    settings.KEHU_COUNT_TIME_MS = 1
    count = bounded_count(Customer.objects.all())
    assert (count.value, count.exact) == (3, True)

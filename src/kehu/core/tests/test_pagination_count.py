"""Counts with a time budget (KEHU_COUNT_TIME_MS): on PostgreSQL a count that takes longer
than the budget gives way to the planner's estimate, labelled as one, and the budget never
leaks to the rest of the request."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

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
def test_the_list_page_says_a_cut_count_is_estimated(english, owner, three, monkeypatch, settings):
    """The list whose count ran out of time (simulated: a tiny table counts in well under any
    budget): the page still shows its rows and says the count is an estimate."""
    monkeypatch.setattr("kehu.core.pagination._count_within", lambda *args: None)
    # Two rows a page: the first page is not the last, whose rows would be an exact count.
    settings.KEHU_LIST_PAGE_SIZE = 2
    english.force_login(owner)
    response = english.get("/customers/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-count-estimated" in html
    assert "(estimated)" in html
    shown = [name for name in NAMES if name in html]
    assert len(shown) == 2


def test_sqlite_counts_exactly_whatever_the_budget(three, settings):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite fallback")
    settings.KEHU_COUNT_TIME_MS = 1
    count = bounded_count(Customer.objects.all())
    assert (count.value, count.exact) == (3, True)


@postgres_only
def test_an_estimate_far_above_the_limit_is_shown_without_counting(three, monkeypatch, settings):
    """A rep with 36,854 customers: counting to 10,001 only to show the estimate anyway cost
    the budget on every page view. The estimate is asked first."""
    settings.KEHU_EXACT_COUNT_LIMIT = 10_000
    monkeypatch.setattr("kehu.core.pagination.planner_estimate", lambda queryset: 36_854)
    with CaptureQueriesContext(connection) as captured:
        count = bounded_count(Customer.objects.all())
    assert (count.value, count.exact) == (36_854, False)
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


@postgres_only
def test_an_estimate_near_the_limit_is_checked_by_counting(three, monkeypatch, settings):
    settings.KEHU_EXACT_COUNT_LIMIT = 10_000
    monkeypatch.setattr("kehu.core.pagination.planner_estimate", lambda queryset: 15_000)
    count = bounded_count(Customer.objects.all())
    assert (count.value, count.exact) == (3, True)


@postgres_only
def test_the_last_page_corrects_a_wrong_estimate(three, monkeypatch):
    """The planner guessed 50,000; the first page holds every row: the count is exact."""
    monkeypatch.setattr("kehu.core.pagination.planner_estimate", lambda queryset: 50_000)
    page = paginate(Customer.objects.all(), per_page=26)
    assert (page.count.value, page.count.exact) == (3, True)
    assert not page.has_next
    more = paginate(Customer.objects.all(), per_page=2)
    assert (more.count.value, more.count.exact) == (50_000, False)
    last = paginate(Customer.objects.all(), per_page=2, page=2)
    assert (last.count.value, last.count.exact) == (3, True)


def test_a_page_that_holds_the_whole_list_counts_nothing(three):
    """Its rows are the count: no COUNT, no estimate (the common narrow search)."""
    with CaptureQueriesContext(connection) as captured:
        page = paginate(Customer.objects.all(), per_page=26)
    assert (page.count.value, page.count.exact) == (3, True)
    statements = [q["sql"].upper() for q in captured.captured_queries]
    assert not [sql for sql in statements if "COUNT(" in sql or sql.startswith("EXPLAIN")]


# --- a list narrowed to a set of ids, read as all its ids (PostgreSQL) ------------------------
def _statements(captured) -> list[str]:
    return [q["sql"].upper() for q in captured.captured_queries]


@postgres_only
def test_a_list_of_a_set_of_ids_reads_them_once_for_the_page_and_the_count(three):
    """Two tags AND-ed at 1M: the database found and sorted the matches for the page, then
    found them all again for the count. Now one query reads the ids, which are both; no
    count and no estimate."""
    narrowed = Customer.objects.filter(name__contains="有限公司")
    with CaptureQueriesContext(connection) as captured:
        page = paginate(narrowed, per_page=2, deferred_join=True, read_all_ids=True)
    assert (page.count.value, page.count.exact) == (3, True)
    assert page.has_next
    assert [c.name for c in page] == [c.name for c in narrowed.order_by("-created_at", "-id")][:2]
    statements = _statements(captured)
    assert not [sql for sql in statements if "COUNT(" in sql or sql.startswith("EXPLAIN")]
    assert len(statements) == 2  # ids, rows


@postgres_only
def test_other_lists_read_their_page_then_count(three):
    """A list narrowed by columns is read in order from an index and stops after its page:
    reading all its ids would read every match (a rep's filters at 1M: 117 ms, not 28)."""
    narrowed = Customer.objects.filter(name__contains="有限公司")
    with CaptureQueriesContext(connection) as captured:
        page = paginate(narrowed, per_page=2, deferred_join=True)
    assert (page.count.value, page.count.exact) == (3, True)
    assert [sql for sql in _statements(captured) if "COUNT(" in sql]
    ids_query = _statements(captured)[0]
    assert "LIMIT 3" in ids_query


@postgres_only
def test_the_next_page_of_a_set_of_ids_comes_from_the_same_ids(three):
    narrowed = Customer.objects.filter(name__contains="有限公司")
    everything = [c.pk for c in narrowed.order_by("-created_at", "-id")]
    first = paginate(narrowed, per_page=2, deferred_join=True, read_all_ids=True)
    second = paginate(narrowed, per_page=2, page=2, deferred_join=True, read_all_ids=True)
    assert [c.pk for c in first] + [c.pk for c in second] == everything
    assert (second.count.value, second.count.exact) == (3, True)
    assert not second.has_next


@postgres_only
def test_ids_past_the_limit_give_an_estimate_never_below_what_was_read(
    three, monkeypatch, settings
):
    settings.KEHU_EXACT_COUNT_LIMIT = 1
    monkeypatch.setattr("kehu.core.pagination.planner_estimate", lambda queryset: 1)
    page = paginate(Customer.objects.all(), per_page=1, deferred_join=True, read_all_ids=True)
    # Two ids read where one was the limit: "about 2", not the planner's 1.
    assert (page.count.value, page.count.exact) == (2, False)
    assert len(page) == 1
    monkeypatch.setattr("kehu.core.pagination.planner_estimate", lambda queryset: 40_000)
    page = paginate(Customer.objects.all(), per_page=1, deferred_join=True, read_all_ids=True)
    assert (page.count.value, page.count.exact) == (40_000, False)


def test_sqlite_reads_only_the_page_of_a_set_of_ids(three):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite fallback")
    with CaptureQueriesContext(connection) as captured:
        page = paginate(Customer.objects.all(), per_page=2, deferred_join=True, read_all_ids=True)
    assert (page.count.value, page.count.exact) == (3, True)
    assert "LIMIT 3" in _statements(captured)[0]


@postgres_only
def test_a_page_deeper_than_the_count_limit_still_has_its_rows(three, settings):
    """A count limit set below the numbered depth: page 3 of one row each is past the limit
    of 1, and still reads its row; the count is exact, all ids having been read."""
    settings.KEHU_EXACT_COUNT_LIMIT = 1
    narrowed = Customer.objects.filter(name__contains="有限公司")
    everything = [c.pk for c in narrowed.order_by("-created_at", "-id")]
    page = paginate(narrowed, per_page=1, page=3, deferred_join=True, read_all_ids=True)
    assert [c.pk for c in page] == everything[2:3]
    assert (page.count.value, page.count.exact) == (3, True)
    second = paginate(narrowed, per_page=1, page=2, deferred_join=True, read_all_ids=True)
    assert [c.pk for c in second] == everything[1:2]
    assert second.has_next

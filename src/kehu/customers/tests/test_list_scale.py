"""The customer list at scale (issue 7): a fixed number of queries per page, bounded counts
labelled as estimates, keyset pages past the numbered depth, and bounded bad input."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.customers.tests.factories import make_customer

HTMX = {"HTTP_HX_REQUEST": "true"}
NAMES = [
    "上海东方精密机械有限公司",
    "北京星辰软件技术有限公司",
    "广州南方餐饮管理有限公司",
    "天津海河物流有限公司",
    "苏州恒瑞汽车零部件有限公司",
    "杭州云栖数据科技有限公司",
    "成都天府电子科技有限公司",
]


def customers_for(owner, count, **overrides):
    return [make_customer(owner=owner, name=NAMES[i], **overrides) for i in range(count)]


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def queries_of(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


# --- no N+1 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/customers/", "/api/v1/customers/"])
def test_list_runs_the_same_number_of_queries_for_two_rows_or_seven(client, owner, url):
    client.force_login(owner)
    customers_for(owner, 2)
    client.get(url)  # per-process caches (content types, key checks) filled once
    few = queries_of(client, url)

    for name in NAMES[2:]:
        make_customer(owner=owner, name=name)
    many = queries_of(client, url)

    assert many == few
    assert few <= 20  # session, user, rights, count, rows, prefetch, filter choices


def test_360_page_runs_the_same_number_of_queries_with_more_contacts(client, owner):
    from kehu.customers.services import contact_create

    client.force_login(owner)
    customer = make_customer(owner=owner, name=NAMES[0])
    url = reverse("customers:detail", args=[customer.pk])
    client.get(url)
    before = queries_of(client, url)

    for index, name in enumerate(["李娜", "张伟", "刘洋"]):
        contact_create(
            customer=customer,
            by=owner,
            data={"name": name, "title": "采购经理", "mobile": f"1390000{index:04d}"},
        )
    after = queries_of(client, url)

    assert after == before


# --- counts -----------------------------------------------------------------------------------
def test_count_above_the_limit_is_labelled_as_an_estimate(english, owner, settings):
    settings.KEHU_EXACT_COUNT_LIMIT = 2
    # Three rows a page: the first page is not the last (whose rows are an exact count).
    settings.KEHU_LIST_PAGE_SIZE = 3
    customers_for(owner, 4)
    english.force_login(owner)

    response = english.get("/customers/")

    html = response.content.decode()
    assert response.context["total_exact"] is False
    assert "data-count-estimated" in html
    if connection.vendor == "postgresql":
        assert "(estimated)" in html
    else:
        assert "More than 2 customers" in html


def test_count_within_the_limit_is_exact(english, owner):
    customers_for(owner, 3)
    english.force_login(owner)

    response = english.get("/customers/")

    assert response.context["total"] == 3
    assert response.context["total_exact"] is True
    assert "data-count-estimated" not in response.content.decode()


def test_api_says_whether_the_count_is_exact(owner, settings):
    customers_for(owner, 3)
    settings.KEHU_EXACT_COUNT_LIMIT = 2

    data = api(owner).get("/api/v1/customers/", {"page_size": 2}).data

    assert data["count_exact"] is False
    assert data["count"] >= 2
    # The last page has seen every row: its count is exact.
    last = api(owner).get("/api/v1/customers/", {"page_size": 2, "page": 2}).data
    assert (last["count"], last["count_exact"]) == (3, True)


# --- keyset pages -----------------------------------------------------------------------------
def walk_pages(client, params):
    """Every row of the list, following the Next links (numbered, then cursor)."""
    seen = []
    url = "/api/v1/customers/"
    query = {**params, "page_size": 2}
    while url:
        data = client.get(url, query).data
        seen += [row["name"] for row in data["results"]]
        url, query = data["next"], {}
    return seen


@pytest.mark.parametrize(
    "sort", ["", "name", "-name", "annual_budget", "-annual_budget", "status", "-updated_at"]
)
def test_pages_past_the_numbered_depth_continue_by_cursor_without_gaps(owner, settings, sort):
    settings.KEHU_MAX_PAGE_OFFSET = 2  # only page 1 is numbered
    budgets = [None, Decimal("500000"), Decimal("500000"), None, Decimal("80000"), None, None]
    for name, budget in zip(NAMES, budgets, strict=True):
        make_customer(owner=owner, name=name, annual_budget=budget)
    client = api(owner)
    params = {"sort": sort} if sort else {}
    expected = [
        row["name"]
        for row in client.get("/api/v1/customers/", {**params, "page_size": 50}).data["results"]
    ]

    seen = walk_pages(client, params)

    assert seen == expected
    assert sorted(seen) == sorted(NAMES)


def test_page_past_the_numbered_depth_links_on_by_cursor(client, owner, settings):
    settings.KEHU_MAX_PAGE_OFFSET = 2
    settings.KEHU_LIST_PAGE_SIZE = 2
    customers_for(owner, 5)
    client.force_login(owner)

    first = client.get("/customers/", **HTMX)
    second = client.get("/customers/", {"cursor": first.context["page_obj"].next_cursor}, **HTMX)

    assert first.context["page_obj"].next_page is None
    assert "cursor=" in first.content.decode()
    assert len(second.context["customers"]) == 2
    assert not {c.pk for c in second.context["customers"]} & {
        c.pk for c in first.context["customers"]
    }


def test_a_cursor_never_widens_the_data_scope(owner, outsider, administrator, settings):
    settings.KEHU_MAX_PAGE_OFFSET = 1
    customers_for(owner, 3)
    make_customer(owner=outsider, name="重庆山城火锅餐饮有限公司")
    admin_page = api(administrator).get("/api/v1/customers/", {"page_size": 1}).data
    cursor = parse_qs(urlsplit(admin_page["next"]).query)["cursor"][0]

    data = api(outsider).get("/api/v1/customers/", {"page_size": 1, "cursor": cursor}).data

    assert all(row["name"] == "重庆山城火锅餐饮有限公司" for row in data["results"])


# --- bad input --------------------------------------------------------------------------------
def test_deep_page_number_is_refused_with_a_message_naming_the_limit(english, owner, settings):
    settings.KEHU_MAX_PAGE_OFFSET = 50
    customers_for(owner, 2)
    english.force_login(owner)

    response = english.get("/customers/", {"page": "999999"})

    assert response.status_code == 200
    assert "Pages are numbered up to row 50" in response.content.decode()
    assert len(response.context["customers"]) == 2  # the first page instead


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "999999999"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"cursor": "forged"}, "cursor"),
        ({"page_size": "x"}, "page_size"),
        ({"q": "恒" * 10_000}, "q"),
        ({"sort": "password"}, "sort"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_api_answers_bad_list_parameters_with_a_400_naming_the_parameter(owner, params, field):
    customers_for(owner, 1)

    response = api(owner).get("/api/v1/customers/", params)

    assert response.status_code == 400
    assert field in response.data


def test_wildcards_in_a_search_match_literally(owner):
    customers_for(owner, 2)

    for term in ("%%%%", "____", "%_%"):
        data = api(owner).get("/api/v1/customers/", {"q": term}).data
        assert data["count"] == 0


def test_huge_search_on_the_page_is_refused_without_searching(english, owner):
    customers_for(owner, 2)
    english.force_login(owner)

    response = english.get("/customers/", {"q": "%" * 10_000})

    assert response.status_code == 200
    assert "Ensure this value has at most 64 characters" in response.content.decode()


# --- deferred join (ids first, then rows) ---------------------------------------------------
@pytest.mark.parametrize("sort", ["-created_at", "name", "-annual_budget"])
def test_a_page_read_ids_first_is_the_page_read_at_once(owner, sort):
    from kehu.core import pagination
    from kehu.core.pagination import paginate
    from kehu.customers.filters import CustomerFilter
    from kehu.customers.selectors import customer_list

    for index, name in enumerate(NAMES * 2):
        make_customer(owner=owner, name=f"{name[:-4]}{index}有限公司", annual_budget=index * 1000)
    params = {"q": "有限", "sort": sort}
    qs = CustomerFilter(data=params, queryset=customer_list(user=owner), user=owner).qs

    ordered = [c.pk for c in pagination.ordered(qs, *pagination.sort_of(qs))]
    assert len(ordered) == 14
    for number in (1, 2, 3):
        for deferred_join in (False, True):
            page = paginate(qs, per_page=5, page=number, deferred_join=deferred_join)
            assert [c.pk for c in page] == ordered[(number - 1) * 5 : number * 5]
            assert page.next_page == (number + 1 if number < 3 else None)
    rows = paginate(qs, per_page=5, deferred_join=True).object_list
    with CaptureQueriesContext(connection) as captured:  # joins and prefetch came with the rows
        for row in rows:
            str(row.owner), str(row.industry), row.key_contacts  # noqa: B018
    assert len(captured) == 0


def test_narrowed_lists_are_read_ids_first():
    from django.http import QueryDict

    from kehu.customers.filters import CustomerFilter

    for narrowed in ("q=hengrui", "tags=1,2", "tags=1", "status=interested", "budget_min=10"):
        assert CustomerFilter.reads_ids_first(QueryDict(narrowed)), narrowed
    for plain in ("", "sort=name", "page=3", "q=&status=", "cursor=abc&page_size=50"):
        assert not CustomerFilter.reads_ids_first(QueryDict(plain)), plain

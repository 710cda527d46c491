"""A rep's data scope read as arms (core.access.customer_scope_arms): their union is exactly
the scope, and a deep page read as the union of each arm's first rows (core.pagination) is
the same page, in the same order, as the one read through the OR."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.core.access import MAX_SCOPE_ARMS, customer_scope_arms, visible_customers
from kehu.core.pagination import paginate
from kehu.customers.models import Customer, CustomerShare
from kehu.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("id", flat=True))


@pytest.fixture
def interleaved(org):
    """Nine customers of the rep's and four of others shared with the rep, created in turn,
    plus two the rep cannot see."""
    start = timezone.now() - dt.timedelta(days=30)
    made = []
    for n in range(15):
        owner = org.owner if n % 3 else (org.teammate if n % 2 else org.outsider)
        customer = make_customer(owner=owner, name=f"苏州第{n}精工机械有限公司")
        Customer.objects.filter(pk=customer.pk).update(created_at=start + dt.timedelta(days=n))
        made.append(customer)
    for customer in made:
        if customer.owner_id != org.owner.pk and customer.pk % 4:
            CustomerShare.objects.create(customer=customer, user=org.owner)
    return made


def test_a_reps_arms_are_their_own_customers_and_those_shared_with_them(org, interleaved):
    arms = customer_scope_arms(org.owner)
    assert arms is not None
    assert len(arms) == 2
    united = set().union(*(_ids(Customer.objects.filter(arm)) for arm in arms))
    assert united == _ids(visible_customers(org.owner))


def test_a_rep_with_a_report_has_an_arm_for_the_reports_customers(org, interleaved):
    org.teammate.superior = org.owner
    org.teammate.save()
    owner = type(org.owner).objects.get(pk=org.owner.pk)  # nothing cached on the object
    arms = customer_scope_arms(owner)
    assert len(arms) == 3
    united = set().union(*(_ids(Customer.objects.filter(arm)) for arm in arms))
    assert united == _ids(visible_customers(owner))
    assert _ids(Customer.objects.filter(owner=org.teammate)) <= united


@pytest.mark.parametrize("who", ["administrator", "manager", "steward"])
def test_wide_scopes_are_not_read_as_arms(org, who):
    assert customer_scope_arms(getattr(org, who)) is None


def test_an_inactive_user_has_no_arms(org):
    org.owner.is_active = False
    org.owner.save()
    assert customer_scope_arms(org.owner) is None


def test_too_many_owners_are_read_as_one_or(org, monkeypatch):
    monkeypatch.setattr("kehu.core.access.MAX_SCOPE_ARMS", 1)
    assert customer_scope_arms(org.owner) is None
    assert MAX_SCOPE_ARMS >= 2


@pytest.mark.parametrize("page_number", [2, 3, 4])
def test_a_deep_page_read_by_arms_is_the_page_read_through_the_or(org, interleaved, page_number):
    visible = visible_customers(org.owner).order_by("-created_at", "-id")
    arms = customer_scope_arms(org.owner)
    by_arms = paginate(visible, per_page=3, page=page_number, arms=arms)
    plain = paginate(visible, per_page=3, page=page_number)
    assert [c.pk for c in by_arms] == [c.pk for c in plain]
    assert len(by_arms) == len(plain) > 0
    assert by_arms.count == plain.count
    assert by_arms.next_page == plain.next_page


def test_the_arms_are_read_as_a_union_on_postgresql_only(org, interleaved):
    visible = visible_customers(org.owner).order_by("-created_at", "-id")
    with CaptureQueriesContext(connection) as captured:
        paginate(visible, per_page=3, page=2, arms=customer_scope_arms(org.owner))
    unions = [q for q in captured.captured_queries if " UNION " in q["sql"]]
    assert len(unions) == (1 if connection.vendor == "postgresql" else 0)


def test_the_first_page_and_other_sorts_are_read_through_the_or(org, interleaved):
    arms = customer_scope_arms(org.owner)
    visible = visible_customers(org.owner)
    for queryset, page_number in (
        (visible.order_by("-created_at", "-id"), 1),
        (visible.order_by("name", "-id"), 2),
    ):
        with CaptureQueriesContext(connection) as captured:
            paginate(queryset, per_page=3, page=page_number, arms=arms)
        assert not [q for q in captured.captured_queries if " UNION " in q["sql"]]


def test_the_reps_second_page_in_the_api_and_on_the_list(client, org, interleaved, settings):
    settings.KEHU_LIST_PAGE_SIZE = 3
    expected = list(
        visible_customers(org.owner).order_by("-created_at", "-id").values_list("name", flat=True)
    )[3:6]
    client.force_login(org.owner)
    html = client.get("/customers/?page=2").content.decode()
    positions = [html.index(name) for name in expected]
    assert positions == sorted(positions)
    api = client.get("/api/v1/customers/?page=2&page_size=3").json()
    assert [row["name"] for row in api["results"]] == expected

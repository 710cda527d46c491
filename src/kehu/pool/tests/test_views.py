"""Pool pages: members see the pool list (masked mobiles), non-members nothing; claim by HTMX
with a toast, refusal with the limit named and nothing changed; assign, return, history and
the configuration pages with their rights."""

import json

import pytest

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.pool.models import AssignmentRule, PoolEntry, PoolRule
from kehu.pool.tests.factories import make_pool, pooled

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    client.force_login(user)
    return client


def toast(response) -> dict:
    return json.loads(response["HX-Trigger"])["kehu:toast"]


@pytest.fixture
def entry(org):
    make_pool(org)
    return pooled(org, decision_maker={"name": "王建国", "title": "总监", "mobile": "13912345678"})


def test_member_sees_the_pool_list_with_the_mobile_masked(client, org, entry):
    page = login(client, org.teammate).get("/pool/").content.decode()

    assert entry.customer.name in page
    assert "139****5678" in page
    assert "13912345678" not in page


def test_non_member_sees_no_pool_customer_and_no_count(client, org, entry):
    page = login(client, org.outsider).get("/pool/?q=星辰").content.decode()

    assert entry.customer.name not in page
    assert entry.customer.code not in page
    assert "You are not a member of any public pool." in page or "不是任何公海的成员" in page


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/pool/entries/{e}/claim/"),
        ("get", "/pool/entries/{e}/assign/"),
        ("post", "/pool/entries/{e}/assign/"),
    ],
)
def test_non_member_gets_404_on_entry_actions(client, org, entry, method, path):
    response = getattr(login(client, org.outsider), method)(path.format(e=entry.pk))

    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.in_pool


def test_former_owner_cannot_open_the_pooled_customer(client, org, entry):
    response = login(client, org.owner).get(f"/customers/{entry.customer_id}/")

    assert response.status_code == 404


def test_claim_by_htmx_makes_the_member_owner_with_a_toast(client, org, entry):
    response = login(client, org.teammate).post(f"/pool/entries/{entry.pk}/claim/", **HTMX)

    assert response.status_code == 200
    assert toast(response)["level"] == "success"
    assert Customer.objects.get(pk=entry.customer_id).owner == org.teammate
    assert f"/customers/{entry.customer_id}/" in response.content.decode()


def test_refused_claim_says_which_limit_and_changes_nothing(english, org):
    make_pool(org, rules={"prospect": {"max_held": 0}})
    entry = pooled(org)

    response = login(english, org.teammate).post(f"/pool/entries/{entry.pk}/claim/", **HTMX)

    assert response.status_code == 200
    message = toast(response)
    assert message["level"] == "danger"
    assert "the limit is 0 at once" in message["message"]
    entry.refresh_from_db()
    assert entry.in_pool


def test_teammate_cannot_assign_but_the_department_head_can(client, org, entry):
    denied = login(client, org.teammate).post(
        f"/pool/entries/{entry.pk}/assign/", {"to": org.teammate.pk}
    )
    done = login(client, org.manager).post(
        f"/pool/entries/{entry.pk}/assign/", {"to": org.teammate.pk, "reason": "重点跟进"}
    )

    assert denied.status_code == 403
    assert done.status_code == 302
    assert Customer.objects.get(pk=entry.customer_id).owner == org.teammate


def test_owner_returns_a_customer_from_its_page(client, org):
    make_pool(org)
    customer = make_customer(owner=org.owner)
    login(client, org.owner)

    detail = client.get(f"/customers/{customer.pk}/").content.decode()
    no_reason = client.post(f"/pool/customers/{customer.pk}/return/", {"reason": ""})
    done = client.post(f"/pool/customers/{customer.pk}/return/", {"reason": "没有预算"})

    assert f"/pool/customers/{customer.pk}/return/" in detail
    assert no_reason.status_code == 200
    assert done.status_code == 302
    assert PoolEntry.objects.get(customer=customer).in_pool


def test_teammate_and_outsider_cannot_return_the_owners_customer(client, org, customer):
    make_pool(org)

    teammate = login(client, org.teammate).post(
        f"/pool/customers/{customer.pk}/return/", {"reason": "x"}
    )
    outsider = login(client, org.outsider).post(
        f"/pool/customers/{customer.pk}/return/", {"reason": "x"}
    )

    assert teammate.status_code == 404
    assert outsider.status_code == 404
    assert not PoolEntry.objects.filter(customer=customer).exists()


def test_history_shows_own_claims_to_members_and_everything_to_the_head(client, org, entry):
    other = pooled(org, name="上海另一家科技有限公司")
    login(client, org.teammate).post(f"/pool/entries/{entry.pk}/claim/", **HTMX)

    outsider = login(client, org.outsider).get("/pool/history/").content.decode()
    teammate = login(client, org.teammate).get("/pool/history/").content.decode()
    head = login(client, org.manager).get("/pool/history/").content.decode()

    assert entry.customer.name not in outsider
    assert entry.customer.name in teammate
    assert other.customer.name not in teammate
    assert other.customer.name in head


def test_pool_settings_are_for_its_administrators(client, org, entry):
    pool = entry.pool

    member = login(client, org.teammate).get(f"/pool/manage/{pool.pk}/")
    outsider = login(client, org.outsider).get(f"/pool/manage/{pool.pk}/")
    creating = login(client, org.manager).get("/pool/manage/new/")
    admin = login(client, org.administrator)
    saved = admin.post(
        f"/pool/manage/{pool.pk}/rules/",
        {
            "status": "interested",
            "days_without_follow_up": 15,
            "notice_days": 2,
            "max_held": 10,
            "max_claims_per_day": 3,
            "cooldown_days": 5,
        },
    )

    assert member.status_code == 403
    assert outsider.status_code == 404
    assert creating.status_code == 403
    assert saved.status_code == 302
    assert PoolRule.objects.get(pool=pool, status="interested").days_without_follow_up == 15


def test_administrator_creates_a_pool_and_an_assignment_rule(client, org):
    login(client, org.administrator)

    pool = client.post(
        "/pool/manage/new/",
        {"name": "华北公海", "is_open": "on", "is_active": "on", "departments": [org.north.pk]},
    )
    rule = client.post(
        "/pool/assignment-rules/new/",
        {
            "name": "华北轮流",
            "scope": "leads",
            "department": org.north.pk,
            "strategy": "round_robin",
            "sort_order": 0,
            "is_active": "on",
        },
    )
    denied = login(client, org.manager).get("/pool/assignment-rules/")

    assert pool.status_code == 302
    assert rule.status_code == 302
    assert AssignmentRule.objects.get().name == "华北轮流"
    assert denied.status_code == 403


def test_duplicate_warning_offers_a_claim_for_a_pool_customer(client, org, entry):
    response = login(client, org.teammate).post(
        "/data-quality/duplicate-check/",
        {"name": entry.customer.name, "dm_name": "王建国", "dm_mobile": "13912345678"},
        **HTMX,
    )

    assert f"/pool/entries/{entry.pk}/claim/" in response.content.decode()


def test_pool_list_queries_do_not_grow_with_the_rows(client, org, entry):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, org.teammate)
    client.get("/pool/")  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get("/pool/")
    for n in range(4):
        pooled(org, name=f"杭州第{n}家制造有限公司")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/pool/").content.decode()

    assert page.count('data-testid="pool-entry"') == 5
    assert len(many) == len(few)

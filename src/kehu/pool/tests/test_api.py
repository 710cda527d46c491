"""Pool API over HTTP: scope (non-members get nothing, 404 on entries), masked mobiles and no
unmask before a claim, claims and refusals naming the limit, assign, return, history,
assignment rules for administrators only, and every endpoint in the OpenAPI schema."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.pool.models import PoolEntry
from kehu.pool.tests.factories import make_pool, pooled

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"


def api(user, *, language: str = "en") -> APIClient:
    client = APIClient()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def entry(org):
    make_pool(org)
    return pooled(org, decision_maker={"name": "王建国", "title": "总监", "mobile": MOBILE})


def test_member_lists_pool_customers_with_the_mobile_masked(org, entry):
    response = api(org.teammate).get("/api/v1/pool-entries/")

    assert response.status_code == 200
    row = response.data["results"][0]
    assert row["customer"]["code"] == entry.customer.code
    assert row["mobile_masked"] == "139****5678"
    assert MOBILE not in response.content.decode()


def test_non_member_gets_an_empty_list_and_404_on_everything_else(org, entry):
    client = api(org.outsider)

    listed = client.get("/api/v1/pool-entries/")
    one = client.get(f"/api/v1/pool-entries/{entry.pk}/")
    claim = client.post(f"/api/v1/pool-entries/{entry.pk}/claim/")
    pool = client.get(f"/api/v1/pools/{entry.pool_id}/")
    events = client.get("/api/v1/pool-events/")

    assert listed.data["count"] == 0
    assert (one.status_code, claim.status_code, pool.status_code) == (404, 404, 404)
    assert events.data["count"] == 0
    entry.refresh_from_db()
    assert entry.in_pool


def test_unmask_is_refused_before_the_claim_and_allowed_after(org, entry):
    customer_id = entry.customer_id

    admin_before = api(org.administrator).post(f"/api/v1/customers/{customer_id}/unmask/")
    member_before = api(org.teammate).post(f"/api/v1/customers/{customer_id}/unmask/")
    claimed = api(org.teammate).post(f"/api/v1/pool-entries/{entry.pk}/claim/")
    after = api(org.teammate).post(f"/api/v1/customers/{customer_id}/unmask/")

    assert admin_before.status_code == 403
    assert member_before.status_code == 404
    assert MOBILE not in admin_before.content.decode() + member_before.content.decode()
    assert claimed.status_code == 200
    assert claimed.data["owner"]["id"] == org.teammate.pk
    assert after.status_code == 200
    assert MOBILE in after.content.decode()


def test_claim_beyond_the_limit_answers_400_naming_it(org):
    make_pool(org, rules={"prospect": {"max_held": 1}})
    first, second = pooled(org), pooled(org)
    client = api(org.teammate)

    client.post(f"/api/v1/pool-entries/{first.pk}/claim/")
    refused = client.post(f"/api/v1/pool-entries/{second.pk}/claim/")

    assert refused.status_code == 400
    assert "the limit is 1 at once" in refused.data["max_held"][0]
    assert Customer.objects.get(pk=second.customer_id).owner_id != org.teammate.pk


def test_assign_is_for_pool_assigners(org, entry):
    denied = api(org.teammate).post(
        f"/api/v1/pool-entries/{entry.pk}/assign/", {"to": org.teammate.pk}, format="json"
    )
    done = api(org.manager).post(
        f"/api/v1/pool-entries/{entry.pk}/assign/", {"to": org.teammate.pk}, format="json"
    )

    assert denied.status_code == 403
    assert done.status_code == 200
    assert Customer.objects.get(pk=entry.customer_id).owner == org.teammate


def test_return_needs_a_reason_and_a_customer_you_may_see(org):
    make_pool(org)
    customer = make_customer(owner=org.owner)

    hidden = api(org.outsider).post(
        "/api/v1/pool-returns/", {"customer": customer.pk, "reason": "x"}, format="json"
    )
    no_reason = api(org.owner).post(
        "/api/v1/pool-returns/", {"customer": customer.pk, "reason": ""}, format="json"
    )
    done = api(org.owner).post(
        "/api/v1/pool-returns/", {"customer": customer.pk, "reason": "无预算"}, format="json"
    )

    assert hidden.status_code == 400
    assert "customer" in hidden.data
    assert no_reason.status_code == 400
    assert "reason" in no_reason.data
    assert done.status_code == 201
    assert done.data["mobile_masked"].count("*") == 4
    assert PoolEntry.objects.get(customer=customer).in_pool


def test_assignment_rules_are_for_administrators(org):
    payload = {"name": "华东轮流", "scope": "leads", "department": org.east.pk}

    denied = api(org.manager).post("/api/v1/assignment-rules/", payload, format="json")
    listed = api(org.manager).get("/api/v1/assignment-rules/")
    created = api(org.administrator).post("/api/v1/assignment-rules/", payload, format="json")
    changed = api(org.administrator).patch(
        f"/api/v1/assignment-rules/{created.data['id']}/",
        {"strategy": "load", "version": created.data["version"]},
        format="json",
    )

    assert (denied.status_code, listed.status_code) == (403, 403)
    assert created.status_code == 201
    assert changed.data["strategy"] == "load"


def test_pool_rules_are_set_by_its_administrators(org, entry):
    rule = {"status": "interested", "days_without_follow_up": 15, "notice_days": 3}

    denied = api(org.teammate).put(f"/api/v1/pools/{entry.pool_id}/rules/", rule, format="json")
    done = api(org.administrator).put(f"/api/v1/pools/{entry.pool_id}/rules/", rule, format="json")
    bad = api(org.administrator).put(
        f"/api/v1/pools/{entry.pool_id}/rules/",
        {**rule, "notice_days": 15},
        format="json",
    )

    assert denied.status_code == 403
    assert done.status_code == 200
    assert bad.status_code == 400
    assert "notice_days" in bad.data


def test_every_pool_endpoint_is_in_the_openapi_schema(org):
    schema = api(org.administrator).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in (
        "/api/v1/pools/",
        "/api/v1/pools/{id}/rules/",
        "/api/v1/pool-entries/",
        "/api/v1/pool-entries/{id}/claim/",
        "/api/v1/pool-entries/{id}/assign/",
        "/api/v1/pool-returns/",
        "/api/v1/pool-events/",
        "/api/v1/assignment-rules/",
        "/api/v1/assignment-rules/{id}/",
    ):
        assert path in schema["paths"], path


def test_pool_settings_change_with_the_version_read_and_not_by_members(org, entry):
    url = f"/api/v1/pools/{entry.pool_id}/"

    denied = api(org.teammate).patch(url, {"is_open": False, "version": 1}, format="json")
    done = api(org.administrator).patch(url, {"is_open": False, "version": 1}, format="json")
    stale = api(org.administrator).patch(url, {"is_open": True, "version": 1}, format="json")

    assert denied.status_code == 403
    assert done.status_code == 200
    assert done.data["is_open"] is False
    assert stale.status_code == 409


# --- the duplicate check points members to the pool (撞单 → 领取) -------------------------------
def _check(user, entry):
    return api(user).post(
        "/api/v1/customers/duplicate-check/",
        {"name": entry.customer.name, "contact_name": "王建国", "mobile": MOBILE},
        format="json",
    )


def test_duplicate_check_gives_a_member_the_pool_entry_to_claim(org, entry):
    response = _check(org.teammate, entry)

    assert response.status_code == 200
    found = next(d for d in response.data if d["code"] == entry.customer.code)
    assert found["visible"] is False
    assert found["pool_entry_id"] == entry.pk
    claimed = api(org.teammate).post(f"/api/v1/pool-entries/{found['pool_entry_id']}/claim/")
    assert claimed.status_code == 200


def test_duplicate_check_tells_a_non_member_nothing_about_the_pool(org, entry):
    response = _check(org.outsider, entry)

    assert response.status_code == 200
    found = next(d for d in response.data if d["code"] == entry.customer.code)
    assert found["pool_entry_id"] is None
    assert (found["visible"], found["name"], found["url"], found["reasons"]) == (False, "", "", [])
    assert f'"pool_entry_id":{entry.pk}' not in response.content.decode()


def test_the_409_on_create_carries_the_pool_entry_for_a_member_only(org, entry):
    from kehu.customers.tests.test_api import payload

    data = payload(name=entry.customer.name, decision_maker={"name": "王建国", "mobile": MOBILE})
    member = api(org.teammate).post("/api/v1/customers/", data, format="json")
    outsider = api(org.outsider).post("/api/v1/customers/", data, format="json")

    assert member.status_code == outsider.status_code == 409
    assert [d["pool_entry_id"] for d in member.data["duplicates"]] == [entry.pk]
    assert [d["pool_entry_id"] for d in outsider.data["duplicates"]] == [None]


def test_pool_entry_id_of_a_duplicate_is_documented(org):
    schema = api(org.administrator).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    field = schema["components"]["schemas"]["ProbableDuplicate"]["properties"]["pool_entry_id"]
    assert field["nullable"] is True
    assert "claim" in field["description"]

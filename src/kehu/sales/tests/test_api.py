"""Sales API: scope (404 for outsiders, lists exclude), CRUD, conversion with the duplicate
answer, stage moves with the rules and 409 on a stale version, the stages and pipeline."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.sales.models import Lead, LeadStatus, Opportunity
from kehu.sales.tests.factories import make_lead, make_opportunity, stage

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- scope ----------------------------------------------------------------------------------
def test_outsider_gets_404_on_lead_and_opportunity_and_lists_exclude_them(
    owner, outsider, customer
):
    lead = make_lead(owner=owner)
    opportunity = make_opportunity(customer=customer)
    client = api(outsider)

    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
    assert client.get(f"/api/v1/opportunities/{opportunity.pk}/").status_code == 404
    assert client.post(f"/api/v1/leads/{lead.pk}/convert/", {}, format="json").status_code == 404
    assert (
        client.post(
            f"/api/v1/opportunities/{opportunity.pk}/move/",
            {"stage": stage("proposal").pk, "version": 1},
            format="json",
        ).status_code
        == 404
    )
    assert client.get("/api/v1/leads/").json()["count"] == 0
    assert client.get("/api/v1/opportunities/").json()["count"] == 0


def test_anonymous_is_refused(owner):
    assert APIClient().get("/api/v1/leads/").status_code in (401, 403)


# --- leads ----------------------------------------------------------------------------------
def test_create_read_update_and_delete_a_lead(owner):
    client = api(owner)

    created = client.post(
        "/api/v1/leads/",
        {
            "name": "杨帆",
            "company": "苏州工业园区纳米材料股份有限公司",
            "mobile": "+86 139-0000-6666",
            "source": "exhibition",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    lead_id = created.json()["id"]
    assert created.json()["mobile"] == "139****6666"  # masked: revealing is a logged action

    updated = client.patch(
        f"/api/v1/leads/{lead_id}/", {"title": "CTO", "version": 1}, format="json"
    )
    assert updated.status_code == 200
    assert updated.json()["version"] == 2

    stale = client.patch(f"/api/v1/leads/{lead_id}/", {"title": "CEO", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2

    assert client.delete(f"/api/v1/leads/{lead_id}/").status_code == 204
    assert not Lead.objects.exists()


def test_bad_lead_input_names_the_field(owner):
    response = api(owner).post(
        "/api/v1/leads/", {"name": "杨帆", "mobile": "12", "source": "phone"}, format="json"
    )

    assert response.status_code == 400
    assert "mobile" in response.json()
    assert not Lead.objects.exists()


def test_status_action_disqualifies_with_reason(owner):
    lead = make_lead(owner=owner)

    refused = api(owner).post(
        f"/api/v1/leads/{lead.pk}/status/", {"status": "disqualified"}, format="json"
    )
    done = api(owner).post(
        f"/api/v1/leads/{lead.pk}/status/",
        {"status": "disqualified", "reason": "重复线索"},
        format="json",
    )

    assert refused.status_code == 400
    assert done.json()["status"] == LeadStatus.DISQUALIFIED


def test_convert_creates_customer_and_opportunity(owner):
    lead = make_lead(owner=owner, company="天津海河物流有限公司")

    response = api(owner).post(
        f"/api/v1/leads/{lead.pk}/convert/",
        {
            "scale": "medium",
            "opportunity": {
                "name": "仓储系统",
                "amount": "300000.00",
                "stage": stage("proposal").pk,
            },
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get()
    assert body["customer"]["code"] == customer.code
    assert body["lead"]["status"] == "converted"
    assert body["opportunity"]["stage"]["code"] == "proposal"
    assert body["opportunity"]["weighted_amount"] == "150000.00"


def test_convert_matching_existing_customer_answers_409_until_confirmed(owner):
    existing = make_customer(owner=owner, name="天津海河物流有限公司")
    lead = make_lead(owner=owner, company="天津海河物流有限公司")
    client = api(owner)

    warned = client.post(f"/api/v1/leads/{lead.pk}/convert/", {"scale": "small"}, format="json")

    assert warned.status_code == 409
    assert warned.json()["code"] == "probable_duplicate"
    assert [d["code"] for d in warned.json()["duplicates"]] == [existing.code]
    assert Customer.objects.count() == 1

    confirmed = client.post(
        f"/api/v1/leads/{lead.pk}/convert/",
        {"scale": "small", "confirmed_duplicates": [existing.code]},
        format="json",
    )
    assert confirmed.status_code == 201


def test_convert_cannot_link_a_hidden_customer(owner, outsider):
    hidden = make_customer(owner=outsider, name="天津海河物流有限公司")
    lead = make_lead(owner=owner)

    response = api(owner).post(
        f"/api/v1/leads/{lead.pk}/convert/", {"customer": hidden.pk}, format="json"
    )

    assert response.status_code == 400
    assert "customer" in response.json()


# --- opportunities --------------------------------------------------------------------------
def test_create_and_move_an_opportunity(owner, customer):
    client = api(owner)

    created = client.post(
        "/api/v1/opportunities/",
        {"customer": customer.pk, "name": "年度框架", "amount": "100000.00"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]

    moved = client.post(
        f"/api/v1/opportunities/{pk}/move/",
        {"stage": stage("won").pk, "version": 1},
        format="json",
    )
    assert moved.status_code == 200
    assert moved.json()["stage"]["code"] == "won"
    assert moved.json()["closed_at"] is not None


def test_move_refused_by_rule_changes_nothing(owner, customer):
    opportunity = make_opportunity(customer=customer)

    response = api(owner).post(
        f"/api/v1/opportunities/{opportunity.pk}/move/",
        {"stage": stage("lost").pk, "version": 1},
        format="json",
    )

    assert response.status_code == 400
    assert "loss_reason" in response.json()
    opportunity.refresh_from_db()
    assert opportunity.version == 1


def test_stale_move_answers_409(owner, customer):
    opportunity = make_opportunity(customer=customer)

    response = api(owner).post(
        f"/api/v1/opportunities/{opportunity.pk}/move/",
        {"stage": stage("proposal").pk, "version": 3},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "stale"


def test_stale_update_answers_409(owner, customer):
    opportunity = make_opportunity(customer=customer)
    client = api(owner)
    client.patch(
        f"/api/v1/opportunities/{opportunity.pk}/",
        {"competitor": "金蝶", "version": 1},
        format="json",
    )

    response = client.patch(
        f"/api/v1/opportunities/{opportunity.pk}/",
        {"competitor": "用友", "version": 1},
        format="json",
    )

    assert response.status_code == 409
    opportunity.refresh_from_db()
    assert opportunity.competitor == "金蝶"


def test_read_only_team_member_cannot_change_an_opportunity(owner, teammate, customer):
    from kehu.customers.services import customer_share_set

    customer_share_set(customer=customer, user=teammate, access="read", by=owner)
    opportunity = make_opportunity(customer=customer)
    client = api(teammate)

    assert client.get(f"/api/v1/opportunities/{opportunity.pk}/").status_code == 200
    assert (
        client.patch(
            f"/api/v1/opportunities/{opportunity.pk}/", {"name": "x", "version": 1}, format="json"
        ).status_code
        == 403
    )
    assert client.delete(f"/api/v1/opportunities/{opportunity.pk}/").status_code == 403
    assert Opportunity.objects.filter(pk=opportunity.pk).exists()


def test_cannot_open_an_opportunity_on_a_hidden_customer(owner, outsider):
    hidden = make_customer(owner=outsider, name="天津海河物流有限公司")

    response = api(owner).post(
        "/api/v1/opportunities/", {"customer": hidden.pk, "name": "x"}, format="json"
    )

    assert response.status_code == 400
    assert not Opportunity.objects.exists()


def test_stages_are_listed_in_order(owner):
    body = api(owner).get("/api/v1/pipeline-stages/").json()

    assert [s["code"] for s in body] == [
        "initial_contact",
        "needs_confirmed",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ]
    assert [s["probability"] for s in body] == [10, 30, 50, 70, 100, 0]


def test_pipeline_endpoint_reports_the_weighted_value_of_the_callers_scope(
    owner, outsider, customer
):
    make_opportunity(customer=customer, stage_code="proposal", amount=Decimal("100000"))
    make_opportunity(customer=customer, stage_code="negotiation", amount=Decimal("10000"))
    theirs = make_customer(owner=outsider, name="天津海河物流有限公司")
    make_opportunity(customer=theirs, stage_code="negotiation", amount=Decimal("990000"))

    body = api(owner).get("/api/v1/opportunities/pipeline/").json()

    assert Decimal(body["weighted"]) == Decimal("57000")
    assert Decimal(body["total"]) == Decimal("110000")


def test_company_reader_reads_a_lead_but_cannot_change_it(owner, org):
    lead = make_lead(owner=owner)
    client = api(org.service)

    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 200
    assert (
        client.patch(
            f"/api/v1/leads/{lead.pk}/", {"name": "x", "version": 1}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/leads/{lead.pk}/convert/", {"scale": "small"}, format="json"
        ).status_code
        == 403
    )
    assert client.delete(f"/api/v1/leads/{lead.pk}/").status_code == 403
    assert not Customer.objects.exists()

"""Segments API: CRUD, run, count, preview, assign and the field list; hidden segments answer
404, shared ones are read-only for colleagues, and the customers stay in each caller's scope."""

import pytest
from rest_framework.test import APIClient

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.segments.models import Segment
from kehu.segments.services import segment_create

INTERESTED = {"conditions": [{"field": "status", "op": "eq", "value": "interested"}]}


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


@pytest.fixture
def customers(org):
    make_customer(owner=org.owner, name="甲机械有限公司", status="interested")
    make_customer(owner=org.owner, name="乙机械有限公司", status="prospect")
    make_customer(owner=org.teammate, name="丙机械有限公司", status="interested")
    make_customer(owner=org.outsider, name="丁机械有限公司", status="interested")


@pytest.fixture
def segment(org, customers):
    return segment_create(
        by=org.owner, name="意向客户", definition=INTERESTED, shared_users=[org.teammate]
    )


def test_create_a_segment(owner, customers, org):
    response = api_for(owner).post(
        "/api/v1/segments/",
        {"name": "意向", "definition": INTERESTED, "shared_departments": [org.east.pk]},
        format="json",
    )

    body = response.json()
    assert response.status_code == 201
    assert body["definition"] == {"groups": [INTERESTED["conditions"]]}
    assert body["owner"]["id"] == owner.pk
    assert [d["id"] for d in body["shared_departments"]] == [org.east.pk]


def test_a_bad_definition_is_refused_naming_the_condition(owner, db):
    response = api_for(owner).post(
        "/api/v1/segments/",
        {"name": "坏", "definition": {"conditions": [{"field": "status", "op": "gt", "value": 1}]}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["definition"][0].startswith("Condition 1 (status): The operator")
    assert not Segment.objects.exists()


def test_list_has_own_and_shared_segments_only(org, segment):
    segment_create(by=org.outsider, name="别人的", definition=INTERESTED)

    names = [s["name"] for s in api_for(org.teammate).get("/api/v1/segments/").json()["results"]]

    assert names == ["意向客户"]


def test_run_lists_the_callers_own_customers_in_the_segment(org, segment):
    owner_rows = api_for(org.owner).get(f"/api/v1/segments/{segment.pk}/customers/").json()
    teammate_rows = api_for(org.teammate).get(f"/api/v1/segments/{segment.pk}/customers/").json()

    assert [r["name"] for r in owner_rows["results"]] == ["甲机械有限公司"]
    assert owner_rows["count"] == 1
    assert [r["name"] for r in teammate_rows["results"]] == ["丙机械有限公司"]
    assert set(owner_rows["results"][0]) == {"id", "code", "name"}


def test_count_and_preview(org, segment):
    client = api_for(org.owner)

    saved = client.get(f"/api/v1/segments/{segment.pk}/count/").json()
    preview = client.post(
        "/api/v1/segments/preview/",
        {
            "definition": {
                "conditions": [{"field": "status", "op": "in", "value": ["interested", "prospect"]}]
            }
        },
        format="json",
    )

    assert saved == {"count": 1}
    assert preview.json() == {"count": 2}


def test_fields_list_every_kind_with_its_operators(owner, db):
    fields = {f["key"]: f for f in api_for(owner).get("/api/v1/segments/fields/").json()}

    assert fields["status"]["operators"] == ["eq", "ne", "in", "empty", "not_empty"]
    assert fields["annual_budget"]["kind"] == "number"
    assert fields["industry"]["preset"] == "industry"
    assert fields["tag"]["operators"] == ["has", "has_not"]
    assert "level.budget_level" in fields


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("get", "customers/"), ("get", "count/"), ("patch", ""), ("delete", "")],
)
def test_someone_it_is_not_shared_with_gets_404(outsider, segment, method, suffix):
    response = getattr(api_for(outsider), method)(
        f"/api/v1/segments/{segment.pk}/{suffix}", {"name": "x", "version": 1}, format="json"
    )

    assert response.status_code == 404
    assert Segment.objects.get(pk=segment.pk).name == "意向客户"


def test_a_colleague_it_is_shared_with_cannot_change_or_delete_it(teammate, segment):
    client = api_for(teammate)

    patch = client.patch(
        f"/api/v1/segments/{segment.pk}/", {"name": "改", "version": 1}, format="json"
    )
    delete = client.delete(f"/api/v1/segments/{segment.pk}/")

    assert patch.status_code == 403
    assert delete.status_code == 403
    assert Segment.objects.get(pk=segment.pk).name == "意向客户"


def test_owner_updates_with_the_version_and_a_stale_one_is_refused(owner, segment):
    client = api_for(owner)

    updated = client.patch(
        f"/api/v1/segments/{segment.pk}/", {"name": "新名", "version": 1}, format="json"
    )
    stale = client.patch(
        f"/api/v1/segments/{segment.pk}/", {"name": "旧名", "version": 1}, format="json"
    )
    deleted = client.delete(f"/api/v1/segments/{segment.pk}/")

    assert updated.status_code == 200
    assert updated.json()["version"] == 2
    assert stale.status_code == 409
    assert stale.json()["current"]["name"] == "新名"
    assert deleted.status_code == 204


def test_assign_needs_the_right_and_stays_in_scope(org, customers):
    segment = segment_create(by=org.manager, name="全部意向", definition=INTERESTED)
    shared = segment_create(by=org.owner, name="我的", definition=INTERESTED)

    refused = api_for(org.owner).post(
        f"/api/v1/segments/{shared.pk}/assign/", {"to_user": org.teammate.pk}, format="json"
    )
    done = api_for(org.manager).post(
        f"/api/v1/segments/{segment.pk}/assign/", {"to_user": org.teammate.pk}, format="json"
    )

    assert refused.status_code == 403
    assert done.json() == {"to_move": 2, "already_owned": 1, "read_only": 0}
    assert Customer.objects.filter(status="interested", owner=org.teammate).count() == 3


def test_api_needs_authentication(db):
    assert APIClient().get("/api/v1/segments/").status_code in (401, 403)


def test_a_definition_that_is_not_an_object_is_a_field_error_not_a_server_error(org):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(org.owner)
    response = client.post("/api/v1/segments/", {"name": "x", "definition": [1, 2]}, format="json")
    assert response.status_code == 400
    assert "definition" in response.json()

"""The tag library, tag requests, customer tags, the tag filter and classification over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.utils import timezone

from kehu.customers.models import ShareAccess
from kehu.customers.services import customer_share_set
from kehu.customers.tests.factories import make_customer
from kehu.customers.tests.test_api import api
from kehu.interactions.services import interaction_create
from kehu.tags.models import CustomerTag, Tag, TagStatus
from kehu.tags.services import customer_tag_add, tag_request

TAGS = "/api/v1/tags/"
REQUESTS = "/api/v1/tag-requests/"


def tag(name: str) -> Tag:
    return Tag.objects.get(name_zh=name)


def customer_tags_url(customer, suffix: str = "") -> str:
    return f"/api/v1/customers/{customer.pk}/tags/{suffix}"


@pytest.fixture
def request_by_owner(org):
    return tag_request(
        by=org.owner, tag_type="need", name_zh="跨境结算需求", reason="多家外贸客户提出"
    )


# --- the library ----------------------------------------------------------------------------
def test_library_lists_approved_tags_by_type_in_the_readers_language(org, request_by_owner):
    client = api(org.owner, language="en")

    everything = client.get(TAGS)
    values = client.get(TAGS, {"type": "value"})

    assert everything.status_code == 200
    names = {row["name"] for row in everything.data}
    assert {"High value", "Churn risk", "Prefers phone"} <= names
    assert "跨境结算需求" not in {row["name_zh"] for row in everything.data}
    assert [row["name"] for row in values.data] == ["High value", "Medium value", "Low value"]
    assert {row["exclusive_group"] for row in values.data} == {"value_tier"}
    assert client.get(TAGS, {"type": "colour"}).status_code == 400


def test_library_needs_a_signed_in_user(db):
    assert api().get(TAGS).status_code == 401


# --- tag requests ---------------------------------------------------------------------------
def test_requesting_a_tag_leaves_it_pending_and_out_of_the_library(org):
    client = api(org.owner)

    response = client.post(
        REQUESTS,
        {"tag_type": "need", "name_zh": "跨境结算需求", "name_en": "Cross-border settlement",
         "reason": "多家外贸客户提出"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.data
    assert response.data["status"] == "pending"
    assert response.data["requested_by"] == {"id": org.owner.pk, "name": "张三"}
    assert response.data["reason"] == "多家外贸客户提出"
    assert [r["name_zh"] for r in client.get(REQUESTS).data["results"]] == ["跨境结算需求"]
    assert "跨境结算需求" not in {row["name_zh"] for row in client.get(TAGS).data}


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"tag_type": "need", "name_zh": "跨境结算需求"}, "reason", "Say why"),
        (
            {"tag_type": "value", "name_zh": "高价值", "reason": "重复"},
            "non_field_errors",
            "already",
        ),
        ({"tag_type": "mood", "name_zh": "开心", "reason": "x"}, "tag_type", "valid choice"),
        ({"tag_type": "need", "name_zh": "", "reason": "x"}, "name_zh", "blank"),
    ],
)
def test_bad_tag_request_is_refused_naming_why(org, data, field, words):
    before = Tag.objects.count()

    response = api(org.owner, language="en").post(REQUESTS, data, format="json")

    assert response.status_code == 400
    assert words in " ".join(response.data[field])
    assert Tag.objects.count() == before


def test_pending_requests_are_listed_for_reviewers_only(org, request_by_owner):
    steward = api(org.steward).get(REQUESTS, {"scope": "pending"})
    owner = api(org.owner).get(REQUESTS, {"scope": "pending"})
    teammate_own = api(org.teammate).get(REQUESTS)

    assert steward.status_code == 200
    assert [r["id"] for r in steward.data["results"]] == [request_by_owner.pk]
    assert owner.status_code == 403
    assert teammate_own.data["count"] == 0


def test_steward_approves_and_the_tag_joins_the_library(org, request_by_owner):
    response = api(org.steward).post(
        f"{REQUESTS}{request_by_owner.pk}/approve/", {"note": "通用需求"}, format="json"
    )

    assert response.status_code == 200, response.data
    assert response.data["status"] == "approved"
    assert response.data["reviewed_by"]["id"] == org.steward.pk
    assert "跨境结算需求" in {row["name_zh"] for row in api(org.owner).get(TAGS).data}


def test_rejection_needs_a_reason_and_keeps_it(org, request_by_owner):
    client = api(org.steward, language="en")
    path = f"{REQUESTS}{request_by_owner.pk}/reject/"

    without = client.post(path, {}, format="json")
    request_by_owner.refresh_from_db()
    assert without.status_code == 400
    assert without.data["reason"] == ["Say why the tag is rejected."]
    assert request_by_owner.status == TagStatus.PENDING

    response = client.post(path, {"reason": "与“合规性需求”重复"}, format="json")

    assert response.status_code == 200
    assert (response.data["status"], response.data["review_note"]) == (
        "rejected", "与“合规性需求”重复"
    )  # fmt: skip


def test_steward_cannot_approve_their_own_request(org):
    own = tag_request(by=org.steward, tag_type="need", name_zh="跨境结算需求", reason="外贸客户")

    response = api(org.steward, language="en").post(f"{REQUESTS}{own.pk}/approve/")

    assert response.status_code == 400
    assert response.data["non_field_errors"] == [
        "You cannot approve or reject your own tag request."
    ]
    own.refresh_from_db()
    assert own.status == TagStatus.PENDING


def test_non_reviewers_cannot_decide_and_cannot_see_others_requests(org, request_by_owner):
    path = f"{REQUESTS}{request_by_owner.pk}/"

    own = api(org.owner).post(f"{path}approve/")
    others = api(org.teammate).post(f"{path}approve/")
    peek = api(org.teammate).get(path)

    assert own.status_code == 403
    assert others.status_code == peek.status_code == 404
    request_by_owner.refresh_from_db()
    assert request_by_owner.status == TagStatus.PENDING


def test_a_decided_request_cannot_be_decided_again(org, request_by_owner):
    client = api(org.administrator, language="en")
    client.post(f"{REQUESTS}{request_by_owner.pk}/approve/")

    response = client.post(f"{REQUESTS}{request_by_owner.pk}/reject/", {"reason": "改主意"})

    assert response.status_code == 400
    assert "already been decided" in response.data["non_field_errors"][0]
    assert tag("跨境结算需求").status == TagStatus.APPROVED


# --- a customer's tags ----------------------------------------------------------------------
def test_owner_tags_a_customer_and_added_by_and_time_are_recorded(org, customer):
    client = api(org.owner)

    response = client.post(
        customer_tags_url(customer), {"tag": tag("高价值").pk, "note": "年预算80万"}, format="json"
    )
    listing = client.get(customer_tags_url(customer))

    assert response.status_code == 201, response.data
    assert response.data["tag"]["name_zh"] == "高价值"
    assert response.data["added_by"] == {"id": org.owner.pk, "name": "张三"}
    assert response.data["added_at"]
    assert [(row["tag"]["id"], row["note"]) for row in listing.data] == [
        (tag("高价值").pk, "年预算80万")
    ]


def test_conflicting_tag_is_refused_naming_both_and_nothing_changes(org, customer):
    customer_tag_add(customer=customer, tag=tag("高价值"), by=org.owner)

    response = api(org.owner).post(
        customer_tags_url(customer), {"tag": tag("低价值").pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.data) == ["tag"]
    assert "低价值" in response.data["tag"][0]
    assert "高价值" in response.data["tag"][0]
    assert list(customer.customer_tags.values_list("tag__name_zh", flat=True)) == ["高价值"]


def test_unapproved_tag_is_refused_under_tag(org, customer, request_by_owner):
    response = api(org.owner, language="en").post(
        customer_tags_url(customer), {"tag": request_by_owner.pk}, format="json"
    )

    assert response.status_code == 400
    assert "is not approved yet" in response.data["tag"][0]
    assert CustomerTag.objects.count() == 0


def test_unknown_tag_id_is_refused_under_tag(org, customer):
    response = api(org.owner).post(customer_tags_url(customer), {"tag": 999_999}, format="json")

    assert response.status_code == 400
    assert "tag" in response.data


def test_read_only_teammate_sees_tags_but_cannot_change_them(org, customer):
    customer_share_set(customer=customer, user=org.teammate, access=ShareAccess.READ, by=org.owner)
    customer_tag_add(customer=customer, tag=tag("降低成本"), by=org.owner)
    client = api(org.teammate)

    listing = client.get(customer_tags_url(customer))
    added = client.post(customer_tags_url(customer), {"tag": tag("提升效率").pk}, format="json")
    removed = client.delete(customer_tags_url(customer, f"{tag('降低成本').pk}/"))

    assert listing.status_code == 200
    assert len(listing.data) == 1
    assert (added.status_code, removed.status_code) == (403, 403)
    assert list(customer.customer_tags.values_list("tag__name_zh", flat=True)) == ["降低成本"]


def test_outsider_gets_404_for_a_hidden_customers_tags(org, customer):
    customer_tag_add(customer=customer, tag=tag("降低成本"), by=org.owner)
    client = api(org.outsider)

    responses = [
        client.get(customer_tags_url(customer)),
        client.post(customer_tags_url(customer), {"tag": tag("提升效率").pk}, format="json"),
        client.delete(customer_tags_url(customer, f"{tag('降低成本').pk}/")),
        client.get(f"/api/v1/customers/{customer.pk}/classification/"),
    ]
    missing = client.get("/api/v1/customers/999999/tags/")

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert responses[0].content == missing.content
    assert customer.customer_tags.count() == 1


def test_removing_a_tag(org, customer):
    customer_tag_add(customer=customer, tag=tag("降低成本"), by=org.owner)
    client = api(org.owner)
    path = customer_tags_url(customer, f"{tag('降低成本').pk}/")

    assert client.delete(path).status_code == 204
    assert client.delete(path).status_code == 404
    assert customer.customer_tags.count() == 0


# --- filtering customers by tags ------------------------------------------------------------
@pytest.fixture
def tagged(org, customer):
    """A: high value + cost reduction; B: high value only; C (outsider's): both."""
    b = make_customer(owner=org.owner, name="苏州恒瑞电子科技有限公司")
    c = make_customer(owner=org.outsider, name="天津海河物流有限公司")
    for target, by, names in (
        (customer, org.owner, ("高价值", "降低成本")),
        (b, org.owner, ("高价值",)),
        (c, org.outsider, ("高价值", "降低成本")),
    ):
        for name in names:
            customer_tag_add(customer=target, tag=tag(name), by=by)
    return {"a": customer, "b": b, "c": c}


def test_customer_filter_by_tags_keeps_those_with_all_of_them(org, tagged):
    client = api(org.owner)
    high, cost = tag("高价值").pk, tag("降低成本").pk

    def names(query: str) -> set[str]:
        response = client.get(f"/api/v1/customers/?{query}")
        assert response.status_code == 200, response.data
        return {row["name"] for row in response.data["results"]}

    assert names(f"tags={high}") == {tagged["a"].name, tagged["b"].name}
    assert names(f"tags={high}&tags={cost}") == {tagged["a"].name}
    assert names(f"tags={high},{cost}") == {tagged["a"].name}
    assert names(f"tags={tag('低价值').pk}") == set()
    assert client.get("/api/v1/customers/", {"tags": "abc"}).status_code == 400


def test_tag_filter_never_reaches_past_the_data_scope(org, tagged):
    response = api(org.outsider).get(
        "/api/v1/customers/", {"tags": f"{tag('高价值').pk},{tag('降低成本').pk}"}
    )

    assert [row["name"] for row in response.data["results"]] == [tagged["c"].name]


# --- classification -------------------------------------------------------------------------
def test_classification_is_empty_until_computed(org, customer):
    response = api(org.owner).get(f"/api/v1/customers/{customer.pk}/classification/")

    assert response.status_code == 200
    assert response.data["interaction_frequency"] is None
    assert response.data["reasons"] == []


def test_classification_shows_levels_with_their_reasons(
    org, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for minutes in range(4):
            interaction_create(
                customer=customer, by=org.owner, method="email", topic="回访", summary="邮件跟进",
                feedback="interested",
                occurred_at=timezone.now() - dt.timedelta(days=1, minutes=minutes),
            )  # fmt: skip

    response = api(org.manager, language="en").get(
        f"/api/v1/customers/{customer.pk}/classification/"
    )

    assert response.status_code == 200
    body = response.data
    assert (body["interaction_frequency"], body["channel_preference"]) == ("medium", "email")
    assert body["computed_at"] is not None
    reasons = {row["dimension"]: row for row in body["reasons"]}
    assert reasons["Interaction frequency"]["reason"] == (
        "4 interactions in the last 90 days → Medium"
    )
    assert reasons["Channel preference"]["level"] == "Email"
    assert set(reasons) == {
        "Interaction frequency", "Channel preference", "Years of cooperation",
        "Annual budget level",
    }  # fmt: skip


# --- schema ---------------------------------------------------------------------------------
def test_schema_documents_the_tag_endpoints_and_the_tag_filter(org):
    schema = yaml.safe_load(api(org.owner).get("/api/schema/").content)
    paths = schema["paths"]

    for path in (
        TAGS,
        REQUESTS,
        "/api/v1/tag-requests/{id}/approve/",
        "/api/v1/tag-requests/{id}/reject/",
        "/api/v1/customers/{id}/classification/",
    ):
        assert path in paths, path
    assert {"get", "post"} <= set(paths["/api/v1/customers/{id}/tags/"])
    assert "delete" in paths["/api/v1/customers/{id}/tags/{tag_id}/"]
    tags = next(p for p in paths["/api/v1/customers/"]["get"]["parameters"] if p["name"] == "tags")
    assert tags["schema"] == {"type": "array", "items": {"type": "integer"}}


def test_two_tags_are_read_as_all_their_ids_and_counted_exactly_without_a_count(
    org, tagged, settings, client
):
    """The customers carrying every tag are computed before the scan: on PostgreSQL their
    ids are read once, as the page and the exact count; on SQLite the page is counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.KEHU_LIST_PAGE_SIZE = 1
    high, cost = tag("高价值").pk, tag("降低成本").pk
    extra = make_customer(owner=org.owner, name="苏州第二精工机械有限公司")
    for name in ("高价值", "降低成本"):
        customer_tag_add(customer=extra, tag=tag(name), by=org.owner)
    client.force_login(org.owner)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/customers/?tags={high},{cost}")
    html = response.content.decode()
    assert 'data-count="2"' in html
    assert "data-count-estimated" not in html
    counts = [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == (0 if connection.vendor == "postgresql" else 1)
    api_page = api(org.owner).get(f"/api/v1/customers/?tags={high}&tags={cost}&page_size=1")
    assert (api_page.data["count"], api_page.data["count_exact"]) == (2, True)
    assert len(api_page.data["results"]) == 1


def test_only_two_or_more_tags_read_all_ids():
    from django.http import QueryDict

    from kehu.customers.filters import CustomerFilter

    for query in ("tags=1,2", "tags=1&tags=2", "tags=3,1,2&q=x"):
        assert CustomerFilter.reads_all_ids(QueryDict(query)), query
    for query in ("", "tags=1", "tags=1,1", "tags=1&tags=1", "tags=,", "q=hengrui"):
        assert not CustomerFilter.reads_all_ids(QueryDict(query)), query

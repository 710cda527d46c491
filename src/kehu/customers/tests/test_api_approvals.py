"""Status changes and the approvals inbox over HTTP: a reason every time, approval for 成交/流失.

Customer A belongs to the owner (East sales group, head: the manager); the teammate has a
read-only place in its team; the outsider (North) does not see it.
"""

from __future__ import annotations

import pytest
import yaml

from kehu.customers.approvals import customer_change_status
from kehu.customers.models import ShareAccess, StatusChange, StatusChangeState
from kehu.customers.services import customer_share_set
from kehu.customers.tests.test_api import api
from kehu.interactions.models import Notification

APPROVALS = "/api/v1/approvals/"


def change_url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/status-change/"


def history_url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/status-changes/"


@pytest.fixture
def shared(customer, org):
    customer_share_set(customer=customer, user=org.teammate, access=ShareAccess.READ, by=org.owner)
    return customer


@pytest.fixture
def pending(org, shared):
    """The owner asked to mark customer A as a closed deal; the manager is to decide."""
    return customer_change_status(
        customer=shared, to="customer", reason="签订年度合同", by=org.owner
    )


def test_ordinary_change_applies_at_once_with_the_reason_in_the_remarks(org, customer):
    client = api(org.owner)

    response = client.post(
        change_url(customer), {"to_status": "prospect", "reason": "客户预算冻结，需重新培育"}
    )

    assert response.status_code == 201, response.data
    assert response.data["state"] == "applied"
    assert (response.data["from_status"], response.data["to_status"]) == ("interested", "prospect")
    customer.refresh_from_db()
    assert customer.status == "prospect"
    assert "客户预算冻结，需重新培育" in customer.remarks
    assert [row["id"] for row in client.get(history_url(customer)).data] == [response.data["id"]]


def test_change_to_a_closed_deal_waits_for_the_department_head(org, customer):
    response = api(org.owner).post(
        change_url(customer), {"to_status": "customer", "reason": "签订年度合同"}
    )

    assert response.status_code == 201
    assert response.data["state"] == "pending"
    assert response.data["approver"] == {"id": org.manager.pk, "name": "王经理"}
    customer.refresh_from_db()
    assert customer.status == "interested"
    inbox = api(org.manager).get(APPROVALS).data
    assert [row["id"] for row in inbox["results"]] == [response.data["id"]]
    assert api(org.owner).get(APPROVALS).data["count"] == 0


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"to_status": "prospect"}, "reason", "Give the reason"),
        ({"to_status": "prospect", "reason": "  "}, "reason", "Give the reason"),
        ({"to_status": "interested", "reason": "没有变化"}, "to_status", "already has"),
        ({"to_status": "vip", "reason": "升级为大客户"}, "to_status", "valid choice"),
        ({"reason": "签订年度合同"}, "to_status", "required"),
    ],
)
def test_bad_status_change_is_refused_naming_why_and_nothing_changes(
    org, customer, data, field, words
):
    response = api(org.owner, language="en").post(change_url(customer), data)

    assert response.status_code == 400
    assert words in " ".join(response.data[field])
    customer.refresh_from_db()
    assert (customer.status, customer.remarks) == ("interested", "")
    assert StatusChange.objects.count() == 0


def test_second_request_while_one_is_pending_is_refused(org, pending):
    response = api(org.owner, language="en").post(
        change_url(pending.customer), {"to_status": "lost", "reason": "客户转向竞品"}
    )

    assert response.status_code == 400
    assert "already awaiting approval" in response.data["to_status"][0]
    assert StatusChange.objects.count() == 1


def test_outsider_gets_404_everywhere_for_a_hidden_customers_status(org, pending):
    client = api(org.outsider)
    customer = pending.customer

    responses = [
        client.post(change_url(customer), {"to_status": "lost", "reason": "客户转向竞品"}),
        client.get(history_url(customer)),
        client.get(f"{APPROVALS}{pending.pk}/"),
        client.post(f"{APPROVALS}{pending.pk}/approve/"),
        client.post(f"{APPROVALS}{pending.pk}/reject/", {"note": "不同意"}),
    ]
    missing = client.get(f"{APPROVALS}999999/")

    assert [r.status_code for r in responses] == [404] * 5
    assert responses[2].content == missing.content
    assert client.get(APPROVALS).data["count"] == 0
    pending.refresh_from_db()
    assert pending.state == StatusChangeState.PENDING


def test_read_only_teammate_sees_the_history_but_cannot_change_or_decide(org, pending):
    client = api(org.teammate)
    customer = pending.customer

    history = client.get(history_url(customer))
    changed = client.post(change_url(customer), {"to_status": "prospect", "reason": "重新培育"})
    approved = client.post(f"{APPROVALS}{pending.pk}/approve/")

    assert history.status_code == 200
    assert [row["state"] for row in history.data] == ["pending"]
    assert (changed.status_code, approved.status_code) == (403, 403)
    customer.refresh_from_db()
    assert customer.status == "interested"
    pending.refresh_from_db()
    assert pending.state == StatusChangeState.PENDING


def test_head_approves_and_the_status_changes_with_the_approver_in_the_remarks(org, pending):
    response = api(org.manager).post(
        f"{APPROVALS}{pending.pk}/approve/", {"note": "合同已核对"}, format="json"
    )

    assert response.status_code == 200, response.data
    assert response.data["state"] == "approved"
    assert response.data["decided_by"]["id"] == org.manager.pk
    assert response.data["decision_note"] == "合同已核对"
    customer = pending.customer
    customer.refresh_from_db()
    assert customer.status == "customer"
    assert "签订年度合同" in customer.remarks
    assert "王经理" in customer.remarks
    assert Notification.objects.filter(recipient=org.owner).exists()
    assert api(org.manager).get(APPROVALS).data["count"] == 0


def test_requester_cannot_approve_their_own_request(org, pending):
    response = api(org.owner, language="en").post(f"{APPROVALS}{pending.pk}/approve/")

    assert response.status_code == 400
    assert response.data["non_field_errors"] == ["You cannot approve or reject your own request."]
    pending.refresh_from_db()
    assert pending.state == StatusChangeState.PENDING
    pending.customer.refresh_from_db()
    assert pending.customer.status == "interested"


def test_rejection_needs_a_note_and_leaves_the_status(org, pending):
    client = api(org.manager, language="en")
    path = f"{APPROVALS}{pending.pk}/reject/"

    without = client.post(path, {})
    with_note = client.post(path, {"note": "合同尚未盖章"})

    assert without.status_code == 400
    assert without.data["note"] == ["Say why the request is rejected."]
    assert with_note.status_code == 200
    assert (with_note.data["state"], with_note.data["decision_note"]) == (
        "rejected",
        "合同尚未盖章",
    )
    pending.customer.refresh_from_db()
    assert pending.customer.status == "interested"


def test_a_decided_request_cannot_be_decided_again(org, pending):
    client = api(org.manager, language="en")
    client.post(f"{APPROVALS}{pending.pk}/reject/", {"note": "合同尚未盖章"})

    response = client.post(f"{APPROVALS}{pending.pk}/approve/")

    assert response.status_code == 400
    assert "already been decided" in response.data["non_field_errors"][0]
    pending.customer.refresh_from_db()
    assert pending.customer.status == "interested"


def test_administrator_sees_every_pending_request_and_may_decide(org, pending):
    client = api(org.administrator)

    inbox = client.get(APPROVALS)
    response = client.post(f"{APPROVALS}{pending.pk}/approve/")

    assert [row["id"] for row in inbox.data["results"]] == [pending.pk]
    assert response.status_code == 200
    assert response.data["state"] == "approved"


def test_status_change_needs_a_signed_in_user(customer):
    response = api().post(change_url(customer), {"to_status": "lost", "reason": "客户转向竞品"})

    assert response.status_code == 401
    assert StatusChange.objects.count() == 0


def test_schema_documents_status_changes_and_approvals(org):
    schema = yaml.safe_load(api(org.owner).get("/api/schema/").content)
    paths = schema["paths"]

    assert "post" in paths["/api/v1/customers/{id}/status-change/"]
    assert "get" in paths["/api/v1/customers/{id}/status-changes/"]
    for path in (APPROVALS, "/api/v1/approvals/{id}/approve/", "/api/v1/approvals/{id}/reject/"):
        assert path in paths, path
    state = schema["components"]["schemas"]["StatusChangeState"]
    assert state["enum"] == ["pending", "approved", "rejected", "applied"]

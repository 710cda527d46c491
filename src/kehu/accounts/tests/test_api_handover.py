"""离职交接 over HTTP: who may ask, who confirms, what moves, and the report."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.utils import timezone

from kehu.accounts.models import Handover, HandoverState
from kehu.accounts.services import handover_request
from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.customers.tests.test_api import api
from kehu.interactions.models import Task
from kehu.interactions.services import interaction_create

HANDOVERS = "/api/v1/handovers/"


@pytest.fixture
def departing(org):
    """The owner with two customers and an interaction whose next action is an open task."""
    first = make_customer(owner=org.owner, name="上海东方精密机械有限公司")
    make_customer(owner=org.owner, name="苏州恒瑞电子科技有限公司")
    interaction_create(
        customer=first, by=org.owner, occurred_at=timezone.now(), method="phone", topic="回访",
        summary="电话回访", feedback="interested", next_action="发送报价",
        next_action_owner=org.owner, next_action_due=timezone.now() + dt.timedelta(days=2),
    )  # fmt: skip
    return org


@pytest.fixture
def asked(departing):
    """The administrator asked to hand the owner's work to the teammate."""
    org = departing
    return handover_request(
        from_user=org.owner, to_user=org.teammate, by=org.administrator, deactivate=True
    )


def test_administrator_asks_and_nothing_moves_before_the_head_confirms(departing):
    org = departing

    response = api(org.administrator).post(
        HANDOVERS,
        {"from_user": org.owner.pk, "to_user": org.teammate.pk, "deactivate": True,
         "note": "张三离职"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.data
    body = response.data
    assert body["state"] == "pending"
    assert body["approver"] == {"id": org.manager.pk, "name": "王经理"}
    assert body["report"] is None
    assert Customer.objects.filter(owner=org.owner).count() == 2


def test_head_confirms_and_the_report_lists_what_moved(departing, asked):
    org = departing

    response = api(org.manager).post(f"{HANDOVERS}{asked.pk}/confirm/")

    assert response.status_code == 200, response.data
    assert response.data["state"] == "done"
    report = response.data["report"]
    assert (report["customers"], report["contacts"], report["interactions"], report["tasks"]) == (
        2, 2, 1, 1
    )  # fmt: skip
    assert report["deactivated"] is True
    assert len(report["customer_codes"]) == 2
    assert Customer.objects.filter(owner=org.teammate).count() == 2
    assert Task.objects.get().assignee == org.teammate
    org.owner.refresh_from_db()
    assert not org.owner.is_active
    assert api(org.administrator).get(f"{HANDOVERS}{asked.pk}/").data["report"] == report


def test_head_asking_confirms_at_once(departing):
    org = departing

    response = api(org.manager).post(
        HANDOVERS, {"from_user": org.owner.pk, "to_user": org.teammate.pk}, format="json"
    )

    assert response.status_code == 201
    assert response.data["state"] == "done"
    assert response.data["report"]["customers"] == 2
    org.owner.refresh_from_db()
    assert org.owner.is_active


def test_sales_rep_cannot_ask_for_a_handover(departing):
    org = departing

    response = api(org.teammate).post(
        HANDOVERS, {"from_user": org.owner.pk, "to_user": org.teammate.pk}, format="json"
    )

    assert response.status_code == 403
    assert Handover.objects.count() == 0


@pytest.mark.parametrize(
    ("to_user", "field", "words"),
    [
        ("owner", "to_user", "different user"),
        ("inactive", "to_user", "must be active"),
        (999_999, "to_user", "does not exist"),
    ],
)
def test_bad_handover_is_refused_naming_why(departing, to_user, field, words):
    org = departing
    if to_user == "inactive":
        org.outsider.is_active = False
        org.outsider.save()
        to_user = org.outsider.pk
    elif to_user == "owner":
        to_user = org.owner.pk

    response = api(org.administrator, language="en").post(
        HANDOVERS, {"from_user": org.owner.pk, "to_user": to_user}, format="json"
    )

    assert response.status_code == 400
    assert words in " ".join(response.data[field])
    assert Handover.objects.count() == 0


def test_only_the_head_confirms_and_others_do_not_see_it(departing, asked):
    org = departing

    by_requester = api(org.administrator).post(f"{HANDOVERS}{asked.pk}/confirm/")
    by_departing = api(org.owner).post(f"{HANDOVERS}{asked.pk}/confirm/")
    by_outsider = api(org.outsider).get(f"{HANDOVERS}{asked.pk}/")

    assert by_requester.status_code == 403
    assert by_departing.status_code == by_outsider.status_code == 404
    asked.refresh_from_db()
    assert asked.state == HandoverState.PENDING
    assert Customer.objects.filter(owner=org.owner).count() == 2


def test_list_shows_handovers_asked_or_to_confirm(departing, asked):
    org = departing

    def ids(user) -> list[int]:
        response = api(user).get(HANDOVERS)
        assert response.status_code == 200
        return [row["id"] for row in response.data["results"]]

    assert ids(org.manager) == [asked.pk]  # to confirm
    assert ids(org.administrator) == [asked.pk]  # asked (and administrators see all)
    assert ids(org.outsider) == []
    assert ids(org.owner) == []


def test_rejected_handover_moves_nothing(departing, asked):
    org = departing

    response = api(org.manager).post(
        f"{HANDOVERS}{asked.pk}/reject/", {"note": "张三暂不离职"}, format="json"
    )
    again = api(org.manager, language="en").post(f"{HANDOVERS}{asked.pk}/confirm/")

    assert response.status_code == 200
    assert (response.data["state"], response.data["note"]) == ("rejected", "张三暂不离职")
    assert again.status_code == 400
    assert "already been decided" in again.data["non_field_errors"][0]
    assert Customer.objects.filter(owner=org.owner).count() == 2
    org.owner.refresh_from_db()
    assert org.owner.is_active


def test_schema_documents_handovers_and_the_report(org):
    schema = yaml.safe_load(api(org.owner).get("/api/schema/").content)

    assert {"get", "post"} <= set(schema["paths"][HANDOVERS])
    assert "/api/v1/handovers/{id}/confirm/" in schema["paths"]
    assert "/api/v1/handovers/{id}/reject/" in schema["paths"]
    report = schema["components"]["schemas"]["HandoverReport"]["properties"]
    assert {"customers", "contacts", "interactions", "tasks", "deactivated"} <= set(report)

"""The interaction, task, notification and timeliness API through HTTP: scope, rights, input.

Customer A belongs to the owner (East sales group); the teammate has a read-only place in its
team; the manager sees it through the reporting line; the outsider (North) does not see it.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.customers.models import Customer, ShareAccess
from kehu.customers.services import customer_share_set
from kehu.customers.tests.test_api import api
from kehu.interactions.models import CalendarFeed, Interaction, Notification, Task, TaskStatus
from kehu.interactions.services import interaction_create, notification_create, task_create

INTERACTIONS = "/api/v1/interactions/"
TASKS = "/api/v1/tasks/"
NOTIFICATIONS = "/api/v1/notifications/"
TIMELINESS = "/api/v1/reports/timeliness/"


@pytest.fixture
def shared(customer, org):
    """Customer A with the teammate in its team, read-only."""
    customer_share_set(customer=customer, user=org.teammate, access=ShareAccess.READ, by=org.owner)
    return customer


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def soon(days: int = 2) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def interaction_payload(customer, **overrides) -> dict:
    data = {
        "customer": customer.pk,
        "occurred_at": iso(timezone.now() - dt.timedelta(hours=2)),
        "method": "visit",
        "topic": "产品A方案演示",
        "summary": "客户表示“预算控制在20万以内”，我方回应可提供基础版方案。",
        "feedback": "needs_info",
    }
    data.update(overrides)
    return data


def log(customer, by, **overrides) -> Interaction:
    data = {
        "occurred_at": timezone.now() - dt.timedelta(hours=2),
        "method": "phone",
        "topic": "回访",
        "summary": "电话回访，客户在比较方案",
        "feedback": "interested",
    }
    data.update(overrides)
    return interaction_create(customer=customer, by=by, **data)


def make_task(customer, by, assignee, **overrides) -> Task:
    data = {"title": "发送报价", "due_at": soon()}
    data.update(overrides)
    return task_create(customer=customer, by=by, assignee=assignee, **data)


# --- interactions ---------------------------------------------------------------------------
def test_logging_an_interaction_with_a_next_action_creates_the_owners_task(
    org, customer, django_capture_on_commit_callbacks
):
    due = soon(3)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(org.owner).post(
            INTERACTIONS,
            interaction_payload(
                customer,
                next_action="准备金融行业案例集并发送邮件",
                next_action_owner=org.owner.pk,
                next_action_due=iso(due),
            ),
            format="json",
        )

    assert response.status_code == 201, response.data
    body = response.data
    assert body["code"] == f"HD{customer.code}0001"
    assert body["is_late"] is False
    assert body["customer"] == {"id": customer.pk, "code": customer.code, "name": customer.name}
    assert body["follower"] == {"id": org.owner.pk, "name": "张三"}
    assert body["next_action_owner"] == {"id": org.owner.pk, "name": "张三"}
    assert body["next_action"] == "准备金融行业案例集并发送邮件"
    mine = api(org.owner).get(TASKS).data["results"]
    assert [(t["title"], t["interaction"]) for t in mine] == [
        ("准备金融行业案例集并发送邮件", body["id"])
    ]
    assert customer.classification.interaction_frequency == "low"  # the job ran on commit


def test_an_interaction_entered_more_than_a_day_later_is_marked_late(org, customer):
    occurred = timezone.now() - dt.timedelta(hours=30)

    response = api(org.owner).post(
        INTERACTIONS, interaction_payload(customer, occurred_at=iso(occurred)), format="json"
    )

    assert response.status_code == 201
    assert response.data["is_late"] is True


def test_outsider_cannot_log_on_a_hidden_customer_and_is_told_as_for_a_missing_one(org, customer):
    client = api(org.outsider, language="en")

    hidden = client.post(INTERACTIONS, interaction_payload(customer), format="json")
    missing = client.post(INTERACTIONS, interaction_payload(Customer(pk=999_999)), format="json")

    assert hidden.status_code == missing.status_code == 400
    assert list(hidden.data) == ["customer"]
    assert hidden.data["customer"] == [
        f"No customer with id {customer.pk} (or it is outside your data scope)."
    ]
    assert Interaction.objects.count() == 0


def test_outsider_sees_no_interaction_of_a_hidden_customer(org, customer):
    interaction = log(customer, org.owner)
    client = api(org.outsider)

    listing = client.get(INTERACTIONS, {"customer": customer.pk})
    detail = client.get(f"{INTERACTIONS}{interaction.pk}/")
    missing = client.get(f"{INTERACTIONS}999999/")

    assert listing.status_code == 200
    assert listing.data["count"] == 0
    assert detail.status_code == missing.status_code == 404
    assert detail.content == missing.content


@pytest.mark.parametrize(
    ("user", "expected"), [("owner", 1), ("teammate", 1), ("manager", 1), ("outsider", 0)]
)
def test_interaction_list_follows_the_customers_visibility(org, shared, user, expected):
    log(shared, org.owner)

    response = api(getattr(org, user), auth="session").get(INTERACTIONS)

    assert response.status_code == 200
    assert response.data["count"] == expected


def test_interactions_cannot_be_changed_or_deleted(org, customer):
    interaction = log(customer, org.owner)
    client = api(org.owner)
    path = f"{INTERACTIONS}{interaction.pk}/"

    responses = [
        client.put(path, interaction_payload(customer, topic="改"), format="json"),
        client.patch(path, {"topic": "改"}, format="json"),
        client.delete(path),
    ]

    assert [r.status_code for r in responses] == [405, 405, 405]
    interaction.refresh_from_db()
    assert interaction.topic == "回访"


def test_interaction_filters(org, customer):
    first = log(customer, org.owner, method="visit", feedback="interested")
    log(customer, org.owner, method="email", feedback="refused", follower=org.manager)
    old = log(
        customer, org.owner, occurred_at=timezone.now() - dt.timedelta(days=10), feedback="not_now"
    )
    client = api(org.owner)

    def codes(**params):
        response = client.get(INTERACTIONS, params)
        assert response.status_code == 200, response.data
        return {row["code"] for row in response.data["results"]}

    today = timezone.localdate()
    assert codes(method="visit") == {first.code}
    assert codes(feedback="not_now") == {old.code}
    assert len(codes(follower=org.manager.pk)) == 1
    assert old.code not in codes(occurred_from=str(today - dt.timedelta(days=1)))
    assert codes(occurred_to=str(today - dt.timedelta(days=9))) == {old.code}
    assert len(codes(customer=customer.pk)) == 3
    assert client.get(INTERACTIONS, {"method": "fax"}).status_code == 400


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"next_action": "回访"}, "next_action_owner", "Choose who"),
        ({"next_action": "回访"}, "next_action_due", "due date"),
        ({"topic": ""}, "topic", "blank"),
        ({"method": "fax"}, "method", "valid choice"),
    ],
)
def test_bad_interaction_input_is_refused_naming_the_field(org, customer, overrides, field, words):
    response = api(org.owner, language="en").post(
        INTERACTIONS, interaction_payload(customer, **overrides), format="json"
    )

    assert response.status_code == 400
    assert words in " ".join(response.data[field])
    assert Interaction.objects.count() == Task.objects.count() == 0


def test_next_action_due_in_the_past_is_refused_and_nothing_is_saved(org, customer):
    response = api(org.owner, language="en").post(
        INTERACTIONS,
        interaction_payload(
            customer,
            next_action="回访",
            next_action_owner=org.owner.pk,
            next_action_due=iso(timezone.now() - dt.timedelta(days=1)),
        ),
        format="json",
    )

    assert response.status_code == 400
    assert response.data["next_action_due"] == ["The due date is in the past."]
    assert Interaction.objects.count() == Task.objects.count() == 0


def test_next_action_owner_who_cannot_see_the_customer_is_refused_by_name(org, customer):
    response = api(org.owner, language="en").post(
        INTERACTIONS,
        interaction_payload(
            customer, next_action="回访", next_action_owner=org.outsider.pk,
            next_action_due=iso(soon()),
        ),
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert response.data["next_action_owner"] == [
        "赵六 cannot see this customer, so cannot own its next action."
    ]
    assert Interaction.objects.count() == Task.objects.count() == 0


def test_interaction_list_query_count_does_not_grow_with_the_page(org, customer):
    client = api(org.owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INTERACTIONS).status_code == 200
        return len(captured)

    log(customer, org.owner, next_action="回访", next_action_owner=org.owner,
        next_action_due=soon())  # fmt: skip
    few = queries()
    for _ in range(8):
        log(customer, org.owner, next_action="回访", next_action_owner=org.owner,
            next_action_due=soon())  # fmt: skip
    assert queries() == few


# --- tasks ----------------------------------------------------------------------------------
def test_task_for_a_colleague_is_theirs_and_notifies_them(org, shared):
    response = api(org.owner).post(
        TASKS,
        {"customer": shared.pk, "title": "寄送样品", "assignee": org.teammate.pk,
         "due_at": iso(soon())},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.data
    assert response.data["assignee"] == {"id": org.teammate.pk, "name": "李四"}
    assert response.data["status"] == "open"
    theirs = api(org.teammate).get(TASKS).data
    assert [t["title"] for t in theirs["results"]] == ["寄送样品"]
    assert api(org.owner).get(TASKS).data["count"] == 0  # not the creator's by default
    assert Notification.objects.filter(recipient=org.teammate).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"due_at": "past"}, "due_at", "The due date is in the past."),
        ({"assignee": "outsider"}, "assignee", "赵六 cannot see this customer"),
        ({"title": ""}, "title", "Say what the next action is."),
    ],
)
def test_bad_task_input_is_refused_naming_why(org, customer, overrides, field, message):
    data = {"customer": customer.pk, "title": "寄送样品", "assignee": org.owner.pk,
            "due_at": iso(soon())}  # fmt: skip
    data.update(overrides)
    if data["due_at"] == "past":
        data["due_at"] = iso(timezone.now() - dt.timedelta(hours=3))
    if data["assignee"] == "outsider":
        data["assignee"] = org.outsider.pk

    response = api(org.owner, language="en").post(TASKS, data, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.data[field])
    assert Task.objects.count() == 0


def test_outsider_cannot_create_see_or_change_a_hidden_customers_task(org, customer):
    task = make_task(customer, org.owner, org.owner)
    client = api(org.outsider)
    path = f"{TASKS}{task.pk}/"

    created = client.post(
        TASKS,
        {"customer": customer.pk, "title": "x", "assignee": org.outsider.pk, "due_at": iso(soon())},
        format="json",
    )
    responses = [
        client.get(path),
        client.post(f"{path}complete/"),
        client.post(f"{path}reopen/"),
        client.post(f"{path}reassign/", {"assignee": org.outsider.pk}),
    ]

    assert created.status_code == 400
    assert list(created.data) == ["customer"]
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert client.get(TASKS, {"scope": "visible"}).data["count"] == 0
    task.refresh_from_db()
    assert (task.status, task.assignee, Task.objects.count()) == ("open", org.owner, 1)


def test_read_only_teammate_sees_the_task_but_cannot_change_it(org, shared):
    task = make_task(shared, org.owner, org.owner)
    client = api(org.teammate)
    path = f"{TASKS}{task.pk}/"

    assert client.get(path).status_code == 200
    assert client.post(f"{path}complete/").status_code == 403
    assert client.post(f"{path}reassign/", {"assignee": org.teammate.pk}).status_code == 403
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("open", org.owner)


def test_assignee_completes_reopens_and_reassigns(org, shared):
    task = make_task(shared, org.owner, org.owner)
    client = api(org.owner)
    path = f"{TASKS}{task.pk}/"
    new_due = soon(5)

    done = client.post(f"{path}complete/")
    again = client.post(f"{path}complete/")
    reopened = client.post(f"{path}reopen/")
    reassigned = client.post(
        f"{path}reassign/", {"assignee": org.teammate.pk, "due_at": iso(new_due)}, format="json"
    )

    assert done.status_code == 200
    assert done.data["status"] == "done"
    assert done.data["done_at"] is not None
    assert again.status_code == 400
    assert "non_field_errors" in again.data
    assert reopened.data["status"] == "open"
    assert reassigned.status_code == 200, reassigned.data
    assert reassigned.data["assignee"]["id"] == org.teammate.pk
    task.refresh_from_db()
    assert (task.status, task.assignee, task.due_at) == ("open", org.teammate, new_due)


def test_reassigning_to_someone_who_cannot_see_the_customer_changes_nothing(org, customer):
    task = make_task(customer, org.owner, org.owner)

    response = api(org.owner, language="en").post(
        f"{TASKS}{task.pk}/reassign/", {"assignee": org.outsider.pk}, format="json"
    )

    assert response.status_code == 400
    assert "赵六 cannot see this customer" in response.data["assignee"][0]
    task.refresh_from_db()
    assert task.assignee == org.owner


def test_task_scope_status_and_due_filters(org, customer):
    soon_task = make_task(customer, org.owner, org.owner, title="明天", due_at=soon(1))
    later = make_task(customer, org.owner, org.owner, title="下周", due_at=soon(8))
    Task.objects.filter(pk=later.pk).update(status=TaskStatus.DONE)
    manager = api(org.manager)
    owner = api(org.owner)

    def titles(client, **params):
        response = client.get(TASKS, params)
        assert response.status_code == 200, response.data
        return {row["title"] for row in response.data["results"]}

    assert titles(owner) == {"明天", "下周"}
    assert titles(owner, status="open") == {"明天"}
    assert titles(owner, due_to=str(timezone.localdate(soon(2)))) == {"明天"}
    assert titles(owner, due_from=str(timezone.localdate(soon(5)))) == {"下周"}
    assert titles(manager) == set()  # none assigned to the manager
    assert titles(manager, scope="visible") == {"明天", "下周"}
    assert titles(api(org.outsider), scope="visible") == set()
    assert manager.get(TASKS, {"scope": "everything"}).status_code == 400
    assert soon_task.pk in {row["id"] for row in owner.get(TASKS).data["results"]}


@pytest.mark.parametrize("user", ["service", "administrator", "steward"])
def test_company_wide_readers_see_every_task_not_only_their_own(org, customer, user):
    make_task(customer, org.owner, org.owner)
    reader = getattr(org, user)
    make_task(customer, org.administrator, org.administrator, title="管理员的任务")

    response = api(reader).get(TASKS, {"scope": "visible"})

    assert response.data["count"] == 2


def test_calendar_url_is_secret_stable_and_can_be_replaced(org):
    client = api(org.owner)

    first = client.get(f"{TASKS}calendar-url/")
    again = client.get(f"{TASKS}calendar-url/")
    token = CalendarFeed.objects.get(user=org.owner).token
    replaced = client.post(f"{TASKS}calendar-url/regenerate/")
    new_token = CalendarFeed.objects.get(user=org.owner).token

    assert first.status_code == replaced.status_code == 200
    assert first.data == again.data
    assert token in first.data["url"]
    assert first.data["url"].startswith("http")
    assert new_token != token
    assert new_token in replaced.data["url"]
    assert token not in replaced.data["url"]


def test_calendar_url_needs_a_signed_in_user(db):
    assert api().get(f"{TASKS}calendar-url/").status_code == 401
    assert CalendarFeed.objects.count() == 0


# --- notifications --------------------------------------------------------------------------
def test_notifications_are_the_users_own_and_can_be_marked_read(org):
    first = notification_create(recipient=org.owner, title="任务到期：发送报价")
    notification_create(recipient=org.owner, title="审批通过")
    others = notification_create(recipient=org.teammate, title="李四的提醒")
    client = api(org.owner)

    listing = client.get(NOTIFICATIONS)
    count_before = client.get(f"{NOTIFICATIONS}unread-count/").data["count"]
    read = client.post(f"{NOTIFICATIONS}{first.pk}/read/")
    unread = client.get(NOTIFICATIONS, {"unread": "true"})
    not_mine = client.post(f"{NOTIFICATIONS}{others.pk}/read/")

    assert {n["title"] for n in listing.data["results"]} == {"任务到期：发送报价", "审批通过"}
    assert count_before == 2
    assert read.status_code == 200
    assert read.data["is_read"] is True
    assert [n["title"] for n in unread.data["results"]] == ["审批通过"]
    assert client.get(f"{NOTIFICATIONS}unread-count/").data["count"] == 1
    assert not_mine.status_code == 404
    others.refresh_from_db()
    assert others.read_at is None


def test_mark_all_read_counts_what_was_unread_and_touches_only_mine(org):
    for title in ("一", "二", "三"):
        notification_create(recipient=org.owner, title=title)
    notification_create(recipient=org.teammate, title="四")

    response = api(org.owner).post(f"{NOTIFICATIONS}read-all/")

    assert response.data == {"count": 3}
    assert api(org.owner).get(f"{NOTIFICATIONS}unread-count/").data == {"count": 0}
    assert Notification.objects.get(title="四").read_at is None


# --- timeliness -----------------------------------------------------------------------------
@pytest.fixture
def logged(org, customer):
    """Two interactions by the owner on customer A: one on time, one entered 30 h late."""
    log(customer, org.owner)
    log(customer, org.owner, occurred_at=timezone.now() - dt.timedelta(hours=30))
    return customer


def test_timeliness_per_user_counts_late_entries(org, logged):
    response = api(org.manager).get(TIMELINESS)

    assert response.status_code == 200
    assert response.data == [{"label": "张三", "total": 2, "on_time": 1, "late": 1, "rate": 0.5}]


def test_timeliness_per_team_rolls_up_the_department_tree(org, logged):
    rows = api(org.administrator).get(TIMELINESS, {"group": "team"}).data

    assert {row["label"]: row["total"] for row in rows} == {
        "总公司": 2, "销售部": 2, "华东销售组": 2
    }  # fmt: skip


def test_timeliness_counts_only_interactions_the_viewer_may_see(org, logged):
    assert api(org.outsider).get(TIMELINESS).data == []
    assert api(org.outsider).get(TIMELINESS, {"group": "team"}).data == []


def test_timeliness_period_and_bad_parameters(org, logged):
    client = api(org.manager)
    tomorrow = str(timezone.localdate() + dt.timedelta(days=1))

    assert client.get(TIMELINESS, {"since": tomorrow}).data == []
    assert client.get(TIMELINESS, {"until": tomorrow}).data[0]["total"] == 2
    assert client.get(TIMELINESS, {"group": "planet"}).status_code == 400
    assert client.get(TIMELINESS, {"since": "yesterday"}).status_code == 400
    bad_range = client.get(TIMELINESS, {"since": tomorrow, "until": "2020-01-01"})
    assert bad_range.status_code == 400
    assert "until" in bad_range.data


# --- schema ---------------------------------------------------------------------------------
def test_schema_documents_the_interaction_task_and_notification_endpoints(org):
    schema = yaml.safe_load(api(org.owner).get("/api/schema/").content)
    paths = schema["paths"]

    assert {"get", "post"} <= set(paths[INTERACTIONS])
    assert set(paths["/api/v1/interactions/{id}/"]) - {"parameters"} == {"get"}
    for path in (
        "/api/v1/tasks/{id}/complete/",
        "/api/v1/tasks/{id}/reopen/",
        "/api/v1/tasks/{id}/reassign/",
        "/api/v1/tasks/calendar-url/",
        "/api/v1/tasks/calendar-url/regenerate/",
        "/api/v1/notifications/{id}/read/",
        "/api/v1/notifications/read-all/",
        "/api/v1/notifications/unread-count/",
        TIMELINESS,
    ):
        assert path in paths, path
    task_filters = {p["name"] for p in paths[TASKS]["get"]["parameters"]}
    assert {"scope", "status", "due_from", "due_to"} <= task_filters
    interaction_filters = {p["name"] for p in paths[INTERACTIONS]["get"]["parameters"]}
    assert {"customer", "method", "feedback", "follower", "occurred_from", "occurred_to"} <= (
        interaction_filters
    )

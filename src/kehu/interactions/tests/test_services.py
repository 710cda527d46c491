"""Interactions, tasks, reminders and timeliness against the database."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.customers.models import ShareAccess
from kehu.customers.services import customer_share_set
from kehu.interactions.models import Interaction, Notification, Task, TaskStatus
from kehu.interactions.selectors import my_tasks, timeliness_by_team, timeliness_by_user
from kehu.interactions.services import (
    interaction_create,
    reminders_send_due,
    task_complete,
    task_create,
)


def _log(customer, by, **overrides):
    data = {
        "occurred_at": timezone.now() - dt.timedelta(hours=2),
        "method": "visit",
        "topic": "产品A方案演示",
        "summary": "客户表示“预算控制在20万以内”，我方回应可提供基础版方案。",
        "feedback": "needs_info",
    }
    data.update(overrides)
    return interaction_create(customer=customer, by=by, **data)


def test_interaction_code_is_hd_plus_customer_code_plus_serial(customer, owner):
    first = _log(customer, owner)
    second = _log(customer, owner)

    assert first.code == f"HD{customer.code}0001"
    assert second.code == f"HD{customer.code}0002"


def test_next_action_becomes_a_task_for_its_owner(customer, owner):
    due = timezone.now() + dt.timedelta(days=3)
    interaction = _log(
        customer,
        owner,
        next_action="准备金融行业案例集并发送邮件",
        next_action_owner=owner,
        next_action_due=due,
    )

    task = Task.objects.get()
    assert (task.title, task.assignee, task.due_at, task.interaction) == (
        "准备金融行业案例集并发送邮件",
        owner,
        due,
        interaction,
    )


def test_task_for_someone_else_notifies_them(customer, owner, manager):
    _log(
        customer,
        owner,
        next_action="电话回访",
        next_action_owner=manager,
        next_action_due=timezone.now() + dt.timedelta(days=1),
    )

    assert Notification.objects.filter(recipient=manager).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"topic": ""}, "topic"),
        ({"summary": ""}, "summary"),
        ({"method": "fax"}, "method"),
        ({"feedback": "maybe"}, "feedback"),
        ({"occurred_at": timezone.now() + dt.timedelta(days=1)}, "occurred_at"),
        ({"next_action": "回访"}, "next_action_owner"),
        ({"next_action": "回访"}, "next_action_due"),
    ],
)
def test_bad_interaction_is_refused_naming_the_field(customer, owner, overrides, field):
    with pytest.raises(ValidationError) as info:
        _log(customer, owner, **overrides)

    assert field in info.value.message_dict
    assert Interaction.objects.count() == 0
    assert Task.objects.count() == 0


def test_due_date_in_the_past_is_refused(customer, owner):
    with pytest.raises(ValidationError) as info:
        _log(
            customer,
            owner,
            next_action="回访",
            next_action_owner=owner,
            next_action_due=timezone.now() - dt.timedelta(days=1),
        )
    assert "next_action_due" in info.value.message_dict


def test_next_action_owner_must_see_the_customer(customer, owner, outsider):
    with pytest.raises(ValidationError) as info:
        _log(
            customer,
            owner,
            next_action="回访",
            next_action_owner=outsider,
            next_action_due=timezone.now() + dt.timedelta(days=1),
        )
    assert "next_action_owner" in info.value.message_dict
    assert Interaction.objects.count() == 0


def test_user_who_cannot_see_the_customer_cannot_log(customer, outsider):
    with pytest.raises(PermissionDenied):
        _log(customer, outsider)


def test_read_only_team_member_may_log_an_interaction(customer, owner, outsider):
    customer_share_set(customer=customer, user=outsider, access=ShareAccess.READ, by=owner)
    assert _log(customer, outsider).follower == outsider


def test_interaction_entered_after_24_hours_is_late(customer, owner):
    on_time = _log(customer, owner, occurred_at=timezone.now() - dt.timedelta(hours=23))
    late = _log(customer, owner, occurred_at=timezone.now() - dt.timedelta(hours=25))

    assert not on_time.is_late
    assert late.is_late


def test_timeliness_rate_per_user_and_team(customer, owner, manager, org):
    for hours in (1, 2, 3, 30):
        _log(customer, owner, occurred_at=timezone.now() - dt.timedelta(hours=hours))

    [row] = timeliness_by_user(viewer=manager)
    assert (row.total, row.on_time, row.rate) == (4, 3, 0.75)
    teams = {t.label: t.rate for t in timeliness_by_team(viewer=manager)}
    assert teams[org.east.name] == 0.75
    assert teams[org.sales.name] == 0.75
    assert timeliness_by_user(viewer=org.outsider) == []


def test_logging_updates_last_interaction_time(customer, owner):
    when = timezone.now() - dt.timedelta(hours=5)
    _log(customer, owner, occurred_at=when)
    _log(customer, owner, occurred_at=when - dt.timedelta(days=3))

    customer.refresh_from_db()
    assert customer.last_interaction_at == when


def test_my_tasks_split_into_overdue_today_and_upcoming(customer, owner):
    now = timezone.now()
    for title, due in (("a", now + dt.timedelta(days=2)), ("b", now + dt.timedelta(minutes=1))):
        task_create(customer=customer, by=owner, title=title, assignee=owner, due_at=due)
    overdue = task_create(
        customer=customer, by=owner, title="c", assignee=owner, due_at=now + dt.timedelta(minutes=2)
    )
    Task.objects.filter(pk=overdue.pk).update(due_at=now - dt.timedelta(days=2))

    tasks = my_tasks(user=owner, now=now)

    assert [t.title for t in tasks.overdue] == ["c"]
    assert [t.title for t in tasks.upcoming] == ["a"]
    local = timezone.localtime(now)
    expected_today = ["b"] if (local + dt.timedelta(minutes=1)).date() == local.date() else []
    assert [t.title for t in tasks.today] == expected_today


def test_reminder_is_sent_once_when_the_task_falls_due(customer, owner, mailoutbox):
    owner.email = "owner@example.com"
    owner.save()
    task = task_create(
        customer=customer,
        by=owner,
        title="电话回访",
        assignee=owner,
        due_at=timezone.now() + dt.timedelta(minutes=10),
    )

    assert reminders_send_due() == 0
    later = timezone.now() + dt.timedelta(minutes=11)
    assert reminders_send_due(now=later) == 1
    assert reminders_send_due(now=later) == 0

    task.refresh_from_db()
    assert task.reminded_at == later
    assert Notification.objects.filter(recipient=owner, title__contains="电话回访").count() == 1
    assert len(mailoutbox) == 1
    assert "电话回访" in mailoutbox[0].subject


def test_completed_task_gets_no_reminder(customer, owner):
    task = task_create(
        customer=customer,
        by=owner,
        title="回访",
        assignee=owner,
        due_at=timezone.now() + dt.timedelta(minutes=10),
    )
    task_complete(task=task, by=owner)

    assert reminders_send_due(now=timezone.now() + dt.timedelta(hours=1)) == 0
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_stranger_cannot_complete_a_task(customer, owner, outsider):
    task = task_create(
        customer=customer,
        by=owner,
        title="回访",
        assignee=owner,
        due_at=timezone.now() + dt.timedelta(minutes=10),
    )
    with pytest.raises(PermissionDenied):
        task_complete(task=task, by=outsider)

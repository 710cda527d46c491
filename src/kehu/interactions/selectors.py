"""Reads on interactions, tasks, notifications and timeliness; scoped through core.access."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kehu.accounts.models import User
from kehu.accounts.selectors import department_rollup
from kehu.customers.models import Customer
from kehu.interactions.models import Interaction, Notification, Task, TaskStatus


def interaction_timeline(*, user: User, customer: Customer) -> QuerySet[Interaction]:
    """The customer's interactions, newest first (the caller fetched `customer` via access)."""
    return (
        Interaction.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("follower", "created_by", "next_action_owner")
    )


def interactions_visible(*, user: User) -> QuerySet[Interaction]:
    return Interaction.objects.visible_to(user).select_related("customer", "follower")


def tasks_visible(*, user: User) -> QuerySet[Task]:
    if not user.is_authenticated:  # e.g. the schema generator's anonymous request
        return Task.objects.none()
    return Task.objects.visible_to(user).select_related("customer", "assignee")


@dataclass
class MyTasks:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    done_recently: list[Task]


def my_tasks(*, user: User, now: dt.datetime | None = None) -> MyTasks:
    """Open tasks assigned to the user, split at local midnight (today / overdue / upcoming)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end_of_day = start_of_day + dt.timedelta(days=1)
    mine = Task.objects.filter(assignee=user).select_related("customer")
    open_tasks = list(mine.filter(status=TaskStatus.OPEN).order_by("due_at"))
    return MyTasks(
        overdue=[t for t in open_tasks if t.due_at < start_of_day],
        today=[t for t in open_tasks if start_of_day <= t.due_at < end_of_day],
        upcoming=[t for t in open_tasks if t.due_at >= end_of_day],
        done_recently=list(
            mine.filter(status=TaskStatus.DONE, done_at__gte=now - dt.timedelta(days=7)).order_by(
                "-done_at"
            )[:20]
        ),
    )


def notifications_of(*, user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nobody reads another user's bell)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)


def unread_notifications(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def recent_notifications(*, user: User, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user)[:limit])


def user_calendar_tasks(*, user: User) -> QuerySet[Task]:
    """What the iCalendar feed shows: the user's open tasks and those done in the last 30 days."""
    since = timezone.now() - dt.timedelta(days=30)
    return (
        Task.objects.filter(assignee=user)
        .filter(Q(status=TaskStatus.OPEN) | Q(done_at__gte=since))
        .select_related("customer")
    )


@dataclass
class Timeliness:
    """Share of interactions entered within 24 h (spec §3; KPI target ≥ 95 %)."""

    label: str
    total: int
    on_time: int

    @property
    def late(self) -> int:
        return self.total - self.on_time

    @property
    def rate(self) -> float | None:
        return self.on_time / self.total if self.total else None


def _period(since: dt.date | None, until: dt.date | None) -> Q:
    q = Q()
    if since:
        q &= Q(created_at__date__gte=since)
    if until:
        q &= Q(created_at__date__lte=until)
    return q


def timeliness_by_user(
    *, viewer: User, since: dt.date | None = None, until: dt.date | None = None
) -> list[Timeliness]:
    """Per follower, over the interactions the viewer may see."""
    rows = (
        Interaction.objects.visible_to(viewer)
        .filter(_period(since, until))
        .values("follower_id", "follower__full_name", "follower__username")
        .annotate(total=Count("id"), on_time=Count("id", filter=Q(is_late=False)))
        .order_by("follower__username")
    )
    return [
        Timeliness(
            label=row["follower__full_name"] or row["follower__username"],
            total=row["total"],
            on_time=row["on_time"],
        )
        for row in rows
    ]


def timeliness_by_team(
    *, viewer: User, since: dt.date | None = None, until: dt.date | None = None
) -> list[Timeliness]:
    """Per department (with its sub-departments), over the interactions the viewer may see."""
    rows = (
        Interaction.objects.visible_to(viewer)
        .filter(_period(since, until))
        .values("follower__department_id")
        .annotate(total=Count("id"), on_time=Count("id", filter=Q(is_late=False)))
    )
    by_department = {r["follower__department_id"]: (r["total"], r["on_time"]) for r in rows}
    return [
        Timeliness(label=department.name, total=total, on_time=on_time)
        for department, total, on_time in department_rollup(by_department)
    ]

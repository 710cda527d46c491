"""Writes on interactions, tasks, notifications and reminders."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import visible_customers
from kehu.core.codes import next_serial
from kehu.core.permissions import can_change_task
from kehu.customers.models import Customer
from kehu.interactions.models import (
    TIMELINESS_LIMIT,
    CalendarFeed,
    Interaction,
    Notification,
    Task,
    TaskStatus,
)

logger = logging.getLogger(__name__)

# A little slack for clocks and for typing: "now" entered a minute late is not the future.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
NEXT_ACTION_FIELDS = ("next_action", "next_action_owner", "next_action_due")
TASK_FIELDS = ("title", "assignee", "due_at")


def _can_see(user: User | None, customer: Customer) -> bool:
    return user is not None and visible_customers(user).filter(pk=customer.pk).exists()


def _check_next_action(
    *,
    customer: Customer,
    text: str,
    owner: User | None,
    due: dt.datetime | None,
    errors: dict[str, list[str]],
    names: tuple[str, str, str] = NEXT_ACTION_FIELDS,
) -> None:
    """A next action needs what, who and when; the due time is ahead and the owner may see
    the customer. `names` are the error keys for (what, who, when)."""
    what, who, when = names
    if not (text or owner or due):
        return
    if not text:
        errors.setdefault(what, []).append(_("Say what the next action is."))
    if owner is None:
        errors.setdefault(who, []).append(_("Choose who does the next action."))
    elif not owner.is_active:
        errors.setdefault(who, []).append(_("The owner must be an active user."))
    elif not _can_see(owner, customer):
        errors.setdefault(who, []).append(
            _("%(user)s cannot see this customer, so cannot own its next action.")
            % {"user": owner.display_name}
        )
    if due is None:
        errors.setdefault(when, []).append(_("Give the next action a due date."))
    elif due < timezone.now() - FUTURE_TOLERANCE:
        errors.setdefault(when, []).append(_("The due date is in the past."))


def interaction_create(
    *,
    customer: Customer,
    by: User,
    occurred_at: dt.datetime,
    method: str,
    topic: str,
    summary: str,
    feedback: str,
    follower: User | None = None,
    next_action: str = "",
    next_action_owner: User | None = None,
    next_action_due: dt.datetime | None = None,
) -> Interaction:
    """Log an interaction; a next action becomes a task for its owner."""
    if not _can_see(by, customer):
        raise PermissionDenied
    follower = follower or by
    now = timezone.now()
    interaction = Interaction(
        customer=customer,
        occurred_at=occurred_at,
        method=method,
        topic=(topic or "").strip(),
        summary=(summary or "").strip(),
        feedback=feedback,
        follower=follower,
        created_by=by,
        next_action=(next_action or "").strip(),
        next_action_owner=next_action_owner,
        next_action_due=next_action_due,
    )
    errors: dict[str, list[str]] = {}
    try:
        interaction.full_clean(exclude=["code", "customer", "follower", "created_by"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if occurred_at and occurred_at > now + FUTURE_TOLERANCE:
        errors.setdefault("occurred_at", []).append(
            _("The interaction time is in the future; log an interaction after it happened.")
        )
    if not _can_see(follower, customer):
        errors.setdefault("follower", []).append(
            _("%(user)s cannot see this customer.") % {"user": follower.display_name}
        )
    _check_next_action(
        customer=customer,
        text=interaction.next_action,
        owner=next_action_owner,
        due=next_action_due,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    interaction.is_late = bool(occurred_at and now - occurred_at > TIMELINESS_LIMIT)
    with transaction.atomic():
        interaction.code = f"HD{customer.code}{next_serial(f'HD{customer.code}'):04d}"
        interaction._history_user = by
        interaction.save()
        Customer.objects.filter(pk=customer.pk).filter(last_interaction_at__isnull=True).update(
            last_interaction_at=occurred_at
        )
        Customer.objects.filter(pk=customer.pk, last_interaction_at__lt=occurred_at).update(
            last_interaction_at=occurred_at
        )
        if interaction.next_action:
            _task_insert(
                customer=customer,
                by=by,
                title=interaction.next_action,
                assignee=next_action_owner,
                due_at=next_action_due,
                interaction=interaction,
            )
        transaction.on_commit(lambda: _classify_later(customer.pk))
    return interaction


def _classify_later(customer_id: int) -> None:
    from kehu.tags.tasks import classify_customer

    classify_customer.delay(customer_id)


def _task_insert(*, customer, by, title, assignee, due_at, interaction=None) -> Task:
    task = Task(
        customer=customer,
        interaction=interaction,
        title=title,
        assignee=assignee,
        due_at=due_at,
        created_by=by,
    )
    task._history_user = by
    task.save()
    if assignee.pk != by.pk:
        notification_create(
            recipient=assignee,
            title=_("New task from %(user)s: %(title)s")
            % {"user": by.display_name, "title": title},
            url=reverse("interactions:my-tasks"),
        )
    return task


def task_create(
    *, customer: Customer, by: User, title: str, assignee: User, due_at: dt.datetime
) -> Task:
    if not _can_see(by, customer):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    _check_next_action(
        customer=customer, text=title, owner=assignee, due=due_at, errors=errors, names=TASK_FIELDS
    )
    if len(title) > 200:
        errors.setdefault("title", []).append(_("At most 200 characters."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return _task_insert(customer=customer, by=by, title=title, assignee=assignee, due_at=due_at)


def _check_task_rights(task: Task, by: User) -> None:
    """The assignee, the creator and whoever may edit the customer may change a task."""
    if not can_change_task(by, task):
        raise PermissionDenied


def _save_task(task: Task, by: User, change, expected_version: int | None) -> Task:
    """Apply `change` to the stored task, locked, not to the caller's copy: a concurrent edit
    is never overwritten by stale values; with `expected_version`, a stale one is refused."""
    from kehu.customers.services import StaleEditError

    with transaction.atomic():
        current = Task.objects.select_for_update().select_related("customer").get(pk=task.pk)
        _check_task_rights(current, by)
        if expected_version is not None and int(expected_version) != current.version:
            raise StaleEditError(current, since=expected_version)
        change(current)
        current.version = F("version") + 1
        current._history_user = by
        current.save()
    current.refresh_from_db()
    return current


def task_complete(*, task: Task, by: User, expected_version: int | None = None) -> Task:
    def complete(current: Task) -> None:
        if current.status != TaskStatus.OPEN:
            raise ValidationError(_("Only an open task can be completed."))
        current.status = TaskStatus.DONE
        current.done_at = timezone.now()

    return _save_task(task, by, complete, expected_version)


def task_reopen(*, task: Task, by: User, expected_version: int | None = None) -> Task:
    def reopen(current: Task) -> None:
        current.status = TaskStatus.OPEN
        current.done_at = None

    return _save_task(task, by, reopen, expected_version)


def task_reassign(
    *,
    task: Task,
    by: User,
    assignee: User,
    due_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Task:
    def reassign(current: Task) -> None:
        errors: dict[str, list[str]] = {}
        _check_next_action(
            customer=current.customer,
            text=current.title,
            owner=assignee,
            due=due_at or current.due_at,
            errors=errors,
            names=TASK_FIELDS,
        )
        if errors:
            raise ValidationError(errors)
        current.assignee = assignee
        if due_at is not None:
            current.due_at = due_at
            current.reminded_at = None

    return _save_task(task, by, reassign, expected_version)


def notification_create(
    *, recipient: User, title: str, body: str = "", url: str = ""
) -> Notification:
    return Notification.objects.create(
        recipient=recipient, title=title[:200], body=body, url=url[:300]
    )


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread notification of `user` as read."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def calendar_feed_for(*, user: User, regenerate: bool = False) -> CalendarFeed:
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if regenerate and not created:
        feed.delete()
        feed = CalendarFeed.objects.create(user=user)
    return feed


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Remind assignees of open tasks that fell due: a notification and an email each.

    Each task is claimed with a conditional UPDATE, so two schedulers or a retry never send the
    same reminder twice. Returns how many reminders were sent.
    """
    now = now or timezone.now()
    due = Task.objects.filter(
        status=TaskStatus.OPEN, reminded_at__isnull=True, due_at__lte=now
    ).select_related("assignee", "customer")
    sent = 0
    for task in due.iterator(chunk_size=200):
        if not Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(reminded_at=now):
            continue
        _remind(task)
        sent += 1
    return sent


def _remind(task: Task) -> None:
    assignee = task.assignee
    url = reverse("interactions:my-tasks")
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Task due: %(title)s") % {"title": task.title}
        body = _("%(customer)s (%(code)s), due %(due)s") % {
            "customer": task.customer.name,
            "code": task.customer.code,
            "due": timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M"),
        }
    notification_create(recipient=assignee, title=title, body=body, url=url)
    if assignee.email:
        try:
            send_mail(
                title,
                f"{body}\n\n{settings.KEHU_BASE_URL.rstrip('/')}{url}",
                None,
                [assignee.email],
            )
        except OSError:
            # The in-app reminder stands; the mail failure is logged for the operator.
            logger.exception("reminder email to %s failed", assignee.email)


def interaction_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments interaction_create takes, picked from a dict (form or API)."""
    keys = (
        "occurred_at",
        "method",
        "topic",
        "summary",
        "feedback",
        "follower",
        "next_action",
        "next_action_owner",
        "next_action_due",
    )
    return {k: data[k] for k in keys if k in data}

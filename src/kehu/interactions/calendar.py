"""iCalendar (RFC 5545) feed of a user's tasks, for any calendar client to subscribe to."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from kehu.interactions.models import Task, TaskStatus

TASK_DURATION = dt.timedelta(minutes=30)


def tasks_to_ical(tasks, *, calendar_name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Kehu CRM//kehu//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    base = settings.KEHU_BASE_URL.rstrip("/")
    for task in tasks:
        calendar.add_component(_event(task, base))
    return calendar.to_ical()


def _event(task: Task, base: str) -> Event:
    event = Event()
    event.add("uid", f"task-{task.pk}@kehu")
    # A done task stays in the calendar as a record of what was done: marked in the summary,
    # still CONFIRMED (clients hide or strike through CANCELLED events as if they never were).
    done = "✓ " if task.status == TaskStatus.DONE else ""
    event.add("summary", f"{done}{task.title} · {task.customer.name}")
    event.add("dtstart", task.due_at)
    event.add("dtend", task.due_at + TASK_DURATION)
    event.add("dtstamp", timezone.now())
    event.add("last-modified", task.updated_at)
    event.add("url", base + reverse("customers:detail", args=[task.customer_id]))
    event.add("description", f"{task.customer.code} {task.customer.name}")
    event.add("status", "CANCELLED" if task.status == TaskStatus.CANCELLED else "CONFIRMED")
    if task.status == TaskStatus.OPEN:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", task.title)
        alarm.add("trigger", dt.timedelta(minutes=-15))
        event.add_component(alarm)
    return event

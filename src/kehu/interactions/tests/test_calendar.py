"""The iCalendar feed as a calendar client sees it: a secret URL, no login, parsed with the
`icalendar` library."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from kehu.interactions.services import calendar_feed_for, task_complete, task_create


def feed_url(user):
    return reverse("interactions:calendar-feed", args=[calendar_feed_for(user=user).token])


def make_task(customer, assignee, title, *, due):
    return task_create(customer=customer, by=assignee, title=title, assignee=assignee, due_at=due)


def events_of(response):
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def due():
    return (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)


def test_feed_lists_my_tasks_as_events_without_login(client, owner, manager, customer, due):
    call = make_task(customer, owner, "电话回访", due=due)
    visit = make_task(customer, owner, "上门拜访", due=due + dt.timedelta(days=2))
    make_task(customer, manager, "经理的任务", due=due)

    response = client.get(feed_url(owner))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = events_of(response)
    assert set(events) == {f"task-{call.pk}@kehu", f"task-{visit.pk}@kehu"}
    event = events[f"task-{call.pk}@kehu"]
    assert event.decoded("DTSTART") == due
    assert str(event["SUMMARY"]) == f"电话回访 · {customer.name}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "经理的任务" not in response.content.decode()


def test_open_task_has_a_reminder_alarm(client, owner, customer, due):
    make_task(customer, owner, "电话回访", due=due)

    event = next(iter(events_of(client.get(feed_url(owner))).values()))

    alarm = event.walk("VALARM")[0]
    assert alarm.decoded("TRIGGER") == -dt.timedelta(minutes=15)


def test_done_task_stays_confirmed_and_is_marked_done(client, owner, customer, due):
    task = make_task(customer, owner, "发送报价", due=due)
    task_complete(task=task, by=owner)

    event = events_of(client.get(feed_url(owner)))[f"task-{task.pk}@kehu"]

    assert str(event["SUMMARY"]) == f"✓ 发送报价 · {customer.name}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert not event.walk("VALARM")


def test_unknown_token_is_404(client, db):
    response = client.get(reverse("interactions:calendar-feed", args=["not-a-real-token"]))

    assert response.status_code == 404


def test_regenerating_makes_the_old_url_404(client, owner, customer, due):
    make_task(customer, owner, "电话回访", due=due)
    old = feed_url(owner)
    client.force_login(owner)

    client.post(reverse("interactions:calendar-regenerate"))
    client.logout()

    assert client.get(old).status_code == 404
    new = feed_url(owner)
    assert new != old
    assert len(events_of(client.get(new))) == 1


def test_a_deactivated_users_feed_is_404(client, owner, customer, due):
    make_task(customer, owner, "电话回访", due=due)
    url = feed_url(owner)
    owner.is_active = False
    owner.save()

    assert client.get(url).status_code == 404


def test_subscription_page_shows_the_absolute_url_and_a_copy_button(client, owner, settings):
    settings.KEHU_BASE_URL = "https://crm.example.com/"
    client.force_login(owner)

    content = client.get(reverse("interactions:calendar")).content.decode()

    assert f'value="https://crm.example.com{feed_url(owner)}"' in content
    assert 'data-copy-target="#feed-url"' in content
    assert reverse("interactions:calendar-regenerate") in content


def test_subscription_page_requires_login(client, db):
    response = client.get(reverse("interactions:calendar"))

    assert response.status_code == 302

"""Interaction pages from the outside: the 360 page's timeline, quick entry and tasks card, the
global log page and list, my tasks, the notification bell and the timeliness report.

Named users (conftest): owner (sales), teammate (sales, same group, does not see the owner's
customers), manager (the owner's superior), outsider (another group), org.service (reads the
whole company, edits nothing of others).
"""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.core.access import visible_customers
from kehu.customers.models import ShareAccess
from kehu.customers.services import customer_share_set
from kehu.customers.tests.factories import make_customer
from kehu.interactions.models import Interaction, Notification, Task, TaskStatus
from kehu.interactions.services import (
    interaction_create,
    notification_create,
    task_complete,
    task_create,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
FORM_TIME = "%Y-%m-%dT%H:%M"


def url(name, *args):
    return reverse(f"interactions:{name}", args=args)


def local_input(moment):
    return timezone.localtime(moment).strftime(FORM_TIME)


def log(customer, by, **overrides):
    data = {
        "occurred_at": timezone.now() - dt.timedelta(hours=2),
        "method": "visit",
        "topic": "产品A方案演示",
        "summary": "客户表示“预算控制在20万以内”。",
        "feedback": "needs_info",
    }
    data.update(overrides)
    return interaction_create(customer=customer, by=by, **data)


def form_data(user, **overrides):
    data = {
        "occurred_at": local_input(timezone.now() - dt.timedelta(minutes=30)),
        "method": "phone",
        "topic": "报价跟进",
        "summary": "客户希望下周拿到正式报价。",
        "feedback": "interested",
        "follower": user.pk,
        "next_action": "",
        "next_action_owner": user.pk,
        "next_action_due": "",
    }
    data.update(overrides)
    return data


def task_for(customer, assignee, *, by=None, title="电话回访", due=None):
    return task_create(
        customer=customer,
        by=by or assignee,
        title=title,
        assignee=assignee,
        due_at=due or timezone.now() + dt.timedelta(days=1),
    )


def triggers(response) -> dict:
    return json.loads(response["HX-Trigger"])


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def client():
    """English pages, so the assertions can quote the (source) messages."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def theirs(org):
    """A customer of the outsider's: the owner cannot see it."""
    return make_customer(owner=org.outsider, name="天津海河物流有限公司")


# --- the 360 page ---------------------------------------------------------------------------
def test_360_page_loads_the_timeline_quick_entry_and_tasks_card(client, owner, customer):
    client.force_login(owner)

    content = page(client.get(reverse("customers:detail", args=[customer.pk])))

    assert f'hx-get="{url("customer-timeline", customer.pk)}"' in content
    assert f'hx-get="{url("customer-log", customer.pk)}"' in content
    assert f'hx-get="{url("customer-tasks", customer.pk)}"' in content
    assert 'data-kehu-reveal="#interaction-entry"' in content


def test_owner_sees_the_timeline_newest_first_as_a_fragment(client, owner, customer):
    older = log(
        customer, owner, occurred_at=timezone.now() - dt.timedelta(days=3), topic="初次拜访"
    )
    newer = log(customer, owner, topic="方案演示")
    client.force_login(owner)

    response = client.get(url("customer-timeline", customer.pk), **HTMX)

    content = page(response)
    assert "<html" not in content
    assert content.index(newer.code) < content.index(older.code)
    exact_time_relative_on_hover = (
        r'<time datetime="[^"]+" title="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d<'
    )
    assert re.search(exact_time_relative_on_hover, content)


def test_timeline_without_htmx_is_a_whole_page(client, owner, customer):
    interaction = log(customer, owner)
    client.force_login(owner)

    content = page(client.get(url("customer-timeline", customer.pk)))

    assert "<html" in content
    assert interaction.code in content


def test_timeline_marks_late_entries_and_shows_the_next_action(client, owner, manager, customer):
    due = timezone.now() + dt.timedelta(days=2)
    log(
        customer,
        owner,
        occurred_at=timezone.now() - dt.timedelta(days=2),
        next_action="准备金融行业案例集",
        next_action_owner=manager,
        next_action_due=due,
    )
    log(customer, owner, topic="按时录入")
    client.force_login(owner)

    content = page(client.get(url("customer-timeline", customer.pk), **HTMX))

    assert content.count("late-badge") == 1
    assert "准备金融行业案例集" in content
    assert manager.display_name in content
    assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in content


def test_timeline_shows_twenty_then_loads_older_ones(client, owner, customer):
    for index in range(23):
        log(customer, owner, occurred_at=timezone.now() - dt.timedelta(hours=index + 1))
    client.force_login(owner)

    first = page(client.get(url("customer-timeline", customer.pk), **HTMX))
    more = page(client.get(url("customer-timeline", customer.pk) + "?page=2", **HTMX))

    assert first.count('class="timeline-item interaction-item"') == 20
    assert "?page=2" in first
    assert more.count('class="timeline-item interaction-item"') == 3
    assert "<ol" not in more  # items to append, not a new list


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "customer-timeline"),
        ("get", "customer-log"),
        ("post", "customer-log"),
        ("get", "customer-tasks"),
        ("post", "customer-tasks"),
    ],
)
def test_outsider_gets_404_on_the_customers_interaction_pieces(
    client, outsider, customer, method, name
):
    client.force_login(outsider)
    data = form_data(outsider, **{"task-title": "回访", "task-assignee": outsider.pk})

    response = getattr(client, method)(url(name, customer.pk), data if method == "post" else None)

    assert response.status_code == 404
    assert not Interaction.objects.exists()
    assert not Task.objects.exists()


def test_login_is_required(client, customer):
    response = client.get(url("customer-timeline", customer.pk))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- quick entry ----------------------------------------------------------------------------
def test_quick_entry_logs_the_interaction_refreshes_the_timeline_and_toasts(
    client, owner, customer
):
    client.force_login(owner)

    response = client.post(url("customer-log", customer.pk), form_data(owner), **HTMX)

    interaction = Interaction.objects.get()
    assert (interaction.customer, interaction.method, interaction.follower) == (
        customer,
        "phone",
        owner,
    )
    assert interaction.topic == "报价跟进"
    events = triggers(response)
    assert events["interaction-logged"] == customer.pk
    assert interaction.code in events["kehu:toast"]["message"]
    content = page(response)
    assert 'id="interaction-form"' in content
    assert "报价跟进" not in content.split("interaction-logged", 1)[-1].split("</div>", 1)[-1]


def test_quick_entry_form_defaults_to_now_and_me(client, owner, customer):
    client.force_login(owner)

    response = client.get(url("customer-log", customer.pk), **HTMX)

    form = response.context["form"]
    assert form["follower"].value() == owner.pk
    occurred = form["occurred_at"].value()  # naive local time, as the input shows it
    assert abs(timezone.localtime().replace(tzinfo=None) - occurred) < dt.timedelta(minutes=2)
    assert "<html" not in page(response)


def test_quick_entry_next_action_becomes_a_task_for_its_owner(client, owner, manager, customer):
    client.force_login(owner)
    due = timezone.localtime() + dt.timedelta(days=1)
    data = form_data(
        owner,
        next_action="发送报价单",
        next_action_owner=manager.pk,
        next_action_due=due.strftime(FORM_TIME),
    )

    client.post(url("customer-log", customer.pk), data, **HTMX)

    task = Task.objects.get()
    assert (task.title, task.assignee, task.customer) == ("发送报价单", manager, customer)
    assert task.due_at == due.replace(second=0, microsecond=0)
    assert Notification.objects.filter(recipient=manager).count() == 1


def test_quick_entry_shows_the_services_errors_next_to_the_fields(
    client, owner, outsider, customer
):
    client.force_login(owner)
    data = form_data(
        owner,
        next_action="回访",
        next_action_owner=outsider.pk,
        next_action_due=local_input(timezone.now() - dt.timedelta(days=1)),
    )

    response = client.post(url("customer-log", customer.pk), data, **HTMX)

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    content = page(response)
    owner_error = re.search(r'id="interaction-next_action_owner_error">([^<]+)<', content)
    due_error = re.search(r'id="interaction-next_action_due_error">([^<]+)<', content)
    assert "cannot see this customer" in owner_error.group(1)
    assert "in the past" in due_error.group(1)
    assert not Interaction.objects.exists()
    assert not Task.objects.exists()


def test_quick_entry_requires_topic_and_summary(client, owner, customer):
    client.force_login(owner)

    response = client.post(
        url("customer-log", customer.pk), form_data(owner, topic="", summary=""), **HTMX
    )

    content = page(response)
    assert 'id="interaction-topic_error"' in content
    assert 'id="interaction-summary_error"' in content
    assert not Interaction.objects.exists()


def test_quick_entry_refuses_a_future_interaction_time(client, owner, customer):
    client.force_login(owner)
    later = local_input(timezone.now() + dt.timedelta(days=1))

    response = client.post(
        url("customer-log", customer.pk), form_data(owner, occurred_at=later), **HTMX
    )

    assert 'id="interaction-occurred_at_error"' in page(response)
    assert not Interaction.objects.exists()


def test_default_owner_alone_does_not_make_a_next_action(client, owner, customer):
    """The owner drop-down defaults to me; with no next action it is ignored, not an error."""
    client.force_login(owner)

    client.post(url("customer-log", customer.pk), form_data(owner), **HTMX)

    interaction = Interaction.objects.get()
    assert interaction.next_action_owner is None
    assert not Task.objects.exists()


def test_quick_entry_without_htmx_redirects_to_the_timeline_with_a_message(client, owner, customer):
    client.force_login(owner)

    response = client.post(url("customer-log", customer.pk), form_data(owner), follow=True)

    assert response.redirect_chain[-1][0].endswith(
        reverse("customers:detail", args=[customer.pk]) + "#interactions"
    )
    assert Interaction.objects.get().code in page(response)


def test_read_only_service_user_may_log_an_interaction(client, org, customer):
    client.force_login(org.service)

    response = client.post(url("customer-log", customer.pk), form_data(org.service), **HTMX)

    assert "interaction-logged" in triggers(response)
    assert Interaction.objects.get().follower == org.service


@pytest.mark.parametrize("case", ["own", "shared", "department", "service"])
def test_people_offered_are_exactly_those_who_can_see_the_customer(client, org, case):
    """Follower and next action owner drop-downs: core.access read the other way round."""
    owner_of = {"own": org.owner, "shared": org.owner, "department": org.outsider}
    target = make_customer(owner=owner_of.get(case, org.service), name="杭州西湖电子商务有限公司")
    if case == "shared":
        customer_share_set(
            customer=target, user=org.outsider, access=ShareAccess.READ, by=org.owner
        )
    everyone = [
        org.owner,
        org.teammate,
        org.manager,
        org.outsider,
        org.administrator,
        org.service,
        org.marketing,
        org.steward,
    ]
    can_see = {u.pk for u in everyone if visible_customers(u).filter(pk=target.pk).exists()}
    client.force_login(org.administrator)

    form = client.get(url("customer-log", target.pk), **HTMX).context["form"]

    offered = {value for value, _label in form.fields["follower"].choices if value != ""}
    assert offered == can_see
    assert {v for v, _ in form.fields["next_action_owner"].choices if v != ""} == can_see


# --- the global "log interaction" page ------------------------------------------------------
def test_top_bar_has_the_log_interaction_action(client, owner):
    client.force_login(owner)

    content = page(client.get(reverse("customers:list")))

    assert f'href="{url("log")}"' in content


def test_customer_picker_finds_only_visible_customers(client, owner, customer, theirs):
    client.force_login(owner)

    mine = page(client.get(url("customer-picker"), {"q": "上海东方"}, **HTMX))
    hidden = page(client.get(url("customer-picker"), {"q": "天津海河"}, **HTMX))

    assert f"?customer={customer.pk}" in mine
    assert f"?customer={theirs.pk}" not in hidden
    assert "天津海河" in hidden  # only in the "no customer matches …" sentence
    assert "list-group-item" not in hidden


def test_log_page_searches_without_javascript(client, owner, customer):
    client.force_login(owner)

    content = page(client.get(url("log"), {"q": "上海东方"}))

    assert f"?customer={customer.pk}" in content


def test_log_page_shows_the_form_for_the_picked_customer(client, owner, customer):
    client.force_login(owner)

    content = page(client.get(url("log"), {"customer": customer.pk}))

    assert customer.name in content
    assert f'hx-post="{url("customer-log", customer.pk)}"' in content


def test_log_page_with_a_hidden_customer_is_404(client, owner, theirs):
    client.force_login(owner)

    assert client.get(url("log"), {"customer": theirs.pk}).status_code == 404


# --- the interaction list -------------------------------------------------------------------
def test_interaction_list_shows_only_what_the_user_may_see(client, org, customer, theirs):
    mine = log(customer, org.owner)
    hidden = log(theirs, org.outsider)
    client.force_login(org.owner)

    content = page(client.get(url("list")))

    assert mine.code in content
    assert hidden.code not in content


def test_interaction_list_filters_by_method_feedback_and_date_as_a_fragment(
    client, owner, customer
):
    phone = log(customer, owner, method="phone", feedback="interested")
    visit = log(customer, owner, method="visit", feedback="refused")
    old = log(customer, owner, method="phone", occurred_at=timezone.now() - dt.timedelta(days=9))
    client.force_login(owner)
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()

    response = client.get(url("list"), {"method": "phone", "occurred_from": since}, **HTMX)
    refused = page(client.get(url("list"), {"feedback": "refused"}, **HTMX))

    content = page(response)
    assert content.lstrip().startswith('<section id="interaction-results"')
    assert [i.pk for i in response.context["interactions"]] == [phone.pk]
    assert old.code not in content
    assert visit.code in refused
    assert phone.code not in refused


def test_interaction_list_query_count_does_not_grow_with_rows(
    client, owner, customer, django_assert_max_num_queries
):
    for index in range(30):
        log(customer, owner, occurred_at=timezone.now() - dt.timedelta(hours=index + 1))
    client.force_login(owner)

    with django_assert_max_num_queries(12):
        response = client.get(url("list"))

    assert len(response.context["interactions"]) == 25


# --- my tasks -------------------------------------------------------------------------------
def test_my_tasks_groups_overdue_today_upcoming_and_done(client, owner, customer):
    now = timezone.now()
    overdue = task_for(customer, owner, title="逾期的任务")
    Task.objects.filter(pk=overdue.pk).update(due_at=now - dt.timedelta(days=2))
    upcoming = task_for(customer, owner, title="下周的任务", due=now + dt.timedelta(days=7))
    done = task_for(customer, owner, title="做完的任务")
    task_complete(task=done, by=owner)
    client.force_login(owner)

    response = client.get(url("my-tasks"))

    tasks = response.context["tasks"]
    assert [t.pk for t in tasks.overdue] == [overdue.pk]
    assert [t.pk for t in tasks.upcoming] == [upcoming.pk]
    assert [t.pk for t in tasks.done_recently] == [done.pk]
    content = page(response)
    assert 'id="tasks-overdue"' in content
    assert url("task-complete", overdue.pk) in content
    assert url("task-reopen", done.pk) in content
    assert url("calendar") in content
    assert reverse("customers:detail", args=[customer.pk]) in content


def test_my_tasks_refreshes_as_a_fragment(client, owner, customer):
    task_for(customer, owner, title="明天的任务")
    client.force_login(owner)

    content = page(client.get(url("my-tasks"), **HTMX))

    assert "<html" not in content
    assert "明天的任务" in content


def test_my_tasks_shows_only_my_tasks(client, owner, manager, customer):
    task_for(customer, manager, by=owner, title="经理的任务")
    client.force_login(owner)

    assert "经理的任务" not in page(client.get(url("my-tasks")))


def test_assignee_completes_and_reopens_a_task_with_htmx(client, owner, customer):
    task = task_for(customer, owner)
    client.force_login(owner)

    done = client.post(url("task-complete", task.pk), **HTMX)
    task.refresh_from_db()
    status_after_complete = task.status
    reopened = client.post(url("task-reopen", task.pk), **HTMX)
    task.refresh_from_db()

    assert done.status_code == 204
    assert triggers(done)["task-changed"] == task.pk
    assert triggers(done)["kehu:toast"]["level"] == "success"
    assert status_after_complete == TaskStatus.DONE
    assert reopened.status_code == 204
    assert task.status == TaskStatus.OPEN


def test_completing_without_htmx_goes_back_to_the_page(client, owner, customer):
    task = task_for(customer, owner)
    client.force_login(owner)
    back = reverse("customers:detail", args=[customer.pk])

    response = client.post(url("task-complete", task.pk), {"next": back})

    assert response.status_code == 302
    assert response["Location"] == back


def test_an_outside_next_is_ignored(client, owner, customer):
    task = task_for(customer, owner)
    client.force_login(owner)

    response = client.post(url("task-complete", task.pk), {"next": "https://evil.example/"})

    assert response["Location"] == url("my-tasks")


def test_completing_a_done_task_says_why(client, owner, customer):
    task = task_for(customer, owner)
    task_complete(task=task, by=owner)
    client.force_login(owner)

    response = client.post(url("task-complete", task.pk), **HTMX)

    toast = triggers(response)["kehu:toast"]
    assert toast["level"] == "danger"
    assert "Only an open task" in toast["message"]


def test_read_only_user_cannot_complete_someone_elses_task(client, org, customer):
    task = task_for(customer, org.owner)
    client.force_login(org.service)

    response = client.post(url("task-complete", task.pk), **HTMX)

    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_outsider_gets_404_for_a_hidden_task(client, org, customer):
    task = task_for(customer, org.owner)
    client.force_login(org.outsider)

    assert client.post(url("task-complete", task.pk), **HTMX).status_code == 404
    assert client.post(url("task-reopen", task.pk), **HTMX).status_code == 404


# --- the 360 page's tasks card --------------------------------------------------------------
def test_tasks_card_lists_the_customers_open_tasks(client, owner, manager, customer):
    open_task = task_for(customer, manager, by=owner, title="经理回访")
    done = task_for(customer, owner, title="已完成")
    task_complete(task=done, by=owner)
    client.force_login(owner)

    content = page(client.get(url("customer-tasks", customer.pk), **HTMX))

    assert "经理回访" in content
    assert manager.display_name in content
    assert "已完成" not in content
    assert url("task-complete", open_task.pk) in content  # the owner may edit the customer


def test_tasks_card_adds_a_task(client, owner, manager, customer):
    client.force_login(owner)
    due = local_input(timezone.now() + dt.timedelta(days=2))
    data = {"task-title": "寄送样品", "task-assignee": manager.pk, "task-due_at": due}

    response = client.post(url("customer-tasks", customer.pk), data, **HTMX)

    task = Task.objects.get()
    assert (task.title, task.assignee, task.created_by) == ("寄送样品", manager, owner)
    assert "寄送样品" in triggers(response)["kehu:toast"]["message"]
    assert "寄送样品" in page(response)


def test_tasks_card_shows_errors_inline(client, owner, outsider, customer):
    client.force_login(owner)
    past = local_input(timezone.now() - dt.timedelta(days=1))
    data = {"task-title": "寄送样品", "task-assignee": outsider.pk, "task-due_at": past}

    response = client.post(url("customer-tasks", customer.pk), data, **HTMX)

    content = page(response)
    assert "cannot see this customer" in re.search(
        r'id="task-assignee_error">([^<]+)<', content
    ).group(1)
    assert "in the past" in re.search(r'id="task-due_at_error">([^<]+)<', content).group(1)
    assert not Task.objects.exists()


def test_tasks_card_locks_tasks_the_viewer_may_not_change(client, org, customer):
    task = task_for(customer, org.owner, title="张三的任务")
    client.force_login(org.service)

    content = page(client.get(url("customer-tasks", customer.pk), **HTMX))

    assert "张三的任务" in content
    assert url("task-complete", task.pk) not in content
    assert "task-locked" in content


def test_tasks_card_without_htmx_is_a_whole_page(client, owner, customer):
    task_for(customer, owner, title="整页任务")
    client.force_login(owner)

    content = page(client.get(url("customer-tasks", customer.pk)))

    assert "<html" in content
    assert "整页任务" in content


# --- the notification bell ------------------------------------------------------------------
def test_bell_polls_its_count_every_minute(client, owner):
    client.force_login(owner)

    content = page(client.get(reverse("customers:list")))

    badge = re.search(r'<span id="notification-count"[^>]*>', content).group(0)
    assert f'hx-get="{url("notification-count")}"' in badge
    assert "every 60s" in badge
    assert f'hx-get="{url("notification-menu")}"' in content


def test_bell_counts_only_my_unread_notifications(client, owner, teammate):
    for title in ("一", "二"):
        notification_create(recipient=owner, title=title)
    read = notification_create(recipient=owner, title="已读")
    read.read_at = timezone.now()
    read.save()
    notification_create(recipient=teammate, title="别人的")
    client.force_login(owner)

    content = page(client.get(url("notification-count"), **HTMX))

    assert 'data-count="2"' in content


def test_bell_menu_lists_my_recent_notifications(client, owner, teammate):
    notification_create(recipient=owner, title="任务到期：电话回访")
    notification_create(recipient=teammate, title="别人的通知")
    client.force_login(owner)

    content = page(client.get(url("notification-menu"), **HTMX))

    assert "任务到期：电话回访" in content
    assert "别人的通知" not in content


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, owner):
    notification = notification_create(recipient=owner, title="新任务", url=url("my-tasks"))
    client.force_login(owner)

    response = client.post(url("notification-open", notification.pk))

    notification.refresh_from_db()
    assert response["Location"] == url("my-tasks")
    assert notification.read_at is not None


def test_a_notification_never_links_off_site(client, owner):
    notification = notification_create(recipient=owner, title="?", url="https://evil.example/")
    client.force_login(owner)

    response = client.post(url("notification-open", notification.pk))

    assert response["Location"] == url("notifications")


def test_cannot_open_someone_elses_notification(client, owner, teammate):
    theirs = notification_create(recipient=teammate, title="别人的通知")
    client.force_login(owner)

    response = client.post(url("notification-open", theirs.pk))

    theirs.refresh_from_db()
    assert response.status_code == 404
    assert theirs.read_at is None


def test_mark_all_read_touches_only_my_notifications(client, owner, teammate):
    mine = [notification_create(recipient=owner, title=f"通知{i}") for i in range(3)]
    theirs = notification_create(recipient=teammate, title="别人的通知")
    client.force_login(owner)

    response = client.post(url("notification-read-all"), **HTMX)

    assert triggers(response)["notifications-changed"] == 3
    assert "通知0" in page(response)  # the menu, re-rendered
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_notifications_page_lists_mine_with_unread_count(client, owner, teammate):
    notification_create(recipient=owner, title="我的通知", body="上海东方精密机械有限公司")
    notification_create(recipient=teammate, title="别人的通知")
    client.force_login(owner)

    response = client.get(url("notifications"))

    content = page(response)
    assert "我的通知" in content
    assert "别人的通知" not in content
    assert response.context["unread"] == 1


# --- timeliness -----------------------------------------------------------------------------
def test_timeliness_report_defaults_to_this_month_with_rates_and_chart(
    client, owner, manager, customer
):
    for _ in range(3):
        log(customer, owner)
    log(customer, owner, occurred_at=timezone.now() - dt.timedelta(days=2))
    client.force_login(manager)

    response = client.get(url("timeliness"))

    today = timezone.localdate()
    assert (response.context["since"], response.context["until"]) == (today.replace(day=1), today)
    row = next(r for r in response.context["by_user"] if r.label == owner.display_name)
    assert (row.total, row.on_time, row.late) == (4, 3, 1)
    assert response.context["overall"] == 0.75
    content = page(response)
    chart = json.loads(
        re.search(
            r'<script id="timeliness-data" type="application/json">(.+?)</script>', content
        ).group(1)
    )
    assert chart["labels"] == [owner.display_name]
    assert chart["rates"] == [75.0]
    assert chart["target"] == 95.0
    assert "vendor/echarts/echarts.min.js" in content
    assert "75.0 %" in content


def test_timeliness_counts_only_what_the_viewer_can_see(client, org, customer, theirs):
    log(customer, org.owner)
    log(theirs, org.outsider)
    client.force_login(org.owner)

    response = client.get(url("timeliness"))

    assert [r.label for r in response.context["by_user"]] == [org.owner.display_name]


def test_timeliness_period_filter(client, owner, customer):
    log(customer, owner)
    client.force_login(owner)
    last_year = timezone.localdate() - dt.timedelta(days=400)

    response = client.get(
        url("timeliness"), {"since": last_year.isoformat(), "until": last_year.isoformat()}
    )

    assert response.context["by_user"] == []
    assert response.context["total"] == 0


def test_timeliness_refuses_a_period_that_ends_before_it_starts(client, owner):
    client.force_login(owner)

    response = client.get(url("timeliness"), {"since": "2026-03-31", "until": "2026-03-01"})

    assert "before its start" in page(response)

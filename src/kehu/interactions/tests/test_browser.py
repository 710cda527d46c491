"""Logging an interaction in a real browser (Playwright driving Debian's chromium).

Log in as a sales rep, open a customer, log an interaction with a next action due tomorrow
through the quick entry form (no page reload), see it on the timeline and the tasks card,
then find the task under "upcoming" in my tasks. With KEHU_SCREENSHOTS=1 it also saves the
README screenshot docs/screenshots/customer-timeline.png (browser locale zh-CN).
"""

import datetime as dt
import re

from django.utils import timezone

from kehu.core.tests.browser import BROWSER_MARKS, SCREENSHOTS, want_screenshots

pytestmark = BROWSER_MARKS

NEXT_ACTION = "准备金融行业案例集并发送邮件"


def seed_history_for_screenshot(customer, owner, manager):
    """A few earlier interactions, so the screenshot shows a timeline and not one entry."""
    from kehu.interactions.services import interaction_create

    now = timezone.now()
    rows = [
        (9, "visit", "首次拜访，了解需求", "客户现有系统老旧，希望年内完成替换。", "interested"),
        (5, "phone", "报价跟进", "客户表示“预算控制在20万以内”，希望拿到分期方案。", "needs_info"),
        (2, "meeting", "合同条款沟通", "客户对付款周期提出异议，希望改为季度付款。", "objection"),
    ]
    for days, method, topic, summary, feedback in rows:
        interaction_create(
            customer=customer,
            by=owner,
            occurred_at=now - dt.timedelta(days=days, hours=3),
            method=method,
            topic=topic,
            summary=summary,
            feedback=feedback,
            follower=manager if method == "meeting" else owner,
        )


def test_sales_rep_logs_an_interaction_and_finds_the_task_in_my_tasks(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.tests.factories import make_customer
    from kehu.interactions.models import Interaction, Task

    org = build_org()
    customer = make_customer(owner=org.owner, name="上海东方精密机械有限公司")
    take_screenshots = want_screenshots()
    if take_screenshots:
        seed_history_for_screenshot(customer, org.owner, org.manager)
    page, errors = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))

    # Open the customer and the quick entry form from the header's "log interaction".
    page.goto(f"{base}/customers/{customer.pk}/")
    page.locator("#interaction-timeline").wait_for()
    page.evaluate("window.kehuNoReload = true")
    page.click(".record-actions a[data-kehu-reveal]")
    page.locator("#interaction-form #interaction-topic").wait_for(state="visible")

    # Log a phone call with a next action due tomorrow at 10:00.
    tomorrow = (timezone.localtime() + dt.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    page.select_option("#interaction-method", "phone")
    page.select_option("#interaction-feedback", "interested")
    page.fill("#interaction-topic", "产品A报价沟通")
    page.fill("#interaction-summary", "客户认可产品A方案，希望看到金融行业的案例后再决定。")
    page.fill("#interaction-next_action", NEXT_ACTION)
    page.fill("#interaction-next_action_due", tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.click("#interaction-form button[type=submit]")

    # The timeline, the tasks card and a toast update in place: no page reload.
    page.locator("#interaction-timeline .interaction-item", has_text="产品A报价沟通").wait_for()
    page.locator("#customer-tasks .task-item", has_text=NEXT_ACTION).wait_for()
    page.locator("#toasts .toast.show").first.wait_for()
    assert page.evaluate("window.kehuNoReload") is True
    interaction = Interaction.objects.get(topic="产品A报价沟通")
    assert interaction.code in page.locator("#interaction-timeline").inner_text()
    task = Task.objects.get(title=NEXT_ACTION)
    assert (task.assignee, timezone.localtime(task.due_at)) == (org.owner, tomorrow)
    if take_screenshots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#interaction-entry").evaluate("element => element.classList.remove('show')")
        page.locator("#toasts .toast").first.wait_for(state="hidden", timeout=10_000)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / "customer-timeline.png"), full_page=True)

    # My tasks, from the sidebar: the task waits under "upcoming".
    page.click("a.nav-link[href='/interactions/tasks/']")
    page.wait_for_url(re.compile(r"/interactions/tasks/$"))
    upcoming = page.locator("#tasks-upcoming .task-item", has_text=NEXT_ACTION)
    upcoming.wait_for()
    assert customer.name in upcoming.inner_text()
    assert tomorrow.strftime("%Y-%m-%d 10:00") in upcoming.inner_text()

    assert errors == []

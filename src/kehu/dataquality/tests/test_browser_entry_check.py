"""The duplicate warning while typing a new customer, in a real browser.

A sales rep in another department starts entering a company that a colleague already owns: the
warning appears as soon as the name is entered, shows only the existing code and its owner,
and the rep asks that owner, who gets a notification.
"""

import re

from kehu.core.tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS

EXISTING = "杭州西湖数据科技有限公司"


def test_warning_appears_while_typing_and_the_owner_can_be_asked(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.tests.factories import make_customer
    from kehu.interactions.models import Notification

    org = build_org()
    existing = make_customer(owner=org.owner, name=EXISTING)
    page, errors = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "outsider")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))

    page.goto(f"{base}/customers/new/")
    page.fill("#id_name", "杭州西湖数据科技（杭州）有限公司")
    page.locator("#id_name").dispatch_event("change")
    warning = page.locator("[data-testid=duplicate-warning]")
    warning.wait_for()
    text = warning.inner_text()
    assert existing.code in text
    assert org.owner.display_name in text
    assert EXISTING not in text  # outside the rep's data scope: no details

    page.click(f"#ask-{existing.code} button")
    page.locator(f"#ask-{existing.code} .text-success").wait_for()
    assert Notification.objects.filter(recipient=org.owner).count() == 1
    assert errors == []

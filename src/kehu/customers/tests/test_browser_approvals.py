"""Status approval in a real browser (Playwright driving Debian's chromium).

A sales rep asks to make a customer 成交客户 with a reason; the department head signs in,
approves from the approvals inbox, and the customer shows the new status and the remark.
With KEHU_SCREENSHOTS=1 it also saves docs/screenshots/approvals-inbox.png for the README.
"""

import re

from kehu.core.tests.browser import BROWSER_MARKS, SCREENSHOTS, want_screenshots

PASSWORD = "pw-Kehu-2026"
REASON = "签订年度合同，首付款已到账"


pytestmark = BROWSER_MARKS


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"), wait_until="domcontentloaded")


def seed_inbox_for_screenshot(org) -> None:
    """A few more requests, so the README's picture of the inbox looks like a working day."""
    from kehu.customers.approvals import customer_change_status
    from kehu.customers.tests.factories import make_customer

    rows = [
        (
            org.teammate,
            "苏州工业园区纳米材料股份有限公司",
            "lost",
            "客户已与竞品签约，连续三次拜访未果",
        ),
        (org.outsider, "天津海河物流有限公司", "customer", "框架协议已签署，首批订单50万"),
    ]
    for owner, name, to, reason in rows:
        record = make_customer(owner=owner, name=name)
        customer_change_status(customer=record, to=to, reason=reason, by=owner)


def test_head_approves_a_status_change_from_the_inbox(live_server, browser_session):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.models import StatusChange
    from kehu.customers.tests.factories import make_customer

    org = build_org()
    customer = make_customer(owner=org.owner, name="上海东方精密机械有限公司")
    take_screenshots = want_screenshots()
    context, page, errors = browser_session
    base = live_server.url

    # The sales rep asks for 成交客户 with a reason, from the customer's page.
    sign_in(page, base, "owner")
    page.goto(f"{base}/customers/{customer.pk}/")
    page.click("#status-change-button")
    page.locator("#status-change-modal").wait_for(state="visible")
    page.select_option("#status-change-form select[name=to_status]", "customer")
    page.click("#status-change-form button[type=submit]")
    page.locator("#id_reason_error").wait_for()  # no reason: refused, the dialog stays open
    assert not StatusChange.objects.exists()
    page.fill("#status-change-form textarea[name=reason]", REASON)
    page.click("#status-change-form button[type=submit]")
    page.locator("#status-action .status-pending").wait_for()
    assert "王经理" in page.locator("#status-action .status-pending").inner_text()
    change = StatusChange.objects.get()
    assert change.state == "pending"
    customer.refresh_from_db()
    assert customer.status == "interested"

    # The department head signs in and opens the approvals inbox from the sidebar. Leave the
    # page first: an HTMX request still in flight could otherwise set a fresh CSRF cookie after
    # the login form was rendered, and the login would be refused.
    page.goto("about:blank")
    context.clear_cookies()
    if take_screenshots:
        seed_inbox_for_screenshot(org)
    sign_in(page, base, "manager")
    page.click("nav.app-nav a[href='/customers/approvals/']")
    page.wait_for_url(re.compile(r"/customers/approvals/$"), wait_until="domcontentloaded")
    row = page.locator(f"#approval-{change.pk}")
    assert REASON in row.inner_text()
    if take_screenshots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "approvals-inbox.png"), full_page=True)

    # Approve with a note: the row leaves the inbox and shows under the decided ones.
    row.locator("input[name=note]").fill("同意，尽快安排交付")
    row.locator(".approve-button").click()
    page.locator(f"#decided-{change.pk}").wait_for()
    assert page.locator(f"#approval-{change.pk}").count() == 0
    page.locator("#toasts .toast.show").first.wait_for()

    # The customer now shows 成交客户 and the reason in its remarks.
    page.click(f"#decided-{change.pk} a[href='/customers/{customer.pk}/']")
    page.wait_for_url(re.compile(rf"/customers/{customer.pk}/$"), wait_until="domcontentloaded")
    assert page.locator("h1 .status-badge").inner_text() == "成交客户"
    remarks = page.locator("#base-info .remarks").inner_text()
    assert REASON in remarks
    assert "成交客户" in remarks
    page.locator("#status-changes .status-change-list").wait_for()
    assert "同意，尽快安排交付" in page.locator("#status-changes").inner_text()

    assert errors == []

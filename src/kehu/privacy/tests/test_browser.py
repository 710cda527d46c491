"""The consent panel in a real browser: the customer page loads the summary, the owner records
a consent and withdraws it (confirming the dialog), without script errors under the CSP."""

import re

from kehu.core.tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS


def test_owner_records_and_withdraws_a_consent(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.tests.factories import make_customer
    from kehu.privacy.models import Consent

    org = build_org()
    customer = make_customer(owner=org.owner, name="上海东方精密机械有限公司")
    page, errors = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    page.goto(f"{base}/customers/{customer.pk}/")

    summary = page.locator("#consent-summary")
    summary.wait_for()
    summary.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/privacy/contacts/\d+/consents/$"))
    page.select_option("select[name=purpose]", "marketing")
    page.select_option("select[name=channel]", "paper")
    page.fill("input[name=evidence]", "签字表 2026-118")
    page.get_by_role("button", name=re.compile("记录|Record")).click()
    page.locator(".consent-row").wait_for()
    assert Consent.objects.get().withdrawn_at is None

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".consent-row button[type=submit]").click()
    page.locator(".consent-row .text-bg-secondary").wait_for()

    assert Consent.objects.get().withdrawn_at is not None
    assert errors == []

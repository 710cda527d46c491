"""A lead's mobile in a real browser: masked on its page, "Show" reveals it in place (htmx,
under the strict CSP) and the reveal is logged."""

import re

from kehu.core.tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS


def test_sales_rep_reveals_a_lead_mobile_in_place(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.models import UnmaskLog
    from kehu.sales.tests.factories import make_lead

    org = build_org()
    lead = make_lead(owner=org.owner, mobile="13955507788")
    page, errors = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    page.goto(f"{base}/sales/leads/{lead.pk}/")

    assert "139****7788" in page.locator("#lead-mobile").inner_text()
    assert "13955507788" not in page.content()
    page.locator("#lead-mobile button.unmask-button").click()
    page.locator("#lead-mobile .mobile-revealed").wait_for()

    assert page.locator("#lead-mobile .mobile-revealed").inner_text() == "13955507788"
    assert page.url.endswith(f"/sales/leads/{lead.pk}/")  # revealed in place, no reload
    assert UnmaskLog.objects.filter(lead=lead, field="lead.mobile").count() == 1
    assert not errors

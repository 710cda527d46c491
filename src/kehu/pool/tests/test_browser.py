"""The pool in a real browser: a member claims a customer (HTMX, toast, the row turns into a
link to the customer); a claim beyond the daily limit is refused with the limit named in an
error toast and the row stays."""

import re

from kehu.core.tests.browser import BROWSER_MARKS, SCREENSHOTS, want_screenshots

pytestmark = BROWSER_MARKS


def test_member_claims_from_the_pool_and_hits_the_daily_limit(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.models import Customer
    from kehu.pool.tests.factories import make_pool, pooled

    org = build_org()
    make_pool(org, rules={"prospect": {"max_claims_per_day": 1}})
    first = pooled(org, name="上海东方精密机械有限公司")
    second = pooled(org, name="杭州西湖电子科技有限公司")
    page, errors = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "teammate")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    page.goto(f"{base}/pool/")
    if want_screenshots():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "public-pool.png"))

    page.locator(f"#entry-{first.pk} [data-testid=claim]").click()
    page.locator(f"#entry-{first.pk}.table-success").wait_for()
    page.locator(".toast.text-bg-success").first.wait_for()
    assert Customer.objects.get(pk=first.customer_id).owner == org.teammate

    page.locator(f"#entry-{second.pk} [data-testid=claim]").click()
    page.locator(".toast.text-bg-danger").first.wait_for()
    assert "1" in page.locator(".toast.text-bg-danger .toast-body").first.inner_text()
    assert page.locator(f"#entry-{second.pk} [data-testid=claim]").is_visible()
    assert Customer.objects.get(pk=second.customer_id).owner != org.teammate
    assert errors == []

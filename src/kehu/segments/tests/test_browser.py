"""The segment builder and the dashboard in a real browser: choose fields (the row redraws
with that field's operators and values), watch the live count, remove a row, save and land
on the target list; the dashboard draws its charts without a script error (strict CSP)."""

import re

from kehu.core.tests.browser import BROWSER_MARKS, SCREENSHOTS, want_screenshots

pytestmark = BROWSER_MARKS


def _sign_in(page, base):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))


def _settled(page):
    """htmx wires swapped-in rows once they have settled; a change before that is lost."""
    busy = ".htmx-added, .htmx-settling, .htmx-swapping, .htmx-request"
    page.locator(busy).first.wait_for(state="detached")


def test_owner_builds_a_segment_and_opens_its_target_list(live_server, browser_page):
    from decimal import Decimal

    from kehu.accounts.tests.factories import build_org
    from kehu.customers.tests.factories import make_customer
    from kehu.segments.models import Segment

    org = build_org()
    make_customer(
        owner=org.owner, name="甲机械有限公司", status="interested", annual_budget=Decimal("150000")
    )
    make_customer(
        owner=org.owner, name="乙机械有限公司", status="interested", annual_budget=Decimal("50000")
    )
    make_customer(owner=org.owner, name="丙机械有限公司", status="prospect")
    page, errors = browser_page
    base = live_server.url
    _sign_in(page, base)
    page.goto(f"{base}/segments/new/")

    first = page.locator("[data-segment-row]").first
    first.locator("select[name$=-field]").select_option("status")
    page.locator("[data-segment-row] select[name$=-value] option[value=interested]").wait_for(
        state="attached"
    )
    page.locator("[data-segment-row] select[name$=-value]").first.select_option("interested")
    page.locator('#segment-count [data-count="2"]').wait_for()

    page.locator("[data-segment-group] button[hx-get]").first.click()
    page.locator("[data-segment-row]").nth(1).wait_for()
    _settled(page)
    second = page.locator("[data-segment-row]").nth(1)
    second.locator("select[name$=-field]").select_option("annual_budget")
    page.locator("[data-segment-row]").nth(1).locator(
        "select[name$=-op] option[value=gt]"
    ).wait_for(state="attached")
    _settled(page)
    page.locator("[data-segment-row]").nth(1).locator("select[name$=-op]").select_option("gt")
    # The row is redrawn for the operator chosen: fill in the new row, not the one it replaced.
    page.locator("[data-segment-row]").nth(1).locator(
        "select[name$=-op] option[value=gt][selected]"
    ).wait_for(state="attached")
    _settled(page)
    page.locator("[data-segment-row]").nth(1).locator("input[name$=-value]").fill("10万")
    page.locator('#segment-count [data-count="1"]').wait_for()

    # Remove the budget row: back to two.
    page.locator("[data-segment-row]").nth(1).locator("[data-remove-row]").click()
    page.locator('#segment-count [data-count="2"]').wait_for()
    page.fill("input[name=name]", "意向客户")
    if want_screenshots():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "segment-builder.png"))
    page.locator("#segment-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/segments/\d+/$"))

    segment = Segment.objects.get()
    assert segment.definition == {
        "groups": [[{"field": "status", "op": "eq", "value": "interested"}]]
    }
    assert page.locator(".customer-table tbody tr").count() == 2
    assert errors == []


def test_dashboard_draws_its_charts(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.tests.factories import make_customer
    from kehu.sales.tests.factories import make_opportunity

    org = build_org()
    customer = make_customer(owner=org.owner, name="甲机械有限公司", status="interested")
    make_opportunity(customer=customer, stage_code="proposal", amount=100000)
    page, errors = browser_page
    base = live_server.url
    _sign_in(page, base)

    page.goto(f"{base}/dashboard/")
    for kind in ("pie", "funnel", "pipeline", "won_lost"):
        page.locator(f"[data-dashboard-chart={kind}] canvas").first.wait_for()

    assert errors == []

"""Contracts in a real browser: from the customer 360 card (loaded by HTMX) to a new contract,
an instalment planned in the past shown overdue, the receipt recorded and the flag gone; no
JavaScript or CSP errors on the way."""

import re

from kehu.core.tests.browser import BROWSER_MARKS, SCREENSHOTS, want_screenshots

pytestmark = BROWSER_MARKS


def test_sales_rep_enters_a_contract_and_records_a_payment(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.tests.factories import make_customer
    from kehu.sales.models import Contract

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
    new_contract = page.locator(
        f"#contracts a[href$='/sales/contracts/new/?customer={customer.pk}']"
    )
    new_contract.click()
    page.wait_for_url(re.compile(r"/sales/contracts/new/"))
    assert page.locator("#id_customer_code").input_value() == customer.code
    page.fill("#id_title", "年度维保合同")
    page.fill("#id_amount", "120000")
    page.fill("#id_starts_on", "2025-01-01")
    page.fill("#id_ends_on", "2027-12-31")
    page.locator("#contract-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/sales/contracts/\d+/$"))
    contract = Contract.objects.get()
    assert contract.title == "年度维保合同"

    page.fill("#payment-plan-form input[name=planned_on]", "2025-06-30")
    page.fill("#payment-plan-form input[name=planned_amount]", "40000")
    page.locator("#payment-plan-form button[type=submit]").click()
    page.locator("[data-testid=overdue-badge]").wait_for()
    if want_screenshots():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "contract-detail.png"), full_page=True)

    page.locator("[data-testid=payment-row] summary").click()
    page.locator("[data-testid=payment-row] form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.locator("[data-testid=payment-row]").wait_for()
    assert page.locator("[data-testid=overdue-badge]").count() == 0
    payment = contract.payments.get()
    assert payment.received_amount == 40000
    assert errors == []

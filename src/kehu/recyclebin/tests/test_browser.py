"""The recycle bin in a real browser: delete a customer from its page (confirm dialog), find it
in the bin, restore it, and open it again with its contacts."""

import re

from kehu.core.tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS


def test_owner_deletes_a_customer_and_restores_it_from_the_bin(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.models import Customer
    from kehu.customers.tests.factories import make_customer

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
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(f"form[action='/customers/{customer.pk}/delete/'] button").click()
    page.wait_for_url(re.compile(r"/customers/$"))
    assert not Customer.objects.filter(pk=customer.pk).exists()

    page.goto(f"{base}/recycle-bin/")
    row = page.locator("#recycle-bin tbody tr", has_text=customer.code)
    row.locator("button", has_text=re.compile("恢复|Restore")).click()
    page.wait_for_url(re.compile(r"/recycle-bin/$"))
    restored = Customer.objects.get(pk=customer.pk)
    assert restored.contacts.count() == 1

    page.goto(f"{base}/customers/{customer.pk}/")
    assert customer.name in page.content()
    assert not errors, errors

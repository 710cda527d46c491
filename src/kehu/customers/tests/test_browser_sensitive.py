"""Sensitive values in a real browser: masked on the 360 page, revealed in place by "Show"
(an htmx swap under the strict CSP), and the reveal logged."""

import re

from kehu.core.tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS

ID_NUMBER = "11010519491231002X"
MOBILE = "13955507777"


def test_owner_reveals_a_mobile_and_an_id_number_and_both_are_logged(live_server, browser_page):
    from kehu.accounts.models import Role
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.models import CustomFieldDefinition, FieldSecurity, UnmaskLog
    from kehu.customers.tests.factories import make_customer

    org = build_org()
    CustomFieldDefinition.objects.create(
        key="id_number",
        label_zh="身份证号",
        label_en="ID number",
        field_type="text",
        sensitive=True,
    )
    FieldSecurity.objects.create(
        role=Role.objects.get(code="sales"), field="custom.id_number", level="visible"
    )
    customer = make_customer(
        owner=org.owner,
        name="钱多多",
        customer_type="individual",
        decision_maker={"name": "钱多多", "title": "本人", "mobile": MOBILE},
        custom_fields={"id_number": ID_NUMBER},
    )
    page, errors = browser_page
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))

    page.goto(f"{base}/customers/{customer.pk}/")
    assert MOBILE not in page.content()
    assert ID_NUMBER not in page.content()
    assert "1****X" in page.locator("#custom-id_number").inner_text()

    page.locator("#custom-id_number button").click()
    page.locator("#custom-id_number .mobile-revealed").wait_for()
    assert page.locator("#custom-id_number").inner_text().strip() == ID_NUMBER
    contact = customer.decision_maker
    page.locator(f"#mobile-{contact.pk} button").click()
    page.locator(f"#mobile-{contact.pk} .mobile-revealed").wait_for()
    assert MOBILE in page.locator(f"#mobile-{contact.pk}").inner_text()

    assert set(UnmaskLog.objects.values_list("field", flat=True)) == {"mobile", "custom.id_number"}
    assert errors == []

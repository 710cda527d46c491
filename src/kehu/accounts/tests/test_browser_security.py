"""Sign-in security in a real browser: an administrator sets up two-factor authentication at
first sign-in, and the main pages run under the Content-Security-Policy without a violation."""

import re

import pyotp

from kehu.core.tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS

PASSWORD = "pw-Kehu-2026"
# Reports every policy violation of every page into a list the test reads back.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def test_administrator_sets_up_two_factor_and_pages_pass_the_policy(live_server, browser_session):
    from kehu.accounts.models import TOTPDevice
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.tests.factories import make_customer

    org = build_org()
    customer = make_customer(owner=org.owner, name="上海东方精密机械有限公司")
    context, page, errors = browser_session
    context.add_init_script(LISTEN)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    base = live_server.url

    # Password first: an administrator without an authenticator lands on the set-up page.
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "administrator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))
    assert page.locator("[data-testid=totp-qr] svg").is_visible()

    # Nothing else opens until it is done.
    page.goto(f"{base}/customers/")
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))

    # The authenticator app reads the secret; its code turns two-factor on.
    secret = page.locator("[data-testid=totp-secret]").inner_text()
    assert secret == TOTPDevice.objects.get(user=org.administrator).secret
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("button[value=confirm]")
    assert page.locator("[data-testid=recovery-codes] li").count() == 10
    page.click("[data-testid=continue]")
    page.wait_for_url(re.compile(r"/customers/"))

    # The main pages under the policy: no violation, no JavaScript error.
    pages = {
        "customer list": "/customers/",
        "360 page": f"/customers/{customer.pk}/",
        "data quality (charts)": "/data-quality/",
        "timeliness (charts)": "/interactions/timeliness/",
    }
    for name, path in pages.items():
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__cspViolations") == [], name
    assert not [text for text in console if "Content Security Policy" in text]
    assert errors == []
    # The listener does hear violations: an inline style attribute is one.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<b style=\"color: red\">x</b>')")
    page.wait_for_function("window.__cspViolations.length > 0")

    # Next time: the password, then the 6-digit code.
    page.goto(f"{base}/customers/")
    page.click("#user-menu")
    page.click(".dropdown-menu form[action='/accounts/logout/'] button")
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "administrator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/login/verify/"))
    page.fill("input[name=code]", "000000")
    page.click("button[type=submit]")
    assert page.locator("#id_code_error").is_visible()
    TOTPDevice.objects.filter(user=org.administrator).update(last_step=None)
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))

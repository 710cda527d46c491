"""The demo company `make run` loads, seen in a real browser by its sales director: every
dashboard figure has data (the README's dashboard screenshot is this page)."""

import re

from kehu.core.tests.browser import BROWSER_MARKS, SCREENSHOTS, want_screenshots

pytestmark = BROWSER_MARKS


def test_the_demo_sales_directors_dashboard_has_every_figure(live_server, browser_page):
    from kehu.accounts import demo
    from kehu.accounts.models import User
    from kehu.analytics.selectors import dashboard_figures
    from kehu.customers.models import Customer

    demo.load_demo(customers=400, seed=demo.DEFAULT_SEED)
    page, errors = browser_page
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "wangqiang")
    page.fill("input[name=password]", demo.demo_password())
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))

    for kind in ("pie", "funnel", "pipeline", "won_lost"):
        page.locator(f"[data-dashboard-chart={kind}] canvas").first.wait_for()
    if want_screenshots():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    figure = page.locator("[data-figure]")
    shown = {
        figure.nth(i).get_attribute("data-figure"): figure.nth(i).inner_text()
        for i in range(figure.count())
    }
    figures = dashboard_figures(user=User.objects.get(username="wangqiang"))
    # The sales director sees the whole sales department: every demo customer is its own.
    assert int(shown["customers"]) == Customer.objects.count() == 400
    assert int(shown["contracts_expiring"]) == figures["contracts_expiring"]["count"] > 0
    assert int(shown["payments_overdue"]) == figures["payments_overdue"]["count"] > 0
    assert figures["pipeline"]["count"] > 0
    assert shown["pipeline_weighted"] != "¥0"
    assert sum(month["won"] for month in figures["won_lost"]["months"]) > 0
    assert errors == []

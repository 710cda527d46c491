"""The main customer flow in a real browser (Playwright driving Debian's chromium).

Log in as a sales rep, create a customer with a bad mobile and see the inline error, fix it,
find the customer from the top bar by pinyin initials, open its 360 page and see the masked
mobile. With KEHU_SCREENSHOTS=1 it also saves the README screenshots to docs/screenshots/.
"""

import re

from kehu.core.tests.browser import BROWSER_MARKS, SCREENSHOTS, want_screenshots

pytestmark = BROWSER_MARKS

NAME = "深圳市腾讯计算机系统有限公司"
MOBILE = "13812345678"


def seed_list_for_screenshot(owner):
    from kehu.customers.models import Industry, Region
    from kehu.customers.tests.factories import make_customer

    rows = [
        ("上海东方精密机械有限公司", "machinery", "shanghai", "customer", 1_200_000),
        ("北京星辰软件技术有限公司", "software_it", "beijing", "interested", 350_000),
        ("杭州西湖电子商务有限公司", "ecommerce", "zhejiang", "prospect", None),
        ("广州南方餐饮管理有限公司", "hospitality", "guangdong", "interested", 80_000),
        ("苏州工业园区纳米材料股份有限公司", "chemicals", "jiangsu", "customer", 2_500_000),
        ("成都天府新能源科技有限公司", "new_energy", "sichuan", "prospect", 500_000),
        ("武汉光谷生物医药有限公司", "pharmaceuticals", "hubei", "lost", 150_000),
        ("天津海河物流有限公司", "logistics", "tianjin", "interested", 60_000),
        ("宁波港城汽车零部件有限公司", "auto_parts", "zhejiang", "customer", 900_000),
    ]
    people = ["王建国", "李娜", "陈静", "刘洋", "赵敏", "杨帆", "黄磊", "周杰", "吴芳"]
    for index, (name, industry, region, status, budget) in enumerate(rows):
        make_customer(
            owner=owner,
            name=name,
            industry=Industry.objects.get(code=industry),
            region=Region.objects.get(code=region),
            status=status,
            scale=("small", "medium", "large")[index % 3],
            annual_budget=budget,
            decision_maker={
                "name": people[index],
                "title": "总经理",
                "mobile": f"1391234{index:04d}",
            },
        )


def test_sales_rep_creates_finds_and_opens_a_customer(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.models import Customer, Industry

    org = build_org()
    take_screenshots = want_screenshots()
    if take_screenshots:
        seed_list_for_screenshot(org.owner)
    page, errors = browser_page
    base = live_server.url

    # Log in as a sales rep.
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    page.goto(f"{base}/customers/")

    # Create a customer with a bad mobile: the error shows next to the field, nothing is saved.
    page.click("a[href='/customers/new/']")
    page.fill("#id_name", NAME)
    page.select_option("#id_industry", str(Industry.objects.get(code="software_it").pk))
    page.select_option("#id_scale", "large")
    page.select_option("#id_source", "exhibition")
    page.fill("#id_dm_name", "马化腾")
    page.fill("#id_dm_title", "董事长")
    page.fill("#id_dm_mobile", "12345678901")
    page.click("#customer-form button[type=submit]")
    error = page.locator("#id_dm_mobile_error")
    error.wait_for()
    assert "mobile" in error.inner_text() or "手机" in error.inner_text()
    assert not Customer.objects.filter(name=NAME).exists()

    # Fix it and save: the 360 page opens.
    page.fill("#id_dm_mobile", MOBILE)
    page.click("#customer-form button[type=submit]")
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(name=NAME)
    assert customer.owner == org.owner

    # Find it from the top bar by pinyin initials (深圳市腾讯… → szstx…).
    page.fill("#global-search", "szstx")
    page.press("#global-search", "Enter")
    page.wait_for_url(re.compile(r"/customers/\?q=szstx"))
    link = page.locator(f"#customer-results a[href='/customers/{customer.pk}/']")
    assert link.inner_text() == NAME
    assert page.locator(".result-count").get_attribute("data-count") == "1"

    # Sorting and filtering work through HTMX: results swap in place, the URL follows, and
    # a filter change keeps the chosen sort.
    page.goto(f"{base}/customers/")
    page.click("#customer-results th a[data-sort] >> text=/Customer name|客户名称/")
    page.wait_for_url(re.compile(r"sort=name"))
    page.click("label[for='filter-status-lost']")
    page.wait_for_url(re.compile(r"status=lost"))
    assert "sort=name" in page.url
    page.locator(f"#customer-results a[href='/customers/{customer.pk}/']").wait_for(
        state="detached"
    )
    page.click("label[for='filter-status-lost']")
    page.wait_for_url(re.compile(r"/customers/\?sort=name$"))
    page.locator(f"#customer-results a[href='/customers/{customer.pk}/']").wait_for()
    if take_screenshots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.reload()
        page.screenshot(path=str(SCREENSHOTS / "customer-list.png"))

    # Open the 360 page: the decision maker's mobile is masked until "show" is pressed.
    page.click(f"#customer-results a[href='/customers/{customer.pk}/']")
    page.wait_for_url(re.compile(rf"/customers/{customer.pk}/$"))
    assert page.locator("h1 .record-name").inner_text() == NAME
    masked = page.locator("#contacts .mobile-masked").first
    assert masked.inner_text() == "138****5678"
    assert MOBILE not in page.content()
    page.locator("#history .timeline-item").first.wait_for()
    if take_screenshots:
        page.screenshot(path=str(SCREENSHOTS / "customer-360.png"), full_page=True)
    page.click("#contacts .unmask-button")
    page.locator("#contacts .mobile-revealed").wait_for()
    assert page.locator("#contacts .mobile-revealed").inner_text() == MOBILE

    assert errors == []

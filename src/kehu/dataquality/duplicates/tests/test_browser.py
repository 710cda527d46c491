"""Duplicate groups, merge and undo in a real browser.

A scan found one company entered three times; its owner opens the group, merges the three
records side by side, lands on the kept record, then undoes the merge from the merge history.
With KEHU_SCREENSHOTS=1 it also saves the README screenshots of the group list and merge page.
"""

import re

from kehu.core.tests.browser import BROWSER_MARKS, SCREENSHOTS, want_screenshots

pytestmark = BROWSER_MARKS


def test_owner_merges_a_group_of_three_and_undoes_it(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.models import Customer
    from kehu.customers.tests.factories import next_mobile
    from kehu.dataquality.duplicates.models import CustomerMerge
    from kehu.dataquality.duplicates.scan import duplicate_scan_run
    from kehu.dataquality.duplicates.tests.conftest import make_twin

    org = build_org()
    mobile = next_mobile()
    names = ["北京星辰软件技术有限公司", "星辰软件技术（北京）有限公司", "北京星辰軟件技術有限公司"]
    records = [make_twin(owner=org.owner, name=name, mobile=mobile) for name in names]
    duplicate_scan_run()
    page, errors = browser_page
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions
    base = live_server.url
    take_screenshots = want_screenshots()

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))  # the landing page after logging in

    page.goto(f"{base}/data-quality/duplicates/")
    for record in records:
        assert record.code in page.content()
    if take_screenshots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "duplicate-groups.png"), full_page=True)

    page.click("a[href*='/data-quality/duplicates/merge/?ids=']")
    page.wait_for_url(re.compile(r"/duplicates/merge/\?ids="))
    page.check(f"input[name=keep][value='{records[0].pk}']")
    if take_screenshots:
        page.screenshot(path=str(SCREENSHOTS / "duplicate-merge.png"), full_page=True)
    page.click("form[action*='/duplicates/merge/'] button[type=submit]")
    page.wait_for_url(re.compile(rf"/customers/{records[0].pk}/$"))
    assert list(Customer.objects.filter(name__in=names).values_list("pk", flat=True)) == [
        records[0].pk
    ]

    page.goto(f"{base}/data-quality/duplicates/merges/")
    page.click("form[action*='/undo/'] button[type=submit]")
    page.wait_for_load_state()
    page.locator("text=/Undone|已撤销/").first.wait_for()
    assert Customer.objects.filter(name__in=names).count() == 3
    assert CustomerMerge.objects.get().undone_at is not None
    assert errors == []

"""The import flow in a real browser: upload a CSV with one bad row, see the dry-run error,
run the import, watch the progress bar reach 100 %, download the error file."""

import io
import re

from openpyxl import load_workbook

from kehu.core.tests.browser import BROWSER_MARKS, SCREENSHOTS, want_screenshots

pytestmark = BROWSER_MARKS


def test_sales_rep_imports_a_csv_and_downloads_the_bad_row(
    live_server, browser_page, tmp_path, settings
):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.models import Customer
    from kehu.dataquality.imports.tests.files import csv_bytes, row

    settings.MEDIA_ROOT = tmp_path / "media"
    org = build_org()
    page, errors = browser_page
    base = live_server.url
    upload = tmp_path / "客户.csv"
    upload.write_bytes(
        csv_bytes(
            [row(name="杭州云栖数据科技有限公司"), row(name="宁波坏数据有限公司", 手机="12345")],
            encoding="gbk",
        )
    )

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))  # the landing page after logging in
    page.goto(f"{base}/customers/")

    # From the customer list to the upload form; the columns are matched automatically.
    page.click("#customer-import a[href='/data-quality/import/new/']")
    page.set_input_files("#id_file", str(upload))
    page.click("#import-upload button[type=submit]")
    page.wait_for_url(re.compile(r"/import/\d+/mapping/$"))
    page.click("#import-mapping button[type=submit]")

    # The dry run shows the bad row; nothing is written yet.
    page.wait_for_url(re.compile(r"/import/\d+/$"))
    page.locator("#import-job[data-status=validated]").wait_for()
    assert "12345" in page.locator("#import-errors").inner_text()
    assert not Customer.objects.exists()

    # Run it: the bar fills, the good row is in, the bad one is in the error file.
    page.click("#import-run")
    page.locator("#import-job[data-status=done]").wait_for(timeout=20_000)
    assert page.locator("#import-progress").get_attribute("data-progress") == "100"
    if want_screenshots():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "import-job.png"), full_page=True)
    assert Customer.objects.get().owner == org.owner
    with page.expect_download() as download_info:
        page.click("#import-error-file")
    sheet = load_workbook(io.BytesIO(download_info.value.path().read_bytes())).active
    assert sheet.cell(row=2, column=1).value == "宁波坏数据有限公司"
    assert sheet.cell(row=2, column=12).comment is not None
    assert errors == []

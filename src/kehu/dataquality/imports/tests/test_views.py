"""Import pages: upload → mapping → dry run → import → error file → rollback, and who may see
which job."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from kehu.customers.models import Customer
from kehu.dataquality.imports.models import ImportJob, ImportStatus
from kehu.dataquality.imports.tests.files import HEADERS, csv_bytes, row

HTMX = {"HTTP_HX_REQUEST": "true"}


def _upload(client, data, name="customers.csv", mode="create"):
    return client.post(
        reverse("dataquality:import-start"),
        {"file": SimpleUploadedFile(name, data), "mode": mode},
    )


def _mapping_post(job, **overrides):
    post = {f"column_{i}": job.mapping.get(h, "") for i, h in enumerate(job.headers)}
    post["mode"] = job.mode
    post.update(overrides)
    return post


def test_upload_dry_run_and_import_through_the_pages(
    client, owner, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    response = _upload(client, csv_bytes([row(), row(name="宁波科技有限公司", 手机="123")]))
    job = ImportJob.objects.get()
    assert response.url == reverse("dataquality:import-mapping", args=[job.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert 'value="dm_mobile" selected' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(response.url, _mapping_post(job))
    assert response.url == reverse("dataquality:import-detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED
    detail = client.get(response.url).content.decode()
    assert "123" in detail
    assert not Customer.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dataquality:import-run", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == (ImportStatus.DONE, 1, 1)
    errors = client.get(reverse("dataquality:import-errors", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(errors.content)).active
    assert sheet.cell(row=2, column=1).value == "宁波科技有限公司"


def test_the_job_panel_polls_while_busy_and_stops_when_done(client, owner):
    client.force_login(owner)
    _upload(client, csv_bytes([row()]))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, total_rows=10, processed_rows=4
    )

    busy = client.get(reverse("dataquality:import-detail", args=[job.pk]), **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in busy
    assert 'data-progress="40"' in busy
    assert "<html" not in busy

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, processed_rows=10)
    done = client.get(reverse("dataquality:import-detail", args=[job.pk]), **HTMX).content.decode()
    assert "hx-trigger" not in done
    assert 'data-progress="100"' in done


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"a,b\n1,2\n", "customers.xls", "Only .xlsx and .csv"),
        (b"", "customers.csv", "empty"),
        (b",b\n1,2\n", "customers.csv", "header row"),
        ("客户名称\n".encode(), "customers.csv", "no data rows"),
    ],
)
def test_bad_files_get_a_clear_error_on_the_upload_form(
    client, owner, english, data, name, message
):
    client.force_login(owner)

    response = _upload(client, data, name)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client, owner, settings, english):
    settings.KEHU_IMPORT_MAX_BYTES = 100
    client.force_login(owner)

    response = _upload(client, csv_bytes([row(), row(), row()]))

    assert "larger than" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_unmapped_required_column_is_reported_on_the_mapping_page(client, owner, english):
    client.force_login(owner)
    _upload(client, csv_bytes([row()]))
    job = ImportJob.objects.get()
    mobile = HEADERS.index("手机")

    response = client.post(
        reverse("dataquality:import-mapping", args=[job.pk]),
        _mapping_post(job, **{f"column_{mobile}": ""}),
    )

    assert response.status_code == 200
    assert "decision maker: mobile" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_rollback_from_the_job_page(client, owner, django_capture_on_commit_callbacks):
    client.force_login(owner)
    _upload(client, csv_bytes([row()]))
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dataquality:import-mapping", args=[job.pk]), _mapping_post(job))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dataquality:import-run", args=[job.pk]))
    assert Customer.objects.count() == 1

    client.post(reverse("dataquality:import-rollback", args=[job.pk]))

    assert not Customer.objects.exists()
    job.refresh_from_db()
    assert job.status == ImportStatus.ROLLED_BACK


@pytest.mark.parametrize(
    "name", ["import-detail", "import-mapping", "import-errors", "import-run", "import-rollback"]
)
def test_outsider_cannot_see_or_touch_another_users_import_job(client, owner, outsider, name):
    client.force_login(owner)
    _upload(client, csv_bytes([row()]))
    job = ImportJob.objects.get()
    client.force_login(outsider)
    url = reverse(f"dataquality:{name}", args=[job.pk])

    response = client.post(url) if name in ("import-run", "import-rollback") else client.get(url)

    assert response.status_code == 404


def test_history_lists_own_jobs_and_administrators_see_all(client, owner, outsider, administrator):
    client.force_login(owner)
    _upload(client, csv_bytes([row()]), name="mine.csv")
    client.force_login(outsider)
    _upload(client, csv_bytes([row()]), name="theirs.csv")

    own = client.get(reverse("dataquality:import-history")).content.decode()
    client.force_login(administrator)
    everyone = client.get(reverse("dataquality:import-history")).content.decode()

    assert "theirs.csv" in own
    assert "mine.csv" not in own
    assert "theirs.csv" in everyone
    assert "mine.csv" in everyone


def test_customer_list_links_to_import_and_its_history(client, owner):
    client.force_login(owner)

    page = client.get(reverse("customers:list")).content.decode()

    assert reverse("dataquality:import-start") in page
    assert reverse("dataquality:import-history") in page


def test_template_downloads_as_xlsx(client, owner):
    client.force_login(owner)

    response = client.get(reverse("dataquality:import-template"))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(response.content)).active.max_column > 10

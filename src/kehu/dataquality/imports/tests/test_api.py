"""The import API: upload (dry run or import), status, error file; another user's job is 404."""

import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from kehu.customers.models import Customer
from kehu.customers.tests.test_api import api
from kehu.dataquality.imports.models import ImportJob
from kehu.dataquality.imports.tests.files import csv_bytes, row

URL = "/api/v1/imports/"


def _post(client, data, **fields):
    return client.post(
        URL, {"file": SimpleUploadedFile("c.csv", data), **fields}, format="multipart"
    )


def test_posting_a_file_imports_it_and_reports_counts(owner, django_capture_on_commit_callbacks):
    client = api(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, csv_bytes([row(), row(name="乙科技有限公司", 手机="1")]))

    assert response.status_code == 202, response.data
    status = client.get(f"{URL}{response.data['id']}/").json()
    assert (status["status"], status["created_count"], status["error_count"]) == ("done", 1, 1)
    assert status["percent"] == 100
    errors = client.get(f"{URL}{response.data['id']}/errors/")
    assert errors.status_code == 200
    sheet = load_workbook(io.BytesIO(errors.content)).active
    assert sheet.cell(row=2, column=1).value == "乙科技有限公司"


def test_dry_run_through_the_api_writes_nothing(owner, django_capture_on_commit_callbacks):
    client = api(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, csv_bytes([row()]), dry_run="true")

    assert client.get(f"{URL}{response.data['id']}/").json()["status"] == "validated"
    assert not Customer.objects.exists()


def test_a_mapping_sent_as_json_is_used(owner, django_capture_on_commit_callbacks):
    client = api(owner)
    data = (
        "Firma,Handy,Kontakt,Groesse,Quelle,Datum\n"
        "甲科技有限公司,13912345678,李明,小型企业,展会拜访,2026-01-05\n"
    )
    mapping = {
        "Firma": "name",
        "Handy": "dm_mobile",
        "Kontakt": "dm_name",
        "Groesse": "scale",
        "Quelle": "source",
        "Datum": "first_contact_date",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, data.encode(), mapping=json.dumps(mapping))

    assert response.status_code == 202, response.data
    assert Customer.objects.get().name == "甲科技有限公司"


def test_bad_input_is_a_400_naming_the_field(owner):
    client = api(owner, language="en")

    assert "file" in _post(client, b"", mode="create").data
    assert "mapping" in _post(client, csv_bytes([row()]), mapping="[1]").data
    unmapped = _post(client, csv_bytes([row()]), mapping=json.dumps({"客户名称": "name"}))
    assert unmapped.status_code == 400
    assert "required field" in json.dumps(unmapped.data)


def test_outsider_cannot_see_another_users_import(owner, outsider):
    job_id = _post(api(owner), csv_bytes([row()]), dry_run="true").data["id"]
    client = api(outsider)

    assert client.get(f"{URL}{job_id}/").status_code == 404
    assert client.get(f"{URL}{job_id}/errors/").status_code == 404
    assert ImportJob.objects.filter(pk=job_id).exists()

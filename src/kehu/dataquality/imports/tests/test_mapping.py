from django.core.files.base import ContentFile

from kehu.customers.models import Customer
from kehu.dataquality.imports.mapping import auto_mapping, mapping_suggest, targets
from kehu.dataquality.imports.services import (
    import_job_create,
    import_job_run,
    import_job_set_mapping,
)
from kehu.dataquality.imports.tests.files import csv_bytes, row


def test_common_headers_are_matched_automatically(db):
    headers = ["公司名称", "手机号", "联系人", "Email", "customer type", "首次接触时间", "奇怪的列"]

    mapping = auto_mapping(headers, targets())

    assert mapping == {
        "公司名称": "name",
        "手机号": "dm_mobile",
        "联系人": "dm_name",
        "Email": "dm_email",
        "customer type": "customer_type",
        "首次接触时间": "first_contact_date",
    }


def test_each_field_is_matched_to_one_column_only(db):
    assert auto_mapping(["手机", "手机号"], targets()) == {"手机": "dm_mobile"}


FOREIGN = ["Firma", "Kontakt", "Handy", "Branche", "Groesse", "Provinz", "Quelle", "Datum"]
FOREIGN_MAPPING = {
    "Firma": "name",
    "Kontakt": "dm_name",
    "Handy": "dm_mobile",
    "Branche": "industry",
    "Groesse": "scale",
    "Provinz": "region",
    "Quelle": "source",
    "Datum": "first_contact_date",
}


def _foreign_file() -> bytes:
    values = row()
    translated = dict(
        zip(
            FOREIGN,
            [
                values[h]
                for h in (
                    "客户名称",
                    "联系人",
                    "手机",
                    "行业",
                    "规模",
                    "省份",
                    "客户来源",
                    "首次接触日期",
                )
            ],
            strict=True,
        )
    )
    return csv_bytes([translated], headers=FOREIGN)


def test_a_foreign_spreadsheet_imports_once_mapped_and_the_mapping_is_remembered(owner, teammate):
    job = import_job_create(by=owner, file=ContentFile(_foreign_file()), filename="de.csv")
    assert job.mapping == {}

    import_job_set_mapping(job=job, by=owner, mapping=FOREIGN_MAPPING, mode="create")
    import_job_run(job=job)

    assert Customer.objects.filter(owner=owner).count() == 1
    reordered = list(reversed(FOREIGN))
    assert mapping_suggest(user=owner, headers=reordered) == FOREIGN_MAPPING
    assert mapping_suggest(user=teammate, headers=FOREIGN) == {}
    again = import_job_create(by=owner, file=ContentFile(_foreign_file()), filename="de2.csv")
    assert again.mapping == FOREIGN_MAPPING

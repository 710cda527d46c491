import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from openpyxl import load_workbook

from kehu.customers.models import Contact, Customer
from kehu.customers.services import customer_update
from kehu.customers.tests.factories import make_customer, next_mobile
from kehu.dataquality.imports import services
from kehu.dataquality.imports.mapping import TARGETS
from kehu.dataquality.imports.models import ImportJob, ImportRecord, ImportStatus
from kehu.dataquality.imports.selectors import import_job_error_file
from kehu.dataquality.imports.services import (
    import_job_create,
    import_job_rollback,
    import_job_run,
    import_job_set_mapping,
    import_job_validate,
)
from kehu.dataquality.imports.tests.files import HEADERS, csv_bytes, row

TARGET_LABELS = {t.key: t.label for t in TARGETS}


def upload(user, data, name="customers.csv", **kwargs):
    return import_job_create(by=user, file=ContentFile(data), filename=name, **kwargs)


def run(job):
    import_job_run(job=job)
    job.refresh_from_db()
    return job


def errors_of(job):
    return {e.row_number: e.errors for e in job.row_errors.order_by("row_number")}


def test_import_creates_customers_with_decision_makers(owner):
    job = upload(owner, csv_bytes([row(), row(name="宁波海曙精工机械有限公司")]))

    run(job)

    assert job.status == ImportStatus.DONE, job.message
    assert (job.created_count, job.error_count) == (2, 0)
    created = Customer.objects.get(name="宁波海曙精工机械有限公司")
    assert created.owner == owner
    assert created.department_id == owner.department_id
    assert created.decision_maker.title == "总经理"
    assert created.code.startswith("CX")
    assert created.name_key
    assert created.history.count() == 1
    assert created.completeness.state


def test_dry_run_checks_every_row_and_writes_nothing(owner):
    job = upload(owner, csv_bytes([row(), row(name="", mobile="123")]))

    import_job_validate(job=job)

    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED
    assert (job.created_count, job.error_count, job.processed_rows) == (1, 1, 2)
    assert set(errors_of(job)[3]) == {"客户名称", "手机"}
    assert not Customer.objects.exists()


def test_bad_rows_go_to_the_error_file_with_a_reason_per_cell(owner):
    rows = [
        row(),
        row(name="乙科技有限公司", 规模="巨型"),
        row(name="丙科技有限公司", 首次接触日期="明天"),
        row(name="丁科技有限公司"),
    ]
    job = upload(owner, csv_bytes(rows))

    run(job)

    assert job.created_count + job.error_count == 4
    assert job.error_count == 2
    sheet = load_workbook(io.BytesIO(import_job_error_file(job))).active
    values = list(sheet.values)
    assert list(values[0][: len(HEADERS)]) == HEADERS
    assert len(values) == 3
    scale = sheet.cell(row=2, column=HEADERS.index("规模") + 1)
    assert scale.value == "巨型"
    assert "巨型" in scale.comment.text
    assert scale.fill.fgColor.rgb.endswith("FFC7CE")
    assert "规模" in values[1][-1]
    assert values[1][-2] == 3
    date = sheet.cell(row=3, column=HEADERS.index("首次接触日期") + 1)
    assert "YYYY-MM-DD" in date.comment.text


def test_row_with_same_mobile_as_existing_customer_names_its_code_and_owner(owner, outsider):
    existing = make_customer(owner=outsider, name="深圳南山智能科技有限公司")
    mobile = existing.decision_maker.mobile

    job = run(upload(owner, csv_bytes([row(mobile=mobile)])))

    message = errors_of(job)[2]["手机"][0]
    assert existing.code in message
    assert "赵六" in message
    assert existing.name not in message


def test_row_with_same_normalised_name_as_existing_customer_is_an_error(owner, customer):
    job = run(upload(owner, csv_bytes([row(name="上海东方精密机械(上海)有限公司")])))

    assert customer.code in errors_of(job)[2]["客户名称"][0]
    assert job.created_count == 0


def test_duplicate_rows_within_the_file_are_errors_after_the_first(owner):
    mobile = next_mobile()
    rows = [
        row(name="甲公司科技有限公司", mobile=mobile),
        row(name="乙公司科技有限公司", mobile=mobile),
        row(name="甲公司科技有限公司"),
    ]

    job = run(upload(owner, csv_bytes(rows)))

    assert job.created_count == 1
    errors = errors_of(job)
    assert "2" in errors[3]["手机"][0]
    assert "2" in errors[4]["客户名称"][0]


def test_duplicate_check_runs_a_fixed_number_of_queries_per_chunk(
    owner, django_assert_max_num_queries
):
    job = upload(owner, csv_bytes([row(name=f"公司{i}科技有限公司") for i in range(50)]))

    with django_assert_max_num_queries(40):
        import_job_validate(job=job)


def test_owner_column_assigns_the_owner_when_the_importer_may(manager, owner, org):
    headers = [*HEADERS, "负责人"]
    rows = [row(负责人="owner"), row(name="杭州第二科技有限公司", 负责人="service")]

    job = run(upload(manager, csv_bytes(rows, headers=headers)))

    assert Customer.objects.get(name="杭州云栖数据科技有限公司").owner == owner
    assert "service" in errors_of(job)[3]["负责人"][0]


def test_owner_defaults_to_the_importer_who_cannot_assign_others(owner, teammate):
    headers = [*HEADERS, "负责人"]
    rows = [row(), row(name="杭州第二科技有限公司", 负责人="teammate")]

    job = run(upload(owner, csv_bytes(rows, headers=headers)))

    assert Customer.objects.get(name="杭州云栖数据科技有限公司").owner == owner
    assert "teammate" in errors_of(job)[3]["负责人"][0]


def update_headers():
    return ["客户编号", "客户名称", "职务", "城市"]


def test_update_mode_changes_editable_customers_by_code(owner, customer):
    data = csv_bytes(
        [{"客户编号": customer.code, "职务": "董事长", "城市": "上海市"}], headers=update_headers()
    )

    job = run(upload(owner, data, mode="update"))

    assert (job.updated_count, job.error_count) == (1, 0), errors_of(job)
    customer.refresh_from_db()
    assert customer.city == "上海市"
    assert customer.version == 2
    assert customer.decision_maker.title == "董事长"
    assert customer.name == "上海东方精密机械有限公司"


def test_update_of_a_customer_outside_the_write_scope_does_not_reveal_it(outsider, customer):
    data = csv_bytes(
        [{"客户编号": customer.code, "城市": "上海市"}, {"客户编号": "CX20000199999", "城市": "x"}],
        headers=update_headers(),
    )

    job = run(upload(outsider, data, mode="update"))

    messages = {n: e["客户编号"][0] for n, e in errors_of(job).items()}
    assert messages[2].replace(customer.code, "?") == messages[3].replace("CX20000199999", "?")
    customer.refresh_from_db()
    assert customer.city == "北京市"


def test_upsert_updates_rows_with_a_code_and_creates_the_others(owner, customer):
    headers = ["客户编号", *HEADERS]
    rows = [row(客户编号=customer.code, name=customer.name, 城市="苏州市"), row()]
    rows[0]["手机"] = customer.decision_maker.mobile

    job = run(upload(owner, csv_bytes(rows, headers=headers), mode="upsert"))

    assert (job.created_count, job.updated_count, job.error_count) == (1, 1, 0), errors_of(job)
    customer.refresh_from_db()
    assert customer.city == "苏州市"


def test_rollback_deletes_created_and_restores_updated_customers(owner, customer):
    created_job = run(upload(owner, csv_bytes([row()])))
    update_job = run(
        upload(
            owner,
            csv_bytes([{"客户编号": customer.code, "城市": "上海市"}], headers=update_headers()),
            mode="update",
        )
    )

    import_job_rollback(job=update_job, by=owner)
    import_job_rollback(job=created_job, by=owner)

    customer.refresh_from_db()
    assert customer.city == "北京市"
    assert not Customer.objects.filter(name="杭州云栖数据科技有限公司").exists()
    assert not Contact.objects.filter(customer__name="杭州云栖数据科技有限公司").exists()
    created_job.refresh_from_db()
    assert created_job.status == ImportStatus.ROLLED_BACK
    assert created_job.rolled_back_by == owner
    assert created_job.rolled_back_at is not None


def test_rollback_is_refused_when_a_customer_changed_after_the_import(owner):
    job = run(upload(owner, csv_bytes([row(), row(name="宁波海曙精工机械有限公司")])))
    edited = Customer.objects.get(name="宁波海曙精工机械有限公司")
    customer_update(customer=edited, by=owner, data={"city": "宁波市"}, expected_version=1)

    with pytest.raises(ValidationError) as caught:
        import_job_rollback(job=job, by=owner)

    assert edited.code in caught.value.messages[0]
    assert Customer.objects.count() == 2
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE


def test_a_crashed_run_resumes_after_the_last_committed_chunk(owner, monkeypatch):
    monkeypatch.setattr(services, "CHUNK_SIZE", 2)
    job = upload(owner, csv_bytes([row(name=f"公司{i}科技有限公司") for i in range(5)]))
    original = services.write_chunk
    calls = []

    def crash_on_second_chunk(results, **kwargs):
        calls.append(len(results))
        if len(calls) == 2:
            raise RuntimeError("worker died")
        return original(results, **kwargs)

    monkeypatch.setattr(services, "write_chunk", crash_on_second_chunk)
    with pytest.raises(RuntimeError):
        import_job_run(job=job)
    job.refresh_from_db()
    assert (job.status, job.checkpoint, Customer.objects.count()) == (ImportStatus.FAILED, 2, 2)

    run(job)

    assert (job.status, job.created_count, job.error_count) == (ImportStatus.DONE, 5, 0)
    assert Customer.objects.count() == 5
    assert ImportRecord.objects.filter(job=job).count() == 5


def test_running_a_finished_job_again_writes_nothing(owner):
    job = run(upload(owner, csv_bytes([row()])))

    run(job)

    assert Customer.objects.count() == 1
    assert ImportJob.objects.get().created_count == 1


def test_required_column_not_mapped_is_a_clear_error(owner):
    headers = [h for h in HEADERS if h != "手机"]
    job = upload(owner, csv_bytes([row()], headers=headers))

    with pytest.raises(ValidationError) as caught:
        import_job_validate(job=job)

    assert str(TARGET_LABELS["dm_mobile"]) in caught.value.messages[0]


def test_a_check_that_failed_on_the_mapping_can_be_remapped_and_checked_again(owner):
    headers = ["客户名称", "Handy", *[h for h in HEADERS if h not in ("客户名称", "手机")]]
    values = row()
    values["Handy"] = values["手机"]
    job = upload(owner, csv_bytes([values], headers=headers))
    with pytest.raises(ValidationError):
        import_job_validate(job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED

    import_job_set_mapping(
        job=job, by=owner, mapping={**job.mapping, "Handy": "dm_mobile"}, mode="create"
    )
    import_job_validate(job=job)

    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == (ImportStatus.VALIDATED, 1, 0)

import io

from django.core.files.base import ContentFile
from openpyxl import load_workbook

from kehu.customers.models import Customer, CustomFieldDefinition, Industry, Region
from kehu.customers.tests.factories import next_mobile
from kehu.dataquality.imports.mapping import targets
from kehu.dataquality.imports.services import import_job_create, import_job_run
from kehu.dataquality.imports.template import template_workbook


def _labels() -> dict[str, str]:
    """Header text per target key (in the default language, zh-hans)."""
    return {t.key: str(t.label) for t in targets()}


def _workbook():
    return load_workbook(io.BytesIO(template_workbook()))


def _validations(sheet) -> dict[str, str]:
    """Header text → the list formula of the column's drop-down."""
    headers = {cell.column_letter: cell.value for cell in sheet[1]}
    result = {}
    for validation in sheet.data_validations.dataValidation:
        letter = str(validation.sqref).split(":")[0].rstrip("0123456789")
        assert validation.type == "list"
        result[headers[letter]] = validation.formula1
    return result


def _options(workbook, formula: str) -> list[str]:
    cells = workbook["lists"][formula.split("!")[1].replace("$", "")]
    return [row[0].value for row in cells]


def test_template_has_translated_headers_and_a_notes_row(db):
    sheet = _workbook().active

    headers = [cell.value for cell in sheet[1]]
    assert headers == list(_labels().values())
    assert "客户名称" in headers
    notes = [cell.value for cell in sheet[2]]
    assert all(notes)
    assert sheet.freeze_panes == "A3"


def test_every_preset_column_carries_a_drop_down_list(db):
    CustomFieldDefinition.objects.create(
        key="level", label_zh="客户级别", label_en="Level", field_type="choice", choices=["A", "B"]
    )
    workbook = _workbook()

    validations = _validations(workbook.active)

    label = _labels()
    presets = (
        "customer_type",
        "industry",
        "scale",
        "enterprise_type",
        "region",
        "source",
        "status",
    )
    assert set(validations) == {label[key] for key in presets} | {"客户级别"}
    assert _options(workbook, validations["客户级别"]) == ["A", "B"]
    assert "企业" in _options(workbook, validations[label["customer_type"]])
    leaves = Industry.objects.filter(is_active=True, children__isnull=True).distinct().count()
    assert len(_options(workbook, validations[label["industry"]])) == leaves
    provinces = Region.objects.filter(parent__isnull=False).count()
    assert len(_options(workbook, validations[label["region"]])) == provinces


def test_a_filled_in_template_imports_without_touching_the_notes_row(owner):
    workbook = _workbook()
    sheet = workbook.active
    column = {cell.value: cell.column for cell in sheet[1]}
    label = _labels()
    values = {
        "name": "杭州云栖数据科技有限公司",
        "industry": "软件和信息技术服务业",
        "scale": "中型企业（100-500人）",
        "source": "展会拜访",
        "first_contact_date": "2026-03-01",
        "dm_name": "李明",
        "dm_mobile": next_mobile(),
    }
    for key, value in values.items():
        sheet.cell(row=3, column=column[label[key]], value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = import_job_create(by=owner, file=ContentFile(buffer.getvalue()), filename="template.xlsx")
    import_job_run(job=job)

    job.refresh_from_db()
    assert job.total_rows == 1
    assert (job.created_count, job.error_count) == (1, 0), list(job.row_errors.values("errors"))
    assert Customer.objects.get().name == "杭州云栖数据科技有限公司"

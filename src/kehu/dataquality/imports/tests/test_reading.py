import datetime as dt
import io

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from kehu.dataquality.imports.reading import ImportFileError, detect_encoding, read_sheet
from kehu.dataquality.imports.tests.files import HEADERS, csv_bytes, row, xlsx_bytes


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding_excel_writes_reads_the_same(db, encoding):
    data = csv_bytes([row(name="北京星辰软件技术有限公司", 职务="总经理")], encoding=encoding)

    sheet = read_sheet(data, "customers.csv")

    assert sheet.headers == HEADERS
    number, cells = sheet.rows[0]
    assert number == 2
    assert cells[0] == "北京星辰软件技术有限公司"
    assert cells[HEADERS.index("职务")] == "总经理"


def test_gbk_bytes_are_detected_as_a_chinese_encoding():
    data = "客户名称,手机\n杭州西湖龙井茶业有限公司,13800138000\n".encode("gbk")

    assert detect_encoding(data) == "gb18030"


def test_utf8_with_bom_is_detected():
    assert detect_encoding("名称\n".encode("utf-8-sig")) == "utf-8-sig"


def test_xlsx_numbers_and_dates_read_as_they_look_in_the_cell(db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["客户名称", "手机", "首次接触日期", "年度预算"])
    day = dt.datetime(2026, 3, 1)  # noqa: DTZ001 (Excel cells carry no time zone)
    sheet.append(["杭州云栖数据科技有限公司", 13800138000, day, 12.5])
    buffer = io.BytesIO()
    workbook.save(buffer)

    parsed = read_sheet(buffer.getvalue(), "x.xlsx")

    assert parsed.rows == [(2, ["杭州云栖数据科技有限公司", "13800138000", "2026-03-01", "12.5"])]


def test_xlsx_file_reads_like_the_csv(db):
    rows = [row(name="甲科技有限公司"), row(name="乙科技有限公司")]

    assert read_sheet(xlsx_bytes(rows), "a.xlsx").rows == read_sheet(csv_bytes(rows), "a.csv").rows


def test_empty_rows_are_skipped_and_row_numbers_stay_true(db):
    data = "客户名称,手机\n甲,1\n,\n乙,2\n".encode()

    sheet = read_sheet(data, "a.csv")

    assert [number for number, _cells in sheet.rows] == [2, 4]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"a,b\n1,2\n", "customers.xls", "Only .xlsx and .csv"),
        (b"", "customers.csv", "empty"),
        (b"\n\n", "customers.csv", "empty"),
        (b",b\n1,2\n", "customers.csv", "header row"),
        (b"a,a\n1,2\n", "customers.csv", "same name"),
        (b"not a zip", "customers.xlsx", "cannot be read"),
    ],
)
def test_unreadable_files_get_a_clear_error(data, name, message):
    with translation.override("en"), pytest.raises(ImportFileError, match=message):
        read_sheet(data, name)


@given(st.lists(st.text(alphabet="甲乙丙丁abc123 ,\"'", min_size=1, max_size=8), min_size=1))
def test_any_csv_cell_text_survives_reading(cells):
    values = [c.strip() for c in cells]
    data = csv_bytes(
        [{f"h{i}": v for i, v in enumerate(values)}], headers=[f"h{i}" for i in range(len(values))]
    )

    sheet = read_sheet(data, "a.csv")

    if any(values):
        assert sheet.rows[0][1] == values
    else:
        assert sheet.rows == []

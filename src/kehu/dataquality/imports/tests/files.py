"""Spreadsheets for import tests, written the way users' tools write them."""

import csv
import io

from openpyxl import Workbook

from kehu.customers.tests.factories import next_mobile

HEADERS = [
    "客户名称",
    "客户类型",
    "统一社会信用代码",
    "行业",
    "规模",
    "省份",
    "城市",
    "客户来源",
    "首次接触日期",
    "联系人",
    "职务",
    "手机",
]


def row(name="杭州云栖数据科技有限公司", mobile=None, **overrides):
    values = {
        "客户名称": name,
        "客户类型": "企业",
        "统一社会信用代码": "",
        "行业": "软件和信息技术服务业",
        "规模": "中型企业（100-500人）",
        "省份": "浙江",
        "城市": "杭州市",
        "客户来源": "展会拜访",
        "首次接触日期": "2026-03-01",
        "联系人": "李明",
        "职务": "总经理",
        "手机": mobile or next_mobile(),
    }
    values.update(overrides)
    return values


def csv_bytes(rows, *, encoding="utf-8", headers=HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for values in rows:
        writer.writerow([values.get(h, "") for h in headers])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, *, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(h, "") for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

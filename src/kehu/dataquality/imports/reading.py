"""Reading an uploaded spreadsheet into a header row and rows of strings.

.xlsx is read with python-calamine (Rust, many times faster than openpyxl); .csv is decoded
with the encoding charset-normalizer detects, so files saved by Excel in China (GBK/GB18030)
read as well as UTF-8 with or without a byte-order mark.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

SUPPORTED_SUFFIXES = (".xlsx", ".csv")
_CHINESE_ENCODINGS = {"gbk", "gb2312", "gb18030", "hz", "big5", "cp936"}


class ImportFileError(ValueError):
    """The file cannot be read as a spreadsheet; the message is translated."""


@dataclass
class Sheet:
    """The header row and the data rows of the first sheet, each as (spreadsheet row number,
    cells as stripped strings, as many as headers); the header is row 1."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Excel stores 13800138000 and 2024 as floats; write them as they look in the cell.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as UTF-8; otherwise what
    charset-normalizer finds, with any Chinese guess widened to GB18030 (a superset of GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding.replace("_", "").lower() in _CHINESE_ENCODINGS:
        return "gb18030"
    return best.encoding


def _read_csv(data: bytes) -> list[list[str]]:
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The CSV file is not in UTF-8 or GBK encoding; save it again as CSV UTF-8.")
        ) from exc
    # Excel writes commas (tabs for "Unicode text"); the header row tells which.
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)
    return [
        [cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
    ]


def _read_xlsx(data: bytes) -> list[list[str]]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        return [[_cell_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise ImportFileError(
            _("The Excel file cannot be read; is it a valid .xlsx file?")
        ) from exc


def read_sheet(data: bytes, filename: str, *, skip_rows: set[str] | None = None) -> Sheet:
    """Parse the file; `skip_rows` holds the template's notes texts so its notes row (row 2)
    is not taken for data. Fully empty rows are no data (Excel leaves them after deletes)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ImportFileError(
            _("Only .xlsx and .csv files can be imported, not %(name)s.") % {"name": filename}
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    rows = _read_xlsx(data) if suffix == ".xlsx" else _read_csv(data)
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise ImportFileError(_("The file is empty."))
    width = len(rows[0])
    while width and not rows[0][width - 1]:
        width -= 1
    headers = rows[0][:width]
    if not headers or not all(headers):
        raise ImportFileError(_("The first row must be a header row with a name in every column."))
    if len(set(headers)) != len(headers):
        raise ImportFileError(_("Two columns of the header row have the same name."))
    data_rows = []
    for index, row in enumerate(rows[1:]):
        cells = (row + [""] * width)[:width]
        if not any(cells):
            continue
        if index == 0 and skip_rows and all(c in skip_rows for c in cells if c):
            continue
        data_rows.append((index + 2, cells))
    return Sheet(headers=headers, rows=data_rows)

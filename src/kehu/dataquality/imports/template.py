"""The .xlsx files the importer hands out: the blank template (drop-down lists on every preset
column, a notes row) and the error file (bad rows with a reason per cell)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from kehu.customers.models import Industry, Region
from kehu.dataquality.imports.mapping import NOTE_PREFIX, Target, targets
from kehu.dataquality.imports.rows import CHOICES

TEMPLATE_ROWS = 5000  # rows below the header that carry the drop-down lists
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
NOTE_FILL = PatternFill("solid", fgColor="FFF2CC")
LISTS_SHEET = "lists"


def _options(target: Target) -> list[str]:
    """The labels a user picks from, in the active language (the importer accepts both)."""
    if target.key in CHOICES:
        return [str(label) for _value, label in CHOICES[target.key].choices]
    if target.key == "industry":
        leaves = Industry.objects.filter(is_active=True, children__isnull=True).distinct()
        return [i.label for i in leaves.order_by("sort_order", "id")]
    if target.key == "region":
        provinces = Region.objects.filter(is_active=True, parent__isnull=False)
        return [r.label for r in provinces.order_by("sort_order", "id")]
    return list(target.choices)


def _note(target: Target) -> str:
    return f"{NOTE_PREFIX}: {target.note}"


def notes_texts() -> set[str]:
    """Every notes-row text in every language, so the reader can recognise the notes row."""
    texts = set()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            texts.update(_note(t) for t in targets())
    return texts


def template_workbook() -> bytes:
    """Header row (translated labels), a notes row, drop-down lists from a hidden sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Customers")
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_column = 0
    for index, target in enumerate(targets(), start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index, value=str(target.label))
        header.font = Font(bold=True, color="C00000" if target.required else "000000")
        note = sheet.cell(row=2, column=index, value=_note(target))
        note.fill = NOTE_FILL
        note.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = 18
        options = _options(target)
        if not options:
            continue
        list_column += 1
        list_letter = get_column_letter(list_column)
        for row, option in enumerate(options, start=1):
            lists.cell(row=row, column=list_column, value=option)
        validation = DataValidation(
            type="list",
            formula1=f"{quote_sheetname(LISTS_SHEET)}!${list_letter}$1:${list_letter}${len(options)}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=str(target.label),
            error=_("Choose a value from the list."),
        )
        validation.add(f"{letter}3:{letter}{TEMPLATE_ROWS + 2}")
        sheet.add_data_validation(validation)
    sheet.row_dimensions[2].height = 60
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def error_workbook(headers: list[str], rows: Iterable) -> bytes:
    """Bad rows with their original cells; each bad cell red with its reason as a comment, and
    a last column with every reason of the row. `rows` yields ImportRowError-like objects."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rows not imported"))
    bold = Font(bold=True)
    header_cells = []
    for text in [*headers, _("Row in the file"), _("Reason")]:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for error in rows:
        cells = []
        for header, value in zip(headers, error.values, strict=False):
            messages = error.errors.get(header)
            cell = WriteOnlyCell(sheet, value=value)
            if messages:
                cell.fill = ERROR_FILL
                cell.comment = Comment("\n".join(messages), "Kehu", width=300, height=100)
            cells.append(cell)
        reasons = [
            f"{header}: {message}" if header else message
            for header, messages in error.errors.items()
            for message in messages
        ]
        cells.append(WriteOnlyCell(sheet, value=error.row_number))
        cells.append(WriteOnlyCell(sheet, value="；".join(reasons)))
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

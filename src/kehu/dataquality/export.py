"""Export of the current filtered customer list to .xlsx or .csv (issue 4, item 2).

The rows are exactly what the customer list shows the caller: ``CustomerFilter`` over
``customers.selectors.customer_list(user=...)``, so an export can never reach past the user's
data scope. Rows are read 2,000 at a time. Mobile numbers are masked unless the caller asked
for unmasked output *and* may unmask that row. Text cells that a spreadsheet would take for a
formula are neutralised (OWASP CSV injection). Every export is logged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kehu.accounts.models import User
from kehu.core.permissions import unmaskable_customer_ids
from kehu.customers.filters import CustomerFilter
from kehu.customers.models import Contact, Customer, CustomFieldDefinition, UnmaskLog
from kehu.customers.selectors import customer_list
from kehu.customers.sensitive import CONTACT_MOBILE, CUSTOM_PREFIX, is_hidden, mask_text
from kehu.customers.validators import mask_mobile
from kehu.dataquality.models import ExportFormat, ExportLog

CHUNK_SIZE = 2000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Query parameters that steer the export itself rather than filter the rows.
NOT_FILTERS = frozenset({"page", "unmasked", "format"})
TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
CONTENT_TYPES = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.CSV: "text/csv; charset=utf-8",
}


class ExportFormatError(ValueError):
    pass


def neutralise(value: Any) -> Any:
    """A text cell starting with = + - @ (or tab / CR) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _choice_label(choices, value: str) -> str:
    return str(dict(choices).get(value, value)) if value else ""


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _wants_unmasked(params: Mapping) -> bool:
    value = params.get("unmasked")
    return str(value or "").strip().lower() in TRUE_VALUES


def filter_params(params: Mapping) -> dict[str, Any]:
    """The filter as logged: non-empty values only, a list where a parameter repeats."""
    result: dict[str, Any] = {}
    for key in params:
        if key in NOT_FILTERS:
            continue
        if isinstance(params, QueryDict):
            values = params.getlist(key)
        else:
            raw = params[key]
            values = list(raw) if isinstance(raw, list | tuple) else [raw]
        values = [str(v) for v in values if v not in (None, "")]
        if values:
            result[key] = values if len(values) > 1 else values[0]
    return result


def _headers(definitions: list[CustomFieldDefinition], *, mobile: bool = True) -> list[str]:
    field = Customer._meta.get_field
    contact = Contact._meta.get_field
    base = [
        field("code").verbose_name,
        field("name").verbose_name,
        field("customer_type").verbose_name,
        field("industry").verbose_name,
        field("scale").verbose_name,
        field("enterprise_type").verbose_name,
        field("region").verbose_name,
        field("city").verbose_name,
        field("district").verbose_name,
        field("street").verbose_name,
        field("source").verbose_name,
        field("first_contact_date").verbose_name,
        field("status").verbose_name,
        field("annual_budget").verbose_name,
        field("owner").verbose_name,
        field("department").verbose_name,
        contact("is_decision_maker").verbose_name,
        contact("title").verbose_name,
        *([contact("mobile").verbose_name] if mobile else []),
        field("remarks").verbose_name,
        field("created_at").verbose_name,
        field("updated_at").verbose_name,
    ]
    return [str(h) for h in base] + [d.label for d in definitions]


def _row(
    customer: Customer,
    definitions: list[CustomFieldDefinition],
    *,
    unmask: bool,
    mobile_shown: bool = True,
) -> list[Any]:
    """`mobile_shown`: False when field security hides mobiles from the exporting user (the
    column is left out, as in _headers)."""
    field = Customer._meta.get_field
    contacts = getattr(customer, "key_contacts", None)
    contact = contacts[0] if contacts else customer.decision_maker
    mobile = contact.mobile if contact else ""
    budget = customer.annual_budget
    row: list[Any] = [
        customer.code,
        customer.name,
        _choice_label(field("customer_type").choices, customer.customer_type),
        str(customer.industry) if customer.industry_id else "",
        _choice_label(field("scale").choices, customer.scale),
        _choice_label(field("enterprise_type").choices, customer.enterprise_type),
        customer.region_label,
        customer.city,
        customer.district,
        customer.street,
        _choice_label(field("source").choices, customer.source),
        customer.first_contact_date.isoformat() if customer.first_contact_date else "",
        _choice_label(field("status").choices, customer.status),
        budget if isinstance(budget, Decimal) else "",
        str(customer.owner) if customer.owner_id else "",
        str(customer.department) if customer.department_id else "",
        contact.name if contact else "",
        contact.title if contact else "",
        *([mobile if unmask else mask_mobile(mobile)] if mobile_shown else []),
        customer.remarks,
        _local(customer.created_at),
        _local(customer.updated_at),
    ]
    for definition in definitions:
        value = (customer.custom_fields or {}).get(definition.key)
        if definition.sensitive:
            value = mask_text(value)  # an unmasked export reveals mobiles only
        row.append("" if value is None else str(value))
    return [neutralise(v) for v in row]


class _Rows:
    """Yields export rows chunk by chunk and counts what it produced."""

    def __init__(
        self,
        *,
        user: User,
        params: Mapping,
        want_unmasked: bool,
        customers=None,
        ip_address: str | None = None,
    ) -> None:
        self.user = user
        self.ip_address = ip_address
        self.mobile_shown = not is_hidden(user, CONTACT_MOBILE)
        self.want_unmasked = want_unmasked and self.mobile_shown
        self.count = 0
        self.any_unmasked = False
        self.queryset = (
            customers
            if customers is not None
            else CustomerFilter(data=params, queryset=customer_list(user=user), user=user).qs
        )
        # Custom fields marked sensitive and hidden from the user's roles are left out.
        self.definitions = [
            d
            for d in CustomFieldDefinition.objects.filter(is_active=True)
            if not (d.sensitive and is_hidden(user, CUSTOM_PREFIX + d.key))
        ]

    def headers(self) -> list[str]:
        return _headers(self.definitions, mobile=self.mobile_shown)

    def __iter__(self) -> Iterator[list[Any]]:
        # iterator(chunk_size=…) keeps the list's sort order and runs the decision-maker
        # prefetch once per chunk; PostgreSQL streams it through a server-side cursor.
        chunk: list[Customer] = []
        for customer in self.queryset.iterator(chunk_size=CHUNK_SIZE):
            chunk.append(customer)
            if len(chunk) >= CHUNK_SIZE:
                yield from self._rows(chunk)
                chunk = []
        yield from self._rows(chunk)

    def _rows(self, chunk: list[Customer]) -> Iterator[list[Any]]:
        # The right to unmask is checked per row, one query per chunk.
        allowed = (
            unmaskable_customer_ids(self.user, [c.pk for c in chunk])
            if self.want_unmasked and chunk
            else set()
        )
        revealed = []
        for customer in chunk:
            unmask = customer.pk in allowed
            self.any_unmasked |= unmask
            self.count += 1
            row = _row(customer, self.definitions, unmask=unmask, mobile_shown=self.mobile_shown)
            if unmask:
                contacts = getattr(customer, "key_contacts", None) or []
                if contacts and contacts[0].mobile:
                    revealed.append((customer.pk, contacts[0].pk))
            yield row
        # An unmasked export reveals numbers like the unmask button: logged per record.
        UnmaskLog.objects.bulk_create(
            UnmaskLog(
                user=self.user,
                customer_id=customer_id,
                contact_id=contact_id,
                field="mobile",
                ip_address=self.ip_address,
            )
            for customer_id, contact_id in revealed
        )


def _write_xlsx(rows: _Rows) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Customers")[:31])
    headers = rows.headers()
    for index, header in enumerate(headers, start=1):
        width = 12 if index > 2 else (16 if index == 1 else 36)
        sheet.column_dimensions[get_column_letter(index)].width = max(width, len(header) * 2 + 2)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_csv(rows: _Rows) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # BOM: Excel in China opens UTF-8 correctly only with it
    writer = csv.writer(buffer)
    writer.writerow(rows.headers())
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def export_filename(file_format: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{_('Customers')}_{stamp}.{file_format}"


def customers_export(
    *,
    user: User,
    params: QueryDict | Mapping,
    file_format: str,
    ip_address: str | None = None,
    customers=None,
) -> tuple[bytes, str, int]:
    """Export what ``user`` sees in the customer list filtered by ``params``.

    Returns ``(content, filename, row_count)`` and writes one ``ExportLog``. ``customers``,
    when given, are the rows instead (already cut to ``user``'s scope: a segment's target
    list); ``params`` then only say what is logged and whether to unmask.
    """
    if file_format not in ExportFormat.values:
        raise ExportFormatError(file_format)
    rows = _Rows(
        user=user,
        params=params,
        want_unmasked=_wants_unmasked(params),
        customers=customers,
        ip_address=ip_address,
    )
    content = _write_xlsx(rows) if file_format == ExportFormat.XLSX else _write_csv(rows)
    ExportLog.objects.create(
        user=user,
        file_format=file_format,
        filters=filter_params(params),
        row_count=rows.count,
        unmasked=rows.any_unmasked,
        ip_address=ip_address or None,
    )
    return content, export_filename(file_format), rows.count

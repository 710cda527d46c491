"""Turning spreadsheet rows into checked, unsaved customers, a chunk at a time.

Everything a row needs is loaded once per job (presets, assignable owners, custom fields) or
once per chunk (existing customers by code, duplicate candidates), so validating a row runs no
query. The rules are kehu.customers.services.customer_check: the same as the form's.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import inspect
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db.models import Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.accounts.selectors import assignable_users
from kehu.core.access import visible_customers
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerType,
    EnterpriseType,
    Industry,
    Region,
    Scale,
    Source,
    Status,
)
from kehu.customers.sensitive import mobile_index
from kehu.customers.services import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    CheckContext,
    customer_check,
    customer_check_changes,
)
from kehu.dataquality.imports.mapping import CUSTOM_PREFIX
from kehu.dataquality.imports.models import ImportMode
from kehu.dataquality.normalize import normalize_company_name

CHOICES = {
    "customer_type": CustomerType,
    "scale": Scale,
    "enterprise_type": EnterpriseType,
    "source": Source,
    "status": Status,
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
# Fields of the customer that update mode copies to ImportRecord.before for rollback.
RESTORED_FIELDS = tuple(f for f in CUSTOMER_FIELDS if f not in ("industry", "region")) + (
    "industry_id",
    "region_id",
    "owner_id",
    "department_id",
    "custom_fields",
    "name_pinyin",
    "name_initials",
    "name_key",
)


def _fold(text: str) -> str:
    return "".join(str(text).split()).lower()


def _labels(choices) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value, label in choices.choices:
        lookup[_fold(value)] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                text = str(label)
            lookup[_fold(text)] = value
            # "中型企业（100-500人）" is also accepted as "中型企业".
            short = re.split(r"[（(]", text, maxsplit=1)[0]
            lookup.setdefault(_fold(short), value)
    return lookup


def _presets(model) -> dict[str, object]:
    lookup: dict[str, object] = {}
    for item in model.objects.filter(is_active=True).select_related("parent"):
        for name in (item.code, item.name_zh, item.name_en):
            lookup.setdefault(_fold(name), item)
        if item.parent_id:
            for sep in ("-", "/", ""):
                lookup.setdefault(_fold(f"{item.parent.name_zh}{sep}{item.name_zh}"), item)
    return lookup


@functools.lru_cache(maxsize=4096)
def parse_date(text: str) -> dt.date | None:
    """The date a cell spells in one of DATE_FORMATS, or None. Cached: a pure function of
    the text, and a file repeats its dates (strptime costs ~15 µs a call)."""
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    return None


@dataclass
class RowResult:
    number: int
    cells: list[str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    customer: Customer | None = None
    contact: Contact | None = None
    existing: Customer | None = None
    before: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)


@dataclass
class Duplicate:
    customer_id: int
    code: str
    owner: str


class RowChecker:
    """Checks rows of one job; create once per run, call `check_chunk` per chunk."""

    def __init__(self, *, by: User, mode: str, headers: list[str], mapping: dict[str, str]):
        self.by = by
        self.mode = mode
        self.columns = [(i, mapping[h]) for i, h in enumerate(headers) if mapping.get(h)]
        self.header_of = {mapping[h]: h for h in headers if mapping.get(h)}
        self.context = CheckContext.load(by=by)
        self.choices = {key: _labels(choices) for key, choices in CHOICES.items()}
        self.industries = _presets(Industry)
        self.regions = _presets(Region)
        self.owners = {u.username: u for u in assignable_users(by)}
        self.owners.setdefault(by.username, by)
        # Keys of good rows already seen in this file: {kind: {key: row number}}.
        self.seen: dict[str, dict[str, int]] = {"credit_code": {}, "name_key": {}, "mobile": {}}

    # --- one row ------------------------------------------------------------------------
    def _column(self, key: str) -> str:
        if key.startswith("decision_maker."):
            key = "dm_" + key.split(".", 1)[1]
        elif key.startswith("custom_fields."):
            key = CUSTOM_PREFIX + key.split(".", 1)[1]
        return self.header_of.get(key, "")

    def _parse(self, row: RowResult) -> tuple[dict, dict, dict, User | None, str]:
        data: dict = {}
        maker: dict = {}
        custom: dict = {}
        owner = None
        code = ""
        for index, key in self.columns:
            text = row.cells[index]
            if not text:
                continue
            header = self.header_of[key]
            if key == "code":
                code = text.upper()
            elif key in CHOICES:
                value = self.choices[key].get(_fold(text))
                if value is None:
                    row.add(
                        header, _("“%(value)s” is not an option of this column.") % {"value": text}
                    )
                data[key] = value or ""
            elif key in ("industry", "region"):
                lookup = self.industries if key == "industry" else self.regions
                item = lookup.get(_fold(text))
                if item is None:
                    row.add(
                        header, _("“%(value)s” is not an option of this column.") % {"value": text}
                    )
                data[key] = item
            elif key == "first_contact_date":
                data[key] = parse_date(text)
                if data[key] is None:
                    row.add(header, _("Enter a date as YYYY-MM-DD."))
            elif key == "annual_budget":
                try:
                    data[key] = Decimal(text.replace(",", "").replace("¥", ""))
                except InvalidOperation:
                    row.add(header, _("Enter a number."))
                    data[key] = None
            elif key == "owner":
                owner = self.owners.get(text)
                if owner is None:
                    row.add(
                        header,
                        _("There is no user “%(username)s” you may assign customers to.")
                        % {"username": text},
                    )
            elif key.startswith("dm_"):
                maker[key[3:]] = text
            elif key.startswith(CUSTOM_PREFIX):
                custom[key[len(CUSTOM_PREFIX) :]] = text
            else:
                data[key] = text
        return data, maker, custom, owner, code

    def _apply(self, row: RowResult, check) -> None:
        """Add the rule errors, except on cells that could not even be read (their "required"
        or "blank" error would only repeat the reading error)."""
        unreadable = set(row.errors)
        for key, messages in check.errors.items():
            column = self._column(key)
            if column and column in unreadable:
                continue
            for message in messages:
                row.add(column, message)
        row.customer, row.contact = check.customer, check.contact

    def _check_create(self, row: RowResult, data, maker, custom, owner, passed=False) -> None:
        data.setdefault("customer_type", CustomerType.ENTERPRISE)
        data.setdefault("status", Status.PROSPECT)
        check = customer_check(
            by=self.by,
            data=data,
            decision_maker=maker,
            owner=owner,
            custom_fields=custom,
            context=self.context,
            validate=not passed,
        )
        self._apply(row, check)

    def _check_update(self, row, existing, contact, data, maker, custom, owner) -> None:
        status = data.pop("status", None)
        if status and status != existing.status:
            row.add(
                self.header_of["status"],
                _("Status changes go through their own flow; leave this cell empty."),
            )
        row.before = {f: getattr(existing, f) for f in RESTORED_FIELDS}
        row.before["decision_maker"] = (
            {f: getattr(contact, f) for f in CONTACT_FIELDS} if contact and contact.pk else None
        )
        if contact is None:
            contact = Contact(customer=existing, is_decision_maker=True)
        data = {k: v for k, v in data.items() if v is not None}
        check = customer_check_changes(
            by=self.by,
            customer=existing,
            contact=contact,
            data=data,
            decision_maker=maker,
            owner=owner,
            custom_fields=custom or None,
            context=self.context,
        )
        self._apply(row, check)
        row.existing = existing

    # --- a chunk ------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """What a row's verdict depends on besides its cells: mode, mapping, the importing
        user, every lookup loaded for the job and the source of the rules. A dry run stores
        it; a write with the same fingerprint may reuse the dry run's verdicts."""
        from kehu.customers import models as customer_models
        from kehu.customers import services as customer_services
        from kehu.customers import validators as customer_validators

        definitions = [
            {f.attname: str(getattr(f_obj, f.attname)) for f in f_obj._meta.concrete_fields}
            for f_obj in sorted(self.context.custom_fields, key=lambda d: d.pk)
        ]
        state = {
            "mode": self.mode,
            "columns": self.columns,
            "by": self.by.pk,
            "custom_fields": definitions,
            "parent_industries": sorted(self.context.parent_industry_ids),
            "assignable": sorted(self.context.assignable_owner_ids),
            "industries": sorted((k, v.pk, v.parent_id) for k, v in self.industries.items()),
            "regions": sorted((k, v.pk, v.parent_id) for k, v in self.regions.items()),
            "owners": sorted((k, u.pk, u.is_active) for k, u in self.owners.items()),
            "rules": [
                hashlib.sha256(Path(module.__file__).read_bytes()).hexdigest()
                for module in (
                    customer_services,
                    customer_models,
                    customer_validators,
                    inspect.getmodule(RowChecker),
                )
            ],
            "phonenumbers": importlib.metadata.version("phonenumbers"),
            "django": importlib.metadata.version("django"),
        }
        return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()

    def check_chunk(
        self, numbered_rows: list[tuple[int, list[str]]], passed: frozenset[int] = frozenset()
    ) -> list[RowResult]:
        """`passed`: numbers of rows a dry run with this checker's fingerprint found without
        error; new customers among them skip the model's field validation (its verdict is
        known), everything else, duplicates included, is checked again."""
        rows = [RowResult(number=n, cells=cells) for n, cells in numbered_rows]
        parsed = [self._parse(row) for row in rows]
        existing, contacts = self._load_existing({p[4] for p in parsed if p[4]})
        code_header = self.header_of.get("code", "")
        updated: set[int] = set()
        for row, (data, maker, custom, owner, code) in zip(rows, parsed, strict=True):
            update = self.mode == ImportMode.UPDATE or (self.mode == ImportMode.UPSERT and code)
            if update:
                if not code:
                    row.add(code_header, _("Enter the code of the customer to update."))
                    continue
                current = existing.get(code)
                if current is None:
                    row.add(
                        code_header,
                        _("You cannot edit a customer with the code %(code)s.") % {"code": code},
                    )
                    continue
                if current.pk in updated:
                    row.add(code_header, _("This customer is updated by an earlier row."))
                    continue
                updated.add(current.pk)
                self._check_update(
                    row, current, contacts.get(current.pk), data, maker, custom, owner
                )
            else:
                if code:
                    row.add(code_header, _("Leave the customer code empty to create a customer."))
                self._check_create(
                    row, data, maker, custom, owner, passed=row.ok and row.number in passed
                )
        self._check_duplicates(rows)
        return rows

    def _load_existing(self, codes: set[str]) -> tuple[dict[str, Customer], dict[int, Contact]]:
        if not codes:
            return {}, {}
        editable = visible_customers(self.by).editable_by(self.by)
        customers = {c.code: c for c in editable.filter(code__in=codes).select_related("owner")}
        makers = Contact.objects.filter(
            customer_id__in=[c.pk for c in customers.values()], is_decision_maker=True
        )
        return customers, {c.customer_id: c for c in makers}

    def _keys(self, row: RowResult) -> dict[str, str]:
        keys = {}
        if row.customer is not None:
            if row.customer.credit_code:
                keys["credit_code"] = row.customer.credit_code
            name_key = normalize_company_name(row.customer.name or "")
            if name_key:
                keys["name_key"] = name_key[:128]
        if row.contact is not None and row.contact.mobile:
            # The blind index, as the table is searched by it (the number itself is encrypted).
            keys["mobile"] = mobile_index(row.contact.mobile)
        return keys

    def _check_duplicates(self, rows: list[RowResult]) -> None:
        """Against the table (three queries per chunk) and against earlier good rows."""
        keyed = [(row, self._keys(row)) for row in rows]
        wanted: dict[str, set[str]] = {"credit_code": set(), "name_key": set(), "mobile": set()}
        for _row, keys in keyed:
            for kind, key in keys.items():
                wanted[kind].add(key)
        found = self._find_in_table(wanted)
        columns = {"credit_code": "credit_code", "name_key": "name", "mobile": "dm_mobile"}
        what = {
            "credit_code": _("unified social credit code"),
            "name_key": _("customer name"),
            "mobile": _("decision maker's mobile"),
        }
        for row, keys in keyed:
            own_id = row.existing.pk if row.existing is not None else None
            for kind, key in keys.items():
                column = self.header_of.get(columns[kind], "")
                match = found[kind].get(key)
                if match is not None and match.customer_id != own_id:
                    row.add(
                        column,
                        _("Same %(what)s as the existing customer %(code)s (owner %(owner)s).")
                        % {"what": what[kind], "code": match.code, "owner": match.owner},
                    )
                elif key in self.seen[kind]:
                    row.add(
                        column,
                        _("Same %(what)s as row %(row)d of this file.")
                        % {"what": what[kind], "row": self.seen[kind][key]},
                    )
            if row.ok:
                for kind, key in keys.items():
                    self.seen[kind][key] = row.number

    def _find_in_table(self, wanted: dict[str, set[str]]) -> dict[str, dict[str, Duplicate]]:
        owner_name = Coalesce(NullIf("owner__full_name", Value("")), "owner__username")
        found: dict[str, dict[str, Duplicate]] = {kind: {} for kind in wanted}
        for kind in ("credit_code", "name_key"):
            if wanted[kind]:
                rows = (
                    Customer.objects.filter(Q(**{f"{kind}__in": wanted[kind]}))
                    .annotate(owner_label=owner_name)
                    .values_list(kind, "id", "code", "owner_label")
                )
                for key, pk, code, owner in rows:
                    found[kind].setdefault(key, Duplicate(pk, code, owner))
        if wanted["mobile"]:
            rows = (
                Contact.objects.filter(mobile_hash__in=wanted["mobile"], is_decision_maker=True)
                .annotate(
                    owner_label=Coalesce(
                        NullIf("customer__owner__full_name", Value("")), "customer__owner__username"
                    )
                )
                .values_list("mobile_hash", "customer_id", "customer__code", "owner_label")
            )
            for key, pk, code, owner in rows:
                found["mobile"].setdefault(key, Duplicate(pk, code, owner))
        return found

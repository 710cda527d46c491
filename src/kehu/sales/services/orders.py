"""Order (订单) writes: the customer's transaction history that value and churn analysis read.

An order has at least one line; each line's amount is quantity × unit price, and the order
amount is the sum of its lines (computed here, never typed). An order linked to a contract is
of the same customer and in the contract's currency. Edits name the version they were based
on (a stale one is refused); a refusal writes nothing. A deleted order goes to the recycle
bin with its lines.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.codes import next_serial
from kehu.core.permissions import can_change_order, can_create_order, can_edit_customer
from kehu.customers.models import Customer
from kehu.customers.services import StaleEditError
from kehu.recyclebin.services import recyclebin_delete
from kehu.sales.models import Contract, Order, OrderLine
from kehu.sales.services.leads import CONTROL_CHARACTERS
from kehu.sales.services.opportunities import _check_owner

ORDER_FIELDS = ("number", "ordered_on", "currency", "status", "notes")
LINE_FIELDS = ("product_name", "sku", "quantity", "unit_price")
MAX_LINES = 200
CENT = Decimal("0.01")


def order_new_number() -> str:
    """DD + yyyymm + 5-digit serial per month (DD20261100001)."""
    prefix = f"DD{timezone.localdate():%Y%m}"
    return f"{prefix}{next_serial(prefix):05d}"


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _build_lines(lines: list[dict[str, Any]], errors: dict[str, list[str]]) -> list[OrderLine]:
    built: list[OrderLine] = []
    if not lines:
        _add(errors, "lines", _("An order needs at least one line."))
        return built
    if len(lines) > MAX_LINES:
        _add(errors, "lines", _("An order has at most %(max)d lines.") % {"max": MAX_LINES})
        return built
    for index, data in enumerate(lines):
        prefix = f"lines.{index}."
        line = OrderLine(
            product_name=(data.get("product_name") or "").strip(),
            sku=(data.get("sku") or "").strip(),
            quantity=data.get("quantity"),
            unit_price=data.get("unit_price"),
            amount=Decimal(0),
        )
        for field in ("product_name", "sku"):
            if CONTROL_CHARACTERS.search(getattr(line, field)):
                _add(errors, prefix + field, _("This field contains invalid characters."))
        try:
            line.full_clean(exclude=["order", "amount"], validate_constraints=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(prefix + field, []).extend(messages)
            continue
        if line.quantity <= 0:
            _add(errors, prefix + "quantity", _("The quantity must be more than zero."))
        if line.unit_price < 0:
            _add(errors, prefix + "unit_price", _("The unit price cannot be negative."))
        line.amount = (line.quantity * line.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        if line.amount >= Decimal("1e12"):
            _add(errors, prefix + "quantity", _("The line amount is too large."))
        built.append(line)
    return built


def _clean_order(order: Order, errors: dict[str, list[str]]) -> None:
    order.number = (order.number or "").strip().upper()
    order.notes = (order.notes or "").strip()
    for field in ("number", "notes"):
        if CONTROL_CHARACTERS.search(getattr(order, field)):
            _add(errors, field, _("This field contains invalid characters."))
    exclude = ["customer", "owner", "contract", "department", "amount", *errors]
    if not order.number:
        exclude.append("number")
    try:
        order.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if order.ordered_on and order.ordered_on > timezone.localdate():
        _add(errors, "ordered_on", _("The order date cannot be in the future."))
    contract = order.contract
    if contract is not None:
        if contract.customer_id != order.customer_id:
            _add(errors, "contract", _("The contract belongs to another customer."))
        elif contract.currency != order.currency:
            _add(
                errors,
                "currency",
                _("The order must be in the contract's currency (%(currency)s).")
                % {"currency": contract.currency},
            )


def _write_lines(order: Order, lines: list[OrderLine]) -> None:
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)


def order_create(
    *,
    by: User,
    customer: Customer,
    data: dict[str, Any],
    lines: list[dict[str, Any]],
    owner: User | None = None,
    contract: Contract | None = None,
) -> Order:
    """Record a purchase by `customer` with its lines; an empty number gets the next DD code."""
    if not can_create_order(by, customer):
        raise PermissionDenied
    owner = owner or by
    errors: dict[str, list[str]] = {}
    order = Order(
        customer=customer,
        contract=contract,
        owner=owner,
        department_id=owner.department_id,
        created_by=by,
        **{k: data[k] for k in ORDER_FIELDS if k in data and data[k] is not None},
    )
    _check_owner(owner=owner, customer=customer, errors=errors)
    _clean_order(order, errors)
    built = _build_lines(lines, errors)
    if errors:
        raise ValidationError(errors)
    order.amount = sum((line.amount for line in built), Decimal(0))
    with transaction.atomic():
        if not order.number:
            order.number = order_new_number()
        order._history_user = by
        order.save()
        _write_lines(order, built)
    return order


def order_update(
    *,
    order: Order,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    lines: list[dict[str, Any]] | None = None,
    owner: User | None = None,
    contract: Contract | None = None,
) -> Order:
    """Edit the order; `lines`, when given, replace all its lines. `contract` is applied when
    ``"contract"`` is a key of `data` (None unlinks)."""
    if not can_change_order(by, order):
        raise PermissionDenied
    with transaction.atomic():
        current = Order.objects.select_for_update().get(pk=order.pk)
        if expected_version is None or int(expected_version) != current.version:
            raise StaleEditError(current, since=expected_version)
        errors: dict[str, list[str]] = {}
        for field in ORDER_FIELDS:
            if field in data:
                value = data[field]
                if value is None and field in ("number", "notes"):
                    value = ""
                setattr(current, field, value)
        if not current.number:
            _add(errors, "number", _("The order number cannot be empty."))
        if "contract" in data:
            current.contract = contract
        if owner is not None and owner.pk != current.owner_id:
            _check_owner(owner=owner, customer=current.customer, errors=errors)
            current.owner = owner
            current.department_id = owner.department_id
        _clean_order(current, errors)
        built = _build_lines(lines, errors) if lines is not None else None
        if errors:
            raise ValidationError(errors)
        if built is not None:
            current.lines.all().delete()
            _write_lines(current, built)
            current.amount = sum((line.amount for line in built), Decimal(0))
        current.version = F("version") + 1
        current._history_user = by
        current.save()
    current.refresh_from_db()
    return current


def order_delete(*, order: Order, by: User) -> None:
    """Move an order entered by mistake (with its lines) to the recycle bin: only whoever may
    edit the customer."""
    if not can_edit_customer(by, order.customer):
        raise PermissionDenied
    recyclebin_delete(obj=order, by=by)

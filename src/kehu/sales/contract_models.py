"""Contracts (合同), their payment plan (回款计划/回款) and attachments, and orders (订单), the
customer's transaction history that value and churn analysis read.

Imported into ``kehu.sales.models`` (use the names from there). Every row belongs to a
customer and is visible exactly when its customer is; contracts and orders are edited by
whoever may edit the customer and by their own owner (as opportunities). The write rules
(amount caps, dates, renewal) live in ``sales.services.contracts`` and ``.orders``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kehu.core.models import VersionedModel
from kehu.customers import validators
from kehu.sales.scope_copy import SCOPE_COPY_FIELDS, CustomerScopeCopy

MONEY = {"max_digits": 14, "decimal_places": 2}


class Currency(models.TextChoices):
    """ISO 4217 codes; amounts are stored in the contract's (or order's) own currency."""

    CNY = "CNY", _("CNY (renminbi)")
    USD = "USD", _("USD (US dollar)")
    EUR = "EUR", _("EUR (euro)")
    HKD = "HKD", _("HKD (Hong Kong dollar)")
    JPY = "JPY", _("JPY (yen)")
    GBP = "GBP", _("GBP (pound sterling)")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("contract status", "Draft")
    ACTIVE = "active", pgettext_lazy("contract status", "Active")
    EXPIRED = "expired", pgettext_lazy("contract status", "Expired")
    TERMINATED = "terminated", pgettext_lazy("contract status", "Terminated")
    RENEWED = "renewed", pgettext_lazy("contract status", "Renewed")


# Statuses in which the contract still runs (and so can expire, be renewed or terminated).
RUNNING_CONTRACT_STATUSES = (ContractStatus.DRAFT, ContractStatus.ACTIVE)


class CustomerRowQuerySet(models.QuerySet):
    """Rows with a ``customer`` and an ``owner``: read with the customer, edited by the
    customer's editors and the row's own owner."""

    def visible_to(self, user):
        from kehu.core.access import customer_scope_q

        return self.filter(customer_scope_q(user, prefix="customer__"))

    def editable_by(self, user):
        from kehu.core.access import customer_scope_q

        return self.visible_to(user).filter(
            customer_scope_q(user, write=True, prefix="customer__") | Q(owner_id=user.pk)
        )


class Contract(VersionedModel, CustomerScopeCopy):
    number = models.CharField(
        _("contract number"),
        max_length=32,
        unique=True,
        help_text=_("Left empty, a number like HT20261100001 is given."),
    )
    title = models.CharField(_("contract title"), max_length=128, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_contracts",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
        help_text=_("The owner's department when the owner was assigned."),
    )
    amount = models.DecimalField(
        _("contract amount"), **MONEY, validators=[validators.validate_non_negative]
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), db_index=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ContractStatus.choices,
        default=ContractStatus.ACTIVE,
        db_index=True,
    )
    renewal_of = models.ForeignKey(
        "self",
        verbose_name=_("renewal of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    termination_reason = models.CharField(_("reason for terminating"), max_length=500, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    # The end date the expiry reminder was sent for: at most one reminder per contract and
    # end date (a renewal or a changed end date is a new window).
    expiry_notified_for = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(
        excluded_fields=["version", "expiry_notified_for", *SCOPE_COPY_FIELDS],
        user_related_name="+",
    )
    objects = CustomerRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-signed_on", "-id"]
        indexes = [
            models.Index(fields=["status", "ends_on"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["department", "status"]),
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["scope_owner_id", "status"], name="contract_scope_owner"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="sales_contract_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="sales_contract_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.title}" if self.title else self.number

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_CONTRACT_STATUSES

    def days_left(self, today: dt.date) -> int:
        return (self.ends_on - today).days


def attachment_path(instance: ContractAttachment, filename: str) -> str:
    # The stored name is not the uploaded one (which may hold anything); that is kept in
    # original_name and given back on download.
    import secrets
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:10]
    return f"contracts/{instance.contract_id}/{secrets.token_hex(16)}{suffix}"


class ContractAttachment(models.Model):
    """A scanned or signed copy. Stored under MEDIA_ROOT, which is not served: downloads go
    through the scoped view (sales:contract-attachment)."""

    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract attachment")
        verbose_name_plural = _("contract attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class PaymentQuerySet(models.QuerySet):
    def visible_to(self, user):
        from kehu.core.access import customer_scope_q

        return self.filter(customer_scope_q(user, prefix="contract__customer__"))

    def overdue(self, today: dt.date):
        """Planned for a day before `today` and not (fully) received."""
        return self.filter(planned_on__lt=today, received_amount__lt=F("planned_amount"))


class Payment(VersionedModel, CustomerScopeCopy):
    """One instalment of a contract's payment plan (回款计划) and what was received for it.
    Overdue: planned before today and less received than planned (computed in queries)."""

    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="payments",
    )
    # The contract's customer, copied like its owner and department (sales.scope_copy).
    scope_customer_id = models.BigIntegerField(null=True, editable=False)
    planned_on = models.DateField(_("planned date"))
    planned_amount = models.DecimalField(
        _("planned amount"), **MONEY, validators=[validators.validate_non_negative]
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    received_amount = models.DecimalField(
        _("received amount"),
        **MONEY,
        default=Decimal(0),
        validators=[validators.validate_non_negative],
    )
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    # When the owner was told this instalment is overdue (once per instalment).
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(
        excluded_fields=["version", "overdue_notified_at", "scope_customer_id", *SCOPE_COPY_FIELDS],
        user_related_name="+",
    )
    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["planned_on", "id"]
        indexes = [
            models.Index(fields=["planned_on"]),
            # The dashboard's overdue figure (issue 7): a rep's instalments by owner, and the
            # open ones by date, read from the index alone on PostgreSQL.
            models.Index(fields=["scope_owner_id", "planned_on"], name="payment_scope_owner"),
            models.Index(
                fields=["planned_on"],
                include=[
                    "contract",
                    "planned_amount",
                    "received_amount",
                    "scope_customer_id",
                    "scope_owner_id",
                    "scope_department_id",
                ],
                condition=Q(received_amount__lt=F("planned_amount")),
                name="payment_open",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_amount__gte=0) & Q(received_amount__gte=0),
                name="sales_payment_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} {self.planned_on:%Y-%m-%d}"

    @property
    def outstanding(self) -> Decimal:
        return max(self.planned_amount - self.received_amount, Decimal(0))

    def is_overdue(self, today: dt.date) -> bool:
        return self.planned_on < today and self.received_amount < self.planned_amount


class OrderStatus(models.TextChoices):
    PLACED = "placed", pgettext_lazy("order status", "Placed")
    COMPLETED = "completed", pgettext_lazy("order status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")


class Order(VersionedModel):
    """A purchase by the customer (交易记录): what value and churn analysis count. Cancelled
    orders stay in the history but are not counted."""

    number = models.CharField(_("order number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_orders",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    ordered_on = models.DateField(_("order date"))
    amount = models.DecimalField(
        _("order amount"),
        **MONEY,
        default=Decimal(0),
        help_text=_("The sum of the order lines."),
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=OrderStatus.choices,
        default=OrderStatus.PLACED,
        db_index=True,
    )
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["version"], user_related_name="+")
    objects = CustomerRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "ordered_on"]),
            models.Index(fields=["ordered_on"]),
            models.Index(fields=["owner", "ordered_on"]),
            models.Index(fields=["department", "ordered_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="sales_order_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    product_name = models.CharField(_("product"), max_length=128)
    sku = models.CharField(_("SKU"), max_length=64, blank=True, db_index=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    amount = models.DecimalField(_("line amount"), **MONEY)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(unit_price__gte=0) & Q(amount__gte=0),
                name="sales_order_line_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} × {self.quantity}"

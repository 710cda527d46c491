"""Reads for the sales pages and API; every list starts from the data scope (core.access)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.access import visible_contracts, visible_orders, visible_payments
from kehu.customers.models import Customer
from kehu.sales.models import (
    RUNNING_CONTRACT_STATUSES,
    Contract,
    Lead,
    Opportunity,
    Order,
    OrderStatus,
    Payment,
    PipelineStage,
)

BOARD_CARDS_PER_COLUMN = 50


def lead_list(*, user: User) -> QuerySet[Lead]:
    return Lead.objects.visible_to(user).select_related("owner", "customer")


def opportunity_list(*, user: User) -> QuerySet[Opportunity]:
    return Opportunity.objects.visible_to(user).select_related("customer", "stage", "owner")


def active_stages() -> QuerySet[PipelineStage]:
    return PipelineStage.objects.filter(is_active=True).order_by("sort_order", "id")


@dataclass
class StageColumn:
    stage: PipelineStage
    count: int = 0
    total: Decimal = Decimal(0)
    cards: list[Opportunity] = field(default_factory=list)

    @property
    def weighted(self) -> Decimal:
        return self.total * self.stage.probability / 100

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0)


@dataclass
class Pipeline:
    columns: list[StageColumn]

    @property
    def total(self) -> Decimal:
        return sum((c.total for c in self.columns), Decimal(0))

    @property
    def weighted(self) -> Decimal:
        """Weighted pipeline value: Σ amount × stage probability (amounts left empty count 0)."""
        return sum((c.weighted for c in self.columns), Decimal(0))


def pipeline(opportunities: QuerySet[Opportunity], *, with_cards: bool = False) -> Pipeline:
    """Count, total and weighted value per active stage of `opportunities` (already scoped and
    filtered); with `with_cards`, the first cards of each column for the board."""
    columns = {stage.pk: StageColumn(stage=stage) for stage in active_stages()}
    totals = (
        opportunities.order_by().values("stage_id").annotate(count=Count("id"), total=Sum("amount"))
    )
    for row in totals:
        column = columns.get(row["stage_id"])
        if column is not None:
            column.count = row["count"]
            column.total = row["total"] or Decimal(0)
    if with_cards:
        for column in columns.values():
            if column.count:
                column.cards = list(
                    opportunities.filter(stage=column.stage).order_by("expected_close_date", "id")[
                        :BOARD_CARDS_PER_COLUMN
                    ]
                )
    return Pipeline(columns=list(columns.values()))


def opportunity_history(*, opportunity: Opportunity) -> list:
    return list(
        opportunity.history.select_related("history_user", "stage").order_by("-history_date")[:50]
    )


def lead_history(*, lead: Lead) -> list:
    return list(lead.history.select_related("history_user").order_by("-history_date")[:50])


# --- contracts, payments, orders ---------------------------------------------------------------
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=2))


def _payment_total(field: str):
    """Σ `field` of the contract's payments, as a subquery (no join fan-out with other sums)."""
    return Coalesce(
        Subquery(
            Payment.objects.filter(contract=OuterRef("pk"))
            .order_by()
            .values("contract")
            .annotate(total=Sum(field))
            .values("total")
        ),
        ZERO,
    )


def contract_list(*, user: User, today: dt.date | None = None) -> QuerySet[Contract]:
    """Visible contracts with ``planned_total`` and ``received_total`` of their payments and
    ``has_overdue`` (an instalment overdue as of `today`)."""
    today = today or timezone.localdate()
    return (
        visible_contracts(user)
        .select_related("customer", "owner")
        .annotate(
            planned_total=_payment_total("planned_amount"),
            received_total=_payment_total("received_amount"),
            has_overdue=_has_overdue(today),
        )
    )


def contracts_expiring(
    *, user: User, within_days: int, today: dt.date | None = None
) -> QuerySet[Contract]:
    """Running contracts the user may see that end within `within_days` days from today
    (today included), soonest first."""
    today = today or timezone.localdate()
    return expiring_within(
        contract_list(user=user, today=today), within_days=within_days, today=today
    ).order_by("ends_on", "id")


def expiring_within(contracts: QuerySet[Contract], *, within_days: int, today: dt.date):
    """`contracts` narrowed to the running ones that end within `within_days` days."""
    return contracts.filter(
        status__in=RUNNING_CONTRACT_STATUSES,
        ends_on__gte=today,
        ends_on__lte=today + dt.timedelta(days=within_days),
    )


def payments_overdue(*, user: User, today: dt.date | None = None) -> QuerySet[Payment]:
    """Instalments the user may see that were planned before today and are not fully
    received, on contracts that still count (not terminated), oldest first."""
    today = today or timezone.localdate()
    return (
        overdue_instalments(visible_payments(user), today=today)
        .select_related("contract__customer", "contract__owner")
        .order_by("planned_on", "id")
    )


def overdue_instalments(payments: QuerySet[Payment], *, today: dt.date) -> QuerySet[Payment]:
    """`payments` narrowed to the overdue instalments of contracts that still count."""
    return payments.overdue(today).exclude(contract__status="terminated")


def with_overdue_payments(
    contracts: QuerySet[Contract], *, overdue: bool = True, today: dt.date | None = None
) -> QuerySet[Contract]:
    """`contracts` (already scoped) that have (or, with overdue=False, lack) an overdue
    instalment."""
    late = _has_overdue(today or timezone.localdate())
    return contracts.filter(late if overdue else ~late)


def _has_overdue(today: dt.date) -> Exists:
    """An instalment overdue as of `today` on a contract that still counts: a terminated
    contract's open instalments are not chased (payments_overdue leaves them out too), so the
    flag, the list filter and the dashboard figure agree."""
    return Exists(
        Payment.objects.overdue(today)
        .exclude(contract__status="terminated")
        .filter(contract=OuterRef("pk"))
    )


def payment_order() -> QuerySet[Payment]:
    """Instalments in plan order, for prefetching onto already scoped contracts."""
    return Payment.objects.order_by("planned_on", "id")


def contract_payments(*, contract: Contract) -> list[Payment]:
    return list(contract.payments.order_by("planned_on", "id"))


def orders_of_customer(*, user: User, customer: Customer) -> QuerySet[Order]:
    """The customer's transaction history (newest first), as far as `user` may see it."""
    return (
        visible_orders(user)
        .filter(customer=customer)
        .select_related("owner")
        .order_by("-ordered_on", "-id")
    )


def order_list(*, user: User) -> QuerySet[Order]:
    return visible_orders(user).select_related("customer", "owner")


def counted_orders(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """Orders that count as purchases for value and churn analysis (not cancelled)."""
    return queryset.exclude(status=OrderStatus.CANCELLED)


def contract_history(*, contract: Contract) -> list:
    return list(contract.history.select_related("history_user").order_by("-history_date")[:50])

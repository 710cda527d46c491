"""Reads for the sales pages and API; every list starts from the data scope (core.access)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from kehu.accounts.models import User
from kehu.sales.models import Lead, Opportunity, PipelineStage

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

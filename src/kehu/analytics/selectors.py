"""The sales dashboard's figures (issue 5, item 7). Every figure starts from the viewer's data
scope (core.access through the customers and sales selectors) and is aggregated in the
database: a handful of grouped queries, never a loop over rows. Each figure carries the URL of
the list that shows exactly the rows it counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import CustomerColumns, customer_scope_parts
from kehu.core.queries import BucketOf
from kehu.customers.models import Customer, Industry, Status
from kehu.customers.selectors import presets_by_id
from kehu.sales.models import Contract, Opportunity, Payment
from kehu.sales.selectors import (
    StageColumn,
    active_stages,
    expiring_within,
    opportunity_list,
    overdue_instalments,
)

EXPIRING_WITHIN_DAYS = 30
WON_LOST_MONTHS = 12
# The funnel's steps, in order; a customer counts at its own step and every step before it
# (a customer who signed was once a prospect and interested). Lost customers stand apart.
FUNNEL = (Status.PROSPECT, Status.INTERESTED, Status.CUSTOMER)
ZERO = Decimal(0)


def _url(name: str, params: list[tuple[str, Any]] | None = None) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# Opportunities, contracts and payments are scoped on their copy of the customer's owner and
# department (kehu.sales.scope_copy): the same rows as through the customer, without joining
# a department head's 300,000 customers to as many sales rows (issue 7).
ON_COPY = CustomerColumns.copied()
ON_PAYMENT_COPY = CustomerColumns.copied("scope_customer_id")


def _over_parts(
    user: User,
    columns: CustomerColumns,
    rows_of: Callable[[Q], Iterable[dict[str, Any]]],
    keys: tuple[str, ...],
    split_tree: bool = False,
) -> list[dict[str, Any]]:
    """Grouped sums over the viewer's scope, summed over its disjoint parts
    (core.access.customer_scope_parts; `columns`: where the rows keep their customer).
    `rows_of(part)` is the grouped query on the rows narrowed to one part, which is the
    whole scope test; every value outside `keys` is a count or a sum, so the parts' rows add
    up key by key."""
    merged: dict[tuple, dict[str, Any]] = {}
    for part in customer_scope_parts(user, columns=columns, split_tree=split_tree):
        for row in rows_of(part):
            key = tuple(row[k] for k in keys)
            into = merged.get(key)
            if into is None:
                merged[key] = dict(row)
                continue
            for name, value in row.items():
                if name not in keys and value is not None:
                    into[name] = value if into[name] is None else into[name] + value
    return list(merged.values())


# --- customers -------------------------------------------------------------------------------
def customer_counts(*, user: User) -> list[dict[str, Any]]:
    """The viewer's customers counted per (industry category, status): one pass over the
    scoped customers serves both the industry and the funnel figure (at a million customers
    each pass is most of the dashboard's time, issue 7). Counted per industry in the
    database, read from an index (customer_industry_status, customer_dept_counts,
    customer_owner_counts) without the table; the industries are folded into their
    categories here, from the cached presets (customers.selectors.presets_by_id)."""
    rows = _over_parts(
        user,
        CustomerColumns.through(),
        lambda part: (
            Customer.objects.filter(part)
            .order_by()
            .values("industry_id", "status")
            .annotate(count=Count("*"))
        ),
        keys=("industry_id", "status"),
        split_tree=True,
    )
    industries = presets_by_id(Industry, {row["industry_id"] for row in rows} - {None})
    counts: dict[tuple, int] = {}
    for row in rows:
        industry = row["industry_id"]
        parent = industries[industry].parent_id if industry in industries else None
        key = (parent or industry, row["status"])
        counts[key] = counts.get(key, 0) + row["count"]
    return [
        {"category": category, "status": status, "count": count}
        for (category, status), count in counts.items()
    ]


def _sum_by(rows: list[dict[str, Any]], key: str) -> dict[Any, int]:
    totals: dict[Any, int] = {}
    for row in rows:
        totals[row[key]] = totals.get(row[key], 0) + row["count"]
    return totals


def customers_by_industry(
    *, user: User, counts: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Customers per industry category (门类); a customer filed under a sub-industry counts
    for its category, as the customer list's industry filter does. `counts`: customer_counts()
    already read for this user."""
    counts = _sum_by(customer_counts(user=user) if counts is None else counts, "category")
    names = {pk: i.label for pk, i in presets_by_id(Industry, [k for k in counts if k]).items()}
    total = sum(counts.values())
    slices = [
        {
            "id": pk,
            "label": names.get(pk, "?") if pk else _("No industry"),
            "count": count,
            "share": _share(count, total),
            "url": _url("customers:list", [("industry", pk)]) if pk else None,
        }
        for pk, count in sorted(counts.items(), key=lambda item: (-item[1], item[0] or 0))
    ]
    return {"total": total, "slices": slices}


def status_funnel(*, user: User, counts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Customers that reached each step (潜在 → 意向 → 成交) and the conversion rate from the
    step before; lost customers apart. `counts`: customer_counts() already read for this user."""
    counts = _sum_by(customer_counts(user=user) if counts is None else counts, "status")
    steps = []
    previous = None
    for index, status in enumerate(FUNNEL):
        reached = FUNNEL[index:]
        count = sum(counts.get(s, 0) for s in reached)
        steps.append(
            {
                "status": str(status),
                "label": str(status.label),
                "count": count,
                "conversion": _share(count, previous) if previous is not None else None,
                "url": _url("customers:list", [("status", s) for s in reached]),
            }
        )
        previous = count
    lost = counts.get(Status.LOST, 0)
    return {
        "steps": steps,
        "lost": {
            "count": lost,
            "label": str(Status.LOST.label),
            "url": _url("customers:list", [("status", Status.LOST)]),
        },
    }


# --- opportunities -----------------------------------------------------------------------------
def pipeline_by_stage(*, user: User) -> dict[str, Any]:
    """Open opportunities per stage: count, amount and weighted value (amount × probability)."""
    open_stages = [stage for stage in active_stages() if not stage.is_closed]
    rows = _over_parts(
        user,
        ON_COPY,
        lambda part: (
            Opportunity.objects.filter(part, stage__in=open_stages)
            .order_by()
            .values("stage_id")
            .annotate(count=Count("id"), total=Sum("amount"))
        ),
        keys=("stage_id",),
    )
    by_stage = {row["stage_id"]: row for row in rows}
    columns = [
        StageColumn(
            stage=stage,
            count=by_stage.get(stage.pk, {}).get("count", 0),
            total=by_stage.get(stage.pk, {}).get("total") or ZERO,
        )
        for stage in open_stages
    ]
    stages = [
        {
            "id": column.stage.pk,
            "label": column.stage.label,
            "probability": column.stage.probability,
            "count": column.count,
            "amount": column.total,
            "weighted": column.weighted,
            "url": _url("sales:opportunity-list", [("stage", column.stage.pk)]),
        }
        for column in columns
    ]
    return {
        "stages": stages,
        "count": sum(s["count"] for s in stages),
        "amount": sum((s["amount"] for s in stages), ZERO),
        "weighted": sum((s["weighted"] for s in stages), ZERO),
    }


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first = today.replace(day=1)
    starts = []
    for _i in range(months):
        starts.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return starts[::-1]


def won_lost_opportunities(*, user: User, month: dt.date, won: bool):
    """The opportunities behind one bar of the won/lost chart (its drill-down list)."""
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))
    following = (month + dt.timedelta(days=32)).replace(day=1)
    end = timezone.make_aware(dt.datetime.combine(following, dt.time.min))
    closed = Q(stage__is_won=True) if won else Q(stage__is_lost=True)
    return opportunity_list(user=user).filter(closed, closed_at__gte=start, closed_at__lt=end)


def won_lost_by_month(
    *, user: User, today: dt.date | None = None, months: int = WON_LOST_MONTHS
) -> dict[str, Any]:
    """Opportunities won and lost per calendar month (local time) over the last `months`
    months, the current one included: count and amount."""
    today = today or timezone.localdate()
    starts = _month_starts(today, months)
    bounds = [timezone.make_aware(dt.datetime.combine(start, dt.time.min)) for start in starts]
    following = (starts[-1] + dt.timedelta(days=32)).replace(day=1)
    end = timezone.make_aware(dt.datetime.combine(following, dt.time.min))
    rows = _over_parts(
        user,
        ON_COPY,
        lambda part: (
            Opportunity.objects.filter(
                part,
                Q(stage__is_won=True) | Q(stage__is_lost=True),
                closed_at__gte=bounds[0],
                closed_at__lt=end,
            )
            .order_by()
            .annotate(month=BucketOf("closed_at", bounds))
            .values("month", "stage__is_won")
            .annotate(count=Count("*"), amount=Sum("amount"))
        ),
        keys=("month", "stage__is_won"),
    )
    # Month n (1 = the first of the chart) holds what closed from its first local midnight on.
    found = {(starts[row["month"] - 1], row["stage__is_won"]): row for row in rows}
    result = []
    for start in starts:
        won = found.get((start, True), {})
        lost = found.get((start, False), {})
        key = start.strftime("%Y-%m")
        result.append(
            {
                "month": key,
                "won": won.get("count", 0),
                "won_amount": won.get("amount") or ZERO,
                "lost": lost.get("count", 0),
                "lost_amount": lost.get("amount") or ZERO,
                "won_url": _url("analytics:won-lost", [("month", key), ("result", "won")]),
                "lost_url": _url("analytics:won-lost", [("month", key), ("result", "lost")]),
            }
        )
    return {"months": result}


# --- contracts and payments ----------------------------------------------------------------------
def _by_currency(rows) -> list[dict[str, Any]]:
    return [
        {"currency": row["currency"], "amount": row["amount"] or ZERO}
        for row in sorted(rows, key=lambda r: r["currency"])
    ]


def contracts_expiring_figure(
    *, user: User, today: dt.date | None = None, within_days: int = EXPIRING_WITHIN_DAYS
) -> dict[str, Any]:
    today = today or timezone.localdate()
    rows = _over_parts(
        user,
        ON_COPY,
        lambda part: (
            expiring_within(Contract.objects.filter(part), within_days=within_days, today=today)
            .order_by()
            .values("currency")
            .annotate(count=Count("id"), amount=Sum("amount"))
        ),
        keys=("currency",),
    )
    return {
        "within_days": within_days,
        "count": sum(r["count"] for r in rows),
        "amounts": _by_currency(rows),
        "url": _url("sales:contract-list", [("expiring_within", within_days)]),
    }


def payments_overdue_figure(*, user: User, today: dt.date | None = None) -> dict[str, Any]:
    """Contracts with overdue instalments (what the contract list `?overdue=on` shows: the
    contracts to chase) and what is still outstanding on those instalments (planned − received).
    A contract has one currency, so counting distinct contracts per currency adds up."""
    outstanding = ExpressionWrapper(
        F("planned_amount") - F("received_amount"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    # A contract belongs to one customer, so the parts' distinct contracts add up too.
    today = today or timezone.localdate()
    rows = _over_parts(
        user,
        ON_PAYMENT_COPY,
        lambda part: (
            overdue_instalments(Payment.objects.filter(part), today=today)
            .order_by()
            .annotate(currency=F("contract__currency"))
            .values("currency")
            .annotate(count=Count("contract", distinct=True), amount=Sum(outstanding))
        ),
        keys=("currency",),
    )
    return {
        "count": sum(r["count"] for r in rows),
        "amounts": _by_currency(rows),
        "url": _url("sales:contract-list", [("overdue", "on")]),
    }


def dashboard_figures(*, user: User, today: dt.date | None = None) -> dict[str, Any]:
    """Every figure of the dashboard for `user`'s data scope (one call: what the page, the
    API and the benchmark read)."""
    today = today or timezone.localdate()
    counts = customer_counts(user=user)
    return {
        "industry": customers_by_industry(user=user, counts=counts),
        "funnel": status_funnel(user=user, counts=counts),
        "pipeline": pipeline_by_stage(user=user),
        "won_lost": won_lost_by_month(user=user, today=today),
        "contracts_expiring": contracts_expiring_figure(user=user, today=today),
        "payments_overdue": payments_overdue_figure(user=user, today=today),
    }

"""Behaviour and value levels computed from the data (spec §2.4, §4), with the evidence kept so
every level can say why ("12 interactions in the last 90 days → high")."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer, Status, StatusChange, StatusChangeState
from kehu.interactions.models import Interaction, Method
from kehu.tags.models import BudgetLevel, CooperationLevel, CustomerClassification, Level

FREQUENCY_WINDOW_DAYS = getattr(settings, "KEHU_FREQUENCY_WINDOW_DAYS", 90)
FREQUENCY_HIGH = getattr(settings, "KEHU_FREQUENCY_HIGH", 12)
FREQUENCY_MEDIUM = getattr(settings, "KEHU_FREQUENCY_MEDIUM", 4)
CHANNEL_WINDOW_DAYS = 180
CHANNEL_MIN_INTERACTIONS = 3
BUDGET_100K = Decimal("100000")
BUDGET_500K = Decimal("500000")
BATCH = 1000


def frequency_level(count: int) -> str:
    if count >= FREQUENCY_HIGH:
        return Level.HIGH
    if count >= FREQUENCY_MEDIUM:
        return Level.MEDIUM
    return Level.LOW


def cooperation_level(since: dt.date | None, today: dt.date) -> str:
    if since is None:
        return CooperationLevel.NONE
    years = (today - since).days / 365.25
    if years < 1:
        return CooperationLevel.UNDER_1
    if years <= 3:
        return CooperationLevel.ONE_TO_3
    return CooperationLevel.OVER_3


def budget_level(budget: Decimal | None) -> str:
    if budget is None:
        return BudgetLevel.UNKNOWN
    if budget < BUDGET_100K:
        return BudgetLevel.UNDER_100K
    if budget <= BUDGET_500K:
        return BudgetLevel.TO_500K
    return BudgetLevel.OVER_500K


def preferred_channel(counts: Counter) -> tuple[str, int]:
    """The method used most, when there is enough data and one method clearly leads (a tie
    between the top two is no preference)."""
    if sum(counts.values()) < CHANNEL_MIN_INTERACTIONS:
        return "", 0
    ranked = counts.most_common(2)
    if len(ranked) == 2 and ranked[0][1] == ranked[1][1]:
        return "", 0
    return ranked[0]


def classification_compute(
    *, customer_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> int:
    """Recompute the levels of the given customers (all when None), in batches; returns count."""
    now = now or timezone.now()
    ids = list(customer_ids) if customer_ids is not None else None
    queryset = Customer.objects.order_by("pk")
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    done = 0
    last_pk = 0
    while True:
        batch = list(
            queryset.filter(pk__gt=last_pk).values(
                "pk", "status", "first_contact_date", "annual_budget"
            )[:BATCH]
        )
        if not batch:
            return done
        last_pk = batch[-1]["pk"]
        _compute_batch(batch, now)
        done += len(batch)


def _compute_batch(rows: list[dict], now: dt.datetime) -> None:
    ids = [r["pk"] for r in rows]
    today = timezone.localtime(now).date()
    freq_since = now - dt.timedelta(days=FREQUENCY_WINDOW_DAYS)
    counts = dict(
        Interaction.objects.filter(customer_id__in=ids, occurred_at__gte=freq_since)
        .values_list("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    methods: dict[int, Counter] = defaultdict(Counter)
    for customer_id, method, n in (
        Interaction.objects.filter(
            customer_id__in=ids, occurred_at__gte=now - dt.timedelta(days=CHANNEL_WINDOW_DAYS)
        )
        .values_list("customer_id", "method")
        .annotate(n=Count("id"))
        .values_list("customer_id", "method", "n")
    ):
        methods[customer_id][method] = n
    deal_dates = dict(
        StatusChange.objects.filter(
            customer_id__in=ids,
            to_status=Status.CUSTOMER,
            state__in=[StatusChangeState.APPROVED, StatusChangeState.APPLIED],
        )
        .values_list("customer_id")
        .annotate(first=Min("decided_at"))
        .values_list("customer_id", "first")
    )
    results = []
    for row in rows:
        pk = row["pk"]
        count = counts.get(pk, 0)
        channel_counts = methods.get(pk, Counter())
        channel_total = sum(channel_counts.values())
        channel, channel_n = preferred_channel(channel_counts)
        if pk in deal_dates and deal_dates[pk] is not None:
            since: dt.date | None = timezone.localtime(deal_dates[pk]).date()
            since_source = "approval"
        elif row["status"] == Status.CUSTOMER:
            since, since_source = row["first_contact_date"], "first_contact"
        else:
            since, since_source = None, "none"
        budget = row["annual_budget"]
        results.append(
            CustomerClassification(
                customer_id=pk,
                interaction_frequency=frequency_level(count),
                channel_preference=channel,
                cooperation_level=cooperation_level(since, today),
                budget_level=budget_level(budget),
                evidence={
                    "interactions": count,
                    "window_days": FREQUENCY_WINDOW_DAYS,
                    "channel_n": channel_n,
                    "channel_total": channel_total,
                    "channel_window_days": CHANNEL_WINDOW_DAYS,
                    "since": since.isoformat() if since else None,
                    "since_source": since_source,
                    "budget": str(budget) if budget is not None else None,
                },
                computed_at=now,
            )
        )
    CustomerClassification.objects.bulk_create(
        results,
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=[
            "interaction_frequency",
            "channel_preference",
            "cooperation_level",
            "budget_level",
            "evidence",
            "computed_at",
        ],
    )


def explain(classification: CustomerClassification) -> list[tuple[str, str, str]]:
    """(dimension, level, why) for display, in the reader's language."""
    e = classification.evidence
    freq = Level(classification.interaction_frequency).label
    rows = [
        (
            _("Interaction frequency"),
            str(freq),
            _("%(n)d interactions in the last %(days)d days → %(level)s")
            % {"n": e.get("interactions", 0), "days": e.get("window_days", 90), "level": freq},
        )
    ]
    if classification.channel_preference:
        method = Method(classification.channel_preference).label
        rows.append(
            (
                _("Channel preference"),
                str(method),
                _("%(n)d of %(total)d interactions in the last %(days)d days by %(method)s")
                % {
                    "n": e.get("channel_n", 0),
                    "total": e.get("channel_total", 0),
                    "days": e.get("channel_window_days", 180),
                    "method": method,
                },
            )
        )
    elif e.get("channel_total", 0) >= CHANNEL_MIN_INTERACTIONS:
        rows.append(
            (
                _("Channel preference"),
                _("No clear preference"),
                _("%(total)d interactions in the last %(days)d days, no method used most")
                % {"total": e["channel_total"], "days": e.get("channel_window_days", 180)},
            )
        )
    else:
        rows.append(
            (
                _("Channel preference"),
                _("Not enough data"),
                _("%(total)d interactions in the last %(days)d days; at least %(min)d needed")
                % {
                    "total": e.get("channel_total", 0),
                    "days": e.get("channel_window_days", 180),
                    "min": CHANNEL_MIN_INTERACTIONS,
                },
            )
        )
    coop = CooperationLevel(classification.cooperation_level).label
    if e.get("since"):
        source = (
            _("deal approved on %(date)s")
            if e.get("since_source") == "approval"
            else _("a customer since first contact on %(date)s")
        ) % {"date": e["since"]}
        why = _("%(source)s → %(level)s") % {"source": source, "level": coop}
    else:
        why = _("No closed deal yet → %(level)s") % {"level": coop}
    rows.append((_("Years of cooperation"), str(coop), why))
    budget = BudgetLevel(classification.budget_level).label
    rows.append(
        (
            _("Annual budget level"),
            str(budget),
            _("Annual budget ¥%(budget)s → %(level)s") % {"budget": e["budget"], "level": budget}
            if e.get("budget")
            else _("No annual budget entered"),
        )
    )
    return rows

"""Completeness rule (spec §5, seed §2.3): a customer missing its industry or its key decision
maker's title is 待补全 (pending); still missing 3 working days later it becomes 信息待完善
(overdue), its owner is reminded once, and it appears on the data steward's list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.customers.models import Contact, Customer
from kehu.dataquality.calendar import WorkingDayCalendar
from kehu.dataquality.imports.copying import upsert
from kehu.dataquality.models import CompletenessState, CustomerCompleteness
from kehu.interactions.services import notification_create

GRACE_WORKING_DAYS = 3
BATCH = 1000

MISSING_INDUSTRY = "industry"
MISSING_DECISION_MAKER_TITLE = "decision_maker.title"
MISSING_LABELS = {
    MISSING_INDUSTRY: gettext_lazy("Industry"),
    MISSING_DECISION_MAKER_TITLE: gettext_lazy("Decision maker's title"),
}


def _missing(industry_id: int | None, decision_maker_title: str | None) -> list[str]:
    missing = []
    if industry_id is None:
        missing.append(MISSING_INDUSTRY)
    if not (decision_maker_title or "").strip():
        missing.append(MISSING_DECISION_MAKER_TITLE)
    return missing


def completeness_missing(customer: Customer) -> list[str]:
    """What the customer lacks, as keys of MISSING_LABELS (empty when complete)."""
    decision_maker = customer.decision_maker
    return _missing(customer.industry_id, decision_maker.title if decision_maker else None)


@dataclass
class CheckCounts:
    checked: int = 0
    complete: int = 0
    pending: int = 0
    overdue: int = 0
    reminded: int = 0


def completeness_check(
    *, customer_ids: Iterable[int] | None = None, today: dt.date | None = None
) -> CheckCounts:
    """Recompute the completeness state of the given customers (all when None), in batches."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    calendar = WorkingDayCalendar()
    counts = CheckCounts()
    queryset = Customer.objects.order_by("pk")
    if customer_ids is not None:
        queryset = queryset.filter(pk__in=list(customer_ids))
    last_pk = 0
    while True:
        batch = list(
            queryset.filter(pk__gt=last_pk).values("pk", "name", "code", "industry_id", "owner_id")[
                :BATCH
            ]
        )
        if not batch:
            return counts
        last_pk = batch[-1]["pk"]
        _check_batch(batch, today=today, now=now, calendar=calendar, counts=counts)


def _check_batch(
    rows: list[dict],
    *,
    today: dt.date,
    now: dt.datetime,
    calendar: WorkingDayCalendar,
    counts: CheckCounts,
) -> None:
    ids = [r["pk"] for r in rows]
    titles = dict(
        Contact.objects.filter(customer_id__in=ids, is_decision_maker=True).values_list(
            "customer_id", "title"
        )
    )
    existing = {c.customer_id: c for c in CustomerCompleteness.objects.filter(customer_id__in=ids)}
    results = []
    completed = []
    to_remind = []
    for row in rows:
        pk = row["pk"]
        missing = _missing(row["industry_id"], titles.get(pk))
        previous = existing.get(pk)
        if not missing:
            state, since, due = CompletenessState.COMPLETE, None, None
            completed.append(pk)
            counts.complete += 1
        else:
            if previous and previous.state != CompletenessState.COMPLETE and previous.due_date:
                since, due = previous.incomplete_since, previous.due_date
            else:
                since, due = today, calendar.add_working_days(today, GRACE_WORKING_DAYS)
            if today > due:
                state = CompletenessState.OVERDUE
                counts.overdue += 1
                if previous is None or previous.reminded_at is None:
                    to_remind.append(row)
            else:
                state = CompletenessState.PENDING
                counts.pending += 1
        results.append(
            CustomerCompleteness(
                customer_id=pk,
                state=state,
                missing=missing,
                incomplete_since=since,
                due_date=due,
                checked_at=now,
            )
        )
    counts.checked += len(rows)
    # reminded_at is not overwritten here: it is claimed below, and cleared on completion.
    upsert(
        results,
        CustomerCompleteness,
        unique_fields=["customer"],
        update_fields=["state", "missing", "incomplete_since", "due_date", "checked_at"],
    )
    if completed:
        CustomerCompleteness.objects.filter(
            customer_id__in=completed, reminded_at__isnull=False
        ).update(reminded_at=None)
    if not to_remind:
        return
    owners = User.objects.in_bulk({r["owner_id"] for r in to_remind})
    missing_of = {r.customer_id: r.missing for r in results}
    for row in to_remind:
        # Claimed with a conditional UPDATE: two runs at once never remind twice.
        if CustomerCompleteness.objects.filter(
            customer_id=row["pk"], state=CompletenessState.OVERDUE, reminded_at__isnull=True
        ).update(reminded_at=now):
            _remind_owner(row, owner=owners[row["owner_id"]], missing=missing_of[row["pk"]])
            counts.reminded += 1


def _remind_owner(row: dict, *, owner: User, missing: list[str]) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Customer information incomplete: %(name)s") % {"name": row["name"]}
        body = _("%(code)s is missing: %(fields)s. Please complete it.") % {
            "code": row["code"],
            "fields": ", ".join(str(MISSING_LABELS[m]) for m in missing),
        }
    notification_create(
        recipient=owner,
        title=title,
        body=body,
        url=reverse("customers:detail", args=[row["pk"]]),
    )

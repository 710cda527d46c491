"""Monthly review (月度审核) and freshness reminders (spec §5, seed §2.3).

Each month the data steward confirms every customer's status, needs and contact details, or
sends the record back to its owner with a note (a task due in 3 working days). Customers that
nobody touched for ``KEHU_STALE_AFTER_DAYS`` — no edit and no interaction — are listed for their
owners, who get one reminder a day while any remain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kehu.accounts.models import User
from kehu.core.access import visible_customers
from kehu.core.permissions import can_review_data
from kehu.customers.models import Contact, Customer
from kehu.dataquality.calendar import add_working_days
from kehu.dataquality.models import CustomerReview, ReviewOutcome, StaleReminder
from kehu.tags.models import CustomerTag, TagType

REVIEW_NOTE_MAX = 500


def month_start(day: dt.date | None = None) -> dt.date:
    return (day or timezone.localdate()).replace(day=1)


# --- reads -----------------------------------------------------------------------------------
def review_pending(*, viewer: User, month: dt.date) -> QuerySet[Customer]:
    """Customers the viewer may see that nobody reviewed for `month`, least recently updated
    first, with what the reviewer checks: status, need tags, the decision maker."""
    return (
        visible_customers(viewer)
        .exclude(reviews__month=month)
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.filter(is_decision_maker=True),
                to_attr="decision_makers",
            ),
            Prefetch(
                "customer_tags",
                queryset=CustomerTag.objects.filter(tag__tag_type=TagType.NEED).select_related(
                    "tag"
                ),
                to_attr="need_tags",
            ),
        )
        .order_by("updated_at", "id")
    )


@dataclass
class ReviewProgress:
    total: int
    confirmed: int
    sent_back: int

    @property
    def done(self) -> int:
        return self.confirmed + self.sent_back

    @property
    def rate(self) -> float | None:
        return self.done / self.total if self.total else None


def review_progress(*, viewer: User, month: dt.date) -> ReviewProgress:
    counts = (
        CustomerReview.objects.visible_to(viewer)
        .filter(month=month)
        .aggregate(
            confirmed=Count("id", filter=Q(outcome=ReviewOutcome.CONFIRMED)),
            sent_back=Count("id", filter=Q(outcome=ReviewOutcome.NEEDS_UPDATE)),
        )
    )
    return ReviewProgress(total=visible_customers(viewer).count(), **counts)


def stale_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=settings.KEHU_STALE_AFTER_DAYS)


def _stale_q(cutoff: dt.datetime) -> Q:
    return Q(updated_at__lt=cutoff) & (
        Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=cutoff)
    )


def stale_customers(*, viewer: User, now: dt.datetime | None = None) -> QuerySet[Customer]:
    """Customers the viewer may see with no edit and no interaction for N days, oldest first."""
    return (
        visible_customers(viewer)
        .filter(_stale_q(stale_cutoff(now)))
        .select_related("owner")
        .order_by("updated_at", "id")
    )


# --- writes ----------------------------------------------------------------------------------
def review_confirm(*, customer_ids: list[int], by: User, month: dt.date | None = None) -> int:
    """Confirm the listed customers for the month; ids the reviewer may not see, or already
    reviewed this month, are skipped. Returns how many were confirmed."""
    if not can_review_data(by):
        raise PermissionDenied
    month = month or month_start()
    ids = list(
        visible_customers(by)
        .filter(pk__in=customer_ids)
        .exclude(reviews__month=month)
        .values_list("pk", flat=True)
    )
    CustomerReview.objects.bulk_create(
        [
            CustomerReview(
                customer_id=pk, month=month, outcome=ReviewOutcome.CONFIRMED, reviewed_by=by
            )
            for pk in ids
        ],
        ignore_conflicts=True,
    )
    return len(ids)


def review_send_back(
    *, customer: Customer, by: User, note: str, month: dt.date | None = None
) -> CustomerReview:
    """The record needs correcting: recorded as this month's review, and its owner gets a task
    with the note, due in 3 working days."""
    from kehu.interactions.services import task_create

    if not can_review_data(by):
        raise PermissionDenied
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say what the owner should correct.")]})
    if len(note) > REVIEW_NOTE_MAX:
        raise ValidationError(
            {"note": [_("At most %(max)d characters.") % {"max": REVIEW_NOTE_MAX}]}
        )
    month = month or month_start()
    due_day = add_working_days(timezone.localdate(), 3)
    due_at = timezone.make_aware(dt.datetime.combine(due_day, dt.time(18, 0)))
    try:
        with transaction.atomic():
            review = CustomerReview.objects.create(
                customer=customer,
                month=month,
                outcome=ReviewOutcome.NEEDS_UPDATE,
                note=note,
                reviewed_by=by,
            )
            with translation.override(settings.LANGUAGE_CODE):
                title = _("Monthly review: please correct %(customer)s — %(note)s") % {
                    "customer": customer.name,
                    "note": note,
                }
            task_create(
                customer=customer, by=by, title=title[:200], assignee=customer.owner, due_at=due_at
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"customer": [_("This customer was already reviewed this month.")]}
        ) from exc
    return review


def stale_reminders_send(*, now: dt.datetime | None = None) -> int:
    """One notification per owner with stale customers, at most once a day; returns how many
    owners were reminded."""
    from kehu.interactions.services import notification_create

    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = (
        Customer.objects.filter(_stale_q(stale_cutoff(now)), owner__is_active=True)
        .values("owner_id")
        .annotate(n=Count("id"))
        .order_by("owner_id")
    )
    owners = {u.pk: u for u in User.objects.filter(pk__in=[row["owner_id"] for row in counts])}
    sent = 0
    for row in counts:
        owner = owners[row["owner_id"]]
        try:
            with transaction.atomic():
                StaleReminder.objects.create(user=owner, sent_on=today, customer_count=row["n"])
        except IntegrityError:
            continue  # already reminded today
        with translation.override(settings.LANGUAGE_CODE):
            title = ngettext(
                "%(count)d of your customers was not updated for %(days)d days",
                "%(count)d of your customers were not updated for %(days)d days",
                row["n"],
            ) % {"count": row["n"], "days": settings.KEHU_STALE_AFTER_DAYS}
            body = _("Record a follow-up or confirm their details.")
        notification_create(
            recipient=owner, title=title, body=body, url=reverse("dataquality:stale")
        )
        sent += 1
    return sent

"""Lockout after repeated sign-in failures, per account and per client address.

Failures are the AccessEvent rows of the last ``KEHU_LOGIN_LOCKOUT_MINUTES``; a success
clears the account's count (not the address's, so one working password does not hide a
password-spraying address). While locked, attempts are refused without checking the password
and are logged as "locked", which does not extend the lock. The same rule and message apply to
user names that match no account, so a lockout tells nothing about which accounts exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kehu.accounts.security.models import (
    FAILED_OUTCOMES,
    AccessChannel,
    AccessEvent,
    AccessOutcome,
)


def access_event_record(
    *,
    username: str,
    ip: str | None,
    outcome: str,
    channel: str = AccessChannel.WEB,
    user=None,
) -> AccessEvent:
    return AccessEvent.objects.create(
        username=(username or "")[:150], ip=ip, outcome=outcome, channel=channel, user=user
    )


def _window() -> timedelta:
    return timedelta(minutes=settings.KEHU_LOGIN_LOCKOUT_MINUTES)


def _locked_until(failures: QuerySet[AccessEvent], limit: int) -> datetime | None:
    """With at least `limit` failures in the window, the lock ends when the limit-th most
    recent one leaves it."""
    times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) < limit:
        return None
    return times[-1] + _window()


def login_locked_until(*, username: str, ip: str | None) -> datetime | None:
    """When the lock on this user name or address ends; None when not locked."""
    since = timezone.now() - _window()
    recent = AccessEvent.objects.filter(at__gte=since, outcome__in=FAILED_OUTCOMES)
    last_success = (
        AccessEvent.objects.filter(username=username, outcome=AccessOutcome.SUCCESS, at__gte=since)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    by_account = recent.filter(username=username)
    if last_success:
        by_account = by_account.filter(at__gt=last_success)
    ends = [
        _locked_until(by_account, settings.KEHU_LOGIN_MAX_FAILURES),
        _locked_until(recent.filter(ip=ip), settings.KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS)
        if ip
        else None,
    ]
    ends = [end for end in ends if end and end > timezone.now()]
    return max(ends) if ends else None


def lockout_message(until: datetime) -> str:
    return _("Too many failed sign-in attempts. Try again after %(time)s.") % {
        "time": date_format(timezone.localtime(until), "Y-m-d H:i")
    }

"""Pool services against the database: recycling across the N-day boundary (the clock is the
`now` the job is given), notices once per return date, claim limits and their messages,
cooldown, open and closed pools, the holding cap, returns and assignment."""

import datetime as dt
import sys

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from kehu.customers.models import Customer, CustomerShare
from kehu.customers.services import customer_share_set
from kehu.customers.tests.factories import make_customer
from kehu.interactions.models import Notification
from kehu.interactions.services import interaction_create
from kehu.pool.models import PoolEntry, PoolEntryState, PoolEvent, PoolEventAction
from kehu.pool.services.pool import (
    customer_return_to_pool,
    pool_entry_assign,
    pool_entry_claim,
    pool_recycle,
    pool_rule_set,
)
from kehu.pool.tests.factories import RULE, age, make_pool, pooled

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture(autouse=True)
def _clock_of_this_test(monkeypatch):
    """Each test reads the clock once, when it starts: a module-level clock read at collection
    goes stale by the time a long run reaches the test, and across midnight (16:00 UTC in
    Asia/Shanghai) every "N days later" shifts by one day."""
    monkeypatch.setattr(sys.modules[__name__], "NOW", timezone.now())


def at(days: float) -> dt.datetime:
    """A moment `days` after NOW (the job's frozen clock)."""
    return NOW + dt.timedelta(days=days)


def _prospect(org, *, created_days_ago: int):
    """A prospect created `created_days_ago` days before NOW, on the same clock as `at`."""
    return age(make_customer(owner=org.owner, status="prospect"), created_days_ago, now=NOW)


def _state(customer) -> str | None:
    entry = PoolEntry.objects.filter(customer=customer).first()
    return entry.state if entry else None


# --- recycling ------------------------------------------------------------------------------
def test_customer_returns_on_the_day_n_days_pass_without_follow_up_and_not_a_day_before(org):
    pool = make_pool(org)
    customer = _prospect(org, created_days_ago=0)

    day_before = pool_recycle(now=at(29))
    customer.refresh_from_db()
    assert day_before.returned == 0
    assert customer.owner == org.owner

    on_the_day = pool_recycle(now=at(30))
    customer.refresh_from_db()
    assert on_the_day.returned == 1
    assert customer.owner_id == pool.keeper_id
    assert customer.department_id is None
    entry = PoolEntry.objects.get(customer=customer)
    assert entry.state == PoolEntryState.IN_POOL
    assert entry.previous_owner == org.owner
    assert PoolEvent.objects.filter(customer=customer, action=PoolEventAction.RETURNED).exists()


def test_the_owners_follow_up_moves_the_return_date_but_someone_elses_does_not(org):
    make_pool(org)
    followed = _prospect(org, created_days_ago=40)
    others = _prospect(org, created_days_ago=40)
    customer_share_set(customer=others, user=org.teammate, access="read", by=org.owner)
    for customer, follower in ((followed, org.owner), (others, org.teammate)):
        interaction_create(
            customer=customer,
            by=follower,
            occurred_at=timezone.now() - dt.timedelta(days=10),
            method="phone",
            topic="回访",
            summary="电话回访",
            feedback="needs_info",
        )

    pool_recycle(now=NOW)

    followed.refresh_from_db()
    others.refresh_from_db()
    assert followed.owner == org.owner
    assert _state(others) == PoolEntryState.IN_POOL
    assert not CustomerShare.objects.filter(customer=others).exists()


def test_owner_is_told_once_n_days_before_the_return(org):
    make_pool(org, rules={"prospect": {"days_without_follow_up": 30, "notice_days": 3}})
    customer = _prospect(org, created_days_ago=0)

    assert pool_recycle(now=at(26)).noticed == 0
    first = pool_recycle(now=at(27))
    again = pool_recycle(now=at(28))

    assert first.noticed == 1
    assert again.noticed == 0
    notices = Notification.objects.filter(recipient=org.owner, title__contains=customer.name)
    assert notices.count() == 1
    due = (timezone.localdate(customer.created_at) + dt.timedelta(days=30)).isoformat()
    assert due in notices.get().title
    assert PoolEvent.objects.filter(customer=customer, action=PoolEventAction.NOTICE).count() == 1


def test_running_the_job_twice_returns_nothing_twice(org):
    make_pool(org)
    _prospect(org, created_days_ago=31)

    first = pool_recycle(now=NOW)
    second = pool_recycle(now=NOW)

    assert (first.returned, second.returned) == (1, 0)
    assert PoolEvent.objects.filter(action=PoolEventAction.RETURNED).count() == 1


def test_status_without_a_rule_and_department_outside_every_pool_never_return(org):
    make_pool(org)  # a rule for prospects only, East only
    interested = age(make_customer(owner=org.owner, status="interested"), 400, now=NOW)
    north = age(make_customer(owner=org.outsider, status="prospect"), 400, now=NOW)

    pool_recycle(now=NOW)

    assert _state(interested) is None
    assert _state(north) is None


def test_a_claimed_customer_gets_the_full_period_again(org):
    pool = make_pool(org)
    customer = _prospect(org, created_days_ago=60)
    pool_recycle(now=NOW)
    entry = PoolEntry.objects.get(customer=customer)

    pool_entry_claim(entry=entry, by=org.teammate, now=NOW)
    pool_recycle(now=at(29))
    customer.refresh_from_db()
    assert customer.owner == org.teammate

    pool_recycle(now=at(30))
    customer.refresh_from_db()
    assert customer.owner_id == pool.keeper_id


def test_auto_assign_pool_hands_returned_customers_to_someone_else(org):
    from kehu.pool.services.assignment import assignment_rule_save

    pool = make_pool(org, auto_assign=True)
    assignment_rule_save(
        by=org.administrator,
        data={"name": "华东轮流", "scope": "pool_returns", "pool": pool, "department": org.east},
    )
    customer = _prospect(org, created_days_ago=31)

    result = pool_recycle(now=NOW)

    customer.refresh_from_db()
    assert (result.returned, result.assigned) == (1, 1)
    assert customer.owner == org.teammate  # never straight back to the owner it left
    assert PoolEvent.objects.filter(customer=customer, action=PoolEventAction.ASSIGNED).exists()


# --- claims ---------------------------------------------------------------------------------
def test_member_claims_a_pool_customer_and_becomes_its_owner(org):
    make_pool(org)
    entry = pooled(org)

    customer = pool_entry_claim(entry=entry, by=org.teammate)

    assert customer.owner == org.teammate
    assert customer.department == org.east
    entry.refresh_from_db()
    assert entry.state == PoolEntryState.HELD
    event = PoolEvent.objects.get(action=PoolEventAction.CLAIMED)
    assert (event.actor, event.from_user, event.to_user) == (org.teammate, org.owner, org.teammate)


def test_claim_beyond_the_held_limit_is_refused_naming_the_limit_and_changes_nothing(org):
    make_pool(org, rules={"prospect": {"max_held": 2, "max_claims_per_day": None}})
    entries = [pooled(org) for _ in range(3)]
    for entry in entries[:2]:
        pool_entry_claim(entry=entry, by=org.teammate)

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        pool_entry_claim(entry=entries[2], by=org.teammate)

    assert "max_held" in refused.value.message_dict
    assert "the limit is 2 at once" in refused.value.message_dict["max_held"][0]
    entries[2].refresh_from_db()
    assert entries[2].state == PoolEntryState.IN_POOL
    assert entries[2].customer.owner_id != org.teammate.pk
    assert PoolEvent.objects.filter(action=PoolEventAction.CLAIMED).count() == 2


def test_daily_claim_limit_refuses_the_extra_claim_and_resets_the_next_day(org):
    make_pool(org, rules={"prospect": {"max_held": None, "max_claims_per_day": 2}})
    entries = [pooled(org) for _ in range(3)]
    today = timezone.now()
    for entry in entries[:2]:
        pool_entry_claim(entry=entry, by=org.teammate, now=today)

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        pool_entry_claim(entry=entries[2], by=org.teammate, now=today)
    tomorrow = pool_entry_claim(entry=entries[2], by=org.teammate, now=today + dt.timedelta(days=1))

    assert "the limit is 2 a day" in refused.value.message_dict["max_claims_per_day"][0]
    assert tomorrow.owner == org.teammate


def test_previous_owner_may_not_claim_back_during_the_cooldown(org):
    make_pool(org, rules={"prospect": {"cooldown_days": 7}})
    entry = pooled(org)  # returned by org.owner just now

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        pool_entry_claim(entry=entry, by=org.owner)
    later = pool_entry_claim(entry=entry, by=org.owner, now=timezone.now() + dt.timedelta(days=7))

    assert "cooldown of 7 days" in refused.value.message_dict["cooldown_days"][0]
    assert later.owner == org.owner


def test_holding_cap_refuses_a_claim_of_someone_who_owns_enough(org, settings):
    make_pool(org)
    entry = pooled(org)
    make_customer(owner=org.teammate)
    settings.KEHU_POOL_HOLDING_CAP = 1

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        pool_entry_claim(entry=entry, by=org.teammate)

    assert "保有量 1" in refused.value.message_dict["holding_cap"][0]
    entry.refresh_from_db()
    assert entry.in_pool


def test_closed_pool_refuses_claims_but_its_administrator_assigns(org):
    pool = make_pool(org, is_open=False)
    pool.administrators.add(org.manager)
    entry = pooled(org)

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        pool_entry_claim(entry=entry, by=org.teammate)
    customer = pool_entry_assign(entry=entry, to=org.teammate, by=org.manager)

    assert "closed pool" in refused.value.message_dict["pool"][0]
    assert customer.owner == org.teammate


def test_non_member_cannot_claim_and_only_assigners_assign(org):
    make_pool(org)
    entry = pooled(org)

    with pytest.raises(PermissionDenied):
        pool_entry_claim(entry=entry, by=org.outsider)
    with pytest.raises(PermissionDenied):
        pool_entry_assign(entry=entry, to=org.teammate, by=org.teammate)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        pool_entry_assign(entry=entry, to=org.outsider, by=org.administrator)

    assert "not a member" in refused.value.message_dict["to"][0]


def test_second_claim_of_the_same_customer_is_refused(org):
    make_pool(org)
    entry = pooled(org)
    pool_entry_claim(entry=entry, by=org.teammate)

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        pool_entry_claim(entry=entry, by=org.manager)

    assert "no longer in the pool" in refused.value.message_dict["customer"][0]
    assert Customer.objects.get(pk=entry.customer_id).owner == org.teammate


# --- returns and configuration --------------------------------------------------------------
def test_owner_returns_a_customer_with_a_reason_and_loses_it(org):
    pool = make_pool(org)
    customer = make_customer(owner=org.owner, status="prospect")

    with translation.override("en"), pytest.raises(ValidationError) as no_reason:
        customer_return_to_pool(customer=customer, by=org.owner, reason=" ")
    entry = customer_return_to_pool(customer=customer, by=org.owner, reason="预算取消")

    assert "Say why" in no_reason.value.message_dict["reason"][0]
    assert entry.pool == pool
    assert entry.reason == "预算取消"
    assert Customer.objects.get(pk=customer.pk).owner_id == pool.keeper_id
    event = PoolEvent.objects.get(action=PoolEventAction.RELEASED)
    assert (event.actor, event.from_user) == (org.owner, org.owner)


def test_teammate_cannot_return_someone_elses_customer(org):
    make_pool(org)
    customer = make_customer(owner=org.owner)

    with pytest.raises(PermissionDenied):
        customer_return_to_pool(customer=customer, by=org.teammate, reason="不要了")


def test_rule_notice_must_come_before_the_return(org):
    pool = make_pool(org)

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        pool_rule_set(
            pool=pool,
            by=org.administrator,
            status="interested",
            data={**RULE, "days_without_follow_up": 5, "notice_days": 5},
        )

    assert "notice_days" in refused.value.message_dict


def test_only_pool_administrators_change_rules(org):
    pool = make_pool(org)

    with pytest.raises(PermissionDenied):
        pool_rule_set(pool=pool, by=org.owner, status="interested", data=RULE)


def test_nightly_task_notices_and_returns(org, settings):
    from kehu.pool.tasks import recycle_pool

    make_pool(org)
    _prospect(org, created_days_ago=31)
    _prospect(org, created_days_ago=28)

    result = recycle_pool.delay().get()

    assert result == {"noticed": 1, "returned": 1, "assigned": 0}
    assert settings.CELERY_BEAT_SCHEDULE["recycle-pool"]["task"] == "kehu.pool.tasks.recycle_pool"

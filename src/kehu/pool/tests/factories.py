import datetime as dt

from django.utils import timezone

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.pool.models import Pool, PoolEntry
from kehu.pool.services.pool import customer_return_to_pool, pool_create, pool_rule_set

RULE = {
    "days_without_follow_up": 30,
    "notice_days": 3,
    "max_held": 20,
    "max_claims_per_day": 5,
    "cooldown_days": 7,
}


def make_pool(org, *, name="华东公海", departments=None, is_open=True, rules=None, **data) -> Pool:
    """A pool for the East sales group (owner and teammate are members; outsider is not),
    with a rule per status given ({"prospect": {...}}; default: 潜在客户 30 days)."""
    pool = pool_create(
        by=org.administrator,
        data={"name": name, "is_open": is_open, **data},
        departments=departments if departments is not None else [org.east],
    )
    for status, rule in (rules if rules is not None else {"prospect": RULE}).items():
        pool_rule_set(pool=pool, by=org.administrator, status=status, data={**RULE, **rule})
    return pool


def age(customer: Customer, days: int, *, now: dt.datetime | None = None) -> Customer:
    """Pretend the customer was created `days` before `now` (default: the wall clock)."""
    now = now or timezone.now()
    Customer.objects.filter(pk=customer.pk).update(created_at=now - dt.timedelta(days=days))
    customer.refresh_from_db()
    return customer


def pooled(org, *, owner=None, reason="没有需求", **overrides) -> PoolEntry:
    """A prospect returned to the East pool by its owner."""
    owner = owner or org.owner
    customer = make_customer(owner=owner, status="prospect", **overrides)
    return customer_return_to_pool(customer=customer, by=owner, reason=reason)

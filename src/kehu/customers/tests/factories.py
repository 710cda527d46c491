import datetime as dt
import itertools

from kehu.customers.models import Industry, Region
from kehu.customers.services import customer_create

_mobiles = itertools.count(13800000000 + 1234)


def next_mobile() -> str:
    return str(next(_mobiles))


def customer_data(**overrides):
    data = {
        "customer_type": "enterprise",
        "name": "北京星辰软件技术有限公司",
        "industry": Industry.objects.get(code="software_it"),
        "scale": "medium",
        "region": Region.objects.get(code="beijing"),
        "city": "北京市",
        "district": "海淀区",
        "source": "exhibition",
        "first_contact_date": dt.date(2026, 9, 15),
        "status": "interested",
    }
    data.update(overrides)
    return data


def make_customer(*, owner, by=None, decision_maker=None, custom_fields=None, **overrides):
    return customer_create(
        by=by or owner,
        owner=owner,
        data=customer_data(**overrides),
        decision_maker=decision_maker
        or {"name": "王建国", "title": "采购总监", "mobile": next_mobile()},
        custom_fields=custom_fields,
    )

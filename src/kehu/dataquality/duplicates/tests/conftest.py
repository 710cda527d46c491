"""Customers entered twice (or three times) the way people do it, for the duplicate tests."""

import pytest

from kehu.customers.tests.factories import make_customer, next_mobile
from kehu.dataquality.duplicates.scan import duplicate_scan_run


def make_twin(*, owner, name, mobile, contact="王建国", **overrides):
    return make_customer(
        owner=owner,
        name=name,
        decision_maker={"name": contact, "title": "采购总监", "mobile": mobile},
        **overrides,
    )


@pytest.fixture
def triplet(owner):
    """One company entered three times by the same owner (same decision maker and mobile)."""
    mobile = next_mobile()
    return [
        make_twin(owner=owner, name="北京星辰软件技术有限公司", mobile=mobile),
        make_twin(owner=owner, name="星辰软件技术（北京）有限公司", mobile=mobile),
        make_twin(owner=owner, name="北京星辰軟件技術有限公司", mobile=mobile),
    ]


@pytest.fixture
def scan(db):
    return lambda: duplicate_scan_run()

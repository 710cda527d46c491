import datetime as dt

from kehu.customers.models import Industry
from kehu.customers.services import contact_update, customer_update
from kehu.customers.tests.factories import make_customer, next_mobile
from kehu.dataquality.completeness import completeness_check, completeness_missing
from kehu.dataquality.models import CompletenessState, CustomerCompleteness
from kehu.dataquality.selectors import (
    completeness_rate_by_team,
    completeness_rate_by_user,
    steward_overdue_list,
)
from kehu.interactions.models import Notification

WED_BEFORE_NATIONAL_DAY = dt.date(2026, 9, 30)
NO_TITLE = {"name": "王建国", "title": "", "mobile": None}


def _untitled():
    return {**NO_TITLE, "mobile": next_mobile()}


def _state(customer):
    return CustomerCompleteness.objects.get(customer=customer)


def test_a_customer_with_industry_and_titled_decision_maker_is_complete(customer):
    assert completeness_missing(customer) == []

    counts = completeness_check(customer_ids=[customer.pk], today=WED_BEFORE_NATIONAL_DAY)

    assert (counts.checked, counts.complete) == (1, 1)
    state = _state(customer)
    assert state.state == CompletenessState.COMPLETE
    assert (state.incomplete_since, state.due_date, state.missing) == (None, None, [])


def test_missing_industry_and_title_are_both_reported(owner):
    customer = make_customer(owner=owner, industry=None, decision_maker=_untitled())

    assert completeness_missing(customer) == ["industry", "decision_maker.title"]


def test_first_check_of_an_incomplete_customer_makes_it_pending_for_3_working_days(owner):
    customer = make_customer(owner=owner, industry=None)

    completeness_check(customer_ids=[customer.pk], today=WED_BEFORE_NATIONAL_DAY)

    state = _state(customer)
    assert state.state == CompletenessState.PENDING
    assert state.missing == ["industry"]
    assert state.incomplete_since == WED_BEFORE_NATIONAL_DAY
    # 1–7 Oct are the National Day holidays; 8, 9 and the make-up Saturday 10 Oct are worked.
    assert state.due_date == dt.date(2026, 10, 10)


def test_still_incomplete_after_the_due_date_becomes_overdue_and_reminds_the_owner_once(owner):
    customer = make_customer(owner=owner, decision_maker=_untitled())
    completeness_check(customer_ids=[customer.pk], today=WED_BEFORE_NATIONAL_DAY)

    for day in (dt.date(2026, 10, 7), dt.date(2026, 10, 10)):
        completeness_check(customer_ids=[customer.pk], today=day)
        assert _state(customer).state == CompletenessState.PENDING
    assert not Notification.objects.filter(recipient=owner).exists()

    counts = completeness_check(customer_ids=[customer.pk], today=dt.date(2026, 10, 11))

    state = _state(customer)
    assert state.state == CompletenessState.OVERDUE
    assert state.incomplete_since == WED_BEFORE_NATIONAL_DAY
    assert state.reminded_at is not None
    assert counts.reminded == 1
    [notification] = Notification.objects.filter(recipient=owner)
    assert customer.name in notification.title
    assert notification.url.endswith(f"/{customer.pk}/")

    again = completeness_check(customer_ids=[customer.pk], today=dt.date(2026, 10, 12))

    assert again.reminded == 0
    assert again.overdue == 1
    assert Notification.objects.filter(recipient=owner).count() == 1


def test_completing_the_customer_clears_the_state(owner, django_capture_on_commit_callbacks):
    customer = make_customer(owner=owner, industry=None, decision_maker=_untitled())
    completeness_check(customer_ids=[customer.pk], today=WED_BEFORE_NATIONAL_DAY)
    completeness_check(customer_ids=[customer.pk], today=dt.date(2026, 10, 12))
    assert _state(customer).state == CompletenessState.OVERDUE

    with django_capture_on_commit_callbacks(execute=True):
        customer = customer_update(
            customer=customer,
            by=owner,
            data={"industry": Industry.objects.get(code="software_it")},
            expected_version=customer.version,
        )
    assert _state(customer).missing == ["decision_maker.title"]

    with django_capture_on_commit_callbacks(execute=True):
        contact_update(
            contact=customer.decision_maker,
            by=owner,
            data={"title": "总经理"},
            expected_version=customer.decision_maker.version,
        )

    state = _state(customer)
    assert state.state == CompletenessState.COMPLETE
    assert (state.incomplete_since, state.due_date, state.reminded_at) == (None, None, None)


def test_incomplete_again_after_completion_starts_a_new_period(owner):
    customer = make_customer(owner=owner, industry=None)
    completeness_check(customer_ids=[customer.pk], today=WED_BEFORE_NATIONAL_DAY)
    customer.industry = Industry.objects.get(code="software_it")
    customer.save()
    completeness_check(customer_ids=[customer.pk], today=dt.date(2026, 10, 12))
    customer.industry = None
    customer.save()

    completeness_check(customer_ids=[customer.pk], today=dt.date(2026, 11, 23))

    state = _state(customer)
    assert state.state == CompletenessState.PENDING
    assert (state.incomplete_since, state.due_date) == (
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 26),
    )


def test_creating_a_customer_checks_it_on_commit(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        customer = make_customer(owner=owner, industry=None)

    assert _state(customer).state == CompletenessState.PENDING


def test_rates_per_user_and_team(org, owner, teammate, manager):
    make_customer(owner=owner)
    make_customer(owner=owner)
    make_customer(owner=owner, industry=None)
    make_customer(owner=teammate, decision_maker=_untitled())
    completeness_check(today=WED_BEFORE_NATIONAL_DAY)

    by_user = {r.label: (r.total, r.complete) for r in completeness_rate_by_user(viewer=manager)}
    assert by_user == {owner.full_name: (3, 2), teammate.full_name: (1, 0)}
    teams = {t.label: t.rate for t in completeness_rate_by_team(viewer=manager)}
    assert teams[org.east.name] == 0.5
    assert teams[org.sales.name] == 0.5
    assert org.north.name not in teams


def test_outsider_sees_no_rates_and_no_overdue_customers_of_the_owner(org, owner, outsider):
    customer = make_customer(owner=owner, industry=None)
    completeness_check(today=WED_BEFORE_NATIONAL_DAY)
    completeness_check(today=dt.date(2026, 10, 12))

    assert [c.customer for c in steward_overdue_list(viewer=org.steward)] == [customer]
    assert [c.customer for c in steward_overdue_list(viewer=owner)] == [customer]
    assert list(steward_overdue_list(viewer=outsider)) == []
    assert completeness_rate_by_user(viewer=outsider) == []
    assert completeness_rate_by_team(viewer=outsider) == []


def test_steward_list_holds_only_overdue_customers(org, owner):
    pending = make_customer(owner=owner, industry=None)
    completeness_check(customer_ids=[pending.pk], today=dt.date(2026, 10, 12))
    make_customer(owner=owner)
    completeness_check(today=dt.date(2026, 10, 12))

    assert list(steward_overdue_list(viewer=org.steward)) == []

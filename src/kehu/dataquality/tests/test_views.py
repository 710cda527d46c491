"""The data-quality page (数据质量): completeness, timeliness, overdue list and calendar coverage,
all within the viewer's data scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.customers.tests.factories import make_customer, next_mobile
from kehu.dataquality.calendar import calendar_coverage
from kehu.dataquality.completeness import completeness_check
from kehu.dataquality.models import WorkingDayOverride
from kehu.interactions.services import interaction_create

URL = reverse("dataquality:overview")
WED_BEFORE_NATIONAL_DAY = dt.date(2026, 9, 30)
AFTER_DUE = dt.date(2026, 10, 11)  # 3 working days after 30 Sep 2026 end on Sat 10 Oct
ADMIN_CHANGELIST = reverse("admin:dataquality_workingdayoverride_changelist")
OVERDUE_NAME = "上海缺失行业机械有限公司"
OUTSIDER_NAME = "北京北方重工机械有限公司"


def _untitled():
    return {"name": "王建国", "title": "", "mobile": next_mobile()}


def _overdue(owner, name, **overrides):
    customer = make_customer(owner=owner, name=name, industry=None, **overrides)
    completeness_check(customer_ids=[customer.pk], today=WED_BEFORE_NATIONAL_DAY)
    completeness_check(customer_ids=[customer.pk], today=AFTER_DUE)
    return customer


def _page(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def _weekday_year():
    """This year or the next, whichever the calendar library does not know (None if both known)."""
    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        if calendar_coverage(year) == "weekdays":
            return year
    return None


@pytest.fixture
def quality(owner, outsider, customer):
    """The owner: one complete and one overdue customer; the outsider: one overdue customer."""
    completeness_check(customer_ids=[customer.pk], today=AFTER_DUE)
    overdue = _overdue(owner, OVERDUE_NAME)
    hidden = _overdue(outsider, OUTSIDER_NAME)
    interaction_create(
        customer=customer,
        by=owner,
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        method="visit",
        topic="产品A方案演示",
        summary="客户表示预算控制在20万以内。",
        feedback="needs_info",
    )
    return overdue, hidden


@pytest.mark.parametrize("role", ["owner", "manager", "administrator"])
def test_the_page_renders_completeness_timeliness_and_the_overdue_list(client, org, quality, role):
    overdue, _hidden = quality

    response = _page(client, getattr(org, role))

    context = response.context
    assert context["checked"] >= 2
    assert context["overdue"] >= 1
    assert context["entered"] == 1
    html = response.content.decode()
    assert reverse("customers:detail", args=[overdue.pk]) in html
    assert 'id="completeness-chart"' in html
    assert 'id="completeness-data"' in html
    assert 'id="dq-timeliness-chart"' in html


def test_the_owner_sees_own_counts_and_missing_fields(client, owner, quality):
    response = _page(client, owner)

    context = response.context
    assert (context["checked"], context["complete"], context["overdue"], context["pending"]) == (
        2,
        1,
        1,
        0,
    )
    assert context["complete_rate"] == 0.5
    [row] = context["by_user"]
    assert (row.total, row.complete) == (2, 1)
    html = response.content.decode()
    assert OVERDUE_NAME in html
    [state] = context["page"]
    assert state.missing == ["industry"]
    assert f'badge text-bg-warning me-1">{state.missing_labels[0]}<' in html
    assert "2026-10-10" in html  # due date


def test_a_pending_customer_counts_as_to_be_completed_not_overdue(client, owner):
    customer = make_customer(owner=owner, decision_maker=_untitled())
    completeness_check(customer_ids=[customer.pk], today=WED_BEFORE_NATIONAL_DAY)

    context = _page(client, owner).context

    assert (context["pending"], context["overdue"], context["complete"]) == (1, 0, 0)
    assert customer.name not in [s.customer.name for s in context["page"]]


def test_per_person_and_per_team_rows_split_pending_from_overdue(client, owner):
    pending = make_customer(owner=owner, decision_maker=_untitled())
    completeness_check(customer_ids=[pending.pk], today=WED_BEFORE_NATIONAL_DAY)
    _overdue(owner, OVERDUE_NAME)

    context = _page(client, owner).context

    (row,) = context["by_user"]
    assert (row.total, row.complete, row.pending, row.overdue) == (2, 0, 1, 1)
    team_rows = {r.label: (r.pending, r.overdue) for r in context["by_team"]}
    assert team_rows[owner.department.name] == (1, 1)
    assert team_rows["总公司"] == (1, 1)  # rolled up to the parent departments


def test_the_outsider_sees_none_of_the_owners_overdue_customers(client, outsider, quality):
    overdue, hidden = quality

    response = _page(client, outsider)

    html = response.content.decode()
    assert OVERDUE_NAME not in html
    assert reverse("customers:detail", args=[overdue.pk]) not in html
    assert OUTSIDER_NAME in html
    context = response.context
    assert (context["checked"], context["overdue"], context["complete"]) == (1, 1, 0)
    assert [s.customer_id for s in context["page"]] == [hidden.pk]
    assert context["entered"] == 0


def test_the_overdue_list_is_paginated(client, owner):
    for i in range(27):
        _overdue(owner, f"分页测试{i:02d}号机械有限公司")

    first = _page(client, owner).context["page"]
    second = _page(client, owner, page=2).context["page"]

    assert (len(first), len(second), first.paginator.count) == (25, 2, 27)


@pytest.mark.usefixtures("english")
def test_a_year_without_holiday_data_shows_the_weekday_warning(client, owner):
    year = _weekday_year()
    if year is None:
        pytest.skip("the calendar library knows this year and the next")

    html = _page(client, owner).content.decode()

    assert f"{year}: no official holiday data yet" in html
    assert "Configuration → Holidays and make-up working days" in html


@pytest.mark.usefixtures("english")
def test_a_year_with_administrator_entries_says_they_are_used(client, owner):
    year = _weekday_year()
    if year is None:
        pytest.skip("the calendar library knows this year and the next")
    WorkingDayOverride.objects.create(date=dt.date(year, 1, 1), is_working_day=False, note="元旦")

    html = _page(client, owner).content.decode()

    assert calendar_coverage(year) == "overrides"
    assert f"{year}: no official holiday data yet" not in html
    assert f"{year}: working days follow the holidays and make-up working days entered" in html


@pytest.mark.parametrize(
    ("role", "shown"), [("owner", False), ("manager", False), ("administrator", True)]
)
def test_the_calendar_admin_link_shows_only_to_administrators(client, org, role, shown):
    if _weekday_year() is None:
        pytest.skip("the calendar library knows this year and the next")

    html = _page(client, getattr(org, role)).content.decode()

    assert (ADMIN_CHANGELIST in html) is shown


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("login") in response.url


def test_the_sidebar_links_to_the_page(client, owner):
    html = _page(client, owner).content.decode()

    assert f'href="{URL}"' in html


def test_query_count_does_not_grow_with_the_number_of_customers(
    client, owner, quality, django_assert_max_num_queries
):
    client.force_login(owner)
    with django_assert_max_num_queries(40) as few:
        client.get(URL)
    for i in range(20):
        _overdue(owner, f"批量测试{i:02d}号机械有限公司")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)

    assert response.context["overdue"] == 21


def test_open_duplicate_groups_are_counted_per_person_within_the_data_scope(client, org):
    from kehu.dataquality.duplicates.scan import duplicate_scan_run
    from kehu.dataquality.duplicates.tests.conftest import make_twin

    mobile = next_mobile()
    make_twin(owner=org.owner, name="北京星辰软件技术有限公司", mobile=mobile)
    make_twin(owner=org.owner, name="星辰软件技术（北京）有限公司", mobile=mobile)
    duplicate_scan_run()

    owner_rows = _page(client, org.owner).context["duplicates_by_user"]
    outsider_rows = _page(client, org.outsider).context["duplicates_by_user"]

    assert [(r.label, r.count) for r in owner_rows] == [(org.owner.display_name, 1)]
    assert outsider_rows == []

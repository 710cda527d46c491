import datetime as dt

import pytest
from django.urls import reverse

from kehu.dataquality.calendar import (
    WorkingDayCalendar,
    add_working_days,
    calendar_coverage,
    is_working_day,
)
from kehu.dataquality.models import WorkingDayOverride

pytestmark = pytest.mark.django_db


def test_national_day_is_not_a_working_day_and_the_monday_before_is():
    assert is_working_day(dt.date(2026, 10, 1)) is False
    assert is_working_day(dt.date(2026, 9, 28)) is True


def test_a_make_up_saturday_counts_as_working_day():
    # 2026-10-10 is a Saturday worked in exchange for the National Day week (调休).
    saturday = dt.date(2026, 10, 10)
    assert saturday.weekday() == 5
    assert is_working_day(saturday) is True


def test_an_ordinary_weekend_is_not_a_working_day():
    assert is_working_day(dt.date(2026, 11, 21)) is False  # Saturday


def test_year_without_library_data_falls_back_to_monday_to_friday():
    assert calendar_coverage(2027) == "weekdays"
    assert is_working_day(dt.date(2027, 2, 10)) is True  # Wednesday
    assert is_working_day(dt.date(2027, 2, 13)) is False  # Saturday


def test_library_year_reports_library_coverage():
    assert calendar_coverage(2026) == "library"


def test_an_override_is_honoured_for_a_year_without_library_data():
    WorkingDayOverride.objects.create(date=dt.date(2027, 2, 10), is_working_day=False, note="春节")
    WorkingDayOverride.objects.create(date=dt.date(2027, 2, 20), is_working_day=True, note="调休")

    assert calendar_coverage(2027) == "overrides"
    assert is_working_day(dt.date(2027, 2, 10)) is False
    assert is_working_day(dt.date(2027, 2, 20)) is True  # a Saturday made a working day
    assert is_working_day(dt.date(2027, 2, 11)) is True  # no override: Monday–Friday


def test_an_override_wins_over_the_library():
    WorkingDayOverride.objects.create(date=dt.date(2026, 9, 28), is_working_day=False)

    assert is_working_day(dt.date(2026, 9, 28)) is False


def test_adding_working_days_skips_the_national_day_week():
    # Wed 30 Sep + 3: 1–7 Oct are holidays; Thu 8, Fri 9 and the make-up Sat 10 are worked.
    assert add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)


def test_adding_working_days_in_an_ordinary_week():
    assert add_working_days(dt.date(2026, 11, 23), 3) == dt.date(2026, 11, 26)
    assert add_working_days(dt.date(2026, 11, 26), 3) == dt.date(2026, 12, 1)
    assert add_working_days(dt.date(2026, 11, 26), 0) == dt.date(2026, 11, 26)


def test_adding_working_days_queries_the_overrides_once_per_year(django_assert_num_queries):
    with django_assert_num_queries(2):  # 2026 and 2027
        WorkingDayCalendar().add_working_days(dt.date(2026, 12, 1), 60)


def test_administrator_adds_a_holiday_in_the_admin(client, administrator):
    client.force_login(administrator)

    response = client.post(
        reverse("admin:dataquality_workingdayoverride_add"),
        {"date": "2027-02-10", "is_working_day": "", "note": "春节"},
    )

    assert response.status_code == 302
    assert client.get(reverse("admin:dataquality_workingdayoverride_changelist")).status_code == 200
    assert is_working_day(dt.date(2027, 2, 10)) is False


def test_a_non_administrator_cannot_open_the_calendar_admin(client, owner):
    client.force_login(owner)

    listing = client.get(reverse("admin:dataquality_workingdayoverride_changelist"))
    adding = client.post(
        reverse("admin:dataquality_workingdayoverride_add"),
        {"date": "2027-02-10", "is_working_day": "", "note": "春节"},
    )

    assert listing.status_code in (302, 403)
    assert adding.status_code in (302, 403)
    assert not WorkingDayOverride.objects.exists()

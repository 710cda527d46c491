"""The mainland working-day calendar: statutory holidays and make-up working days (调休).

Precedence for a date: an administrator's WorkingDayOverride, else the `chinese_calendar`
library (State Council notices, known up to the year it was last released for), else Monday to
Friday for a year the library has no data for.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import chinese_calendar

from kehu.dataquality.models import WorkingDayOverride

Coverage = Literal["library", "overrides", "weekdays"]


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkingDayCalendar:
    """One calendar per call: overrides are loaded once per year, not once per day."""

    def __init__(self) -> None:
        self._overrides: dict[int, dict[dt.date, bool]] = {}

    def _year_overrides(self, year: int) -> dict[dt.date, bool]:
        if year not in self._overrides:
            self._overrides[year] = dict(
                WorkingDayOverride.objects.filter(date__year=year).values_list(
                    "date", "is_working_day"
                )
            )
        return self._overrides[year]

    def is_working_day(self, day: dt.date) -> bool:
        override = self._year_overrides(day.year).get(day)
        if override is not None:
            return override
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (start itself not counted); n >= 0."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        while n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day


def is_working_day(day: dt.date) -> bool:
    return WorkingDayCalendar().is_working_day(day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    return WorkingDayCalendar().add_working_days(start, n)


def calendar_coverage(year: int) -> Coverage:
    """Where a year's working days come from: the library's official data, the holidays an
    administrator entered, or (neither) plain Monday to Friday."""
    if _library_knows(year):
        return "library"
    if WorkingDayOverride.objects.filter(date__year=year).exists():
        return "overrides"
    return "weekdays"

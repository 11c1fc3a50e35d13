"""Chinese working days (RULES.md, "Working days").

Weekends are off, statutory holidays are off, make-up working weekends (调休上班日) are working
days. The source of truth, in order:

1. a staff-entered override for the date (True = working day, False = day off);
2. for a year staff entered (its whole official schedule as overrides): the weekend rule, even
   where the package covers the year, so that an entered schedule replaces the package's;
3. the ``chinesecalendar`` package, for the years it covers;
4. otherwise ``CalendarUnknown``: a deadline in an unknown year says so, it never guesses.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from types import MappingProxyType

import chinese_calendar

from .reasons import CalendarUnknown

_ONE_DAY = timedelta(days=1)
_NO_OVERRIDES: Mapping[date, bool] = MappingProxyType({})


@functools.lru_cache(maxsize=8192)  # deadlines ask about the same few hundred days
def _package_says(d: date) -> bool | None:
    """What ``chinesecalendar`` says about ``d``; ``None`` when it does not cover the year."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return None


class WorkdayCalendar:
    """Working days, with staff overrides on top of ``chinesecalendar``. Immutable."""

    __slots__ = ("_added", "_known_years", "_overrides", "_within")

    def __init__(
        self, overrides: Mapping[date, bool] = _NO_OVERRIDES, known_years: Iterable[int] = ()
    ) -> None:
        self._overrides: Mapping[date, bool] = MappingProxyType(
            {d: bool(is_working) for d, is_working in overrides.items()}
        )
        self._known_years: frozenset[int] = frozenset(known_years)
        # Answers already counted (the calendar never changes): a quarter's import asks about
        # the same few hundred days for each of its rows.
        self._added: dict[tuple[date, int], date] = {}
        self._within: dict[tuple[date, date, int], bool] = {}

    @property
    def overrides(self) -> Mapping[date, bool]:
        return self._overrides

    @property
    def known_years(self) -> frozenset[int]:
        return self._known_years

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkdayCalendar):
            return NotImplemented
        return self._overrides == other._overrides and self._known_years == other._known_years

    def __hash__(self) -> int:
        return hash((frozenset(self._overrides.items()), self._known_years))

    def __repr__(self) -> str:
        return (
            f"WorkdayCalendar(overrides={len(self._overrides)} dates, "
            f"known_years={sorted(self._known_years)})"
        )

    def knows_year(self, year: int) -> bool:
        """Whether the working days of ``year`` are known: the package covers it, or staff
        declared its whole official schedule entered."""
        return year in self._known_years or _package_says(date(year, 1, 1)) is not None

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day; ``CalendarUnknown`` if nobody knows."""
        if d in self._overrides:
            return self._overrides[d]
        if d.year in self._known_years:
            return d.weekday() < 5
        package = _package_says(d)
        if package is not None:
            return package
        raise CalendarUnknown(d.year)

    def first_unknown_year(self, start: date) -> int | None:
        """The first year from ``start``'s on whose schedule nobody knows (within the next
        ten): the year a deadline counted from ``start`` waits for, ``None`` if all known."""
        return next((y for y in range(start.year, start.year + 10) if not self.knows_year(y)),
                    None)

    def workdays_at_least(self, a: date, b: date) -> tuple[int, int]:
        """Working days after ``a`` up to and including ``b`` that are known to be working,
        and the days of unknown years among them (``a`` ≤ ``b``): the count is at least the
        first figure and at most their sum."""
        if b < a:
            raise ValueError("b must not be before a")
        working = unknown = 0
        d = a
        while d < b:
            d += _ONE_DAY
            try:
                working += self.is_workday(d)
            except CalendarUnknown:
                unknown += 1
        return working, unknown

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``, ``start`` not counted (0 gives ``start``)."""
        key = (start, n)
        answer = self._added.get(key)
        if answer is None:
            answer = self._add_workdays(start, n)
            if len(self._added) >= _MEMO_SIZE:
                self._added.clear()
            self._added[key] = answer
        return answer

    def _add_workdays(self, start: date, n: int) -> date:
        if n < 0:
            raise ValueError("n must not be negative")
        d = start
        counted = 0
        while counted < n:
            d += _ONE_DAY
            if self.is_workday(d):
                counted += 1
        return d

    def nth_workday_from(self, first: date, n: int) -> date:
        """The ``n``-th working day counting ``first`` itself if it is one (``n`` ≥ 1)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        return self.add_workdays(first - _ONE_DAY, n)

    def workdays_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b`` (negative when ``b`` < ``a``)."""
        if b < a:
            return -self.workdays_between(b, a)
        count = 0
        d = a
        while d < b:
            d += _ONE_DAY
            if self.is_workday(d):
                count += 1
        return count

    def is_within_workdays(self, start: date, end: date, n: int) -> bool:
        """Whether ``end`` is on or before the ``n``-th working day after ``start``.

        Decides without the whole calendar when it can: days of an unknown year count as
        "maybe working", and ``CalendarUnknown`` is raised only when the answer depends on them.
        """
        key = (start, end, n)
        answer = self._within.get(key)
        if answer is None:
            answer = self._is_within_workdays(start, end, n)
            if len(self._within) >= _MEMO_SIZE:
                self._within.clear()
            self._within[key] = answer
        return answer

    def _is_within_workdays(self, start: date, end: date, n: int) -> bool:
        if n < 0:
            raise ValueError("n must not be negative")
        if end <= start:
            return True
        # ``end`` is within iff fewer than ``n`` working days lie strictly between start and end.
        working = 0
        unknown = 0
        first_unknown: int | None = None
        d = start + _ONE_DAY
        while d < end:
            try:
                if self.is_workday(d):
                    working += 1
            except CalendarUnknown as exc:
                unknown += 1
                if first_unknown is None:
                    first_unknown = exc.year
            if working >= n:
                return False
            d += _ONE_DAY
        if working + unknown < n:
            return True
        if first_unknown is None:  # only when n == 0: the deadline is ``start`` itself
            return False
        raise CalendarUnknown(first_unknown)


# Answers a calendar keeps (then it starts again): far more than an import's dates need.
_MEMO_SIZE = 65_536


# The State Council publishes the next year's holiday schedule in the autumn (usually November);
# from this month on the next year's deadlines (a fourth quarter's filing deadline in January,
# for one) need it.
NEXT_YEAR_FROM_MONTH = 11


def years_to_enter(cal: WorkdayCalendar, today: date) -> list[int]:
    """The years whose official schedule staff should enter now: this year, and from November
    the next one, when neither the package nor staff know them."""
    years = [today.year] + ([today.year + 1] if today.month >= NEXT_YEAR_FROM_MONTH else [])
    return [y for y in years if not cal.knows_year(y)]

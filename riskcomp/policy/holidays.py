"""A year's official holiday schedule (国务院办公厅关于某年部分节假日安排的通知) as staff enter it:
the holiday periods and the make-up working days (调休上班日), read from text, checked, and laid
out as the twelve months of the year.

The whole year is entered at once: a year counts as known to the working-day calendar only with
its schedule, never before (a year declared known without its days falls back to the weekend
rule and gives wrong deadlines)."""

from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from .workdays import WorkdayCalendar

_ONE_DAY = timedelta(days=1)
# ISO dates (2027-01-01, also with / or .) and Chinese ones (2027年1月1日).
_DATE = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?")
# Between the dates of a period; anything else left on the line is its name.
_JOINERS = re.compile(r"[~～至到—–]+|\s-\s")
# The longest holiday the State Council has set (Spring Festival, National Day) is 8–9 days.
MAX_PERIOD_DAYS = 15
NAME_MAX = 40


@dataclass(frozen=True)
class HolidayPeriod:
    """Consecutive days off, weekends inside it included (元旦 2027-01-01 to 2027-01-03)."""

    name: str
    first: date
    last: date

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class MakeupDay:
    """A weekend day worked in exchange for a holiday (调休上班日)."""

    day: date
    note: str


@dataclass(frozen=True)
class HolidaySchedule:
    year: int
    holidays: tuple[HolidayPeriod, ...]
    makeup_days: tuple[MakeupDay, ...]

    def overrides(self) -> dict[date, bool]:
        """Each day the schedule sets: False for a day off, True for a make-up working day."""
        out = {d: False for period in self.holidays for d in period.days()}
        out.update({m.day: True for m in self.makeup_days})
        return out

    def notes(self) -> dict[date, str]:
        """The name each day is stored with: its holiday, or the make-up day's note."""
        out = {d: period.name for period in self.holidays for d in period.days()}
        out.update({m.day: m.note for m in self.makeup_days})
        return out

    def calendar(self) -> WorkdayCalendar:
        """The working days of this year by this schedule alone."""
        return WorkdayCalendar(overrides=self.overrides(), known_years=[self.year])


HOLIDAYS = "holidays"
MAKEUP_DAYS = "makeup_days"


class ScheduleInvalid(ValueError):
    """What is wrong with an entered schedule: every problem found, in Chinese, each with the
    text it is in (``HOLIDAYS`` or ``MAKEUP_DAYS``)."""

    def __init__(self, problems: list[tuple[str, str | Promise]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(m) for _f, m in problems))


def _dates_in(text: str) -> tuple[list[date | None], str]:
    """The dates written in ``text`` (None for one that does not exist) and the rest of it."""
    found: list[date | None] = []
    for m in _DATE.finditer(text):
        try:
            found.append(date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            found.append(None)
    rest = _JOINERS.sub(" ", _DATE.sub(" ", text))
    return found, " ".join(rest.replace("，", " ").replace(",", " ").split())


def _line_problem(n: int, line: str, message: str | Promise) -> Promise:
    return format_lazy(gettext_lazy("第{n}行“{line}”：{message}"), n=n, line=line,
                       message=message)


def parse_schedule(year: int, holidays_text: str, makeup_text: str) -> HolidaySchedule:
    """Read and check a year's schedule, or raise ``ScheduleInvalid`` listing every problem.

    ``holidays_text``: one period a line, its name then its first and last day (元旦
    2027-01-01~2027-01-03), or one day. ``makeup_text``: one make-up working day a line, with
    an optional note (2027-02-07 春节调休). Checks: every date exists and lies in ``year``; a
    period's last day is not before its first; no day is in two periods, nor both a holiday and
    a make-up day; a period holds at least one weekday (a period of weekends only changes
    nothing: a mistyped date); a make-up day is a Saturday or a Sunday."""
    problems: list[tuple[str, str | Promise]] = []
    outside = format_lazy(gettext_lazy("日期不在{year}年内"), year=year)

    def bad(field: str, n: int, line: str, message: str | Promise) -> None:
        problems.append((field, _line_problem(n, line, message)))

    holidays: list[HolidayPeriod] = []
    for n, line in _lines(holidays_text):
        found, name = _dates_in(line)
        dates = [d for d in found if d is not None]
        if len(dates) < len(found):
            bad(HOLIDAYS, n, line, gettext_lazy("日期不存在"))
        elif len(dates) not in (1, 2):
            bad(HOLIDAYS, n, line,
                gettext_lazy("每行写一个假期：名称、起始日期和结束日期（或仅一天）"))
        elif not name:
            bad(HOLIDAYS, n, line, gettext_lazy("缺少假期名称（如“春节”）"))
        elif len(name) > NAME_MAX:
            bad(HOLIDAYS, n, line, format_lazy(gettext_lazy("假期名称不超过{n}个字"), n=NAME_MAX))
        elif any(d.year != year for d in dates):
            bad(HOLIDAYS, n, line, outside)
        elif dates[-1] < dates[0]:
            bad(HOLIDAYS, n, line, gettext_lazy("结束日期早于起始日期"))
        elif (dates[-1] - dates[0]).days + 1 > MAX_PERIOD_DAYS:
            bad(HOLIDAYS, n, line,
                format_lazy(gettext_lazy("假期超过{n}天，请核对日期"), n=MAX_PERIOD_DAYS))
        elif all(d.weekday() >= 5 for d in HolidayPeriod(name, dates[0], dates[-1]).days()):
            bad(HOLIDAYS, n, line,
                gettext_lazy("假期全部是周六、周日，本来就不上班；请核对日期"))
        else:
            holidays.append(HolidayPeriod(name=name, first=dates[0], last=dates[-1]))
    makeups: list[MakeupDay] = []
    for n, line in _lines(makeup_text):
        found, note = _dates_in(line)
        day = found[0] if len(found) == 1 else None
        if None in found:
            bad(MAKEUP_DAYS, n, line, gettext_lazy("日期不存在"))
        elif day is None:
            bad(MAKEUP_DAYS, n, line,
                gettext_lazy("每行写一个调休上班日，可附说明（如“春节调休”）"))
        elif day.year != year:
            bad(MAKEUP_DAYS, n, line, outside)
        elif day.weekday() < 5:
            bad(MAKEUP_DAYS, n, line,
                gettext_lazy("调休上班日须为周六或周日；工作日本来就上班"))
        else:
            makeups.append(MakeupDay(day=day, note=note[:NAME_MAX]))
    off: dict[date, str] = {}
    for period in holidays:
        for d in period.days():
            if d in off:
                problems.append((HOLIDAYS, format_lazy(
                    gettext_lazy("{day}同时列在“{a}”和“{b}”两个假期中"),
                    day=d.isoformat(), a=off[d], b=period.name)))
            off[d] = period.name
    worked: set[date] = set()
    for m in makeups:
        if m.day in worked:
            problems.append((MAKEUP_DAYS, format_lazy(gettext_lazy("调休上班日{day}重复"),
                                                      day=m.day.isoformat())))
        worked.add(m.day)
        if m.day in off:
            problems.append((MAKEUP_DAYS, format_lazy(
                gettext_lazy("{day}不能既是假期“{name}”又是调休上班日"),
                day=m.day.isoformat(), name=off[m.day])))
    if not holidays and not problems:
        problems.append((HOLIDAYS, gettext_lazy(
            "请录入该年度的法定节假日（每年至少有元旦、春节等假期）。")))
    if problems:
        raise ScheduleInvalid(problems)
    return HolidaySchedule(
        year=year,
        holidays=tuple(sorted(holidays, key=lambda p: p.first)),
        makeup_days=tuple(sorted(makeups, key=lambda m: m.day)),
    )


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """The non-blank lines of ``text`` with their numbers, counted from 1."""
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield n, line.strip()


def schedule_from_days(year: int, days: Mapping[date, tuple[bool, str]]) -> HolidaySchedule:
    """A stored schedule back as periods and make-up days: ``days`` maps each day of ``year``
    to (is working day, note); consecutive days off with one note make one period, the
    weekend days between them included."""
    holidays: list[HolidayPeriod] = []
    makeups: list[MakeupDay] = []
    for d in sorted(days):
        working, note = days[d]
        if working:
            makeups.append(MakeupDay(day=d, note=note))
            continue
        last = holidays[-1] if holidays else None
        if last is not None and last.name == note and (d - last.last).days == 1:
            holidays[-1] = HolidayPeriod(name=note, first=last.first, last=d)
        else:
            holidays.append(HolidayPeriod(name=note, first=d, last=d))
    return HolidaySchedule(year=year, holidays=tuple(holidays), makeup_days=tuple(makeups))


def schedule_text(schedule: HolidaySchedule) -> tuple[str, str]:
    """The two texts ``parse_schedule`` reads back into ``schedule``."""
    holidays = "\n".join(
        f"{p.name} {p.first.isoformat()}" + ("" if p.first == p.last else f"~{p.last.isoformat()}")
        for p in schedule.holidays)
    makeups = "\n".join(f"{m.day.isoformat()} {m.note}".rstrip() for m in schedule.makeup_days)
    return holidays, makeups


# --- The year as twelve months ----------------------------------------------------------------

HOLIDAY = "holiday"
MAKEUP = "makeup"
WEEKEND = "weekend"
WORKDAY = "workday"


@dataclass(frozen=True)
class DayCell:
    day: date
    kind: str  # HOLIDAY, MAKEUP, WEEKEND or WORKDAY
    note: str


@dataclass(frozen=True)
class MonthGrid:
    month: date  # its first day
    weeks: tuple[tuple[DayCell | None, ...], ...]  # Monday first; None outside the month


def year_grid(schedule: HolidaySchedule) -> list[MonthGrid]:
    """The twelve months of the schedule's year, week by week, each day with its kind."""
    overrides, notes = schedule.overrides(), schedule.notes()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in _calendar.Calendar(firstweekday=0).monthdatescalendar(schedule.year, month):
            cells: list[DayCell | None] = []
            for d in week:
                if d.month != month:
                    cells.append(None)
                    continue
                if d in overrides:
                    kind = MAKEUP if overrides[d] else HOLIDAY
                else:
                    kind = WEEKEND if d.weekday() >= 5 else WORKDAY
                cells.append(DayCell(day=d, kind=kind, note=notes.get(d, "")))
            weeks.append(tuple(cells))
        months.append(MonthGrid(month=date(schedule.year, month, 1), weeks=tuple(weeks)))
    return months


def package_differences(schedule: HolidaySchedule, package: WorkdayCalendar) -> list[date]:
    """The days of the year on which ``schedule`` and ``package`` (a calendar that knows the
    year without staff entries) disagree: what saving the schedule would change."""
    cal = schedule.calendar()
    d, out = date(schedule.year, 1, 1), []
    while d.year == schedule.year:
        if cal.is_workday(d) != package.is_workday(d):
            out.append(d)
        d += _ONE_DAY
    return out

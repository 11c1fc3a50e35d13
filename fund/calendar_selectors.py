"""Reads for the holiday schedule (节假日安排): the years known, a year's stored schedule, the
words for a deadline that waits for a year, and the stored deadlines that entering a year's
schedule would change (the preview before saving, and the list the save itself works through)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from riskcomp.policy.holidays import HolidaySchedule, schedule_from_days
from riskcomp.policy.params import SchemeParams, choose_version
from riskcomp.policy.types import Scheme
from riskcomp.policy.workdays import WorkdayCalendar

from .calendar_hooks import deadline_sources
from .models import CalendarDay, CalendarYear
from .selectors import entered_calendar_years

# The preview lists this many changed deadlines (the count covers all of them).
PREVIEW_ROWS = 20


def pending_text(year: int | None) -> str:
    """In place of a working-day deadline that waits for ``year``'s holiday schedule."""
    if year is None:
        return _("待定")
    return _("待%(year)s年节假日安排公布后确定") % {"year": year}


def pending_year(start: date) -> int | None:
    """The year whose schedule a working-day deadline counted from ``start`` waits for."""
    return WorkdayCalendar(known_years=entered_calendar_years()).first_unknown_year(start)


def package_calendar() -> WorkdayCalendar:
    """The calendar of the ``chinesecalendar`` package alone, without staff entries."""
    return WorkdayCalendar()


def stored_schedule(year: int) -> HolidaySchedule | None:
    """The schedule entered for ``year``, or None when none was."""
    days = {d.date: (d.is_workday, d.note)
            for d in CalendarDay.objects.filter(date__year=year).order_by("date")}
    if not days:
        return None
    return schedule_from_days(year, days)


def calendar_years() -> list[dict[str, Any]]:
    """The entered years, newest first, with their source, who entered them and the number of
    days off and make-up days (two queries)."""
    rows = CalendarDay.objects.order_by().values("date__year").annotate(
        off=Count("pk", filter=Q(is_workday=False)), on=Count("pk", filter=Q(is_workday=True)))
    counts: dict[int, dict[str, Any]] = {r["date__year"]: dict(r) for r in rows}
    out = []
    for entry in CalendarYear.objects.select_related("entered_by").order_by("-year"):
        c = counts.get(entry.year, {})
        out.append({"entry": entry, "holidays": c.get("off", 0), "makeups": c.get("on", 0),
                    "complete": bool(c.get("off"))})
    return out


# --- Stored deadlines a schedule changes -----------------------------------------------------

FILING_DEADLINE = "filing_deadline"
NOTICE_DEADLINE = "notice_deadline"
RETURN_DEADLINE = "return_deadline"


@dataclass
class DeadlineChange:
    """One stored deadline that differs from what the calendar now gives (``None``: unknown)."""

    record: Any  # the filing or recovery holding the deadline
    field: str  # FILING_DEADLINE, NOTICE_DEADLINE or RETURN_DEADLINE
    bank_id: int
    bank_name: str
    subject: str
    before: date | None
    after: date | None

    @property
    def label(self) -> str:
        return {FILING_DEADLINE: _("备案截止日"), NOTICE_DEADLINE: _("回收通知截止日"),
                RETURN_DEADLINE: _("返还截止日")}[self.field]


def decided_version(params: Sequence[SchemeParams], version: str, scheme: str,
                    on: date) -> SchemeParams | None:
    """The version a record was decided under (``choose_version``'s order)."""
    try:
        chosen = choose_version(params, Scheme(scheme), on, recorded=version)
    except ValueError:
        return None
    return chosen.params if chosen is not None else None


def deadline_changes(*, year: int, params: Sequence[SchemeParams],
                     calendar: WorkdayCalendar) -> list[DeadlineChange]:
    """The stored deadlines that ``calendar`` (with ``year``'s schedule in) gives otherwise than
    they were stored: the filing deadlines recorded with filings and the recoveries' notice and
    return deadlines, empty ones (computed while a year was unknown) included. The claim
    deadline is counted in calendar months and never changes with a schedule. The records are
    read by the sources their apps registered (``calendar_hooks``), in registration order."""
    return [change for source in deadline_sources()
            for change in source.changes(year=year, params=params, calendar=calendar)]

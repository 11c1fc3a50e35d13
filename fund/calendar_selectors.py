"""Reads for the holiday schedule (节假日安排): the years known, a year's stored schedule, the
words for a deadline that waits for a year, and the stored deadlines that entering a year's
schedule would change (the preview before saving, and the list the save itself works through)."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from claims.models import Recovery
from loans.models import LoanFiling
from riskcomp.policy.deadlines import filing_deadline, next_quarter_start, recovery_deadlines
from riskcomp.policy.holidays import HolidaySchedule, schedule_from_days
from riskcomp.policy.params import SchemeParams, choose_version
from riskcomp.policy.reasons import CalendarUnknown
from riskcomp.policy.types import Scheme
from riskcomp.policy.workdays import WorkdayCalendar

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

    record: LoanFiling | Recovery
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


def _version(params: Sequence[SchemeParams], version: str, scheme: str,
             on: date) -> SchemeParams | None:
    """The version a record was decided under (``choose_version``'s order)."""
    try:
        chosen = choose_version(params, Scheme(scheme), on, recorded=version)
    except ValueError:
        return None
    return chosen.params if chosen is not None else None


def _stored_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _filing_changes(year: int, params: Sequence[SchemeParams],
                    cal: WorkdayCalendar) -> Iterator[DeadlineChange]:
    # A filing deadline falls in the quarter after the drawdown: in ``year`` for loans drawn
    # from the fourth quarter of the year before to the third of this one; those of the fourth
    # quarter are listed too, as they fall in the next year (unknown, or known already).
    qs = (LoanFiling.objects.filter(drawdown_date__gte=date(year - 1, 10, 1),
                                    drawdown_date__lte=date(year, 12, 31))
          .select_related("bank").order_by("drawdown_date", "pk")
          .only("pk", "bank__short_name", "iou_number", "drawdown_date", "scheme",
                "policy_version", "snapshot"))
    cache: dict[tuple[date, str], date | None] = {}
    for filing in qs.iterator(chunk_size=2000):
        snapshot = filing.snapshot
        if not isinstance(snapshot, dict) or FILING_DEADLINE not in snapshot:
            continue  # no decision was recorded with the filing
        p = _version(params, filing.policy_version, filing.scheme, filing.drawdown_date)
        if p is None:
            continue
        key = (next_quarter_start(filing.drawdown_date), p.version)
        if key not in cache:
            try:
                cache[key] = filing_deadline(filing.drawdown_date, p, cal)
            except CalendarUnknown:
                cache[key] = None
        before, after = _stored_date(snapshot.get(FILING_DEADLINE)), cache[key]
        if before != after:
            yield DeadlineChange(
                record=filing, field=FILING_DEADLINE, bank_id=filing.bank_id,
                bank_name=filing.bank.short_name,
                subject=_("备案 %(iou)s") % {"iou": filing.iou_number},
                before=before, after=after)


def _recovery_changes(year: int, params: Sequence[SchemeParams],
                      cal: WorkdayCalendar) -> Iterator[DeadlineChange]:
    # 20 and 10 working days reach at most a few weeks into the next year (the Spring Festival
    # included): recoveries from September of the year before may have deadlines in ``year``.
    since, until = date(year - 1, 9, 1), date(year, 12, 31)
    qs = (Recovery.objects
          .filter(Q(recovered_on__range=(since, until)) | Q(notified_on__range=(since, until))
                  | Q(notice_deadline__isnull=True) | Q(return_deadline__isnull=True))
          .select_related("claim__bank", "claim__filing").order_by("recovered_on", "pk"))
    for recovery in qs.iterator(chunk_size=2000):
        claim = recovery.claim
        p = _version(params, claim.filing.policy_version, claim.scheme,
                     claim.filing.drawdown_date)
        if p is None:
            continue
        notice_by, return_by = recovery_deadlines(recovery.recovered_on, recovery.notified_on,
                                                  p, cal)
        subject = _("申报 %(number)s 的回收（%(date)s）") % {
            "number": claim.number, "date": recovery.recovered_on.isoformat()}
        for field, after in ((NOTICE_DEADLINE, notice_by), (RETURN_DEADLINE, return_by)):
            before = getattr(recovery, field)
            if before != after:
                yield DeadlineChange(record=recovery, field=field, bank_id=claim.bank_id,
                                     bank_name=claim.bank.short_name, subject=subject,
                                     before=before, after=after)


def deadline_changes(*, year: int, params: Sequence[SchemeParams],
                     calendar: WorkdayCalendar) -> list[DeadlineChange]:
    """The stored deadlines that ``calendar`` (with ``year``'s schedule in) gives otherwise than
    they were stored: the filing deadlines recorded with filings and the recoveries' notice and
    return deadlines, empty ones (computed while a year was unknown) included. The claim
    deadline is counted in calendar months and never changes with a schedule."""
    return [*_filing_changes(year, params, calendar), *_recovery_changes(year, params, calendar)]

"""Deadlines: filing, credit report, claim, recovery notice and return."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from .params import SchemeParams
from .reasons import CalendarUnknown, Reason, reason
from .types import ReasonCode, Scheme
from .workdays import WorkdayCalendar


def quarter_of(d: date) -> tuple[int, int]:
    """``(year, quarter)`` of a date, quarters numbered 1-4."""
    return d.year, (d.month - 1) // 3 + 1


def quarter_code(d: date) -> str:
    """The quarter ``d`` is in as filings, proposals and lists record it: ``2026Q3`` (shown to
    users through ``riskcomp.labels.quarter_label``)."""
    year, quarter = quarter_of(d)
    return f"{year}Q{quarter}"


def next_quarter_start(d: date) -> date:
    """The first day of the quarter after the one ``d`` is in."""
    year, quarter = quarter_of(d)
    if quarter == 4:
        return date(year + 1, 1, 1)
    return date(year, quarter * 3 + 1, 1)


def add_months(d: date, months: int) -> date:
    """``d`` plus whole calendar months, clamped to the end of a shorter month
    (2025-01-31 + 1 month → 2025-02-28)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def filing_deadline(drawdown: date, params: SchemeParams, cal: WorkdayCalendar) -> date:
    """The 15th working day of the quarter after the drawdown (MICRO Art. 12, TECH Art. 13).

    The quarter is the one of the date on the IOU (借款借据). Raises ``CalendarUnknown``.
    """
    return cal.nth_workday_from(next_quarter_start(drawdown), params.filing_deadline_workday)


def filing_on_time(
    drawdown: date, filing_date: date, params: SchemeParams, cal: WorkdayCalendar
) -> bool:
    """Whether a filing on ``filing_date`` meets MICRO Art. 12 / TECH Art. 13.

    Reading (filing window): a filing may be made any time from the drawdown until the deadline;
    one dated before the drawdown is not on time. Decided without the deadline's year when the
    answer does not depend on it; otherwise raises ``CalendarUnknown``.
    """
    if filing_date < drawdown:
        return False
    # The deadline is the n-th working day after the day before the next quarter starts.
    day_before = next_quarter_start(drawdown) - timedelta(days=1)
    return cal.is_within_workdays(day_before, filing_date, params.filing_deadline_workday)


def drawdown_refusal(
    *, drawdown: date, filing_date: date, scheme: Scheme | None = None
) -> Reason | None:
    """DRAWDOWN_FUTURE for a loan filed before its drawdown date, else ``None``.

    Reading (filing window, MICRO Art. 12 / TECH Art. 13): a loan is filed once drawn down (the
    date on the IOU); a later drawdown date is a loan not yet made, or a mistyped date, and is
    refused for that, not as a late filing, nor let through by a late-filing exception.
    """
    if drawdown <= filing_date:
        return None
    return reason(ReasonCode.DRAWDOWN_FUTURE, scheme, drawdown=drawdown, filing_date=filing_date)


def filing_refusal(
    *, drawdown: date, filing_date: date, params: SchemeParams, cal: WorkdayCalendar
) -> Reason | None:
    """DRAWDOWN_FUTURE for a filing before the drawdown, FILING_LATE (or CALENDAR_UNKNOWN when
    undecidable) for one after the deadline, ``None`` when on time."""
    early = drawdown_refusal(drawdown=drawdown, filing_date=filing_date, scheme=params.scheme)
    if early is not None:
        return early
    try:
        if filing_on_time(drawdown, filing_date, params, cal):
            return None
    except CalendarUnknown as exc:
        return exc.reason
    try:
        deadline = filing_deadline(drawdown, params, cal)
    except CalendarUnknown:  # late for certain, though the exact deadline is unknown
        return reason(ReasonCode.FILING_LATE, params.scheme, under=params)
    return reason(
        ReasonCode.FILING_LATE,
        params.scheme,
        under=params,
        filing_date=filing_date,
        drawdown=drawdown,
        deadline=deadline,
    )


def credit_report_deadline(drawdown: date, params: SchemeParams, cal: WorkdayCalendar) -> date:
    """The latest credit report date: 10 working days after the drawdown (MICRO Art. 6(4),
    TECH Art. 7(2)). Raises ``CalendarUnknown``."""
    return cal.add_workdays(drawdown, params.credit_report_window_workdays)


def credit_report_in_time(
    drawdown: date, report_date: date, params: SchemeParams, cal: WorkdayCalendar
) -> bool:
    """Whether the credit report is dated before the drawdown or within the window after it.

    Raises ``CalendarUnknown`` only when the answer depends on an unknown year.
    """
    return cal.is_within_workdays(drawdown, report_date, params.credit_report_window_workdays)


def claim_deadline(maturity: date, params: SchemeParams) -> date:
    """The last day to claim: 12 calendar months after the contract's maturity date
    (MICRO Art. 13, TECH Art. 14); a day missing in the target month falls to its last day."""
    return add_months(maturity, params.claim_window_months)


def recovery_notice_deadline(
    recovered_on: date, params: SchemeParams, cal: WorkdayCalendar
) -> date:
    """Notify the custodian of a recovery within 20 working days (MICRO Art. 18, TECH Art. 19)."""
    return cal.add_workdays(recovered_on, params.recovery_notice_workdays)


def return_deadline(notified_on: date, params: SchemeParams, cal: WorkdayCalendar) -> date:
    """Return the money within 10 working days of the notice (MICRO Art. 18, TECH Art. 19)."""
    return cal.add_workdays(notified_on, params.return_workdays)


def recovery_deadlines(
    recovered_on: date, notified_on: date, params: SchemeParams, cal: WorkdayCalendar
) -> tuple[date | None, date | None]:
    """A recovery's notice and return deadlines (MICRO Art. 18, TECH Art. 19), each None when
    it falls in a year the calendar does not know: stored as unknown, never guessed."""
    try:
        notice_by: date | None = recovery_notice_deadline(recovered_on, params, cal)
    except CalendarUnknown:
        notice_by = None
    try:
        return_by: date | None = return_deadline(notified_on, params, cal)
    except CalendarUnknown:
        return_by = None
    return notice_by, return_by


def notified_on_time(
    recovered_on: date, notified_on: date, params: SchemeParams, cal: WorkdayCalendar
) -> bool:
    """Whether a recovery notice meets MICRO Art. 18 / TECH Art. 19 (a notice dated before the
    recovery is not on time). Raises ``CalendarUnknown`` only when the answer depends on it."""
    if notified_on < recovered_on:
        return False
    return cal.is_within_workdays(recovered_on, notified_on, params.recovery_notice_workdays)


@dataclass(frozen=True)
class FilingWindow:
    """The filing window of one quarter's loans, as seen on ``today``."""

    quarter: tuple[int, int]
    deadline: date | None  # None when the deadline's year is not in the calendar
    workdays_left: int | None  # working days after today up to and including the deadline

    @property
    def deadline_year(self) -> int:
        """The year the deadline falls in: the next quarter's."""
        year, quarter = self.quarter
        return year + 1 if quarter == 4 else year


def open_filing_windows(
    today: date, params: SchemeParams, cal: WorkdayCalendar
) -> list[FilingWindow]:
    """The windows open on ``today``: the current quarter's loans (any time until the deadline
    in the next quarter) and, until its deadline, the previous quarter's (MICRO Art. 12,
    TECH Art. 13)."""
    this_start = date(today.year, (quarter_of(today)[1] - 1) * 3 + 1, 1)
    previous = this_start - timedelta(days=1)
    windows: list[FilingWindow] = []
    for day in (previous, today):
        try:
            deadline: date | None = filing_deadline(day, params, cal)
        except CalendarUnknown:
            deadline = None
        if deadline is not None and deadline < today:
            continue
        left = None
        if deadline is not None:
            try:
                left = cal.workdays_between(today, deadline)
            except CalendarUnknown:
                left = None
        windows.append(FilingWindow(quarter=quarter_of(day), deadline=deadline,
                                    workdays_left=left))
    return windows

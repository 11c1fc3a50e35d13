"""Deadlines: filing (MICRO Art. 12, TECH Art. 13), credit report (MICRO Art. 6(4), TECH Art.
7(2)), claim (MICRO Art. 13, TECH Art. 14), recovery notice and return (MICRO Art. 18, TECH Art.
19)."""

from datetime import date

import pytest

from riskcomp.policy.deadlines import (
    add_months,
    claim_deadline,
    credit_report_deadline,
    credit_report_in_time,
    drawdown_refusal,
    filing_deadline,
    filing_on_time,
    filing_refusal,
    next_quarter_start,
    notified_on_time,
    quarter_code,
    quarter_of,
    recovery_deadlines,
    recovery_notice_deadline,
    return_deadline,
)
from riskcomp.policy.params import DEFAULT_SCHEME_PARAMS
from riskcomp.policy.reasons import CalendarUnknown
from riskcomp.policy.types import ReasonCode
from riskcomp.policy.workdays import WorkdayCalendar

MICRO, TECH = DEFAULT_SCHEME_PARAMS
CAL = WorkdayCalendar()


@pytest.mark.parametrize(
    ("day", "quarter", "next_start"),
    [
        (date(2025, 1, 1), (2025, 1), date(2025, 4, 1)),
        (date(2025, 3, 31), (2025, 1), date(2025, 4, 1)),
        (date(2025, 4, 1), (2025, 2), date(2025, 7, 1)),
        (date(2025, 9, 30), (2025, 3), date(2025, 10, 1)),
        (date(2025, 12, 31), (2025, 4), date(2026, 1, 1)),
    ],
)
def test_quarter_of_and_the_next_quarter(day, quarter, next_start):
    assert quarter_of(day) == quarter
    assert next_quarter_start(day) == next_start


@pytest.mark.parametrize(
    ("drawdown", "deadline"),
    [
        # Q3 2025 loans: Q4 starts with the National Day week (10-01..08 off, Sat 10-11 on).
        (date(2025, 7, 1), date(2025, 10, 28)),
        (date(2025, 9, 30), date(2025, 10, 28)),
        # Q2 2025 loans: no holiday in early July.
        (date(2025, 6, 30), date(2025, 7, 21)),
        # Q4 2025 loans: 2026-01-01..03 off, Sunday 01-04 a make-up working day.
        (date(2025, 12, 31), date(2026, 1, 22)),
        # Q1 2026 loans: Qingming 04-04..06 off.
        (date(2026, 3, 31), date(2026, 4, 22)),
        # Q2 2026 loans.
        (date(2026, 6, 30), date(2026, 7, 21)),
        # Q3 2026 loans: 10-01..07 off, Saturday 10-10 a make-up working day.
        (date(2026, 8, 15), date(2026, 10, 27)),
    ],
)
@pytest.mark.parametrize("params", DEFAULT_SCHEME_PARAMS)
def test_filing_deadline_is_the_15th_working_day_of_the_next_quarter(drawdown, deadline, params):
    assert filing_deadline(drawdown, params, CAL) == deadline


def test_filing_deadline_in_an_unknown_year_raises():
    with pytest.raises(CalendarUnknown) as caught:
        filing_deadline(date(2026, 11, 2), MICRO, CAL)
    assert caught.value.year == 2027


def test_filing_deadline_in_a_year_staff_entered():
    cal = WorkdayCalendar(overrides={date(2027, 1, 1): False}, known_years=[2027])
    assert filing_deadline(date(2026, 11, 2), MICRO, cal) == date(2027, 1, 22)


@pytest.mark.parametrize(
    ("drawdown", "filed", "on_time"),
    [
        (date(2025, 9, 15), date(2025, 9, 15), True),  # on the drawdown day
        (date(2025, 9, 15), date(2025, 10, 28), True),  # on the deadline
        (date(2025, 9, 15), date(2025, 10, 29), False),  # one working day late
        (date(2025, 9, 15), date(2025, 9, 14), False),  # before the drawdown: not a filing
        (date(2025, 12, 31), date(2026, 1, 22), True),
        (date(2025, 12, 31), date(2026, 1, 23), False),
    ],
)
def test_filing_on_time_from_drawdown_until_the_deadline(drawdown, filed, on_time):
    assert filing_on_time(drawdown, filed, MICRO, CAL) is on_time


@pytest.mark.parametrize(
    ("filed", "on_time"),
    [
        (date(2027, 1, 5), True),  # 15th working day of 2027 cannot come before 01-15
        (date(2027, 1, 15), True),
    ],
)
def test_filing_on_time_decides_without_the_unknown_year_when_certain(filed, on_time):
    assert filing_on_time(date(2026, 11, 2), filed, MICRO, CAL) is on_time


def test_filing_on_time_raises_when_it_depends_on_the_unknown_year():
    with pytest.raises(CalendarUnknown):
        filing_on_time(date(2026, 11, 2), date(2027, 1, 16), MICRO, CAL)


def test_a_late_filing_is_refused_with_filing_late_naming_the_deadline():
    refusal = filing_refusal(
        drawdown=date(2025, 9, 15), filing_date=date(2025, 10, 29), params=TECH, cal=CAL
    )
    assert refusal is not None
    assert refusal.code is ReasonCode.FILING_LATE
    assert "2025-10-28" in str(refusal.message)
    assert "京技管发〔2025〕13号第十三条" in str(refusal.message)


def test_a_timely_filing_has_no_refusal():
    assert (
        filing_refusal(
            drawdown=date(2025, 9, 15), filing_date=date(2025, 10, 28), params=MICRO, cal=CAL
        )
        is None
    )


def test_an_undecidable_filing_gets_calendar_unknown():
    refusal = filing_refusal(
        drawdown=date(2026, 11, 2), filing_date=date(2027, 2, 1), params=MICRO, cal=CAL
    )
    assert refusal is not None
    assert refusal.code is ReasonCode.CALENDAR_UNKNOWN


@pytest.mark.parametrize(
    ("drawdown", "report", "in_time"),
    [
        (date(2025, 9, 26), date(2025, 9, 1), True),  # before the drawdown
        (date(2025, 9, 26), date(2025, 10, 16), True),  # 10th working day (over National Day)
        (date(2025, 9, 26), date(2025, 10, 17), False),
        (date(2026, 2, 13), date(2026, 3, 5), True),  # over the Spring Festival
        (date(2026, 2, 13), date(2026, 3, 6), False),
    ],
)
def test_credit_report_within_ten_working_days_after_drawdown(drawdown, report, in_time):
    assert credit_report_in_time(drawdown, report, MICRO, CAL) is in_time


def test_credit_report_deadline_over_the_national_day_holiday():
    assert credit_report_deadline(date(2025, 9, 26), TECH, CAL) == date(2025, 10, 16)


@pytest.mark.parametrize(
    ("maturity", "deadline"),
    [
        (date(2025, 8, 31), date(2026, 8, 31)),
        (date(2024, 2, 29), date(2025, 2, 28)),  # no 29 February in 2025
        (date(2026, 12, 31), date(2027, 12, 31)),  # calendar months: no working-day calendar
    ],
)
@pytest.mark.parametrize("params", DEFAULT_SCHEME_PARAMS)
def test_claim_deadline_is_twelve_months_after_maturity(maturity, deadline, params):
    assert claim_deadline(maturity, params) == deadline


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 5, 15), 12, date(2026, 5, 15)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("recovered", "deadline"),
    [
        (date(2025, 9, 25), date(2025, 10, 29)),  # over National Day 2025
        (date(2026, 2, 10), date(2026, 3, 16)),  # over Spring Festival 2026
    ],
)
@pytest.mark.parametrize("params", DEFAULT_SCHEME_PARAMS)
def test_recovery_notice_within_20_working_days(recovered, deadline, params):
    assert recovery_notice_deadline(recovered, params, CAL) == deadline


@pytest.mark.parametrize(
    ("notified", "deadline"),
    [
        (date(2025, 9, 30), date(2025, 10, 21)),  # over National Day 2025
        (date(2026, 2, 13), date(2026, 3, 5)),  # over Spring Festival 2026
        (date(2026, 9, 30), date(2026, 10, 20)),  # over National Day 2026
    ],
)
@pytest.mark.parametrize("params", DEFAULT_SCHEME_PARAMS)
def test_return_within_10_working_days_of_the_notice(notified, deadline, params):
    assert return_deadline(notified, params, CAL) == deadline


@pytest.mark.parametrize(
    ("notified", "on_time"),
    [
        (date(2026, 3, 16), True),
        (date(2026, 3, 17), False),
        (date(2026, 2, 9), False),  # before the recovery
    ],
)
def test_notified_on_time(notified, on_time):
    assert notified_on_time(date(2026, 2, 10), notified, MICRO, CAL) is on_time


def test_open_filing_windows_show_previous_quarter_until_its_deadline() -> None:
    from riskcomp.policy.deadlines import open_filing_windows
    from riskcomp.policy.params import MICRO_2025
    from riskcomp.policy.workdays import WorkdayCalendar

    cal = WorkdayCalendar()
    # 2026-10-09: Q3 loans may still be filed (deadline 2026-10-27), Q4 loans' deadline is in
    # 2027, a year the calendar does not know yet.
    windows = open_filing_windows(date(2026, 10, 9), MICRO_2025, cal)
    assert [(w.quarter, w.deadline) for w in windows] == [((2026, 3), date(2026, 10, 27)),
                                                          ((2026, 4), None)]
    assert windows[0].workdays_left == 13
    assert open_filing_windows(date(2026, 10, 27), MICRO_2025, cal)[0].workdays_left == 0
    later = open_filing_windows(date(2026, 10, 28), MICRO_2025, cal)
    assert [w.quarter for w in later] == [(2026, 4)]
    mid_year = open_filing_windows(date(2026, 5, 6), MICRO_2025, cal)
    assert [(w.quarter, w.deadline) for w in mid_year] == [((2026, 2), date(2026, 7, 21))]


def test_recovery_deadlines_are_none_where_the_calendar_does_not_know():
    known = recovery_deadlines(date(2026, 3, 2), date(2026, 3, 10), MICRO, CAL)
    assert known == (recovery_notice_deadline(date(2026, 3, 2), MICRO, CAL),
                     return_deadline(date(2026, 3, 10), MICRO, CAL))
    # December 2026: the 20 working days of the notice run into 2027, which nobody knows yet.
    notice, due = recovery_deadlines(date(2026, 12, 10), date(2026, 12, 11), MICRO, CAL)
    assert notice is None and due == return_deadline(date(2026, 12, 11), MICRO, CAL)


def test_a_filing_before_the_drawdown_is_drawdown_future_not_filing_late():
    refusal = filing_refusal(
        drawdown=date(2026, 7, 20), filing_date=date(2026, 7, 10), params=MICRO, cal=CAL
    )
    assert refusal is not None and refusal.code is ReasonCode.DRAWDOWN_FUTURE
    assert "2026-07-20" in str(refusal.message) and "小微办法第十二条" in str(refusal.message)
    assert drawdown_refusal(drawdown=date(2026, 7, 10), filing_date=date(2026, 7, 10)) is None
    early = drawdown_refusal(drawdown=date(2026, 7, 11), filing_date=date(2026, 7, 10))
    assert early is not None and early.code is ReasonCode.DRAWDOWN_FUTURE


@pytest.mark.parametrize(("day", "code"), [
    (date(2026, 1, 1), "2026Q1"), (date(2026, 3, 31), "2026Q1"), (date(2026, 4, 1), "2026Q2"),
    (date(2026, 9, 30), "2026Q3"), (date(2026, 10, 1), "2026Q4"), (date(2026, 12, 31), "2026Q4"),
])
def test_the_quarter_code_names_the_quarter_a_day_is_in(day: date, code: str) -> None:
    assert quarter_code(day) == code

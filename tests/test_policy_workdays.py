"""Chinese working days: holidays off, make-up weekends on, unknown years never guessed."""

from datetime import date

import pytest

from riskcomp.policy.reasons import CalendarUnknown
from riskcomp.policy.types import ReasonCode
from riskcomp.policy.workdays import WorkdayCalendar, years_to_enter

CAL = WorkdayCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2025 Spring Festival: 01-28..02-04 off; Sunday 01-26 and Saturday 02-08 make-up days.
        (date(2025, 1, 26), True),
        (date(2025, 1, 28), False),
        (date(2025, 2, 4), False),
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),
        # 2025 National Day: 10-01..10-08 off; Sunday 09-28 and Saturday 10-11 make-up days.
        (date(2025, 9, 27), False),
        (date(2025, 9, 28), True),
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),
        (date(2025, 10, 12), False),
        # 2026 New Year: 01-01..01-03 off; Sunday 01-04 a make-up day.
        (date(2026, 1, 1), False),
        (date(2026, 1, 2), False),
        (date(2026, 1, 4), True),
        # 2026 Spring Festival: 02-15..02-23 off; Saturdays 02-14 and 02-28 make-up days.
        (date(2026, 2, 14), True),
        (date(2026, 2, 16), False),
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),
        # 2026 Mid-autumn and National Day: 09-25..09-27, 10-01..10-07 off; 09-20, 10-10 on.
        (date(2026, 9, 20), True),
        (date(2026, 9, 25), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),
        # Ordinary days.
        (date(2026, 3, 10), True),  # Tuesday
        (date(2026, 3, 14), False),  # Saturday
    ],
)
def test_is_workday_follows_the_official_schedule(day, working):
    assert CAL.is_workday(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2025, 9, 26), 0, date(2025, 9, 26)),  # 0 days: the start itself
        (date(2025, 9, 26), 1, date(2025, 9, 28)),  # Friday → make-up Sunday
        (date(2025, 9, 30), 1, date(2025, 10, 9)),  # over the National Day week
        (date(2025, 9, 30), 3, date(2025, 10, 11)),  # make-up Saturday counts
        (date(2025, 9, 30), 4, date(2025, 10, 13)),
        (date(2025, 9, 30), 10, date(2025, 10, 21)),  # a return deadline (Art. 18/19)
        (date(2025, 9, 25), 20, date(2025, 10, 29)),  # a recovery-notice deadline
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Friday → make-up Saturday
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # over the Spring Festival
        (date(2026, 2, 13), 10, date(2026, 3, 5)),  # both make-up Saturdays count
        (date(2026, 2, 10), 20, date(2026, 3, 16)),
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # over the Mid-autumn weekend
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # make-up Saturday
    ],
)
def test_add_workdays_counts_working_days_after_the_start(start, n, expected):
    assert CAL.add_workdays(start, n) == expected


@pytest.mark.parametrize(
    ("first", "n", "expected"),
    [
        (date(2025, 10, 1), 1, date(2025, 10, 9)),  # a holiday: not counted
        (date(2025, 10, 9), 1, date(2025, 10, 9)),  # a working day: counted itself
        (date(2026, 1, 1), 1, date(2026, 1, 4)),  # make-up Sunday is the first working day
        (date(2026, 1, 1), 15, date(2026, 1, 22)),
    ],
)
def test_nth_workday_from_counts_the_first_day_if_working(first, n, expected):
    assert CAL.nth_workday_from(first, n) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2025, 9, 30), date(2025, 10, 8), 0),
        (date(2025, 9, 30), date(2025, 10, 11), 3),
        (date(2026, 2, 13), date(2026, 3, 5), 10),
        (date(2026, 3, 5), date(2026, 2, 13), -10),
        (date(2026, 3, 5), date(2026, 3, 5), 0),
    ],
)
def test_workdays_between_counts_after_a_up_to_and_including_b(a, b, expected):
    assert CAL.workdays_between(a, b) == expected


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        CAL.add_workdays(date(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        CAL.nth_workday_from(date(2026, 1, 5), 0)


# --- unknown years -------------------------------------------------------------------------

def test_a_date_in_an_unknown_year_raises_calendar_unknown():
    with pytest.raises(CalendarUnknown) as caught:
        CAL.is_workday(date(2027, 3, 10))
    assert caught.value.year == 2027
    assert caught.value.code is ReasonCode.CALENDAR_UNKNOWN


def test_a_deadline_running_into_an_unknown_year_is_not_guessed():
    with pytest.raises(CalendarUnknown):
        CAL.add_workdays(date(2026, 12, 30), 5)


def test_a_deadline_ending_before_the_unknown_year_is_still_computed():
    assert CAL.add_workdays(date(2026, 12, 28), 3) == date(2026, 12, 31)


def test_years_before_the_package_are_unknown_too():
    with pytest.raises(CalendarUnknown):
        CAL.is_workday(date(2003, 6, 2))


NEW_YEAR_2027 = {date(2027, 1, 1): False}


def test_an_override_answers_for_its_date_only():
    cal = WorkdayCalendar(overrides=NEW_YEAR_2027)
    assert cal.is_workday(date(2027, 1, 1)) is False
    with pytest.raises(CalendarUnknown):
        cal.is_workday(date(2027, 1, 4))


def test_a_known_year_follows_overrides_then_the_weekend_rule():
    cal = WorkdayCalendar(
        overrides={**NEW_YEAR_2027, date(2027, 2, 6): True}, known_years=[2027]
    )
    assert cal.is_workday(date(2027, 1, 1)) is False  # holiday entered by staff
    assert cal.is_workday(date(2027, 1, 4)) is True  # Monday
    assert cal.is_workday(date(2027, 1, 9)) is False  # Saturday
    assert cal.is_workday(date(2027, 2, 6)) is True  # make-up Saturday entered by staff
    assert cal.add_workdays(date(2026, 12, 30), 2) == date(2027, 1, 4)


def test_overrides_take_precedence_over_the_package():
    cal = WorkdayCalendar(overrides={date(2026, 3, 10): False, date(2026, 3, 14): True})
    assert cal.is_workday(date(2026, 3, 10)) is False
    assert cal.is_workday(date(2026, 3, 14)) is True


def test_calendars_with_the_same_data_are_equal_and_hash_alike():
    a = WorkdayCalendar(overrides=NEW_YEAR_2027, known_years=[2027])
    b = WorkdayCalendar(overrides=dict(NEW_YEAR_2027), known_years=(2027,))
    assert a == b
    assert hash(a) == hash(b)
    assert a != WorkdayCalendar()


# --- deciding "within n working days" without the whole calendar ----------------------------

@pytest.mark.parametrize(
    ("start", "end", "n", "within"),
    [
        (date(2025, 9, 26), date(2025, 10, 16), 10, True),  # exactly the 10th working day
        (date(2025, 9, 26), date(2025, 10, 17), 10, False),
        (date(2025, 9, 26), date(2025, 9, 1), 10, True),  # before the start
        (date(2025, 10, 10), date(2025, 10, 10), 0, True),
        (date(2025, 10, 10), date(2025, 10, 11), 0, False),
        # 10th working day after 2026-12-28: 29, 30, 31 are known, then 2027.
        (date(2026, 12, 28), date(2027, 1, 5), 10, True),  # at most 7 working days: certain
    ],
)
def test_is_within_workdays_decides_when_the_answer_is_certain(start, end, n, within):
    assert CAL.is_within_workdays(start, end, n) is within


def test_is_within_workdays_raises_when_the_answer_depends_on_an_unknown_year():
    with pytest.raises(CalendarUnknown):
        CAL.is_within_workdays(date(2026, 12, 28), date(2027, 1, 12), 10)


@pytest.mark.parametrize(("today", "known", "expected"), [
    (date(2026, 10, 31), (), []),  # the package covers 2026; 2027 is not asked for yet
    (date(2026, 11, 1), (), [2027]),  # from November, next year's schedule is due
    (date(2026, 11, 26), (2027,), []),  # staff entered it
    (date(2027, 3, 1), (), [2027]),  # still missing in the year itself
    (date(2027, 12, 1), (2027,), [2028]),
])
def test_years_to_enter_are_this_year_and_from_november_the_next(today, known, expected):
    assert years_to_enter(WorkdayCalendar(known_years=known), today) == expected


def test_a_year_is_known_from_the_package_or_from_staff():
    assert WorkdayCalendar().knows_year(2025)
    assert not WorkdayCalendar().knows_year(2027)
    assert WorkdayCalendar(known_years=[2027]).knows_year(2027)


@pytest.mark.parametrize(("known", "start", "expected"), [
    ((), date(2026, 12, 21), 2027),  # the package knows 2026, nobody 2027
    ((2027,), date(2026, 12, 21), 2028),
    ((), date(2027, 3, 1), 2027),
    ((2027, 2028), date(2027, 3, 1), 2029),
])
def test_first_unknown_year_names_the_schedule_a_deadline_waits_for(known, start, expected):
    assert WorkdayCalendar(known_years=known).first_unknown_year(start) == expected


@pytest.mark.parametrize(("known", "a", "b", "expected"), [
    # 21 Dec 2026 (Mon) to 6 Jan 2027 (Wed): 8 working days of 2026, 6 days of 2027 unknown.
    ((), date(2026, 12, 21), date(2027, 1, 6), (8, 6)),
    # With 2027 by the weekend rule (no holidays entered): Jan 1, 4, 5, 6 work.
    ((2027,), date(2026, 12, 21), date(2027, 1, 6), (12, 0)),
    ((), date(2026, 12, 1), date(2026, 12, 31), (22, 0)),
    ((), date(2027, 1, 1), date(2027, 1, 1), (0, 0)),
])
def test_working_days_at_least_counts_the_known_and_the_unknown(known, a, b, expected):
    assert WorkdayCalendar(known_years=known).workdays_at_least(a, b) == expected

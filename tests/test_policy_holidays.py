"""A year's holiday schedule as staff enter it: read from text, checked, laid out as months."""

from datetime import date

import pytest

from riskcomp.policy.holidays import (
    HOLIDAY,
    HOLIDAYS,
    MAKEUP,
    MAKEUP_DAYS,
    WEEKEND,
    WORKDAY,
    HolidayPeriod,
    ScheduleInvalid,
    package_differences,
    parse_schedule,
    schedule_from_days,
    schedule_text,
    year_grid,
)
from riskcomp.policy.workdays import WorkdayCalendar

# A plausible 2027 schedule for the tests (not the official one, which is not published yet).
HOLIDAYS_2027 = """元旦 2027-01-01~2027-01-03
春节 2027-02-06~2027-02-13
清明节 2027-04-03~2027-04-05
劳动节 2027-05-01~2027-05-05
端午节 2027-06-09
中秋节、国庆节 2027-10-01~2027-10-07"""
MAKEUPS_2027 = """2027-02-20 春节调休
2027-04-25 劳动节调休
2027-10-09 国庆节调休"""


def test_a_whole_year_is_read_into_periods_and_make_up_days():
    s = parse_schedule(2027, HOLIDAYS_2027, MAKEUPS_2027)
    assert [p.name for p in s.holidays] == ["元旦", "春节", "清明节", "劳动节", "端午节",
                                            "中秋节、国庆节"]
    assert s.holidays[0] == HolidayPeriod("元旦", date(2027, 1, 1), date(2027, 1, 3))
    assert s.holidays[4].first == s.holidays[4].last == date(2027, 6, 9)
    assert [m.day for m in s.makeup_days] == [date(2027, 2, 20), date(2027, 4, 25),
                                              date(2027, 10, 9)]
    assert s.makeup_days[0].note == "春节调休"
    overrides = s.overrides()
    assert overrides[date(2027, 2, 8)] is False and overrides[date(2027, 2, 20)] is True
    assert len([d for d, w in overrides.items() if not w]) == 3 + 8 + 3 + 5 + 1 + 7
    cal = s.calendar()
    assert cal.is_workday(date(2027, 1, 4)) and not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 2, 20))  # a Saturday worked
    # The fourth quarter of 2026's filing deadline: the 15th working day of 2027 (MICRO
    # Art. 12) is 22 January with New Year's Day off; the weekend rule alone gives the 21st.
    assert cal.nth_workday_from(date(2027, 1, 1), 15) == date(2027, 1, 22)
    assert WorkdayCalendar(known_years=[2027]).nth_workday_from(date(2027, 1, 1), 15) == \
        date(2027, 1, 21)


@pytest.mark.parametrize(("holidays", "makeups"), [
    ("元旦 2027/01/01 ～ 2027/01/03", ""),
    ("元旦 2027年1月1日至2027年1月3日", ""),
    ("  元旦  2027-1-1 到 2027-1-3  \n\n", "\n"),
])
def test_dates_are_read_in_the_usual_spellings(holidays, makeups):
    s = parse_schedule(2027, holidays, makeups)
    assert s.holidays == (HolidayPeriod("元旦", date(2027, 1, 1), date(2027, 1, 3)),)


@pytest.mark.parametrize(("holidays", "makeups", "field", "words"), [
    ("元旦 2026-12-31~2027-01-02", "", HOLIDAYS, "日期不在2027年内"),
    ("春节 2027-02-13~2027-02-06", "", HOLIDAYS, "结束日期早于起始日期"),
    ("春节 2027-02-30", "", HOLIDAYS, "日期不存在"),
    ("2027-01-01~2027-01-03", "", HOLIDAYS, "缺少假期名称"),
    ("元旦 2027-01-01 2027-01-02 2027-01-03", "", HOLIDAYS, "每行写一个假期"),
    ("周末 2027-01-09~2027-01-10", "", HOLIDAYS, "全部是周六、周日"),
    ("长假 2027-07-01~2027-07-31", "", HOLIDAYS, "假期超过15天"),
    ("元旦 2027-01-01~2027-01-03\n新年 2027-01-03~2027-01-04", "", HOLIDAYS,
     "同时列在“元旦”和“新年”两个假期中"),
    ("元旦 2027-01-01~2027-01-03", "2027-01-04 调休", MAKEUP_DAYS, "须为周六或周日"),
    ("元旦 2027-01-01~2027-01-03", "2027-01-02", MAKEUP_DAYS, "不能既是假期“元旦”又是调休上班日"),
    ("元旦 2027-01-01~2027-01-03", "2026-12-26", MAKEUP_DAYS, "日期不在2027年内"),
    ("元旦 2027-01-01~2027-01-03", "2027-01-09\n2027-01-09", MAKEUP_DAYS, "重复"),
    ("元旦 2027-01-01~2027-01-03", "春节调休", MAKEUP_DAYS, "每行写一个调休上班日"),
    ("", "2027-01-09", HOLIDAYS, "请录入该年度的法定节假日"),
])
def test_a_wrong_schedule_is_refused_saying_where_and_why(holidays, makeups, field, words):
    with pytest.raises(ScheduleInvalid) as exc:
        parse_schedule(2027, holidays, makeups)
    assert any(f == field and words in str(m) for f, m in exc.value.problems), \
        [(f, str(m)) for f, m in exc.value.problems]


def test_every_problem_is_listed_with_its_line():
    with pytest.raises(ScheduleInvalid) as exc:
        parse_schedule(2027, "元旦 2027-01-01~2027-01-03\n春节 2028-02-06", "2027-03-03")
    texts = [(f, str(m)) for f, m in exc.value.problems]
    assert texts == [
        (HOLIDAYS, "第2行“春节 2028-02-06”：日期不在2027年内"),
        (MAKEUP_DAYS, "第1行“2027-03-03”：调休上班日须为周六或周日；工作日本来就上班"),
    ]


def test_a_stored_schedule_reads_back_as_the_text_entered():
    s = parse_schedule(2027, HOLIDAYS_2027, MAKEUPS_2027)
    days = {d: (w, s.notes()[d]) for d, w in s.overrides().items()}
    again = schedule_from_days(2027, days)
    assert again == s
    assert parse_schedule(2027, *schedule_text(again)) == s


def test_the_year_is_laid_out_as_twelve_months_of_weeks():
    grid = year_grid(parse_schedule(2027, HOLIDAYS_2027, MAKEUPS_2027))
    assert [m.month for m in grid] == [date(2027, n, 1) for n in range(1, 13)]
    january = grid[0]
    first_week = january.weeks[0]
    # 1 January 2027 is a Friday: Monday to Thursday of that week are outside the month.
    assert first_week[:4] == (None, None, None, None)
    assert [c.kind for c in first_week[4:]] == [HOLIDAY, HOLIDAY, HOLIDAY]
    assert first_week[4].note == "元旦"
    assert january.weeks[1][0].kind == WORKDAY and january.weeks[1][5].kind == WEEKEND
    february = {c.day: c for week in grid[1].weeks for c in week if c}
    assert february[date(2027, 2, 20)].kind == MAKEUP
    assert sum(c is not None for m in grid for w in m.weeks for c in w) == 365


def test_an_entered_year_replaces_the_package_for_that_year():
    # 2026 as the package knows it, entered by hand without National Day: 7 October works.
    package = WorkdayCalendar()
    assert package.is_workday(date(2026, 10, 7)) is False
    entered = WorkdayCalendar(overrides={date(2026, 1, 1): False}, known_years=[2026])
    assert entered.is_workday(date(2026, 10, 7)) is True
    s = parse_schedule(2026, "元旦 2026-01-01~2026-01-03", "")
    differences = package_differences(s, package)
    assert date(2026, 10, 7) in differences and date(2026, 1, 1) not in differences


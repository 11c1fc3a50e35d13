"""What a policy version or an LPR publication must satisfy to be saved, and how a version's
own articles reach the refusals made under it."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import translation

from riskcomp.policy.claims import claim_refusals
from riskcomp.policy.params import DEFAULT_SCHEME_PARAMS, LprRate
from riskcomp.policy.reasons import reason
from riskcomp.policy.types import Classification, ReasonCode, Scheme
from riskcomp.policy.versions import (
    article_in_english,
    chinese_number,
    is_article_reference,
    lpr_check,
    lpr_due,
    overlap_problem,
    overlapping,
    parameter_problems,
)

MICRO, TECH = DEFAULT_SCHEME_PARAMS
NEXT = replace(MICRO, version="京技管发〔2026〕7号", valid_from=date(2027, 1, 1),
               valid_to=date(2029, 12, 31), amount_cap=D("8000000.00"), base_ratio=D("0.35"),
               raised_ratio=D("0.45"),
               articles=(("AMOUNT_CAP", "第五条第（三）项"), ("CLAIM_LATE", "第十一条")))


def fields_of(problems):
    return {field for field, _message in problems}


def test_the_shipped_versions_are_within_every_bound():
    assert parameter_problems(MICRO) == []
    assert parameter_problems(TECH) == []
    assert parameter_problems(NEXT) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"base_ratio": D("3.0")}, "base_ratio"),  # shown to banks as 补偿比例 300 %
        ({"base_ratio": D("0")}, "base_ratio"),
        ({"raised_ratio": D("1.0001")}, "raised_ratio"),
        ({"raised_ratio": D("0.20")}, "raised_ratio"),  # below the base ratio
        ({"risk_share_min": D("-0.1")}, "risk_share_min"),
        ({"suspend_claim_ratio": D("1.5")}, "suspend_claim_ratio"),
        ({"amount_cap": D("0")}, "amount_cap"),
        ({"amount_cap": D("-1")}, "amount_cap"),
        ({"outstanding_cap": D("2000000000")}, "outstanding_cap"),
        ({"outstanding_cap_qualified": D("1000.00")}, "outstanding_cap_qualified"),
        ({"suspend_net_compensation": D("0")}, "suspend_net_compensation"),
        ({"rate_margin_percent": D("-0.5")}, "rate_margin_percent"),
        ({"rate_margin_percent": D("15")}, "rate_margin_percent"),
        ({"filing_deadline_workday": 0}, "filing_deadline_workday"),
        ({"filing_deadline_workday": 90}, "filing_deadline_workday"),
        ({"claim_window_months": 0}, "claim_window_months"),
        ({"return_workdays": 500}, "return_workdays"),
        ({"long_term_years": 0}, "long_term_years"),
        ({"valid_to": date(2025, 6, 29)}, "valid_to"),
        ({"allowed_sizes": frozenset()}, "allowed_sizes"),
        ({"articles": (("AMOUNT_CAP", "6(4)"),)}, "articles"),
        ({"articles": (("NO_SUCH_RULE", "第六条"),)}, "articles"),
    ],
)
def test_a_figure_out_of_bounds_is_refused_in_chinese(changes, field):
    problems = parameter_problems(replace(MICRO, **changes))
    assert field in fields_of(problems)
    message = str(dict(problems)[field])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_overlapping_validity_of_one_scheme_is_refused():
    clash = replace(NEXT, valid_from=date(2026, 12, 1))
    assert overlapping(clash, DEFAULT_SCHEME_PARAMS) == [MICRO]
    problem = overlap_problem(clash, DEFAULT_SCHEME_PARAMS)
    assert problem is not None
    assert "京技管发〔2025〕12号" in str(problem[1]) and "2026-12-31" in str(problem[1])


def test_adjacent_versions_and_other_schemes_do_not_overlap():
    assert overlap_problem(NEXT, DEFAULT_SCHEME_PARAMS) is None
    # TECH's validity covers 2027 too, but it is another scheme.
    assert overlapping(NEXT, (TECH,)) == []
    # A version is never compared with itself (an edit keeps its document number).
    assert overlapping(MICRO, (MICRO,)) == []


@pytest.mark.parametrize(("text", "number"),
                         [("一", 1), ("十", 10), ("十二", 12), ("二十八", 28), ("一百零五", 105)])
def test_chinese_article_numbers(text, number):
    assert chinese_number(text) == number


@pytest.mark.parametrize(("text", "ok"), [
    ("第六条", True), ("第六条第（四）项", True), ("第二条、第六条第（二）项", True),
    ("第七条第一款第（二）项", True), ("6(4)", False), ("第六条（四）", False), ("", False),
])
def test_article_references_take_the_documents_form(text, ok):
    assert is_article_reference(text) is ok


def test_articles_read_in_english():
    assert article_in_english("第六条第（四）项、第十三条") == "Art. 6(4), Art. 13"


def test_a_refusal_under_a_successor_cites_the_successors_own_article():
    message = str(reason(ReasonCode.AMOUNT_CAP, Scheme.MICRO, under=NEXT, total="9,000,000.00",
                         cap="8,000,000.00").message)
    assert message.endswith("（京技管发〔2026〕7号第五条第（三）项）")
    old = str(reason(ReasonCode.AMOUNT_CAP, Scheme.MICRO, under=MICRO, total="1.00",
                     cap="1.00").message)
    assert old.endswith("（京技管发〔2025〕12号第六条第（四）项）")
    # A rule the successor's articles do not list cites its document alone, never 12号's article.
    plain = str(reason(ReasonCode.RATE_CAP, Scheme.MICRO, under=NEXT).message)
    assert plain.endswith("（京技管发〔2026〕7号）")


def test_claim_refusals_cite_the_version_they_were_judged_under():
    (late,) = claim_refusals(
        scheme=Scheme.MICRO, classification=Classification.SUBSTANDARD,
        classified_on=date(2028, 1, 10), filing_accepted_on=date(2027, 2, 1),
        npl_before_filing=False, maturity_date=date(2027, 12, 31), claim_date=date(2029, 1, 5),
        params=NEXT, bank_suspended=False, has_open_claim=False)
    assert "京技管发〔2026〕7号第十一条" in str(late.message)


def test_a_version_citation_reads_in_english_on_english_pages():
    with translation.override("en"):
        message = str(reason(ReasonCode.AMOUNT_CAP, Scheme.MICRO, under=NEXT).message)
    assert message.endswith("(京技管发〔2026〕7号 Art. 5(3))")


HISTORY = (LprRate(date(2025, 5, 20), D("3.00"), D("3.50")),)


@pytest.mark.parametrize(
    ("one", "five", "field"),
    [
        (D("29"), D("3.50"), "one_year_percent"),  # 29 % one-year: a typing error
        (D("3.00"), D("-1"), "five_year_percent"),  # −1 % five-year
        (D("0"), D("3.50"), "one_year_percent"),
        (D("3.00"), D("10.01"), "five_year_percent"),
    ],
)
def test_an_lpr_outside_zero_to_ten_percent_is_refused(one, five, field):
    check = lpr_check(LprRate(date(2026, 11, 20), one, five), HISTORY)
    assert field in fields_of(check.problems)
    assert "%" in str(dict(check.problems)[field])


def test_a_jump_of_more_than_one_point_needs_confirmation_and_five_below_one_is_allowed():
    jump = lpr_check(LprRate(date(2026, 11, 20), D("4.05"), D("3.50")), HISTORY)
    assert jump.problems == () and fields_of(jump.jumps) == {"one_year_percent"}
    assert "2025-05-20" in str(jump.jumps[0][1])
    exactly_one = lpr_check(LprRate(date(2026, 11, 20), D("4.00"), D("2.90")), HISTORY)
    assert exactly_one.problems == () and exactly_one.jumps == ()
    # The 5-year LPR below the 1-year one is not refused: it is not a rule.
    inverted = lpr_check(LprRate(date(2026, 11, 20), D("3.00"), D("2.80")), HISTORY)
    assert inverted.problems == () and inverted.jumps == ()


@pytest.mark.parametrize(("today", "due"), [
    (date(2026, 12, 20), False),  # published today: not yet late
    (date(2026, 12, 21), True),
    (date(2026, 11, 25), False),  # November's is in
])
def test_the_lpr_reminder_starts_after_the_20th_of_a_month_without_one(today, due):
    history = (*HISTORY, LprRate(date(2026, 11, 20), D("3.00"), D("3.50")))
    assert lpr_due(history, today) is due

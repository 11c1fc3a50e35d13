"""Which scheme covers a loan: MICRO Art. 2, 5, 6; TECH Art. 2, 6, 7, 8; and the loan decision."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from riskcomp.policy.eligibility import (
    EnterpriseFacts,
    LoanFacts,
    QualificationFacts,
    cny_amount,
    decide_loan,
    is_qualified,
    judge_scheme,
    lpr_for,
)
from riskcomp.policy.params import DEFAULT_LPR, DEFAULT_SCHEME_PARAMS, LprRate
from riskcomp.policy.reasons import PolicyError
from riskcomp.policy.types import (
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    QualificationType,
    ReasonCode,
    Scheme,
)
from riskcomp.policy.workdays import WorkdayCalendar

D = Decimal
MICRO, TECH = DEFAULT_SCHEME_PARAMS
CAL = WorkdayCalendar()
BOTH = (Scheme.MICRO, Scheme.TECH)
R = ReasonCode

DRAWDOWN = date(2025, 9, 15)  # Q3 2025: filing deadline 2025-10-28


def enterprise(**changes):
    base = EnterpriseFacts(
        credit_code="91110108551385082Q",
        kind=EnterpriseKind.COMPANY,
        size=EnterpriseSize.SMALL,
        in_bda=True,
        qualifications=(),
        micro_conduct_ok=True,
        tech_conduct_ok=True,
        tech_scope=True,
    )
    return replace(base, **changes)


def loan(**changes):
    base = LoanFacts(
        loan_type=LoanType.CREDIT,
        amount=D("1000000.00"),
        currency="CNY",
        fx_rate=None,
        drawdown_date=DRAWDOWN,
        maturity_date=date(2026, 9, 14),
        rate_percent=D("3.50"),
        bank_outstanding_to_enterprise=D("0.00"),
        credit_report_outstanding=D("2000000.00"),
        credit_report_date=date(2025, 9, 10),
        other_cover=False,
        first_loan=False,
        bank_risk_share_percent=None,
    )
    return replace(base, **changes)


def qualification(valid_from=date(2024, 1, 1), valid_to=date(2026, 12, 31)):
    return QualificationFacts(QualificationType.HIGH_TECH, valid_from, valid_to)


def judge(scheme, *, bank=BOTH, ent=None, ln=None, cal=CAL, lpr=DEFAULT_LPR):
    return judge_scheme(
        scheme,
        bank_schemes=bank,
        enterprise=ent or enterprise(),
        loan=ln or loan(),
        params_all=DEFAULT_SCHEME_PARAMS,
        lpr=lpr,
        cal=cal,
    )


def codes(scheme, **kwargs):
    return set(judge(scheme, **kwargs).codes)


def decide(*, bank=BOTH, ent=None, ln=None, cal=CAL, filing_date=None):
    return decide_loan(
        bank_schemes=bank,
        enterprise=ent or enterprise(),
        loan=ln or loan(),
        params_all=DEFAULT_SCHEME_PARAMS,
        lpr=DEFAULT_LPR,
        cal=cal,
        filing_date=filing_date,
    )


@pytest.mark.parametrize("scheme", BOTH)
def test_the_baseline_loan_is_eligible_under_both_schemes(scheme):
    verdict = judge(scheme)
    assert verdict.eligible
    assert verdict.reasons == ()
    assert verdict.version == {Scheme.MICRO: MICRO, Scheme.TECH: TECH}[scheme].version


# --- one failing condition at a time --------------------------------------------------------

SINGLE_FAILURES = [
    # (id, scheme, bank schemes, enterprise changes, loan changes, expected code)
    ("micro-no-agreement", Scheme.MICRO, (Scheme.TECH,), {}, {}, R.NO_AGREEMENT),
    ("tech-no-agreement", Scheme.TECH, (Scheme.MICRO,), {}, {}, R.NO_AGREEMENT),
    ("micro-before-validity", Scheme.MICRO, BOTH, {},
     {"drawdown_date": date(2025, 6, 29), "credit_report_date": date(2025, 6, 20)},
     R.OUTSIDE_VALIDITY),
    ("micro-after-validity", Scheme.MICRO, BOTH, {},
     {"drawdown_date": date(2027, 1, 4), "maturity_date": date(2027, 12, 31),
      "credit_report_date": date(2026, 12, 20)}, R.OUTSIDE_VALIDITY),
    ("tech-before-validity", Scheme.TECH, BOTH, {},
     {"drawdown_date": date(2025, 6, 29), "credit_report_date": date(2025, 6, 20)},
     R.OUTSIDE_VALIDITY),
    ("micro-not-in-bda", Scheme.MICRO, BOTH, {"in_bda": False}, {}, R.NOT_IN_BDA),
    ("tech-not-in-bda", Scheme.TECH, BOTH, {"in_bda": False}, {}, R.NOT_IN_BDA),
    ("tech-individual-business", Scheme.TECH, BOTH, {"kind": EnterpriseKind.INDIVIDUAL}, {},
     R.BORROWER_KIND),
    ("micro-medium", Scheme.MICRO, BOTH, {"size": EnterpriseSize.MEDIUM}, {}, R.BORROWER_SIZE),
    ("micro-large", Scheme.MICRO, BOTH, {"size": EnterpriseSize.LARGE}, {}, R.BORROWER_SIZE),
    ("tech-micro", Scheme.TECH, BOTH, {"size": EnterpriseSize.MICRO}, {}, R.BORROWER_SIZE),
    ("tech-large", Scheme.TECH, BOTH, {"size": EnterpriseSize.LARGE}, {}, R.BORROWER_SIZE),
    ("micro-conduct", Scheme.MICRO, BOTH, {"micro_conduct_ok": False}, {}, R.CONDUCT),
    ("tech-conduct", Scheme.TECH, BOTH, {"tech_conduct_ok": False}, {}, R.CONDUCT),
    ("tech-scope", Scheme.TECH, BOTH, {"tech_scope": False}, {}, R.TECH_SCOPE),
    ("micro-risk-sharing", Scheme.MICRO, BOTH, {},
     {"loan_type": LoanType.RISK_SHARING, "bank_risk_share_percent": D("30")}, R.LOAN_TYPE),
    ("micro-other-cover", Scheme.MICRO, BOTH, {}, {"other_cover": True}, R.OTHER_COVER),
    ("tech-share-19.99", Scheme.TECH, BOTH, {},
     {"loan_type": LoanType.RISK_SHARING, "bank_risk_share_percent": D("19.99")}, R.RISK_SHARE),
    ("tech-share-missing", Scheme.TECH, BOTH, {}, {"loan_type": LoanType.RISK_SHARING},
     R.RISK_SHARE),
    ("micro-bad-credit-code", Scheme.MICRO, BOTH, {"credit_code": "91110108551385082A"}, {},
     R.BAD_CREDIT_CODE),
    ("tech-bad-credit-code", Scheme.TECH, BOTH, {"credit_code": "9111010855138508"}, {},
     R.BAD_CREDIT_CODE),
    ("micro-report-late", Scheme.MICRO, BOTH, {},
     {"drawdown_date": date(2025, 9, 26), "credit_report_date": date(2025, 10, 17)},
     R.CREDIT_REPORT_DATE),
    ("tech-rate", Scheme.TECH, BOTH, {}, {"rate_percent": D("4.51")}, R.RATE_CAP),
]


@pytest.mark.parametrize(
    ("scheme", "bank", "ent_changes", "loan_changes", "expected"),
    [case[1:] for case in SINGLE_FAILURES],
    ids=[case[0] for case in SINGLE_FAILURES],
)
def test_each_condition_fails_alone(scheme, bank, ent_changes, loan_changes, expected):
    verdict = judge(scheme, bank=bank, ent=enterprise(**ent_changes), ln=loan(**loan_changes))
    assert set(verdict.codes) == {expected}
    assert not verdict.eligible
    assert verdict.ratio is None


@pytest.mark.parametrize(
    ("ent_changes", "loan_changes"),
    [
        ({"kind": EnterpriseKind.INDIVIDUAL, "size": EnterpriseSize.MICRO}, {}),
        ({"tech_scope": False}, {}),  # MICRO needs no tech scope
        ({}, {"loan_type": LoanType.IP_PLEDGE}),
        ({}, {"loan_type": LoanType.RECEIVABLES_PLEDGE}),
    ],
)
def test_micro_covers_individual_businesses_micro_firms_and_pledge_loans(ent_changes,
                                                                          loan_changes):
    assert judge(Scheme.MICRO, ent=enterprise(**ent_changes), ln=loan(**loan_changes)).eligible


@pytest.mark.parametrize(
    ("ent_changes", "loan_changes"),
    [
        ({"size": EnterpriseSize.MEDIUM}, {}),
        ({}, {"other_cover": True}),  # TECH has no other-cover exclusion
        ({}, {"loan_type": LoanType.RISK_SHARING, "bank_risk_share_percent": D("20")}),
    ],
)
def test_tech_covers_medium_firms_and_risk_sharing_loans(ent_changes, loan_changes):
    assert judge(Scheme.TECH, ent=enterprise(**ent_changes), ln=loan(**loan_changes)).eligible


def test_a_verdict_lists_every_failing_condition_not_only_the_first():
    verdict = judge(
        Scheme.MICRO,
        bank=(Scheme.TECH,),
        ent=enterprise(
            credit_code="91110108551385082A",
            size=EnterpriseSize.MEDIUM,
            in_bda=False,
            micro_conduct_ok=False,
        ),
        ln=loan(
            drawdown_date=date(2025, 9, 26),
            maturity_date=date(2026, 9, 25),
            credit_report_date=date(2025, 10, 17),
            amount=D("11000000.00"),
            credit_report_outstanding=D("31000000.00"),
            other_cover=True,
            rate_percent=D("5.00"),
        ),
    )
    assert set(verdict.codes) == {
        R.NO_AGREEMENT, R.BAD_CREDIT_CODE, R.NOT_IN_BDA, R.BORROWER_SIZE, R.CONDUCT,
        R.OTHER_COVER, R.AMOUNT_CAP, R.OUTSTANDING_CAP, R.CREDIT_REPORT_DATE, R.RATE_CAP,
    }


def test_reason_messages_cite_the_scheme_judged():
    verdict = judge(Scheme.TECH, ent=enterprise(in_bda=False))
    assert "京技管发〔2025〕13号第五条、第六条第（一）项" in str(verdict.reasons[0].message)


# --- each scheme's own conduct conditions (MICRO Art. 5(2); TECH Art. 2, 6(2)) ---------------

def test_abnormal_operations_list_without_penalty_is_micro_not_tech():
    # On the abnormal-operations list (TECH Art. 2) with no penalty or record (MICRO Art. 5(2)).
    decision = decide(ent=enterprise(micro_conduct_ok=True, tech_conduct_ok=False))
    assert decision.verdicts[Scheme.MICRO].eligible
    assert decision.verdicts[Scheme.TECH].codes == (R.CONDUCT,)
    tech_message = str(decision.verdicts[Scheme.TECH].reasons[0].message)
    assert "京技管发〔2025〕13号第二条、第六条" in tech_message
    assert "经营异常名录" in str(decision.verdicts[Scheme.TECH].reasons[0].message)
    assert decision.scheme == Scheme.MICRO
    assert decision.ratio == D("0.30")


def test_penalty_without_abnormal_operations_list_is_tech_not_micro():
    # A major administrative penalty in three years (MICRO Art. 5(2)), none of TECH's lists.
    decision = decide(ent=enterprise(micro_conduct_ok=False, tech_conduct_ok=True))
    assert decision.verdicts[Scheme.TECH].eligible
    assert decision.verdicts[Scheme.MICRO].codes == (R.CONDUCT,)
    assert "京技管发〔2025〕12号第五条" in str(decision.verdicts[Scheme.MICRO].reasons[0].message)
    assert "行政处罚" in str(decision.verdicts[Scheme.MICRO].reasons[0].message)
    assert decision.scheme == Scheme.TECH
    assert decision.ratio == D("0.50")


def test_a_medium_firm_failing_only_tech_conduct_falls_to_no_scheme():
    # MICRO cannot take a medium enterprise, so TECH's own conduct refusal leaves no scheme.
    decision = decide(ent=enterprise(size=EnterpriseSize.MEDIUM, tech_conduct_ok=False))
    assert decision.scheme is None
    assert decision.verdicts[Scheme.TECH].codes == (R.CONDUCT,)
    assert decision.verdicts[Scheme.MICRO].codes == (R.BORROWER_SIZE,)


@pytest.mark.parametrize(("micro_ok", "tech_ok"), [(True, True), (True, False), (False, True),
                                                   (False, False)])
def test_each_scheme_reads_only_its_own_conduct_attestation(micro_ok, tech_ok):
    ent = enterprise(micro_conduct_ok=micro_ok, tech_conduct_ok=tech_ok)
    assert ent.conduct_ok(Scheme.MICRO) is micro_ok
    assert ent.conduct_ok(Scheme.TECH) is tech_ok
    assert (R.CONDUCT in judge(Scheme.MICRO, ent=ent).codes) is not micro_ok
    assert (R.CONDUCT in judge(Scheme.TECH, ent=ent).codes) is not tech_ok


# --- caps at the boundary: exactly at, one fen above -----------------------------------------

@pytest.mark.parametrize(
    ("scheme", "outstanding", "amount", "fails"),
    [
        (Scheme.MICRO, D("4000000.00"), D("6000000.00"), False),  # exactly 10,000,000.00
        (Scheme.MICRO, D("4000000.00"), D("6000000.01"), True),
        (Scheme.MICRO, D("0.00"), D("10000000.01"), True),
        (Scheme.TECH, D("20000000.00"), D("10000000.00"), False),  # exactly 30,000,000.00
        (Scheme.TECH, D("20000000.01"), D("10000000.00"), True),
    ],
)
def test_amount_cap_counts_the_banks_outstanding_loans_plus_this_one(
    scheme, outstanding, amount, fails
):
    found = codes(
        scheme,
        ln=loan(amount=amount, bank_outstanding_to_enterprise=outstanding,
                credit_report_outstanding=D("0.00")),
    )
    assert (R.AMOUNT_CAP in found) is fails


@pytest.mark.parametrize(
    ("scheme", "report_date", "on_report", "qualified", "fails"),
    [
        # Report before drawdown: it cannot show this loan (1,000,000.00), so it is added.
        (Scheme.MICRO, date(2025, 9, 10), D("29000000.00"), False, False),
        (Scheme.MICRO, date(2025, 9, 10), D("29000000.01"), False, True),
        # Report on or after drawdown: it already shows this loan.
        (Scheme.MICRO, DRAWDOWN, D("30000000.00"), False, False),
        (Scheme.MICRO, date(2025, 9, 19), D("30000000.01"), False, True),
        # Qualified enterprise under MICRO: raised cap 50,000,000.
        (Scheme.MICRO, date(2025, 9, 10), D("49000000.00"), True, False),
        (Scheme.MICRO, date(2025, 9, 10), D("49000000.01"), True, True),
        (Scheme.MICRO, DRAWDOWN, D("50000000.01"), True, True),
        # TECH: 50,000,000 for everyone.
        (Scheme.TECH, date(2025, 9, 10), D("49000000.00"), False, False),
        (Scheme.TECH, date(2025, 9, 10), D("49000000.01"), False, True),
        (Scheme.TECH, DRAWDOWN, D("50000000.00"), False, False),
    ],
)
def test_outstanding_cap_on_the_credit_report_includes_this_loan(
    scheme, report_date, on_report, qualified, fails
):
    ent = enterprise(qualifications=(qualification(),) if qualified else ())
    ln = loan(credit_report_date=report_date, credit_report_outstanding=on_report)
    assert (R.OUTSTANDING_CAP in codes(scheme, ent=ent, ln=ln)) is fails


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "qualified"),
    [
        (date(2024, 1, 1), DRAWDOWN, True),  # last day of validity is the drawdown day
        (DRAWDOWN, date(2027, 1, 1), True),
        (date(2024, 1, 1), date(2025, 9, 14), False),  # expired the day before
        (date(2025, 9, 16), date(2027, 1, 1), False),  # granted the day after
    ],
)
def test_a_qualification_counts_when_valid_on_the_drawdown_date(valid_from, valid_to,
                                                                 qualified):
    ent = enterprise(qualifications=(qualification(valid_from, valid_to),))
    assert is_qualified(ent, DRAWDOWN) is qualified
    # And it decides the raised cap of MICRO Art. 6(4).
    ln = loan(credit_report_outstanding=D("40000000.00"))
    assert (R.OUTSTANDING_CAP in codes(Scheme.MICRO, ent=ent, ln=ln)) is not qualified


@pytest.mark.parametrize(
    ("drawdown", "report", "fails"),
    [
        (date(2025, 9, 26), date(2025, 9, 1), False),  # before drawdown
        (date(2025, 9, 26), date(2025, 10, 16), False),  # 10th working day after, over holiday
        (date(2025, 9, 26), date(2025, 10, 17), True),
        (date(2026, 2, 13), date(2026, 3, 5), False),  # over Spring Festival 2026
        (date(2026, 2, 13), date(2026, 3, 6), True),
    ],
)
@pytest.mark.parametrize("scheme", BOTH)
def test_credit_report_date_window(scheme, drawdown, report, fails):
    ln = loan(drawdown_date=drawdown, credit_report_date=report,
              maturity_date=date(2027, 3, 1))
    assert (R.CREDIT_REPORT_DATE in codes(scheme, ln=ln)) is fails


def test_credit_report_window_in_an_unknown_year_gives_calendar_unknown_not_a_guess():
    ln = loan(drawdown_date=date(2026, 12, 28), credit_report_date=date(2027, 1, 12),
              maturity_date=date(2027, 12, 27))
    verdict = judge(Scheme.MICRO, ln=ln)
    assert set(verdict.codes) == {R.CALENDAR_UNKNOWN}
    assert not verdict.eligible


def test_credit_report_window_certain_despite_the_unknown_year_is_decided():
    ln = loan(drawdown_date=date(2026, 12, 28), credit_report_date=date(2027, 1, 5),
              maturity_date=date(2027, 12, 27))
    assert judge(Scheme.MICRO, ln=ln).eligible


def test_credit_report_window_is_decided_once_staff_enter_the_year():
    cal = WorkdayCalendar(overrides={date(2027, 1, 1): False}, known_years=[2027])
    ln = loan(drawdown_date=date(2026, 12, 28), credit_report_date=date(2027, 1, 12),
              maturity_date=date(2027, 12, 27))
    # 29, 30, 31 Dec; 4-8 Jan; 11 Jan is the 9th, 12 Jan the 10th working day.
    assert judge(Scheme.MICRO, ln=ln, cal=cal).eligible
    late = replace(ln, credit_report_date=date(2027, 1, 13))
    assert codes(Scheme.MICRO, ln=late, cal=cal) == {R.CREDIT_REPORT_DATE}


# --- interest rate against the LPR -------------------------------------------------------------

@pytest.mark.parametrize(
    ("maturity", "rate", "fails"),
    [
        (date(2026, 9, 14), D("4.50"), False),  # 1Y LPR 3.00 + 1.50
        (date(2026, 9, 14), D("4.51"), True),
        (date(2030, 9, 15), D("4.50"), False),  # exactly five years: still the 1Y LPR
        (date(2030, 9, 15), D("4.51"), True),
        (date(2030, 9, 16), D("5.00"), False),  # longer than five years: 5Y LPR 3.50 + 1.50
        (date(2030, 9, 16), D("5.01"), True),
    ],
)
@pytest.mark.parametrize("scheme", BOTH)
def test_rate_cap_is_same_term_lpr_plus_150_bp(scheme, maturity, rate, fails):
    ln = loan(maturity_date=maturity, rate_percent=rate)
    assert (R.RATE_CAP in codes(scheme, ln=ln)) is fails


def test_rate_cap_message_names_the_lpr_and_the_ceiling():
    verdict = judge(Scheme.MICRO, ln=loan(rate_percent=D("4.51")))
    message = str(verdict.reasons[0].message)
    assert message == ("贷款利率4.51%高于同期LPR 3.00%上浮150BP后的4.50%"
                       "（京技管发〔2025〕12号第六条第（五）项）")


@pytest.mark.parametrize(
    ("drawdown", "expected"),
    [
        (date(2025, 5, 19), D("3.10")),
        (date(2025, 5, 20), D("3.00")),  # published that day: in force that day
        (date(2025, 10, 1), D("3.00")),
    ],
)
def test_lpr_in_force_is_the_latest_published_on_or_before_drawdown(drawdown, expected):
    assert lpr_for(DEFAULT_LPR, drawdown, drawdown.replace(year=drawdown.year + 1),
                   MICRO) == expected


def test_lpr_history_extended_by_staff_is_used():
    lpr = (*DEFAULT_LPR, LprRate(date(2025, 11, 20), D("2.90"), D("3.40")))
    ln = loan(drawdown_date=date(2025, 11, 20), maturity_date=date(2026, 11, 19),
              credit_report_date=date(2025, 11, 18), rate_percent=D("4.45"))
    assert codes(Scheme.MICRO, ln=ln, lpr=lpr) == {R.RATE_CAP}  # cap 4.40
    assert codes(Scheme.MICRO, ln=ln) == set()  # cap 4.50 with the defaults


def test_no_lpr_published_by_the_drawdown_fails_the_rate_cap_with_a_message():
    verdict = judge(Scheme.MICRO, lpr=())
    assert set(verdict.codes) == {R.RATE_CAP}
    assert "没有已公布的LPR" in str(verdict.reasons[0].message)
    with pytest.raises(PolicyError):
        lpr_for((), DRAWDOWN, date(2026, 1, 1), MICRO)


# --- foreign currency (MICRO Art. 6(4)) ----------------------------------------------------------

def test_foreign_currency_is_converted_at_the_banks_rate_to_the_fen():
    assert cny_amount(loan(amount=D("1000000.00"), currency="USD",
                           fx_rate=D("7.1234"))) == D("7123400.00")
    assert cny_amount(loan(amount=D("333.33"), currency="EUR", fx_rate=D("8.005"))) == D(
        "2668.31")  # 2668.30665


@pytest.mark.parametrize(
    ("outstanding", "fails"),
    [(D("2876600.00"), False), (D("2876600.01"), True)],
)
def test_amount_cap_uses_the_converted_amount(outstanding, fails):
    ln = loan(amount=D("1000000.00"), currency="USD", fx_rate=D("7.1234"),
              bank_outstanding_to_enterprise=outstanding, credit_report_outstanding=D("0"))
    assert (R.AMOUNT_CAP in codes(Scheme.MICRO, ln=ln)) is fails


def test_a_foreign_currency_loan_without_a_rate_is_an_error():
    with pytest.raises(PolicyError) as caught:
        cny_amount(loan(currency="USD"))
    assert caught.value.code is R.AMOUNT_CAP
    assert "USD" in str(caught.value.message)


# --- outside validity: judged with the nearest version -------------------------------------------

def test_outside_validity_is_judged_with_the_nearest_versions_figures():
    ln = loan(drawdown_date=date(2025, 6, 29), amount=D("10000000.01"),
              credit_report_outstanding=D("0"), credit_report_date=date(2025, 6, 20))
    verdict = judge(Scheme.MICRO, ln=ln)
    assert set(verdict.codes) == {R.OUTSIDE_VALIDITY, R.AMOUNT_CAP}
    assert verdict.version == MICRO.version
    assert "2025-06-30" in str(verdict.reasons[0].message)


def test_a_scheme_without_any_version_is_outside_validity():
    verdict = judge_scheme(
        Scheme.TECH, bank_schemes=BOTH, enterprise=enterprise(), loan=loan(),
        params_all=(MICRO,), lpr=DEFAULT_LPR, cal=CAL,
    )
    assert verdict.codes == (R.OUTSIDE_VALIDITY,)
    assert verdict.version is None
    message = str(verdict.reasons[0].message)
    assert message.startswith("放款日2025-09-15没有可适用的科技创新类中小企业贷款风险补偿政策版本")
    assert "OUTSIDE_VALIDITY" not in message


def test_a_drawdown_after_the_last_version_says_so_in_words():
    ln = loan(drawdown_date=date(2027, 1, 5), maturity_date=date(2027, 12, 31),
              credit_report_date=date(2026, 12, 28))
    verdict = judge(Scheme.MICRO, ln=ln)
    outside = next(r for r in verdict.reasons if r.code is R.OUTSIDE_VALIDITY)
    assert str(outside.message) == (
        "放款日2027-01-05不在小微企业贷款风险补偿任何政策版本的有效期内："
        "最近的版本京技管发〔2025〕12号有效期为2025-06-30至2026-12-31"
        "（京技管发〔2025〕12号第二十八条）")


# --- the decision: overlap, ratio, deadlines -------------------------------------------------

def test_a_loan_covered_by_both_schemes_is_a_tech_loan():
    decision = decide()
    assert decision.verdicts[Scheme.MICRO].eligible
    assert decision.verdicts[Scheme.TECH].eligible
    assert decision.scheme is Scheme.TECH
    assert decision.ratio == D("0.50")


@pytest.mark.parametrize(
    ("bank", "ent_changes", "scheme", "ratio"),
    [
        (BOTH, {"size": EnterpriseSize.MICRO}, Scheme.MICRO, D("0.30")),
        ((Scheme.MICRO,), {}, Scheme.MICRO, D("0.30")),
        (BOTH, {"size": EnterpriseSize.MICRO, "qualifications": (qualification(),)},
         Scheme.MICRO, D("0.40")),
        (BOTH, {"size": EnterpriseSize.MEDIUM}, Scheme.TECH, D("0.50")),
        (BOTH, {"in_bda": False}, None, None),
        ((), {}, None, None),
    ],
)
def test_the_loan_goes_to_the_first_eligible_scheme(bank, ent_changes, scheme, ratio):
    decision = decide(bank=bank, ent=enterprise(**ent_changes))
    assert decision.scheme == scheme
    assert decision.ratio == ratio


def test_first_loan_raises_the_micro_ratio():
    decision = decide(ent=enterprise(size=EnterpriseSize.MICRO), ln=loan(first_loan=True))
    assert decision.ratio == D("0.40")


def test_tech_risk_sharing_ratio_is_the_banks_share_up_to_20_percent():
    decision = decide(ln=loan(loan_type=LoanType.RISK_SHARING,
                              bank_risk_share_percent=D("30")))
    assert (decision.scheme, decision.ratio) == (Scheme.TECH, D("0.20"))


def test_decision_carries_cny_amount_and_deadlines():
    decision = decide(ln=loan(amount=D("100000.00"), currency="usd", fx_rate=D("7.10")))
    assert decision.cny_amount == D("710000.00")
    assert decision.filing_deadline == date(2025, 10, 28)
    assert decision.claim_deadline == date(2027, 9, 14)
    assert decision.filing_on_time is None  # no filing date given
    assert decision.calendar_unknown is None


@pytest.mark.parametrize(
    ("filing_date", "on_time"),
    [
        (date(2025, 9, 15), True),
        (date(2025, 10, 28), True),
        (date(2025, 10, 29), False),
        (date(2025, 9, 14), False),  # before the drawdown
    ],
)
def test_filing_on_time_does_not_change_the_verdicts(filing_date, on_time):
    decision = decide(filing_date=filing_date)
    assert decision.filing_on_time is on_time
    assert decision.scheme is Scheme.TECH
    assert all(v.eligible for v in decision.verdicts.values())


def test_filing_deadline_in_an_unknown_year_is_none_with_calendar_unknown():
    ln = loan(drawdown_date=date(2026, 11, 16), maturity_date=date(2027, 11, 15),
              credit_report_date=date(2026, 11, 10))
    decision = decide(ln=ln, filing_date=date(2027, 2, 1))
    assert decision.filing_deadline is None
    assert decision.filing_on_time is None
    assert decision.calendar_unknown is not None
    assert decision.calendar_unknown.code is R.CALENDAR_UNKNOWN
    assert "2027" in str(decision.calendar_unknown.message)
    assert decision.scheme is Scheme.TECH  # the loan itself is judged regardless


def test_a_certainly_timely_filing_in_an_unknown_year_is_on_time():
    ln = loan(drawdown_date=date(2026, 11, 16), maturity_date=date(2027, 11, 15),
              credit_report_date=date(2026, 11, 10))
    decision = decide(ln=ln, filing_date=date(2027, 1, 6))
    assert decision.filing_deadline is None
    assert decision.filing_on_time is True


def test_filing_deadline_is_known_once_staff_enter_the_year():
    cal = WorkdayCalendar(overrides={date(2027, 1, 1): False}, known_years=[2027])
    ln = loan(drawdown_date=date(2026, 11, 16), maturity_date=date(2027, 11, 15),
              credit_report_date=date(2026, 11, 10))
    decision = decide(ln=ln, cal=cal, filing_date=date(2027, 1, 25))
    assert decision.filing_deadline == date(2027, 1, 22)
    assert decision.filing_on_time is False
    assert decision.calendar_unknown is None


def test_an_undecided_tech_verdict_does_not_send_the_loan_to_micro():
    ln = loan(drawdown_date=date(2026, 12, 28), credit_report_date=date(2027, 1, 12),
              maturity_date=date(2027, 12, 27))
    decision = decide(ln=ln)
    assert decision.verdicts[Scheme.TECH].codes == (R.CALENDAR_UNKNOWN,)
    assert decision.scheme is None
    assert decision.calendar_unknown is not None


def test_a_bad_credit_code_makes_the_loan_ineligible_under_both():
    decision = decide(ent=enterprise(credit_code="91110108551385082A"))
    assert decision.scheme is None
    for verdict in decision.verdicts.values():
        assert R.BAD_CREDIT_CODE in verdict.codes

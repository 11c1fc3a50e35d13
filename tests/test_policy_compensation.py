"""Compensation ratio and amount (MICRO Art. 7, TECH Art. 8) and returns (MICRO Art. 16, 18;
TECH Art. 17, 19)."""

from decimal import Decimal

import pytest

from riskcomp.policy.compensation import compensation_amount, compensation_ratio, return_amount
from riskcomp.policy.params import DEFAULT_SCHEME_PARAMS
from riskcomp.policy.reasons import PolicyError
from riskcomp.policy.types import LoanType, ReasonCode, Scheme

MICRO, TECH = DEFAULT_SCHEME_PARAMS
D = Decimal


def ratio(params, loan_type=LoanType.CREDIT, *, qualified=False, first_loan=False, share=None):
    return compensation_ratio(
        params.scheme,
        params=params,
        loan_type=loan_type,
        qualified=qualified,
        first_loan=first_loan,
        bank_risk_share_percent=share,
    )


# --- the four examples of RULES.md -----------------------------------------------------------

def test_rules_example_micro_plain_loan():
    r = ratio(MICRO)
    assert r == D("0.30")
    assert compensation_amount(D("2000000.00"), r) == D("600000.00")


def test_rules_example_micro_first_loan_of_a_qualified_enterprise():
    r = ratio(MICRO, qualified=True, first_loan=True)
    assert r == D("0.40")
    assert compensation_amount(D("1234567.89"), r) == D("493827.16")


def test_rules_example_tech_credit_loan():
    r = ratio(TECH)
    assert r == D("0.50")
    assert compensation_amount(D("8000000.00"), r) == D("4000000.00")


def test_rules_example_tech_risk_sharing_bank_keeps_30_percent():
    r = ratio(TECH, LoanType.RISK_SHARING, share=D("30"))
    assert r == D("0.20")
    assert compensation_amount(D("10000000.00"), r) == D("2000000.00")


# --- ratio table ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("loan_type", "qualified", "first_loan", "expected"),
    [
        (LoanType.CREDIT, False, False, D("0.30")),
        (LoanType.CREDIT, True, False, D("0.40")),
        (LoanType.IP_PLEDGE, False, True, D("0.40")),
        (LoanType.RECEIVABLES_PLEDGE, True, True, D("0.40")),  # the raises do not add up
    ],
)
def test_micro_ratio(loan_type, qualified, first_loan, expected):
    assert ratio(MICRO, loan_type, qualified=qualified, first_loan=first_loan) == expected


@pytest.mark.parametrize(
    ("loan_type", "share", "expected"),
    [
        (LoanType.CREDIT, None, D("0.50")),
        (LoanType.IP_PLEDGE, None, D("0.50")),
        (LoanType.RECEIVABLES_PLEDGE, None, D("0.50")),
        (LoanType.RISK_SHARING, D("20"), D("0.20")),
        (LoanType.RISK_SHARING, D("20.01"), D("0.20")),  # never more than 20 %
        (LoanType.RISK_SHARING, D("100"), D("0.20")),
        (LoanType.RISK_SHARING, D("15"), D("0.15")),  # the bank's own share, if lower
    ],
)
def test_tech_ratio(loan_type, share, expected):
    assert ratio(TECH, loan_type, share=share) == expected


def test_tech_ratio_ignores_qualification_and_first_loan():
    assert ratio(TECH, qualified=True, first_loan=True) == D("0.50")


def test_risk_sharing_without_the_banks_share_is_refused():
    with pytest.raises(PolicyError) as caught:
        ratio(TECH, LoanType.RISK_SHARING)
    assert caught.value.code is ReasonCode.RISK_SHARE


def test_micro_does_not_cover_risk_sharing_loans():
    with pytest.raises(PolicyError) as caught:
        ratio(MICRO, LoanType.RISK_SHARING, share=D("30"))
    assert caught.value.code is ReasonCode.LOAN_TYPE


def test_params_of_another_scheme_are_a_programming_error():
    with pytest.raises(ValueError):
        compensation_ratio(
            Scheme.TECH, params=MICRO, loan_type=LoanType.CREDIT, qualified=False,
            first_loan=False, bank_risk_share_percent=None,
        )


@pytest.mark.parametrize(
    ("base", "r", "expected"),
    [
        (D("0.05"), D("0.30"), D("0.02")),  # 0.015 rounds half up
        (D("0.04"), D("0.30"), D("0.01")),  # 0.012 rounds down
        (D("1234567.89"), D("0.30"), D("370370.37")),  # 370370.367
        (D("0.00"), D("0.40"), D("0.00")),
    ],
)
def test_compensation_rounds_half_up_to_the_fen(base, r, expected):
    assert compensation_amount(base, r) == expected


# --- returns ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("recovered", "r", "paid", "returned_before", "expected"),
    [
        (D("1000000.00"), D("0.30"), D("600000.00"), D("0.00"), D("300000.00")),
        (D("1000000.00"), D("0.30"), D("600000.00"), D("500000.00"), D("100000.00")),
        (D("3000000.00"), D("0.30"), D("600000.00"), D("0.00"), D("600000.00")),  # capped
        (D("1000000.00"), D("0.30"), D("600000.00"), D("600000.00"), D("0.00")),  # all back
        (D("0.05"), D("0.30"), D("600000.00"), D("0.00"), D("0.02")),  # half up
        (D("123456.78"), D("0.40"), D("493827.16"), D("0.00"), D("49382.71")),
        (D("1000.00"), D("0.50"), D("100.00"), D("150.00"), D("0.00")),  # never negative
    ],
)
def test_return_is_recovered_times_ratio_up_to_what_remains_paid(
    recovered, r, paid, returned_before, expected
):
    assert return_amount(
        recovered=recovered, ratio=r, paid=paid, returned_before=returned_before
    ) == expected

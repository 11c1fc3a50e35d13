"""Claim refusals: NOT_NPL, NPL_BEFORE_FILING, CLAIM_LATE, BANK_SUSPENDED, DUPLICATE."""

from datetime import date

import pytest

from riskcomp.policy.claims import claim_refusals, proposal_admits
from riskcomp.policy.params import DEFAULT_SCHEME_PARAMS
from riskcomp.policy.types import Classification, ReasonCode, Scheme

MICRO, TECH = DEFAULT_SCHEME_PARAMS
PARAMS = {Scheme.MICRO: MICRO, Scheme.TECH: TECH}

ACCEPTED = date(2025, 10, 20)
MATURITY = date(2026, 8, 31)  # claim deadline 2027-08-31


def refusals(scheme=Scheme.MICRO, **changes):
    facts = {
        "classification": Classification.SUBSTANDARD,
        "classified_on": date(2026, 3, 2),
        "filing_accepted_on": ACCEPTED,
        "npl_before_filing": False,
        "maturity_date": MATURITY,
        "claim_date": date(2026, 3, 10),
        "bank_suspended": False,
        "has_open_claim": False,
        **changes,
    }
    result = claim_refusals(scheme=scheme, params=PARAMS[scheme], **facts)
    return result


def codes(scheme=Scheme.MICRO, **changes):
    return {r.code for r in refusals(scheme, **changes)}


@pytest.mark.parametrize("scheme", list(Scheme))
def test_a_proper_claim_has_no_refusal(scheme):
    assert refusals(scheme) == ()


@pytest.mark.parametrize(
    ("classification", "refused"),
    [
        (Classification.NORMAL, True),
        (Classification.SPECIAL_MENTION, True),
        (None, True),
        (Classification.SUBSTANDARD, False),
        (Classification.DOUBTFUL, False),
        (Classification.LOSS, False),
    ],
)
@pytest.mark.parametrize("scheme", list(Scheme))
def test_only_a_non_performing_loan_can_be_claimed(scheme, classification, refused):
    assert (ReasonCode.NOT_NPL in codes(scheme, classification=classification)) is refused


@pytest.mark.parametrize(
    ("classified_on", "npl_before_filing", "refused"),
    [
        (date(2025, 10, 19), False, True),  # the day before the filing was accepted
        (ACCEPTED, False, False),  # Reading: the same day is not "before"
        (date(2025, 10, 21), False, False),
        (date(2026, 3, 2), True, True),  # non-performing before filing, cured, now again
    ],
)
@pytest.mark.parametrize("scheme", list(Scheme))
def test_a_loan_non_performing_before_its_filing_is_never_compensated(
    scheme, classified_on, npl_before_filing, refused
):
    found = codes(scheme, classified_on=classified_on, npl_before_filing=npl_before_filing)
    assert (ReasonCode.NPL_BEFORE_FILING in found) is refused


@pytest.mark.parametrize(
    ("claim_date", "refused"),
    [
        (date(2027, 8, 31), False),  # 12 months after maturity: the last day
        (date(2027, 9, 1), True),
    ],
)
@pytest.mark.parametrize("scheme", list(Scheme))
def test_a_claim_later_than_12_months_after_maturity_is_late(scheme, claim_date, refused):
    assert (ReasonCode.CLAIM_LATE in codes(scheme, claim_date=claim_date)) is refused


def test_late_claim_message_names_the_deadline():
    (late,) = refusals(Scheme.TECH, claim_date=date(2027, 9, 1))
    assert "2027-08-31" in str(late.message)
    assert "京技管发〔2025〕13号第十四条" in str(late.message)


def test_a_suspended_bank_cannot_claim():
    assert codes(bank_suspended=True) == {ReasonCode.BANK_SUSPENDED}


def test_a_loan_with_an_open_claim_cannot_claim_again():
    assert codes(has_open_claim=True) == {ReasonCode.DUPLICATE}


def test_every_refusal_is_listed():
    assert codes(
        classification=Classification.NORMAL,
        classified_on=date(2025, 10, 1),
        claim_date=date(2027, 9, 1),
        bank_suspended=True,
        has_open_claim=True,
    ) == {
        ReasonCode.NOT_NPL,
        ReasonCode.NPL_BEFORE_FILING,
        ReasonCode.CLAIM_LATE,
        ReasonCode.BANK_SUSPENDED,
        ReasonCode.DUPLICATE,
    }


def test_params_of_another_scheme_are_a_programming_error():
    with pytest.raises(ValueError):
        claim_refusals(
            scheme=Scheme.TECH, classification=Classification.LOSS, classified_on=None,
            filing_accepted_on=ACCEPTED, npl_before_filing=False, maturity_date=MATURITY,
            claim_date=date(2026, 3, 10), params=MICRO, bank_suspended=False,
            has_open_claim=False,
        )


@pytest.mark.parametrize(("quarter", "passed", "admitted"), [
    ((2026, 3), date(2026, 9, 30), True),  # passed in the quarter
    ((2026, 3), date(2026, 4, 2), True),  # held back from an earlier quarter
    ((2026, 3), date(2026, 10, 1), False),  # waits for 2026Q4
    ((2026, 3), None, True),
])
def test_a_proposal_carries_claims_passed_by_the_end_of_its_quarter(quarter, passed, admitted):
    assert proposal_admits(quarter, passed) is admitted

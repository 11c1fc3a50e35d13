"""Versioned scheme parameters and their validity (MICRO Art. 28, TECH Art. 27)."""

from dataclasses import fields, replace
from datetime import date
from decimal import Decimal

import pytest

from riskcomp.policy.context import default_context
from riskcomp.policy.params import (
    DEFAULT_LPR,
    DEFAULT_SCHEME_PARAMS,
    LprRate,
    SchemeParams,
    choose_version,
)
from riskcomp.policy.types import EnterpriseKind, EnterpriseSize, LoanType, Scheme
from riskcomp.policy.workdays import WorkdayCalendar

MICRO, TECH = DEFAULT_SCHEME_PARAMS

SCHEME_PARAMS_FIELDS = [
    "scheme", "version", "valid_from", "valid_to", "allowed_kinds", "allowed_sizes",
    "allowed_loan_types", "requires_tech_scope", "excludes_other_cover", "amount_cap",
    "outstanding_cap", "outstanding_cap_qualified", "rate_margin_percent", "long_term_years",
    "credit_report_window_workdays", "filing_deadline_workday", "claim_window_months",
    "recovery_notice_workdays", "return_workdays", "base_ratio", "raised_ratio",
    "risk_share_min", "risk_share_ratio_cap", "suspend_claim_ratio", "suspend_net_compensation",
    "articles",
]


def test_scheme_params_has_exactly_the_fields_the_database_mirrors():
    assert [f.name for f in fields(SchemeParams)] == SCHEME_PARAMS_FIELDS


def test_micro_defaults_follow_the_2025_12_measures():
    assert MICRO.scheme is Scheme.MICRO
    assert MICRO.version == "京技管发〔2025〕12号"
    assert (MICRO.valid_from, MICRO.valid_to) == (date(2025, 6, 30), date(2026, 12, 31))
    assert MICRO.allowed_kinds == {EnterpriseKind.COMPANY, EnterpriseKind.INDIVIDUAL}
    assert MICRO.allowed_sizes == {EnterpriseSize.SMALL, EnterpriseSize.MICRO}
    assert LoanType.RISK_SHARING not in MICRO.allowed_loan_types
    assert (MICRO.amount_cap, MICRO.outstanding_cap, MICRO.outstanding_cap_qualified) == (
        Decimal("10000000.00"), Decimal("30000000.00"), Decimal("50000000.00"))
    assert (MICRO.base_ratio, MICRO.raised_ratio) == (Decimal("0.30"), Decimal("0.40"))
    assert MICRO.suspend_claim_ratio == Decimal("0.03")
    assert MICRO.suspend_net_compensation == Decimal("5000000.00")
    assert MICRO.excludes_other_cover and not MICRO.requires_tech_scope


def test_tech_defaults_follow_the_2025_13_plan():
    assert TECH.scheme is Scheme.TECH
    assert TECH.version == "京技管发〔2025〕13号"
    assert (TECH.valid_from, TECH.valid_to) == (date(2025, 6, 30), date(2028, 6, 29))
    assert TECH.allowed_kinds == {EnterpriseKind.COMPANY}
    assert TECH.allowed_sizes == {EnterpriseSize.MEDIUM, EnterpriseSize.SMALL}
    assert LoanType.RISK_SHARING in TECH.allowed_loan_types
    assert (TECH.amount_cap, TECH.outstanding_cap) == (Decimal("30000000.00"),
                                                      Decimal("50000000.00"))
    assert (TECH.base_ratio, TECH.raised_ratio) == (Decimal("0.50"), None)
    assert (TECH.risk_share_min, TECH.risk_share_ratio_cap) == (Decimal("0.20"), Decimal("0.20"))
    assert TECH.suspend_claim_ratio is None
    assert TECH.suspend_net_compensation == Decimal("15000000.00")
    assert TECH.requires_tech_scope and not TECH.excludes_other_cover


@pytest.mark.parametrize("params", DEFAULT_SCHEME_PARAMS)
def test_both_schemes_share_the_procedural_windows(params):
    assert params.rate_margin_percent == Decimal("1.50")
    assert params.long_term_years == 5
    assert params.credit_report_window_workdays == 10
    assert params.filing_deadline_workday == 15
    assert params.claim_window_months == 12
    assert params.recovery_notice_workdays == 20
    assert params.return_workdays == 10


def test_default_lpr_history_is_the_published_values():
    published = DEFAULT_LPR
    assert published == (
        LprRate(date(2024, 10, 21), Decimal("3.10"), Decimal("3.60")),
        LprRate(date(2025, 5, 20), Decimal("3.00"), Decimal("3.50")),
    )


def _in_force(versions, scheme, on):
    choice = choose_version(versions, scheme, on)
    return choice.params if choice is not None and choice.in_force else None


@pytest.mark.parametrize(
    ("scheme", "on", "expected"),
    [
        (Scheme.MICRO, date(2025, 6, 29), None),
        (Scheme.MICRO, date(2025, 6, 30), MICRO),
        (Scheme.MICRO, date(2026, 12, 31), MICRO),
        (Scheme.MICRO, date(2027, 1, 1), None),
        (Scheme.TECH, date(2025, 6, 30), TECH),
        (Scheme.TECH, date(2028, 6, 29), TECH),
        (Scheme.TECH, date(2028, 6, 30), None),
    ],
)
def test_the_version_in_force_is_the_one_whose_validity_contains_the_date(scheme, on, expected):
    assert _in_force(DEFAULT_SCHEME_PARAMS, scheme, on) == expected


NEXT_MICRO = replace(
    MICRO, version="京技管发〔2027〕1号", valid_from=date(2027, 1, 1), valid_to=date(2029, 12, 31),
    amount_cap=Decimal("12000000.00"),
)


def test_a_new_version_is_a_data_change():
    versions = (*DEFAULT_SCHEME_PARAMS, NEXT_MICRO)
    assert _in_force(versions, Scheme.MICRO, date(2026, 12, 31)) == MICRO
    assert _in_force(versions, Scheme.MICRO, date(2027, 1, 1)) == NEXT_MICRO


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2024, 1, 1), MICRO),  # before every version: the first
        (date(2030, 1, 1), NEXT_MICRO),  # after every version: the last
        (date(2026, 6, 1), MICRO),  # inside a version: that version
    ],
)
def test_outside_every_version_the_nearest_governs_and_says_it_is_not_in_force(on, expected):
    choice = choose_version((*DEFAULT_SCHEME_PARAMS, NEXT_MICRO), Scheme.MICRO, on)
    assert choice is not None and choice.params == expected
    assert choice.in_force is (expected.valid_from <= on <= expected.valid_to)


def test_no_version_of_the_scheme_chooses_nothing():
    assert choose_version((MICRO,), Scheme.TECH, date(2026, 1, 1)) is None


def test_the_recorded_document_number_governs_whatever_the_date():
    versions = (*DEFAULT_SCHEME_PARAMS, NEXT_MICRO)
    # A loan filed under 12号 stays under 12号 when its claim comes in 2027.
    choice = choose_version(versions, Scheme.MICRO, date(2027, 3, 1), recorded=MICRO.version)
    assert choice is not None and choice.params == MICRO and choice.recorded
    # A number of the other scheme, or one no longer known, falls back to the date.
    choice = choose_version(versions, Scheme.MICRO, date(2027, 3, 1), recorded=TECH.version)
    assert choice is not None and choice.params == NEXT_MICRO and not choice.recorded


def test_without_a_scheme_the_preference_order_decides():
    versions = (MICRO, TECH)
    choice = choose_version(versions, None, date(2026, 5, 1), preference=(Scheme.TECH,
                                                                           Scheme.MICRO))
    assert choice is not None and choice.params == TECH
    choice = choose_version((MICRO,), None, date(2026, 5, 1), preference=(Scheme.TECH,
                                                                           Scheme.MICRO))
    assert choice is not None and choice.params == MICRO


def test_default_context_uses_the_defaults_and_an_empty_calendar():
    ctx = default_context()
    assert ctx.params == DEFAULT_SCHEME_PARAMS
    assert ctx.lpr == DEFAULT_LPR
    assert ctx.calendar == WorkdayCalendar()

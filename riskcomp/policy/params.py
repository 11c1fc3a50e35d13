"""Versioned policy data: every figure of RULES.md (caps, ratios, thresholds, windows, dates).

A new policy version is a new ``SchemeParams`` (the database model mirrors the fields one-to-one),
never a code change. ``DEFAULT_SCHEME_PARAMS`` and ``DEFAULT_LPR`` are the versions in force when
this was written; staff extend them in the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .types import EnterpriseKind, EnterpriseSize, LoanType, Scheme


@dataclass(frozen=True)
class SchemeParams:
    """One version of one scheme's figures."""

    scheme: Scheme
    version: str  # the document number, e.g. "京技管发〔2025〕12号"
    # Loans drawn down in [valid_from, valid_to] (both included) are covered.
    valid_from: date
    valid_to: date
    allowed_kinds: frozenset[EnterpriseKind]
    allowed_sizes: frozenset[EnterpriseSize]
    allowed_loan_types: frozenset[LoanType]
    requires_tech_scope: bool  # TECH Art. 2, Art. 12(3): within 财金〔2024〕60号, bank attests
    # MICRO Art. 6(3): not insured, guaranteed by a guarantee company nor compensated elsewhere.
    excludes_other_cover: bool
    amount_cap: Decimal  # this bank to this enterprise, this loan included (CNY)
    outstanding_cap: Decimal  # credit report, this loan included (CNY)
    outstanding_cap_qualified: Decimal  # the same for a qualified enterprise (MICRO Art. 6(4))
    rate_margin_percent: Decimal  # over the same-term LPR, in percentage points (1.50 = 150 bp)
    long_term_years: int  # terms up to this many years compare with the 1Y LPR, longer with 5Y
    # The credit report is dated at latest this many working days after the drawdown.
    credit_report_window_workdays: int
    filing_deadline_workday: int  # filing by this working day of the next quarter
    claim_window_months: int  # claim at latest this many months after the contract's maturity
    recovery_notice_workdays: int  # notify a recovery within this many working days
    return_workdays: int  # return within this many working days of the notice
    base_ratio: Decimal  # compensation ratio (0.30 = 30 %)
    raised_ratio: Decimal | None  # MICRO Art. 7(2)(3): qualified enterprise or first loan
    risk_share_min: Decimal | None  # TECH Art. 7(1)2: the bank keeps at least this share
    risk_share_ratio_cap: Decimal | None  # TECH Art. 8: risk-sharing compensation at most this
    suspend_claim_ratio: Decimal | None  # MICRO Art. 8: claimed / filed principal above this ...
    suspend_net_compensation: Decimal  # ... and net compensation above this suspends the bank


@dataclass(frozen=True)
class LprRate:
    """One publication of the loan prime rate (贷款市场报价利率), in percent."""

    published_on: date
    one_year_percent: Decimal
    five_year_percent: Decimal


_CREDIT_LIKE = frozenset({LoanType.CREDIT, LoanType.IP_PLEDGE, LoanType.RECEIVABLES_PLEDGE})

MICRO_2025 = SchemeParams(
    scheme=Scheme.MICRO,
    version="京技管发〔2025〕12号",
    # MICRO Art. 28: in force from issue (2025-06-30); with 京技管发〔2023〕34号 three years in
    # all, i.e. until 2026-12-31.
    valid_from=date(2025, 6, 30),
    valid_to=date(2026, 12, 31),
    # MICRO Art. 2, Art. 5(1): small and micro enterprises, individual businesses included.
    allowed_kinds=frozenset({EnterpriseKind.COMPANY, EnterpriseKind.INDIVIDUAL}),
    allowed_sizes=frozenset({EnterpriseSize.SMALL, EnterpriseSize.MICRO}),
    allowed_loan_types=_CREDIT_LIKE,  # MICRO Art. 6(3)
    requires_tech_scope=False,
    excludes_other_cover=True,  # MICRO Art. 6(3)
    amount_cap=Decimal("10000000.00"),  # MICRO Art. 6(4)
    outstanding_cap=Decimal("30000000.00"),  # MICRO Art. 6(4)
    outstanding_cap_qualified=Decimal("50000000.00"),  # MICRO Art. 6(4)
    rate_margin_percent=Decimal("1.50"),  # MICRO Art. 6(5)
    long_term_years=5,
    credit_report_window_workdays=10,  # MICRO Art. 6(4)
    filing_deadline_workday=15,  # MICRO Art. 12
    claim_window_months=12,  # MICRO Art. 13
    recovery_notice_workdays=20,  # MICRO Art. 18
    return_workdays=10,  # MICRO Art. 18
    base_ratio=Decimal("0.30"),  # MICRO Art. 7(1)
    raised_ratio=Decimal("0.40"),  # MICRO Art. 7(2)-(4)
    risk_share_min=None,
    risk_share_ratio_cap=None,
    suspend_claim_ratio=Decimal("0.03"),  # MICRO Art. 8
    suspend_net_compensation=Decimal("5000000.00"),  # MICRO Art. 8
)

TECH_2025 = SchemeParams(
    scheme=Scheme.TECH,
    version="京技管发〔2025〕13号",
    # TECH Art. 27: in force from issue (2025-06-30) for three years.
    valid_from=date(2025, 6, 30),
    valid_to=date(2028, 6, 29),
    # TECH Art. 2: medium or small enterprise legal persons.
    allowed_kinds=frozenset({EnterpriseKind.COMPANY}),
    allowed_sizes=frozenset({EnterpriseSize.MEDIUM, EnterpriseSize.SMALL}),
    allowed_loan_types=_CREDIT_LIKE | {LoanType.RISK_SHARING},  # TECH Art. 7(1)
    requires_tech_scope=True,  # TECH Art. 2, Art. 12(3)
    excludes_other_cover=False,
    amount_cap=Decimal("30000000.00"),  # TECH Art. 7(2)
    outstanding_cap=Decimal("50000000.00"),  # TECH Art. 7(2)
    outstanding_cap_qualified=Decimal("50000000.00"),  # TECH has no raised cap
    rate_margin_percent=Decimal("1.50"),  # TECH Art. 7(5)
    long_term_years=5,
    credit_report_window_workdays=10,  # TECH Art. 7(2)
    filing_deadline_workday=15,  # TECH Art. 13
    claim_window_months=12,  # TECH Art. 14
    recovery_notice_workdays=20,  # TECH Art. 19
    return_workdays=10,  # TECH Art. 19
    base_ratio=Decimal("0.50"),  # TECH Art. 8
    raised_ratio=None,
    risk_share_min=Decimal("0.20"),  # TECH Art. 7(1)2
    risk_share_ratio_cap=Decimal("0.20"),  # TECH Art. 8
    suspend_claim_ratio=None,
    suspend_net_compensation=Decimal("15000000.00"),  # TECH Art. 9
)

DEFAULT_SCHEME_PARAMS: tuple[SchemeParams, ...] = (MICRO_2025, TECH_2025)

# Reading (LPR): the published history; staff extend it as the LPR is published each month.
DEFAULT_LPR: tuple[LprRate, ...] = (
    LprRate(date(2024, 10, 21), Decimal("3.10"), Decimal("3.60")),
    LprRate(date(2025, 5, 20), Decimal("3.00"), Decimal("3.50")),
)


def params_for(params: Iterable[SchemeParams], scheme: Scheme, on: date) -> SchemeParams | None:
    """The version of ``scheme`` whose validity contains ``on`` (the latest one if several do)."""
    valid = [p for p in params if p.scheme == scheme and p.valid_from <= on <= p.valid_to]
    return max(valid, key=lambda p: p.valid_from, default=None)


def nearest_params(params: Iterable[SchemeParams], scheme: Scheme, on: date) -> SchemeParams | None:
    """The version of ``scheme`` valid on ``on``, else the one whose validity is nearest to it.

    Used to judge a loan drawn down outside every version with the nearest figures (the verdict
    then also says OUTSIDE_VALIDITY). ``None`` when the scheme has no version at all.
    """
    own = [p for p in params if p.scheme == scheme]
    current = params_for(own, scheme, on)
    if current is not None:
        return current
    # Ties (a gap exactly between two versions) go to the later version.
    return min(own, key=lambda p: (_distance_days(p, on), -p.valid_from.toordinal()), default=None)


def latest_params(params: Iterable[SchemeParams], scheme: Scheme) -> SchemeParams | None:
    """The newest version of ``scheme`` (by ``valid_from``), for figures that carry no date."""
    return max((p for p in params if p.scheme == scheme), key=lambda p: p.valid_from, default=None)


def _distance_days(p: SchemeParams, on: date) -> int:
    if on < p.valid_from:
        return (p.valid_from - on).days
    return (on - p.valid_to).days

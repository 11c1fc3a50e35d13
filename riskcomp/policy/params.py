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
    # Where each rule stands in this document: (reason code, "第六条第（四）项") pairs sorted by
    # code, so that a refusal under a successor cites the successor's own articles.
    articles: tuple[tuple[str, str], ...] = ()

    def article(self, code: str) -> str | None:
        """The article of this document that the rule behind ``code`` comes from, if recorded."""
        return dict(self.articles).get(str(code))


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
    articles=tuple(sorted((
        ("NO_AGREEMENT", "第二条"),
        ("OUTSIDE_VALIDITY", "第二十八条"),
        ("NOT_IN_BDA", "第四条、第五条第（一）项"),
        ("BORROWER_KIND", "第二条、第五条第（一）项"),
        ("BORROWER_SIZE", "第二条、第五条第（一）项"),
        ("CONDUCT", "第五条第（二）项"),
        ("LOAN_TYPE", "第六条第（三）项"),
        ("OTHER_COVER", "第六条第（三）项"),
        ("AMOUNT_CAP", "第六条第（四）项"),
        ("OUTSTANDING_CAP", "第六条第（四）项"),
        ("CREDIT_REPORT_DATE", "第六条第（四）项"),
        ("RATE_CAP", "第六条第（五）项"),
        ("FILING_LATE", "第十二条"),
        ("NPL_BEFORE_FILING", "第六条第（二）项"),
        ("NOT_NPL", "第六条、第十三条"),
        ("CLAIM_LATE", "第十三条"),
        ("BANK_SUSPENDED", "第八条"),
    ))),
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
    articles=tuple(sorted((
        ("NO_AGREEMENT", "第三条"),
        ("OUTSIDE_VALIDITY", "第二十七条"),
        ("NOT_IN_BDA", "第五条、第六条第（一）项"),
        ("BORROWER_KIND", "第二条"),
        ("BORROWER_SIZE", "第二条"),
        ("CONDUCT", "第二条、第六条第（二）项"),
        ("TECH_SCOPE", "第二条、第十二条第（三）项"),
        ("LOAN_TYPE", "第七条第（一）项"),
        ("RISK_SHARE", "第七条第（一）项"),
        ("AMOUNT_CAP", "第七条第（二）项"),
        ("OUTSTANDING_CAP", "第七条第（二）项"),
        ("CREDIT_REPORT_DATE", "第七条第（二）项"),
        ("RATE_CAP", "第七条第（五）项"),
        ("FILING_LATE", "第十三条"),
        ("NPL_BEFORE_FILING", "第七条第（四）项"),
        ("NOT_NPL", "第七条、第十四条"),
        ("CLAIM_LATE", "第十四条"),
        ("BANK_SUSPENDED", "第九条、第十七条"),
    ))),
)

DEFAULT_SCHEME_PARAMS: tuple[SchemeParams, ...] = (MICRO_2025, TECH_2025)

# Reading (LPR): the published history; staff extend it as the LPR is published each month.
DEFAULT_LPR: tuple[LprRate, ...] = (
    LprRate(date(2024, 10, 21), Decimal("3.10"), Decimal("3.60")),
    LprRate(date(2025, 5, 20), Decimal("3.00"), Decimal("3.50")),
)


@dataclass(frozen=True)
class VersionChoice:
    """The version that governs a case, and whether the case's date lies within its validity.

    ``in_force`` is false when no version of the scheme covers the date and the nearest one was
    taken instead (a drawdown outside every version: judged with those figures and refused with
    OUTSIDE_VALIDITY); ``recorded`` is true when a filing's recorded document number chose it.
    """

    params: SchemeParams
    in_force: bool
    recorded: bool = False


def choose_version(
    params: Iterable[SchemeParams], scheme: Scheme | None, on: date, *, recorded: str = "",
    preference: Iterable[Scheme] = (),
) -> VersionChoice | None:
    """The one rule for which version of a scheme governs a case.

    1. ``recorded``: the document number a filing recorded when it was accepted governs every
       later step of that loan (claim, deadlines, recovery, reports), whatever was issued since.
    2. Else the version whose validity contains ``on`` (the drawdown date for a loan, today for
       figures that carry no date of their own: thresholds, filing windows). Validity of two
       versions of a scheme never overlaps (``fund.models.PolicyVersion`` refuses it); should
       stale data overlap, the later ``valid_from`` wins.
    3. Else the version nearest to ``on`` (``in_force`` false; a tie between two versions goes
       to the later one, so after the last version ends its figures keep applying).

    ``scheme`` None tries ``preference`` in order and takes the first scheme with any version
    (the filing and claim windows, which both schemes share). ``None`` when there is no
    version at all.
    """
    preference = tuple(preference)
    # An import asks this of the same versions for each of its rows: the answer for a tuple of
    # versions is kept while that very tuple is in use (the key holds its id, the memo the
    # tuple itself, so that the id is not reused meanwhile).
    versions = params if isinstance(params, tuple) else None
    key = (id(versions), scheme, on, recorded, preference) if versions is not None else None
    kept = _CHOICES.get(key) if key is not None else None
    if kept is not None and kept[0] is versions:
        return kept[1]
    choice = _choose_version(tuple(params), scheme, on, recorded, preference)
    if key is not None and versions is not None:
        if len(_CHOICES) >= _CHOICES_KEPT:
            _CHOICES.clear()
        _CHOICES[key] = (versions, choice)
    return choice


_CHOICES: dict[tuple[object, ...], tuple[tuple[SchemeParams, ...], VersionChoice | None]] = {}
_CHOICES_KEPT = 4096


def _choose_version(versions: tuple[SchemeParams, ...], scheme: Scheme | None, on: date,
                    recorded: str, preference: tuple[Scheme, ...]) -> VersionChoice | None:
    for candidate in ((scheme,) if scheme is not None else tuple(preference)):
        own = [p for p in versions if p.scheme == candidate]
        if not own:
            continue
        if recorded:
            named = [p for p in own if p.version == recorded]
            if named:
                return VersionChoice(named[0], named[0].valid_from <= on <= named[0].valid_to,
                                     recorded=True)
        valid = [p for p in own if p.valid_from <= on <= p.valid_to]
        if valid:
            return VersionChoice(max(valid, key=lambda p: p.valid_from), True)
        nearest = min(own, key=lambda p: (_distance_days(p, on), -p.valid_from.toordinal()))
        return VersionChoice(nearest, False)
    return None


def _distance_days(p: SchemeParams, on: date) -> int:
    if on < p.valid_from:
        return (p.valid_from - on).days
    return (on - p.valid_to).days

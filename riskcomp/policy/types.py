"""The vocabulary of the rules (shared/policy/RULES.md) as string enums.

The values are the values stored in the database and used by the batch check; ``riskcomp.choices``
mirrors them with Chinese labels.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

_E = TypeVar("_E", bound=StrEnum)


def member(enum: type[_E], value: str) -> _E:
    """``enum(value)`` (a member, or ``ValueError`` for an unknown value), by one dictionary
    lookup for a known one: the rules convert several values of each row of an import."""
    found = enum._value2member_map_.get(value)
    return found if found is not None else enum(value)  # type: ignore[return-value]


class Scheme(StrEnum):
    """The two policies: MICRO = 京技管发〔2025〕12号, TECH = 京技管发〔2025〕13号."""

    MICRO = "MICRO"
    TECH = "TECH"


class LoanType(StrEnum):
    """Loan types of MICRO Art. 6(3) and TECH Art. 7(1)."""

    CREDIT = "credit"
    IP_PLEDGE = "ip_pledge"
    RECEIVABLES_PLEDGE = "receivables_pledge"
    # TECH Art. 7(1)2: guaranteed loan under bank-guarantee risk sharing (银担分险).
    RISK_SHARING = "risk_sharing"


class EnterpriseKind(StrEnum):
    COMPANY = "company"  # 企业法人
    INDIVIDUAL = "individual"  # 个体工商户


class EnterpriseSize(StrEnum):
    """Size classes of 工信部联企业〔2011〕300号."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


class QualificationType(StrEnum):
    """The qualifications of MICRO Art. 6(4) and Art. 7(2)."""

    SINGLE_CHAMPION = "single_champion"  # 制造业单项冠军企业
    HIGH_TECH = "high_tech"  # 国家高新技术企业
    BEIJING_SRDI = "beijing_srdi"  # 北京市专精特新中小企业
    NATIONAL_LITTLE_GIANT = "national_little_giant"  # 国家级专精特新"小巨人"企业
    BEIJING_LITTLE_GIANT = "beijing_little_giant"  # 北京市专精特新"小巨人"企业


class Classification(StrEnum):
    """Five-tier risk classification (商业银行金融资产风险分类办法).

    MICRO Art. 6(1), TECH Art. 7(3).
    """

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


NON_PERFORMING: frozenset[Classification] = frozenset(
    {Classification.SUBSTANDARD, Classification.DOUBTFUL, Classification.LOSS}
)


def is_non_performing(classification: Classification) -> bool:
    """Substandard, doubtful and loss are non-performing (不良) (TECH Art. 7(3))."""
    return classification in NON_PERFORMING


class ReasonCode(StrEnum):
    """The reason codes of RULES.md; every verdict carries one or more of them."""

    NO_AGREEMENT = "NO_AGREEMENT"
    OUTSIDE_VALIDITY = "OUTSIDE_VALIDITY"
    NOT_IN_BDA = "NOT_IN_BDA"
    BORROWER_KIND = "BORROWER_KIND"
    BORROWER_SIZE = "BORROWER_SIZE"
    CONDUCT = "CONDUCT"
    TECH_SCOPE = "TECH_SCOPE"
    LOAN_TYPE = "LOAN_TYPE"
    OTHER_COVER = "OTHER_COVER"
    RISK_SHARE = "RISK_SHARE"
    AMOUNT_CAP = "AMOUNT_CAP"
    OUTSTANDING_CAP = "OUTSTANDING_CAP"
    CREDIT_REPORT_DATE = "CREDIT_REPORT_DATE"
    RATE_CAP = "RATE_CAP"
    FILING_LATE = "FILING_LATE"
    DRAWDOWN_FUTURE = "DRAWDOWN_FUTURE"
    CALENDAR_UNKNOWN = "CALENDAR_UNKNOWN"
    BAD_CREDIT_CODE = "BAD_CREDIT_CODE"
    NPL_BEFORE_FILING = "NPL_BEFORE_FILING"
    NOT_NPL = "NOT_NPL"
    CLAIM_LATE = "CLAIM_LATE"
    BANK_SUSPENDED = "BANK_SUSPENDED"
    DUPLICATE = "DUPLICATE"


class FindingCode(StrEnum):
    """What a review finds in a claim beyond the reason codes of RULES.md: the claim and its
    filing, its own figures, its policy version or the order of events disagree."""

    VERSION_UNKNOWN = "VERSION_UNKNOWN"
    RATIO_NOT_IN_VERSION = "RATIO_NOT_IN_VERSION"
    DEADLINE_DIFFERS = "DEADLINE_DIFFERS"
    CLASSIFICATION_MISMATCH = "CLASSIFICATION_MISMATCH"
    BASE_ABOVE_AMOUNT = "BASE_ABOVE_AMOUNT"
    BASE_ABOVE_OUTSTANDING = "BASE_ABOVE_OUTSTANDING"
    BASE_DIFFERS = "BASE_DIFFERS"
    RATIO_DIFFERS = "RATIO_DIFFERS"
    COMPENSATION_WRONG = "COMPENSATION_WRONG"
    SCHEME_DIFFERS = "SCHEME_DIFFERS"
    DATES_ORDER = "DATES_ORDER"
    SNAPSHOT_DIFFERS = "SNAPSHOT_DIFFERS"

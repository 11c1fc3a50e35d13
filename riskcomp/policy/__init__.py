"""The rules of shared/policy/RULES.md as pure functions: values in, values out.

No ORM, no settings, no I/O. Figures live in versioned ``SchemeParams``; each Reading of RULES.md
lives in one function or field, marked "Reading" in its docstring or comment.
"""

from .batch import run_cases
from .claims import claim_refusals
from .compensation import compensation_amount, compensation_ratio, return_amount
from .context import PolicyContext, default_context
from .credit_code import (
    credit_code_check_char,
    is_valid_credit_code,
    normalize_credit_code,
    validate_credit_code,
)
from .deadlines import (
    claim_deadline,
    credit_report_deadline,
    drawdown_refusal,
    filing_deadline,
    filing_on_time,
    filing_refusal,
    notified_on_time,
    quarter_of,
    recovery_notice_deadline,
    return_deadline,
)
from .eligibility import (
    SCHEME_PREFERENCE,
    EnterpriseFacts,
    LoanDecision,
    LoanFacts,
    QualificationFacts,
    SchemeVerdict,
    cny_amount,
    decide_loan,
    is_qualified,
    judge_scheme,
    lpr_for,
)
from .enterprise_size import Industry, classify_size, size_contradiction
from .params import (
    DEFAULT_LPR,
    DEFAULT_SCHEME_PARAMS,
    LprRate,
    SchemeParams,
    VersionChoice,
    choose_version,
)
from .reasons import CalendarUnknown, PolicyError, Reason, Refusal, reason
from .suspension import SuspensionFigures, claim_ratio, next_suspended, threshold_distances
from .types import (
    Classification,
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    QualificationType,
    ReasonCode,
    Scheme,
    is_non_performing,
)
from .workdays import WorkdayCalendar

__all__ = [
    "DEFAULT_LPR",
    "DEFAULT_SCHEME_PARAMS",
    "SCHEME_PREFERENCE",
    "CalendarUnknown",
    "Classification",
    "EnterpriseFacts",
    "EnterpriseKind",
    "EnterpriseSize",
    "Industry",
    "LoanDecision",
    "LoanFacts",
    "LoanType",
    "LprRate",
    "PolicyContext",
    "PolicyError",
    "QualificationFacts",
    "QualificationType",
    "Reason",
    "ReasonCode",
    "Refusal",
    "Scheme",
    "SchemeParams",
    "SchemeVerdict",
    "SuspensionFigures",
    "VersionChoice",
    "WorkdayCalendar",
    "choose_version",
    "claim_deadline",
    "claim_ratio",
    "claim_refusals",
    "classify_size",
    "cny_amount",
    "compensation_amount",
    "compensation_ratio",
    "credit_code_check_char",
    "credit_report_deadline",
    "decide_loan",
    "default_context",
    "drawdown_refusal",
    "filing_deadline",
    "filing_on_time",
    "filing_refusal",
    "is_non_performing",
    "is_qualified",
    "is_valid_credit_code",
    "judge_scheme",
    "lpr_for",
    "next_suspended",
    "normalize_credit_code",
    "notified_on_time",
    "quarter_of",
    "reason",
    "recovery_notice_deadline",
    "return_amount",
    "return_deadline",
    "run_cases",
    "size_contradiction",
    "threshold_distances",
    "validate_credit_code",
]

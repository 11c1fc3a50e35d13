"""Compensation ratio and amount (MICRO Art. 7, TECH Art. 8); returns (MICRO Art. 16,
TECH Art. 17)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .params import SchemeParams
from .reasons import PolicyError
from .types import LoanType, ReasonCode, Scheme

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# MICRO Art. 7(3): the first-loan raise is for credit, IP-pledge and receivables-pledge loans.
FIRST_LOAN_TYPES = frozenset({LoanType.CREDIT, LoanType.IP_PLEDGE, LoanType.RECEIVABLES_PLEDGE})


def to_fen(amount: Decimal) -> Decimal:
    """A final money figure: rounded half-up to the fen (0.01)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def compensation_ratio(
    scheme: Scheme,
    *,
    params: SchemeParams,
    loan_type: LoanType,
    qualified: bool,
    first_loan: bool,
    bank_risk_share_percent: Decimal | None,
) -> Decimal:
    """The compensation ratio of a covered loan.

    MICRO Art. 7: 30 %; 40 % for a qualified enterprise or the enterprise's first credit /
    IP-pledge / receivables-pledge loan; the two raises do not add up.
    TECH Art. 8: 50 %; a bank-guarantee risk-sharing loan gets the bank's own share of the unpaid
    principal, at most 20 % of it.
    Raises ``PolicyError(LOAN_TYPE)`` for a type the scheme does not cover, and
    ``PolicyError(RISK_SHARE)`` for a risk-sharing loan without the bank's share.
    """
    if Scheme(scheme) != params.scheme:
        raise ValueError(f"params of {params.scheme} given for {scheme}")
    if loan_type not in params.allowed_loan_types:
        raise PolicyError.of(ReasonCode.LOAN_TYPE, params.scheme, under=params,
                             loan_type=LoanType(loan_type))
    if loan_type == LoanType.RISK_SHARING and params.risk_share_ratio_cap is not None:
        if bank_risk_share_percent is None:
            raise PolicyError.of(
                ReasonCode.RISK_SHARE,
                params.scheme,
                under=params,
                minimum=(params.risk_share_min or ZERO) * HUNDRED,
            )
        share = max(ZERO, bank_risk_share_percent / HUNDRED)
        return min(share, params.risk_share_ratio_cap)
    raised = qualified or (first_loan and loan_type in FIRST_LOAN_TYPES)
    if raised and params.raised_ratio is not None:
        return params.raised_ratio
    return params.base_ratio


def compensation_amount(base: Decimal, ratio: Decimal) -> Decimal:
    """Compensation = base (the NPL's outstanding principal) × ratio, half-up to the fen."""
    return to_fen(base * ratio)


def return_amount(
    *, recovered: Decimal, ratio: Decimal, paid: Decimal, returned_before: Decimal
) -> Decimal:
    """What the bank returns for a recovery: recovered × ratio, half-up to the fen, no deduction
    for recovery costs (MICRO Art. 16, TECH Art. 17); the claim's total return never exceeds what
    was paid for it, and is never negative."""
    due = to_fen(max(recovered, ZERO) * ratio)
    remaining = to_fen(paid - returned_before)
    return max(ZERO, min(due, remaining))

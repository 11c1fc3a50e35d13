"""Suspension of a bank in a scheme (MICRO Art. 8, TECH Art. 9).

The state has history: between the suspend and the resume thresholds it does not change, so the
next state depends on the current one. (TECH Art. 17 suspensions are a reviewer's decision, not
computed here.)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .compensation import HUNDRED, to_fen
from .params import SchemeParams
from .reasons import Reason, reason, yuan
from .types import ReasonCode


@dataclass(frozen=True)
class SuspensionFigures:
    """One bank's figures in one scheme (RULES.md, "Suspension of a bank")."""

    filed_principal: Decimal  # principal of its accepted filings
    claimed_principal: Decimal  # base of its claims submitted and not rejected
    net_compensation: Decimal  # compensation paid to it minus what it returned


def claim_ratio(figures: SuspensionFigures) -> Decimal | None:
    """Claimed principal / filed principal; ``None`` when nothing is filed."""
    if figures.filed_principal <= 0:
        return None
    return figures.claimed_principal / figures.filed_principal


def ratio_above(params: SchemeParams, figures: SuspensionFigures) -> bool | None:
    """Whether claimed principal exceeds the share of filed principal (MICRO Art. 8: 3 %);
    ``None`` when the scheme has no such condition. Compared without division, exactly."""
    if params.suspend_claim_ratio is None:
        return None
    return figures.claimed_principal > figures.filed_principal * params.suspend_claim_ratio


def next_suspended(
    params: SchemeParams, figures: SuspensionFigures, was_suspended: bool
) -> tuple[bool, Reason | None]:
    """The bank's next state, and the reason when it is (or stays) suspended.

    MICRO Art. 8: suspend when claimed > 3 % of filed AND net > 5,000,000; resume when the ratio is
    back to ≤ 3 % OR net < 5,000,000. TECH Art. 9: suspend when net > 15,000,000; resume when
    net < 15,000,000. Otherwise the state is kept, so at exactly the net threshold it never flips.
    """
    net = figures.net_compensation
    threshold = params.suspend_net_compensation
    above = ratio_above(params, figures)
    if was_suspended:
        resume = net < threshold or above is False
        suspended = not resume
    else:
        suspended = net > threshold and above is not False
    if not suspended:
        return False, None
    ratio = claim_ratio(figures)
    if above is None or ratio is None:
        return True, reason(ReasonCode.BANK_SUSPENDED, params.scheme, under=params, net=yuan(net))
    percent = (ratio * HUNDRED).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return True, reason(ReasonCode.BANK_SUSPENDED, params.scheme, under=params,
                        percent=percent, net=yuan(net))


def threshold_distances(
    params: SchemeParams, figures: SuspensionFigures
) -> dict[str, Decimal | None]:
    """How far each figure is from its suspension threshold (positive = room left).

    - ``net_compensation``: threshold − net compensation, CNY;
    - ``claimed_principal``: filed × ratio threshold − claimed principal, CNY (None for TECH);
    - ``claim_ratio``: ratio threshold − claimed / filed, a fraction to 4 places (None for TECH
      or when nothing is filed).
    """
    ratio_threshold = params.suspend_claim_ratio
    ratio = claim_ratio(figures)
    claimed_room = None
    ratio_room = None
    if ratio_threshold is not None:
        claimed_room = to_fen(figures.filed_principal * ratio_threshold - figures.claimed_principal)
        if ratio is not None:
            ratio_room = (ratio_threshold - ratio).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
    return {
        "net_compensation": to_fen(params.suspend_net_compensation - figures.net_compensation),
        "claimed_principal": claimed_room,
        "claim_ratio": ratio_room,
    }

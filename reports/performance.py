"""The bureau's performance indicators (MICRO Art. 9(4): 跟踪评价、绩效管理), as pure functions of
figures the database has already summed: values in, values out, no ORM.

- leverage (放大倍数): filed loan amount ÷ the fund size the bureau set for the year;
- the suspension position of a bank in a scheme (RULES.md "Suspension of a bank"): its claim
  ratio (不良率, claimed ÷ filed principal) against MICRO Art. 8's 3 %, its net compensation
  against ¥5M (MICRO Art. 8) or ¥15M (TECH Art. 9), the figures from the policy version in force;
- the recovery rate (recovered ÷ principal compensated) and the return rate (returned ÷ due);
- the days from a claim's submission to its payment."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from riskcomp.policy.deadlines import quarter_code
from riskcomp.policy.params import SchemeParams
from riskcomp.policy.suspension import SuspensionFigures, claim_ratio, ratio_above

ZERO = Decimal("0.00")
RATE = Decimal("0.0001")  # a fraction to 4 places: 0.0312 = 3.12 %
TIMES = Decimal("0.01")
TENTH = Decimal("0.1")


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of ``2026Q3``; ValueError for anything else."""
    year, q = quarter.upper().split("Q")
    number = int(q)
    if not 1 <= number <= 4 or len(year) != 4:
        raise ValueError(quarter)
    first = date(int(year), 3 * number - 2, 1)
    last = date(int(year) + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def quarters_between(first: str, last: str) -> list[str]:
    """Every quarter from ``first`` to ``last``, both included (empty if last is earlier)."""
    out: list[str] = []
    day, end = quarter_bounds(first)[0], quarter_bounds(last)[0]
    while day <= end:
        out.append(quarter_code(day))
        day = date(day.year + (day.month == 10), 1 if day.month == 10 else day.month + 3, 1)
    return out


def rate(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part ÷ whole`` to four places; ``None`` when there is no whole to speak of."""
    if whole <= 0:
        return None
    return (part / whole).quantize(RATE, rounding=ROUND_HALF_UP)


def leverage(filed: Decimal, fund_size: Decimal | None) -> Decimal | None:
    """Filed loan amount ÷ fund size, in times to two places (None without a fund size)."""
    if not fund_size or fund_size <= 0:
        return None
    return (filed / fund_size).quantize(TIMES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DelayStats:
    """Calendar days from a claim's submission to its payment, over ``n`` payments."""

    n: int
    mean: Decimal
    median: Decimal
    longest: int


def delay_stats(days: Iterable[int]) -> DelayStats | None:
    values = sorted(days)
    if not values:
        return None
    mean = (Decimal(sum(values)) / len(values)).quantize(TENTH, rounding=ROUND_HALF_UP)
    middle = Decimal(str(median(values))).quantize(TENTH, rounding=ROUND_HALF_UP)
    return DelayStats(n=len(values), mean=mean, median=middle, longest=values[-1])


@dataclass(frozen=True)
class BankPosition:
    """A bank's position in one scheme against the suspension thresholds of the version in
    force. ``*_room``: how far below the threshold (negative = above it)."""

    bank_id: int
    bank_name: str
    scheme: str
    filed_principal: Decimal
    claimed_principal: Decimal
    net_compensation: Decimal
    claim_ratio: Decimal | None  # 不良率: claimed ÷ filed principal
    claim_ratio_threshold: Decimal | None  # MICRO Art. 8 (None for TECH)
    compensation_rate: Decimal | None  # net compensation ÷ filed principal
    net_threshold: Decimal
    net_room: Decimal
    is_over_ratio: bool | None
    is_over_net: bool
    is_suspended: bool


def bank_position(*, bank_id: int, bank_name: str, params: SchemeParams,
                  figures: SuspensionFigures, is_suspended: bool) -> BankPosition:
    ratio = claim_ratio(figures)
    threshold = params.suspend_claim_ratio
    return BankPosition(
        bank_id=bank_id, bank_name=bank_name, scheme=str(params.scheme),
        filed_principal=figures.filed_principal, claimed_principal=figures.claimed_principal,
        net_compensation=figures.net_compensation,
        claim_ratio=None if ratio is None else ratio.quantize(RATE, rounding=ROUND_HALF_UP),
        claim_ratio_threshold=threshold,
        compensation_rate=rate(figures.net_compensation, figures.filed_principal),
        net_threshold=params.suspend_net_compensation,
        net_room=params.suspend_net_compensation - figures.net_compensation,
        is_over_ratio=ratio_above(params, figures),
        is_over_net=figures.net_compensation > params.suspend_net_compensation,
        is_suspended=is_suspended,
    )


@dataclass(frozen=True)
class RecoveryFigures:
    """Recovery after compensation for a bank or scheme: the principal of the paid claims, the
    compensation paid, what was recovered, the share of it due to the fund and what came back."""

    compensated_principal: Decimal
    compensation_paid: Decimal
    recovered: Decimal
    return_due: Decimal
    returned: Decimal

    @property
    def recovery_rate(self) -> Decimal | None:
        return rate(self.recovered, self.compensated_principal)

    @property
    def return_rate(self) -> Decimal | None:
        return rate(self.returned, self.return_due)

    @property
    def to_return(self) -> Decimal:
        return max(ZERO, self.return_due - self.returned)


def add_recoveries(items: Iterable[RecoveryFigures]) -> RecoveryFigures:
    totals = [ZERO] * 5
    for item in items:
        for i, value in enumerate((item.compensated_principal, item.compensation_paid,
                                   item.recovered, item.return_due, item.returned)):
            totals[i] += value
    return RecoveryFigures(*totals)

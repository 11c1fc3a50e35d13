"""The fund's own rules: the custodian's management fee (MICRO Art. 24) and when the reports
to the bureau fall due (MICRO Art. 10(5) and 25, TECH Art. 11(5) and 25)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .compensation import to_fen

# "自2025年起，托管机构可按年度提取……按照风险补偿资金规模的0.8%提取": drawn once the year has
# ended, on the fund size the bureau set for that year.
MANAGEMENT_FEE_RATE = Decimal("0.008")
MANAGEMENT_FEE_FIRST_YEAR = 2025


def management_fee(fund_size: Decimal) -> Decimal:
    """The custodian's fee for a year: 0.8% of that year's fund size, to the fen."""
    return to_fen(fund_size * MANAGEMENT_FEE_RATE)


def half_year(year: int, half: int) -> tuple[date, date]:
    """H1 is January to June, H2 July to December."""
    if half not in (1, 2):
        raise ValueError(f"half must be 1 or 2, got {half}")
    return (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1),
                                                                     date(year, 12, 31))


def annual_report_due(year: int) -> date:
    """The audit report on ``year`` is due by the end of the following March."""
    return date(year + 1, 3, 31)

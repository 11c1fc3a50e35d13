"""The fund's rules: the management fee (MICRO Art. 24) and the report periods and due date."""

from datetime import date
from decimal import Decimal

import pytest

from riskcomp.policy.fund import annual_report_due, half_year, management_fee


@pytest.mark.parametrize(("size", "fee"), [
    ("100000000.00", "800000.00"),
    ("123456789.99", "987654.32"),
    ("0.00", "0.00"),
])
def test_the_fee_is_eight_per_mille_of_the_fund_size_to_the_fen(size, fee):
    assert management_fee(Decimal(size)) == Decimal(fee)


def test_half_years_and_the_annual_due_date():
    assert half_year(2026, 1) == (date(2026, 1, 1), date(2026, 6, 30))
    assert half_year(2026, 2) == (date(2026, 7, 1), date(2026, 12, 31))
    assert annual_report_due(2025) == date(2026, 3, 31)
    with pytest.raises(ValueError):
        half_year(2026, 3)

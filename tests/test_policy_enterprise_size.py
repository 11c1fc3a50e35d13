"""Enterprise size classes under 工信部联企业〔2011〕300号, at each industry's thresholds."""

from decimal import Decimal

import pytest

from riskcomp.policy.enterprise_size import (
    Industry,
    Measure,
    classify_size,
    required_measures,
    size_contradiction,
)
from riskcomp.policy.types import EnterpriseSize

L, M, S, XS = (EnterpriseSize.LARGE, EnterpriseSize.MEDIUM, EnterpriseSize.SMALL,
               EnterpriseSize.MICRO)
WAN = Decimal(10000)  # 万元
FEN = Decimal("0.01")


def wan(amount: int) -> Decimal:
    return Decimal(amount) * WAN


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets", "size"),
    [
        # (1) agriculture: revenue only.
        (Industry.AGRICULTURE, None, wan(50), None, S),
        (Industry.AGRICULTURE, None, wan(50) - FEN, None, XS),
        (Industry.AGRICULTURE, None, wan(500), None, M),
        (Industry.AGRICULTURE, None, wan(20000) - FEN, None, M),
        (Industry.AGRICULTURE, None, wan(20000), None, L),
        # (2) industry: employees and revenue.
        (Industry.INDUSTRY, 20, wan(300), None, S),
        (Industry.INDUSTRY, 19, wan(300), None, XS),
        (Industry.INDUSTRY, 20, wan(300) - FEN, None, XS),
        (Industry.INDUSTRY, 300, wan(2000), None, M),
        (Industry.INDUSTRY, 299, wan(2000), None, S),
        (Industry.INDUSTRY, 2000, wan(1000), None, S),  # many staff, little revenue
        (Industry.INDUSTRY, 1000, wan(40000), None, L),
        (Industry.INDUSTRY, 999, wan(90000), None, M),
        # (3) construction: revenue and total assets.
        (Industry.CONSTRUCTION, None, wan(300), wan(300), S),
        (Industry.CONSTRUCTION, None, wan(300), wan(300) - FEN, XS),
        (Industry.CONSTRUCTION, None, wan(6000), wan(5000), M),
        (Industry.CONSTRUCTION, None, wan(6000), wan(5000) - FEN, S),
        (Industry.CONSTRUCTION, None, wan(80000), wan(80000), L),
        # (4) wholesale.
        (Industry.WHOLESALE, 5, wan(1000), None, S),
        (Industry.WHOLESALE, 4, wan(1000), None, XS),
        (Industry.WHOLESALE, 20, wan(5000), None, M),
        (Industry.WHOLESALE, 200, wan(40000), None, L),
        # (5) retail.
        (Industry.RETAIL, 10, wan(100), None, S),
        (Industry.RETAIL, 50, wan(500), None, M),
        (Industry.RETAIL, 50, wan(500) - FEN, None, S),
        (Industry.RETAIL, 300, wan(20000), None, L),
        # (6) transport.
        (Industry.TRANSPORT, 20, wan(200), None, S),
        (Industry.TRANSPORT, 300, wan(3000), None, M),
        (Industry.TRANSPORT, 1000, wan(30000), None, L),
        # (7) warehousing.
        (Industry.WAREHOUSING, 20, wan(100), None, S),
        (Industry.WAREHOUSING, 100, wan(1000), None, M),
        (Industry.WAREHOUSING, 200, wan(30000), None, L),
        # (8) postal.
        (Industry.POSTAL, 20, wan(100), None, S),
        (Industry.POSTAL, 300, wan(2000), None, M),
        (Industry.POSTAL, 1000, wan(30000), None, L),
        # (9) hotel and (10) catering.
        (Industry.HOTEL, 10, wan(100), None, S),
        (Industry.HOTEL, 100, wan(2000), None, M),
        (Industry.HOTEL, 300, wan(10000), None, L),
        (Industry.CATERING, 9, wan(100), None, XS),
        (Industry.CATERING, 100, wan(2000), None, M),
        # (11) information transmission.
        (Industry.INFORMATION_TRANSMISSION, 10, wan(100), None, S),
        (Industry.INFORMATION_TRANSMISSION, 100, wan(1000), None, M),
        (Industry.INFORMATION_TRANSMISSION, 2000, wan(100000), None, L),
        (Industry.INFORMATION_TRANSMISSION, 1999, wan(100000), None, M),
        # (12) software and IT services.
        (Industry.SOFTWARE_IT, 10, wan(50), None, S),
        (Industry.SOFTWARE_IT, 9, wan(50), None, XS),
        (Industry.SOFTWARE_IT, 100, wan(1000), None, M),
        (Industry.SOFTWARE_IT, 300, wan(10000), None, L),
        # (13) real-estate development: revenue and total assets.
        (Industry.REAL_ESTATE_DEVELOPMENT, None, wan(100), wan(2000), S),
        (Industry.REAL_ESTATE_DEVELOPMENT, None, wan(100), wan(2000) - FEN, XS),
        (Industry.REAL_ESTATE_DEVELOPMENT, None, wan(1000), wan(5000), M),
        (Industry.REAL_ESTATE_DEVELOPMENT, None, wan(200000), wan(10000), L),
        # (14) property management.
        (Industry.PROPERTY_MANAGEMENT, 100, wan(500), None, S),
        (Industry.PROPERTY_MANAGEMENT, 99, wan(500), None, XS),
        (Industry.PROPERTY_MANAGEMENT, 300, wan(1000), None, M),
        (Industry.PROPERTY_MANAGEMENT, 1000, wan(5000), None, L),
        # (15) leasing and business services: employees and total assets.
        (Industry.LEASING_BUSINESS_SERVICES, 10, None, wan(100), S),
        (Industry.LEASING_BUSINESS_SERVICES, 100, None, wan(8000), M),
        (Industry.LEASING_BUSINESS_SERVICES, 100, None, wan(8000) - FEN, S),
        (Industry.LEASING_BUSINESS_SERVICES, 300, None, wan(120000), L),
        # (16) other industries: employees only.
        (Industry.OTHER, 9, None, None, XS),
        (Industry.OTHER, 10, None, None, S),
        (Industry.OTHER, 100, None, None, M),
        (Industry.OTHER, 300, None, None, L),
    ],
)
def test_classify_size_at_the_thresholds(industry, employees, revenue, assets, size):
    assert classify_size(industry, employees, revenue, assets) is size


def test_every_industry_of_the_standard_is_covered():
    assert len(Industry) == 16
    for industry in Industry:
        assert required_measures(industry)


@pytest.mark.parametrize(
    ("industry", "measures"),
    [
        (Industry.AGRICULTURE, {Measure.REVENUE}),
        (Industry.INDUSTRY, {Measure.EMPLOYEES, Measure.REVENUE}),
        (Industry.CONSTRUCTION, {Measure.REVENUE, Measure.TOTAL_ASSETS}),
        (Industry.LEASING_BUSINESS_SERVICES, {Measure.EMPLOYEES, Measure.TOTAL_ASSETS}),
        (Industry.OTHER, {Measure.EMPLOYEES}),
    ],
)
def test_each_industry_uses_the_figures_of_the_standard(industry, measures):
    assert required_measures(industry) == measures


def test_a_missing_figure_the_industry_uses_is_an_error():
    with pytest.raises(ValueError, match="revenue"):
        classify_size(Industry.INDUSTRY, 50, None, None)


def test_declared_size_contradicted_by_the_figures_gives_a_chinese_warning():
    warning = size_contradiction(S, Industry.INDUSTRY, 300, wan(2000), None)
    assert warning is not None
    assert "“小型”" in warning
    assert "“中型”" in warning
    assert "工业" in warning
    assert "从业人员300人" in warning
    assert "营业收入¥20,000,000.00" in warning


def test_declared_size_matching_the_figures_gives_no_warning():
    assert size_contradiction(XS, Industry.SOFTWARE_IT, 5, wan(30), None) is None

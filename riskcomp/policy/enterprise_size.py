"""Enterprise size classes under 工信部联企业〔2011〕300号 (中小企业划型标准规定), Art. 4.

Each industry sets, per class, minimum figures among employees (从业人员), revenue (营业收入) and
total assets (资产总额). An enterprise is of the highest class whose every minimum it reaches
("X以下或Y以下的为中小微型企业" means large only when reaching both large minima; "及以上" includes
the figure, "以下" excludes it); below the small minima it is micro.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, gettext_noop

from .reasons import label, yuan
from .types import EnterpriseSize


class Industry(StrEnum):
    """The industries of 工信部联企业〔2011〕300号 Art. 4."""

    AGRICULTURE = "agriculture"  # 农、林、牧、渔业
    INDUSTRY = "industry"  # 工业（采矿业，制造业，电力、热力、燃气及水生产和供应业）
    CONSTRUCTION = "construction"  # 建筑业
    WHOLESALE = "wholesale"  # 批发业
    RETAIL = "retail"  # 零售业
    TRANSPORT = "transport"  # 交通运输业（不含铁路运输业）
    WAREHOUSING = "warehousing"  # 仓储业
    POSTAL = "postal"  # 邮政业
    HOTEL = "hotel"  # 住宿业
    CATERING = "catering"  # 餐饮业
    INFORMATION_TRANSMISSION = "information_transmission"  # 信息传输业
    SOFTWARE_IT = "software_it"  # 软件和信息技术服务业
    REAL_ESTATE_DEVELOPMENT = "real_estate_development"  # 房地产开发经营
    PROPERTY_MANAGEMENT = "property_management"  # 物业管理
    LEASING_BUSINESS_SERVICES = "leasing_business_services"  # 租赁和商务服务业
    OTHER = "other"  # 其他未列明行业


class Measure(StrEnum):
    EMPLOYEES = "employees"  # 从业人员, persons
    REVENUE = "revenue"  # 营业收入, CNY
    TOTAL_ASSETS = "total_assets"  # 资产总额, CNY


INDUSTRY_LABELS: Mapping[Industry, str] = {
    Industry.AGRICULTURE: gettext_noop("农、林、牧、渔业"),
    Industry.INDUSTRY: gettext_noop("工业"),
    Industry.CONSTRUCTION: gettext_noop("建筑业"),
    Industry.WHOLESALE: gettext_noop("批发业"),
    Industry.RETAIL: gettext_noop("零售业"),
    Industry.TRANSPORT: gettext_noop("交通运输业"),
    Industry.WAREHOUSING: gettext_noop("仓储业"),
    Industry.POSTAL: gettext_noop("邮政业"),
    Industry.HOTEL: gettext_noop("住宿业"),
    Industry.CATERING: gettext_noop("餐饮业"),
    Industry.INFORMATION_TRANSMISSION: gettext_noop("信息传输业"),
    Industry.SOFTWARE_IT: gettext_noop("软件和信息技术服务业"),
    Industry.REAL_ESTATE_DEVELOPMENT: gettext_noop("房地产开发经营"),
    Industry.PROPERTY_MANAGEMENT: gettext_noop("物业管理"),
    Industry.LEASING_BUSINESS_SERVICES: gettext_noop("租赁和商务服务业"),
    Industry.OTHER: gettext_noop("其他未列明行业"),
}

_E = Measure.EMPLOYEES
_R = Measure.REVENUE
_A = Measure.TOTAL_ASSETS
_WAN = Decimal(10000)  # the standard counts money in 万元

Minima = Mapping[Measure, Decimal]


def _tiers(large: Minima, medium: Minima, small: Minima) -> tuple[Minima, Minima, Minima]:
    """Convert money minima from 万元 to CNY; employees stay persons."""

    def cny(minima: Minima) -> Minima:
        return {m: (v if m is _E else v * _WAN) for m, v in minima.items()}

    return cny(large), cny(medium), cny(small)


def _d(value: int) -> Decimal:
    return Decimal(value)


# Industry -> (large, medium, small) minima; 工信部联企业〔2011〕300号 Art. 4 items (1)-(16).
STANDARD: Mapping[Industry, tuple[Minima, Minima, Minima]] = {
    # (1) revenue < 20000万 is SME; medium ≥ 500万; small ≥ 50万.
    Industry.AGRICULTURE: _tiers({_R: _d(20000)}, {_R: _d(500)}, {_R: _d(50)}),
    # (2) employees < 1000 or revenue < 40000万; medium 300 & 2000万; small 20 & 300万.
    Industry.INDUSTRY: _tiers(
        {_E: _d(1000), _R: _d(40000)}, {_E: _d(300), _R: _d(2000)}, {_E: _d(20), _R: _d(300)}
    ),
    # (3) revenue < 80000万 or assets < 80000万; medium 6000万 & 5000万; small 300万 & 300万.
    Industry.CONSTRUCTION: _tiers(
        {_R: _d(80000), _A: _d(80000)}, {_R: _d(6000), _A: _d(5000)}, {_R: _d(300), _A: _d(300)}
    ),
    # (4) employees < 200 or revenue < 40000万; medium 20 & 5000万; small 5 & 1000万.
    Industry.WHOLESALE: _tiers(
        {_E: _d(200), _R: _d(40000)}, {_E: _d(20), _R: _d(5000)}, {_E: _d(5), _R: _d(1000)}
    ),
    # (5) employees < 300 or revenue < 20000万; medium 50 & 500万; small 10 & 100万.
    Industry.RETAIL: _tiers(
        {_E: _d(300), _R: _d(20000)}, {_E: _d(50), _R: _d(500)}, {_E: _d(10), _R: _d(100)}
    ),
    # (6) employees < 1000 or revenue < 30000万; medium 300 & 3000万; small 20 & 200万.
    Industry.TRANSPORT: _tiers(
        {_E: _d(1000), _R: _d(30000)}, {_E: _d(300), _R: _d(3000)}, {_E: _d(20), _R: _d(200)}
    ),
    # (7) employees < 200 or revenue < 30000万; medium 100 & 1000万; small 20 & 100万.
    Industry.WAREHOUSING: _tiers(
        {_E: _d(200), _R: _d(30000)}, {_E: _d(100), _R: _d(1000)}, {_E: _d(20), _R: _d(100)}
    ),
    # (8) employees < 1000 or revenue < 30000万; medium 300 & 2000万; small 20 & 100万.
    Industry.POSTAL: _tiers(
        {_E: _d(1000), _R: _d(30000)}, {_E: _d(300), _R: _d(2000)}, {_E: _d(20), _R: _d(100)}
    ),
    # (9) employees < 300 or revenue < 10000万; medium 100 & 2000万; small 10 & 100万.
    Industry.HOTEL: _tiers(
        {_E: _d(300), _R: _d(10000)}, {_E: _d(100), _R: _d(2000)}, {_E: _d(10), _R: _d(100)}
    ),
    # (10) as (9).
    Industry.CATERING: _tiers(
        {_E: _d(300), _R: _d(10000)}, {_E: _d(100), _R: _d(2000)}, {_E: _d(10), _R: _d(100)}
    ),
    # (11) employees < 2000 or revenue < 100000万; medium 100 & 1000万; small 10 & 100万.
    Industry.INFORMATION_TRANSMISSION: _tiers(
        {_E: _d(2000), _R: _d(100000)}, {_E: _d(100), _R: _d(1000)}, {_E: _d(10), _R: _d(100)}
    ),
    # (12) employees < 300 or revenue < 10000万; medium 100 & 1000万; small 10 & 50万.
    Industry.SOFTWARE_IT: _tiers(
        {_E: _d(300), _R: _d(10000)}, {_E: _d(100), _R: _d(1000)}, {_E: _d(10), _R: _d(50)}
    ),
    # (13) revenue < 200000万 or assets < 10000万; medium 1000万 & 5000万; small 100万 & 2000万.
    Industry.REAL_ESTATE_DEVELOPMENT: _tiers(
        {_R: _d(200000), _A: _d(10000)}, {_R: _d(1000), _A: _d(5000)}, {_R: _d(100), _A: _d(2000)}
    ),
    # (14) employees < 1000 or revenue < 5000万; medium 300 & 1000万; small 100 & 500万.
    Industry.PROPERTY_MANAGEMENT: _tiers(
        {_E: _d(1000), _R: _d(5000)}, {_E: _d(300), _R: _d(1000)}, {_E: _d(100), _R: _d(500)}
    ),
    # (15) employees < 300 or assets < 120000万; medium 100 & 8000万; small 10 & 100万.
    Industry.LEASING_BUSINESS_SERVICES: _tiers(
        {_E: _d(300), _A: _d(120000)}, {_E: _d(100), _A: _d(8000)}, {_E: _d(10), _A: _d(100)}
    ),
    # (16) employees < 300; medium ≥ 100; small ≥ 10.
    Industry.OTHER: _tiers({_E: _d(300)}, {_E: _d(100)}, {_E: _d(10)}),
}

_CLASSES = (EnterpriseSize.LARGE, EnterpriseSize.MEDIUM, EnterpriseSize.SMALL)


def required_measures(industry: Industry) -> frozenset[Measure]:
    """The figures the standard uses for ``industry`` (a form asks for these only)."""
    large, _, _ = STANDARD[Industry(industry)]
    return frozenset(large)


def _figures(
    industry: Industry,
    employees: int | None,
    revenue: Decimal | None,
    total_assets: Decimal | None,
) -> dict[Measure, Decimal]:
    given = {
        Measure.EMPLOYEES: None if employees is None else Decimal(employees),
        Measure.REVENUE: revenue,
        Measure.TOTAL_ASSETS: total_assets,
    }
    figures: dict[Measure, Decimal] = {}
    for measure in sorted(required_measures(industry)):
        value = given[measure]
        if value is None:
            raise ValueError(f"{measure} is required to classify the {industry} industry")
        figures[measure] = value
    return figures


def classify_size(
    industry: Industry,
    employees: int | None,
    revenue: Decimal | None,
    total_assets: Decimal | None,
) -> EnterpriseSize:
    """The size class the standard gives; figures the industry does not use may be ``None``.

    Raises ``ValueError`` when a figure the industry uses is missing.
    """
    figures = _figures(industry, employees, revenue, total_assets)
    for size, minima in zip(_CLASSES, STANDARD[Industry(industry)], strict=True):
        if all(figures[measure] >= minimum for measure, minimum in minima.items()):
            return size
    return EnterpriseSize.MICRO


def size_contradiction(
    declared: EnterpriseSize,
    industry: Industry,
    employees: int | None,
    revenue: Decimal | None,
    total_assets: Decimal | None,
) -> str | None:
    """A Chinese warning when the figures give another class than the declared one, else None."""
    computed = classify_size(industry, employees, revenue, total_assets)
    if computed == declared:
        return None
    figures = _figures(industry, employees, revenue, total_assets)
    parts: list[object] = []
    if Measure.EMPLOYEES in figures:
        parts.append(format_lazy(gettext_lazy("从业人员{}人"), employees))
    if Measure.REVENUE in figures:
        parts.append(format_lazy(gettext_lazy("营业收入¥{}"), yuan(figures[Measure.REVENUE])))
    if Measure.TOTAL_ASSETS in figures:
        parts.append(format_lazy(gettext_lazy("资产总额¥{}"), yuan(figures[Measure.TOTAL_ASSETS])))
    message = format_lazy(
        gettext_lazy(
            "申报的企业规模为“{declared}”，但按工信部联企业〔2011〕300号划型标准"
            "（{industry}：{figures}）应为“{computed}”"
        ),
        declared=label(declared),
        industry=gettext_lazy(INDUSTRY_LABELS[Industry(industry)]),
        figures=gettext_lazy("，").join(str(part) for part in parts),
        computed=label(computed),
    )
    return str(message)

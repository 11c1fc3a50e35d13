"""The two yearly documents (MICRO/TECH Art. 25): the audit report and the operations report,
structured as the bureau expects and drawn from the data as of the year end."""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from banks.models import SuspensionChange
from claims.models import SpotCheck, SpotCheckItem
from claims.payment.services import recovery_report
from fund.models import FundSize, PolicyVersion
from reports.figures import ReportData, Table, report_data
from reports.rendering import render_report_pdf

from .test_report_figures import at, half_year  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db


def table(data: ReportData, key: str) -> Table:
    return next(t for t in [*data.summary, *data.details] if t.key == key)


@pytest.fixture
def year(half_year, bank_b, officer_a, reviewer):  # type: ignore[no-untyped-def]  # noqa: F811
    """2026 through the services, plus: the fund size, bank B suspended under TECH in May, a
    recovery in August that bank A has not returned by the year end, and the year's spot check
    with one finding (and one recorded only in the next year)."""
    FundSize.objects.update_or_create(year=2026, defaults={"amount": Decimal("20000000.00")})
    SuspensionChange.objects.create(
        bank=bank_b, scheme="TECH", kind=SuspensionChange.Kind.AUTO, is_suspended=True,
        reason="补偿净额超过阈值", filed_principal=Decimal("2000000.00"),
        claimed_principal=Decimal("2000000.00"), net_compensation=Decimal("16000000.00"),
        changed_at=at(date(2026, 5, 20)))
    late = recovery_report(claim=half_year["micro"], recovered_on=date(2026, 8, 3),
                           amount=Decimal("50000.00"), notified_on=date(2026, 8, 5),
                           actor=officer_a)
    check = SpotCheck.objects.create(year=2026, seed="7f3a9c", sample_size=2, drawn_by=reviewer,
                                     drawn_at=at(date(2026, 11, 2)))
    SpotCheckItem.objects.create(spot_check=check, claim=half_year["micro"],
                                 result=SpotCheckItem.Result.ISSUE, finding="贷后检查记录缺失",
                                 recorded_by=reviewer, recorded_at=at(date(2026, 11, 20)))
    SpotCheckItem.objects.create(spot_check=check, claim=half_year["tech"],
                                 result=SpotCheckItem.Result.COMPLIANT, recorded_by=reviewer,
                                 recorded_at=at(date(2027, 1, 5)))
    return {**half_year, "late": late}


def test_the_operations_report_lists_compensation_recoveries_and_write_offs(year):
    data = report_data("operations", "2026")
    assert data.title == "2026年度贷款风险补偿资金运营管理工作报告"
    assert [t.key for t in data.details] == ["compensation_detail", "recoveries_detail",
                                             "write_offs_detail"]
    micro = year["micro"]
    paid = {r[1]: r for r in table(data, "compensation_detail").rows}
    assert paid[micro.number][5] == micro.confirmation.document_number
    assert paid[micro.number][6] == micro.confirmation.document_date
    assert [r[1] for r in table(data, "write_offs_detail").rows] == ["京经开财核〔2026〕3号"]
    recoveries = {r[0]: r for r in table(data, "recoveries_detail").rows}
    late = recoveries[date(2026, 8, 3)]
    assert late[7] == year["late"].return_deadline and late[8] is None and late[9] == "逾期"
    assert recoveries[date(2026, 4, 1)][9] == ""  # returned on 10 April, in time


def test_the_audit_report_adds_the_full_listings(year):
    data = report_data("annual", "2026")
    assert data.title == "2026年度贷款风险补偿资金管理和使用情况审计报告"
    assert [t.key for t in data.details] == [
        "filings_detail", "claims_detail", "compensation_detail", "recoveries_detail",
        "returns_detail", "write_offs_detail"]


def test_each_banks_suspension_position_uses_the_thresholds_of_the_version_in_force(year,
                                                                                    bank_b):
    data = report_data("operations", "2026")
    rows = {(r[0], r[1]): r for r in table(data, "suspension_positions").rows}
    tech = PolicyVersion.objects.filter(scheme="TECH").latest("valid_from")
    micro = PolicyVersion.objects.filter(scheme="MICRO").latest("valid_from")
    b = rows[(bank_b.name, "科技创新类中小企业贷款风险补偿")]
    assert b[7] == tech.suspend_net_compensation and b[5] == "不适用"
    assert b[8] == "暂停" and b[9] == 1
    a = next(r for k, r in rows.items() if k[1] == "小微企业贷款风险补偿")
    assert a[7] == micro.suspend_net_compensation
    assert a[5] == f"{(micro.suspend_claim_ratio * 100).quantize(Decimal('0.01'))}%"
    assert a[8] == "正常"


def test_problems_and_suggestions_are_drawn_from_the_data(year, bank_a, bank_b):
    data = report_data("operations", "2026")
    issues = data.yearly.issues
    assert any(bank_b.name in line and "暂停" in line for line in issues)
    assert any(bank_a.name in line and "逾期未返还" in line and "¥15,000.00" in line
               for line in issues)
    assert any("抽查发现问题 1 笔" in line for line in issues)
    # The finding recorded in January 2027 is not part of 2026: still pending at the year end.
    assert any("1 笔至期末未完成检查" in line for line in issues)
    support = table(data, "support")
    assert support.total is not None
    # 放大倍数 as the performance view computes it: filed amount ÷ fund size, in times.
    times = (support.total[4] / Decimal("20000000")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert support.total[-1] == f"{times}倍"


def test_a_clean_year_says_so_in_one_line(db):  # type: ignore[no-untyped-def]
    issues = report_data("operations", "2024").yearly.issues
    assert issues == ["本年度尚未开展补偿项目抽查。建议按政策规定开展年度随机抽查并记录随机种子。"]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(BytesIO(pdf)).pages)


def test_the_pdf_has_the_sections_sign_off_and_chinese_dates(year, bank_a):
    pdf, _pages = render_report_pdf(report_data("operations", "2026"))
    text = pdf_text(pdf)
    flat = re.sub(r"\s+", "", text)
    for heading in ("一、基本情况", "二、资金收支情况", "三、支持贷款情况",
                    "四、补偿申报与拨付情况", "五、追偿回收与返还情况", "六、核销情况",
                    "七、抽查情况", "八、合作银行暂停情况", "九、绩效指标",
                    "十、存在问题及建议"):
        assert heading in flat
    for label in ("编制人", "审核人", "负责人", "报告单位（盖章）"):
        assert label in flat
    assert "7f3a9c" in flat and "京经开财核〔2026〕3号" in flat and bank_a.name in flat
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), "dates read 2026年7月10日"
    assert "2026年8月3日" in flat and "¥15,000.00" in flat


def test_empty_listings_take_no_page_of_their_own(db):  # type: ignore[no-untyped-def]
    data = report_data("operations", "2024")
    assert all(not t.rows for t in data.details)
    pdf, pages = render_report_pdf(data)
    flat = re.sub(r"\s+", "", pdf_text(pdf))
    assert flat.count("（本期无此类记录）") == len(data.details)
    assert "共0条" not in flat
    # Cover, contents and the sections only: no page starts with an annex heading.
    assert not any(re.sub(r"\s+", "", p.extract_text() or "").startswith("附件")
                   for p in PdfReader(BytesIO(pdf)).pages)
    assert pages == len(PdfReader(BytesIO(pdf)).pages)


def test_the_operations_report_carries_the_recovery_rate_and_days_to_payment(year, bank_a,
                                                                            bank_b):
    data = report_data("operations", "2026")
    micro, tech = "小微企业贷款风险补偿", "科技创新类中小企业贷款风险补偿"
    # Bank A (MICRO): claims of ¥800,000 and ¥100,000 paid; ¥100,000 recovered in April and
    # ¥50,000 in August: 150,000 ÷ 900,000. Bank B (TECH): ¥2,000,000 paid, nothing recovered.
    by_scheme = {r[0]: r for r in table(data, "recovery_by_scheme").rows}
    assert by_scheme[micro][1] == Decimal("900000.00")
    assert by_scheme[micro][3] == Decimal("150000.00")
    assert by_scheme[micro][4] == "16.67%"
    assert by_scheme[tech][4] == "0.00%"
    total = table(data, "recovery_by_scheme").total
    assert total is not None and total[3] == Decimal("150000.00") and total[4] == "5.17%"
    by_bank = {(r[0], r[1]): r for r in table(data, "recovery_by_bank").rows}
    assert by_bank[(bank_a.name, micro)][5] == "16.67%"
    # Submitted 1 Feb, paid 10 Mar (37 days); submitted 1 Jun, paid 2 Jul (31); TECH submitted
    # 1 Feb, paid 5 May (93).
    days = {r[0]: r for r in table(data, "payment_days_by_scheme").rows}
    assert days[micro][1:] == (2, "34.0", "34.0", 37)
    assert days[tech][1:] == (1, "93.0", "93.0", 93)
    assert table(data, "payment_days_by_scheme").total == ("合计", 3, "53.7", "37.0", 93)
    assert {(r[0], r[1]): r[2:] for r in table(data, "payment_days_by_bank").rows} == {
        (bank_a.name, micro): (2, "34.0", "34.0", 37), (bank_b.name, tech): (1, "93.0", "93.0",
                                                                              93)}
    assert data.yearly.basis["recovery_rate"] == "5.17%"


def test_the_operations_reports_indicators_are_the_performance_views(year):
    """The same reads as the bureau's performance view over the year's quarters."""
    from django.utils import timezone

    from reports.performance_selectors import Scope, performance

    data = report_data("operations", "2026")
    for scheme, label in (("MICRO", "小微企业贷款风险补偿"),
                          ("TECH", "科技创新类中小企业贷款风险补偿")):
        view = performance(Scope(scheme=scheme, quarter_from="2026Q1", quarter_to="2026Q4"),
                           today=timezone.localdate())
        row = next(r for r in table(data, "recovery_by_scheme").rows if r[0] == label)
        assert row[1:4] == (view.recovery_total.compensated_principal,
                            view.recovery_total.compensation_paid,
                            view.recovery_total.recovered)
        days = next(r for r in table(data, "payment_days_by_scheme").rows if r[0] == label)
        assert view.delay_total is not None
        assert days[1:] == (view.delay_total.n, str(view.delay_total.mean),
                            str(view.delay_total.median), view.delay_total.longest)


def test_the_audit_report_has_no_performance_section(year):
    data = report_data("annual", "2026")
    keys = {t.key for t in data.summary}
    assert not keys & {"recovery_by_scheme", "recovery_by_bank", "payment_days_by_scheme",
                       "payment_days_by_bank"}
    flat = re.sub(r"\s+", "", pdf_text(render_report_pdf(data)[0]))
    assert "绩效指标" not in flat and "九、存在问题及建议" in flat

"""The bureau's performance view (MICRO Art. 9(4)): the indicators as pure functions, the figures
the database sums for them, the screen with its filters and charts, and its Excel export."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim, Recovery, ReturnPayment
from claims.payment.services import claim_pay, return_receive
from claims.suspension.services import suspension_recompute
from fund.models import FundSize, LedgerEntry
from fund.services import ledger_post
from loans.models import LoanFiling
from reports.performance import (
    RecoveryFigures,
    bank_position,
    delay_stats,
    leverage,
    quarter_bounds,
    quarters_between,
    rate,
)
from reports.performance_selectors import Scope, performance
from riskcomp.choices import Scheme as SchemeChoice
from riskcomp.policy.params import DEFAULT_SCHEME_PARAMS
from riskcomp.policy.suspension import SuspensionFigures
from riskcomp.policy.types import Scheme

from .conftest import client_for
from .factories import (
    AgreementFactory,
    ClaimFactory,
    EnterpriseFactory,
    FilingFactory,
    make_credit_code,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)
MICRO = next(p for p in DEFAULT_SCHEME_PARAMS if p.scheme == Scheme.MICRO)
TECH = next(p for p in DEFAULT_SCHEME_PARAMS if p.scheme == Scheme.TECH)


# --- The indicators ----------------------------------------------------------------------------

@pytest.mark.parametrize("quarter, first, last", [
    ("2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
    ("2024Q1", date(2024, 1, 1), date(2024, 3, 31)),
    ("2026Q3", date(2026, 7, 1), date(2026, 9, 30)),
    ("2026Q4", date(2026, 10, 1), date(2026, 12, 31)),
])
def test_a_quarter_runs_from_its_first_to_its_last_day(quarter, first, last):
    assert quarter_bounds(quarter) == (first, last)


@pytest.mark.parametrize("junk", ["2026Q5", "2026Q0", "26Q1", "2026", "Q1"])
def test_a_malformed_quarter_is_refused(junk):
    with pytest.raises(ValueError):
        quarter_bounds(junk)


def test_quarters_between_crosses_the_year_and_keeps_empty_quarters():
    assert quarters_between("2025Q3", "2026Q2") == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert quarters_between("2026Q2", "2026Q2") == ["2026Q2"]
    assert quarters_between("2026Q3", "2026Q2") == []


def test_leverage_is_filed_amount_over_fund_size():
    assert leverage(Decimal("35000000.00"), Decimal("10000000.00")) == Decimal("3.50")
    assert leverage(Decimal("1.00"), Decimal("3.00")) == Decimal("0.33")
    assert leverage(Decimal("5000000.00"), None) is None
    assert leverage(Decimal("5000000.00"), Decimal("0.00")) is None


def test_rates_round_half_up_to_a_hundredth_of_a_percent_and_need_a_whole():
    assert rate(Decimal("1"), Decimal("3")) == Decimal("0.3333")
    assert rate(Decimal("0.00005"), Decimal("1")) == Decimal("0.0001")
    assert rate(Decimal("1"), Decimal("0")) is None


def test_days_to_payment_give_mean_median_and_longest():
    stats = delay_stats([10, 30, 20, 41])
    assert stats is not None
    assert (stats.n, stats.mean, stats.median, stats.longest) == (
        4, Decimal("25.3"), Decimal("25.0"), 41)
    assert delay_stats([]) is None


def test_a_micro_bank_over_both_thresholds_and_one_under():
    over = bank_position(bank_id=1, bank_name="甲", params=MICRO, is_suspended=True,
                         figures=SuspensionFigures(Decimal("100000000.00"),
                                                   Decimal("3500000.00"), Decimal("5200000.00")))
    assert over.claim_ratio == Decimal("0.0350") and over.is_over_ratio is True
    assert over.claim_ratio_threshold == MICRO.suspend_claim_ratio
    assert over.is_over_net and over.net_room == MICRO.suspend_net_compensation - Decimal(
        "5200000.00")
    assert over.compensation_rate == Decimal("0.0520")
    under = bank_position(bank_id=2, bank_name="乙", params=MICRO, is_suspended=False,
                          figures=SuspensionFigures(Decimal("100000000.00"),
                                                    Decimal("3000000.00"), Decimal("0.00")))
    assert under.is_over_ratio is False and not under.is_over_net
    assert under.net_room == MICRO.suspend_net_compensation


def test_a_tech_bank_has_no_ratio_threshold_and_nothing_filed_has_no_rate():
    p = bank_position(bank_id=1, bank_name="甲", params=TECH, is_suspended=False,
                      figures=SuspensionFigures(Decimal("0.00"), Decimal("0.00"),
                                                Decimal("0.00")))
    assert p.claim_ratio_threshold is None and p.is_over_ratio is None
    assert p.claim_ratio is None and p.compensation_rate is None
    assert p.net_threshold == TECH.suspend_net_compensation


def test_recovery_and_return_rates_and_what_is_still_owed():
    r = RecoveryFigures(compensated_principal=Decimal("800000.00"),
                        compensation_paid=Decimal("240000.00"),
                        recovered=Decimal("200000.00"), return_due=Decimal("60000.00"),
                        returned=Decimal("45000.00"))
    assert r.recovery_rate == Decimal("0.2500") and r.return_rate == Decimal("0.7500")
    assert r.to_return == Decimal("15000.00")
    overpaid = RecoveryFigures(*(Decimal("1.00"),) * 4, returned=Decimal("2.00"))
    assert overpaid.to_return == 0


# --- The figures from the database -------------------------------------------------------------

def _submitted(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def portfolio(bank_a, officer_a, bank_b, officer_b, reviewer, monkeypatch):
    """Fund size 2026: 10,000,000.00. Bank A (MICRO): one enterprise's first loan (2025Q4) and a
    second loan (2026Q2), another enterprise's loan (2026Q2); bank B (TECH): one loan (2026Q2).
    Bank A's 2026Q2 claim is paid 20 days after it was submitted; it recovers 100,000.00 and has
    returned 18,000.00 of the 30,000.00 due."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: TODAY)
    for year, amount in ((2026, "10000000.00"), (2025, "8000000.00")):
        FundSize.objects.update_or_create(year=year, defaults={"amount": Decimal(amount)})
    ledger_post(kind=LedgerEntry.Kind.CAPITAL, amount=Decimal("10000000.00"),
                booked_on=date(2026, 1, 5), memo="财政拨入", reference="CZ-1", actor=None)
    first = EnterpriseFactory()
    FilingFactory(bank=bank_a, filed_by=officer_a, enterprise=first, is_first_loan=True,
                  quarter="2025Q4", drawdown_date=date(2025, 11, 3),
                  amount=Decimal("2000000.00"))
    again = FilingFactory(bank=bank_a, filed_by=officer_a, enterprise=first,
                          amount=Decimal("3000000.00"))
    FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("1000000.00"))
    FilingFactory(bank=bank_b, filed_by=officer_b, scheme="TECH", ratio=Decimal("0.50"),
                  amount=Decimal("4000000.00"))
    claim = ClaimFactory(filing=again, base=Decimal("1000000.00"),
                         status=Claim.Status.CONFIRMED, submitted_at=_submitted(date(2026, 10, 9)))
    claim_pay(claim=claim, paid_on=date(2026, 10, 29), reference="ZF-1", actor=reviewer)
    recovery = Recovery.objects.create(
        claim=claim, recovered_on=date(2026, 11, 2), amount=Decimal("100000.00"),
        notified_on=date(2026, 11, 3), return_amount=Decimal("30000.00"), reported_by=officer_a)
    ret = ReturnPayment.objects.create(recovery=recovery, amount=Decimal("18000.00"),
                                       returned_on=date(2026, 11, 10), reference="FH-1",
                                       recorded_by=officer_a)
    return_receive(return_payment=ret, actor=reviewer)
    suspension_recompute()
    return {"claim": claim}


@pytest.mark.django_db
def test_loans_enterprises_and_first_loans_by_scheme_bank_and_quarter(portfolio, bank_a):
    data = performance(Scope(), today=TODAY)
    # From the first filing to the last payment, the quarters without any kept on the axis.
    assert data.quarters == ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert (data.total.n, data.total.amount) == (4, Decimal("10000000.00"))
    assert data.total.enterprises == 3  # the first loan's enterprise borrowed twice
    assert (data.total.first_loans, data.total.first_loan_enterprises) == (1, 1)
    assert data.fund_size_year == 2026 and data.total.leverage == Decimal("1.00")
    by_scheme = {r.key: r for r in data.by_scheme}
    assert by_scheme["MICRO"].amount == Decimal("6000000.00")
    assert by_scheme["MICRO"].enterprises == 2 and by_scheme["TECH"].leverage == Decimal("0.40")
    by_quarter = {r.key: r for r in data.by_quarter}
    # Each quarter against its own year's fund size; the empty quarter stays on the axis.
    assert by_quarter["2025Q4"].leverage == Decimal("0.25")
    assert by_quarter["2026Q1"].n == 0 and by_quarter["2026Q1"].leverage is None
    assert by_quarter["2026Q2"].amount == Decimal("8000000.00")
    assert data.amount_by_quarter_and_scheme[("2026Q2", "TECH")] == Decimal("4000000.00")
    assert [r.label for r in data.by_bank] == sorted(r.label for r in data.by_bank)


@pytest.mark.django_db
def test_positions_recovery_and_days_to_payment(portfolio):
    data = performance(Scope(), today=TODAY)
    a = next(p for p in data.positions if p.scheme == "MICRO")
    assert a.filed_principal == Decimal("6000000.00")
    assert a.claimed_principal == Decimal("1000000.00")
    assert a.claim_ratio == Decimal("0.1667") and a.is_over_ratio is True
    assert a.net_compensation == Decimal("282000.00")  # 300,000.00 paid − 18,000.00 returned
    assert not a.is_over_net and not a.is_suspended
    assert data.recovery_total.recovery_rate == Decimal("0.1000")
    assert data.recovery_total.to_return == Decimal("12000.00")
    assert data.delay_total is not None and data.delay_total.median == Decimal("20.0")
    delays = dict(data.delay_by_quarter)
    assert delays["2026Q3"] is None and delays["2026Q4"] == data.delay_total


@pytest.mark.django_db
def test_filters_narrow_every_figure(portfolio, bank_b):
    tech = performance(Scope(scheme="TECH"), today=TODAY)
    assert tech.total.amount == Decimal("4000000.00") and tech.quarters == ["2026Q2"]
    assert [p.scheme for p in tech.positions] == ["TECH"] and tech.delay_total is None
    assert tech.recovery_total.recovered == 0
    only_b = performance(Scope(bank_id=bank_b.pk), today=TODAY)
    assert [r.label for r in only_b.by_bank] == [bank_b.short_name]
    early = performance(Scope(quarter_from="2025Q4", quarter_to="2025Q4"), today=TODAY)
    assert early.total.amount == Decimal("2000000.00") and early.fund_size_year == 2025
    assert early.total.leverage == Decimal("0.25")
    # Recovery to the end of 2025: nothing was paid yet.
    assert early.recovery_total.compensated_principal == 0 and early.delay_total is None


# --- The screen --------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [("reviewer", 200), ("approver", 200), ("auditor", 200),
                                         ("officer_a", 403)])
def test_who_sees_the_performance_view(request, who, status):
    user = request.getfixturevalue(who)
    assert client_for(user).get(reverse("reports:performance")).status_code == status


@pytest.mark.django_db
def test_the_screen_shows_the_indicators_and_charts_drawn_on_the_server(portfolio, approver):
    page = client_for(approver).get(reverse("reports:performance")).content.decode()
    assert "绩效评价" in page and "放大倍数" in page and "1.00" in page
    assert page.count("<svg xmlns") == 3 and "各季度备案贷款金额" in page
    assert "<script" not in page.split("<main", 1)[-1] and ' style="' not in page
    assert "16.67%" in page  # bank A's claim ratio
    nav = page.split("</nav>", 1)[0]
    assert 'href="/reports/performance/" class="active"' in nav


@pytest.mark.django_db
def test_filters_come_from_the_query_string_and_bad_ones_are_explained(portfolio, auditor):
    client = client_for(auditor)
    url = reverse("reports:performance")
    tech = client.get(url, {"scheme": "TECH", "quarter_from": "2026Q2",
                            "quarter_to": "2026Q2"}).content.decode()
    assert "4,000,000.00" in tech and "6,000,000.00" not in tech
    backwards = client.get(url, {"quarter_from": "2026Q2", "quarter_to": "2025Q4"})
    assert backwards.status_code == 200
    assert "起始季度不能晚于截止季度" in backwards.content.decode()
    assert client.get(url, {"quarter_from": "1999Q9", "bank": "x"}).status_code == 200


@pytest.mark.django_db
def test_the_excel_export_holds_the_same_figures(portfolio, reviewer):
    response = client_for(reviewer).get(reverse("reports:performance"),
                                        {"scheme": "MICRO", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="performance-')
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["按政策", "按银行", "按季度", "暂停阈值", "追偿回收", "拨付时效"]
    rows = list(wb["按政策"].iter_rows(values_only=True))
    assert rows[0][:3] == ("政策", "备案笔数", "备案金额（元）")
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][2])) == Decimal("6000000.00")
    assert rows[-1][6] == pytest.approx(0.6)  # leverage, a number: 6,000,000 ÷ 10,000,000
    delays = list(wb["拨付时效"].iter_rows(values_only=True))
    assert delays[-1][0] == "合计" and delays[-1][1:] == (1, 20, 20, 20)
    positions = list(wb["暂停阈值"].iter_rows(values_only=True))
    assert len(positions) == 2 and positions[1][1] == dict(SchemeChoice.choices)["MICRO"]
    assert positions[1][4] == pytest.approx(0.1667)  # the claim ratio, a percentage cell


@pytest.mark.django_db
def test_the_screen_costs_the_same_queries_at_any_size(portfolio, auditor, bank_a, officer_a):
    client = client_for(auditor)
    url = reverse("reports:performance")
    client.get(url)
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    cache.clear()  # both measured requests sum the filings themselves
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    assert len(warm) < len(small) and len(warm) <= 14
    for i in range(12):
        filing = FilingFactory(bank=bank_a, filed_by=officer_a, quarter="2026Q3",
                               drawdown_date=date(2026, 8, 3) + timedelta(days=i))
        ClaimFactory(filing=filing, status=Claim.Status.SUBMITTED)
    suspension_recompute()
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small) <= 21, [q["sql"][:80] for q in large.captured_queries]


def test_a_chart_of_counts_is_labelled_in_its_unit_not_in_ten_thousand_yuan():
    from reports.charts import Chart, Series, chart_svg

    svg = chart_svg(Chart(key="n", title="服务企业", labels=("2026Q1", "2026Q2"), unit="户",
                          series=(Series("服务企业", (Decimal(46), Decimal(23))),)))
    assert "单位：户" in svg and "万元" not in svg
    assert ">50</text>" in svg  # the axis tops out at 50 enterprises, not 0.005 万元
    money = chart_svg(Chart(key="a", title="金额", labels=("2026Q1",),
                            series=(Series("金额", (Decimal("460000.00"),)),)))
    assert "单位：万元" in money and ">50</text>" in money


@pytest.mark.django_db
def test_a_new_filing_shows_at_once_although_the_figures_are_cached(portfolio, approver,
                                                                     bank_a, officer_a,
                                                                     monkeypatch):
    viewer = client_for(approver)
    url = reverse("reports:performance")
    before = viewer.get(url).context["data"]
    assert viewer.get(url).context["data"].total.n == before.total.n == 4  # served from cache
    # The bank's officer files a loan through the form, in the filing window of 2026Q2.
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: date(2026, 7, 10))
    AgreementFactory(bank=bank_a, scheme="MICRO")
    response = client_for(officer_a).post(reverse("loans:filing_create"), {
        "credit_code": make_credit_code(77), "enterprise_name": "北京亦庄新材科技有限公司",
        "kind": "company", "size": "small", "in_bda": "on", "micro_conduct_ok": "on",
        "tech_conduct_ok": "on", "iou_number": "JJ-7701", "contract_number": "HT-7701",
        "loan_type": "credit", "amount": "2500000.00", "currency": "CNY",
        "drawdown_date": "2026-05-12", "maturity_date": "2027-05-11", "rate_percent": "3.6",
        "credit_report_outstanding": "1000000", "credit_report_date": "2026-05-08",
        "first_loan": "on"})
    assert response.status_code == 302
    after = viewer.get(url).context["data"]
    assert (after.total.n, after.total.amount) == (5, before.total.amount + Decimal("2500000.00"))
    assert after.total.enterprises == before.total.enterprises + 1
    assert after.total.first_loan_enterprises == before.total.first_loan_enterprises + 1
    quarter = {r.key: r for r in after.by_quarter}["2026Q2"]
    assert quarter.amount == Decimal("10500000.00")
    micro_only = viewer.get(url, {"scheme": "MICRO"}).context["data"]
    assert micro_only.total.amount == Decimal("8500000.00")


@pytest.mark.django_db
def test_a_new_payment_shows_at_once_although_the_figures_are_cached(portfolio, reviewer,
                                                                      bank_b, officer_b):
    viewer = client_for(reviewer)
    url = reverse("reports:performance")
    before = viewer.get(url).context["data"]
    assert before.delay_total.n == 1 and before.recovery_total.compensation_paid == Decimal(
        "300000.00")
    filing = LoanFiling.objects.get(bank=bank_b)
    claim = ClaimFactory(filing=filing, base=Decimal("2000000.00"), status=Claim.Status.CONFIRMED,
                         submitted_at=_submitted(date(2026, 10, 12)))
    claim_pay(claim=claim, paid_on=date(2026, 11, 2), reference="ZF-2", actor=reviewer)
    after = viewer.get(url).context["data"]
    assert after.delay_total.n == 2 and after.delay_total.longest == 21
    assert after.recovery_total.compensation_paid == Decimal("300000.00") + claim.compensation
    assert after.recovery_total.compensated_principal == Decimal("3000000.00")


# --- The cache's version tokens ----------------------------------------------------------------

def _tokens() -> dict[str, str]:
    from reports.performance_selectors import figures_versions

    return figures_versions()


@pytest.mark.django_db
def test_a_cached_request_reads_three_tokens_and_counts_no_filings(portfolio, auditor):
    client = client_for(auditor)
    url = reverse("reports:performance")
    client.get(url)
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    sqls = [q["sql"] for q in warm.captured_queries]
    assert not [s for s in sqls if "loans_loanfiling" in s], sqls
    assert not [s for s in sqls if "claims_payment" in s or "claims_recovery" in s], sqls
    assert len([s for s in sqls if "reports_figuresversion" in s]) == 1


@pytest.mark.django_db
def test_filings_written_outside_the_services_show_at_once(portfolio, approver, bank_b,
                                                           officer_b):
    viewer = client_for(approver)
    url = reverse("reports:performance")
    assert viewer.get(url).context["data"].total.n == 4
    # Rows put in by bulk insert (as an import does) and by raw SQL change the token too.
    LoanFiling.objects.bulk_create([
        FilingFactory.build(bank=bank_b, filed_by=officer_b, scheme="TECH",
                            ratio=Decimal("0.50"), enterprise=EnterpriseFactory(),
                            amount=Decimal("1000000.00"))
        for _ in range(3)])
    assert viewer.get(url).context["data"].total.n == 7
    with connection.cursor() as cursor:
        cursor.execute("UPDATE loans_loanfiling SET amount_cny = amount_cny + 1 WHERE id = %s",
                       [LoanFiling.objects.filter(bank=bank_b).order_by("id").first().pk])
    assert viewer.get(url).context["data"].total.amount == Decimal("13000001.00")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM loans_loanfiling WHERE id = %s",
                       [LoanFiling.objects.filter(bank=bank_b).order_by("id").last().pk])
    assert viewer.get(url).context["data"].total.n == 6


@pytest.mark.django_db
def test_a_filings_status_and_balance_leave_the_cache_alone(portfolio):
    before = _tokens()
    LoanFiling.objects.update(status="claimed", outstanding_principal=Decimal("1.00"))
    assert _tokens() == before
    LoanFiling.objects.filter(quarter="2025Q4").update(is_first_loan=False)
    after = _tokens()
    assert after["filings"] != before["filings"]
    assert (after["payments"], after["recoveries"]) == (before["payments"],
                                                        before["recoveries"])


@pytest.mark.django_db
def test_a_recovery_and_a_return_show_at_once(portfolio, reviewer, officer_a):
    from claims.payment.services import recovery_report

    viewer = client_for(reviewer)
    url = reverse("reports:performance")
    before = viewer.get(url).context["data"].recovery_total
    assert before.recovered == Decimal("100000.00") and before.returned == Decimal("18000.00")
    recovery = recovery_report(claim=portfolio["claim"], recovered_on=date(2026, 11, 12),
                               amount=Decimal("20000.00"), notified_on=date(2026, 11, 13),
                               actor=officer_a)
    after = viewer.get(url).context["data"].recovery_total
    assert after.recovered == Decimal("120000.00")
    assert after.return_due == before.return_due + recovery.return_amount
    ReturnPayment.objects.create(recovery=recovery, amount=recovery.return_amount,
                                 returned_on=date(2026, 11, 14), reference="FH-2",
                                 recorded_by=officer_a)
    assert viewer.get(url).context["data"].recovery_total.returned == \
        Decimal("18000.00") + recovery.return_amount


@pytest.mark.django_db
def test_a_paid_claims_principal_corrected_shows_at_once(portfolio, reviewer):
    viewer = client_for(reviewer)
    url = reverse("reports:performance")
    assert viewer.get(url).context["data"].recovery_total.compensated_principal == Decimal(
        "1000000.00")
    Claim.objects.filter(pk=portfolio["claim"].pk).update(base=Decimal("900000.00"))
    assert viewer.get(url).context["data"].recovery_total.compensated_principal == Decimal(
        "900000.00")


@pytest.mark.django_db
def test_a_write_rolled_back_leaves_the_token_as_it_was(portfolio, bank_a, officer_a):
    from django.db import transaction

    before = _tokens()
    with pytest.raises(RuntimeError), transaction.atomic():
        FilingFactory(bank=bank_a, filed_by=officer_a)
        assert _tokens()["filings"] != before["filings"]  # seen by its own transaction
        raise RuntimeError
    assert _tokens() == before


@pytest.mark.django_db
def test_a_fund_size_a_suspension_and_a_bank_renamed_show_at_once(portfolio, approver,
                                                                    bank_a, reviewer):
    from banks.services import suspension_manual_set

    viewer = client_for(approver)
    url = reverse("reports:performance")
    before = viewer.get(url)
    assert before.context["data"].total.leverage == Decimal("1.00")
    FundSize.objects.filter(year=2026).update(amount=Decimal("5000000.00"))
    assert viewer.get(url).context["data"].total.leverage == Decimal("2.00")
    suspension_manual_set(bank=bank_a, scheme="MICRO", reason="追偿不力", actor=reviewer)
    positions = viewer.get(url).context["data"].positions
    assert next(p for p in positions if p.bank_id == bank_a.pk).is_suspended
    bank_a.short_name = "甲银行亦庄"
    bank_a.save()
    assert "甲银行亦庄" in viewer.get(url).content.decode()


@pytest.mark.django_db
def test_the_cached_parts_of_the_page_serve_every_viewer_in_their_language(portfolio,
                                                                          approver, auditor):
    from django.conf import settings
    from django.utils import translation

    url = reverse("reports:performance")
    first = client_for(approver).get(url).content.decode()
    second = client_for(auditor).get(url).content.decode()
    assert '<table class="data compact">' in second  # markup, not escaped text
    tables = first[first.index('<div class="grid2">'):first.index("</main>")]
    assert tables in second
    english = client_for(auditor)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    try:
        page = english.get(url).content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)  # the request left English active
    assert "By bank" in page and "按银行" not in page


@pytest.mark.django_db
def test_a_claim_submitted_leaves_the_payment_figures_cached(portfolio, bank_a, officer_a):
    before = _tokens()
    ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a),
                 status=Claim.Status.SUBMITTED)
    after = _tokens()
    assert after["payments"] == before["payments"]
    assert after["filings"] != before["filings"]  # the filing it was made on is new


@pytest.mark.django_db(transaction=True)
def test_two_banks_file_at_once_without_waiting_on_each_others_token(bank_a, officer_a, bank_b,
                                                                     officer_b):
    """An import holds its transaction open through 100,000 rows: another bank's filing must
    not wait for it on the version token's row lock."""
    import threading

    from django.db import connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    before = _tokens()
    errors: list[BaseException] = []

    def other_bank() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '3s'")
                FilingFactory(bank=bank_b, filed_by=officer_b)
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        FilingFactory(bank=bank_a, filed_by=officer_a)
        worker = threading.Thread(target=other_bank)
        worker.start()
        worker.join(10)
    assert not worker.is_alive() and errors == []
    assert _tokens()["filings"] != before["filings"]
    assert LoanFiling.objects.filter(bank=bank_b).count() == 1

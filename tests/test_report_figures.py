"""The figures of the half-year and annual reports (RULES.md "Reports", "The fund"): periods,
and every money figure reconciled with the ledger after data built through the real services
(payments, recoveries, returns, write-offs)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from banks.models import SuspensionChange
from claims.models import Claim, Confirmation, WriteOff
from claims.payment.services import claim_pay, recovery_report, return_receive, return_record
from claims.writeoff.services import writeoff_confirm
from fund.models import LedgerEntry
from fund.selectors import fund_balance, receivables, receivables_by_scheme
from fund.services import ledger_post
from loans.models import Qualification
from reports.figures import ReportData, Table, report_data, report_period

from .factories import ClaimFactory, EnterpriseFactory, FilingFactory
from .test_uploads import PDF_BYTES

TODAY = date(2026, 7, 20)
TZ = timezone.get_fixed_timezone(8 * 60)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _today(monkeypatch, settings, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    settings.MEDIA_ROOT = tmp_path


def book(kind: str, amount: str, on: date, actor) -> LedgerEntry:  # type: ignore[no-untyped-def]
    return ledger_post(kind=kind, amount=Decimal(amount), booked_on=on, memo=str(kind),
                       actor=actor)


def confirmed_claim(bank, officer, reviewer, *, base: str, submitted_on: date,  # type: ignore[no-untyped-def]
                    scheme: str = "MICRO", ratio: str = "0.30",
                    filed_on: date = date(2026, 1, 20), drawdown_on: date | None = None,
                    report_on: date | None = None, document_year: int | None = None) -> Claim:
    """A claim submitted and confirmed by the bureau, not paid; its loan drawn 20 days and its
    credit report dated 25 days before filing unless said otherwise."""
    filing = FilingFactory.create(
        bank=bank, filed_by=officer, scheme=scheme, ratio=Decimal(ratio), amount=Decimal(base),
        drawdown_date=drawdown_on or filed_on - timedelta(days=20),
        credit_report_date=report_on or filed_on - timedelta(days=25), filed_on=filed_on)
    claim = ClaimFactory.create(filing=filing, base=Decimal(base), status=Claim.Status.CONFIRMED,
                                submitted_at=at(submitted_on))
    claim.status_changes.create(from_status="", to_status=Claim.Status.SUBMITTED,
                                actor=officer, changed_at=at(submitted_on))
    claim.status_changes.create(from_status=Claim.Status.PROPOSED,
                                to_status=Claim.Status.CONFIRMED, actor=reviewer,
                                changed_at=at(submitted_on + timedelta(days=10)))
    year = document_year or submitted_on.year
    Confirmation.objects.create(
        claim=claim, decision=Confirmation.Decision.CONFIRMED,
        document_number=f"京经开财〔{year}〕{claim.pk}号", document_date=submitted_on,
        document="confirmations/c.pdf", approver=reviewer,
        decided_at=at(submitted_on + timedelta(days=10)))
    return claim


def paid_claim(bank, officer, reviewer, *, base: str, scheme: str = "MICRO",  # type: ignore[no-untyped-def]
               ratio: str = "0.30", paid_on: date, filed_on: date = date(2026, 1, 10),
               submitted_on: date = date(2026, 2, 1)) -> Claim:
    """A claim submitted, confirmed by the bureau and paid through ``claim_pay``."""
    claim = confirmed_claim(bank, officer, reviewer, base=base, scheme=scheme, ratio=ratio,
                            filed_on=filed_on, submitted_on=submitted_on, document_year=2026)
    claim_pay(claim=claim, paid_on=paid_on, reference=f"ZF-{claim.pk}", actor=reviewer,
              now=at(paid_on))
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def half_year(bank_a, bank_b, officer_a, officer_b, reviewer, approver):  # type: ignore[no-untyped-def]
    """2026 H1 through the services: capital before and during the half-year, interest, the
    fee, two payments, a recovery returned and received, a confirmed write-off; and a payment
    in July that belongs to H2."""
    book(LedgerEntry.Kind.CAPITAL, "10000000.00", date(2025, 12, 20), reviewer)
    book(LedgerEntry.Kind.CAPITAL, "5000000.00", date(2026, 2, 1), reviewer)
    book(LedgerEntry.Kind.INTEREST, "12345.67", date(2026, 3, 21), reviewer)
    book(LedgerEntry.Kind.MANAGEMENT_FEE, "-80000.00", date(2026, 6, 30), reviewer)
    micro = paid_claim(bank_a, officer_a, reviewer, base="800000.00", paid_on=date(2026, 3, 10))
    tech = paid_claim(bank_b, officer_b, reviewer, base="2000000.00", scheme="TECH",
                      ratio="0.50", paid_on=date(2026, 5, 5))
    july = paid_claim(bank_a, officer_a, reviewer, base="100000.00", paid_on=date(2026, 7, 2),
                      submitted_on=date(2026, 6, 1))

    recovery = recovery_report(claim=micro, recovered_on=date(2026, 4, 1),
                               amount=Decimal("100000.00"), notified_on=date(2026, 4, 3),
                               actor=officer_a)
    ret = return_record(recovery=recovery, amount=recovery.return_amount,
                        returned_on=date(2026, 4, 10), reference="FH-001", actor=officer_a)
    return_receive(return_payment=ret, actor=reviewer, now=at(date(2026, 4, 10)))

    write_off = WriteOff(claim=tech, ground=WriteOff.Ground.BANKRUPTCY,
                         amount=Decimal("1000000.00"), status=WriteOff.Status.FORWARDED,
                         applied_by=officer_b, applied_at=at(date(2026, 6, 1)),
                         ruling="writeoffs/r.pdf", internal_approval="writeoffs/i.pdf")
    write_off.save()
    writeoff_confirm(write_off=write_off, number="京经开财核〔2026〕3号",
                     date=date(2026, 6, 15),
                     document=SimpleUploadedFile("确认.pdf", PDF_BYTES,
                                                 content_type="application/pdf"),
                     actor=approver, now=at(date(2026, 6, 15)))
    return {"micro": micro, "tech": tech, "july": july, "recovery": recovery}


def table(data: ReportData, key: str) -> Table:
    return next(t for t in [*data.summary, *data.details] if t.key == key)


def ledger_sum(kind: str, start: date, end: date, field: str = "amount") -> Decimal:
    total = LedgerEntry.objects.filter(kind=kind, booked_on__range=(start, end)).aggregate(
        s=Sum(field))["s"]
    return total if total is not None else Decimal("0.00")


# --- Periods ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "period", "start", "end"), [
    ("semiannual", "2026H1", date(2026, 1, 1), date(2026, 6, 30)),
    ("semiannual", "2026h2", date(2026, 7, 1), date(2026, 12, 31)),
    ("annual", "2025", date(2025, 1, 1), date(2025, 12, 31)),
])
def test_report_period_bounds(kind, period, start, end):
    assert report_period(kind, period) == (start, end)


@pytest.mark.parametrize(("kind", "period", "message"), [
    ("semiannual", "2026H3", "半年度报告期应写作"),
    ("semiannual", "2026", "半年度报告期应写作"),
    ("annual", "2026H1", "年度报告期应写作四位年份"),
    ("annual", "", "年度报告期应写作四位年份"),
    ("proposal", "2026", "未知的报告类型"),
    ("annual", "1899", "超出可选范围"),
])
def test_a_bad_period_is_refused_in_chinese(kind, period, message):
    with pytest.raises(ValueError, match=message):
        report_period(kind, period)


# --- Reconciliation with the ledger -----------------------------------------------------------

@pytest.mark.django_db
def test_fund_figures_reconcile_with_the_ledger(half_year):
    start, end = date(2026, 1, 1), date(2026, 6, 30)
    data = report_data("semiannual", "2026H1")
    t = data.totals
    assert t["opening_balance"] == fund_balance(on=date(2025, 12, 31)) == Decimal("10000000.00")
    assert t["closing_balance"] == fund_balance(on=end)
    assert t["compensation"] == -ledger_sum(LedgerEntry.Kind.COMPENSATION, start, end)
    assert t["compensation"] == Decimal("1240000.00")  # 240,000 + 1,000,000; July's is H2's
    assert t["payments"] == t["compensation"]
    assert t["returns"] == ledger_sum(LedgerEntry.Kind.RETURN, start, end) == Decimal("30000.00")
    assert t["interest"] == Decimal("12345.67")
    assert t["management_fee"] == Decimal("80000.00")
    assert t["capital"] == Decimal("5000000.00")
    assert t["write_off_loss"] == ledger_sum(LedgerEntry.Kind.WRITE_OFF, start, end,
                                             "loss_amount") == Decimal("1000000.00")
    assert t["closing_balance"] - t["opening_balance"] == t["net_change"] == (
        t["inflow"] - t["outflow"])
    assert t["closing_balance"] == Decimal("13722345.67")
    overview = dict(table(data, "fund_overview").rows)
    assert Decimal("13722345.67") in overview.values()


@pytest.mark.django_db
def test_the_next_half_year_opens_where_this_one_closed(half_year):
    h1 = report_data("semiannual", "2026H1")
    h2 = report_data("semiannual", "2026H2")
    assert h2.totals["opening_balance"] == h1.totals["closing_balance"]
    assert h2.totals["compensation"] == Decimal("30000.00")  # the July payment
    assert h2.totals["closing_balance"] == fund_balance()


@pytest.mark.django_db
def test_ledger_by_kind_and_by_scheme_add_up(half_year):
    data = report_data("semiannual", "2026H1")
    by_kind = table(data, "ledger_by_kind")
    assert by_kind.total is not None
    assert by_kind.total[4] == data.totals["net_change"]
    assert by_kind.total[5] == data.totals["write_off_loss"]
    by_scheme = {r[0]: r for r in table(data, "ledger_by_scheme").rows}
    assert by_scheme["小微企业贷款风险补偿"][2:4] == (Decimal("240000.00"), Decimal("30000.00"))
    assert by_scheme["科技创新类中小企业贷款风险补偿"][2] == Decimal("1000000.00")
    assert by_scheme["科技创新类中小企业贷款风险补偿"][7] == Decimal("1000000.00")


@pytest.mark.django_db
def test_claims_by_scheme_and_status_at_the_end_of_the_period(half_year):
    data = report_data("semiannual", "2026H1")
    by_scheme = {r[0]: r for r in table(data, "claims_by_scheme").rows}
    micro = by_scheme["小微企业贷款风险补偿"]
    assert micro[1:4] == (2, Decimal("900000.00"), Decimal("270000.00"))  # two submitted in H1
    assert micro[4:] == (1, Decimal("240000.00"))  # one paid in H1
    statuses = {r[0]: r[1] for r in table(data, "claims_by_status").rows}
    # The July claim was confirmed, not yet paid, when H1 closed; the TECH one was written off.
    assert statuses == {"财政已确认": 1, "已拨付": 1, "已核销": 1}


@pytest.mark.django_db
def test_recoveries_write_offs_and_receivables(half_year):
    data = report_data("semiannual", "2026H1")
    recovery = table(data, "recoveries_returns")
    assert recovery.total is not None
    assert recovery.total[2:] == (1, Decimal("100000.00"), Decimal("30000.00"), 1,
                                  Decimal("30000.00"))
    write_offs = table(data, "write_offs")
    assert write_offs.rows == [("科技创新类中小企业贷款风险补偿", "破产清算", 1,
                                Decimal("1000000.00"))]
    receivables = {r[0]: r for r in table(data, "receivables").rows}
    bank_a = receivables[half_year["micro"].bank.name]
    assert bank_a[2:6] == (Decimal("240000.00"), Decimal("30000.00"), Decimal("0.00"),
                           Decimal("210000.00"))
    bank_b = receivables[half_year["tech"].bank.name]
    assert bank_b[5] == Decimal("0.00")  # paid 1,000,000, written off 1,000,000
    assert data.totals["receivable"] == Decimal("210000.00")


@pytest.mark.django_db
def test_a_recovery_not_yet_returned_is_due_at_the_period_end(half_year, officer_a):
    # The April recovery was returned and received; this one is notified, not yet returned.
    recovery_report(claim=half_year["micro"], recovered_on=date(2026, 6, 20),
                    amount=Decimal("10000.00"), notified_on=date(2026, 6, 22), actor=officer_a)
    data = report_data("semiannual", "2026H1")
    assert data.totals["returns_due"] == Decimal("3000.00")



@pytest.mark.django_db
def test_the_report_and_the_fund_screen_count_the_receivable_alike(half_year, officer_a):
    recovery_report(claim=half_year["micro"], recovered_on=date(2026, 6, 20),
                    amount=Decimal("10000.00"), notified_on=date(2026, 6, 22), actor=officer_a)
    data = report_data("semiannual", "2026H1")
    screen = receivables_by_scheme(date_to=data.period_end)["total"]
    assert data.totals["receivable"] == screen["net_exposure"] == Decimal("210000.00")
    assert data.totals["returns_due"] == screen["to_return"] == Decimal("3000.00")
    [micro] = [r for r in receivables(("scheme",), date_to=data.period_end)
               if r["scheme"] == "MICRO"]
    assert (micro["returns_pending"], micro["to_return"]) == (1, Decimal("3000.00"))

# --- Filings ----------------------------------------------------------------------------------

def qualified_snapshot(*qualifications: tuple[str, str, str]) -> dict:
    return {"enterprise": {"qualifications": [
        {"type": t, "valid_from": f, "valid_to": to} for t, f, to in qualifications]}}


@pytest.mark.django_db
def test_filings_by_scheme_bank_loan_type_and_qualification(bank_a, bank_b, officer_a,
                                                           officer_b):
    day = date(2026, 3, 1)
    kw = {"filed_on": day, "drawdown_date": date(2026, 2, 10),
          "credit_report_date": date(2026, 2, 1)}
    FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("1000000.00"),
                  snapshot=qualified_snapshot(("high_tech", "2025-01-01", "2027-12-31"),
                                              ("beijing_srdi", "2024-01-01", "2026-12-31")),
                  **kw)
    # Expired before the drawdown: not counted, whatever the enterprise holds today.
    expired = FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("2000000.00"),
                            loan_type="ip_pledge",
                            snapshot=qualified_snapshot(("high_tech", "2023-01-01",
                                                         "2026-01-31")), **kw)
    Qualification.objects.create(enterprise=expired.enterprise, type="high_tech",
                                 certificate_no="GR2026", valid_from=date(2026, 1, 1),
                                 valid_to=date(2028, 12, 31))
    FilingFactory(bank=bank_b, filed_by=officer_b, amount=Decimal("3000000.00"), scheme="TECH",
                  ratio=Decimal("0.50"), enterprise=EnterpriseFactory(), **kw)
    FilingFactory(bank=bank_b, filed_by=officer_b, filed_on=date(2026, 7, 1))  # H2
    data = report_data("semiannual", "2026H1")
    assert data.totals["filings_count"] == 3
    assert data.totals["filings_principal"] == Decimal("6000000.00")
    assert table(data, "filings_by_scheme").rows == [
        ("小微企业贷款风险补偿", 2, Decimal("3000000.00")),
        ("科技创新类中小企业贷款风险补偿", 1, Decimal("3000000.00"))]
    by_bank = {r[0]: r[1:] for r in table(data, "filings_by_bank").rows}
    # Banks by their full names: a report never abbreviates them.
    assert by_bank == {bank_a.name: (2, Decimal("3000000.00")),
                       bank_b.name: (1, Decimal("3000000.00"))}
    by_type = {r[0]: r[1:] for r in table(data, "filings_by_loan_type").rows}
    assert by_type["知识产权质押贷款"] == (1, Decimal("2000000.00"))
    by_qualification = {r[0]: r[1:] for r in table(data, "filings_by_qualification").rows}
    assert by_qualification["国家高新技术企业"] == (1, Decimal("1000000.00"))
    assert by_qualification["北京市专精特新中小企业"] == (1, Decimal("1000000.00"))
    assert by_qualification["有效资质企业贷款（去重）"] == (1, Decimal("1000000.00"))
    assert by_qualification["无有效资质企业贷款"] == (2, Decimal("5000000.00"))
    listing = table(data, "filings_detail")
    assert len(listing.rows) == 3 and listing.total is not None
    assert listing.total[-1] == Decimal("6000000.00")


@pytest.mark.django_db
def test_suspension_changes_of_the_period_only(bank_a):
    for day, suspended in ((date(2025, 12, 31), True), (date(2026, 3, 5), True),
                           (date(2026, 6, 30), False), (date(2026, 7, 1), True)):
        SuspensionChange.objects.create(
            bank=bank_a, scheme="MICRO", kind=SuspensionChange.Kind.AUTO,
            is_suspended=suspended, reason="阈值", filed_principal=Decimal("100.00"),
            claimed_principal=Decimal("5.00"), net_compensation=Decimal("5100000.00"),
            changed_at=at(day, 23))
    rows = table(report_data("semiannual", "2026H1"), "suspension_changes").rows
    assert [(timezone.localtime(r[0]).date(), r[4]) for r in rows] == [
        (date(2026, 3, 5), "暂停"), (date(2026, 6, 30), "恢复")]


@pytest.mark.django_db
def test_an_empty_period_gives_zeros_not_errors():
    data = report_data("annual", "2024")
    assert data.totals["closing_balance"] == Decimal("0.00")
    assert all(not t.rows for t in data.details)
    assert data.period == "2024" and data.kind == "annual"


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_rows(bank_a, officer_a):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            report_data("semiannual", "2026H1")
        return len(ctx.captured_queries)

    FilingFactory.create_batch(3, bank=bank_a, filed_by=officer_a, filed_on=date(2026, 2, 1))
    few = count()
    FilingFactory.create_batch(30, bank=bank_a, filed_by=officer_a, filed_on=date(2026, 2, 1))
    ClaimFactory.create_batch(10, filing__bank=bank_a, filing__filed_by=officer_a,
                              submitted_at=at(date(2026, 3, 1)))
    assert count() == few

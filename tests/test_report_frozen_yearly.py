"""The two yearly documents (the audit report and the operations report) describe the year as
it closed: regenerated after later payments, returns, recoveries, write-offs, new filings and
claims, classifications, a terminated agreement and a renamed bank, every table and the PDF's
text read the same; only the generation stamp differs."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from banks.models import CooperationAgreement, SuspensionChange
from banks.services import agreement_terminate
from claims.models import Claim, SpotCheck, SpotCheckItem, WriteOff
from claims.payment.services import (
    claim_pay,
    recovery_report,
    return_receive,
    return_record,
    statement_submit,
)
from claims.spotcheck.services import spot_check_record
from claims.writeoff.services import writeoff_confirm
from fund.models import LedgerEntry
from loans.services import classification_report
from reports.figures import ReportData, report_data
from riskcomp.audit import audit_context
from riskcomp.choices import Classification

from .conftest import patch_today
from .factories import AgreementFactory, ClaimFactory, FilingFactory
from .test_report_figures import at, book, confirmed_claim, paid_claim
from .test_report_frozen import generate, text_without_stamp
from .test_uploads import PDF_BYTES

pytestmark = pytest.mark.django_db

# The year reported on and the days the two versions are made (before the machine's real date:
# the audit trail stamps its entries with the real time, which must fall after the year).
YEAR = "2025"
FIRST_MADE = date(2026, 1, 8)
LATER = date(2026, 3, 2)


@pytest.fixture
def year_2025(monkeypatch, settings, tmp_path, bank_a, bank_b, officer_a, officer_b,  # type: ignore[no-untyped-def]
              reviewer):
    """2025 through the services: capital, interest and the year's fee; a MICRO and a TECH claim
    paid; a recovery on the MICRO claim not returned by the year end; a claim confirmed and not
    paid; bank B suspended under TECH; the year's spot check with one finding."""
    settings.MEDIA_ROOT = tmp_path
    patch_today(monkeypatch, lambda: FIRST_MADE)
    AgreementFactory(bank=bank_a, scheme="MICRO", number="HZ-A-MICRO")
    AgreementFactory(bank=bank_b, scheme="TECH", number="HZ-B-TECH")
    book(LedgerEntry.Kind.CAPITAL, "10000000.00", date(2025, 7, 1), reviewer)
    book(LedgerEntry.Kind.INTEREST, "2345.67", date(2025, 9, 21), reviewer)
    book(LedgerEntry.Kind.MANAGEMENT_FEE, "-50000.00", date(2025, 12, 30), reviewer)
    micro = paid_claim(bank_a, officer_a, reviewer, base="800000.00",
                       filed_on=date(2025, 7, 10), submitted_on=date(2025, 8, 1),
                       paid_on=date(2025, 9, 10))
    tech = paid_claim(bank_b, officer_b, reviewer, base="2000000.00", scheme="TECH",
                      ratio="0.50", filed_on=date(2025, 7, 15),
                      submitted_on=date(2025, 8, 5), paid_on=date(2025, 10, 20))
    recovery = recovery_report(claim=micro, recovered_on=date(2025, 11, 3),
                               amount=Decimal("100000.00"), notified_on=date(2025, 11, 5),
                               actor=officer_a)
    unpaid = confirmed_claim(bank_a, officer_a, reviewer, base="300000.00",
                             filed_on=date(2025, 8, 1), submitted_on=date(2025, 11, 10))
    SuspensionChange.objects.create(
        bank=bank_b, scheme="TECH", kind=SuspensionChange.Kind.AUTO, is_suspended=True,
        reason="补偿净额超过阈值", filed_principal=Decimal("2000000.00"),
        claimed_principal=Decimal("2000000.00"), net_compensation=Decimal("16000000.00"),
        changed_at=at(date(2025, 10, 25)))
    check = SpotCheck.objects.create(year=2025, seed="5e11a0", sample_size=2, drawn_by=reviewer,
                                     drawn_at=at(date(2025, 12, 10)))
    SpotCheckItem.objects.create(spot_check=check, claim=micro,
                                 result=SpotCheckItem.Result.ISSUE, finding="贷后检查记录缺失",
                                 recorded_by=reviewer, recorded_at=at(date(2025, 12, 20)))
    pending = SpotCheckItem.objects.create(spot_check=check, claim=tech)
    return {"micro": micro, "tech": tech, "recovery": recovery, "unpaid": unpaid,
            "pending": pending}


def after_the_year(year_2025, monkeypatch, bank_a, bank_b, officer_a, officer_b, reviewer,  # type: ignore[no-untyped-def]
                   approver) -> None:
    """What happens in 2026 to the records of 2025, and new business."""
    patch_today(monkeypatch, lambda: LATER)
    micro, tech = year_2025["micro"], year_2025["tech"]
    claim_pay(claim=year_2025["unpaid"], paid_on=date(2026, 1, 12), reference="ZF-2026-1",
              actor=reviewer, now=at(date(2026, 1, 12)))
    ret = return_record(recovery=year_2025["recovery"],
                        amount=year_2025["recovery"].return_amount,
                        returned_on=date(2026, 1, 15), reference="FH-2026-1", actor=officer_a)
    return_receive(return_payment=ret, actor=reviewer, now=at(date(2026, 1, 16)))
    recovery_report(claim=tech, recovered_on=date(2026, 1, 20), amount=Decimal("50000.00"),
                    notified_on=date(2026, 1, 21), actor=officer_b)
    write_off = WriteOff(claim=micro, ground=WriteOff.Ground.BANKRUPTCY,
                         amount=Decimal("100000.00"), status=WriteOff.Status.FORWARDED,
                         applied_by=officer_a, applied_at=at(date(2026, 1, 25)),
                         ruling="writeoffs/r.pdf", internal_approval="writeoffs/i.pdf")
    write_off.save()
    writeoff_confirm(write_off=write_off, number="京经开财核〔2026〕1号", date=date(2026, 2, 5),
                     document=SimpleUploadedFile("确认.pdf", PDF_BYTES,
                                                 content_type="application/pdf"),
                     actor=approver, now=at(date(2026, 2, 5)))
    assert Claim.objects.get(pk=micro.pk).status == Claim.Status.WRITTEN_OFF
    new_filing = FilingFactory.create(bank=bank_a, filed_by=officer_a,
                                      drawdown_date=date(2026, 1, 5),
                                      credit_report_date=date(2025, 12, 30),
                                      filed_on=date(2026, 1, 9))
    classification_report(filing=new_filing, classification=Classification.SUBSTANDARD,
                          classified_on=date(2026, 2, 20), actor=officer_a)
    late_claim = ClaimFactory.create(filing=new_filing, base=Decimal("500000.00"),
                                     submitted_at=at(date(2026, 2, 24)))
    late_claim.status_changes.create(from_status="", to_status=Claim.Status.SUBMITTED,
                                     actor=officer_a, changed_at=at(date(2026, 2, 24)))
    book(LedgerEntry.Kind.CAPITAL, "5000000.00", date(2026, 1, 5), reviewer)
    book(LedgerEntry.Kind.MANAGEMENT_FEE, "-30000.00", date(2026, 1, 10), reviewer)
    SuspensionChange.objects.create(
        bank=bank_b, scheme="TECH", kind=SuspensionChange.Kind.AUTO, is_suspended=False,
        reason="补偿净额回落", filed_principal=Decimal("2000000.00"),
        claimed_principal=Decimal("2000000.00"), net_compensation=Decimal("1000000.00"),
        changed_at=at(date(2026, 2, 1)))
    spot_check_record(item=year_2025["pending"], result=SpotCheckItem.Result.COMPLIANT,
                      actor=reviewer)
    statement_submit(claim=tech, year=2025, text="已向法院申请强制执行。", actor=officer_b,
                     now=at(date(2026, 1, 20)))
    agreement_terminate(agreement=CooperationAgreement.objects.get(number="HZ-B-TECH"),
                        reason="银行申请退出", actor=reviewer)
    with audit_context(actor=reviewer, reason="机构更名"):
        bank_a.name = "甲银行北京经济技术开发区支行"
        bank_a.save()


def tables(data: ReportData) -> list[tuple]:
    return [(t.key, t.title, t.headers, t.rows, t.total) for t in [*data.summary, *data.details]]


@pytest.mark.parametrize("kind", ["annual", "operations"])
def test_a_yearly_document_regenerated_after_the_year_reads_the_same(
        year_2025, monkeypatch, bank_a, bank_b, officer_a, officer_b, reviewer, approver,
        kind):
    first = generate(kind, YEAR, reviewer, FIRST_MADE)
    first_data = report_data(kind, YEAR)

    after_the_year(year_2025, monkeypatch, bank_a, bank_b, officer_a, officer_b, reviewer,
                   approver)

    second = generate(kind, YEAR, reviewer, LATER)
    second_data = report_data(kind, YEAR)

    for before, after in zip(tables(first_data), tables(second_data), strict=True):
        assert after == before, before[0]
    assert second_data.yearly.basis == first_data.yearly.basis
    assert second_data.yearly.issues == first_data.yearly.issues
    assert [(c.key, c.labels, c.series) for c in second_data.charts] == \
        [(c.key, c.labels, c.series) for c in first_data.charts]

    # The year as it closed: the claim confirmed and unpaid, bank A's return overdue, the
    # agreement in force under the bank's name of then.
    flat = [(t.key, t.rows) for t in second_data.summary + second_data.details]
    agreements = dict(flat)["agreements"]
    assert {(r[0], r[6]) for r in agreements} == {("甲银行经开区支行", "有效"),
                                                  ("乙银行经开区支行", "有效")}

    assert second.version == first.version + 1
    first_text, second_text = text_without_stamp(first), text_without_stamp(second)
    assert "〈生成日期〉" in first_text
    assert "北京经济技术开发区支行" not in second_text
    assert second_text == first_text
    assert first.sha256 != second.sha256


def test_a_spot_check_drawn_after_the_year_is_not_part_of_its_report(year_2025, reviewer):
    before = report_data("operations", "2024")
    assert before.yearly.basis["spot_check"] is None
    SpotCheck.objects.create(year=2024, seed="late", sample_size=1, drawn_by=reviewer,
                             drawn_at=at(date(2025, 2, 3)))
    after = report_data("operations", "2024")
    assert tables(after) == tables(before)
    assert after.yearly.issues == before.yearly.issues

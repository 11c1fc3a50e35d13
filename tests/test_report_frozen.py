"""A period report describes the period as it closed: regenerated after a claim is paid or
written off later, every section and annex reads the same; only the generation stamp differs."""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from claims.models import Claim, WriteOff
from claims.payment.services import claim_pay
from claims.writeoff.services import writeoff_confirm
from reports.figures import report_data
from reports.models import ReportFile
from reports.services import report_generate, report_request

from .test_report_figures import at, confirmed_claim, half_year  # noqa: F401 - the shared fixture
from .test_uploads import PDF_BYTES

pytestmark = pytest.mark.django_db


def generate(kind: str, period: str, reviewer, on: date) -> ReportFile:  # type: ignore[no-untyped-def]
    report = report_request(kind=kind, period=period, actor=reviewer, now=at(on))
    done = report_generate(report.pk)
    assert done is not None, ReportFile.objects.get(pk=report.pk).error
    return done


def text_without_stamp(report: ReportFile) -> str:
    """The PDF's text with the generation date and time (cover and closing note) blanked."""
    with report.file.open("rb") as handle:
        reader = PdfReader(BytesIO(handle.read()))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    text = re.sub(r"\d{4}年\d{1,2}月\d{1,2}日\s*\d{2}:\d{2}", "〈生成时间〉", text)
    stamp = report.parameters["as_of"][:10]
    y, m, d = (int(p) for p in stamp.split("-"))
    return text.replace(f"{y}年{m}月{d}日", "〈生成日期〉")


@pytest.mark.parametrize(("kind", "period"), [("semiannual", "2026H1")])
def test_a_report_regenerated_after_later_payments_and_write_offs_reads_the_same(
        half_year, bank_a, officer_a, reviewer, approver, kind, period):  # noqa: F811
    unpaid = confirmed_claim(bank_a, officer_a, reviewer, base="300000.00",
                             drawdown_on=date(2026, 1, 2), report_on=date(2025, 12, 28),
                             submitted_on=date(2026, 5, 4))
    first = generate(kind, period, reviewer, date(2026, 7, 5))
    first_data = report_data(kind, period)

    # After the period: the confirmed claim is paid, the MICRO claim paid in March written off.
    claim_pay(claim=unpaid, paid_on=date(2026, 7, 8), reference="ZF-AFTER", actor=reviewer,
              now=at(date(2026, 7, 8)))
    micro = half_year["micro"]
    write_off = WriteOff(claim=micro, ground=WriteOff.Ground.BANKRUPTCY,
                         amount=Decimal("210000.00"), status=WriteOff.Status.FORWARDED,
                         applied_by=officer_a, applied_at=at(date(2026, 7, 6)),
                         ruling="writeoffs/r.pdf", internal_approval="writeoffs/i.pdf")
    write_off.save()
    writeoff_confirm(write_off=write_off, number="京经开财核〔2026〕9号", date=date(2026, 7, 10),
                     document=SimpleUploadedFile("确认.pdf", PDF_BYTES,
                                                 content_type="application/pdf"),
                     actor=approver, now=at(date(2026, 7, 10)))
    assert Claim.objects.get(pk=micro.pk).status == Claim.Status.WRITTEN_OFF

    second = generate(kind, period, reviewer, date(2026, 8, 3))
    second_data = report_data(kind, period)

    # Every summary table and annex row as the period closed.
    assert [(t.key, t.rows, t.total) for t in second_data.summary] == \
        [(t.key, t.rows, t.total) for t in first_data.summary]
    assert [(t.key, t.rows, t.total) for t in second_data.details] == \
        [(t.key, t.rows, t.total) for t in first_data.details]
    claims = next(t for t in second_data.details if t.key == "claims_detail")
    statuses = {row[0]: row[-1] for row in claims.rows}
    assert statuses[micro.number] == "已拨付"
    assert statuses[unpaid.number] == "财政已确认"

    # The documents: the same text apart from the generation stamp.
    assert second.version == first.version + 1
    first_text, second_text = text_without_stamp(first), text_without_stamp(second)
    assert "〈生成日期〉" in first_text
    assert "已核销" not in first_text.split("附件")[-1]
    assert second_text == first_text
    assert first.sha256 != second.sha256

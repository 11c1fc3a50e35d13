"""The bank officer's side of claims: claim (with refusals and documents), supplements,
recoveries and returns, write-offs, yearly statements, lists, exports and files."""

import hashlib
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from banks.models import SuspensionState
from claims import services
from claims.filing import services as filing_services
from claims.filing.selectors import npl_history
from claims.filing.services import REQUIRED_DOCUMENTS
from claims.models import (
    Claim,
    ClaimDocument,
    ClaimStatusChange,
    Payment,
    Recovery,
    RecoveryStatement,
    ReturnPayment,
    SupplementRequest,
    WriteOff,
)
from claims.payment.selectors import recoveries_overdue_for, recovery_list_for
from fund.selectors import policy_context
from loans.models import ClassificationReport, LoanFiling
from riskcomp.labels import reason_label
from riskcomp.policy.deadlines import recovery_notice_deadline, return_deadline
from riskcomp.policy.params import choose_version
from riskcomp.policy.reasons import Refusal
from riskcomp.policy.types import Scheme

from .conftest import client_for
from .factories import ClaimFactory, EnterpriseFactory, FilingFactory
from .test_uploads import EXE_BYTES, PDF_BYTES, PNG_BYTES, TEXT_BYTES

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


# --- Helpers ----------------------------------------------------------------------------------

def pdf(name: str = "doc.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def documents(**over):  # type: ignore[no-untyped-def]
    docs = {kind: pdf(f"{kind}.pdf") for kind in REQUIRED_DOCUMENTS}
    docs.update(over)
    return {k: v for k, v in docs.items() if v is not None}


def classify(filing, officer, classification="substandard", on=date(2026, 10, 8)):  # type: ignore[no-untyped-def]
    return ClassificationReport.objects.create(filing=filing, classification=classification,
                                               classified_on=on, reported_by=officer)


def npl_filing(bank, officer, *, classified_on=date(2026, 10, 8), **kw):  # type: ignore[no-untyped-def]
    filing = FilingFactory(bank=bank, filed_by=officer, **kw)
    classify(filing, officer, on=classified_on)
    return filing


def tech_filing(bank, officer, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("scheme", "TECH")
    kw.setdefault("ratio", Decimal("0.50"))
    kw.setdefault("policy_version", "京技管发〔2025〕13号")
    return npl_filing(bank, officer, **kw)


def paid_claim(bank, officer, payer, *, scheme="MICRO", ratio="0.30", base="800000.00",  # type: ignore[no-untyped-def]
               paid_on=date(2026, 10, 20), enterprise_name=None):
    extra = {"enterprise": EnterpriseFactory(name=enterprise_name)} if enterprise_name else {}
    filing = FilingFactory(bank=bank, filed_by=officer, scheme=scheme, ratio=Decimal(ratio),
                           status=LoanFiling.Status.CLAIMED, **extra)
    claim = ClaimFactory(filing=filing, base=Decimal(base), status=Claim.Status.PAID)
    Payment.objects.create(claim=claim, amount=claim.compensation, paid_on=paid_on,
                           reference=f"PAY-{claim.pk}", paid_by=payer)
    return Claim.objects.get(pk=claim.pk)


def codes(exc) -> set[str]:  # type: ignore[no-untyped-def]
    return {str(c) for c in exc.value.codes}


def field_codes(exc) -> dict[str, list[str | None]]:  # type: ignore[no-untyped-def]
    err: ValidationError = exc.value
    if hasattr(err, "error_dict"):
        return {k: [e.code for e in v] for k, v in err.error_dict.items()}
    return {"__all__": [e.code for e in err.error_list]}


def access_objects(world) -> dict[type, set[int]]:  # type: ignore[no-untyped-def]
    """For tests/test_access.py: one of every bank-side record with a file for each bank's
    claim; returns the ids that belong to bank A."""
    own: dict[type, set[int]] = {m: set() for m in (ClaimDocument, Recovery, ReturnPayment,
                                                    WriteOff, RecoveryStatement)}
    for key in ("claim_a", "claim_b"):
        claim = world[key]
        user = claim.created_by
        doc = ClaimDocument(claim=claim, kind=ClaimDocument.Kind.APPLICATION,
                            original_name="申请表.pdf", content_type="application/pdf",
                            size=len(PDF_BYTES), sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
                            uploaded_by=user)
        doc.file.save("a.pdf", ContentFile(PDF_BYTES), save=False)
        doc.save()
        recovery = Recovery.objects.create(
            claim=claim, recovered_on=date(2026, 10, 1), amount=Decimal("100.00"),
            notified_on=date(2026, 10, 9), return_amount=Decimal("30.00"), reported_by=user)
        ret = ReturnPayment(recovery=recovery, amount=Decimal("30.00"),
                            returned_on=date(2026, 10, 12), reference=f"RET-{claim.pk}",
                            recorded_by=user)
        ret.reconciliation_statement.save("r.pdf", ContentFile(PDF_BYTES), save=False)
        ret.save()
        write_off = WriteOff(claim=claim, ground=WriteOff.Ground.BANKRUPTCY,
                             amount=Decimal("1.00"), applied_by=user, applied_at=timezone.now())
        write_off.ruling.save("w.pdf", ContentFile(PDF_BYTES), save=False)
        write_off.internal_approval.save("i.pdf", ContentFile(PDF_BYTES), save=False)
        write_off.save()
        statement = RecoveryStatement(claim=claim, year=2026, text="催收中", submitted_by=user,
                                      submitted_at=timezone.now())
        statement.document.save("s.pdf", ContentFile(PDF_BYTES), save=False)
        statement.save()
        if key == "claim_a":
            for obj in (doc, recovery, ret, write_off, statement):
                own[type(obj)].add(obj.pk)
    return own


# --- Claim ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_claim_submit_computes_figures_and_stores_documents(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a)
    claim = services.claim_submit(filing=filing, base=Decimal("800000.00"),
                                  documents=documents(), actor=officer_a)
    assert claim.number == "小微补偿-2026-0001"
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.ratio == Decimal("0.3000")
    assert claim.compensation == Decimal("240000.00")
    assert claim.deadline == date(2028, 4, 15)  # maturity 2027-04-15 + 12 months
    assert claim.classification_date == date(2026, 10, 8)
    assert claim.bank == bank_a and claim.scheme == "MICRO"
    docs = list(claim.documents.all())
    assert sorted(d.kind for d in docs) == sorted(REQUIRED_DOCUMENTS)
    for d in docs:
        assert d.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
        assert d.content_type == "application/pdf" and d.size == len(PDF_BYTES)
        assert d.file.read() == PDF_BYTES
        assert d.uploaded_by == officer_a
    change = ClaimStatusChange.objects.get(claim=claim)
    assert (change.from_status, change.to_status, change.actor) == ("", "submitted", officer_a)
    filing.refresh_from_db()
    assert filing.status == LoanFiling.Status.CLAIMED


@pytest.mark.django_db
def test_claim_numbers_run_per_scheme_and_year(bank_a, officer_a):
    first = services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                                  documents=documents(), actor=officer_a)
    second = services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                                   documents=documents(), actor=officer_a)
    tech = services.claim_submit(filing=tech_filing(bank_a, officer_a), base=Decimal("1000"),
                                 documents=documents(), actor=officer_a)
    assert (first.number, second.number, tech.number) == (
        "小微补偿-2026-0001", "小微补偿-2026-0002", "科创补偿-2026-0001")


@pytest.mark.django_db
def test_tech_risk_sharing_claim_uses_the_capped_filing_ratio(bank_a, officer_a):
    filing = tech_filing(bank_a, officer_a, loan_type="risk_sharing", ratio=Decimal("0.20"),
                         amount=Decimal("10000000.00"), bank_risk_share_percent=Decimal("30"))
    claim = services.claim_submit(filing=filing, base=Decimal("10000000.00"),
                                  documents=documents(), actor=officer_a)
    assert claim.compensation == Decimal("2000000.00")


@pytest.mark.django_db
def test_claim_refused_when_loan_is_not_npl(bank_a, officer_a):
    unclassified = FilingFactory(bank=bank_a, filed_by=officer_a)
    with pytest.raises(Refusal) as exc:
        services.claim_submit(filing=unclassified, base=Decimal("1000"), documents=documents(),
                              actor=officer_a)
    assert codes(exc) == {"NOT_NPL"}
    normal = FilingFactory(bank=bank_a, filed_by=officer_a)
    classify(normal, officer_a, "special_mention")
    with pytest.raises(Refusal) as exc:
        services.claim_submit(filing=normal, base=Decimal("1000"), documents=documents(),
                              actor=officer_a)
    assert codes(exc) == {"NOT_NPL"}
    assert "关注" in str(exc.value.message)
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_claim_refused_when_npl_before_filing(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a, classified_on=date(2026, 7, 1))  # filed 2026-07-10
    with pytest.raises(Refusal) as exc:
        services.claim_submit(filing=filing, base=Decimal("1000"), documents=documents(),
                              actor=officer_a)
    assert codes(exc) == {"NPL_BEFORE_FILING"}
    assert "2026-07-01" in str(exc.value.message)


@pytest.mark.django_db
def test_claim_refused_when_npl_before_filing_even_if_cured_since(bank_a, officer_a):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a)
    classify(filing, officer_a, "doubtful", date(2026, 7, 1))
    classify(filing, officer_a, "normal", date(2026, 8, 1))
    classify(filing, officer_a, "loss", date(2026, 10, 1))
    with pytest.raises(Refusal) as exc:
        services.claim_submit(filing=filing, base=Decimal("1000"), documents=documents(),
                              actor=officer_a)
    assert codes(exc) == {"NPL_BEFORE_FILING"}


def test_npl_history_reads_the_current_spell():
    class R:
        def __init__(self, pk, c, d):  # type: ignore[no-untyped-def]
            self.pk, self.classification, self.classified_on = pk, c, d

    accepted = date(2026, 7, 10)
    reports = [R(3, "loss", date(2026, 11, 1)), R(1, "normal", date(2026, 8, 1)),
               R(2, "substandard", date(2026, 9, 1))]
    assert npl_history(reports, accepted) == ("loss", date(2026, 9, 1), False)
    reports.append(R(4, "normal", date(2026, 11, 10)))
    assert npl_history(reports, accepted) == ("normal", None, False)
    assert npl_history([R(1, "doubtful", date(2026, 7, 9))], accepted)[2] is True
    assert npl_history([R(1, "doubtful", date(2026, 7, 10))], accepted)[2] is False  # same day
    assert npl_history([], accepted) == (None, None, False)


@pytest.mark.django_db
def test_claim_refused_when_late(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a, drawdown_date=date(2025, 7, 1),
                        maturity_date=date(2025, 10, 1), filed_on=date(2025, 7, 10),
                        quarter="2025Q3", classified_on=date(2025, 12, 1))
    with pytest.raises(Refusal) as exc:
        services.claim_submit(filing=filing, base=Decimal("1000"), documents=documents(),
                              actor=officer_a)
    assert codes(exc) == {"CLAIM_LATE"}
    assert "2026-10-01" in str(exc.value.message)


@pytest.mark.django_db
def test_claim_refused_while_bank_suspended(bank_a, officer_a):
    SuspensionState.objects.create(bank=bank_a, scheme="MICRO", is_manually_suspended=True,
                                   manual_reason="追偿不力")
    with pytest.raises(Refusal) as exc:
        services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                              documents=documents(), actor=officer_a)
    assert codes(exc) == {"BANK_SUSPENDED"}
    # Suspension in the other scheme does not matter.
    SuspensionState.objects.filter(bank=bank_a).update(scheme="TECH")
    services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                          documents=documents(), actor=officer_a)


@pytest.mark.django_db
def test_claim_refused_when_the_loan_already_has_an_open_claim(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a)
    first = services.claim_submit(filing=filing, base=Decimal("1000"), documents=documents(),
                                  actor=officer_a)
    with pytest.raises(Refusal) as exc:
        services.claim_submit(filing=filing, base=Decimal("1000"), documents=documents(),
                              actor=officer_a)
    assert codes(exc) == {"DUPLICATE"}
    assert first.number in str(exc.value.message)


@pytest.mark.django_db
def test_a_rejected_claim_may_be_followed_by_a_new_one(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a)
    ClaimFactory(filing=filing, status=Claim.Status.REJECTED)
    claim = services.claim_submit(filing=filing, base=Decimal("1000"), documents=documents(),
                                  actor=officer_a)
    assert claim.status == Claim.Status.SUBMITTED


@pytest.mark.django_db
def test_duplicate_caught_by_the_database_constraint_too(bank_a, officer_a, monkeypatch):
    filing = npl_filing(bank_a, officer_a)
    existing = ClaimFactory(filing=filing)
    real = filing_services.claim_check

    def blind(**kw):  # type: ignore[no-untyped-def]
        # As if the open claim were committed after our check (a race).
        return replace(real(**kw), refusals=(), open_claim=None)

    monkeypatch.setattr(filing_services, "claim_check", blind)
    with pytest.raises(Refusal) as exc:
        services.claim_submit(filing=filing, base=Decimal("1000"), documents=documents(),
                              actor=officer_a)
    assert codes(exc) == {"DUPLICATE"}
    assert existing.number in str(exc.value.message)
    assert Claim.objects.filter(filing=filing).count() == 1
    assert not ClaimDocument.objects.exists()


@pytest.mark.django_db
def test_several_refusals_are_given_at_once(bank_a, officer_a):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a, drawdown_date=date(2025, 7, 1),
                           maturity_date=date(2025, 10, 1), filed_on=date(2025, 7, 10))
    SuspensionState.objects.create(bank=bank_a, scheme="MICRO", is_auto_suspended=True)
    with pytest.raises(Refusal) as exc:
        services.claim_submit(filing=filing, base=Decimal("1000"), documents=documents(),
                              actor=officer_a)
    assert codes(exc) == {"NOT_NPL", "CLAIM_LATE", "BANK_SUSPENDED"}


@pytest.mark.django_db
@pytest.mark.parametrize("base", ["1000000.01", "0", "-5"])
def test_claim_base_must_be_positive_and_within_outstanding(bank_a, officer_a, base):
    filing = npl_filing(bank_a, officer_a)  # outstanding 1,000,000.00
    with pytest.raises(ValidationError) as exc:
        services.claim_submit(filing=filing, base=Decimal(base), documents=documents(),
                              actor=officer_a)
    assert "base" in field_codes(exc)
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_claim_base_above_outstanding_says_so(bank_a, officer_a):
    with pytest.raises(ValidationError) as exc:
        services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("2000000"),
                              documents=documents(), actor=officer_a)
    assert field_codes(exc) == {"base": ["base_above_outstanding"]}
    assert "1,000,000.00" in exc.value.messages[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "upload", "code"), [
    ("collection", None, "upload_missing"),
    ("contract_iou", pdf("合同.pdf", TEXT_BYTES), "upload_type"),
    ("application", pdf("申请表.pdf", EXE_BYTES), "upload_type"),
    ("commitment", SimpleUploadedFile("承诺函.exe", EXE_BYTES), "upload_type"),
])
def test_claim_documents_must_all_be_there_and_be_pdf_or_images(bank_a, officer_a, kind, upload,
                                                                code):
    with pytest.raises(ValidationError) as exc:
        services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                              documents=documents(**{kind: upload}), actor=officer_a)
    assert field_codes(exc) == {kind: [code]}
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_claim_documents_oversize_refused(bank_a, officer_a, settings):
    settings.RISKCOMP_MAX_UPLOAD_BYTES = 1024
    big = pdf("big.pdf", PDF_BYTES + bytes(2048))
    with pytest.raises(ValidationError) as exc:
        services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                              documents=documents(credit_report=big), actor=officer_a)
    assert field_codes(exc) == {"credit_report": ["upload_too_large"]}


@pytest.mark.django_db
def test_claim_accepts_png_scans(bank_a, officer_a):
    png = SimpleUploadedFile("scan.png", PNG_BYTES, content_type="image/png")
    claim = services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                                  documents=documents(collection=png), actor=officer_a)
    doc = claim.documents.get(kind="collection")
    assert doc.content_type == "image/png" and doc.file.name.endswith(".png")
    assert doc.original_name == "scan.png"


@pytest.mark.django_db
def test_claim_refused_on_a_written_off_loan(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a, status=LoanFiling.Status.CLOSED)
    with pytest.raises(ValidationError) as exc:
        services.claim_submit(filing=filing, base=Decimal("1000"), documents=documents(),
                              actor=officer_a)
    assert field_codes(exc) == {"__all__": ["filing_closed"]}


# --- Supplements ------------------------------------------------------------------------------

def _supplement_requested(claim, reviewer):  # type: ignore[no-untyped-def]
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.SUPPLEMENT_REQUESTED)
    return SupplementRequest.objects.create(claim=claim, message="请补充最新征信报告",
                                            requested_by=reviewer,
                                            requested_at=timezone.now())


@pytest.mark.django_db
def test_answering_supplements_resubmits_the_claim(bank_a, officer_a, reviewer):
    claim = services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                                  documents=documents(), actor=officer_a)
    request = _supplement_requested(claim, reviewer)
    services.claim_resubmit(claim=claim, answer="已补充2026年11月征信报告",
                            documents=[pdf("征信.pdf")], actor=officer_a)
    claim.refresh_from_db()
    request.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert request.answer == "已补充2026年11月征信报告" and request.answered_by == officer_a
    assert request.answered_at is not None
    assert claim.documents.filter(kind=ClaimDocument.Kind.SUPPLEMENT).count() == 1
    last = claim.status_changes.order_by("-id").first()
    assert (last.from_status, last.to_status) == ("supplement", "submitted")


@pytest.mark.django_db
def test_resubmission_needs_an_open_request_and_an_answer(bank_a, officer_a, reviewer):
    claim = services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                                  documents=documents(), actor=officer_a)
    with pytest.raises(ValidationError) as exc:
        services.claim_resubmit(claim=claim, answer="x", actor=officer_a)
    assert field_codes(exc) == {"__all__": ["wrong_state"]}
    _supplement_requested(claim, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.claim_resubmit(claim=claim, answer="  ", actor=officer_a)
    assert "answer" in field_codes(exc)
    with pytest.raises(ValidationError) as exc:
        services.claim_resubmit(claim=claim, answer="见附件",
                                documents=[pdf("x.pdf", TEXT_BYTES)], actor=officer_a)
    assert field_codes(exc) == {"documents": ["upload_type"]}
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUPPLEMENT_REQUESTED


# --- Recovery ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_recovery_computes_return_and_deadlines(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer)  # paid 240,000.00 at 30%
    recovery = services.recovery_report(claim=claim, recovered_on=date(2026, 11, 2),
                                        amount=Decimal("100000.00"),
                                        notified_on=date(2026, 11, 5), actor=officer_a)
    assert recovery.return_amount == Decimal("30000.00")
    ctx = policy_context()
    params = choose_version(ctx.params, Scheme.MICRO, claim.filing.drawdown_date,
                            recorded=claim.filing.policy_version).params
    assert recovery.notice_deadline == recovery_notice_deadline(date(2026, 11, 2), params,
                                                                ctx.calendar)
    assert recovery.return_deadline == return_deadline(date(2026, 11, 5), params, ctx.calendar)
    assert recovery.return_deadline == date(2026, 11, 19)
    assert recovery.reported_by == officer_a


@pytest.mark.django_db
def test_recovery_notice_date_defaults_to_today(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer)
    recovery = services.recovery_report(claim=claim, recovered_on=date(2026, 11, 2),
                                        amount=Decimal("10.00"), actor=officer_a)
    assert recovery.notified_on == TODAY


@pytest.mark.django_db
def test_total_returns_never_exceed_what_was_paid(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer, base="100000.00")  # paid 30,000.00
    first = services.recovery_report(claim=claim, recovered_on=date(2026, 11, 2),
                                     amount=Decimal("90000.00"), actor=officer_a)
    second = services.recovery_report(claim=claim, recovered_on=date(2026, 11, 3),
                                      amount=Decimal("90000.00"), actor=officer_a)
    third = services.recovery_report(claim=claim, recovered_on=date(2026, 11, 4),
                                     amount=Decimal("5.00"), actor=officer_a)
    assert (first.return_amount, second.return_amount, third.return_amount) == (
        Decimal("27000.00"), Decimal("3000.00"), Decimal("0.00"))


@pytest.mark.django_db
def test_recovery_in_an_unknown_calendar_year_stores_no_deadline(bank_a, officer_a, reviewer,
                                                                  monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 29))
    claim = paid_claim(bank_a, officer_a, reviewer)
    recovery = services.recovery_report(claim=claim, recovered_on=date(2026, 12, 21),
                                        amount=Decimal("1000.00"), actor=officer_a)
    assert recovery.notice_deadline is None and recovery.return_deadline is None
    assert recovery.return_amount == Decimal("300.00")


@pytest.mark.django_db
def test_recovery_refused_for_an_unpaid_claim(bank_a, officer_a):
    claim = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a))
    with pytest.raises(ValidationError) as exc:
        services.recovery_report(claim=claim, recovered_on=date(2026, 11, 2),
                                 amount=Decimal("10"), actor=officer_a)
    assert field_codes(exc) == {"__all__": ["wrong_state"]}
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.PAID)  # PAID, no payment row
    with pytest.raises(ValidationError) as exc:
        services.recovery_report(claim=claim, recovered_on=date(2026, 11, 2),
                                 amount=Decimal("10"), actor=officer_a)
    assert field_codes(exc) == {"__all__": ["not_paid"]}


@pytest.mark.django_db
@pytest.mark.parametrize(("recovered_on", "amount", "notified_on", "field", "code"), [
    (date(2026, 10, 19), "10", None, "recovered_on", "recovered_before_payment"),
    (date(2026, 11, 21), "10", None, "recovered_on", "date_in_future"),
    (date(2026, 11, 2), "0", None, "amount", "money_not_positive"),
    (date(2026, 11, 2), "10.001", None, "amount", "money_precision"),
    (date(2026, 11, 2), "10", date(2026, 11, 1), "notified_on", "notice_before_recovery"),
])
def test_recovery_refusals(bank_a, officer_a, reviewer, recovered_on, amount, notified_on,
                           field, code):
    claim = paid_claim(bank_a, officer_a, reviewer)  # paid on 2026-10-20
    with pytest.raises(ValidationError) as exc:
        services.recovery_report(claim=claim, recovered_on=recovered_on, amount=Decimal(amount),
                                 notified_on=notified_on, actor=officer_a)
    assert field_codes(exc) == {field: [code]}
    assert not Recovery.objects.exists()


# --- Return -----------------------------------------------------------------------------------

def _recovery(claim, officer, amount="100000.00"):  # type: ignore[no-untyped-def]
    return services.recovery_report(claim=claim, recovered_on=date(2026, 11, 2),
                                    amount=Decimal(amount), notified_on=date(2026, 11, 5),
                                    actor=officer)


@pytest.mark.django_db
def test_return_recorded_for_micro(bank_a, officer_a, reviewer, django_capture_on_commit_callbacks):
    recovery = _recovery(paid_claim(bank_a, officer_a, reviewer), officer_a)
    with django_capture_on_commit_callbacks() as callbacks:
        ret = services.return_record(recovery=recovery, amount=Decimal("30000.00"),
                                     returned_on=date(2026, 11, 10), reference="FH-0001",
                                     actor=officer_a)
    assert ret.amount == Decimal("30000.00") and ret.recorded_by == officer_a
    assert ret.received_at is None  # the custodian confirms receipt later
    assert len(callbacks) == 1  # suspension recomputed once the return is committed


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["29999.99", "30000.01", "15000.00"])
def test_return_amount_must_be_the_computed_one(bank_a, officer_a, reviewer, amount):
    recovery = _recovery(paid_claim(bank_a, officer_a, reviewer), officer_a)
    with pytest.raises(ValidationError) as exc:
        services.return_record(recovery=recovery, amount=Decimal(amount),
                               returned_on=date(2026, 11, 10), reference="FH-0001",
                               actor=officer_a)
    assert field_codes(exc) == {"amount": ["return_amount_wrong"]}
    assert "30,000.00" in exc.value.messages[0]


@pytest.mark.django_db
def test_tech_return_needs_the_reconciliation_statement(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer, scheme="TECH", ratio="0.50")
    recovery = _recovery(claim, officer_a)  # returns 50,000.00
    kwargs = {"recovery": recovery, "amount": Decimal("50000.00"),
              "returned_on": date(2026, 11, 10), "reference": "FH-T-1", "actor": officer_a}
    with pytest.raises(ValidationError) as exc:
        services.return_record(**kwargs)
    assert field_codes(exc) == {"reconciliation_statement": ["statement_missing"]}
    with pytest.raises(ValidationError) as exc:
        services.return_record(reconciliation_statement=pdf("对账单.pdf", TEXT_BYTES), **kwargs)
    assert field_codes(exc) == {"reconciliation_statement": ["upload_type"]}
    ret = services.return_record(reconciliation_statement=pdf("对账单.pdf"), **kwargs)
    assert ret.reconciliation_statement.read() == PDF_BYTES


@pytest.mark.django_db
def test_one_return_per_recovery_and_unique_reference(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer)
    first, second = _recovery(claim, officer_a, "1000.00"), _recovery(claim, officer_a, "1000.00")
    services.return_record(recovery=first, amount=Decimal("300.00"),
                           returned_on=date(2026, 11, 10), reference="FH-1", actor=officer_a)
    with pytest.raises(ValidationError) as exc:
        services.return_record(recovery=first, amount=Decimal("300.00"),
                               returned_on=date(2026, 11, 10), reference="FH-2", actor=officer_a)
    assert field_codes(exc) == {"__all__": ["already_returned"]}
    with pytest.raises(ValidationError) as exc:
        services.return_record(recovery=second, amount=Decimal("300.00"),
                               returned_on=date(2026, 11, 10), reference="FH-1", actor=officer_a)
    assert field_codes(exc) == {"reference": ["reference_taken"]}


@pytest.mark.django_db
def test_return_dates_and_nothing_to_return(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer, base="1000.00")  # paid 300.00
    recovery = _recovery(claim, officer_a, "1000.00")  # returns 300.00: all that was paid
    with pytest.raises(ValidationError) as exc:
        services.return_record(recovery=recovery, amount=Decimal("300.00"),
                               returned_on=date(2026, 11, 1), reference="FH-1", actor=officer_a)
    assert field_codes(exc) == {"returned_on": ["returned_before_recovery"]}
    with pytest.raises(ValidationError) as exc:
        services.return_record(recovery=recovery, amount=Decimal("300.00"),
                               returned_on=date(2026, 11, 21), reference="FH-1", actor=officer_a)
    assert field_codes(exc) == {"returned_on": ["date_in_future"]}
    nothing = _recovery(claim, officer_a, "50.00")
    assert nothing.return_amount == Decimal("0.00")
    with pytest.raises(ValidationError) as exc:
        services.return_record(recovery=nothing, amount=Decimal("15.00"),
                               returned_on=date(2026, 11, 10), reference="FH-2", actor=officer_a)
    assert field_codes(exc) == {"__all__": ["nothing_to_return"]}


# --- Write-off --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_writeoff_amount_is_paid_minus_returned(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer)  # paid 240,000.00
    recovery = _recovery(claim, officer_a)
    services.return_record(recovery=recovery, amount=Decimal("30000.00"),
                           returned_on=date(2026, 11, 10), reference="FH-1", actor=officer_a)
    write_off = services.writeoff_apply(claim=claim, ground="bankruptcy", ruling=pdf("裁定.pdf"),
                                        internal_approval=pdf("审批.pdf"), actor=officer_a)
    assert write_off.amount == Decimal("210000.00")
    assert write_off.status == WriteOff.Status.APPLIED and write_off.applied_by == officer_a
    assert write_off.ruling.read() == PDF_BYTES
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID  # written off only when the bureau confirms


@pytest.mark.django_db
def test_writeoff_of_an_unpaid_claim_is_refused(bank_a, officer_a):
    claim = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a),
                         status=Claim.Status.CONFIRMED)
    with pytest.raises(ValidationError) as exc:
        services.writeoff_apply(claim=claim, ground="bankruptcy", ruling=pdf(),
                                internal_approval=pdf(), actor=officer_a)
    assert field_codes(exc) == {"__all__": ["wrong_state"]}


@pytest.mark.django_db
def test_tech_writeoff_needs_the_application_letter(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer, scheme="TECH", ratio="0.50")
    with pytest.raises(ValidationError) as exc:
        services.writeoff_apply(claim=claim, ground="enforcement_terminated", ruling=pdf(),
                                internal_approval=pdf(), actor=officer_a)
    assert field_codes(exc) == {"application_letter": ["upload_missing"]}
    write_off = services.writeoff_apply(claim=claim, ground="enforcement_terminated",
                                        ruling=pdf(), internal_approval=pdf(),
                                        application_letter=pdf(), actor=officer_a)
    assert write_off.application_letter


@pytest.mark.django_db
def test_writeoff_refusals(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.writeoff_apply(claim=claim, ground="whim", ruling=pdf(),
                                internal_approval=pdf(), actor=officer_a)
    assert field_codes(exc) == {"ground": ["ground"]}
    with pytest.raises(ValidationError) as exc:
        services.writeoff_apply(claim=claim, ground="bankruptcy", ruling=pdf("x.pdf", EXE_BYTES),
                                internal_approval=None, actor=officer_a)
    assert field_codes(exc) == {"ruling": ["upload_type"], "internal_approval": ["upload_missing"]}
    recovery = _recovery(claim, officer_a)
    with pytest.raises(ValidationError) as exc:
        services.writeoff_apply(claim=claim, ground="bankruptcy", ruling=pdf(),
                                internal_approval=pdf(), actor=officer_a)
    assert field_codes(exc) == {"__all__": ["unreturned_recovery"]}
    services.return_record(recovery=recovery, amount=Decimal("30000.00"),
                           returned_on=date(2026, 11, 10), reference="FH-1", actor=officer_a)
    services.writeoff_apply(claim=claim, ground="bankruptcy", ruling=pdf(),
                            internal_approval=pdf(), actor=officer_a)
    with pytest.raises(ValidationError) as exc:
        services.writeoff_apply(claim=claim, ground="bankruptcy", ruling=pdf(),
                                internal_approval=pdf(), actor=officer_a)
    assert field_codes(exc) == {"__all__": ["writeoff_open"]}


# --- Yearly statement -------------------------------------------------------------------------

@pytest.mark.django_db
def test_statement_once_per_claim_and_year(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer)
    statement = services.statement_submit(claim=claim, year=2026, text="已起诉，查封房产一处",
                                          document=pdf("说明.pdf"), actor=officer_a)
    assert statement.year == 2026 and statement.document.read() == PDF_BYTES
    with pytest.raises(ValidationError) as exc:
        services.statement_submit(claim=claim, year=2026, text="again", actor=officer_a)
    assert field_codes(exc) == {"year": ["statement_exists"]}


@pytest.mark.django_db
def test_statement_refusals(bank_a, officer_a, reviewer):
    unpaid = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a))
    with pytest.raises(ValidationError) as exc:
        services.statement_submit(claim=unpaid, year=2026, text="x", actor=officer_a)
    assert field_codes(exc) == {"__all__": ["wrong_state"]}
    claim = paid_claim(bank_a, officer_a, reviewer)
    for year in (2025, 2027):
        with pytest.raises(ValidationError) as exc:
            services.statement_submit(claim=claim, year=year, text="x", actor=officer_a)
        assert field_codes(exc) == {"year": ["year_range"]}
    with pytest.raises(ValidationError) as exc:
        services.statement_submit(claim=claim, year=2026, text=" ", actor=officer_a)
    assert field_codes(exc) == {"text": ["text_missing"]}


@pytest.mark.django_db
def test_written_off_claims_still_state_their_recovery(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer)
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.WRITTEN_OFF)
    claim.refresh_from_db()
    assert services.statement_submit(claim=claim, year=2026, text="x", actor=officer_a).pk


# --- Overdue ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_overdue_recoveries_of_the_officers_banks(bank_a, bank_b, officer_a, officer_b,
                                                  reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer)
    late = services.recovery_report(claim=claim, recovered_on=date(2026, 10, 21),
                                    amount=Decimal("100.00"), notified_on=date(2026, 10, 22),
                                    actor=officer_a)  # return due 2026-11-05
    on_time = services.recovery_report(claim=claim, recovered_on=date(2026, 11, 18),
                                       amount=Decimal("100.00"), actor=officer_a)
    returned = services.recovery_report(claim=claim, recovered_on=date(2026, 10, 21),
                                        amount=Decimal("100.00"),
                                        notified_on=date(2026, 10, 22), actor=officer_a)
    services.return_record(recovery=returned, amount=Decimal("30.00"),
                           returned_on=date(2026, 11, 4), reference="FH-9", actor=officer_a)
    noticed_late = services.recovery_report(claim=claim, recovered_on=date(2026, 10, 21),
                                            amount=Decimal("100.00"), actor=officer_a)
    returned_late = services.recovery_report(claim=claim, recovered_on=date(2026, 10, 21),
                                             amount=Decimal("100.00"),
                                             notified_on=date(2026, 10, 22), actor=officer_a)
    services.return_record(recovery=returned_late, amount=Decimal("30.00"),
                           returned_on=date(2026, 11, 10), reference="FH-10", actor=officer_a)
    other = paid_claim(bank_b, officer_b, reviewer)
    services.recovery_report(claim=other, recovered_on=date(2026, 10, 21),
                             amount=Decimal("100.00"), notified_on=date(2026, 10, 22),
                             actor=officer_b)
    overdue = set(recoveries_overdue_for(user=officer_a).values_list("pk", flat=True))
    assert overdue == {late.pk, noticed_late.pk}
    flags = {r.pk: (r.is_overdue, r.is_notice_late, r.is_returned_late)
             for r in recovery_list_for(user=officer_a)}
    assert flags[on_time.pk] == (False, False, False)
    assert flags[returned.pk] == (False, False, False)
    assert flags[noticed_late.pk] == (True, True, False)
    assert flags[returned_late.pk] == (False, False, True)  # late, but no longer outstanding
    assert len(flags) == 5  # bank B's recovery is not the officer's business
    assert len(recoveries_overdue_for(user=reviewer)) == 3


# --- Screens ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_claim_page_explains_refusals_before_any_form(bank_a, officer_a):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a)
    page = client_for(officer_a).get(reverse("claims:claim_create", args=[filing.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert reason_label("NOT_NPL") in text and "NOT_NPL" not in text and "不能申报补偿" in text
    assert 'name="application"' not in text


@pytest.mark.django_db
def test_claim_form_shows_base_ratio_compensation_deadline_and_documents(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a)
    text = client_for(officer_a).get(
        reverse("claims:claim_create", args=[filing.pk])).content.decode()
    assert "¥1,000,000.00" in text and "30%" in text and "¥300,000.00" in text
    assert "2028-04-15" in text
    for name in REQUIRED_DOCUMENTS:
        assert f'name="{name}"' in text
    assert "data-confirm" in text and 'enctype="multipart/form-data"' in text


@pytest.mark.django_db
def test_compensation_is_recomputed_as_the_base_is_typed(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a)
    part = client_for(officer_a).get(reverse("claims:claim_create", args=[filing.pk]),
                                     {"base": "500000"}, HTTP_HX_REQUEST="true")
    assert "¥150,000.00" in part.content.decode()
    assert "<html" not in part.content.decode()


def _claim_post(**over):  # type: ignore[no-untyped-def]
    data = {"base": "800000.00", **{k: pdf(f"{k}.pdf") for k in REQUIRED_DOCUMENTS}}
    data.update(over)
    return data


@pytest.mark.django_db
def test_officer_submits_a_claim_through_the_form(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a)
    client = client_for(officer_a)
    response = client.post(reverse("claims:claim_create", args=[filing.pk]), _claim_post())
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:claim_detail", args=[claim.pk])
    assert claim.documents.count() == 5
    detail = client.get(response["Location"]).content.decode()
    assert claim.number in detail and "提交申报" in detail and "¥240,000.00" in detail
    assert reverse("claims:document_download", args=[claim.documents.first().pk]) in detail


@pytest.mark.django_db
def test_claim_form_shows_document_and_base_errors(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a)
    client = client_for(officer_a)
    url = reverse("claims:claim_create", args=[filing.pk])
    text = client.post(url, _claim_post(collection=pdf("催收.pdf", TEXT_BYTES))).content.decode()
    assert "PDF、PNG 或 JPEG" in text
    text = client.post(url, _claim_post(base="1000000.01")).content.decode()
    assert "不能超过该笔贷款当前本金余额" in text
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_claim_form_lists_refusals_with_codes_after_submit(bank_a, officer_a, monkeypatch):
    filing = npl_filing(bank_a, officer_a)
    client = client_for(officer_a)
    url = reverse("claims:claim_create", args=[filing.pk])
    assert 'name="application"' in client.get(url).content.decode()
    SuspensionState.objects.create(bank=bank_a, scheme="MICRO", is_manually_suspended=True)
    text = client.post(url, _claim_post()).content.decode()
    assert reason_label("BANK_SUSPENDED") in text and "京技管发〔2025〕12号第八条" in text
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_supplement_answer_on_the_claim_page(bank_a, officer_a, reviewer):
    claim = services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                                  documents=documents(), actor=officer_a)
    _supplement_requested(claim, reviewer)
    client = client_for(officer_a)
    detail = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert "请补充最新征信报告" in detail and 'name="answer"' in detail
    response = client.post(reverse("claims:claim_resubmit", args=[claim.pk]),
                           {"answer": "已补充", "documents": [pdf("a.pdf"), pdf("b.pdf")]})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.documents.filter(kind="supplement").count() == 2
    # Not offered to the reviewer, and nothing to answer any more.
    text = client_for(reviewer).get(reverse("claims:claim_detail", args=[claim.pk]))
    assert 'name="answer"' not in text.content.decode()
    again = client.get(reverse("claims:claim_resubmit", args=[claim.pk]))
    assert again.status_code == 302


@pytest.mark.django_db
def test_recovery_return_writeoff_and_statement_forms(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer)
    client = client_for(officer_a)
    detail_url = reverse("claims:claim_detail", args=[claim.pk])
    assert client.get(reverse("claims:recovery_create", args=[claim.pk])).status_code == 200
    response = client.post(reverse("claims:recovery_create", args=[claim.pk]), {
        "recovered_on": "2026-11-02", "amount": "100000.00", "notified_on": "2026-11-05"})
    assert response.status_code == 302
    recovery = Recovery.objects.get()
    followed = client.get(detail_url).content.decode()
    assert "应返还 ¥30,000.00" in followed and "2026-11-19" in followed

    url = reverse("claims:return_create", args=[recovery.pk])
    assert "30000.00" in client.get(url).content.decode()
    bad = client.post(url, {"amount": "20000.00", "returned_on": "2026-11-10",
                            "reference": "FH-1"})
    assert bad.status_code == 200 and "30,000.00" in bad.content.decode()
    good = client.post(url, {"amount": "30000.00", "returned_on": "2026-11-10",
                             "reference": "FH-1"})
    assert good.status_code == 302 and ReturnPayment.objects.get().reference == "FH-1"

    url = reverse("claims:writeoff_create", args=[claim.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"ground": "bankruptcy", "ruling": pdf("r.pdf"),
                                 "internal_approval": pdf("i.pdf")})
    assert response.status_code == 302
    assert WriteOff.objects.get().amount == Decimal("210000.00")

    url = reverse("claims:statement_create", args=[claim.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"year": "2026", "text": "持续催收"})
    assert response.status_code == 302

    page = client.get(detail_url).content.decode()
    for seen in ("报送回收", "登记返还", "申请核销", "报送2026年度追偿情况说明", "FH-1",
                 "持续催收", "210,000.00"):
        assert seen in page, seen


@pytest.mark.django_db
def test_tech_return_form_requires_the_statement(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer, scheme="TECH", ratio="0.50")
    recovery = _recovery(claim, officer_a)
    url = reverse("claims:return_create", args=[recovery.pk])
    client = client_for(officer_a)
    response = client.post(url, {"amount": "50000.00", "returned_on": "2026-11-10",
                                 "reference": "FH-T"})
    assert response.status_code == 200 and not ReturnPayment.objects.exists()
    response = client.post(url, {"amount": "50000.00", "returned_on": "2026-11-10",
                                 "reference": "FH-T", "reconciliation_statement": pdf()})
    assert response.status_code == 302
    ret = ReturnPayment.objects.get()
    download = client.get(reverse("claims:return_statement_download", args=[ret.pk]))
    assert download["Content-Disposition"].startswith("attachment")


@pytest.mark.django_db
def test_actions_on_an_unpaid_claim_redirect_with_a_message(bank_a, officer_a):
    claim = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a))
    client = client_for(officer_a)
    for name in ("recovery_create", "writeoff_create", "statement_create", "claim_resubmit"):
        response = client.get(reverse(f"claims:{name}", args=[claim.pk]))
        assert response.status_code == 302, name


WRITE_URLS = ("claim_resubmit", "recovery_create", "writeoff_create", "statement_create")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["reviewer", "approver", "auditor", "admin_user_"])
def test_write_screens_are_the_bank_officers(request, bank_a, officer_a, role):
    user = request.getfixturevalue(role)
    claim = paid_claim(bank_a, officer_a, user if role != "auditor" else officer_a)
    recovery = _recovery(claim, officer_a)
    client = client_for(user)
    urls = [reverse(f"claims:{n}", args=[claim.pk]) for n in WRITE_URLS]
    urls += [reverse("claims:claim_create", args=[claim.filing_id]),
             reverse("claims:return_create", args=[recovery.pk])]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url
    # They read: the claim, the lists, the documents.
    assert client.get(reverse("claims:claim_detail", args=[claim.pk])).status_code == 200
    assert client.get(reverse("claims:recovery_list")).status_code == 200


@pytest.mark.django_db
def test_documents_are_downloaded_as_attachments_by_those_who_may_see_them(
        bank_a, officer_a, officer_b, auditor):
    claim = services.claim_submit(filing=npl_filing(bank_a, officer_a), base=Decimal("1000"),
                                  documents=documents(), actor=officer_a)
    doc = claim.documents.get(kind="application")
    url = reverse("claims:document_download", args=[doc.pk])
    for user in (officer_a, auditor):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert "application.pdf" in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == PDF_BYTES
    assert client_for(officer_b).get(url).status_code == 404


@pytest.mark.django_db
def test_recovery_list_marks_overdue_rows_in_red_and_filters(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer)
    services.recovery_report(claim=claim, recovered_on=date(2026, 10, 21),
                             amount=Decimal("100.00"), notified_on=date(2026, 10, 22),
                             actor=officer_a)
    services.recovery_report(claim=claim, recovered_on=date(2026, 11, 18),
                             amount=Decimal("200.00"), actor=officer_a)
    client = client_for(officer_a)
    url = reverse("claims:recovery_list")
    text = client.get(url).content.decode()
    assert text.count('class="overdue"') == 1
    overdue = client.get(url, {"state": "overdue"}).content.decode()
    assert "共 1 条" in overdue and "100.00" in overdue
    assert "共 0 条" in client.get(url, {"state": "returned"}).content.decode()
    assert "共 2 条" in client.get(url, {"q": claim.number}).content.decode()
    assert "共 0 条" in client.get(url, {"scheme": "TECH"}).content.decode()
    assert "共 2 条" in client.get(url, {"quarter": "2026Q2"}).content.decode()
    assert client.get(url, {"sort": "-due"}).status_code == 200


def _sheet(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response["Content-Disposition"].startswith("attachment")
    return openpyxl.load_workbook(BytesIO(response.content)).active


@pytest.mark.django_db
def test_claim_export_keeps_the_filters_and_writes_formulas_as_text(bank_a, officer_a, bank_b,
                                                                     officer_b, reviewer):
    evil = paid_claim(bank_a, officer_a, reviewer, enterprise_name="=1+1")
    ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a, scheme="TECH",
                                      ratio=Decimal("0.50")))
    ClaimFactory(filing=FilingFactory(bank=bank_b, filed_by=officer_b))
    client = client_for(officer_a)
    ws = _sheet(client.get(reverse("claims:claim_list"), {"export": "xlsx"}))
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == 2  # bank B's claim is not exported
    ws = _sheet(client.get(reverse("claims:claim_list"), {"export": "xlsx", "scheme": "MICRO"}))
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == 1
    cell = rows[0][header.index("借款企业")]
    assert cell.value == "=1+1" and cell.data_type == "s"
    assert rows[0][header.index("申报编号")].value == evil.number
    assert rows[0][header.index("补偿金额（元）")].value == 240000


@pytest.mark.django_db
def test_recovery_export_opens_in_openpyxl(bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer, enterprise_name="+cmd|' /C calc'!A0")
    recovery = _recovery(claim, officer_a)
    services.return_record(recovery=recovery, amount=Decimal("30000.00"),
                           returned_on=date(2026, 11, 10), reference="=HYPERLINK(\"x\")",
                           actor=officer_a)
    ws = _sheet(client_for(officer_a).get(reverse("claims:recovery_list"),
                                          {"export": "xlsx", "state": "returned"}))
    header = [c.value for c in ws[1]]
    row = next(ws.iter_rows(min_row=2))
    assert row[header.index("借款企业")].value.startswith("+cmd")
    assert row[header.index("借款企业")].data_type == "s"
    assert row[header.index("返还流水号")].value == "=HYPERLINK(\"x\")"
    assert row[header.index("返还流水号")].data_type == "s"
    assert row[header.index("应返还金额（元）")].value == 30000


@pytest.mark.django_db
def test_claim_list_query_count_is_the_same_at_10_and_100_rows(
        bank_a, officer_a, django_assert_max_num_queries):
    client = client_for(officer_a)
    url = reverse("claims:claim_list")
    for _ in range(10):
        ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a))
    with django_assert_max_num_queries(20) as ten:
        assert client.get(url, {"per_page": 100}).status_code == 200
    for _ in range(90):
        ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a))
    with django_assert_max_num_queries(len(ten.captured_queries)) as hundred:
        page = client.get(url, {"per_page": 100})
    assert "共 100 条" in page.content.decode()
    assert len(hundred.captured_queries) == len(ten.captured_queries)


@pytest.mark.django_db
def test_recovery_list_query_count_is_the_same_at_10_and_100_rows(
        bank_a, officer_a, reviewer, django_assert_max_num_queries):
    client = client_for(officer_a)
    url = reverse("claims:recovery_list")

    def add(n: int) -> None:
        for i in range(n):
            claim = paid_claim(bank_a, officer_a, reviewer)
            Recovery.objects.create(claim=claim, recovered_on=date(2026, 11, 2),
                                    amount=Decimal("100.00"), notified_on=date(2026, 11, 5),
                                    return_amount=Decimal("30.00"), reported_by=officer_a,
                                    return_deadline=date(2026, 11, 19) - timedelta(days=i % 2))

    add(10)
    with django_assert_max_num_queries(20) as ten:
        assert client.get(url, {"per_page": 100}).status_code == 200
    add(90)
    with django_assert_max_num_queries(len(ten.captured_queries)) as hundred:
        page = client.get(url, {"per_page": 100})
    assert "共 100 条" in page.content.decode()
    assert len(hundred.captured_queries) == len(ten.captured_queries)


@pytest.mark.django_db
def test_claim_detail_query_count_does_not_grow_with_history(
        bank_a, officer_a, reviewer, django_assert_max_num_queries):
    claim = paid_claim(bank_a, officer_a, reviewer)
    client = client_for(officer_a)
    url = reverse("claims:claim_detail", args=[claim.pk])
    _recovery(claim, officer_a, "10.00")
    with django_assert_max_num_queries(30) as one:
        client.get(url)
    for _ in range(5):
        recovery = _recovery(claim, officer_a, "10.00")
        ReturnPayment.objects.create(recovery=recovery, amount=Decimal("3.00"),
                                     returned_on=date(2026, 11, 10),
                                     reference=f"FH-{recovery.pk}", recorded_by=officer_a)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(url)

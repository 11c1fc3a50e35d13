"""Write-offs after the bank's application: the custodian forwards or rejects, the bureau
confirms (claim closed, net loss booked in the ledger with no cash) or rejects, in writing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import Claim, Payment, Recovery, ReturnPayment, WriteOff
from fund.models import LedgerEntry
from loans.models import LoanFiling

from .conftest import client_for
from .factories import ClaimFactory, FilingFactory
from .test_uploads import PDF_BYTES

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def scan(name: str = "确认函.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def applied(bank, officer, payer, *, scheme="MICRO", base="800000.00",  # type: ignore[no-untyped-def]
            returned: str | None = None) -> WriteOff:
    """A paid claim (with an optional recovery already returned) and its write-off
    application, as the bank's ``writeoff_apply`` leaves it."""
    ratio = Decimal("0.50") if scheme == "TECH" else Decimal("0.30")
    filing = FilingFactory.create(bank=bank, filed_by=officer, scheme=scheme, ratio=ratio,
                           status=LoanFiling.Status.CLAIMED)
    claim = ClaimFactory.create(filing=filing, base=Decimal(base), status=Claim.Status.PAID)
    payment = Payment.objects.create(claim=claim, amount=claim.compensation,
                                     paid_on=TODAY - timedelta(days=200),
                                     reference=f"PAY-{claim.pk}", paid_by=payer)
    if returned is not None:
        recovery = Recovery.objects.create(
            claim=claim, recovered_on=TODAY - timedelta(days=100),
            amount=Decimal(returned) / ratio, notified_on=TODAY - timedelta(days=95),
            return_amount=Decimal(returned), reported_by=officer)
        ReturnPayment.objects.create(recovery=recovery, amount=Decimal(returned),
                                     returned_on=TODAY - timedelta(days=90),
                                     reference=f"RET-{claim.pk}", recorded_by=officer)
    write_off = WriteOff(claim=claim, ground=WriteOff.Ground.ENFORCEMENT_TERMINATED,
                         amount=payment.amount - Decimal(returned or "0"), applied_by=officer,
                         applied_at=timezone.now() - timedelta(days=10))
    write_off.ruling.save("r.pdf", ContentFile(PDF_BYTES), save=False)
    write_off.internal_approval.save("i.pdf", ContentFile(PDF_BYTES), save=False)
    write_off.save()
    return write_off


def forwarded(bank, officer, payer, reviewer, **kw) -> WriteOff:  # type: ignore[no-untyped-def]
    return services.writeoff_forward(write_off=applied(bank, officer, payer, **kw),
                                     note="裁定书与内部审批齐全", actor=reviewer)


def field_codes(exc) -> dict[str, list[str | None]]:  # type: ignore[no-untyped-def]
    err: ValidationError = exc.value
    if hasattr(err, "error_dict"):
        return {k: [e.code for e in v] for k, v in err.error_dict.items()}
    return {"__all__": [e.code for e in err.error_list]}


# --- The custodian -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_reviewer_forwards_an_application_with_a_history_row(bank_a, officer_a, reviewer):
    write_off = forwarded(bank_a, officer_a, reviewer, reviewer)
    write_off.refresh_from_db()
    assert write_off.status == WriteOff.Status.FORWARDED
    assert write_off.reviewed_by == reviewer and write_off.reviewed_at is not None
    assert write_off.review_note == "裁定书与内部审批齐全"
    change = write_off.status_changes.get()
    assert (change.from_status, change.to_status, change.actor) == ("applied", "forwarded",
                                                                    reviewer)
    assert Claim.objects.get(pk=write_off.claim_id).status == Claim.Status.PAID


@pytest.mark.django_db
def test_reviewer_rejects_with_a_reason_and_the_bank_may_apply_again(bank_a, officer_a,
                                                                     reviewer):
    write_off = applied(bank_a, officer_a, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.writeoff_reject(write_off=write_off, reason=" ", actor=reviewer)
    assert field_codes(exc) == {"reason": ["reason_missing"]}
    services.writeoff_reject(write_off=write_off, reason="裁定书非终结执行裁定", actor=reviewer)
    write_off.refresh_from_db()
    assert write_off.status == WriteOff.Status.REJECTED
    assert write_off.status_changes.get().note == "裁定书非终结执行裁定"
    # The one-open-write-off constraint ignores rejected ones: a new application is possible.
    again = WriteOff(claim=write_off.claim, ground=WriteOff.Ground.BANKRUPTCY,
                     amount=write_off.amount, applied_by=officer_a, applied_at=timezone.now())
    again.save()


@pytest.mark.django_db
def test_review_happens_once(bank_a, officer_a, reviewer):
    write_off = forwarded(bank_a, officer_a, reviewer, reviewer)
    for call in (lambda: services.writeoff_forward(write_off=write_off, actor=reviewer),
                 lambda: services.writeoff_reject(write_off=write_off, reason="x",
                                                  actor=reviewer)):
        with pytest.raises(ValidationError) as exc:
            call()
        assert field_codes(exc) == {"__all__": ["wrong_state"]}
    assert write_off.status_changes.count() == 1


@pytest.mark.django_db
def test_an_unreturned_recovery_holds_the_write_off(bank_a, officer_a, reviewer):
    write_off = applied(bank_a, officer_a, reviewer)
    Recovery.objects.create(claim=write_off.claim, recovered_on=TODAY - timedelta(days=3),
                            amount=Decimal("1000.00"), notified_on=TODAY,
                            return_amount=Decimal("300.00"), reported_by=officer_a)
    with pytest.raises(ValidationError) as exc:
        services.writeoff_forward(write_off=write_off, actor=reviewer)
    assert field_codes(exc) == {"__all__": ["unreturned_recovery"]}


# --- The bureau ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_bureau_confirms_closes_the_claim_and_books_the_net_loss(bank_a, officer_a, reviewer,
                                                                 approver):
    write_off = forwarded(bank_a, officer_a, reviewer, reviewer, returned="40000.00")
    confirmed = services.writeoff_confirm(write_off=write_off, number="京技财核〔2026〕3号",
                                          date=TODAY, document=scan(), actor=approver)
    assert confirmed.status == WriteOff.Status.CONFIRMED
    assert confirmed.amount == Decimal("200000.00")  # paid 240,000 − returned 40,000
    assert confirmed.document_number == "京技财核〔2026〕3号" and confirmed.document_date == TODAY
    assert confirmed.decided_by == approver and confirmed.document.read().startswith(b"%PDF")
    claim = Claim.objects.get(pk=write_off.claim_id)
    assert claim.status == Claim.Status.WRITTEN_OFF
    last = claim.status_changes.order_by("-id").first()
    assert (last.from_status, last.to_status, last.actor) == ("paid", "written_off", approver)
    entry = LedgerEntry.objects.get(write_off=confirmed)
    assert entry.kind == LedgerEntry.Kind.WRITE_OFF
    assert entry.amount == Decimal("0.00") and entry.loss_amount == Decimal("200000.00")
    assert (entry.claim, entry.bank, entry.scheme) == (claim, bank_a, "MICRO")
    assert entry.booked_on == TODAY and entry.reference == "京技财核〔2026〕3号"
    assert [c.to_status for c in confirmed.status_changes.all()] == ["forwarded", "confirmed"]


@pytest.mark.django_db
def test_bureau_confirmation_needs_the_written_document(bank_a, officer_a, reviewer, approver):
    write_off = forwarded(bank_a, officer_a, reviewer, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.writeoff_confirm(write_off=write_off, number="", date=None, document=None,
                                  actor=approver)
    assert field_codes(exc) == {"number": ["number_missing"], "date": ["date_missing"],
                                "document": ["upload_missing"]}
    with pytest.raises(ValidationError) as exc:
        services.writeoff_confirm(write_off=write_off, number="3号",
                                  date=date(2020, 1, 1), document=scan(), actor=approver)
    assert field_codes(exc) == {"date": ["date_too_early"]}  # before the application
    write_off.refresh_from_db()
    assert write_off.status == WriteOff.Status.FORWARDED
    assert not LedgerEntry.objects.exists()
    assert Claim.objects.get(pk=write_off.claim_id).status == Claim.Status.PAID


@pytest.mark.django_db
def test_bureau_decides_only_forwarded_applications(bank_a, officer_a, reviewer, approver):
    write_off = applied(bank_a, officer_a, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.writeoff_confirm(write_off=write_off, number="3号", date=TODAY,
                                  document=scan(), actor=approver)
    assert field_codes(exc) == {"__all__": ["wrong_state"]}
    forwarded_ = services.writeoff_forward(write_off=write_off, actor=reviewer)
    services.writeoff_confirm(write_off=forwarded_, number="3号", date=TODAY, document=scan(),
                              actor=approver)
    with pytest.raises(ValidationError):
        services.writeoff_bureau_reject(write_off=forwarded_, number="4号", date=TODAY,
                                        document=scan(), reason="x", actor=approver)
    assert LedgerEntry.objects.count() == 1


@pytest.mark.django_db
def test_bureau_rejects_in_writing_and_the_claim_stays_paid(bank_a, officer_a, reviewer,
                                                            approver):
    write_off = forwarded(bank_a, officer_a, reviewer, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.writeoff_bureau_reject(write_off=write_off, number="4号", date=TODAY,
                                        document=scan(), reason="", actor=approver)
    assert field_codes(exc) == {"reason": ["reason_missing"]}
    services.writeoff_bureau_reject(write_off=write_off, number="4号", date=TODAY,
                                    document=scan(), reason="追偿尚未穷尽", actor=approver)
    write_off.refresh_from_db()
    assert write_off.status == WriteOff.Status.REJECTED
    assert write_off.decision_note == "追偿尚未穷尽" and write_off.document_number == "4号"
    assert Claim.objects.get(pk=write_off.claim_id).status == Claim.Status.PAID
    assert not LedgerEntry.objects.exists()


# --- Screens -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_review_page_forward_and_bureau_confirm_through_the_screens(bank_a, officer_a,
                                                                    reviewer, approver):
    write_off = applied(bank_a, officer_a, reviewer)
    client = client_for(reviewer)
    page = client.get(reverse("claims:writeoff_detail", args=[write_off.pk]))
    html = page.content.decode()
    assert "报送财政确认" in html and "field=ruling" in html and "<iframe" in html
    ruling = client.get(reverse("claims:writeoff_file", args=[write_off.pk]),
                        {"field": "internal_approval"})
    assert ruling.status_code == 200 and ruling["Content-Type"] == "application/pdf"
    assert ruling["Content-Disposition"].startswith("inline")
    assert ruling["X-Frame-Options"] == "SAMEORIGIN"
    response = client.post(reverse("claims:writeoff_forward", args=[write_off.pk]),
                           {"note": "齐全"})
    assert response.status_code == 302
    assert WriteOff.objects.get(pk=write_off.pk).status == WriteOff.Status.FORWARDED

    approver_client = client_for(approver)
    queue = approver_client.get(reverse("claims:approver_queue")).content.decode()
    assert write_off.claim.number in queue
    url = reverse("claims:writeoff_decide", args=[write_off.pk])
    missing = approver_client.post(url, {"decision": "confirmed", "number": "3号",
                                         "date": TODAY.isoformat()})
    assert missing.status_code == 200
    assert WriteOff.objects.get(pk=write_off.pk).status == WriteOff.Status.FORWARDED
    done = approver_client.post(url, {"decision": "confirmed", "number": "3号",
                                      "date": TODAY.isoformat(), "document": scan()})
    assert done.status_code == 302
    assert WriteOff.objects.get(pk=write_off.pk).status == WriteOff.Status.CONFIRMED
    listing = approver_client.get(reverse("claims:writeoff_list"), {"status": "confirmed"})
    assert write_off.claim.number in listing.content.decode()


@pytest.mark.django_db
def test_wrong_roles_get_403_and_bank_officers_see_nothing(bank_a, officer_a, reviewer,
                                                           approver, auditor):
    write_off = applied(bank_a, officer_a, reviewer)
    forward = reverse("claims:writeoff_forward", args=[write_off.pk])
    reject = reverse("claims:writeoff_reject", args=[write_off.pk])
    decide = reverse("claims:writeoff_decide", args=[write_off.pk])
    for user in (approver, auditor, officer_a):
        client = client_for(user)
        assert client.post(forward, {"note": "x"}).status_code == 403
        assert client.post(reject, {"reason": "x"}).status_code == 403
    for user in (reviewer, auditor, officer_a):
        assert client_for(user).post(decide, {"decision": "confirmed"}).status_code == 403
    officer = client_for(officer_a)
    for url in (reverse("claims:writeoff_list"),
                reverse("claims:writeoff_detail", args=[write_off.pk]),
                reverse("claims:writeoff_file", args=[write_off.pk])):
        assert officer.get(url).status_code == 403, url
    assert WriteOff.objects.get(pk=write_off.pk).status == WriteOff.Status.APPLIED
    assert client_for(auditor).get(reverse("claims:writeoff_detail", args=[write_off.pk])) \
        .status_code == 200

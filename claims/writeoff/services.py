"""Writes of a write-off (核销) after the bank's application: the custodian reviews it and
forwards or rejects it, the finance bureau confirms or rejects it in writing (MICRO Art. 17,
TECH Art. 18). A confirmed write-off closes the claim and books its net loss (paid minus
returned) in the ledger; it moves no money (RULES.md "The fund")."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fund.models import LedgerEntry

from ..models import Claim, WriteOff, WriteOffStatusChange
from ..selectors import claim_has_unreturned_recovery, claim_returned_total
from .common import invalid, locked_claim, payment_of, require_status, store_upload, transition
from .proposal import WrittenDecision, written_decision


def _locked(write_off: WriteOff) -> WriteOff:
    return (WriteOff.objects.select_for_update(of=("self",)).select_related("claim")
            .get(pk=write_off.pk))


def _require(write_off: WriteOff, status: str, message: str) -> None:
    if write_off.status != status:
        raise invalid(None, message % {"s": write_off.get_status_display()}, "wrong_state")


def _step(write_off: WriteOff, to: str, *, actor: Any, now: datetime, note: str) -> None:
    """Move the write-off on and write its history row."""
    WriteOffStatusChange.objects.create(write_off=write_off, from_status=write_off.status,
                                        to_status=to, note=note, actor=actor, changed_at=now)
    write_off.status = to


def _record_decision(write_off: WriteOff, to: str, written: WrittenDecision, note: str, *,
                     actor: Any, now: datetime, fields: tuple[str, ...] = ()) -> None:
    """The bureau's written decision on the application (confirmed or not), with its history
    row; ``fields`` names what the caller set besides."""
    _step(write_off, to, actor=actor, now=now, note=f"{written.number} {note}".strip())
    write_off.document_number = written.number
    write_off.document_date = written.date
    write_off.decision_note = note
    write_off.decided_by = actor
    write_off.decided_at = now
    store_upload(write_off.document, written.document)
    write_off.save(update_fields=["status", *fields, "document_number", "document_date",
                                  "document", "decision_note", "decided_by", "decided_at"])


def _refuse_unreturned(claim: Claim) -> None:
    # A recovery reported after the application changes the net loss: its return comes first.
    if claim_has_unreturned_recovery(claim):
        raise invalid(None, _("该申报有尚未登记返还的回收款，须先完成返还再办理核销。"),
                      "unreturned_recovery")


# --- The custodian ------------------------------------------------------------------------------

@transaction.atomic
def writeoff_forward(*, write_off: WriteOff, note: str = "", actor: Any,
                     now: datetime | None = None) -> WriteOff:
    """The custodian has reviewed the application (ruling, internal approval) and forwards it
    to the bureau for confirmation."""
    now = now or timezone.now()
    write_off = _locked(write_off)
    _require(write_off, WriteOff.Status.APPLIED,
             _("核销申请当前状态为“%(s)s”，不能再报送财政确认。"))
    _refuse_unreturned(write_off.claim)
    note = (note or "").strip()
    _step(write_off, WriteOff.Status.FORWARDED, actor=actor, now=now, note=note)
    write_off.reviewed_by = actor
    write_off.reviewed_at = now
    write_off.review_note = note
    write_off.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    return write_off


@transaction.atomic
def writeoff_reject(*, write_off: WriteOff, reason: str, actor: Any,
                    now: datetime | None = None) -> WriteOff:
    """The custodian does not accept the application (e.g. the ruling does not terminate
    enforcement); the bank may apply again."""
    now = now or timezone.now()
    write_off = _locked(write_off)
    _require(write_off, WriteOff.Status.APPLIED,
             _("核销申请当前状态为“%(s)s”，不能由托管机构退回。"))
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("请填写不予核销的理由。"), "reason_missing")
    _step(write_off, WriteOff.Status.REJECTED, actor=actor, now=now, note=reason)
    write_off.reviewed_by = actor
    write_off.reviewed_at = now
    write_off.review_note = reason
    write_off.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    return write_off


# --- The bureau ---------------------------------------------------------------------------------

def _applied_on(write_off: WriteOff) -> date:
    return timezone.localtime(write_off.applied_at).date()


@transaction.atomic
def writeoff_confirm(*, write_off: WriteOff, number: str, date: date | None,
                     document: UploadedFile | None, note: str = "", actor: Any,
                     now: datetime | None = None) -> WriteOff:
    """The bureau confirms the write-off in writing: the write-off → CONFIRMED, the claim →
    WRITTEN_OFF (closed), and a ledger entry of the write-off kind carrying the net loss
    (paid minus returned, taken again now) with no cash amount."""
    now = now or timezone.now()
    write_off = _locked(write_off)
    _require(write_off, WriteOff.Status.FORWARDED,
             _("核销申请当前状态为“%(s)s”，不在待财政确认状态。"))
    written = written_decision(number=number, date_=date, document=document,
                               not_before=_applied_on(write_off))
    claim = locked_claim(write_off.claim)
    require_status(claim, (Claim.Status.PAID,),
                   _("申报当前状态为“%(s)s”，只有已拨付补偿的申报才能核销。"))
    _refuse_unreturned(claim)
    payment = payment_of(claim)
    loss = max(Decimal("0.00"), payment.amount - claim_returned_total(claim))
    write_off.amount = loss
    _record_decision(write_off, WriteOff.Status.CONFIRMED, written, (note or "").strip(),
                     actor=actor, now=now, fields=("amount",))
    transition(claim, Claim.Status.WRITTEN_OFF, actor=actor, now=now,
               note=_("财政确认核销：%(n)s") % {"n": written.number})
    LedgerEntry.objects.create(
        kind=LedgerEntry.Kind.WRITE_OFF, amount=Decimal("0.00"), loss_amount=loss,
        booked_on=written.date, scheme=claim.scheme, bank_id=claim.bank_id, claim=claim,
        write_off=write_off, reference=written.number, created_by=actor,
        memo=(_("核销 %(n)s（%(g)s），确认损失 ¥%(a)s")
              % {"n": claim.number, "g": write_off.get_ground_display(),
                 "a": f"{loss:,.2f}"})[:200],
    )
    return write_off


@transaction.atomic
def writeoff_bureau_reject(*, write_off: WriteOff, number: str, date: date | None,
                           document: UploadedFile | None, reason: str, actor: Any,
                           now: datetime | None = None) -> WriteOff:
    """The bureau does not confirm the write-off, in writing with its reason; the claim stays
    paid and the bank may apply again."""
    now = now or timezone.now()
    write_off = _locked(write_off)
    _require(write_off, WriteOff.Status.FORWARDED,
             _("核销申请当前状态为“%(s)s”，不在待财政确认状态。"))
    written = written_decision(number=number, date_=date, document=document,
                               not_before=_applied_on(write_off), reason_text=reason or "")
    _record_decision(write_off, WriteOff.Status.REJECTED, written, reason.strip(), actor=actor,
                     now=now)
    return write_off

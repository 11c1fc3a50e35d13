"""Writes of a write-off (核销) after the bank's application: the custodian reviews it and
forwards or rejects it, the finance bureau confirms or rejects it in writing (MICRO Art. 17,
TECH Art. 18). A confirmed write-off closes the claim and books its net loss (paid minus
returned) in the ledger; it moves no money (RULES.md "The fund")."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fund.models import LedgerEntry
from riskcomp.policy.types import Scheme
from riskcomp.uploads import CheckedUpload, check_upload
from riskcomp.validation import invalid

from ..common.services import locked_claim, payment_of, require_status, store_upload, transition
from ..models import Claim, WriteOff, WriteOffStatusChange
from ..payment.selectors import claim_has_unreturned_recovery, claim_returned_total
from ..proposal.services import WrittenDecision, written_decision


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


@transaction.atomic
def writeoff_apply(*, claim: Claim, ground: str, ruling: UploadedFile | None,
                   internal_approval: UploadedFile | None,
                   application_letter: UploadedFile | None = None, actor: Any,
                   now: datetime | None = None) -> WriteOff:
    """Apply to write off a compensated claim after bankruptcy liquidation or a ruling that
    terminates enforcement, with the ruling and the bank's internal approval (TECH: and the
    application letter). The amount is the claim's net loss: paid minus returned."""
    now = now or timezone.now()
    claim = locked_claim(claim)
    require_status(claim, (Claim.Status.PAID,),
                    _("申报当前状态为“%(s)s”，只有已拨付补偿的申报才能申请核销。"))
    payment = payment_of(claim)
    if ground not in WriteOff.Ground.values:
        raise invalid("ground", _("请选择核销依据：破产清算或终结执行裁定。"), "ground")
    if WriteOff.objects.filter(claim=claim).exclude(status=WriteOff.Status.REJECTED).exists():
        raise invalid(None, _("该申报已有办理中的核销申请。"), "writeoff_open")
    if claim_has_unreturned_recovery(claim):
        raise invalid(None, _("该申报有尚未登记返还的回收款，请先完成返还再申请核销。"),
                       "unreturned_recovery")
    errors: dict[str, list[ValidationError]] = {}
    files: dict[str, CheckedUpload] = {}
    wanted = {"ruling": (ruling, _("法院裁定书")),
              "internal_approval": (internal_approval, _("银行内部核销审批"))}
    if application_letter is not None or claim.scheme == Scheme.TECH:
        wanted["application_letter"] = (application_letter, _("核销申请函"))
    for field, (upload, label) in wanted.items():
        if upload is None:
            message = _("请上传%(doc)s。") % {"doc": label}
            if field == "application_letter":
                message = _("科技创新类贷款核销须附核销申请函（科创方案第十八条）。")
            errors[field] = [ValidationError(message, code="upload_missing")]
            continue
        try:
            files[field] = check_upload(upload, label=str(label))
        except ValidationError as exc:
            errors[field] = exc.error_list
    if errors:
        raise ValidationError(errors)
    write_off = WriteOff(claim=claim, ground=ground, applied_by=actor, applied_at=now,
                         amount=max(Decimal("0.00"), payment.amount - claim_returned_total(claim)),
                         status=WriteOff.Status.APPLIED)
    for field, checked in files.items():
        store_upload(getattr(write_off, field), checked)
    try:
        with transaction.atomic():
            write_off.save()
    except IntegrityError as exc:
        for field in files:
            getattr(write_off, field).delete(save=False)
        raise invalid(None, _("该申报已有办理中的核销申请。"), "writeoff_open") from exc
    return write_off

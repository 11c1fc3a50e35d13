"""Primitives every claim service shares: the transition along the pipeline with its history
row, the row lock, money and upload checks. Errors are Django ``ValidationError`` with a Chinese
message, keyed by the form field where there is one."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from riskcomp.audit import audit_context
from riskcomp.uploads import CheckedUpload, check_upload
from riskcomp.validation import invalid, money

from ..models import Claim, ClaimStatusChange, Payment


def transition(claim: Claim, to: str, *, actor: Any, now: datetime, note: str = "") -> None:
    """Move ``claim`` (locked by the caller) along the pipeline and write the history row."""
    if to not in Claim.TRANSITIONS.get(claim.status, ()):
        raise invalid(None, _("申报当前状态为“%(s)s”，不能执行该操作。")
                       % {"s": claim.get_status_display()}, "wrong_state")
    with audit_context(actor=actor, reason=note):  # the note is the change's "why" in the trail
        ClaimStatusChange.objects.create(claim=claim, from_status=claim.status, to_status=to,
                                         note=note, actor=actor, changed_at=now)
        claim.status = to
        claim.save(update_fields=["status", "updated_at"])


def require_status(claim: Claim, allowed: Sequence[str], message: str) -> None:
    if claim.status not in allowed:
        raise invalid(None, message % {"s": claim.get_status_display()}, "wrong_state")


def locked_claim(claim: Claim) -> Claim:
    return (Claim.objects.select_for_update(of=("self",)).select_related("filing")
            .get(pk=claim.pk))


def payment_of(claim: Claim) -> Payment:
    try:
        return claim.payment
    except Payment.DoesNotExist as exc:
        raise invalid(None, _("该申报尚未拨付补偿资金。"), "not_paid") from exc


def store_upload(field: FieldFile, checked: CheckedUpload) -> None:
    field.save(checked.stored_name(), checked.file, save=False)


def checked_upload(upload: UploadedFile | None, field: str, label: str) -> CheckedUpload:
    try:
        return check_upload(upload, label=label)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc


__all__ = ["checked_upload", "invalid", "locked_claim", "money", "payment_of", "require_status",
           "store_upload", "transition"]

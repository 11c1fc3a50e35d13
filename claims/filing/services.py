"""Writes of the bank's claim (补偿申报): file it, and answer a request for supplements.

One function per state change, keyword-only with ``actor=``, atomic, locking the row it changes.
Refusals the rules give (RULES.md "Reason codes") raise ``Refusal``/``PolicyError``; input that
breaks no rule of the policies but is plainly wrong (an amount, a date, a missing document, an
action in the wrong state) raises Django's ``ValidationError`` with a Chinese message, keyed by
the form field where there is one, so that views show it next to that field.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from fund.selectors import policy_context
from loans.models import LoanFiling
from riskcomp.policy.compensation import compensation_amount
from riskcomp.policy.context import PolicyContext
from riskcomp.policy.reasons import Refusal, reason
from riskcomp.policy.types import ReasonCode, Scheme
from riskcomp.uploads import CheckedUpload, check_upload
from riskcomp.validation import invalid, money

from ..common.services import (
    locked_claim,
    require_status,
    store_upload,
    transition,
)
from ..models import (
    Claim,
    ClaimDocument,
    ClaimStatusChange,
    SupplementRequest,
)
from .selectors import claim_check

# The documents a claim comes with (MICRO Art. 13, TECH Art. 14).
REQUIRED_DOCUMENTS: tuple[str, ...] = (
    ClaimDocument.Kind.APPLICATION,
    ClaimDocument.Kind.CONTRACT_IOU,
    ClaimDocument.Kind.CREDIT_REPORT,
    ClaimDocument.Kind.COLLECTION,
    ClaimDocument.Kind.COMMITMENT,
)
# Numbers are read by officials: the scheme in words, not a code.
NUMBER_PREFIX = {Scheme.MICRO: "小微补偿", Scheme.TECH: "科创补偿"}
MAX_SUPPLEMENT_FILES = 10
_NUMBER_ATTEMPTS = 5


def _next_number(scheme: Scheme, year: int) -> str:
    """The next claim number of ``scheme`` in ``year``: 小微补偿-2026-0001, 科创补偿-2026-0001."""
    prefix = f"{NUMBER_PREFIX[scheme]}-{year}-"
    last = (Claim.objects.filter(number__startswith=prefix)
            .order_by(Length("number").desc(), "-number")
            .values_list("number", flat=True).first())
    seq = 1
    if last is not None:
        try:
            seq = int(last.rsplit("-", 1)[1]) + 1
        except ValueError:
            seq = Claim.objects.filter(number__startswith=prefix).count() + 1
    return f"{prefix}{seq:04d}"


# --- Claim ------------------------------------------------------------------------------------

@transaction.atomic
def claim_submit(*, filing: LoanFiling, base: Decimal,
                 documents: Mapping[str, UploadedFile | None], actor: Any,
                 now: datetime | None = None, ctx: PolicyContext | None = None) -> Claim:
    """Claim compensation for a non-performing filed loan (MICRO Art. 13, TECH Art. 14).

    Refuses with every reason the rules give (``Refusal``: NOT_NPL, NPL_BEFORE_FILING,
    CLAIM_LATE, BANK_SUSPENDED, DUPLICATE); a base above the loan's outstanding principal or a
    missing or unacceptable document is a ``ValidationError``.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    ctx = ctx or policy_context()
    filing = LoanFiling.objects.select_for_update().get(pk=filing.pk)
    if filing.status not in LoanFiling.CLAIMABLE_STATUSES:
        raise invalid(None, _("该笔贷款状态为“%(s)s”，不能申报补偿。")
                       % {"s": filing.get_status_display()}, "filing_closed")
    check = claim_check(filing=filing, on=today, ctx=ctx)
    if check.refusals:
        raise Refusal(check.refusals)
    if check.classified_on is None or check.deadline is None:  # no refusal implies both
        raise Refusal([reason(ReasonCode.NOT_NPL, Scheme(filing.scheme))])

    base = money(base, "base")
    if base > filing.outstanding_principal:
        raise invalid("base", _("申报基数¥%(base)s超过该笔贷款当前本金余额¥%(out)s。")
                       % {"base": f"{base:,.2f}", "out": f"{filing.outstanding_principal:,.2f}"},
                       "base_above_outstanding")
    unknown = set(documents) - set(REQUIRED_DOCUMENTS)
    if unknown:
        raise invalid(None, _("不支持的材料类型：%(k)s。") % {"k": _("、").join(sorted(unknown))},
                       "document_kind")
    labels = dict(ClaimDocument.Kind.choices)
    errors: dict[str, list[ValidationError]] = {}
    checked: dict[str, CheckedUpload] = {}
    for kind in REQUIRED_DOCUMENTS:
        label = str(labels[kind])
        upload = documents.get(kind)
        if upload is None:
            errors[kind] = [ValidationError(_("请上传%(doc)s。") % {"doc": label},
                                            code="upload_missing")]
            continue
        try:
            checked[kind] = check_upload(upload, label=label)
        except ValidationError as exc:
            errors[kind] = exc.error_list
    if errors:
        raise ValidationError(errors)

    scheme = Scheme(filing.scheme)
    claim: Claim | None = None
    for _attempt in range(_NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    number=_next_number(scheme, today.year), filing=filing,
                    bank_id=filing.bank_id, scheme=scheme, base=base, ratio=filing.ratio,
                    # TECH risk-sharing: the filing's ratio is already min(bank share, 20%).
                    compensation=compensation_amount(base, filing.ratio),
                    classification_date=check.classified_on, deadline=check.deadline,
                    status=Claim.Status.SUBMITTED, submitted_at=now, created_by=actor,
                )
            break
        except IntegrityError as exc:
            # The filing is locked, so an open claim here was committed by a request that
            # overtook ours (the one_open_claim_per_filing constraint); otherwise the number
            # was taken by a claim on another loan, and the next one is tried.
            other = (Claim.objects.filter(filing=filing)
                     .exclude(status__in=Claim.CLOSED_STATUSES).first())
            if other is not None:
                raise Refusal([reason(ReasonCode.DUPLICATE, claim=other.number)]) from exc
    if claim is None:  # five numbers taken under our feet: not the user's doing
        raise RuntimeError("could not allocate a claim number")

    for kind in REQUIRED_DOCUMENTS:
        _document_create(claim=claim, kind=kind, checked=checked[kind], actor=actor)
    ClaimStatusChange.objects.create(claim=claim, from_status="", to_status=claim.status,
                                     actor=actor, changed_at=now)
    if filing.status != LoanFiling.Status.CLAIMED:
        filing.status = LoanFiling.Status.CLAIMED
        filing.save(update_fields=["status"])
    return claim


def _document_create(*, claim: Claim, kind: str, checked: CheckedUpload,
                     actor: Any) -> ClaimDocument:
    doc = ClaimDocument(claim=claim, kind=kind, original_name=checked.original_name,
                        content_type=checked.content_type, size=checked.size,
                        sha256=checked.sha256, uploaded_by=actor)
    store_upload(doc.file, checked)
    doc.save()
    return doc


@transaction.atomic
def claim_resubmit(*, claim: Claim, answer: str, documents: Sequence[UploadedFile] = (),
                   actor: Any, now: datetime | None = None) -> Claim:
    """Answer the custodian's request for supplements (补充材料) and resubmit the claim: the
    answer goes on the open request, the files become SUPPLEMENT documents, the claim goes back
    to SUBMITTED."""
    now = now or timezone.now()
    claim = locked_claim(claim)
    require_status(claim, (Claim.Status.SUPPLEMENT_REQUESTED,),
                    _("申报当前状态为“%(s)s”，没有待答复的补充材料要求。"))
    answer = (answer or "").strip()
    if not answer:
        raise invalid("answer", _("请填写对补充材料要求的答复。"), "answer_missing")
    if len(documents) > MAX_SUPPLEMENT_FILES:
        raise invalid("documents", _("一次最多上传%(n)d个文件。") % {"n": MAX_SUPPLEMENT_FILES},
                       "too_many_files")
    request = (SupplementRequest.objects.select_for_update()
               .filter(claim=claim, answered_at__isnull=True).order_by("-requested_at").first())
    if request is None:
        raise invalid(None, _("没有找到待答复的补充材料要求。"), "no_open_request")
    label = str(ClaimDocument.Kind.SUPPLEMENT.label)
    checked: list[CheckedUpload] = []
    errors: list[ValidationError] = []
    for upload in documents:
        try:
            checked.append(check_upload(upload, label=label))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError({"documents": errors})
    request.answer = answer
    request.answered_by = actor
    request.answered_at = now
    request.save(update_fields=["answer", "answered_by", "answered_at"])
    for item in checked:
        _document_create(claim=claim, kind=ClaimDocument.Kind.SUPPLEMENT, checked=item,
                         actor=actor)
    transition(claim, Claim.Status.SUBMITTED, actor=actor, now=now, note=answer)
    return claim

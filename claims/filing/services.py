"""Writes on claims from the bank's side: claim, answer a request for supplements, report a
recovery, record a return, apply for a write-off, state the year's recovery efforts.

One function per state change, keyword-only with ``actor=``, atomic, locking the row it changes.
Refusals the rules give (RULES.md "Reason codes") raise ``Refusal``/``PolicyError``; input that
breaks no rule of the policies but is plainly wrong (an amount, a date, a missing document, an
action in the wrong state) raises Django's ``ValidationError`` with a Chinese message, keyed by
the form field where there is one, so that views show it next to that field.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from fund.selectors import policy_context
from loans.models import LoanFiling
from riskcomp.policy.compensation import compensation_amount, return_amount
from riskcomp.policy.context import PolicyContext
from riskcomp.policy.deadlines import recovery_deadlines
from riskcomp.policy.params import choose_version
from riskcomp.policy.reasons import Refusal, reason
from riskcomp.policy.types import ReasonCode, Scheme
from riskcomp.uploads import CheckedUpload, check_upload

from ..models import (
    Claim,
    ClaimDocument,
    ClaimStatusChange,
    Recovery,
    RecoveryStatement,
    ReturnPayment,
    SupplementRequest,
    WriteOff,
)
from ..selectors import claim_check, claim_has_unreturned_recovery, claim_returned_total
from .common import (
    checked_upload,
    invalid,
    locked_claim,
    money,
    payment_of,
    require_status,
    store_upload,
    transition,
)

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
CLAIMABLE_FILING_STATUSES = (LoanFiling.Status.ACTIVE, LoanFiling.Status.CLAIMED)
COMPENSATED_STATUSES = (Claim.Status.PAID, Claim.Status.WRITTEN_OFF)


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
    if filing.status not in CLAIMABLE_FILING_STATUSES:
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


# --- Recovery and return (MICRO Art. 16, 18; TECH Art. 17, 19) -------------------------------

@transaction.atomic
def recovery_report(*, claim: Claim, recovered_on: date, amount: Decimal,
                    notified_on: date | None = None, actor: Any,
                    ctx: PolicyContext | None = None) -> Recovery:
    """Report money recovered after compensation. The portal computes what to return
    (recovered × the claim's ratio, never more in total than was paid) and the deadlines:
    notice within 20 working days of the recovery, return within 10 of the notice. A deadline
    in a year whose holiday schedule is unknown is stored empty (CALENDAR_UNKNOWN)."""
    today = timezone.localdate()
    ctx = ctx or policy_context()
    claim = locked_claim(claim)
    require_status(claim, (Claim.Status.PAID,),
                    _("申报当前状态为“%(s)s”，只有已拨付补偿的申报才能报送追偿回收。"))
    payment = payment_of(claim)
    amount = money(amount, "amount")
    if recovered_on > today:
        raise invalid("recovered_on", _("回收日期不能晚于今天。"), "date_in_future")
    if recovered_on < payment.paid_on:
        raise invalid("recovered_on", _("回收日期不能早于补偿拨付日期%(d)s。")
                       % {"d": payment.paid_on.isoformat()}, "recovered_before_payment")
    notified_on = notified_on or today
    if notified_on < recovered_on:
        raise invalid("notified_on", _("通知日期不能早于回收日期。"), "notice_before_recovery")
    if notified_on > today:
        raise invalid("notified_on", _("通知日期不能晚于今天。"), "date_in_future")
    before = Recovery.objects.filter(claim=claim).aggregate(s=Sum("return_amount"))["s"]
    due = return_amount(recovered=amount, ratio=claim.ratio, paid=payment.amount,
                        returned_before=before or Decimal("0.00"))
    # The deadlines of the version the filing recorded (MICRO Art. 18 / TECH Art. 19 as issued
    # when the loan was filed), not of whatever version is in force on the recovery date.
    choice = choose_version(ctx.params, Scheme(claim.scheme), claim.filing.drawdown_date,
                            recorded=claim.filing.policy_version)
    notice_by, return_by = (None, None) if choice is None else recovery_deadlines(
        recovered_on, notified_on, choice.params, ctx.calendar)
    return Recovery.objects.create(
        claim=claim, recovered_on=recovered_on, amount=amount, notified_on=notified_on,
        return_amount=due, notice_deadline=notice_by, return_deadline=return_by,
        reported_by=actor,
    )


@transaction.atomic
def return_record(*, recovery: Recovery, amount: Decimal, returned_on: date, reference: str,
                  reconciliation_statement: UploadedFile | None = None,
                  actor: Any) -> ReturnPayment:
    """Record that the bank returned a recovery's share to the fund account.

    The amount must be exactly the computed return (RULES: returned = recovered × ratio; one
    return per recovery, so a partial return would leave the rest nowhere to be recorded).
    TECH returns come with the reconciliation statement (返还对账单, TECH Art. 19).
    The custodian confirms the receipt later; the ledger is the custodian's side.
    """
    today = timezone.localdate()
    recovery = (Recovery.objects.select_for_update(of=("self",)).select_related("claim")
                .get(pk=recovery.pk))
    if ReturnPayment.objects.filter(recovery=recovery).exists():
        raise invalid(None, _("该笔回收已登记返还，不能重复登记。"), "already_returned")
    if recovery.return_amount <= 0:
        raise invalid(None, _("该笔回收无需返还（累计返还已达拨付金额）。"), "nothing_to_return")
    amount = money(amount, "amount")
    if amount != recovery.return_amount:
        raise invalid("amount", _("返还金额应为¥%(due)s（回收金额×补偿比例），实际填写¥%(got)s。")
                       % {"due": f"{recovery.return_amount:,.2f}", "got": f"{amount:,.2f}"},
                       "return_amount_wrong")
    if returned_on > today:
        raise invalid("returned_on", _("返还日期不能晚于今天。"), "date_in_future")
    if returned_on < recovery.recovered_on:
        raise invalid("returned_on", _("返还日期不能早于回收日期。"), "returned_before_recovery")
    reference = (reference or "").strip()
    if not reference:
        raise invalid("reference", _("请填写返还流水号。"), "reference_missing")
    if ReturnPayment.objects.filter(reference=reference).exists():
        raise invalid("reference", _("返还流水号 %(r)s 已被使用。") % {"r": reference},
                       "reference_taken")
    checked: CheckedUpload | None = None
    if reconciliation_statement is not None:
        checked = checked_upload(reconciliation_statement, "reconciliation_statement",
                           str(_("返还对账单")))
    elif recovery.claim.scheme == Scheme.TECH:
        raise invalid("reconciliation_statement",
                       _("科技创新类贷款返还须附返还对账单（科创方案第十九条）。"),
                       "statement_missing")
    payment = ReturnPayment(recovery=recovery, amount=amount, returned_on=returned_on,
                            reference=reference, recorded_by=actor)
    if checked is not None:
        store_upload(payment.reconciliation_statement, checked)
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError as exc:
        if checked is not None:
            payment.reconciliation_statement.delete(save=False)
        raise invalid("reference", _("该笔回收已登记返还，或返还流水号已被使用。"),
                       "return_duplicate") from exc
    transaction.on_commit(_recompute_suspensions)
    return payment


def _recompute_suspensions() -> None:
    from banks.tasks import recompute_suspensions

    recompute_suspensions.delay()


# --- Write-off (MICRO Art. 17, TECH Art. 18) --------------------------------------------------

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


# --- Yearly recovery statement ----------------------------------------------------------------

@transaction.atomic
def statement_submit(*, claim: Claim, year: int, text: str, document: UploadedFile | None = None,
                     actor: Any, now: datetime | None = None) -> RecoveryStatement:
    """The bank's written statement of a year's recovery efforts for a compensated loan, one per
    claim and year."""
    now = now or timezone.now()
    claim = locked_claim(claim)
    require_status(claim, COMPENSATED_STATUSES,
                    _("申报当前状态为“%(s)s”，只有已获补偿的项目需要报送年度追偿情况说明。"))
    payment = payment_of(claim)
    this_year = timezone.localdate(now).year
    if not payment.paid_on.year <= year <= this_year:
        raise invalid("year", _("年度应在%(a)d至%(b)d之间。")
                       % {"a": payment.paid_on.year, "b": this_year}, "year_range")
    text = (text or "").strip()
    if not text:
        raise invalid("text", _("请填写追偿工作情况。"), "text_missing")
    if RecoveryStatement.objects.filter(claim=claim, year=year).exists():
        raise invalid("year", _("%(y)d年度的追偿情况说明已经报送。") % {"y": year},
                       "statement_exists")
    statement = RecoveryStatement(claim=claim, year=year, text=text, submitted_by=actor,
                                  submitted_at=now)
    if document is not None:
        store_upload(statement.document, checked_upload(document, "document", str(_("说明文件"))))
    try:
        with transaction.atomic():
            statement.save()
    except IntegrityError as exc:
        if statement.document:
            statement.document.delete(save=False)
        raise invalid("year", _("%(y)d年度的追偿情况说明已经报送。") % {"y": year},
                       "statement_exists") from exc
    return statement

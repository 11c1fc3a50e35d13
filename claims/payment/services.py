"""The money after confirmation: the custodian pays confirmed claims out of the fund account
(拨付); the bank reports recoveries (追偿回收), records the return of the fund's share and states
its yearly recovery efforts; the custodian confirms that a return has arrived (返还到账).

RULES.md "Review and payment" 4: a payment never exceeds the fund account's balance and a claim
is never paid twice; "Suspension": a suspended bank's queued claims are not paid until it
resumes, and suspension is recomputed whenever a payout or a return lands.

Every refusal is a ``ValidationError`` with a Chinese message; a batch is refused as a whole,
with one message per claim that stops it.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from banks.selectors import suspension_of
from fund.models import LedgerEntry
from fund.selectors import fund_balance, policy_context
from fund.services import fund_lock, ledger_post
from riskcomp.policy.compensation import return_amount
from riskcomp.policy.context import PolicyContext
from riskcomp.policy.deadlines import recovery_deadlines
from riskcomp.policy.params import choose_version
from riskcomp.policy.reasons import reason, yuan
from riskcomp.policy.types import ReasonCode, Scheme
from riskcomp.uploads import CheckedUpload
from riskcomp.validation import invalid, money

from ..common.services import (
    checked_upload,
    locked_claim,
    payment_of,
    require_status,
    store_upload,
    transition,
)
from ..models import (
    Claim,
    Payment,
    Recovery,
    RecoveryStatement,
    ReturnPayment,
)

REFERENCE_MAX = Payment._meta.get_field("reference").max_length or 60
# A batch gives each claim the entered reference with "-001", "-002", ... (see
# ``batch_references``), so the entered one must leave room for the suffix.
BATCH_REFERENCE_MAX = REFERENCE_MAX - 4
# Claims the fund has compensated: only they owe a yearly recovery statement.
COMPENSATED_STATUSES = (Claim.Status.PAID, Claim.Status.WRITTEN_OFF)


def batch_references(claims: Iterable[Claim], reference: str) -> dict[int, str]:
    """The reference each claim of a batch is paid under: the entered one with a three-digit
    suffix, in claim-number order.

    A custodian pays a batch as one batch transfer (批量代付) and gets one batch number back
    from the bank; the suffix keeps every payment's reference unique (the database holds that)
    while each stays traceable to the batch by its prefix, and the reviewer types one number
    instead of one per row. The preview shows every suffix before anything is paid.
    """
    ordered = sorted(claims, key=lambda c: (c.number, c.pk))
    return {c.pk: f"{reference}-{n:03d}" for n, c in enumerate(ordered, start=1)}


def _recompute_suspensions() -> None:
    from ..tasks import recompute_suspensions

    recompute_suspensions.delay()


def _after_commit_recompute() -> None:
    # Robust: the money has moved by the time this runs, so a failure to queue (or, with eager
    # tasks, to run) the recompute is logged rather than turned into an error page; the nightly
    # recompute catches up.
    transaction.on_commit(_recompute_suspensions, robust=True)


def _clean_reference(reference: str, limit: int) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise invalid("reference", _("请填写付款流水号。"), "reference_missing")
    if len(reference) > limit:
        raise invalid("reference", _("付款流水号最多%(n)d个字符。") % {"n": limit},
                       "reference_too_long")
    return reference


def _claim_problems(claim: Claim, paid_on: date, suspended: dict[tuple[int, str], Any]
                    ) -> list[str]:
    """Why ``claim`` (locked) cannot be paid on ``paid_on``; empty when it can."""
    if claim.status == Claim.Status.PAID:
        return [_("已拨付，不能重复拨付。")]
    if claim.status != Claim.Status.CONFIRMED:
        return [_("申报当前状态为“%(s)s”，只有财政已确认的申报才能拨付。")
                % {"s": claim.get_status_display()}]
    problems: list[str] = []
    state = suspended.get((claim.bank_id, claim.scheme))
    if state is not None and state.is_suspended:
        r = reason(ReasonCode.BANK_SUSPENDED, Scheme(claim.scheme),
                   net=yuan(state.net_compensation))
        why = (_("人工暂停原因：%(r)s；") % {"r": state.manual_reason}
               if state.is_manually_suspended and state.manual_reason else "")
        problems.append(_("%(code)s：%(message)s；%(why)s恢复前不予拨付。")
                        % {"code": r.code, "message": r.message, "why": why})
    try:
        confirmed_on = claim.confirmation.document_date
    except ObjectDoesNotExist:  # confirmed through the admin without a document row
        confirmed_on = None
    if confirmed_on is not None and paid_on < confirmed_on:
        problems.append(_("拨付日期不能早于财政确认文件日期%(d)s。")
                        % {"d": confirmed_on.isoformat()})
    return problems


def _pay(*, claims: Iterable[Claim], paid_on: date, reference: str, batch: bool, actor: Any,
         now: datetime | None) -> list[Payment]:
    """Lock, check and pay; the caller holds the transaction."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if paid_on > today:
        raise invalid("paid_on", _("拨付日期不能晚于今天。"), "date_in_future")
    reference = _clean_reference(reference, BATCH_REFERENCE_MAX if batch else REFERENCE_MAX)
    ids = sorted({c.pk for c in claims})
    if not ids:
        raise invalid("claims", _("请选择要拨付的申报。"), "nothing_selected")

    # Lock order: the fund first, then the claims by id. Every payment takes them in this order,
    # so two payments wait for each other instead of deadlocking.
    fund_lock()
    locked = list(Claim.objects.select_for_update(of=("self",))
                  .select_related("confirmation", "bank").filter(pk__in=ids).order_by("pk"))
    if len(locked) != len(ids):
        raise invalid("claims", _("所选申报不存在或已被删除，请刷新后重试。"), "claim_missing")
    pairs = {(c.bank_id, c.scheme) for c in locked}
    states = {(b, s): suspension_of(bank_id=b, scheme=s) for b, s in pairs}
    failures = [(c, p) for c in locked for p in _claim_problems(c, paid_on, states)]
    if failures:
        raise ValidationError([
            ValidationError(_("%(code)s：%(message)s") % {"code": c.number, "message": p},
                            code="not_payable")
            for c, p in failures])

    refs = (batch_references(locked, reference) if batch else {locked[0].pk: reference})
    taken = sorted(Payment.objects.filter(reference__in=refs.values())
                   .values_list("reference", flat=True))
    if taken:
        raise invalid("reference", _("付款流水号 %(r)s 已被使用。") % {"r": _("、").join(taken)},
                       "reference_taken")

    total = sum((c.compensation for c in locked), Decimal("0.00"))
    balance = fund_balance()
    if total > balance:
        raise invalid(None, _("资金余额不足：本次拨付¥%(t)s，资金账户余额¥%(b)s。")
                       % {"t": yuan(total), "b": yuan(balance)}, "fund_short")

    payments: list[Payment] = []
    for claim in locked:
        try:
            with transaction.atomic():
                payment = Payment.objects.create(claim=claim, amount=claim.compensation,
                                                 paid_on=paid_on, reference=refs[claim.pk],
                                                 paid_by=actor)
        except IntegrityError as exc:
            # Only a write that bypassed the row lock gets here: the one-to-one on the claim or
            # the unique reference, both held by the database.
            raise invalid(None, _(
                "%(n)s：该申报已拨付或付款流水号 %(r)s 已被使用，未拨付任何申报。") % {
                "n": claim.number, "r": refs[claim.pk]}, "payment_duplicate") from exc
        transition(claim, Claim.Status.PAID, actor=actor, now=now,
                   note=_("付款流水号 %(r)s") % {"r": payment.reference})
        ledger_post(kind=LedgerEntry.Kind.COMPENSATION, amount=-payment.amount,
                    booked_on=paid_on, scheme=claim.scheme, bank_id=claim.bank_id,
                    claim_id=claim.pk, payment_id=payment.pk, reference=payment.reference,
                    memo=_("补偿拨付 %(n)s %(b)s") % {"n": claim.number,
                                                    "b": claim.bank.short_name},
                    actor=actor)
        payments.append(payment)
    _after_commit_recompute()
    return payments


@transaction.atomic
def claim_pay(*, claim: Claim, paid_on: date, reference: str, actor: Any,
              now: datetime | None = None) -> Payment:
    """Pay one confirmed claim its compensation out of the fund account, under ``reference``
    (the bank transfer's serial number): a Payment, the claim to PAID with its history row,
    one compensation entry in the ledger, and the suspension recomputed after commit."""
    return _pay(claims=[claim], paid_on=paid_on, reference=reference, batch=False,
                actor=actor, now=now)[0]


@transaction.atomic
def claims_pay_batch(*, claims: Iterable[Claim], paid_on: date, reference: str, actor: Any,
                     now: datetime | None = None) -> list[Payment]:
    """Pay several confirmed claims at once, all or nothing: any claim that cannot be paid, or
    a total above the fund's balance, refuses the whole batch. Each claim is paid under the
    batch reference with its own suffix (``batch_references``)."""
    return _pay(claims=claims, paid_on=paid_on, reference=reference, batch=True, actor=actor,
                now=now)


@transaction.atomic
def return_receive(*, return_payment: ReturnPayment, actor: Any,
                   now: datetime | None = None) -> ReturnPayment:
    """The custodian confirms that a bank's recorded return has reached the fund account: who
    and when, the return's inflow entry in the ledger (the bank-side ``return_record`` writes
    none: the ledger is the custodian's), and the suspension recomputed after commit."""
    now = now or timezone.now()
    ret = (ReturnPayment.objects.select_for_update(of=("self",))
           .select_related("recovery", "recovery__claim", "recovery__claim__bank")
           .get(pk=return_payment.pk))
    if ret.received_at is not None:
        raise invalid(None, _("返还 %(r)s 已于 %(d)s 确认到账，不能重复确认。")
                       % {"r": ret.reference,
                          "d": timezone.localtime(ret.received_at).strftime("%Y-%m-%d")},
                       "already_received")
    if LedgerEntry.objects.filter(return_payment=ret).exists():
        raise invalid(None, _("返还 %(r)s 已记入资金台账。") % {"r": ret.reference},
                       "already_booked")
    ret.received_by = actor
    ret.received_at = now
    ret.save(update_fields=["received_by", "received_at"])
    claim = ret.recovery.claim
    ledger_post(kind=LedgerEntry.Kind.RETURN, amount=ret.amount, booked_on=ret.returned_on,
                scheme=claim.scheme, bank_id=claim.bank_id, claim_id=claim.pk,
                return_payment_id=ret.pk, reference=ret.reference,
                memo=_("银行返还 %(n)s %(b)s") % {"n": claim.number, "b": claim.bank.short_name},
                actor=actor)
    _after_commit_recompute()
    return ret


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

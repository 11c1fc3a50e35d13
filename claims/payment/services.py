"""The custodian's side of the money: paying confirmed claims out of the fund account (拨付) and
confirming that a bank's return has arrived (返还到账), each with its ledger entry.

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
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from banks.selectors import suspension_of
from fund.models import LedgerEntry
from fund.selectors import fund_balance
from fund.services import fund_lock, ledger_post
from riskcomp.policy.reasons import reason, yuan
from riskcomp.policy.types import ReasonCode, Scheme

from ..models import Claim, Payment, ReturnPayment
from .common import invalid, transition

REFERENCE_MAX = Payment._meta.get_field("reference").max_length or 60
# A batch gives each claim the entered reference with "-001", "-002", ... (see
# ``batch_references``), so the entered one must leave room for the suffix.
BATCH_REFERENCE_MAX = REFERENCE_MAX - 4


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
    from banks.tasks import recompute_suspensions

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

"""Writes on the fund: posting to the append-only ledger, the lock that keeps two outflows from
spending the same balance, the custodian's manual entries (capital from the bureau, deposit
interest), the yearly management fee and corrections as reversing entries (RULES.md "The fund":
the balance is the sum of the entries, and the ledger is append-only).

Every refusal is a ``ValidationError`` with a Chinese message, keyed by the form field where
there is one."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from riskcomp.policy.fund import MANAGEMENT_FEE_FIRST_YEAR, management_fee
from riskcomp.validation import invalid, money

from .models import FundSize, LedgerEntry

# The key of the PostgreSQL advisory lock held by every transaction that takes money out of the
# fund ("RISKCOMP" in ASCII, a fixed 64-bit number no other lock of this database uses).
FUND_LOCK_KEY = 0x5249534B434F4D50

# Entries the ledger itself owns. Compensation, return and write-off entries mirror a claim's
# payment, return receipt or write-off one to one (the suspension figures and the claim's own
# records read those), so reversing only their ledger side would split the two apart.
REVERSIBLE_KINDS = (LedgerEntry.Kind.CAPITAL, LedgerEntry.Kind.INTEREST,
                    LedgerEntry.Kind.MANAGEMENT_FEE)

REASON_MAX = 120
MEMO_MAX = LedgerEntry._meta.get_field("memo").max_length or 200
REFERENCE_MAX = LedgerEntry._meta.get_field("reference").max_length or 60



def fund_lock() -> None:
    """Hold the fund until the current transaction ends, so that its balance check and the
    outflow it allows cannot interleave with another payment's.

    The balance is a sum over the ledger: there is no single row whose ``select_for_update``
    would stop a second payment from reading the same balance (locking the existing entries does
    not stop new ones from being inserted), and adding a "fund" row only to lock it would put a
    second source of truth beside the ledger. A transaction-level advisory lock needs no row,
    and PostgreSQL releases it itself at commit or rollback, so no path can leave it held. On
    SQLite (development, unit tests) a write transaction already excludes every other writer.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("fund_lock() must be called inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FUND_LOCK_KEY])


@transaction.atomic
def ledger_post(*, kind: str, amount: Decimal, booked_on: date, memo: str, actor: Any,
                scheme: str = "", bank_id: int | None = None, claim_id: int | None = None,
                payment_id: int | None = None, return_payment_id: int | None = None,
                reference: str = "", fee_year: int | None = None,
                reverses_id: int | None = None) -> LedgerEntry:
    """Append one entry to the ledger. ``amount`` is signed cash (in positive, out negative);
    the model's constraints hold the sign to the kind, each payment or return to one entry,
    each entry to one reversal and each year to one management fee."""
    entry = LedgerEntry(
        kind=kind, amount=amount, booked_on=booked_on, scheme=scheme, bank_id=bank_id,
        claim_id=claim_id, payment_id=payment_id, return_payment_id=return_payment_id,
        reference=reference, memo=memo[:MEMO_MAX], created_by=actor, fee_year=fee_year,
        reverses_id=reverses_id,
    )
    entry.full_clean()
    entry.save()
    return entry


def _balance() -> Decimal:
    from .selectors import fund_balance

    return fund_balance()


def _short_of(outflow: Decimal) -> ValidationError:
    return invalid(None, _("资金账户余额 ¥%(b)s 不足以支出 ¥%(a)s。")
                    % {"b": f"{_balance():,.2f}", "a": f"{outflow:,.2f}"}, "fund_short")


# --- Manual entries ----------------------------------------------------------------------------

def _manual_inflow(*, kind: str, amount: Decimal, booked_on: date, reference: str, memo: str,
                   actor: Any, default_memo: str) -> LedgerEntry:
    amount = money(amount, "amount")
    if booked_on > timezone.localdate():
        raise invalid("booked_on", _("记账日期不能晚于今天。"), "future_date")
    reference = (reference or "").strip()
    if not reference:
        raise invalid("reference", _("请填写凭证号。"), "reference_missing")
    if len(reference) > REFERENCE_MAX:
        raise invalid("reference", _("凭证号最多%(n)d个字符。") % {"n": REFERENCE_MAX},
                       "reference_too_long")
    # The same bank slip entered twice would count the money twice.
    if LedgerEntry.objects.filter(kind=kind, reference=reference).exists():
        raise invalid("reference", _("凭证号 %(r)s 已登记过同类分录，请勿重复登记。")
                       % {"r": reference}, "reference_taken")
    return ledger_post(kind=kind, amount=amount, booked_on=booked_on, reference=reference,
                       memo=(memo or "").strip() or default_memo, actor=actor)


@transaction.atomic
def ledger_capital_receive(*, amount: Decimal, booked_on: date, reference: str, memo: str,
                           actor: Any) -> LedgerEntry:
    """Capital from the finance bureau arrived in the fund account (MICRO Art. 20)."""
    fund_lock()  # serialises the duplicate-reference check with a second submission
    return _manual_inflow(kind=LedgerEntry.Kind.CAPITAL, amount=amount, booked_on=booked_on,
                          reference=reference, memo=memo, actor=actor,
                          default_memo=_("财政国资局拨入风险补偿资金"))


@transaction.atomic
def ledger_interest_record(*, amount: Decimal, booked_on: date, reference: str, memo: str,
                           actor: Any) -> LedgerEntry:
    """Deposit interest credited to the fund account (the fund is held only in deposits)."""
    fund_lock()
    return _manual_inflow(kind=LedgerEntry.Kind.INTEREST, amount=amount, booked_on=booked_on,
                          reference=reference, memo=memo, actor=actor,
                          default_memo=_("专用账户存款利息"))


# --- Management fee ----------------------------------------------------------------------------

def management_fee_for(fund_size: Decimal) -> Decimal:
    """The custodian's fee for a year on that year's fund size (policy.fund, MICRO Art. 24)."""
    return management_fee(fund_size)


@transaction.atomic
def ledger_management_fee_post(*, year: int, booked_on: date, actor: Any) -> LedgerEntry:
    """Draw the custodian's management fee for ``year`` out of the fund, once: refused before
    2025, before the year has ended, without the bureau's fund size for it, when already drawn
    (a reversed fee stays drawn: the correction is the bureau's decision, not a re-run) or when
    the balance cannot cover it."""
    if year < MANAGEMENT_FEE_FIRST_YEAR:
        raise invalid(None, _("托管管理费自%(y)d年起按年度提取（小微办法第二十四条）。")
                       % {"y": MANAGEMENT_FEE_FIRST_YEAR}, "fee_before_policy")
    if booked_on.year <= year:
        raise invalid(None, _("%(y)d年度尚未结束，管理费须在年度结束后提取。") % {"y": year},
                       "fee_year_open")
    fund_lock()
    if LedgerEntry.objects.filter(kind=LedgerEntry.Kind.MANAGEMENT_FEE, fee_year=year).exists():
        raise invalid(None, _("%(y)d年度托管管理费已提取。") % {"y": year}, "fee_posted")
    size = FundSize.objects.filter(year=year).values_list("amount", flat=True).first()
    if size is None:
        raise invalid(None, _("尚未录入%(y)d年度资金规模，无法计算托管管理费。") % {"y": year},
                       "fund_size_missing")
    fee = management_fee_for(size)
    if fee <= 0:
        raise invalid(None, _("%(y)d年度资金规模为零，无管理费可提取。") % {"y": year},
                       "fee_zero")
    if _balance() < fee:
        raise _short_of(fee)
    try:
        with transaction.atomic():
            return ledger_post(
                kind=LedgerEntry.Kind.MANAGEMENT_FEE, amount=-fee, booked_on=booked_on,
                fee_year=year, reference=f"GLF-{year}", actor=actor,
                memo=_("%(y)d年度托管管理费（小微办法第二十四条：资金规模×0.8%%）") % {"y": year})
    except IntegrityError as exc:  # SQLite has no advisory lock; the constraint still holds
        raise invalid(None, _("%(y)d年度托管管理费已提取。") % {"y": year},
                       "fee_posted") from exc


# --- Corrections -------------------------------------------------------------------------------

@transaction.atomic
def ledger_reverse(*, entry: LedgerEntry, reason: str, actor: Any,
                   booked_on: date | None = None) -> LedgerEntry:
    """Correct ``entry`` by posting its opposite (RULES.md "The fund": the ledger is append-only,
    so a wrong entry stays and is cancelled by a reversal booked on the day of the correction).
    One reversal per entry; a reversal is not reversed again (post the right entry instead)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise invalid("reason", _("请填写冲销原因。"), "reason_missing")
    if len(reason) > REASON_MAX:
        raise invalid("reason", _("冲销原因最多%(n)d个字符。") % {"n": REASON_MAX},
                       "reason_too_long")
    fund_lock()
    original = LedgerEntry.objects.select_related("reversed_by").get(pk=entry.pk)
    if original.kind == LedgerEntry.Kind.REVERSAL:
        raise invalid(None, _("冲销分录不能再被冲销；如冲销有误，请重新登记正确的分录。"),
                       "is_reversal")
    done = getattr(original, "reversed_by", None)
    if done is not None:
        raise invalid(None, _("该分录已于%(d)s冲销，不能重复冲销。")
                       % {"d": done.booked_on.isoformat()}, "already_reversed")
    if original.kind not in REVERSIBLE_KINDS:
        raise invalid(None, _("“%(k)s”分录与申报的拨付、返还或核销记录一一对应，"
                               "不能在台账中单独冲销。") % {"k": original.get_kind_display()},
                       "not_reversible")
    amount = -original.amount
    if amount < 0 and _balance() + amount < 0:
        raise _short_of(-amount)
    booked_on = booked_on or timezone.localdate()
    memo = _("冲销 %(d)s %(k)s %(a)s：%(r)s") % {
        "d": original.booked_on.isoformat(), "k": original.get_kind_display(),
        "a": f"{original.amount:,.2f}", "r": reason}
    try:
        with transaction.atomic():
            return ledger_post(
                kind=LedgerEntry.Kind.REVERSAL, amount=amount, booked_on=booked_on, memo=memo,
                actor=actor, scheme=original.scheme, bank_id=original.bank_id,
                claim_id=original.claim_id, reference=original.reference,
                reverses_id=original.pk)
    except IntegrityError as exc:  # the one-to-one ``reverses`` holds without the lock too
        raise invalid(None, _("该分录已冲销，不能重复冲销。"), "already_reversed") from exc

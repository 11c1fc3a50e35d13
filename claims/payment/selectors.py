"""Reads of the money after confirmation: claims waiting for payment, recoveries and their
returns (scoped to the user's banks), and the returns the custodian collects.
The ledger's reads are the fund's (``fund.selectors``)."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from banks.models import Bank, SuspensionState
from banks.selectors import scope_to_user_banks

from ..models import (
    Claim,
    Recovery,
    RecoveryStatement,
    ReturnPayment,
)


def _suspended() -> Exists:
    return Exists(SuspensionState.objects.filter(
        Q(is_auto_suspended=True) | Q(is_manually_suspended=True),
        bank_id=OuterRef("bank_id"), scheme=OuterRef("scheme")))


def payable_claims() -> QuerySet[Claim]:
    """Confirmed claims waiting for payment, across banks, each with ``is_suspended`` (its bank
    is suspended in its scheme, so it must wait) and the bureau's confirmation."""
    return (Claim.objects.filter(status=Claim.Status.CONFIRMED)
            .select_related("bank", "filing", "filing__enterprise", "confirmation")
            .annotate(is_suspended=_suspended()))


class SuspendedMark(TypedDict):
    is_suspended: bool


if TYPE_CHECKING:  # a typing construct only: it cannot be subscripted at run time
    from django_stubs_ext import WithAnnotations

    MarkedClaim = WithAnnotations[Claim, SuspendedMark]


def claims_selected(ids: Iterable[int]) -> "list[MarkedClaim]":
    """The claims ticked for a batch, whatever their state now, in claim-number order (the
    order the batch references are given in)."""
    return list(Claim.objects.filter(pk__in=list(ids))
                .select_related("bank", "filing", "filing__enterprise", "confirmation")
                .annotate(is_suspended=_suspended()).order_by("number", "pk"))


def claims_for_payment() -> QuerySet[Claim]:
    """Claims as the payment page shows one, whatever its state."""
    return (Claim.objects.select_related("bank", "filing", "filing__enterprise", "confirmation")
            .annotate(is_suspended=_suspended()))


def bank_choices() -> tuple[tuple[str, str], ...]:
    return tuple((str(pk), name) for pk, name in
                 Bank.objects.order_by("short_name").values_list("pk", "short_name"))


# --- Returns -----------------------------------------------------------------------------------

# What the custodian still has to do about a recovery's return, most urgent first.
RECEIPT_OVERDUE = "overdue"  # the bank is late (return or notice): chase it
RECEIPT_RECORDED = "recorded"  # the bank recorded its return: confirm the money arrived
RECEIPT_PENDING = "pending"  # within the deadline, not returned yet
RECEIPT_RECEIVED = "received"  # confirmed in the fund account
RECEIPT_NONE = "none"  # nothing to return (returns already reached what was paid)


def returns_for_custodian(*, user: Any, today: date | None = None) -> QuerySet[Recovery]:
    """Every recovery across banks with its return, ``is_overdue`` (as of ``today``), its
    ``receipt_state`` and ``receipt_rank`` (overdue first, then returns waiting for the
    custodian's confirmation, then pending, then done)."""
    state = Case(
        When(return_payment__received_at__isnull=False, then=Value(RECEIPT_RECEIVED)),
        When(return_payment__isnull=False, then=Value(RECEIPT_RECORDED)),
        When(return_amount__lte=0, then=Value(RECEIPT_NONE)),
        When(is_overdue=True, then=Value(RECEIPT_OVERDUE)),
        default=Value(RECEIPT_PENDING), output_field=CharField())
    rank = Case(
        When(receipt_state=RECEIPT_OVERDUE, then=Value(0)),
        When(receipt_state=RECEIPT_RECORDED, then=Value(1)),
        When(receipt_state=RECEIPT_PENDING, then=Value(2)),
        When(receipt_state=RECEIPT_RECEIVED, then=Value(3)),
        default=Value(4), output_field=IntegerField())
    return (recovery_list_for(user=user, today=today)
            .select_related("return_payment__received_by", "return_payment__recorded_by")
            .annotate(receipt_state=state).annotate(receipt_rank=rank)
            .order_by("receipt_rank", F("return_deadline").asc(nulls_last=True),
                      "recovered_on", "pk"))


def claim_returned_total(claim: Claim) -> Decimal:
    """What the bank has recorded as returned for ``claim`` (all its returns)."""
    total = ReturnPayment.objects.filter(recovery__claim=claim).aggregate(
        s=Sum("amount"))["s"]
    return total if total is not None else ZERO


def claim_return_due_total(claim: Claim) -> Decimal:
    """The sum of the returns computed for ``claim``'s recoveries so far."""
    total = Recovery.objects.filter(claim=claim).aggregate(s=Sum("return_amount"))["s"]
    return total if total is not None else ZERO


def _overdue_annotations(today: date) -> dict[str, Any]:
    unreturned = Q(return_payment__isnull=True) & Q(return_amount__gt=0)
    return_late = Q(return_deadline__isnull=False, return_deadline__lt=today)
    notice_late = Q(notice_deadline__isnull=False, notified_on__gt=F("notice_deadline"))
    return {
        # Not returned and past the return deadline, or notified after the notice deadline:
        # shown in red until the return is recorded (MICRO Art. 18, TECH Art. 19).
        "is_overdue": Case(When(unreturned & (return_late | notice_late), then=Value(True)),
                           default=Value(False), output_field=BooleanField()),
        "is_notice_late": Case(When(notice_late, then=Value(True)), default=Value(False),
                               output_field=BooleanField()),
        "is_returned_late": Case(
            When(return_payment__returned_on__gt=F("return_deadline"), then=Value(True)),
            default=Value(False), output_field=BooleanField()),
    }


class OverdueMarks(TypedDict):
    """The flags ``_overdue_annotations`` puts on each recovery."""

    is_overdue: bool
    is_notice_late: bool
    is_returned_late: bool


if TYPE_CHECKING:
    MarkedRecovery = WithAnnotations[Recovery, OverdueMarks]


def _with_overdue_flags(qs: QuerySet[Recovery], today: date) -> "QuerySet[MarkedRecovery]":
    flags = _overdue_annotations(today)
    return qs.annotate(is_overdue=flags["is_overdue"], is_notice_late=flags["is_notice_late"],
                       is_returned_late=flags["is_returned_late"])


def recovery_list_for(*, user: Any, today: date | None = None) -> "QuerySet[MarkedRecovery]":
    """Recoveries of the user's banks, each with ``is_overdue``, ``is_notice_late`` and
    ``is_returned_late`` (as of ``today``)."""
    today = today or timezone.localdate()
    qs = _with_overdue_flags(Recovery.objects.select_related(
        "claim", "claim__bank", "claim__filing", "claim__filing__enterprise", "return_payment",
    ), today)
    return scope_to_user_banks(qs, user, field="claim__bank")


def recovery_list_of_bank(*, bank_id: int, today: date | None = None
                          ) -> "QuerySet[MarkedRecovery]":
    """The recoveries of one bank, annotated as ``recovery_list_for`` annotates them (the bank
    API's key is a bank's, not a user's with grants)."""
    today = today or timezone.localdate()
    return _with_overdue_flags(Recovery.objects.filter(claim__bank_id=bank_id).select_related(
        "claim", "claim__filing", "return_payment",
    ), today)


def recoveries_overdue_for(*, user: Any, today: date | None = None
                           ) -> "QuerySet[MarkedRecovery]":
    """Recoveries whose return is overdue (or whose notice came late) and not yet returned."""
    return recovery_list_for(user=user, today=today).filter(is_overdue=True).order_by(
        Coalesce("return_deadline", "notified_on"), "id")


def recovery_detail_for(*, user: Any) -> "QuerySet[MarkedRecovery]":
    return recovery_list_for(user=user)


def return_payment_for(*, user: Any) -> QuerySet[ReturnPayment]:
    return scope_to_user_banks(
        ReturnPayment.objects.select_related("recovery", "recovery__claim"), user,
        field="recovery__claim__bank")


def statement_for(*, user: Any) -> QuerySet[RecoveryStatement]:
    return scope_to_user_banks(RecoveryStatement.objects.select_related("claim"), user,
                               field="claim__bank")


def claim_has_unreturned_recovery(claim: Claim) -> bool:
    """Whether a recovery of ``claim`` still waits for its return."""
    return Recovery.objects.filter(claim=claim, return_amount__gt=0).exclude(
        Exists(ReturnPayment.objects.filter(recovery=OuterRef("pk")))).exists()


ZERO = Decimal("0.00")

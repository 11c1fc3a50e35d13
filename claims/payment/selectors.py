"""Reads for the custodian's money screens: claims waiting for payment and returns to collect.
The ledger's reads are the fund's (``fund.selectors``)."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from banks.models import Bank, SuspensionState

from .models import Claim, Recovery
from .selectors import recovery_list_for


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


def claims_selected(ids: Iterable[int]) -> list[Claim]:
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

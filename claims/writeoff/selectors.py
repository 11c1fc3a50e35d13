"""Reads of write-offs: the bank's own (scoped), and every bank's for the custodian, the
bureau and auditors."""

from typing import Any

from django.db.models import (
    Prefetch,
    QuerySet,
)

from banks.selectors import scope_to_user_banks

from ..models import WriteOff, WriteOffStatusChange


def writeoff_for(*, user: Any) -> QuerySet[WriteOff]:
    return scope_to_user_banks(WriteOff.objects.select_related("claim"), user,
                               field="claim__bank")


def writeoff_list() -> QuerySet[WriteOff]:
    return WriteOff.objects.select_related(
        "claim", "claim__bank", "claim__filing", "claim__filing__enterprise", "applied_by")


def writeoff_detail() -> QuerySet[WriteOff]:
    return writeoff_list().select_related(
        "claim__payment", "reviewed_by", "decided_by",
    ).prefetch_related(Prefetch(
        "status_changes", queryset=WriteOffStatusChange.objects.select_related("actor")))


def writeoffs_waiting_on_bureau() -> QuerySet[WriteOff]:
    return writeoff_list().filter(status=WriteOff.Status.FORWARDED).order_by("reviewed_at")

"""Reads: a user's own notifications, and who is told about what."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Value, When

from accounts.roles import Role
from banks.models import ACT_FOR_BANK, Bank
from banks.selectors import officers_of

from .models import Notification


def notifications_for(*, user: Any) -> QuerySet[Notification]:
    """The user's own notifications, unread first, newest first within each; ``state`` is
    "unread" or "read" for the list's filter."""
    unread = Q(read_at__isnull=True)
    return Notification.objects.filter(recipient_id=user.pk).annotate(
        state=Case(When(unread, then=Value("unread")), default=Value("read"),
                   output_field=CharField()),
        unread_first=Case(When(unread, then=Value(0)), default=Value(1),
                          output_field=IntegerField()),
    ).order_by("unread_first", "-created_at", "-id")


def unread_count(*, user: Any) -> int:
    """One query, on the partial index of unread rows."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def bank_officers(bank: Bank) -> list[Any]:
    """The active users acting for ``bank`` (holders of its ``act_for_bank`` permission)."""
    return list(officers_of(bank).filter(is_active=True))


def custodian_reviewers() -> list[Any]:
    return list(get_user_model().objects.filter(groups__name=Role.REVIEWER.value,
                                                is_active=True).distinct())


def bureau_approvers() -> list[Any]:
    return list(get_user_model().objects.filter(groups__name=Role.APPROVER.value,
                                                is_active=True).distinct())


def all_bank_officers() -> list[Any]:
    """Every active user acting for at least one active bank."""
    return list(get_user_model().objects.filter(
        is_active=True,
        bankuserobjectpermission__permission__codename=ACT_FOR_BANK,
        bankuserobjectpermission__content_object__is_active=True,
    ).distinct())

"""Events written elsewhere, heard through ``post_save`` on their history rows: the
notifications are written inside the same transaction as the row (a rolled-back transition
notifies no one) and mailed after it commits; and the fund's recompute of deadlines after a
holiday schedule is entered, heard through its hook. Connected in
``NotificationsConfig.ready()``."""

from collections.abc import Sequence
from typing import Any

from django.db.models.signals import post_save

from banks.models import SuspensionChange
from claims.models import (
    ClaimStatusChange,
    Payment,
    Proposal,
    ProposalWithdrawal,
    WriteOffStatusChange,
)
from fund.calendar_hooks import register_deadline_notifier

from . import services


def on_claim_status_change(sender: Any, instance: ClaimStatusChange, created: bool,
                           raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        services.claim_change_notify(change=instance)


def on_payment(sender: Any, instance: Payment, created: bool, raw: bool = False,
               **kwargs: Any) -> None:
    if created and not raw:
        services.payment_notify(payment=instance)


def on_suspension_change(sender: Any, instance: SuspensionChange, created: bool,
                         raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        services.suspension_change_notify(change=instance)


def on_withdrawal(sender: Any, instance: ProposalWithdrawal, created: bool,
                  raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        services.withdrawal_notify(withdrawal=instance)


def on_proposal(sender: Any, instance: Proposal, created: bool, raw: bool = False,
                **kwargs: Any) -> None:
    if created and not raw and instance.status == Proposal.Status.SUBMITTED:
        services.proposal_submitted_notify(proposal=instance)


def on_writeoff_change(sender: Any, instance: WriteOffStatusChange, created: bool,
                       raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        services.writeoff_change_notify(change=instance)


def on_deadlines_recomputed(year: int, changes: Sequence[Any], key: str) -> int:
    """A year's holiday schedule was entered (registered with ``fund.calendar_hooks``)."""
    return len(services.deadlines_recomputed_notify(year=year, changes=changes, key=key))


def connect() -> None:
    register_deadline_notifier(on_deadlines_recomputed)
    post_save.connect(on_claim_status_change, sender=ClaimStatusChange,
                      dispatch_uid="notifications.claim_status_change")
    post_save.connect(on_payment, sender=Payment, dispatch_uid="notifications.payment")
    post_save.connect(on_withdrawal, sender=ProposalWithdrawal,
                      dispatch_uid="notifications.withdrawal")
    post_save.connect(on_suspension_change, sender=SuspensionChange,
                      dispatch_uid="notifications.suspension_change")
    post_save.connect(on_proposal, sender=Proposal, dispatch_uid="notifications.proposal")
    post_save.connect(on_writeoff_change, sender=WriteOffStatusChange,
                      dispatch_uid="notifications.writeoff_change")

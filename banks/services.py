"""Writes on banks: one function per change, atomic."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from riskcomp.choices import Scheme
from riskcomp.policy.params import latest_params, params_for
from riskcomp.policy.suspension import SuspensionFigures, next_suspended
from riskcomp.policy.types import Scheme as PolicyScheme
from riskcomp.roles import Role

from .models import ACT_FOR_BANK, Bank, CooperationAgreement, SuspensionChange, SuspensionState


@transaction.atomic
def officer_grant(*, user: Any, bank: Bank, actor: Any | None = None) -> None:
    """Make ``user`` an officer acting for ``bank``: the role group plus one object-permission
    row on the Bank (never one per filing)."""
    group, _created = Group.objects.get_or_create(name=Role.BANK_OFFICER.value)
    user.groups.add(group)
    assign_perm(f"banks.{ACT_FOR_BANK}", user, bank)


@transaction.atomic
def officer_revoke(*, user: Any, bank: Bank, actor: Any | None = None) -> None:
    remove_perm(f"banks.{ACT_FOR_BANK}", user, bank)


def _scheme_figures_query(scheme: str):  # type: ignore[no-untyped-def]
    """One query per scheme: every bank with its filed principal, claimed principal, paid
    compensation and returns in that scheme (correlated aggregates, no per-bank round trip)."""
    from claims.models import Claim, Payment, ReturnPayment
    from loans.models import LoanFiling

    def total(qs, field):  # type: ignore[no-untyped-def]
        return Coalesce(
            Subquery(qs.order_by().values(_group).annotate(s=Sum(field)).values("s")[:1]),
            Value(Decimal("0")), output_field=DecimalField(max_digits=18, decimal_places=2),
        )

    _group = "scheme"
    filed = LoanFiling.objects.filter(bank=OuterRef("pk"), scheme=scheme)
    claimed = Claim.objects.filter(bank=OuterRef("pk"), scheme=scheme).exclude(
        status__in=Claim.CLOSED_STATUSES)
    paid = Payment.objects.filter(claim__bank=OuterRef("pk"), claim__scheme=scheme).annotate(
        scheme=F("claim__scheme"))
    returned = ReturnPayment.objects.filter(
        recovery__claim__bank=OuterRef("pk"), recovery__claim__scheme=scheme
    ).annotate(scheme=F("recovery__claim__scheme"))
    return Bank.objects.order_by("pk").annotate(
        filed=total(filed, "amount_cny"),
        claimed=total(claimed, "base"),
        paid=total(paid, "amount"),
        returned=total(returned, "amount"),
    ).values_list("pk", "filed", "claimed", "paid", "returned")


@transaction.atomic
def suspension_recompute(*, actor: Any | None = None, now: datetime | None = None
                         ) -> list[SuspensionChange]:
    """Recompute every bank's automatic suspension in every scheme (MICRO Art. 8, TECH Art. 9)
    and record each change with its figures. Idempotent: a second run changes nothing."""
    from fund.selectors import policy_context

    now = now or timezone.now()
    today = timezone.localdate(now)
    ctx = policy_context()
    changes: list[SuspensionChange] = []
    states = {
        (s.bank_id, s.scheme): s
        for s in SuspensionState.objects.select_for_update().order_by("pk")
    }
    for scheme in Scheme:
        params = params_for(ctx.params, PolicyScheme(scheme), today) or latest_params(
            ctx.params, PolicyScheme(scheme))
        if params is None:
            continue
        for bank_id, filed, claimed, paid, returned in _scheme_figures_query(scheme):
            figures = SuspensionFigures(filed_principal=filed, claimed_principal=claimed,
                                        net_compensation=paid - returned)
            state = states.get((bank_id, scheme))
            if state is None:
                if not filed and not claimed and not paid:
                    continue  # a bank with nothing in this scheme has no state to keep
                state = SuspensionState(bank_id=bank_id, scheme=scheme)
            was = state.is_auto_suspended
            suspended, reason = next_suspended(params, figures, was)
            dirty = state.pk is None or (
                state.filed_principal, state.claimed_principal, state.net_compensation,
                was) != (filed, claimed, figures.net_compensation, suspended)
            if not dirty:
                continue
            state.filed_principal = filed
            state.claimed_principal = claimed
            state.net_compensation = figures.net_compensation
            state.is_auto_suspended = suspended
            state.computed_at = now
            if suspended != was:
                state.changed_at = now
                changes.append(SuspensionChange(
                    bank_id=bank_id, scheme=scheme, kind=SuspensionChange.Kind.AUTO,
                    is_suspended=suspended,
                    reason=str(reason.message) if reason else "",
                    filed_principal=filed, claimed_principal=claimed,
                    net_compensation=figures.net_compensation, changed_at=now, actor=actor,
                ))
            state.save()
    SuspensionChange.objects.bulk_create(changes)
    return changes


@transaction.atomic
def suspension_manual_set(*, bank: Bank, scheme: str, reason: str, actor: Any) -> SuspensionChange:
    """TECH Art. 17: a reviewer suspends a bank slack in recovering, with the reason."""
    return _manual(bank=bank, scheme=scheme, reason=reason, actor=actor, suspend=True)


@transaction.atomic
def suspension_manual_lift(*, bank: Bank, scheme: str, reason: str, actor: Any
                           ) -> SuspensionChange:
    return _manual(bank=bank, scheme=scheme, reason=reason, actor=actor, suspend=False)


def _manual(*, bank: Bank, scheme: str, reason: str, actor: Any, suspend: bool
            ) -> SuspensionChange:
    if not reason.strip():
        raise ValidationError(_("请填写暂停或恢复的原因。"))
    state, _created = SuspensionState.objects.select_for_update().get_or_create(
        bank=bank, scheme=scheme)
    if state.is_manually_suspended == suspend:
        raise ValidationError(_("该银行在该政策下已是此状态。"))
    now = timezone.now()
    state.is_manually_suspended = suspend
    state.manual_reason = reason if suspend else ""
    state.changed_at = now
    state.save()
    return SuspensionChange.objects.create(
        bank=bank, scheme=scheme, kind=SuspensionChange.Kind.MANUAL, is_suspended=suspend,
        reason=reason, filed_principal=state.filed_principal,
        claimed_principal=state.claimed_principal, net_compensation=state.net_compensation,
        changed_at=now, actor=actor,
    )


@transaction.atomic
def agreement_create(*, bank: Bank, scheme: str, number: str, signed_on: Any, valid_from: Any,
                     valid_to: Any, actor: Any, note: str = "") -> CooperationAgreement:
    """Record a cooperation agreement; one active agreement per bank and scheme at a time."""
    Bank.objects.select_for_update().get(pk=bank.pk)
    overlapping = CooperationAgreement.objects.filter(
        bank=bank, scheme=scheme, status=CooperationAgreement.Status.ACTIVE,
        valid_from__lte=valid_to, valid_to__gte=valid_from)
    if overlapping.exists():
        raise ValidationError(_("该银行在该政策下已有有效期重叠的有效协议，请先终止原协议。"))
    agreement = CooperationAgreement(bank=bank, scheme=scheme, number=number.strip(),
                                     signed_on=signed_on, valid_from=valid_from,
                                     valid_to=valid_to, note=note)
    agreement.full_clean()
    agreement.save()
    return agreement


@transaction.atomic
def agreement_terminate(*, agreement: CooperationAgreement, reason: str, actor: Any
                        ) -> CooperationAgreement:
    agreement = CooperationAgreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status != CooperationAgreement.Status.ACTIVE:
        raise ValidationError(_("只有有效的协议可以终止。"))
    if not reason.strip():
        raise ValidationError(_("请填写终止原因。"))
    agreement.status = CooperationAgreement.Status.TERMINATED
    stamp = timezone.localdate().isoformat()
    agreement.note = f"{agreement.note}\n{stamp} 终止：{reason.strip()}".strip()
    agreement.save(update_fields=["status", "note"])
    return agreement

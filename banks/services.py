"""Writes on banks: one function per change, atomic."""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from accounts.roles import Role
from riskcomp.audit import audit_bulk_created, audit_bulk_updated, audit_context, audit_values
from riskcomp.choices import Scheme
from riskcomp.policy.params import SchemeParams, choose_version
from riskcomp.policy.reasons import yuan
from riskcomp.policy.suspension import SuspensionFigures, claim_ratio, next_suspended
from riskcomp.policy.types import Scheme as PolicyScheme

from .models import ACT_FOR_BANK, Bank, CooperationAgreement, SuspensionChange, SuspensionState

ZERO = Decimal("0.00")


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


# A bank's totals in one scheme, in this order: filed principal, claimed principal, paid
# compensation, returned compensation (RULES.md, "Suspension of a bank"). They are read by the
# apps that hold those records (``claims.suspension.selectors``) and handed down here as values.
SchemeTotals = tuple[Decimal, Decimal, Decimal, Decimal]
NO_TOTALS: SchemeTotals = (ZERO, ZERO, ZERO, ZERO)


def _resume_reason(params: SchemeParams, figures: SuspensionFigures) -> str:
    """Why a bank resumes: the figures at that moment beside the resume condition of its scheme
    (MICRO Art. 8, TECH Art. 9), in the words a bank officer reads on the history."""
    net = yuan(figures.net_compensation)
    threshold = yuan(params.suspend_net_compensation)
    ratio = claim_ratio(figures)
    if params.suspend_claim_ratio is None:
        return _("补偿净额¥%(net)s已低于¥%(t)s，恢复办理风险补偿业务（科创方案第九条）。") % {
            "net": net, "t": threshold}
    percent = "—" if ratio is None else f"{ratio * 100:.2f}%"
    return _("申请补偿的不良贷款本金占备案贷款本金%(p)s（阈值%(rt)s），补偿净额¥%(net)s"
             "（阈值¥%(t)s）：占比已回落或补偿净额已低于阈值，恢复办理风险补偿业务"
             "（小微办法第八条）。") % {
        "p": percent, "rt": f"{params.suspend_claim_ratio * 100:.0f}%", "net": net,
        "t": threshold}


# The advisory lock key of the suspension recompute ("SUSPEND!" in ASCII).
SUSPENSION_LOCK_KEY = 0x53555350454E4421
# What a recompute writes on a state.
STATE_FIELDS = ["filed_principal", "claimed_principal", "net_compensation", "is_auto_suspended",
                "computed_at", "changed_at"]


def suspension_lock() -> None:
    """Serialise suspension recomputes until the end of the current transaction.

    Two recomputes (nightly beat, one after a payment, one after a return) must not interleave:
    locking the existing states is not enough, both could create the same missing state. An
    advisory lock for the transaction serialises them; SQLite writers are serial anyway. The
    caller takes it before reading the totals, so that they are read after the previous
    recompute committed; taking it again in the same transaction is harmless."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SUSPENSION_LOCK_KEY])


@transaction.atomic
def suspension_update(*, totals: Mapping[tuple[int, str], SchemeTotals],
                      actor: Any | None = None, now: datetime | None = None
                      ) -> list[SuspensionChange]:
    """Bring every bank's automatic suspension in every scheme (MICRO Art. 8, TECH Art. 9) in
    line with ``totals`` (per (bank id, scheme)) and record each change with its figures and
    reason. Idempotent: a second run on the same totals changes nothing. The number of queries
    does not depend on the number of banks or claims. The recompute from the records is
    ``claims.suspension.services.suspension_recompute``, which reads the totals under
    ``suspension_lock()``."""
    from fund.selectors import policy_context

    now = now or timezone.now()
    today = timezone.localdate(now)
    ctx = policy_context()
    suspension_lock()
    states = {
        (s.bank_id, s.scheme): s
        for s in SuspensionState.objects.select_for_update().order_by("pk")
    }
    figures_of = totals
    changes: list[SuspensionChange] = []
    created: list[SuspensionState] = []
    updated: list[SuspensionState] = []
    before: dict[int, dict[str, str]] = {}  # the trail's old values of the updated states
    reasons: dict[tuple[int, str], str] = {}
    for scheme in Scheme:
        choice = choose_version(ctx.params, PolicyScheme(scheme), today)
        if choice is None:
            continue
        params = choice.params
        keys = sorted({k for k in figures_of if k[1] == scheme}
                      | {k for k in states if k[1] == scheme})
        for key in keys:
            filed, claimed, paid, returned = figures_of.get(key, NO_TOTALS)
            figures = SuspensionFigures(filed_principal=filed, claimed_principal=claimed,
                                        net_compensation=paid - returned)
            state = states.get(key)
            if state is None:
                state = SuspensionState(bank_id=key[0], scheme=scheme)
            was = state.is_auto_suspended
            suspended, reason = next_suspended(params, figures, was)
            dirty = state.pk is None or (
                state.filed_principal, state.claimed_principal, state.net_compensation,
                was) != (filed, claimed, figures.net_compensation, suspended)
            if not dirty:
                continue
            if state.pk:
                before[state.pk] = audit_values(state, STATE_FIELDS)
            state.filed_principal = filed
            state.claimed_principal = claimed
            state.net_compensation = figures.net_compensation
            state.is_auto_suspended = suspended
            state.computed_at = now
            if suspended != was:
                state.changed_at = now
                reasons[key] = (str(reason.message) if reason
                                else _resume_reason(params, figures))
                changes.append(SuspensionChange(
                    bank_id=key[0], scheme=scheme, kind=SuspensionChange.Kind.AUTO,
                    is_suspended=suspended, reason=reasons[key],
                    filed_principal=filed, claimed_principal=claimed,
                    net_compensation=figures.net_compensation, changed_at=now, actor=actor,
                ))
            (updated if state.pk else created).append(state)
    SuspensionState.objects.bulk_create(created)
    SuspensionState.objects.bulk_update(updated, STATE_FIELDS)

    def reason_of(state: SuspensionState) -> str:
        return reasons.get((state.bank_id, state.scheme), "")

    audit_bulk_created(created, actor=actor, reason=reason_of, related=("bank",))
    audit_bulk_updated(updated, before=before, actor=actor, reason=reason_of, related=("bank",))
    # Changes are few (a bank crossing a threshold), and saved one by one so that the receivers
    # of the history row (the notifications to the bank and the custodian) hear of each at once.
    for change in changes:
        change.save()
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
    with audit_context(actor=actor, reason=reason):
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
    with audit_context(actor=actor, reason=reason):
        agreement.save(update_fields=["status", "note"])
    return agreement

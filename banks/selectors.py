"""Reads of banks, scoped to the user. Bank officers see the banks they hold ``act_for_bank``
on; the custodian, the bureau and auditors see every bank."""

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from accounts.roles import CROSS_BANK_ROLES, role_of

from .models import ACT_FOR_BANK, Bank, CooperationAgreement, SuspensionState


def banks_for(user: Any) -> QuerySet[Bank]:
    """Banks the user may see. Officers: only the banks they act for (guardian object
    permission, direct foreign-key table)."""
    role = role_of(user)
    if role in CROSS_BANK_ROLES:
        return Bank.objects.all()
    if role is None:
        return Bank.objects.none()
    return get_objects_for_user(user, f"banks.{ACT_FOR_BANK}", klass=Bank,
                                accept_global_perms=False, with_superuser=False)


def bank_ids_for(user: Any) -> list[int] | None:
    """Ids of the banks an officer acts for, cached per request; None for cross-bank roles."""
    if role_of(user) in CROSS_BANK_ROLES:
        return None
    cached = getattr(user, "_riskcomp_bank_ids", None)
    if cached is None:
        cached = list(banks_for(user).values_list("id", flat=True))
        user._riskcomp_bank_ids = cached
    return cached


def bank_list_for(user: Any) -> list[Bank]:
    """``banks_for`` as a list; for an officer it also fills ``bank_ids_for``'s cache for the
    request, so a page that lists the banks reads them once."""
    banks = list(banks_for(user))
    if role_of(user) not in CROSS_BANK_ROLES:
        user._riskcomp_bank_ids = [b.pk for b in banks]
    return banks


def scope_to_user_banks(qs: QuerySet[Any], user: Any, field: str = "bank") -> QuerySet[Any]:
    """Restrict any bank-owned queryset to what ``user`` may see."""
    ids = bank_ids_for(user)
    if ids is None:
        return qs
    return qs.filter(**{f"{field}_id__in": ids})


def suspension_states_for(user: Any) -> QuerySet[SuspensionState]:
    return scope_to_user_banks(SuspensionState.objects.select_related("bank"), user)


def agreement_schemes_for(user: Any, on: date | None = None) -> list[str]:
    """Schemes in which the officer's banks hold an active cooperation agreement (on a date)."""
    ids = bank_ids_for(user)
    if ids is None:
        return []
    on = on or timezone.localdate()
    return sorted(set(
        CooperationAgreement.objects.filter(
            bank_id__in=ids, status=CooperationAgreement.Status.ACTIVE,
            valid_from__lte=on, valid_to__gte=on,
        ).values_list("scheme", flat=True)
    ))


def officers_of(bank: Bank) -> QuerySet[Any]:
    """Users holding ``act_for_bank`` on this bank (one permission row each)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        bankuserobjectpermission__content_object=bank,
        bankuserobjectpermission__permission__codename=ACT_FOR_BANK,
    ).distinct().order_by("username")


def suspension_of(*, bank_id: int, scheme: str) -> SuspensionState | None:
    """The bank's current state in ``scheme`` (None: never computed, i.e. not suspended)."""
    return SuspensionState.objects.filter(bank_id=bank_id, scheme=scheme).first()


def suspended_pairs() -> set[tuple[int, str]]:
    """Every (bank id, scheme) currently suspended, automatically or by hand: one query, for
    screens that mark many claims at once."""
    return set(
        SuspensionState.objects.filter(Q(is_auto_suspended=True) | Q(is_manually_suspended=True))
        .values_list("bank_id", "scheme")
    )


def suspension_hold(*, bank_id: int, scheme: str) -> dict[str, Any] | None:
    """Why a bank's queued claims in ``scheme`` are held, or None when it is not suspended:
    the state and the change that suspended it (its figures and reason). Two queries at most."""
    from .models import SuspensionChange

    state = suspension_of(bank_id=bank_id, scheme=scheme)
    if state is None or not state.is_suspended:
        return None
    kinds = []
    if state.is_auto_suspended:
        kinds.append(SuspensionChange.Kind.AUTO)
    if state.is_manually_suspended:
        kinds.append(SuspensionChange.Kind.MANUAL)
    change = (SuspensionChange.objects.filter(bank_id=bank_id, scheme=scheme, is_suspended=True,
                                              kind__in=kinds)
              .order_by("-changed_at", "-pk").first())
    return {"state": state, "change": change}


def with_threshold_figures(state: SuspensionState, policy: Any, today: date) -> SuspensionState:
    """Attach to a bank's state in a scheme what its screens show: the thresholds in force
    (``params``), the claim ratio, the distance to each threshold (``distances``, negative once
    over) and, once over, by how much (``excess``, positive) — MICRO Art. 8, TECH Art. 9."""
    from riskcomp.policy.params import choose_version
    from riskcomp.policy.suspension import SuspensionFigures, claim_ratio, threshold_distances
    from riskcomp.policy.types import Scheme as PolicyScheme

    choice = choose_version(policy.params, PolicyScheme(state.scheme), today)
    params = choice.params if choice is not None else None
    figures = SuspensionFigures(filed_principal=state.filed_principal,
                                claimed_principal=state.claimed_principal,
                                net_compensation=state.net_compensation)
    state.params = params
    state.claim_ratio = claim_ratio(figures)
    state.distances = threshold_distances(params, figures) if params else {}
    state.excess = {k: -v for k, v in state.distances.items() if v is not None and v < 0}
    return state


def suspension_notices_for(user: Any) -> list[dict[str, Any]]:
    """For a bank officer, each scheme in which one of their banks is suspended: the state,
    since when and why (the change that suspended it). One query when nothing is suspended,
    two otherwise, whatever the number of banks."""
    from .models import SuspensionChange

    states = list(suspension_states_for(user).filter(
        Q(is_auto_suspended=True) | Q(is_manually_suspended=True)).order_by("bank_id", "scheme"))
    if not states:
        return []
    changes: dict[tuple[int, str], SuspensionChange] = {}
    for change in (SuspensionChange.objects
                   .filter(bank_id__in={s.bank_id for s in states}, is_suspended=True)
                   .order_by("changed_at", "pk")):
        changes[(change.bank_id, change.scheme)] = change  # the latest suspension wins
    return [{"state": s, "change": changes.get((s.bank_id, s.scheme))} for s in states]

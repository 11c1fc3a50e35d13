"""Reads of claims, scoped to the user's banks."""

from typing import Any

from django.db.models import Count, QuerySet

from banks.selectors import scope_to_user_banks

from .models import Claim, Proposal


def claim_list_for(*, user: Any) -> QuerySet[Claim]:
    return scope_to_user_banks(
        Claim.objects.select_related("bank", "filing", "filing__enterprise"), user
    )


def claim_detail_for(*, user: Any) -> QuerySet[Claim]:
    return claim_list_for(user=user).select_related("payment", "proposal").prefetch_related(
        "documents", "status_changes__actor", "reviews", "supplements", "recoveries"
    )


def claim_counts_by_status(*, user: Any) -> dict[str, int]:
    rows = claim_list_for(user=user).order_by().values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def proposals_waiting() -> QuerySet[Proposal]:
    return Proposal.objects.filter(status=Proposal.Status.SUBMITTED).annotate(
        n_claims=Count("claims")
    )

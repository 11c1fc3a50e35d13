"""Reads of filings and enterprises, always scoped to the user's banks."""

from typing import Any

from django.db.models import Count, QuerySet, Sum

from banks.selectors import scope_to_user_banks

from .models import LoanFiling


def filing_list_for(*, user: Any) -> QuerySet[LoanFiling]:
    return scope_to_user_banks(
        LoanFiling.objects.select_related("bank", "enterprise", "branch"), user
    )


def filing_detail_for(*, user: Any) -> QuerySet[LoanFiling]:
    return filing_list_for(user=user).select_related("filed_by", "import_batch").prefetch_related(
        "classifications", "claims", "enterprise__qualifications"
    )


def filing_totals_by_quarter(*, user: Any, quarters: int = 8) -> list[dict[str, Any]]:
    """What the user's banks filed per quarter and scheme (the latest ``quarters`` quarters)."""
    rows = (
        filing_list_for(user=user)
        .order_by()
        .values("quarter", "scheme")
        .annotate(count=Count("id"), principal=Sum("amount_cny"))
        .order_by("-quarter", "scheme")
    )
    out = list(rows)
    keep = sorted({r["quarter"] for r in out}, reverse=True)[:quarters]
    return [r for r in out if r["quarter"] in keep]

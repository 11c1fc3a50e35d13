"""Reads of filings and enterprises, always scoped to the user's banks."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, QuerySet, Sum

from banks.selectors import scope_to_user_banks

from .models import LoanFiling, Qualification


def filing_list_for(*, user: Any) -> QuerySet[LoanFiling]:
    return scope_to_user_banks(
        LoanFiling.objects.select_related("bank", "enterprise", "branch"), user
    )


def filing_detail_for(*, user: Any) -> QuerySet[LoanFiling]:
    return filing_list_for(user=user).select_related("filed_by", "import_batch").prefetch_related(
        "classifications", "claims", "enterprise__qualifications"
    )


def filing_totals_by_quarter(*, user: Any, quarters: int = 8) -> list[Mapping[str, Any]]:
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


def enterprise_as_filed(*, user: Any, credit_code: str) -> dict[str, Any] | None:
    """The enterprise with ``credit_code`` as the user's own banks last filed it, for pre-filling
    the filing form; None when they never filed it. Another bank's borrower stays unknown here:
    its name, size and certificates are that bank's business. The facts come from the latest
    filing's snapshot (what this bank declared), the enterprise row filling what the snapshot
    does not keep (the name, certificate numbers)."""
    filing = (filing_list_for(user=user).filter(enterprise__credit_code=credit_code)
              .order_by("-filed_on", "-pk").first())
    if filing is None:
        return None
    enterprise = filing.enterprise
    snap = filing.snapshot.get("enterprise") if isinstance(filing.snapshot, dict) else None
    snap = snap if isinstance(snap, dict) else {}
    # Keyed as the snapshot writes a certificate; a snapshot's entry may lack any of the three.
    certificates: dict[tuple[str | None, ...], Qualification] = {
        (q.type, q.valid_from.isoformat(), q.valid_to.isoformat()): q
        for q in enterprise.qualifications.all()}
    if isinstance(snap.get("qualifications"), list):
        qualifications = [
            {"type": q.get("type"), "valid_from": q.get("valid_from"),
             "valid_to": q.get("valid_to"),
             # This bank's own number, kept in the snapshot; the enterprise row's for a
             # filing made before snapshots kept them.
             "certificate_no": q["certificate_no"] if "certificate_no" in q else getattr(
                 certificates.get((q.get("type"), q.get("valid_from"), q.get("valid_to"))),
                 "certificate_no", "")}
            for q in snap["qualifications"] if isinstance(q, dict)]
    else:
        qualifications = [{"type": q.type, "valid_from": q.valid_from.isoformat(),
                           "valid_to": q.valid_to.isoformat(),
                           "certificate_no": q.certificate_no}
                          for q in certificates.values()]
    return {
        "name": filing.enterprise_name,
        "kind": snap.get("kind", enterprise.kind),
        "size": snap.get("size", enterprise.size),
        "in_bda": snap.get("in_bda", enterprise.is_in_bda),
        "tech_scope": snap.get("tech_scope", enterprise.is_tech_scope),
        "qualifications": qualifications,
    }

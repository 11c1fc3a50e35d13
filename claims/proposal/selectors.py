"""Reads for proposals to the bureau (补偿初审意见): passed claims, the day each passed, the
bureau's queue, and whether a bank's suspension stops a proposal. These
screens belong to the custodian, the bureau and auditors, who see every bank."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    CharField,
    Count,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, ExtractQuarter, ExtractYear
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _

from banks.selectors import suspension_of
from riskcomp.choices import Scheme
from riskcomp.labels import quarter_label
from riskcomp.policy.reasons import Reason, reason
from riskcomp.policy.types import ReasonCode
from riskcomp.policy.types import Scheme as PolicyScheme

from ..models import Claim, ClaimStatusChange, Proposal, ProposalWithdrawal

ZERO = Decimal("0.00")


def _passed_at() -> Subquery:
    return Subquery(
        ClaimStatusChange.objects.filter(claim=OuterRef("pk"), to_status=Claim.Status.PASSED)
        .order_by().values("claim").annotate(at=Max("changed_at")).values("at")[:1])


class PassedAnnotations(TypedDict):
    passed_at: datetime | None
    passed_quarter: str


if TYPE_CHECKING:  # a typing construct only: it cannot be subscripted at run time
    from django_stubs_ext import WithAnnotations

    PassedClaim = WithAnnotations[Claim, PassedAnnotations]


def passed_claims() -> "QuerySet[PassedClaim]":
    """Claims waiting to be proposed, with the day they passed review and its quarter (in the
    portal's time zone, the day ``riskcomp.policy.claims.proposal_admits`` is given)."""
    return (Claim.objects.filter(status=Claim.Status.PASSED)
            .select_related("bank", "filing", "filing__enterprise")
            .annotate(passed_at=_passed_at())
            .annotate(passed_quarter=Concat(
                Cast(ExtractYear("passed_at"), CharField()), Value("Q"),
                Cast(ExtractQuarter("passed_at"), CharField()), output_field=CharField())))


def passed_quarter_choices(qs: "QuerySet[PassedClaim]") -> tuple[tuple[str, str], ...]:
    quarters = (qs.order_by("-passed_quarter").values_list("passed_quarter", flat=True)
                .distinct()[:12])
    return tuple((q, quarter_label(q)) for q in quarters if q)


@dataclass(frozen=True)
class Totals:
    """Totals per bank and scheme (one row each) and the grand total of a set of claims."""

    rows: list[dict[str, Any]]
    count: int
    base: Decimal
    compensation: Decimal


def totals_by_bank_and_scheme(qs: QuerySet[Claim]) -> Totals:
    """Count, base and compensation per bank and scheme of the claims in ``qs`` the bureau has
    not rejected: a rejected claim is not compensated, so it is in no total."""
    sums = (qs.exclude(status=Claim.Status.BUREAU_REJECTED).order_by()
            .values("bank__name", "bank__short_name", "scheme")
            .annotate(n=Count("id"), base=Sum("base"), compensation=Sum("compensation"))
            .order_by("scheme", "bank__short_name"))
    labels = dict(Scheme.choices)
    rows: list[dict[str, Any]] = [
        {**r, "scheme_label": labels.get(r["scheme"], r["scheme"])} for r in sums]
    return Totals(rows=rows, count=sum(r["n"] for r in rows),
                  base=sum((r["base"] for r in rows), ZERO),
                  compensation=sum((r["compensation"] for r in rows), ZERO))


def proposal_list() -> QuerySet[Proposal]:
    return Proposal.objects.select_related("created_by").annotate(
        n_claims=Count("claims"),
        n_waiting=Count("claims", filter=Q(claims__status=Claim.Status.PROPOSED)),
        total=Coalesce(Sum("claims__compensation", filter=~Q(
            claims__status=Claim.Status.BUREAU_REJECTED)), ZERO),
    )


def proposal_detail() -> QuerySet[Proposal]:
    return proposal_list().prefetch_related(Prefetch(
        "claims", queryset=Claim.objects.select_related(
            "bank", "filing", "filing__enterprise", "confirmation").order_by("bank__code", "id")))


def withdrawals_of(proposal: Proposal) -> list[ProposalWithdrawal]:
    """The claims taken back out of ``proposal``, in the order they were withdrawn."""
    return list(proposal.withdrawals.select_related(
        "claim", "claim__bank", "claim__filing__enterprise", "withdrawn_by"))


def proposals_waiting_on_bureau() -> QuerySet[Proposal]:
    return proposal_list().filter(status=Proposal.Status.SUBMITTED).order_by("submitted_at")


def passed_on(claims: Iterable[Claim]) -> dict[int, date]:
    """The day each claim last passed the first review (初审通过), from its history rows."""
    ids = [c.pk for c in claims]
    rows = (ClaimStatusChange.objects.filter(claim_id__in=ids, to_status=Claim.Status.PASSED)
            .values("claim_id").annotate(at=Max("changed_at")))
    return {r["claim_id"]: timezone.localtime(r["at"]).date() for r in rows}


def suspended_reason(claims: list[Claim], scheme: str) -> Reason | None:
    """BANK_SUSPENDED naming the bank and its claims, when the bank of ``claims`` (all of one
    bank) is suspended in ``scheme``; None otherwise."""
    first = claims[0]
    state = suspension_of(bank_id=first.bank_id, scheme=scheme)
    if state is None or not state.is_suspended:
        return None
    base = reason(ReasonCode.BANK_SUSPENDED, PolicyScheme(scheme))
    why = (format_lazy(_("（人工暂停：{}）"), state.manual_reason)
           if state.is_manually_suspended and state.manual_reason else "")
    numbers = _("、").join(c.number for c in claims)
    message = format_lazy(_("{bank}：{msg}{why}。其申报 {numbers} 须待该行恢复后方可报送或确认"),
                          bank=first.bank.short_name, msg=base.message, why=why, numbers=numbers)
    return Reason(code=ReasonCode.BANK_SUSPENDED, message=message)


def proposals_waiting() -> QuerySet[Proposal]:
    return Proposal.objects.filter(status=Proposal.Status.SUBMITTED).annotate(
        n_claims=Count("claims")
    )

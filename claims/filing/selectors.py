"""Reads of claims, scoped to the user's banks, and the check of a filing before it is claimed."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    QuerySet,
)
from django.utils import timezone

from banks.models import SuspensionState
from banks.selectors import scope_to_user_banks
from loans.models import ClassificationReport, LoanFiling
from riskcomp.choices import Classification as ClassificationChoice
from riskcomp.listing import quarter_choices
from riskcomp.policy.claims import claim_refusals, classified_before_filing
from riskcomp.policy.compensation import compensation_amount
from riskcomp.policy.context import PolicyContext
from riskcomp.policy.deadlines import claim_deadline
from riskcomp.policy.params import SchemeParams, choose_version
from riskcomp.policy.reasons import Reason, reason
from riskcomp.policy.types import Classification, ReasonCode, Scheme, is_non_performing

from ..models import (
    Claim,
    ClaimDocument,
    Recovery,
    RecoveryStatement,
    SupplementRequest,
    WriteOff,
)
from ..payment.selectors import _overdue_annotations


def claim_list_for(*, user: Any) -> QuerySet[Claim]:
    return scope_to_user_banks(
        Claim.objects.select_related("bank", "filing", "filing__enterprise"), user
    )


def claim_detail_for(*, user: Any, today: date | None = None) -> QuerySet[Claim]:
    """One claim with its whole history: every related table in one query each; recoveries
    carry the overdue flags of ``recovery_list_for``."""
    today = today or timezone.localdate()
    return claim_list_for(user=user).select_related(
        "payment", "proposal", "confirmation", "created_by",
    ).prefetch_related(
        Prefetch("documents", queryset=ClaimDocument.objects.select_related("uploaded_by")),
        "status_changes__actor",
        "reviews__reviewer",
        Prefetch("supplements", queryset=SupplementRequest.objects.select_related(
            "requested_by", "answered_by")),
        Prefetch("recoveries", queryset=Recovery.objects.select_related(
            "reported_by", "return_payment", "return_payment__recorded_by",
        ).annotate(**_overdue_annotations(today)).order_by("recovered_on", "id")),
        Prefetch("write_offs", queryset=WriteOff.objects.select_related("applied_by")),
        Prefetch("statements", queryset=RecoveryStatement.objects.select_related(
            "submitted_by")),
    )


def claim_counts_by_status(*, user: Any) -> dict[str, int]:
    rows = claim_list_for(user=user).order_by().values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def claim_quarter_choices(qs: QuerySet[Claim]) -> tuple[tuple[str, str], ...]:
    """The loan quarters from the newest claimed loan's back to the oldest's (newest first), for
    the quarter filter. Each end walks the filings' quarter index to the first loan with a claim
    in ``qs``, where a DISTINCT would join every claim to its filing."""
    claimed = LoanFiling.objects.filter(Exists(qs.order_by().filter(filing=OuterRef("pk"))))
    quarters = claimed.values_list("quarter", flat=True)
    return quarter_choices(quarters.order_by("quarter").first(),
                           quarters.order_by("-quarter").first())


# --- Whether a filed loan may be claimed (the form shows this before anything is typed) -----

@dataclass(frozen=True)
class ClaimCheck:
    """What the rules say about claiming ``filing`` on ``on``: the loan's classification
    history read the way ``riskcomp.policy.claims`` means it, and every refusal."""

    filing: LoanFiling
    on: date
    params: SchemeParams | None
    classification: Classification | None
    classified_on: date | None  # first NPL classification of the current NPL spell
    npl_before_filing: bool
    deadline: date | None
    open_claim: Claim | None
    bank_suspended: bool
    refusals: tuple[Reason, ...]

    @property
    def allowed(self) -> bool:
        return not self.refusals

    @property
    def classification_label(self) -> str:
        if self.classification is None:
            return ""
        return str(ClassificationChoice(self.classification).label)

    @property
    def ratio(self) -> Decimal:
        return self.filing.ratio

    def compensation(self, base: Decimal) -> Decimal:
        return compensation_amount(base, self.filing.ratio)


def npl_history(reports: list[ClassificationReport], accepted_on: date
                ) -> tuple[Classification | None, date | None, bool]:
    """From a loan's classification reports (any order): the current classification, the date
    the current non-performing spell began (``None`` when the loan is not NPL now), and whether
    any non-performing classification predates the filing's acceptance (MICRO Art. 6(2),
    TECH Art. 7(4): even if it was cured since)."""
    ordered = sorted(reports, key=lambda r: (r.classified_on, r.pk or 0))
    if not ordered:
        return None, None, False
    current = Classification(ordered[-1].classification)
    spell_start: date | None = None
    for report in reversed(ordered):
        if not is_non_performing(Classification(report.classification)):
            break
        spell_start = report.classified_on
    before = any(
        is_non_performing(Classification(r.classification))
        and classified_before_filing(r.classified_on, accepted_on)
        for r in ordered
    )
    return current, spell_start, before


def claim_check(*, filing: LoanFiling, on: date, ctx: PolicyContext) -> ClaimCheck:
    """Every reason the rules refuse a claim for ``filing`` on ``on`` (MICRO Art. 6, 8, 13;
    TECH Art. 7, 9, 14), read from the database in four queries."""
    scheme = Scheme(filing.scheme)
    # The loan is judged under the version its filing recorded when it was accepted.
    choice = choose_version(ctx.params, scheme, filing.drawdown_date,
                            recorded=filing.policy_version)
    params = choice.params if choice is not None else None
    reports = list(ClassificationReport.objects.filter(filing=filing))
    classification, classified_on, before = npl_history(reports, filing.filed_on)
    open_claim = (Claim.objects.filter(filing=filing).exclude(status__in=Claim.CLOSED_STATUSES)
                  .order_by("-submitted_at").first())
    state = SuspensionState.objects.filter(bank_id=filing.bank_id, scheme=scheme).first()
    suspended = bool(state and state.is_suspended)
    if params is None:
        return ClaimCheck(filing=filing, on=on, params=None, classification=classification,
                          classified_on=classified_on, npl_before_filing=before, deadline=None,
                          open_claim=open_claim, bank_suspended=suspended,
                          refusals=(reason(ReasonCode.OUTSIDE_VALIDITY, scheme,
                                           drawdown=filing.drawdown_date,
                                           scheme_name=scheme),))
    refusals = claim_refusals(
        scheme=scheme, classification=classification, classified_on=classified_on,
        filing_accepted_on=filing.filed_on, npl_before_filing=before,
        maturity_date=filing.maturity_date, claim_date=on, params=params,
        bank_suspended=suspended, has_open_claim=open_claim is not None,
    )
    if open_claim is not None:  # name the open claim in the DUPLICATE message
        refusals = tuple(reason(ReasonCode.DUPLICATE, claim=open_claim.number)
                         if r.code == ReasonCode.DUPLICATE else r for r in refusals)
    return ClaimCheck(
        filing=filing, on=on, params=params, classification=classification,
        classified_on=classified_on, npl_before_filing=before,
        deadline=claim_deadline(filing.maturity_date, params), open_claim=open_claim,
        bank_suspended=suspended, refusals=refusals,
    )


def document_for(*, user: Any) -> QuerySet[ClaimDocument]:
    return scope_to_user_banks(ClaimDocument.objects.select_related("claim"), user,
                               field="claim__bank")

"""Reads of claims, scoped to the user's banks."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
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

from .models import (
    Claim,
    ClaimDocument,
    Proposal,
    Recovery,
    RecoveryStatement,
    ReturnPayment,
    SupplementRequest,
    WriteOff,
)

ZERO = Decimal("0.00")


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


def proposals_waiting() -> QuerySet[Proposal]:
    return Proposal.objects.filter(status=Proposal.Status.SUBMITTED).annotate(
        n_claims=Count("claims")
    )


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


# --- Money after compensation ----------------------------------------------------------------

def claim_returned_total(claim: Claim) -> Decimal:
    """What the bank has recorded as returned for ``claim`` (all its returns)."""
    total = ReturnPayment.objects.filter(recovery__claim=claim).aggregate(
        s=Sum("amount"))["s"]
    return total if total is not None else ZERO


def claim_return_due_total(claim: Claim) -> Decimal:
    """The sum of the returns computed for ``claim``'s recoveries so far."""
    total = Recovery.objects.filter(claim=claim).aggregate(s=Sum("return_amount"))["s"]
    return total if total is not None else ZERO


# --- Recoveries ------------------------------------------------------------------------------

def _overdue_annotations(today: date) -> dict[str, Any]:
    unreturned = Q(return_payment__isnull=True) & Q(return_amount__gt=0)
    return_late = Q(return_deadline__isnull=False, return_deadline__lt=today)
    notice_late = Q(notice_deadline__isnull=False, notified_on__gt=F("notice_deadline"))
    return {
        # Not returned and past the return deadline, or notified after the notice deadline:
        # shown in red until the return is recorded (MICRO Art. 18, TECH Art. 19).
        "is_overdue": Case(When(unreturned & (return_late | notice_late), then=Value(True)),
                           default=Value(False), output_field=BooleanField()),
        "is_notice_late": Case(When(notice_late, then=Value(True)), default=Value(False),
                               output_field=BooleanField()),
        "is_returned_late": Case(
            When(return_payment__returned_on__gt=F("return_deadline"), then=Value(True)),
            default=Value(False), output_field=BooleanField()),
    }


def recovery_list_for(*, user: Any, today: date | None = None) -> QuerySet[Recovery]:
    """Recoveries of the user's banks, each with ``is_overdue``, ``is_notice_late`` and
    ``is_returned_late`` (as of ``today``)."""
    today = today or timezone.localdate()
    qs = Recovery.objects.select_related(
        "claim", "claim__bank", "claim__filing", "claim__filing__enterprise", "return_payment",
    ).annotate(**_overdue_annotations(today))
    return scope_to_user_banks(qs, user, field="claim__bank")


def recovery_list_of_bank(*, bank_id: int, today: date | None = None) -> QuerySet[Recovery]:
    """The recoveries of one bank, annotated as ``recovery_list_for`` annotates them (the bank
    API's key is a bank's, not a user's with grants)."""
    today = today or timezone.localdate()
    return Recovery.objects.filter(claim__bank_id=bank_id).select_related(
        "claim", "claim__filing", "return_payment",
    ).annotate(**_overdue_annotations(today))


def recoveries_overdue_for(*, user: Any, today: date | None = None) -> QuerySet[Recovery]:
    """Recoveries whose return is overdue (or whose notice came late) and not yet returned."""
    return recovery_list_for(user=user, today=today).filter(is_overdue=True).order_by(
        Coalesce("return_deadline", "notified_on"), "id")


def recovery_detail_for(*, user: Any) -> QuerySet[Recovery]:
    return recovery_list_for(user=user)


def return_payment_for(*, user: Any) -> QuerySet[ReturnPayment]:
    return scope_to_user_banks(
        ReturnPayment.objects.select_related("recovery", "recovery__claim"), user,
        field="recovery__claim__bank")


def document_for(*, user: Any) -> QuerySet[ClaimDocument]:
    return scope_to_user_banks(ClaimDocument.objects.select_related("claim"), user,
                               field="claim__bank")


def writeoff_for(*, user: Any) -> QuerySet[WriteOff]:
    return scope_to_user_banks(WriteOff.objects.select_related("claim"), user,
                               field="claim__bank")


def statement_for(*, user: Any) -> QuerySet[RecoveryStatement]:
    return scope_to_user_banks(RecoveryStatement.objects.select_related("claim"), user,
                               field="claim__bank")


def claim_has_unreturned_recovery(claim: Claim) -> bool:
    """Whether a recovery of ``claim`` still waits for its return."""
    return Recovery.objects.filter(claim=claim, return_amount__gt=0).exclude(
        Exists(ReturnPayment.objects.filter(recovery=OuterRef("pk")))).exists()

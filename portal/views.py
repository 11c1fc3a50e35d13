"""The role-aware home screen."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.roles import Role, role_of
from banks.models import SuspensionState
from banks.selectors import bank_list_for, suspension_states_for, with_threshold_figures
from claims.filing.selectors import claim_counts_by_status, claim_list_for
from claims.models import Claim
from claims.payment.selectors import recoveries_overdue_for
from claims.proposal.selectors import proposals_waiting
from fund.models import LedgerEntry
from fund.selectors import (
    calendar_years_missing,
    fund_balance,
    ledger_sums_by_kind,
    lpr_missing,
    policy_context,
)
from loans.selectors import filing_list_for, filing_totals_by_quarter
from reports.models import ReportFile
from reports.selectors import annual_report_due
from riskcomp.policy.deadlines import open_filing_windows
from riskcomp.policy.eligibility import SCHEME_PREFERENCE
from riskcomp.policy.params import choose_version


def _claim_status_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"status": value, "label": label, "count": counts.get(value, 0)}
            for value, label in Claim.Status.choices]


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    role = role_of(user)
    ctx: dict[str, Any] = {"role": role}
    if role is None:
        return render(request, "home/no_role.html", ctx)
    if role == Role.BANK_OFFICER:
        ctx["banks"] = bank_list_for(user)  # first: the reads below reuse its ids
    counts = claim_counts_by_status(user=user)
    ctx["claim_status_rows"] = _claim_status_rows(counts)
    if role == Role.BANK_OFFICER:
        ctx["single_bank"] = len(ctx["banks"]) == 1
        policy = policy_context()
        today = timezone.localdate()
        ctx["suspension_states"] = [with_threshold_figures(s, policy, today)
                                    for s in suspension_states_for(user)]
        window = choose_version(policy.params, None, today, preference=SCHEME_PREFERENCE)
        ctx["filing_windows"] = [] if window is None else open_filing_windows(
            today, window.params, policy.calendar)
        ctx["quarters"] = filing_totals_by_quarter(user=user)
        ctx["recent_filings"] = filing_list_for(user=user)[:8]
        ctx["overdue_recoveries"] = list(recoveries_overdue_for(user=user, today=today)
                                         .select_related("claim__filing__enterprise")[:10])
        ctx["open_claims"] = claim_list_for(user=user).exclude(
            status__in=[*Claim.CLOSED_STATUSES, Claim.Status.PAID, Claim.Status.WRITTEN_OFF]
        )[:8]
        template = "home/bank_officer.html"
    else:
        ctx["suspended"] = (
            SuspensionState.objects.select_related("bank")
            .filter(Q(is_auto_suspended=True) | Q(is_manually_suspended=True))
        )
        ctx["balance"] = fund_balance()
        ctx["annual"] = annual_report_due(today=timezone.localdate())
        if role in (Role.REVIEWER, Role.ADMIN):
            ctx["calendar_missing"] = calendar_years_missing(today=timezone.localdate())
            ctx["lpr_missing"] = lpr_missing(today=timezone.localdate())
            ctx["lpr_month"] = timezone.localdate()
            ctx["queue"] = claim_list_for(user=user).filter(
                status__in=[Claim.Status.SUBMITTED, Claim.Status.PASSED, Claim.Status.CONFIRMED]
            )[:10]
            template = "home/reviewer.html"
        elif role == Role.APPROVER:
            ctx["proposals"] = proposals_waiting()
            ctx["waiting"] = claim_list_for(user=user).filter(status=Claim.Status.PROPOSED)[:10]
            template = "home/approver.html"
        else:
            ctx["ledger_by_kind"] = ledger_sums_by_kind()
            ctx["kind_labels"] = dict(LedgerEntry.Kind.choices)
            ctx["reports"] = ReportFile.objects.filter(is_current=True)[:10]
            template = "home/auditor.html"
    return render(request, template, ctx)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; the static URL is resolved per
    request because the manifest storage only knows it after collectstatic."""
    return redirect(static("favicon.svg"), permanent=True)

"""Reads of the fund and of the policy reference data."""

from datetime import date
from decimal import Decimal

from django.db.models import Sum

from riskcomp.policy.context import PolicyContext
from riskcomp.policy.params import LprRate as LprValue
from riskcomp.policy.params import SchemeParams
from riskcomp.policy.types import EnterpriseKind, EnterpriseSize, LoanType, Scheme
from riskcomp.policy.workdays import WorkdayCalendar

from .models import CalendarDay, CalendarYear, LedgerEntry, LprRate, PolicyVersion


def scheme_params_from(row: PolicyVersion) -> SchemeParams:
    return SchemeParams(
        scheme=Scheme(row.scheme),
        version=row.version,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        allowed_kinds=frozenset(EnterpriseKind(v) for v in row.allowed_kinds),
        allowed_sizes=frozenset(EnterpriseSize(v) for v in row.allowed_sizes),
        allowed_loan_types=frozenset(LoanType(v) for v in row.allowed_loan_types),
        requires_tech_scope=row.requires_tech_scope,
        excludes_other_cover=row.excludes_other_cover,
        amount_cap=row.amount_cap,
        outstanding_cap=row.outstanding_cap,
        outstanding_cap_qualified=row.outstanding_cap_qualified,
        rate_margin_percent=row.rate_margin_percent,
        long_term_years=row.long_term_years,
        credit_report_window_workdays=row.credit_report_window_workdays,
        filing_deadline_workday=row.filing_deadline_workday,
        claim_window_months=row.claim_window_months,
        recovery_notice_workdays=row.recovery_notice_workdays,
        return_workdays=row.return_workdays,
        base_ratio=row.base_ratio,
        raised_ratio=row.raised_ratio,
        risk_share_min=row.risk_share_min,
        risk_share_ratio_cap=row.risk_share_ratio_cap,
        suspend_claim_ratio=row.suspend_claim_ratio,
        suspend_net_compensation=row.suspend_net_compensation,
    )


def policy_context() -> PolicyContext:
    """Everything the pure engine needs, read from the database in four queries."""
    return PolicyContext(
        params=tuple(scheme_params_from(r) for r in PolicyVersion.objects.all()),
        lpr=tuple(
            LprValue(published_on=r.published_on, one_year_percent=r.one_year_percent,
                     five_year_percent=r.five_year_percent)
            for r in LprRate.objects.order_by("published_on")
        ),
        calendar=WorkdayCalendar(
            overrides={d.date: d.is_workday for d in CalendarDay.objects.all()},
            known_years=CalendarYear.objects.values_list("year", flat=True),
        ),
    )


def fund_balance(*, on: date | None = None) -> Decimal:
    """The fund account's cash balance: the sum of the ledger (on a date, inclusive)."""
    qs = LedgerEntry.objects.all()
    if on is not None:
        qs = qs.filter(booked_on__lte=on)
    total = qs.aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")

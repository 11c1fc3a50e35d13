"""The compensation calculator (补偿测算): every figure comes from ``riskcomp.policy``; this module
only gathers them for the screen. Nothing is saved."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from riskcomp.policy.compensation import compensation_amount
from riskcomp.policy.context import PolicyContext
from riskcomp.policy.deadlines import (
    credit_report_deadline,
    recovery_notice_deadline,
    return_deadline,
)
from riskcomp.policy.eligibility import (
    SCHEME_PREFERENCE,
    LoanDecision,
    decide_loan,
    is_qualified,
    lpr_for,
)
from riskcomp.policy.enterprise_size import Industry, size_contradiction
from riskcomp.policy.params import choose_version
from riskcomp.policy.reasons import CalendarUnknown, PolicyError
from riskcomp.policy.types import EnterpriseSize


@dataclass
class Deadline:
    label: str
    day: date | None
    note: str = ""
    since: date | None = None  # the day it is counted from: which year's schedule it awaits


@dataclass
class CalculatorResult:
    decision: LoanDecision
    qualified: bool
    lpr_percent: Decimal | None
    rate_cap_percent: Decimal | None
    compensation: Decimal | None
    deadlines: list[Deadline] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def calculate(form_data: dict[str, Any], enterprise: Any, loan: Any, ctx: PolicyContext
              ) -> CalculatorResult:
    decision = decide_loan(
        bank_schemes=form_data.get("bank_schemes") or [], enterprise=enterprise, loan=loan,
        params_all=ctx.params, lpr=ctx.lpr, cal=ctx.calendar,
        filing_date=form_data.get("filing_date"),
    )
    # Deadlines use the assigned scheme's figures, else any scheme's (their windows agree).
    choice = choose_version(ctx.params, decision.scheme, loan.drawdown_date,
                            preference=SCHEME_PREFERENCE)
    params = choice.params if choice is not None else None
    warnings: list[str] = []
    if decision.calendar_unknown is not None:
        warnings.append(str(decision.calendar_unknown.message))
    lpr_percent = cap = None
    if params is not None:
        try:
            lpr_percent = lpr_for(ctx.lpr, loan.drawdown_date, loan.maturity_date, params)
            cap = lpr_percent + params.rate_margin_percent
        except PolicyError as exc:
            warnings.append(str(exc.message))
    deadlines = [
        Deadline("filing", decision.filing_deadline,
                 "" if decision.filing_on_time is None else
                 ("on_time" if decision.filing_on_time else "late"),
                 since=loan.drawdown_date),
        Deadline("claim", decision.claim_deadline),
    ]
    if params is not None:
        deadlines.insert(0, Deadline("credit_report", _try(
            lambda: credit_report_deadline(loan.drawdown_date, params, ctx.calendar), warnings),
            since=loan.drawdown_date))
    compensation = None
    npl = form_data.get("npl_principal")
    if npl is not None and decision.ratio is not None:
        compensation = compensation_amount(npl, decision.ratio)
    recovered_on = form_data.get("recovery_date")
    if recovered_on and params is not None:
        notice = _try(lambda: recovery_notice_deadline(recovered_on, params, ctx.calendar),
                      warnings)
        deadlines.append(Deadline("recovery_notice", notice, since=recovered_on))
        notified = form_data.get("notified_date") or notice
        if notified is not None:
            deadlines.append(Deadline("return", _try(
                lambda: return_deadline(notified, params, ctx.calendar), warnings),
                since=notified))
    industry = form_data.get("industry")
    if industry:
        try:
            note = size_contradiction(EnterpriseSize(enterprise.size), Industry(industry),
                                      form_data.get("employees"), form_data.get("revenue"),
                                      form_data.get("total_assets"))
        except ValueError as exc:
            note = str(exc)
        if note:
            warnings.append(str(note))
    return CalculatorResult(
        decision=decision, qualified=is_qualified(enterprise, loan.drawdown_date),
        lpr_percent=lpr_percent, rate_cap_percent=cap, compensation=compensation,
        deadlines=deadlines, warnings=warnings,
    )


def _try(fn: Any, warnings: list[str]) -> date | None:
    try:
        return cast("date | None", fn())
    except CalendarUnknown as exc:
        message = str(exc.message)
        if message not in warnings:
            warnings.append(message)
        return None

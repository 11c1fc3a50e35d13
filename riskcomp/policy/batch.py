"""The batch check: JSON-shaped cases in, JSON-shaped verdicts out, one per case, in order.

Case kinds: ``loan``, ``suspension``, ``return``, ``workdays`` (see ``run_cases``). A malformed
case gives ``{"id": ..., "error": "<field>: <what is wrong>"}``; ``run_cases`` never raises.
Money goes out as strings with two decimals, ratios as strings like "0.30", dates ISO.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from .compensation import compensation_amount, return_amount, to_fen
from .context import PolicyContext
from .contradictions import out_of_order
from .deadlines import notified_on_time, recovery_notice_deadline, return_deadline
from .eligibility import (
    CNY,
    SCHEME_PREFERENCE,
    EnterpriseFacts,
    LoanFacts,
    QualificationFacts,
    decide_loan,
)
from .params import SchemeParams, choose_version
from .reasons import CalendarUnknown, PolicyError
from .suspension import SuspensionFigures, next_suspended
from .types import (
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    QualificationType,
    ReasonCode,
    Scheme,
)

E = TypeVar("E", bound=StrEnum)
Output = dict[str, Any]


class Malformed(Exception):
    """A case that cannot be read: ``path`` names the field."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


class _Fields:
    """Typed access to one JSON object, naming the field in every error."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise Malformed(path or "case", f"must be an object, not {_json_type(data)}")
        self._data: Mapping[str, Any] = data
        self._path = path

    def name(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def has(self, key: str) -> bool:
        return self._data.get(key) is not None

    def raw(self, key: str) -> Any:
        if key not in self._data or self._data[key] is None:
            raise Malformed(self.name(key), "required")
        return self._data[key]

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            raise Malformed(self.name(key), f"must be a non-empty string, not {value!r}")
        return value.strip()

    def boolean(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise Malformed(self.name(key), f"must be true or false, not {value!r}")
        return value

    def decimal(self, key: str, *, minimum: Decimal | None = None) -> Decimal:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise Malformed(self.name(key), f"must be a decimal string, not {value!r}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise Malformed(self.name(key), f"not a decimal: {value!r}") from None
        if not number.is_finite():
            raise Malformed(self.name(key), f"not a finite decimal: {value!r}")
        if minimum is not None and number < minimum:
            raise Malformed(self.name(key), f"must be at least {minimum}, not {value!r}")
        return number

    def optional_decimal(self, key: str, *, minimum: Decimal | None = None) -> Decimal | None:
        return self.decimal(key, minimum=minimum) if self.has(key) else None

    def day(self, key: str) -> date:
        value = self.raw(key)
        if not isinstance(value, str):
            raise Malformed(self.name(key), f"must be an ISO date string, not {value!r}")
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise Malformed(self.name(key), f"not an ISO date (YYYY-MM-DD): {value!r}") from None

    def optional_day(self, key: str) -> date | None:
        return self.day(key) if self.has(key) else None

    def count(self, key: str) -> int:
        value = self.raw(key)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Malformed(self.name(key), f"must be a whole number ≥ 0, not {value!r}")
        return value

    def choice(self, key: str, enum: type[E]) -> E:
        return _choice(self.raw(key), enum, self.name(key))

    def obj(self, key: str) -> _Fields:
        return _Fields(self.raw(key), self.name(key))

    def items(self, key: str) -> list[Any]:
        value = self.raw(key)
        if not isinstance(value, list):
            raise Malformed(self.name(key), f"must be a list, not {_json_type(value)}")
        return value


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if value is None:
        return "null"
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _choice(value: object, enum: type[E], path: str) -> E:
    allowed = ", ".join(member.value for member in enum)
    if not isinstance(value, str):
        raise Malformed(path, f"must be one of {allowed}, not {value!r}")
    try:
        return enum(value)
    except ValueError:
        raise Malformed(path, f"unknown value {value!r} (expected one of {allowed})") from None


def _money(amount: Decimal) -> str:
    return format(to_fen(amount), "f")


def _ratio(ratio: Decimal | None) -> str | None:
    if ratio is None:
        return None
    two_places = ratio.quantize(Decimal("0.01"))
    if two_places == ratio:  # at least two places: 0.3 → "0.30"
        return format(two_places, "f")
    return format(ratio.normalize(), "f")


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _calendar_error(case_id: object, exc: CalendarUnknown) -> Output:
    return {"id": case_id, "error": f"{ReasonCode.CALENDAR_UNKNOWN}: {exc.message}"}


# --- loan ------------------------------------------------------------------------------------


def _enterprise(fields: _Fields) -> EnterpriseFacts:
    qualifications = []
    for index, item in enumerate(fields.items("qualifications")):
        q = _Fields(item, f"{fields.name('qualifications')}[{index}]")
        valid_from, valid_to = q.day("valid_from"), q.day("valid_to")
        if valid_to < valid_from:
            raise Malformed(q.name("valid_to"), "is before valid_from")
        qualifications.append(
            QualificationFacts(q.choice("type", QualificationType), valid_from, valid_to)
        )
    return EnterpriseFacts(
        credit_code=fields.text("credit_code"),
        kind=fields.choice("kind", EnterpriseKind),
        size=fields.choice("size", EnterpriseSize),
        in_bda=fields.boolean("in_bda"),
        qualifications=tuple(qualifications),
        micro_conduct_ok=_conduct(fields, "micro_conduct_ok"),
        tech_conduct_ok=_conduct(fields, "tech_conduct_ok"),
        tech_scope=fields.boolean("tech_scope"),
    )


def _conduct(fields: _Fields, key: str) -> bool:
    """A scheme's own conduct attestation (``micro_conduct_ok``, ``tech_conduct_ok``); the single
    ``conduct_ok`` of older inputs stands for each scheme that has no key of its own."""
    if fields.has(key) or not fields.has("conduct_ok"):
        return fields.boolean(key)
    return fields.boolean("conduct_ok")


def _loan(fields: _Fields) -> LoanFacts:
    zero = Decimal(0)
    currency = fields.text("currency").upper()
    fx_rate = fields.optional_decimal("fx_rate")
    if currency != CNY and (fx_rate is None or fx_rate <= 0):
        raise Malformed(fields.name("fx_rate"), f"a positive rate is required for {currency}")
    drawdown = fields.day("drawdown_date")
    maturity = fields.day("maturity_date")
    if out_of_order(drawdown_date=drawdown, maturity_date=maturity):
        raise Malformed(fields.name("maturity_date"), "is before drawdown_date")
    amount = fields.decimal("amount", minimum=zero)
    if amount == 0:
        raise Malformed(fields.name("amount"), "must be more than 0")
    return LoanFacts(
        loan_type=fields.choice("type", LoanType),
        amount=amount,
        currency=currency,
        fx_rate=fx_rate,
        drawdown_date=drawdown,
        maturity_date=maturity,
        rate_percent=fields.decimal("rate_percent", minimum=zero),
        bank_outstanding_to_enterprise=fields.decimal(
            "bank_outstanding_to_enterprise", minimum=zero
        ),
        credit_report_outstanding=fields.decimal("credit_report_outstanding", minimum=zero),
        credit_report_date=fields.day("credit_report_date"),
        other_cover=fields.boolean("other_cover"),
        first_loan=fields.boolean("first_loan"),
        bank_risk_share_percent=fields.optional_decimal("bank_risk_share_percent", minimum=zero),
    )


def _loan_case(case: _Fields, case_id: object, ctx: PolicyContext) -> Output:
    bank_schemes = [
        _choice(value, Scheme, f"bank_schemes[{index}]")
        for index, value in enumerate(case.items("bank_schemes"))
    ]
    enterprise = _enterprise(case.obj("enterprise"))
    loan = _loan(case.obj("loan"))
    filing_date = case.optional_day("filing_date")
    npl_principal = case.optional_decimal("npl_principal", minimum=Decimal(0))

    decision = decide_loan(
        bank_schemes=bank_schemes,
        enterprise=enterprise,
        loan=loan,
        params_all=ctx.params,
        lpr=ctx.lpr,
        cal=ctx.calendar,
        filing_date=filing_date,
    )
    output: Output = {
        "id": case_id,
        "scheme": None if decision.scheme is None else str(decision.scheme),
        "verdicts": {
            str(scheme): {
                "eligible": decision.verdicts[scheme].eligible,
                "reasons": [str(r.code) for r in decision.verdicts[scheme].reasons],
            }
            for scheme in Scheme
        },
        "ratio": _ratio(decision.ratio),
        "filing_deadline": _iso(decision.filing_deadline),
        "filing_on_time": decision.filing_on_time,
        "claim_deadline": _iso(decision.claim_deadline),
        "warnings": [str(ReasonCode.CALENDAR_UNKNOWN)] if decision.calendar_unknown else [],
    }
    if npl_principal is not None:
        output["compensation"] = (
            None
            if decision.ratio is None
            else _money(compensation_amount(npl_principal, decision.ratio))
        )
    return output


# --- suspension, return, workdays -----------------------------------------------------------


def _suspension_case(case: _Fields, case_id: object, ctx: PolicyContext) -> Output:
    scheme = case.choice("scheme", Scheme)
    figures = SuspensionFigures(
        filed_principal=case.decimal("filed_principal", minimum=Decimal(0)),
        claimed_principal=case.decimal("claimed_principal", minimum=Decimal(0)),
        net_compensation=case.decimal("net_compensation"),
    )
    was_suspended = case.boolean("was_suspended")
    # Reading (batch): a suspension case carries no date, so the newest version's thresholds
    # apply (the version nearest to the end of time).
    choice = choose_version(ctx.params, scheme, date.max)
    if choice is None:
        raise Malformed("scheme", f"no policy version for {scheme}")
    suspended, _ = next_suspended(choice.params, figures, was_suspended)
    return {"id": case_id, "suspended": suspended}


def _deadline_params(ctx: PolicyContext, scheme: Scheme | None, on: date) -> SchemeParams:
    choice = choose_version(ctx.params, scheme, on, preference=SCHEME_PREFERENCE)
    if choice is not None:
        return choice.params
    raise Malformed("scheme", "no policy version to take the deadlines from")


def _return_case(case: _Fields, case_id: object, ctx: PolicyContext) -> Output:
    zero = Decimal(0)
    recovered = case.decimal("recovered", minimum=zero)
    ratio = case.decimal("ratio", minimum=zero)
    if ratio > 1:
        raise Malformed("ratio", f"must be a fraction between 0 and 1, not {ratio}")
    paid = case.decimal("paid", minimum=zero)
    returned_before = case.decimal("returned_before", minimum=zero)
    recovery_date = case.day("recovery_date")
    notified_date = case.day("notified_date")
    scheme = case.choice("scheme", Scheme) if case.has("scheme") else None
    params = _deadline_params(ctx, scheme, recovery_date)
    amount = return_amount(
        recovered=recovered, ratio=ratio, paid=paid, returned_before=returned_before
    )
    # A deadline in a year the calendar does not know reads CALENDAR_UNKNOWN, each on its own:
    # the amount and the other deadline do not depend on it.
    unknown = str(ReasonCode.CALENDAR_UNKNOWN)
    output: Output = {"id": case_id, "return_amount": _money(amount)}
    try:
        output["notice_deadline"] = recovery_notice_deadline(
            recovery_date, params, ctx.calendar).isoformat()
    except CalendarUnknown:
        output["notice_deadline"] = unknown
    try:
        output["notified_on_time"] = notified_on_time(recovery_date, notified_date, params,
                                                      ctx.calendar)
    except CalendarUnknown:
        output["notified_on_time"] = None
    try:
        output["return_deadline"] = return_deadline(notified_date, params,
                                                    ctx.calendar).isoformat()
    except CalendarUnknown:
        output["return_deadline"] = unknown
    if unknown in (output["notice_deadline"], output["return_deadline"]):
        output["warnings"] = [unknown]
    return output


def _workdays_case(case: _Fields, case_id: object, ctx: PolicyContext) -> Output:
    start = case.day("start")
    days = case.count("days")
    try:
        result = ctx.calendar.add_workdays(start, days)
    except CalendarUnknown as exc:
        return _calendar_error(case_id, exc)
    return {"id": case_id, "date": result.isoformat()}


_HANDLERS: Mapping[str, Callable[[_Fields, object, PolicyContext], Output]] = {
    "loan": _loan_case,
    "suspension": _suspension_case,
    "return": _return_case,
    "workdays": _workdays_case,
}


def run_case(case: object, ctx: PolicyContext) -> Output:
    """One case's output; never raises."""
    case_id = case.get("id") if isinstance(case, Mapping) else None
    if isinstance(case_id, dict | list):
        case_id = None
    try:
        fields = _Fields(case, "")
        fields.raw("id")
        kind = fields.raw("kind")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            expected = ", ".join(_HANDLERS)
            raise Malformed("kind", f"unknown kind {kind!r} (expected one of {expected})")
        return handler(fields, case_id, ctx)
    except Malformed as exc:
        return {"id": case_id, "error": str(exc)}
    except CalendarUnknown as exc:
        return _calendar_error(case_id, exc)
    except PolicyError as exc:
        return {"id": case_id, "error": f"{exc.code}: {exc.message}"}
    except Exception as exc:  # the batch check reports, it never raises
        return {"id": case_id, "error": f"internal error: {type(exc).__name__}: {exc}"}


def run_cases(cases: list[Any], ctx: PolicyContext) -> list[dict[str, Any]]:
    """The batch check: one JSON-serialisable output per case, in order."""
    return [run_case(case, ctx) for case in cases]

"""Which scheme covers a loan (MICRO Art. 2, 5, 6; TECH Art. 2, 6, 7, 8) and the loan's deadlines.

``judge_scheme`` lists every condition of one scheme that the loan fails; ``decide_loan`` judges
both schemes, assigns the loan to one (TECH first, TECH Art. 8) and computes its deadlines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .compensation import HUNDRED, compensation_ratio, to_fen
from .credit_code import validate_credit_code
from .deadlines import (
    add_months,
    claim_deadline,
    credit_report_deadline,
    credit_report_in_time,
    filing_deadline,
    filing_on_time,
)
from .params import LprRate, SchemeParams, choose_version
from .reasons import CalendarUnknown, PolicyError, Reason, reason, yuan
from .types import (
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    QualificationType,
    ReasonCode,
    Scheme,
    member,
)
from .workdays import WorkdayCalendar

CNY = "CNY"

# TECH Art. 8, last paragraph: a loan covered by both schemes is a TECH loan.
SCHEME_PREFERENCE: tuple[Scheme, ...] = (Scheme.TECH, Scheme.MICRO)


@dataclass(frozen=True)
class QualificationFacts:
    """A qualification certificate (MICRO Art. 6(4), Art. 7(2)) and its validity, both ends in."""

    type: QualificationType
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class EnterpriseFacts:
    """The borrower as the bank files it."""

    credit_code: str
    kind: EnterpriseKind
    size: EnterpriseSize
    in_bda: bool  # operates in the BDA (亦庄新城 225 km², MICRO Art. 4, TECH Art. 5)
    qualifications: tuple[QualificationFacts, ...]
    # Each scheme's conduct conditions are its own lists, so the bank attests each separately:
    # no major administrative penalty published nor criminal record in three years, not on the
    # serious-dishonesty list (MICRO Art. 5(2))
    micro_conduct_ok: bool
    # not on the abnormal-operations nor the dishonesty list, no major safety (network and data
    # security included), quality or environmental accident nor tax evasion in three years
    # (TECH Art. 2, 6(2))
    tech_conduct_ok: bool
    tech_scope: bool  # the bank attests the scope of 财金〔2024〕60号 (TECH Art. 2, 12(3))

    def conduct_ok(self, scheme: Scheme) -> bool:
        """Whether the bank attests ``scheme``'s own conduct conditions."""
        attested = {Scheme.MICRO: self.micro_conduct_ok, Scheme.TECH: self.tech_conduct_ok}
        return attested[member(Scheme, scheme)]


@dataclass(frozen=True)
class LoanFacts:
    """The loan as the bank files it. Money in ``currency`` unless said otherwise."""

    loan_type: LoanType
    amount: Decimal
    currency: str  # ISO 4217, "CNY" for renminbi
    fx_rate: Decimal | None  # CNY per one unit of ``currency`` on the drawdown date
    drawdown_date: date  # the date on the IOU (借款借据)
    maturity_date: date  # the contract's maturity date (合同到期日)
    rate_percent: Decimal  # annual interest rate in percent
    bank_outstanding_to_enterprise: Decimal  # CNY: this bank's other filed loans still outstanding
    credit_report_outstanding: Decimal  # CNY: outstanding loans on the credit report (征信报告)
    credit_report_date: date
    other_cover: bool  # insured, guaranteed by a guarantee company or other fiscal compensation
    first_loan: bool  # the enterprise's first credit / IP-pledge / receivables-pledge loan (首笔)
    bank_risk_share_percent: Decimal | None = None  # TECH risk sharing: the bank keeps this %


@dataclass(frozen=True)
class SchemeVerdict:
    """One scheme's judgement of a loan: every failing condition, and the ratio when eligible."""

    scheme: Scheme
    eligible: bool
    reasons: tuple[Reason, ...]
    ratio: Decimal | None
    version: str | None  # the policy version whose figures were used

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)


@dataclass(frozen=True)
class LoanDecision:
    """Both schemes' verdicts, the scheme the loan belongs to, and its deadlines."""

    scheme: Scheme | None
    verdicts: dict[Scheme, SchemeVerdict]
    ratio: Decimal | None  # the assigned scheme's compensation ratio
    cny_amount: Decimal
    filing_deadline: date | None  # None when the calendar does not know the year
    filing_on_time: bool | None  # None without a filing date, or when undecidable
    claim_deadline: date
    calendar_unknown: Reason | None  # set when a deadline or a verdict needs an unknown year


def is_qualified(enterprise: EnterpriseFacts, on: date) -> bool:
    """Whether the enterprise holds a qualification valid on ``on``.

    Reading (qualification): a qualification counts for a loan when it is valid on the loan's
    drawdown date (callers pass the drawdown date), both ends of its validity included.
    """
    return any(q.valid_from <= on <= q.valid_to for q in enterprise.qualifications)


def qualification_types_on(qualifications: Iterable[QualificationFacts],
                           on: date) -> tuple[QualificationType, ...]:
    """The types of the qualifications valid on ``on`` (the same Reading as ``is_qualified``:
    callers pass the drawdown date), each once, in the order of ``QualificationType``."""
    held = {q.type for q in qualifications if q.valid_from <= on <= q.valid_to}
    return tuple(t for t in QualificationType if t in held)


def cny_amount(loan: LoanFacts) -> Decimal:
    """The loan's principal in CNY (MICRO Art. 6(4), TECH Art. 7(2)).

    A foreign-currency loan is converted at the rate the bank gives for the drawdown date (the
    central parity, failing that the spot buying rate, failing that the cash buying rate), rounded
    half-up to the fen. Raises ``PolicyError(AMOUNT_CAP)`` when the rate is missing.
    """
    if loan.currency.strip().upper() == CNY:
        return loan.amount
    if loan.fx_rate is None or loan.fx_rate <= 0:
        raise PolicyError.of(ReasonCode.AMOUNT_CAP, currency=loan.currency)
    return to_fen(loan.amount * loan.fx_rate)


def lpr_for(
    lpr: Sequence[LprRate], drawdown: date, maturity: date, params: SchemeParams
) -> Decimal:
    """The same-term LPR in percent for a loan (MICRO Art. 6(5), TECH Art. 7(5)).

    Reading (LPR): the LPR in force on the drawdown date, i.e. the latest published on or before
    it; a term up to ``long_term_years`` (5) compares with the 1-year LPR, a longer one with the
    5-year LPR. Raises ``PolicyError(RATE_CAP)`` when no LPR was published by the drawdown.
    """
    published = [rate for rate in lpr if rate.published_on <= drawdown]
    if not published:
        raise PolicyError.of(ReasonCode.RATE_CAP, params.scheme, under=params, drawdown=drawdown)
    current = max(published, key=lambda rate: rate.published_on)
    if maturity <= add_months(drawdown, 12 * params.long_term_years):
        return current.one_year_percent
    return current.five_year_percent


def bank_total_with_loan(loan: LoanFacts) -> Decimal:
    """The figure the amount cap applies to (MICRO Art. 6(4), TECH Art. 7(2)).

    Reading (amount cap): the principal of this bank's filed loans to the enterprise still
    outstanding on the drawdown date, plus this loan.
    """
    return loan.bank_outstanding_to_enterprise + cny_amount(loan)


def report_total_with_loan(loan: LoanFacts) -> Decimal:
    """The figure the outstanding cap applies to (MICRO Art. 6(4), TECH Art. 7(2)).

    Reading (含/加本笔): a credit report dated before the drawdown cannot show this loan yet, so
    the loan is added; a report dated on or after the drawdown already includes it.
    """
    if loan.credit_report_date < loan.drawdown_date:
        return loan.credit_report_outstanding + cny_amount(loan)
    return loan.credit_report_outstanding


def outstanding_cap(params: SchemeParams, qualified: bool) -> Decimal:
    """The credit-report cap: raised for a qualified enterprise (MICRO Art. 6(4))."""
    return params.outstanding_cap_qualified if qualified else params.outstanding_cap


def _percent(value: Decimal) -> str:
    """A percentage as shown in messages: at least two decimals (3 → "3.00", 4.125 → "4.125")."""
    two_places = value.quantize(Decimal("0.01"))
    return format(two_places if two_places == value else value.normalize(), "f")


def _plain(value: Decimal) -> str:
    """A share or basis-point figure without needless zeros (20.00 → "20", 19.50 → "19.5")."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _select_params(
    params_all: Iterable[SchemeParams], scheme: Scheme, drawdown: date
) -> tuple[SchemeParams | None, Reason | None]:
    """The version for the drawdown date, or the nearest one with an OUTSIDE_VALIDITY reason
    that says in words which scheme, which dates and which version (MICRO Art. 28, TECH
    Art. 27)."""
    choice = choose_version(params_all, scheme, drawdown)
    if choice is None:
        return None, reason(
            ReasonCode.OUTSIDE_VALIDITY, scheme, drawdown=drawdown, scheme_name=scheme
        )
    if choice.in_force:
        return choice.params, None
    nearest = choice.params
    outside = reason(
        ReasonCode.OUTSIDE_VALIDITY,
        scheme,
        under=nearest,
        drawdown=drawdown,
        scheme_name=scheme,
        version=nearest.version,
        valid_from=nearest.valid_from,
        valid_to=nearest.valid_to,
    )
    return nearest, outside


def judge_scheme(
    scheme: Scheme,
    *,
    bank_schemes: Iterable[Scheme | str],
    enterprise: EnterpriseFacts,
    loan: LoanFacts,
    params_all: Iterable[SchemeParams],
    lpr: Sequence[LprRate],
    cal: WorkdayCalendar,
) -> SchemeVerdict:
    """Judge the loan under one scheme, listing every condition it fails (not only the first).

    A drawdown outside every version's validity is judged with the nearest version's figures and
    also fails OUTSIDE_VALIDITY. When the credit-report window needs a year the calendar does not
    know, the verdict carries CALENDAR_UNKNOWN instead of guessing. Raises ``PolicyError`` for a
    foreign-currency loan without its rate.
    """
    scheme = member(Scheme, scheme)
    params, outside = _select_params(params_all, scheme, loan.drawdown_date)
    if params is None:
        return SchemeVerdict(scheme, False, () if outside is None else (outside,), None, None)

    reasons: list[Reason] = []

    def fail(code: ReasonCode, **fmt: object) -> None:
        reasons.append(reason(code, scheme, under=params, **fmt))

    # MICRO Art. 2 / TECH Art. 3: a cooperation agreement for the scheme.
    if scheme not in {member(Scheme, s) for s in bank_schemes}:
        fail(ReasonCode.NO_AGREEMENT)
    # MICRO Art. 28 / TECH Art. 27.
    if outside is not None:
        reasons.append(outside)
    # GB 32100-2015: a loan to an unidentifiable borrower cannot be judged eligible.
    try:
        validate_credit_code(enterprise.credit_code)
    except PolicyError as exc:
        reasons.append(exc.reason)
    # MICRO Art. 4, 5(1) / TECH Art. 5, 6(1).
    if not enterprise.in_bda:
        fail(ReasonCode.NOT_IN_BDA)
    # MICRO Art. 2 / TECH Art. 2.
    if enterprise.kind not in params.allowed_kinds:
        fail(ReasonCode.BORROWER_KIND, kind=EnterpriseKind(enterprise.kind))
    if enterprise.size not in params.allowed_sizes:
        fail(ReasonCode.BORROWER_SIZE, size=EnterpriseSize(enterprise.size))
    # MICRO Art. 5(2) / TECH Art. 2, 6(2): each scheme judged on its own attestation.
    if not enterprise.conduct_ok(scheme):
        fail(ReasonCode.CONDUCT)
    # TECH Art. 2, 12(3).
    if params.requires_tech_scope and not enterprise.tech_scope:
        fail(ReasonCode.TECH_SCOPE)
    # MICRO Art. 6(3) / TECH Art. 7(1).
    if loan.loan_type not in params.allowed_loan_types:
        fail(ReasonCode.LOAN_TYPE, loan_type=LoanType(loan.loan_type))
    # MICRO Art. 6(3).
    if params.excludes_other_cover and loan.other_cover:
        fail(ReasonCode.OTHER_COVER)
    # TECH Art. 7(1)2: the bank keeps at least 20 % of the principal risk.
    if (
        loan.loan_type == LoanType.RISK_SHARING
        and loan.loan_type in params.allowed_loan_types
        and params.risk_share_min is not None
    ):
        minimum = params.risk_share_min * HUNDRED
        if loan.bank_risk_share_percent is None:
            fail(ReasonCode.RISK_SHARE, minimum=_plain(minimum))
        elif loan.bank_risk_share_percent < minimum:
            fail(
                ReasonCode.RISK_SHARE,
                share=_plain(loan.bank_risk_share_percent),
                minimum=_plain(minimum),
            )
    # MICRO Art. 6(4) / TECH Art. 7(2): amount from this bank to this enterprise.
    bank_total = bank_total_with_loan(loan)
    if bank_total > params.amount_cap:
        fail(ReasonCode.AMOUNT_CAP, total=yuan(bank_total), cap=yuan(params.amount_cap))
    # MICRO Art. 6(4) / TECH Art. 7(2): outstanding loans on the credit report.
    qualified = is_qualified(enterprise, loan.drawdown_date)
    report_total = report_total_with_loan(loan)
    cap = outstanding_cap(params, qualified)
    if report_total > cap:
        fail(ReasonCode.OUTSTANDING_CAP, total=yuan(report_total), cap=yuan(cap))
    # MICRO Art. 6(4) / TECH Art. 7(2): report before drawdown or within 10 working days after.
    try:
        report_in_time = credit_report_in_time(
            loan.drawdown_date, loan.credit_report_date, params, cal
        )
    except CalendarUnknown as exc:
        reasons.append(exc.reason)
    else:
        if not report_in_time:
            try:
                report_deadline = credit_report_deadline(loan.drawdown_date, params, cal)
            except CalendarUnknown:  # late for certain, though the exact day is unknown
                fail(ReasonCode.CREDIT_REPORT_DATE)
            else:
                fail(
                    ReasonCode.CREDIT_REPORT_DATE,
                    report_date=loan.credit_report_date,
                    days=params.credit_report_window_workdays,
                    deadline=report_deadline,
                )
    # MICRO Art. 6(5) / TECH Art. 7(5): rate at most the same-term LPR + 150 bp.
    try:
        lpr_percent = lpr_for(lpr, loan.drawdown_date, loan.maturity_date, params)
    except PolicyError as exc:
        reasons.append(exc.reason)
    else:
        ceiling = lpr_percent + params.rate_margin_percent
        if loan.rate_percent > ceiling:
            fail(
                ReasonCode.RATE_CAP,
                rate=_percent(loan.rate_percent),
                lpr=_percent(lpr_percent),
                bp=_plain(params.rate_margin_percent * HUNDRED),
                ceiling=_percent(ceiling),
            )

    eligible = not reasons
    ratio = None
    if eligible:
        ratio = compensation_ratio(
            scheme,
            params=params,
            loan_type=loan.loan_type,
            qualified=qualified,
            first_loan=loan.first_loan,
            bank_risk_share_percent=loan.bank_risk_share_percent,
        )
    return SchemeVerdict(scheme, eligible, tuple(reasons), ratio, params.version)


def _only_calendar_unknown(verdict: SchemeVerdict) -> bool:
    return bool(verdict.reasons) and all(
        r.code == ReasonCode.CALENDAR_UNKNOWN for r in verdict.reasons
    )


def assign_scheme(verdicts: dict[Scheme, SchemeVerdict]) -> Scheme | None:
    """The scheme the loan belongs to: the first eligible one in ``SCHEME_PREFERENCE``.

    A preferred scheme that fails nothing but an unknown calendar leaves the loan unassigned:
    it might still be that scheme's, and guessing MICRO would be wrong then.
    """
    for scheme in SCHEME_PREFERENCE:
        verdict = verdicts.get(scheme)
        if verdict is None:
            continue
        if verdict.eligible:
            return scheme
        if _only_calendar_unknown(verdict):
            return None
    return None


def _deadline_params(
    params_all: Iterable[SchemeParams], scheme: Scheme | None, drawdown: date
) -> SchemeParams:
    """The figures the loan's deadlines use: the assigned scheme's version, else the first scheme
    in preference order that has one (the filing and claim windows are the same in both)."""
    choice = choose_version(params_all, scheme, drawdown, preference=SCHEME_PREFERENCE)
    if choice is None and scheme is not None:
        choice = choose_version(params_all, None, drawdown, preference=SCHEME_PREFERENCE)
    if choice is None:
        raise ValueError("no scheme parameters at all")
    return choice.params


def decide_loan(
    *,
    bank_schemes: Iterable[Scheme | str],
    enterprise: EnterpriseFacts,
    loan: LoanFacts,
    params_all: Iterable[SchemeParams],
    lpr: Sequence[LprRate],
    cal: WorkdayCalendar,
    filing_date: date | None = None,
) -> LoanDecision:
    """Judge both schemes, assign the loan (TECH first, TECH Art. 8) and compute its deadlines.

    ``scheme`` and ``verdicts`` judge the loan itself whatever the filing date; ``filing_on_time``
    says whether ``filing_date`` meets the deadline (MICRO Art. 12, TECH Art. 13). A deadline in a
    year the calendar does not know is ``None`` and ``calendar_unknown`` says so.
    """
    bank = tuple(bank_schemes)
    versions = tuple(params_all)
    verdicts = {
        scheme: judge_scheme(
            scheme,
            bank_schemes=bank,
            enterprise=enterprise,
            loan=loan,
            params_all=versions,
            lpr=lpr,
            cal=cal,
        )
        for scheme in SCHEME_PREFERENCE
    }
    scheme = assign_scheme(verdicts)
    ratio = verdicts[scheme].ratio if scheme is not None else None
    params = _deadline_params(versions, scheme, loan.drawdown_date)

    unknown: Reason | None = None
    deadline: date | None
    try:
        deadline = filing_deadline(loan.drawdown_date, params, cal)
    except CalendarUnknown as exc:
        deadline = None
        unknown = exc.reason
    on_time: bool | None = None
    if filing_date is not None:
        try:
            on_time = filing_on_time(loan.drawdown_date, filing_date, params, cal)
        except CalendarUnknown as exc:
            unknown = unknown or exc.reason
    if unknown is None:
        for verdict in verdicts.values():
            unknown = next(
                (r for r in verdict.reasons if r.code == ReasonCode.CALENDAR_UNKNOWN), None
            )
            if unknown is not None:
                break

    return LoanDecision(
        scheme=scheme,
        verdicts=verdicts,
        ratio=ratio,
        cny_amount=cny_amount(loan),
        filing_deadline=deadline,
        filing_on_time=on_time,
        claim_deadline=claim_deadline(loan.maturity_date, params),
        calendar_unknown=unknown,
    )

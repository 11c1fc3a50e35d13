"""Writes on filings: one evaluation path for a single loan and for a quarter's import, so that
the form, the Excel import and the calculator judge a loan the same way (``riskcomp.policy``).

Evaluation reads what the rules need in a fixed number of queries per batch (agreements,
existing IOUs, enterprises, this bank's outstanding filings) and decides every row in memory."""

import functools
import hashlib
import json
import logging
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, signals
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from banks.models import Bank, CooperationAgreement
from riskcomp.audit import audit_bulk_created, audit_bulk_updated, audit_values
from riskcomp.lookups import AnyOf
from riskcomp.policy.context import PolicyContext
from riskcomp.policy.contradictions import out_of_order
from riskcomp.policy.credit_code import normalize_credit_code, validate_credit_code
from riskcomp.policy.deadlines import drawdown_refusal, filing_refusal, quarter_code
from riskcomp.policy.eligibility import (
    EnterpriseFacts,
    LoanDecision,
    LoanFacts,
    QualificationFacts,
    decide_loan,
    is_qualified,
    qualification_types_on,
)
from riskcomp.policy.params import choose_version
from riskcomp.policy.reasons import PolicyError, Reason, Refusal, reason
from riskcomp.policy.types import (
    Classification,
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    QualificationType,
    ReasonCode,
    Scheme,
    member,
)

from .models import (
    ClassificationReport,
    Enterprise,
    ImportBatch,
    LoanFiling,
    Qualification,
    qualification_types_value,
)

OUTSTANDING_STATUSES = (LoanFiling.Status.ACTIVE, LoanFiling.Status.CLAIMED)
# The only constraint whose violation means the IOU is filed already (DUPLICATE).
IOU_UNIQUE = "iou_unique_per_bank"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QualificationInput:
    type: str
    certificate_no: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class FilingRequest:
    """A loan as the bank files it (from the form or one import row)."""

    credit_code: str
    enterprise_name: str
    kind: str
    size: str
    in_bda: bool
    micro_conduct_ok: bool  # MICRO Art. 5(2), attested by the bank
    tech_conduct_ok: bool  # TECH Art. 2, 6(2), attested by the bank
    tech_scope: bool
    iou_number: str
    contract_number: str
    loan_type: str
    amount: Decimal
    currency: str
    fx_rate: Decimal | None
    drawdown_date: date
    maturity_date: date
    rate_percent: Decimal
    credit_report_outstanding: Decimal
    credit_report_date: date
    other_cover: bool
    first_loan: bool
    bank_risk_share_percent: Decimal | None = None
    has_natural_person_guarantee: bool = False
    guarantee_institution: str = ""
    branch_id: int | None = None
    qualifications: tuple[QualificationInput, ...] = ()


def filing_request(d: dict[str, Any], *, branch_id: int | None) -> FilingRequest:
    """The request of a cleaned filing form or import row (both use these field names, with
    qualifications in ``q1_…``, ``q2_…`` up to as many as they have)."""
    quals = []
    i = 1
    while f"q{i}_type" in d:
        if d[f"q{i}_type"]:
            quals.append(QualificationInput(type=d[f"q{i}_type"], certificate_no=d[f"q{i}_no"],
                                            valid_from=d[f"q{i}_from"], valid_to=d[f"q{i}_to"]))
        i += 1
    return FilingRequest(
        credit_code=d["credit_code"], enterprise_name=d["enterprise_name"], kind=d["kind"],
        size=d["size"], in_bda=d["in_bda"], micro_conduct_ok=d["micro_conduct_ok"],
        tech_conduct_ok=d["tech_conduct_ok"], tech_scope=d["tech_scope"],
        iou_number=d["iou_number"],
        contract_number=d["contract_number"], loan_type=d["loan_type"], amount=d["amount"],
        currency=d["currency"], fx_rate=d["fx_rate"] if d["currency"] != "CNY" else None,
        drawdown_date=d["drawdown_date"], maturity_date=d["maturity_date"],
        rate_percent=d["rate_percent"], credit_report_outstanding=d["credit_report_outstanding"],
        credit_report_date=d["credit_report_date"], other_cover=d["other_cover"],
        first_loan=d["first_loan"], bank_risk_share_percent=d["bank_risk_share_percent"],
        has_natural_person_guarantee=d["has_natural_person_guarantee"],
        guarantee_institution=d["guarantee_institution"], branch_id=branch_id,
        qualifications=tuple(quals))


_REQUEST_FIELDS = tuple(f.name for f in fields(FilingRequest))
_REQUEST_DECIMALS = frozenset({"amount", "fx_rate", "rate_percent", "credit_report_outstanding",
                               "bank_risk_share_percent"})
_REQUEST_DATES = frozenset({"drawdown_date", "maturity_date", "credit_report_date"})
_request_getter = operator.attrgetter(*_REQUEST_FIELDS)


def request_values(req: FilingRequest) -> list[Any]:
    """``req`` as JSON values in field order, read back by ``request_from_values``: a validated
    import keeps them with its accepted rows, so that the commit need not clean the cells
    again."""
    out: list[Any] = []
    for name, value in zip(_REQUEST_FIELDS, _request_getter(req), strict=True):
        if name == "qualifications":
            value = [[q.type, q.certificate_no, q.valid_from.isoformat(), q.valid_to.isoformat()]
                     for q in value]
        elif isinstance(value, Decimal):
            value = str(value)  # exactly the same Decimal back, its exponent included
        elif isinstance(value, date):
            value = value.isoformat()
        out.append(value)
    return out


def request_from_values(values: Sequence[Any]) -> FilingRequest:
    """The ``FilingRequest`` of ``request_values``."""
    data = dict(zip(_REQUEST_FIELDS, values, strict=True))
    for name in _REQUEST_DECIMALS:
        if data[name] is not None:
            data[name] = Decimal(data[name])
    for name in _REQUEST_DATES:
        data[name] = date.fromisoformat(data[name])
    data["qualifications"] = tuple(
        QualificationInput(type=t, certificate_no=no, valid_from=date.fromisoformat(start),
                           valid_to=date.fromisoformat(end))
        for t, no, start, end in data["qualifications"])
    # The frozen dataclass's __init__ sets each field through object.__setattr__: filling its
    # __dict__ gives the same object for a third of the cost (a quarter has 100,000 rows).
    request = object.__new__(FilingRequest)
    request.__dict__.update(data)
    return request


@dataclass
class FilingEvaluation:
    request: FilingRequest
    decision: LoanDecision | None = None
    refusals: tuple[Reason, ...] = ()
    bank_outstanding: Decimal = Decimal("0.00")
    snapshot: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        if self.refusals:
            return False
        if self.decision is None:  # taken from the verdicts recorded at validation
            return bool(self.snapshot.get("scheme"))
        return self.decision.scheme is not None

    @property
    def codes(self) -> list[str]:
        return [str(r.code) for r in self.refusals]

    def refusals_by_scheme(self) -> list[tuple[str, Reason]]:
        """The refusals, each with the scheme whose condition it is ("" for one that is no
        scheme's own or both schemes': a bad credit code, a duplicate, a drawdown after today):
        those first, then TECH's, then MICRO's. A late filing is the assigned scheme's."""
        if self.decision is None or not self.refusals:
            # An accepted row has none to tag (its other scheme's reasons are not refusals).
            return [("", r) for r in self.refusals]
        owners: dict[tuple[str, str], set[str]] = defaultdict(set)
        for scheme, verdict in self.decision.verdicts.items():
            for r in verdict.reasons:
                owners[(str(r.code), str(r.message))].add(str(scheme))
        assigned = "" if self.decision.scheme is None else str(self.decision.scheme)
        tagged = []
        for r in self.refusals:
            found = owners.get((str(r.code), str(r.message)))
            tagged.append((next(iter(found)) if found and len(found) == 1
                           else "" if found else assigned, r))
        order = {"": 0, str(Scheme.TECH): 1, str(Scheme.MICRO): 2}
        return sorted(tagged, key=lambda t: order.get(t[0], 3))


def _facts(req: FilingRequest, bank_outstanding: Decimal) -> tuple[EnterpriseFacts, LoanFacts]:
    enterprise = EnterpriseFacts(
        credit_code=req.credit_code, kind=member(EnterpriseKind, req.kind),
        size=member(EnterpriseSize, req.size),
        in_bda=req.in_bda,
        qualifications=tuple(QualificationFacts(type=member(QualificationType, q.type),
                                                valid_from=q.valid_from, valid_to=q.valid_to)
                             for q in req.qualifications),
        micro_conduct_ok=req.micro_conduct_ok, tech_conduct_ok=req.tech_conduct_ok,
        tech_scope=req.tech_scope,
    )
    loan = LoanFacts(
        loan_type=member(LoanType, req.loan_type), amount=req.amount, currency=req.currency,
        fx_rate=req.fx_rate, drawdown_date=req.drawdown_date, maturity_date=req.maturity_date,
        rate_percent=req.rate_percent, bank_outstanding_to_enterprise=bank_outstanding,
        credit_report_outstanding=req.credit_report_outstanding,
        credit_report_date=req.credit_report_date, other_cover=req.other_cover,
        first_loan=req.first_loan, bank_risk_share_percent=req.bank_risk_share_percent,
    )
    return enterprise, loan


def _decided(decision: LoanDecision, bank_outstanding: Decimal) -> dict[str, Any]:
    """What the rules decided for an accepted loan, as JSON: the part of its snapshot that the
    request alone does not give (kept with a validated import, see ``RecordedVerdicts``)."""
    return {
        "cny_amount": str(decision.cny_amount),
        "bank_outstanding_to_enterprise": str(bank_outstanding),
        "verdicts": {str(s): {"eligible": v.eligible, "reasons": [str(r.code) for r in v.reasons],
                              "ratio": None if v.ratio is None else str(v.ratio),
                              "version": v.version}
                     for s, v in decision.verdicts.items()},
        "scheme": None if decision.scheme is None else str(decision.scheme),
        "ratio": None if decision.ratio is None else str(decision.ratio),
        "filing_deadline": None if decision.filing_deadline is None
        else decision.filing_deadline.isoformat(),
        "claim_deadline": decision.claim_deadline.isoformat(),
    }


def _snapshot(enterprise: EnterpriseFacts, loan: LoanFacts, decided: dict[str, Any],
              filing_date: date) -> dict[str, Any]:
    """The facts the decision was made on, frozen with the filing (JSON)."""
    return {
        "decided_on": filing_date.isoformat(),
        "enterprise": {
            "credit_code": enterprise.credit_code, "kind": str(enterprise.kind),
            "size": str(enterprise.size), "in_bda": enterprise.in_bda,
            "micro_conduct_ok": enterprise.micro_conduct_ok,
            "tech_conduct_ok": enterprise.tech_conduct_ok, "tech_scope": enterprise.tech_scope,
            "qualified": is_qualified(enterprise, loan.drawdown_date),
            "qualifications": [{"type": str(q.type), "valid_from": q.valid_from.isoformat(),
                                "valid_to": q.valid_to.isoformat()}
                               for q in enterprise.qualifications],
        },
        "loan": {
            "type": str(loan.loan_type), "amount": str(loan.amount), "currency": loan.currency,
            "fx_rate": None if loan.fx_rate is None else str(loan.fx_rate),
            "cny_amount": decided["cny_amount"],
            "drawdown_date": loan.drawdown_date.isoformat(),
            "maturity_date": loan.maturity_date.isoformat(),
            "rate_percent": str(loan.rate_percent),
            "bank_outstanding_to_enterprise": decided["bank_outstanding_to_enterprise"],
            "credit_report_outstanding": str(loan.credit_report_outstanding),
            "credit_report_date": loan.credit_report_date.isoformat(),
            "other_cover": loan.other_cover, "first_loan": loan.first_loan,
            "bank_risk_share_percent": None if loan.bank_risk_share_percent is None
            else str(loan.bank_risk_share_percent),
        },
        **{key: decided[key] for key in _DECISION_KEYS},
    }


_DECISION_KEYS = ("verdicts", "scheme", "ratio", "filing_deadline", "claim_deadline")


def _scheme_refusals(decision: LoanDecision) -> list[Reason]:
    """Why no scheme takes the loan: every reason of each scheme, as its verdict gives them (a
    scheme without an agreement says NO_AGREEMENT, whatever the other scheme says), a reason
    that reads the same under both schemes once."""
    out: list[Reason] = []
    seen: set[str] = set()
    order = [s for s in (Scheme.TECH, Scheme.MICRO) if s in decision.verdicts]
    for scheme in order:
        for r in decision.verdicts[scheme].reasons:
            key = f"{r.code}:{r.message}"
            if key not in seen:
                seen.add(key)
                out.append(r)
    return out or [reason(ReasonCode.NO_AGREEMENT)]


@dataclass
class FilingInputs:
    """What the database adds to a batch of requests for their verdicts: the bank's filed IOUs
    among them, its active agreements, and its filed loans to their enterprises that may still
    be outstanding (credit code → drawdown, maturity, outstanding principal)."""

    existing_ious: set[str]
    agreements: list[tuple[str, date, date]]
    outstanding: dict[str, list[tuple[date, date, Decimal]]]

    def schemes_on(self, day: date) -> list[str]:
        return sorted({s for s, start, end in self.agreements if start <= day <= end})


def filing_inputs(*, bank: Bank, requests: Sequence[FilingRequest],
                  exclude_batch: ImportBatch | None = None) -> FilingInputs:
    """Read what ``judge_filings`` needs for ``requests`` besides the policy data: 3 queries.
    ``exclude_batch``: an import committed chunk by chunk leaves out what its own earlier chunks
    wrote (``EarlierRows`` adds them as they were judged)."""
    codes = {normalize_credit_code(r.credit_code) for r in requests}
    filings = LoanFiling.objects.filter(bank=bank)
    if exclude_batch is not None:
        filings = filings.exclude(import_batch=exclude_batch)
    existing_ious = set(filings.filter(
        AnyOf(F("iou_number"), {r.iou_number.strip() for r in requests}),
    ).values_list("iou_number", flat=True))
    agreements = list(CooperationAgreement.objects.filter(
        bank=bank, status=CooperationAgreement.Status.ACTIVE,
    ).values_list("scheme", "valid_from", "valid_to"))
    outstanding: dict[str, list[tuple[date, date, Decimal]]] = defaultdict(list)
    for code, start, end, principal in filings.filter(
        AnyOf(F("enterprise__credit_code"), codes), status__in=OUTSTANDING_STATUSES,
    ).values_list("enterprise__credit_code", "drawdown_date", "maturity_date",
                  "outstanding_principal"):
        outstanding[code].append((start, end, principal))
    return FilingInputs(existing_ious, agreements, outstanding)


@dataclass
class EarlierRows:
    """The rows of one import judged before the current chunk: every IOU they hold (a later row
    with one of them is DUPLICATE) and their accepted loans per enterprise (which count toward a
    later loan's amount cap). Judged chunk by chunk in file order with these, a quarter gets the
    verdicts of one call, without holding its 100,000 requests at once."""

    # IOU -> the row it first came in (its position in the import without row numbers).
    ious: dict[str, int] = field(default_factory=dict)
    loans: dict[str, list[tuple[date, date, Decimal]]] = field(default_factory=dict)

    def added_to(self, inputs: FilingInputs, requests: Sequence[FilingRequest]) -> FilingInputs:
        if not self.loans:
            return inputs
        outstanding = dict(inputs.outstanding)
        for code in {normalize_credit_code(r.credit_code) for r in requests}:
            if code in self.loans:
                outstanding[code] = [*outstanding.get(code, ()), *self.loans[code]]
        return FilingInputs(inputs.existing_ious, inputs.agreements, outstanding)

    def add(self, evaluations: Sequence[FilingEvaluation],
            rows: Sequence[int] | None = None) -> None:
        start = len(self.ious)
        for i, ev in enumerate(evaluations):
            req = ev.request
            self.ious.setdefault(req.iou_number, rows[i] if rows is not None else start + i)
            if ev.accepted:
                amount = (ev.decision.cny_amount if ev.decision is not None
                          else Decimal(ev.snapshot["loan"]["cny_amount"]))
                self.loans.setdefault(req.credit_code, []).append(
                    (req.drawdown_date, req.maturity_date, amount))


def evaluate_filings(*, bank: Bank, requests: Sequence[FilingRequest], filing_date: date,
                     ctx: PolicyContext, allow_late: bool = False,
                     snapshots: bool = True, earlier: EarlierRows | None = None,
                     inputs: FilingInputs | None = None,
                     rows: Sequence[int] | None = None) -> list[FilingEvaluation]:
    """Judge every request as a filing by ``bank`` on ``filing_date``; rows are judged in order,
    so a loan earlier in the same batch counts toward a later one's amount cap. ``snapshots``
    False leaves the accepted rows' snapshots empty (a preview, which writes nothing).
    ``earlier``: the rows of the same import judged before these, updated with them.
    ``inputs``: ``filing_inputs`` already read for these requests (or more). ``rows`` (the
    requests' row numbers in an uploaded file) lets a repeated IOU name its earlier row."""
    if inputs is None:
        inputs = filing_inputs(bank=bank, requests=requests)
    if earlier is not None:
        inputs = earlier.added_to(inputs, requests)
    results = judge_filings(inputs, requests, filing_date=filing_date, ctx=ctx,
                            allow_late=allow_late, snapshots=snapshots, rows=rows,
                            seen=earlier.ious if earlier is not None else None)
    if earlier is not None:
        earlier.add(results, rows)
    return results


def judge_filings(inputs: FilingInputs, requests: Sequence[FilingRequest], *, filing_date: date,
                  ctx: PolicyContext, allow_late: bool = False,
                  snapshots: bool = True, rows: Sequence[int] | None = None,
                  seen: Mapping[str, int] | None = None) -> list[FilingEvaluation]:
    """``evaluate_filings`` on inputs already read (which it does not change). ``seen``: the
    IOUs of the same import's earlier rows, each with its row."""
    outstanding = defaultdict(list, {code: list(v) for code, v in inputs.outstanding.items()})
    seen_ious: dict[str, int] = dict(seen or {})  # IOU -> its first row (index without ``rows``)
    results: list[FilingEvaluation] = []
    for i, raw in enumerate(requests):
        req = _normalized(raw)
        ev = FilingEvaluation(request=req)
        results.append(ev)
        refusals: list[Reason] = []
        try:
            validate_credit_code(req.credit_code)
        except PolicyError as exc:
            refusals.append(exc.reason)
        earlier = seen_ious.get(req.iou_number)
        if req.iou_number in inputs.existing_ious or (earlier is not None and rows is None):
            refusals.append(reason(ReasonCode.DUPLICATE, iou=req.iou_number))
        elif earlier is not None:
            refusals.append(reason(ReasonCode.DUPLICATE, iou=req.iou_number, row=earlier))
        seen_ious.setdefault(req.iou_number, i if rows is None else rows[i])
        # Before any rule: a loan not yet drawn down is not judged (nor let through as late).
        future = drawdown_refusal(drawdown=req.drawdown_date, filing_date=filing_date)
        if future is not None:
            refusals.append(future)
        if refusals:
            ev.refusals = tuple(refusals)
            continue
        day = req.drawdown_date
        ev.bank_outstanding = sum(
            (p for start, end, p in outstanding[req.credit_code] if start <= day <= end),
            Decimal("0.00"))
        enterprise, loan = _facts(req, ev.bank_outstanding)
        bank_schemes = inputs.schemes_on(day)
        try:
            decision = decide_loan(bank_schemes=bank_schemes, enterprise=enterprise, loan=loan,
                                   params_all=ctx.params, lpr=ctx.lpr, cal=ctx.calendar,
                                   filing_date=filing_date)
        except PolicyError as exc:
            ev.refusals = (exc.reason,)
            continue
        ev.decision = decision
        if decision.scheme is None:
            refusals.extend(_scheme_refusals(decision))
        else:
            choice = choose_version(ctx.params, decision.scheme, day)
            late = None if choice is None or allow_late else filing_refusal(
                drawdown=day, filing_date=filing_date, params=choice.params, cal=ctx.calendar)
            if late is not None:
                refusals.append(late)
        ev.refusals = tuple(refusals)
        if ev.accepted:
            if snapshots:
                ev.snapshot = _snapshot(enterprise, loan, _decided(decision, ev.bank_outstanding),
                                        filing_date)
            outstanding[req.credit_code].append(
                (day, req.maturity_date, decision.cny_amount))
    return results


# --- Verdicts recorded at validation --------------------------------------------------------
# A quarter's rows are judged when the file is validated and again when the bank confirms.
# When nothing the verdicts depend on has changed in between (the rows accepted, what the
# database adds to them, the policy data, the filing date), the second judgement would repeat
# the first: the commit then takes the recorded verdicts instead of judging 10,000 rows again.

def _canonical(value: Any) -> Any:
    """``value`` as JSON-able data whose text does not depend on set or dict order."""
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, dict) or hasattr(value, "items"):
        return sorted(([_canonical(k), _canonical(v)] for k, v in value.items()), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return [type(value).__name__,
                *(_canonical(getattr(value, f)) for f in value.__dataclass_fields__)]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def inputs_digest(inputs: FilingInputs, requests: Sequence[FilingRequest], *, ctx: PolicyContext,
                  filing_date: date, allow_late: bool = False) -> str:
    """A fingerprint of everything the verdicts on ``requests`` depend on besides the rows'
    own cells (which a batch keeps unchanged): which rows, in which order, the database's
    inputs, the policy versions, LPR and calendar, the filing date."""
    wanted = {normalize_credit_code(r.credit_code) for r in requests}
    data = [
        [(normalize_credit_code(r.credit_code), r.iou_number.strip()) for r in requests],
        inputs.existing_ious, inputs.agreements,
        {code: rows for code, rows in inputs.outstanding.items() if code in wanted},
        ctx.params, ctx.lpr, ctx.calendar.overrides, ctx.calendar.known_years,
        filing_date, allow_late,
    ]
    text = json.dumps(_canonical(data), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class RecordedVerdicts:
    """The verdicts of a batch's accepted requests as judged at validation (``_decided`` of
    each, in the requests' order) and the ``inputs_digest`` they were judged on."""

    digest: str
    decided: tuple[dict[str, Any], ...]


def record_verdicts(*, bank: Bank, evaluations: Sequence[FilingEvaluation], ctx: PolicyContext,
                    filing_date: date, inputs: FilingInputs | None = None) -> RecordedVerdicts:
    """Record the accepted ones of ``evaluations`` (judged on ``filing_date``) for the commit.
    ``inputs``: ``filing_inputs`` read for these requests or more (an import's chunk), narrowed
    here to what reading them for the accepted ones alone would give."""
    accepted = [ev for ev in evaluations if ev.accepted and ev.decision is not None]
    requests = [ev.request for ev in accepted]
    if inputs is None:
        inputs = filing_inputs(bank=bank, requests=requests)
    else:
        ious = {r.iou_number.strip() for r in requests}
        inputs = FilingInputs(inputs.existing_ious & ious, inputs.agreements, inputs.outstanding)
    digest = inputs_digest(inputs, requests, ctx=ctx, filing_date=filing_date)
    return RecordedVerdicts(digest, tuple(_decided(ev.decision, ev.bank_outstanding)
                                          for ev in accepted if ev.decision is not None))


def _recorded_evaluations(requests: Sequence[FilingRequest], decided: Sequence[dict[str, Any]],
                          filing_date: date) -> list[FilingEvaluation]:
    out = []
    for raw, record in zip(requests, decided, strict=True):
        req = _normalized(raw)
        outstanding = Decimal(record["bank_outstanding_to_enterprise"])
        enterprise, loan = _facts(req, outstanding)
        out.append(FilingEvaluation(request=req, bank_outstanding=outstanding,
                                    snapshot=_snapshot(enterprise, loan, record, filing_date)))
    return out


def _normalized(req: FilingRequest) -> FilingRequest:
    changes: dict[str, Any] = {"credit_code": normalize_credit_code(req.credit_code),
               "iou_number": req.iou_number.strip(),
               "contract_number": req.contract_number.strip(),
               "currency": (req.currency or "CNY").strip().upper(),
               "enterprise_name": req.enterprise_name.strip()}
    # An imported row comes cleaned already: no copy then (a quarter has thousands of rows).
    if all(getattr(req, k) == v for k, v in changes.items()):
        return req
    return replace(req, **changes)


def _upsert_enterprises(evaluations: Iterable[FilingEvaluation],
                        bank: Bank) -> dict[str, Enterprise]:
    """Find or create the enterprises of accepted rows by credit code. The shared enterprise row
    takes this bank's facts (and certificates) only while no other bank has filed the
    enterprise: a borrower of several banks is master data that the custodian keeps (changed in
    the administration, audited); each filing shows its own snapshot either way."""
    by_code: dict[str, FilingRequest] = {}
    for ev in evaluations:
        by_code[ev.request.credit_code] = ev.request
    existing = {e.credit_code: e
                for e in Enterprise.objects.filter(AnyOf(F("credit_code"), by_code))}
    shared = set(LoanFiling.objects.filter(AnyOf(F("enterprise_id"),
                                                 [e.pk for e in existing.values()]))
                 .exclude(bank=bank).values_list("enterprise__credit_code", flat=True)
                 .distinct()) if existing else set()
    fields = ("name", "kind", "size", "is_in_bda", "is_micro_conduct_ok", "is_tech_conduct_ok",
              "is_tech_scope")
    new, changed, before = [], [], {}
    for code, req in by_code.items():
        values = dict(zip(fields, (req.enterprise_name, req.kind, req.size, req.in_bda,
                                   req.micro_conduct_ok, req.tech_conduct_ok, req.tech_scope),
                          strict=True))
        ent = existing.get(code)
        if ent is None:
            new.append(Enterprise(credit_code=code, **values))
        elif code not in shared and any(getattr(ent, f) != v for f, v in values.items()):
            before[ent.pk] = audit_values(ent, fields)
            for f, v in values.items():
                setattr(ent, f, v)
            changed.append(ent)
    inserted = _insert_enterprises(new)
    audit_bulk_created(inserted)
    if changed:
        Enterprise.objects.bulk_update(changed, fields, batch_size=1000)
        audit_bulk_updated(changed, before=before)
    result = {**existing, **{e.credit_code: e for e in inserted}}
    if any(e.pk is None for e in inserted):  # a database that does not return new ids
        result = {e.credit_code: e
                  for e in Enterprise.objects.filter(AnyOf(F("credit_code"), by_code))}
    # Qualifications the bank reports that the enterprise does not hold yet.
    held = set(Qualification.objects.filter(AnyOf(F("enterprise__credit_code"), by_code))
               .values_list("enterprise__credit_code", "type", "certificate_no"))
    quals = []
    for code, req in by_code.items():
        if code in shared:
            continue
        for q in req.qualifications:
            if (code, q.type, q.certificate_no) not in held:
                held.add((code, q.type, q.certificate_no))
                quals.append(Qualification(enterprise=result[code], type=q.type,
                                           certificate_no=q.certificate_no,
                                           valid_from=q.valid_from, valid_to=q.valid_to))
    audit_bulk_created(Qualification.objects.bulk_create(quals, batch_size=1000))
    return result


def _filing_row(bank: Bank, ev: FilingEvaluation, enterprise: Enterprise, actor: Any,
                filing_date: date, batch: ImportBatch | None,
                late_exception_reason: str) -> LoanFiling:
    # The snapshot says what was decided, whether judged now or recorded at validation.
    req, snap = ev.request, ev.snapshot
    scheme, ratio = snap.get("scheme"), snap.get("ratio")
    if not ev.accepted or scheme is None or ratio is None:
        raise ValueError("only accepted evaluations with their snapshot become filings")
    cny_amount = Decimal(snap["loan"]["cny_amount"])
    values = {
        "bank_id": bank.pk, "branch_id": req.branch_id, "enterprise_id": enterprise.pk,
        "enterprise_name": req.enterprise_name, "iou_number": req.iou_number,
        "contract_number": req.contract_number, "drawdown_date": req.drawdown_date,
        "maturity_date": req.maturity_date, "amount": req.amount, "currency": req.currency,
        "fx_rate": req.fx_rate, "amount_cny": cny_amount, "rate_percent": req.rate_percent,
        "loan_type": req.loan_type,
        "has_natural_person_guarantee": req.has_natural_person_guarantee,
        "has_other_cover": req.other_cover, "guarantee_institution": req.guarantee_institution,
        "bank_risk_share_percent": req.bank_risk_share_percent,
        "credit_report_outstanding": req.credit_report_outstanding,
        "credit_report_date": req.credit_report_date,
        "bank_outstanding_to_enterprise": ev.bank_outstanding, "is_first_loan": req.first_loan,
        "filed_on": filing_date, "quarter": quarter_code(req.drawdown_date), "scheme": scheme,
        "ratio": Decimal(ratio), "policy_version": snap["verdicts"][scheme]["version"] or "",
        "snapshot": _with_certificates(snap, req),
        "qualification_types": filing_qualification_types(snap, req.drawdown_date),
        "late_exception_reason": late_exception_reason,
        "outstanding_principal": cny_amount,
        "import_batch_id": batch.pk if batch is not None else None,
        "filed_by_id": actor.pk if actor is not None else None,
    }
    # The related objects are cached on the filing as assigning them would (its __str__, a
    # caller's reads).
    filing = _bare_instance(LoanFiling, [values[a] if a in values else f.get_default()
                                         for a, f in _filing_plan()])
    filing._state.fields_cache.update(
        {"bank": bank, "enterprise": enterprise, "import_batch": batch, "filed_by": actor})
    return filing


def filing_qualification_types(snap: dict[str, Any], drawdown: date) -> str:
    """The qualification types the snapshot shows valid on the drawdown date, as stored."""
    facts = []
    for q in snap.get("enterprise", {}).get("qualifications") or []:
        try:
            facts.append(QualificationFacts(type=QualificationType(q["type"]),
                                            valid_from=date.fromisoformat(q["valid_from"]),
                                            valid_to=date.fromisoformat(q["valid_to"])))
        except (KeyError, TypeError, ValueError):
            continue  # not a qualification the rules know: it qualifies for nothing
    return qualification_types_value(qualification_types_on(facts, drawdown))


@functools.cache
def _filing_plan() -> tuple[tuple[str, Any], ...]:
    return tuple((f.attname, f) for f in LoanFiling._meta.concrete_fields)


def _bare_instance(model: type[models.Model], values: Sequence[Any]) -> Any:
    """A new, unsaved ``model`` with ``values`` for its concrete fields in order, as
    ``model(*values)`` makes it, without the work ``Model.__init__`` does per argument (an
    import makes 100,000 filings). Made by the constructor when something listens to its
    signals."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return model(*values)
    obj = model.__new__(model)
    obj._state = ModelState()
    obj.__dict__.update(zip(_attnames(model), values, strict=True))
    return obj


@functools.cache
def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


def _with_certificates(snap: dict[str, Any], req: FilingRequest) -> dict[str, Any]:
    """The snapshot with the certificate numbers this bank gave: the enterprise row keeps only
    the first bank's certificates, and the filing form's lookup returns a bank its own."""
    quals = snap.get("enterprise", {}).get("qualifications")
    if not quals or not req.qualifications:
        return snap
    numbers = {(str(q.type), q.valid_from.isoformat(), q.valid_to.isoformat()): q.certificate_no
               for q in req.qualifications}
    enterprise = {**snap["enterprise"], "qualifications": [
        {**q, "certificate_no": numbers.get((q.get("type"), q.get("valid_from"),
                                             q.get("valid_to")), "")}
        for q in quals]}
    return {**snap, "enterprise": enterprise}


# From this many rows on PostgreSQL, filings and enterprises go in through COPY.
COPY_FROM_ROWS = 200


def _insert_filings(count: int, rows: Iterable[LoanFiling]) -> list[LoanFiling]:
    """Insert the ``count`` filings ``rows`` gives (made as they are sent, see ``_copy_rows``)."""
    if connection.vendor != "postgresql" or count < COPY_FROM_ROWS:
        return LoanFiling.objects.bulk_create(list(rows), batch_size=1000)
    return _copy_rows(LoanFiling, count, rows)


def _insert_enterprises(rows: list[Enterprise]) -> list[Enterprise]:
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM_ROWS:
        return Enterprise.objects.bulk_create(rows, batch_size=1000)
    return _copy_rows(Enterprise, len(rows), rows)


def _copy_rows(model: type[Any], count: int, rows: Iterable[Any]) -> list[Any]:
    """A quarter's thousands of rows through PostgreSQL's COPY. The ORM's multi-row INSERT
    spends most of an import preparing every field of every row in Python; here psycopg writes
    the values as they are (dates, Decimals, text, JSON), and the constraints still hold (a
    duplicate fails the whole COPY, as it fails the INSERT). The ids are taken from the table's
    sequence first, in one query, and written with the rows (not read back by key). ``rows``
    may make each row as it is taken: the database stores one while the next is made."""
    meta = model._meta
    fields = list(meta.concrete_fields)
    now = timezone.now()
    stamped = [f.attname for f in fields
               if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                       "FROM generate_series(1, %s)", [table, meta.pk.column, count])
        ids = [pk for (pk,) in cursor.fetchall()]
    # One C-level attrgetter per row; only the JSON columns are converted in Python.
    values_of = operator.attrgetter(*(f.attname for f in fields))
    json_at = [(i, f) for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {table} ({columns}) FROM STDIN"
    written = []
    with (connection.cursor() as cursor, connection.wrap_database_errors,
          cursor.cursor.copy(sql) as copy):
        for obj, pk in zip(rows, ids, strict=True):
            obj.pk = pk
            for name in stamped:
                setattr(obj, name, now)
            values: tuple[Any, ...] | list[Any] = values_of(obj)
            if json_at:
                values = list(values)
                for i, f in json_at:
                    values[i] = json.dumps(values[i], cls=f.encoder)
            copy.write_row(values)
            state = obj._state
            state.adding, state.db = False, connection.alias
            written.append(obj)
    return written


@transaction.atomic
def filings_commit(*, bank: Bank, requests: Sequence[FilingRequest], actor: Any,
                   ctx: PolicyContext, filing_date: date | None = None,
                   batch: ImportBatch | None = None, late_exception_reason: str = "",
                   recorded: RecordedVerdicts | None = None,
                   earlier: EarlierRows | None = None,
                   ) -> tuple[list[LoanFiling], list[FilingEvaluation]]:
    """File every acceptable request in one transaction; return the filings and all the
    evaluations (refused ones carry their reasons). The bank row is locked so that two uploads
    of the same quarter at once are judged one after the other: the second finds DUPLICATE.
    ``recorded`` verdicts (of these very requests) are taken instead of judging again when
    their digest says that nothing they depend on has changed. An import commits chunk by chunk
    in one transaction: ``earlier`` holds its chunks already written (see ``EarlierRows``)."""
    Bank.objects.select_for_update().get(pk=bank.pk)
    filing_date = filing_date or timezone.localdate()
    allow_late = bool(late_exception_reason)
    inputs = filing_inputs(bank=bank, requests=requests,
                           exclude_batch=batch if earlier is not None else None)
    if (recorded is not None and len(recorded.decided) == len(requests)
            and recorded.digest == inputs_digest(inputs, requests, ctx=ctx,
                                                 filing_date=filing_date, allow_late=allow_late)):
        evaluations = _recorded_evaluations(requests, recorded.decided, filing_date)
    else:
        judged_on = earlier.added_to(inputs, requests) if earlier is not None else inputs
        evaluations = judge_filings(judged_on, requests, filing_date=filing_date, ctx=ctx,
                                    allow_late=allow_late,
                                    seen=earlier.ious if earlier is not None else None)
    if earlier is not None:
        earlier.add(evaluations)
    accepted = [ev for ev in evaluations if ev.accepted]
    if not accepted:
        return [], evaluations
    try:
        with transaction.atomic():
            enterprises = _upsert_enterprises(accepted, bank)
            filings = _insert_filings(len(accepted), (
                _filing_row(bank, ev, enterprises[ev.request.credit_code], actor, filing_date,
                            batch, late_exception_reason) for ev in accepted))
    except IntegrityError as exc:
        if _is_duplicate_iou(exc):  # a concurrent filing of the same IOU won the race
            raise Refusal([reason(ReasonCode.DUPLICATE)]) from exc
        logger.exception("filing by bank %s not saved: constraint %s violated (%d rows)",
                         bank.pk, _constraint_of(exc) or "?", len(accepted))
        raise FilingNotSaved from exc
    audit_bulk_created(filings, actor=actor, reason=late_exception_reason)
    return filings, evaluations


class FilingNotSaved(Exception):
    """The database refused the filing for another reason than the IOU's uniqueness (a broken
    invariant or a race on another row, not something the bank typed): nothing was written and
    the cause is logged. ``message`` says so in Chinese, without claiming a duplicate."""

    def __init__(self) -> None:
        self.message = _("保存备案时数据库报告数据完整性错误（并非重复备案），本次未写入任何数据。"
                         "错误已记录，请稍后重试；如仍出现，请联系系统管理员。")
        super().__init__(self.message)


def _constraint_of(exc: IntegrityError) -> str | None:
    """The name of the constraint the database reports as violated, if it names one."""
    diag = getattr(exc.__cause__, "diag", None)  # PostgreSQL (psycopg)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    text = str(exc)  # SQLite: "CHECK constraint failed: <name>", "UNIQUE constraint failed: t.c"
    for prefix in ("CHECK constraint failed: ", "UNIQUE constraint failed: "):
        if text.startswith(prefix):
            return text.removeprefix(prefix)
    return None


def _is_duplicate_iou(exc: IntegrityError) -> bool:
    """Whether ``exc`` is the violation of ``iou_unique_per_bank``: PostgreSQL names the
    constraint, SQLite names its columns."""
    meta = LoanFiling._meta
    unique = next(c for c in meta.constraints
                  if isinstance(c, models.UniqueConstraint) and c.name == IOU_UNIQUE)
    column_of = {f.name: f.column for f in meta.concrete_fields}
    columns = ", ".join(f"{meta.db_table}.{column_of[name]}" for name in unique.fields)
    return _constraint_of(exc) in (IOU_UNIQUE, columns)


def filing_create(*, bank: Bank, request: FilingRequest, actor: Any, ctx: PolicyContext,
                  filing_date: date | None = None, late_exception_reason: str = "") -> LoanFiling:
    """File one loan; refuse with every reason when the rules say no."""
    filings, evaluations = filings_commit(
        bank=bank, requests=[request], actor=actor, ctx=ctx, filing_date=filing_date,
        late_exception_reason=late_exception_reason)
    if not filings:
        raise FilingRefused(evaluations[0])
    return filings[0]


class FilingRefused(Refusal):
    """A filing the rules refuse, with its evaluation: the same verdict, scheme by scheme, as
    the filing form's live check gives for the same facts."""

    def __init__(self, evaluation: FilingEvaluation) -> None:
        super().__init__(evaluation.refusals or [reason(ReasonCode.NO_AGREEMENT)])
        self.evaluation = evaluation


@transaction.atomic
def classification_report(*, filing: LoanFiling, classification: str, classified_on: date,
                          actor: Any, note: str = "") -> ClassificationReport:
    """Record a loan's five-tier classification; the history is kept, never overwritten."""
    Classification(classification)  # an unknown tier is a programming error
    if out_of_order(drawdown_date=filing.drawdown_date, classification_date=classified_on):
        raise PolicyError(ReasonCode.NOT_NPL, message=_("分类日期不能早于放款日期。"))
    if classified_on > timezone.localdate():
        raise PolicyError(ReasonCode.NOT_NPL, message=_("分类日期不能晚于今天。"))
    LoanFiling.objects.select_for_update().get(pk=filing.pk)
    return ClassificationReport.objects.create(
        filing=filing, classification=classification, classified_on=classified_on,
        reported_by=actor, note=note)


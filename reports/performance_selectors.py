"""Reads behind the performance view: every figure summed by the database in grouped queries, a
fixed number of them whatever the number of filings, claims or banks; the sums cached until
the records they are read from change."""

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from banks.models import Bank, SuspensionState
from claims.models import Payment, Recovery, ReturnPayment
from fund.models import FundSize, PolicyVersion
from fund.selectors import scheme_params_from
from loans.models import LoanFiling
from riskcomp.choices import Scheme
from riskcomp.labels import quarter_label
from riskcomp.policy.deadlines import quarter_code
from riskcomp.policy.params import choose_version
from riskcomp.policy.suspension import SuspensionFigures
from riskcomp.policy.types import Scheme as PolicyScheme

from .models import FiguresVersion
from .performance import (
    ZERO,
    BankPosition,
    DelayStats,
    RecoveryFigures,
    add_recoveries,
    bank_position,
    delay_stats,
    leverage,
    quarter_bounds,
    quarters_between,
)


@dataclass(frozen=True)
class Scope:
    """The screen's filters: a scheme, a bank, a range of quarters (all when empty)."""

    scheme: str = ""
    bank_id: int | None = None
    quarter_from: str = ""
    quarter_to: str = ""

    @property
    def key(self) -> str:
        return f"{self.scheme}:{self.bank_id or ''}:{self.quarter_from}:{self.quarter_to}"

    @property
    def date_from(self) -> date | None:
        return quarter_bounds(self.quarter_from)[0] if self.quarter_from else None

    @property
    def date_to(self) -> date | None:
        return quarter_bounds(self.quarter_to)[1] if self.quarter_to else None


@dataclass
class LoanRow:
    """Filings of one group: count, amount, enterprises served, first loans, leverage."""

    key: Any
    label: str
    n: int = 0
    amount: Decimal = ZERO
    enterprises: int = 0
    first_loans: int = 0
    first_loan_enterprises: int = 0
    leverage: Decimal | None = None


@dataclass
class Performance:
    scope: Scope
    fund_size: Decimal | None
    fund_size_year: int | None
    total: LoanRow
    by_scheme: list[LoanRow]
    by_bank: list[LoanRow]
    by_quarter: list[LoanRow]
    amount_by_quarter_and_scheme: dict[tuple[str, str], Decimal]
    positions: list[BankPosition]
    recovery_by_bank: list[tuple[str, RecoveryFigures]]
    recovery_total: RecoveryFigures
    delay_total: DelayStats | None
    delay_by_bank: list[tuple[str, DelayStats]]
    delay_by_quarter: list[tuple[str, DelayStats | None]]
    quarters: list[str] = field(default_factory=list)


# The filing sums are the costly part of the view (distinct enterprises over every filing), so
# they are kept in the cache under the scope and the version token of the records they are read
# from (``FiguresVersion``): database triggers replace a token in the very transaction that
# adds, removes or changes such a record, so a committed filing, payment, recovery or return
# changes the key at once, whoever wrote it. Reading the tokens is one query of four rows,
# whatever the number of filings. A token missing (a test database just flushed) means no
# caching until the next write puts it back.
FILING_SUMS_SECONDS = 3600


def figures_versions() -> dict[str, str]:
    """The current version token of each group of records (``filings``, ``payments``,
    ``recoveries``, ``reference``: banks, suspension states, policy versions, fund sizes).

    Filings keep a token per bank (``filings:<bank id>``, migration 0006), so that one bank's
    long import does not hold every other bank's filings on a single row's lock; the group's
    token is all of them together."""
    rows = sorted(FiguresVersion.objects.values_list("name", "token"))
    versions = {name: token for name, token in rows if not name.startswith("filings:")}
    per_bank = [f"{name}={token}" for name, token in rows if name.startswith("filings:")]
    if per_bank and "filings" in versions:
        versions["filings"] = hashlib.sha256(
            ";".join([versions["filings"], *per_bank]).encode()).hexdigest()
    return versions


def _key(versions: dict[str, str], *groups: str) -> str | None:
    tokens = [versions.get(g) for g in groups]
    return None if None in tokens else ":".join(t for t in tokens if t)


def _cached(name: str, fingerprint: str | None, compute: Any) -> Any:
    if fingerprint is None:
        return compute()
    key = f"performance:{name}:{fingerprint}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, FILING_SUMS_SECONDS)
    return value


def cached(name: str, versions: dict[str, str], groups: tuple[str, ...], compute: Any) -> Any:
    """``compute()`` kept in the cache until a record of one of ``groups`` changes."""
    return _cached(name, _key(versions, *groups), compute)


def filed_quarters(*, versions: dict[str, str] | None = None) -> list[str]:
    """The quarters that have filings, earliest first (the choices of the quarter filters)."""
    versions = figures_versions() if versions is None else versions
    return _cached("quarters", _key(versions, "filings"), lambda: list(
        LoanFiling.objects.order_by("quarter").values_list("quarter", flat=True).distinct()))


def _filings(scope: Scope) -> QuerySet[LoanFiling]:
    qs = LoanFiling.objects.order_by()
    if scope.scheme:
        qs = qs.filter(scheme=scope.scheme)
    if scope.bank_id:
        qs = qs.filter(bank_id=scope.bank_id)
    if scope.quarter_from:
        qs = qs.filter(quarter__gte=scope.quarter_from)
    if scope.quarter_to:
        qs = qs.filter(quarter__lte=scope.quarter_to)
    return qs


_LOAN_SUMS: dict[str, Any] = {
    "n": Count("id"),
    "amount": Sum("amount_cny"),
    "enterprises": Count("enterprise_id", distinct=True),
    "first_loans": Count("id", filter=Q(is_first_loan=True)),
    "first_loan_enterprises": Count("enterprise_id", distinct=True,
                                    filter=Q(is_first_loan=True)),
}


def _loan_row(key: Any, label: str, r: Mapping[str, Any], fund_size: Decimal | None) -> LoanRow:
    amount = r["amount"] or ZERO
    return LoanRow(key=key, label=label, n=r["n"], amount=amount, enterprises=r["enterprises"],
                   first_loans=r["first_loans"],
                   first_loan_enterprises=r["first_loan_enterprises"],
                   leverage=leverage(amount, fund_size))


def _claims_scope(qs: QuerySet[Any], scope: Scope, prefix: str) -> QuerySet[Any]:
    if scope.scheme:
        qs = qs.filter(**{f"{prefix}scheme": scope.scheme})
    if scope.bank_id:
        qs = qs.filter(**{f"{prefix}bank_id": scope.bank_id})
    return qs


def _positions(scope: Scope, today: date, names: dict[int, str]) -> list[BankPosition]:
    """Each bank's current position against the thresholds of the version in force today,
    from the suspension states (recomputed after every payment and return, and nightly)."""
    params = tuple(scheme_params_from(r) for r in PolicyVersion.objects.all())
    states = _claims_scope(SuspensionState.objects.order_by(), scope, "")
    out = []
    for s in states:
        choice = choose_version(params, PolicyScheme(s.scheme), today)
        if choice is None:
            continue
        figures = SuspensionFigures(filed_principal=s.filed_principal,
                                    claimed_principal=s.claimed_principal,
                                    net_compensation=s.net_compensation)
        out.append(bank_position(bank_id=s.bank_id, bank_name=names.get(s.bank_id, ""),
                                 params=choice.params, figures=figures,
                                 is_suspended=s.is_auto_suspended or s.is_manually_suspended))
    out.sort(key=lambda p: (p.bank_name, p.scheme))
    return out


def _paid_by_bank(scope: Scope) -> list[tuple[int, Decimal, Decimal]]:
    """(bank, principal, compensation) of the claims paid to the end of the range."""
    paid = _claims_scope(Payment.objects.order_by(), scope, "claim__")
    if scope.date_to is not None:
        paid = paid.filter(paid_on__lte=scope.date_to)
    return [(r["claim__bank_id"], r["base"] or ZERO, r["amount"] or ZERO)
            for r in paid.values("claim__bank_id").annotate(base=Sum("claim__base"),
                                                            amount=Sum("amount"))]


def _recoveries(scope: Scope, paid: list[tuple[int, Decimal, Decimal]]
                ) -> dict[int, RecoveryFigures]:
    """Per bank, to the end of the range: principal and compensation of the claims ``paid``,
    what the banks recovered after it, the share due back to the fund and the returns
    received."""
    end = scope.date_to
    recovered = _claims_scope(Recovery.objects.order_by(), scope, "claim__")
    back = _claims_scope(ReturnPayment.objects.order_by(), scope, "recovery__claim__")
    if end is not None:
        recovered = recovered.filter(recovered_on__lte=end)
        back = back.filter(returned_on__lte=end)
    sums: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO] * 5)
    for bank_id, base, amount in paid:
        sums[bank_id][0] += base
        sums[bank_id][1] += amount
    for r in recovered.values("claim__bank_id").annotate(amount=Sum("amount"),
                                                         due=Sum("return_amount")):
        sums[r["claim__bank_id"]][2] += r["amount"] or ZERO
        sums[r["claim__bank_id"]][3] += r["due"] or ZERO
    for r in back.values("recovery__claim__bank_id").annotate(amount=Sum("amount")):
        sums[r["recovery__claim__bank_id"]][4] += r["amount"] or ZERO
    return {bank_id: RecoveryFigures(*values) for bank_id, values in sums.items()}


def _delays(scope: Scope) -> list[tuple[int, str, int]]:
    """(bank, quarter of payment, days from submission to payment) for the claims paid within
    the range: one row per payment, two dates each."""
    qs = _claims_scope(Payment.objects.order_by(), scope, "claim__")
    if scope.date_from is not None:
        qs = qs.filter(paid_on__gte=scope.date_from)
    if scope.date_to is not None:
        qs = qs.filter(paid_on__lte=scope.date_to)
    # The database turns the moment of submission into a local day (TruncDate in the current
    # time zone, as timezone.localtime): thousands of conversions in Python would cost more.
    rows = qs.annotate(submitted_on=TruncDate("claim__submitted_at")).values_list(
        "claim__bank_id", "submitted_on", "paid_on")
    return [(bank_id, quarter_code(paid_on), (paid_on - submitted_on).days)
            for bank_id, submitted_on, paid_on in rows]


@dataclass(frozen=True)
class PaymentIndicators:
    """Per bank within a scope: recovery after compensation to the end of its range, and the
    days from claim to payment of the claims paid within it."""

    recovery_by_bank: dict[int, RecoveryFigures]
    days_by_bank: dict[int, list[int]]


def payment_indicators(scope: Scope) -> PaymentIndicators:
    """The performance view's recovery and claim-to-payment reads, uncached, for a document
    (the operations report) that reads them as of the end of a closed period: every read is
    bounded by business dates, so a payment or recovery dated later changes nothing."""
    days: dict[int, list[int]] = defaultdict(list)
    for bank_id, _quarter, n in _delays(scope):
        days[bank_id].append(n)
    return PaymentIndicators(recovery_by_bank=_recoveries(scope, _paid_by_bank(scope)),
                             days_by_bank=dict(days))


@dataclass(frozen=True)
class _FilingSums:
    total: dict[str, Any]
    by_scheme: list[Mapping[str, Any]]
    by_bank: list[Mapping[str, Any]]
    by_quarter: list[Mapping[str, Any]]
    stacked: dict[tuple[str, str], Decimal]


def _filing_sums(scope: Scope) -> _FilingSums:
    filings = _filings(scope)
    return _FilingSums(
        total=filings.aggregate(**_LOAN_SUMS),
        by_scheme=list(filings.values("scheme").annotate(**_LOAN_SUMS).order_by("scheme")),
        by_bank=list(filings.values("bank_id").annotate(**_LOAN_SUMS).order_by("bank_id")),
        by_quarter=list(filings.values("quarter").annotate(**_LOAN_SUMS).order_by("quarter")),
        stacked={(r["quarter"], r["scheme"]): r["amount"] or ZERO
                 for r in filings.values("quarter", "scheme").annotate(amount=Sum("amount_cny"))},
    )


def performance(scope: Scope, *, today: date,
                versions: dict[str, str] | None = None) -> Performance:
    """Every indicator of the performance view for ``scope``; ``versions`` are the tokens
    (``figures_versions``) when the caller has just read them."""
    versions = figures_versions() if versions is None else versions
    scope_key = scope.key
    sums: _FilingSums = _cached(f"sums:{scope_key}", _key(versions, "filings"),
                                lambda: _filing_sums(scope))
    by_quarter_rows = sums.by_quarter
    paid_key = _key(versions, "payments")
    delays = _cached(f"delays:{scope_key}", paid_key, lambda: _delays(scope))
    paid = _cached(f"paid:{scope_key}", paid_key, lambda: _paid_by_bank(scope))
    recoveries: dict[int, RecoveryFigures] = _cached(
        f"recoveries:{scope_key}", _key(versions, "payments", "recoveries"),
        lambda: _recoveries(scope, paid))
    # The axis runs from the first filing to the last filing or payment, empty quarters too.
    present = sorted({r["quarter"] for r in by_quarter_rows} | {q for _b, q, _d in delays})
    first = scope.quarter_from or (present[0] if present else "")
    last = scope.quarter_to or (present[-1] if present else "")
    quarters = quarters_between(first, last) if first and last else []
    # The bureau sets the fund size yearly (MICRO Art. 20): a quarter is measured against its
    # own year's, the range as a whole against its last year's.
    sizes = dict(FundSize.objects.values_list("year", "amount"))
    year = int(last[:4]) if last else None
    size = sizes.get(year) if year else None
    names = dict(Bank.objects.values_list("pk", "short_name"))
    schemes = dict(Scheme.choices)

    total = _loan_row(None, _("合计"), sums.total, size)
    by_scheme = [_loan_row(r["scheme"], str(schemes.get(r["scheme"], r["scheme"])), r, size)
                 for r in sums.by_scheme]
    by_bank = sorted((_loan_row(r["bank_id"], names.get(r["bank_id"], ""), r, size)
                      for r in sums.by_bank), key=lambda row: row.label)
    quarter_rows = {r["quarter"]: r for r in by_quarter_rows}
    by_quarter = [_loan_row(q, quarter_label(q), quarter_rows[q], sizes.get(int(q[:4])))
                  if q in quarter_rows else LoanRow(key=q, label=quarter_label(q))
                  for q in quarters]
    stacked = sums.stacked

    per_bank: dict[int, list[int]] = defaultdict(list)
    per_quarter: dict[str, list[int]] = defaultdict(list)
    for bank_id, quarter, days in delays:
        per_bank[bank_id].append(days)
        per_quarter[quarter].append(days)
    delay_by_bank = [(names.get(b, ""), s) for b, days in per_bank.items()
                     if (s := delay_stats(days)) is not None]
    delay_by_bank.sort(key=lambda item: item[0])
    return Performance(
        scope=scope, fund_size=size, fund_size_year=year, total=total, by_scheme=by_scheme,
        by_bank=by_bank, by_quarter=by_quarter, amount_by_quarter_and_scheme=stacked,
        positions=_positions(scope, today, names),
        recovery_by_bank=sorted(((names.get(b, ""), r) for b, r in recoveries.items()),
                                key=lambda item: item[0]),
        recovery_total=add_recoveries(recoveries.values()),
        delay_total=delay_stats(d for _, _, d in delays),
        delay_by_bank=delay_by_bank,
        delay_by_quarter=[(q, delay_stats(per_quarter.get(q, ()))) for q in quarters],
        quarters=quarters,
    )

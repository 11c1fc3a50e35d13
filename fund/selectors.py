"""Reads of the fund and of the policy reference data: every read of the ledger (entries with
their running balance, totals, balances, the fund screen's and the reports' figures) and of
what the banks owe the fund (``receivables``)."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from claims.models import Recovery
from riskcomp.choices import Scheme as SchemeChoice
from riskcomp.policy.context import PolicyContext
from riskcomp.policy.params import LprRate as LprValue
from riskcomp.policy.params import SchemeParams
from riskcomp.policy.types import EnterpriseKind, EnterpriseSize, LoanType, Scheme
from riskcomp.policy.workdays import WorkdayCalendar, years_to_enter

from .models import CalendarDay, CalendarYear, LedgerEntry, LprRate, PolicyVersion

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=18, decimal_places=2)


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
        articles=tuple(sorted((str(k), str(v)) for k, v in (row.articles or {}).items())),
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
            known_years=entered_calendar_years(),
        ),
    )


def entered_calendar_years() -> list[int]:
    """The years whose holiday schedule staff entered: a registered year counts only with its
    days off in (a year registered without them would give weekend-only deadlines)."""
    with_days = CalendarDay.objects.filter(date__year=OuterRef("year"), is_workday=False)
    return list(CalendarYear.objects.filter(Exists(with_days))
                .values_list("year", flat=True))

def lpr_missing(*, today: date) -> bool:
    """Whether this month's LPR is due (after the 20th) and not entered (one query)."""
    from riskcomp.policy.versions import lpr_due

    month = LprRate.objects.filter(published_on__year=today.year,
                                   published_on__month=today.month)
    return lpr_due((LprValue(r.published_on, r.one_year_percent, r.five_year_percent)
                    for r in month), today)


def calendar_years_missing(*, today: date) -> list[int]:
    """The years whose holiday schedule is due to be entered and is not (one query)."""
    return years_to_enter(WorkdayCalendar(known_years=entered_calendar_years()), today)


def fund_balance(*, on: date | None = None) -> Decimal:
    """The fund account's cash balance: the sum of the ledger (on a date, inclusive)."""
    qs = LedgerEntry.objects.all()
    if on is not None:
        qs = qs.filter(booked_on__lte=on)
    total = qs.aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")


# --- The ledger --------------------------------------------------------------------------------

def ledger_entries() -> QuerySet[LedgerEntry]:
    """Ledger entries with ``running_balance``: the fund account's balance right after the entry
    (every entry booked before it, or the same day and posted earlier), whatever filter the
    screen applies afterwards. The sum is a correlated subquery over the booked_on index, run
    only for the rows a page shows."""
    upto = (LedgerEntry.objects
            .filter(Q(booked_on__lt=OuterRef("booked_on"))
                    | Q(booked_on=OuterRef("booked_on"), pk__lte=OuterRef("pk")))
            .order_by()
            # A bare SUM (not Django's Sum) keeps the subquery free of GROUP BY.
            .annotate(total=Func(F("amount"), function="SUM", output_field=_MONEY))
            .values("total")[:1])
    return (LedgerEntry.objects.select_related("bank", "claim", "created_by")
            .annotate(running_balance=Coalesce(Subquery(upto, output_field=_MONEY),
                                               Value(ZERO), output_field=_MONEY)))


def ledger_bank_choices() -> tuple[tuple[str, str], ...]:
    """The banks the ledger has entries for, by short name: the ledger screen's bank filter."""
    rows = (LedgerEntry.objects.filter(bank__isnull=False).order_by("bank__short_name", "bank_id")
            .values_list("bank_id", "bank__short_name").distinct())
    return tuple((str(pk), name) for pk, name in rows)


def ledger_sums_by_kind() -> QuerySet[Any, Any]:
    """Per kind of entry, the whole ledger: ``n`` entries, their ``total`` and ``loss``."""
    return (LedgerEntry.objects.order_by().values("kind")
            .annotate(total=Sum("amount"), loss=Sum("loss_amount"), n=Count("id"))
            .order_by("kind"))


def ledger_totals(qs: QuerySet[LedgerEntry]) -> dict[str, Any]:
    """Money in, money out, the net movement, losses recognised and the count of ``qs``."""
    totals = qs.order_by().aggregate(
        inflow=Sum("amount", filter=Q(amount__gt=0)),
        outflow=Sum("amount", filter=Q(amount__lt=0)),
        net=Sum("amount"), loss=Sum("loss_amount"), count=Count("pk"))
    return {k: (v if v is not None else ZERO) if k != "count" else v
            for k, v in totals.items()}


# --- The fund screen ---------------------------------------------------------------------------
# Each figure is one grouped query over the ledger, so the screen costs the same few queries
# whether the ledger holds ten entries or a hundred thousand.

_FLOWS = (LedgerEntry.Kind.COMPENSATION, LedgerEntry.Kind.RETURN, LedgerEntry.Kind.WRITE_OFF)


def _z(value: Decimal | None) -> Decimal:
    return value if value is not None else ZERO


def ledger_scope(*, date_from: date | None = None, date_to: date | None = None,
                 scheme: str = "") -> QuerySet[LedgerEntry]:
    """The ledger entries booked in ``[date_from, date_to]`` (either end open) of ``scheme``
    (blank: every entry, those without a scheme too)."""
    qs = LedgerEntry.objects.order_by()
    if date_from is not None:
        qs = qs.filter(booked_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(booked_on__lte=date_to)
    if scheme:
        qs = qs.filter(scheme=scheme)
    return qs


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def ledger_by_month(*, date_from: date | None = None, date_to: date | None = None,
                    scheme: str = "") -> list[dict[str, Any]]:
    """Money in (positive amounts) and out (negative, as a positive figure), the net and the
    number of entries per calendar month, months without entries included, oldest first."""
    rows = (ledger_scope(date_from=date_from, date_to=date_to, scheme=scheme)
            .annotate(month=TruncMonth("booked_on")).values("month")
            .annotate(inflow=Sum("amount", filter=Q(amount__gt=0)),
                      outflow=Sum("amount", filter=Q(amount__lt=0)),
                      loss=Sum("loss_amount"), n=Count("pk"))
            .order_by("month"))
    found: dict[tuple[int, int], dict[str, Any]] = {
        (r["month"].year, r["month"].month): dict(r) for r in rows}
    if not found:
        return []
    first, last = min(found), max(found)
    months: list[dict[str, Any]] = []
    month = date(*first, 1)
    while (month.year, month.month) <= last:
        r = found.get((month.year, month.month), {})
        inflow, outflow = _z(r.get("inflow")), -_z(r.get("outflow"))
        months.append({"month": month, "inflow": inflow, "outflow": outflow,
                       "net": inflow - outflow, "loss": _z(r.get("loss")), "n": r.get("n", 0)})
        month = _next_month(month)
    return months


def ledger_by_kind(*, date_from: date | None = None, date_to: date | None = None,
                   scheme: str = "") -> list[dict[str, Any]]:
    """Per kind of entry: the count and sum of its entries, the corrections booked against it
    (reversals, counted under the kind they reverse) and the net after them, in the order of
    ``LedgerEntry.Kind`` without the reversal kind itself."""
    rows = (ledger_scope(date_from=date_from, date_to=date_to, scheme=scheme)
            .annotate(of_kind=Coalesce("reverses__kind", "kind")).values("of_kind")
            .annotate(n=Count("pk", filter=~Q(kind=LedgerEntry.Kind.REVERSAL)),
                      gross=Sum("amount", filter=~Q(kind=LedgerEntry.Kind.REVERSAL)),
                      corrections=Sum("amount", filter=Q(kind=LedgerEntry.Kind.REVERSAL)),
                      n_corrections=Count("pk", filter=Q(kind=LedgerEntry.Kind.REVERSAL)),
                      loss=Sum("loss_amount"))
            .order_by())
    found = {r["of_kind"]: r for r in rows}
    out = []
    for kind, label in LedgerEntry.Kind.choices:
        r = found.get(kind)
        if r is None or kind == LedgerEntry.Kind.REVERSAL:
            continue
        amount, corrections = _z(r["gross"]), _z(r["corrections"])
        out.append({"kind": kind, "label": label, "n": r["n"], "amount": amount,
                    "n_corrections": r["n_corrections"], "corrections": corrections,
                    "net": amount + corrections, "loss": _z(r["loss"])})
    return out


def _receivable_sums(date_from: date | None, date_to: date | None) -> dict[str, Any]:
    """Paid, returned and written off within the range, and the three to its end (for what is
    still owed then): conditional sums, so one grouped query serves a whole table."""
    upto = Q(booked_on__lte=date_to) if date_to is not None else Q()
    within = upto & (Q(booked_on__gte=date_from) if date_from is not None else Q())
    paid, back, lost = (Q(kind=LedgerEntry.Kind.COMPENSATION), Q(kind=LedgerEntry.Kind.RETURN),
                        Q(kind=LedgerEntry.Kind.WRITE_OFF))
    return {
        "paid": Sum("amount", filter=paid & within),
        "returned": Sum("amount", filter=back & within),
        "written_off": Sum("loss_amount", filter=lost & within),
        "paid_to": Sum("amount", filter=paid & upto),
        "returned_to": Sum("amount", filter=back & upto),
        "written_off_to": Sum("loss_amount", filter=lost & upto),
    }


def _receivable_row(r: dict[str, Any], owed: dict[str, Any]) -> dict[str, Any]:
    # Compensation is booked as an outflow (negative); the table shows what was paid.
    paid, returned = -_z(r.get("paid")), _z(r.get("returned"))
    net_exposure = (-_z(r.get("paid_to")) - _z(r.get("returned_to"))
                    - _z(r.get("written_off_to")))
    return {"paid": paid, "returned": returned, "written_off": _z(r.get("written_off")),
            "net_exposure": net_exposure, "to_return": _z(owed.get("amount")),
            "returns_pending": owed.get("n", 0), "returns_overdue": _z(owed.get("overdue"))}


def _returns_owed(group: tuple[str, ...], *, date_to: date | None,
                  scheme: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Per group of the ledger's keys (the recovery's claim carries the bank and the scheme):
    the recoveries made up to ``date_to`` whose share is not back in the fund by then (their
    return not yet booked in the ledger), how many, their return amounts (recovery × ratio)
    and the part past its return deadline."""
    on = date_to if date_to is not None else timezone.localdate()
    qs = (Recovery.objects.order_by().filter(recovered_on__lte=on, return_amount__gt=0)
          .exclude(return_payment__ledger_entry__booked_on__lte=on))
    if scheme:
        qs = qs.filter(claim__scheme=scheme)
    fields = {k: f"claim__{k}" for k in group}
    rows = qs.values(*fields.values()).annotate(
        n=Count("pk"), amount=Sum("return_amount"),
        overdue=Sum("return_amount", filter=Q(return_deadline__lt=on)))
    return {tuple(r[f] for f in fields.values()): r for r in rows}


def receivables(group: tuple[str, ...], *, date_from: date | None = None,
                date_to: date | None = None, scheme: str = "") -> list[dict[str, Any]]:
    """What the banks owe the fund, per group of ledger keys (``scheme``, ``bank_id``,
    ``bank__short_name``): compensation paid, returns received and losses written off within
    the range; at its end the net exposure (paid − returned − written off, RULES.md
    "Write-off": a write-off turns the receivable into a loss) and the returns the banks still
    owe (MICRO Art. 16, TECH Art. 17: only their share of what they recovered, not the
    compensation itself): ``to_return``, of ``returns_pending`` recoveries, ``returns_overdue``
    of it past the return deadline. The one formula the fund screen and the reports use."""
    qs = LedgerEntry.objects.order_by().filter(kind__in=_FLOWS)
    if date_to is not None:
        qs = qs.filter(booked_on__lte=date_to)
    if scheme:
        qs = qs.filter(scheme=scheme)
    booked = {tuple(r[k] for k in group): r for r in
              qs.values(*group).annotate(**_receivable_sums(date_from, date_to)).order_by(*group)}
    owed = _returns_owed(group, date_to=date_to, scheme=scheme)
    keys = [*booked, *(k for k in owed if k not in booked)]
    return [{**dict(zip(group, k, strict=True)),
             **_receivable_row(booked.get(k, {}), owed.get(k, {}))} for k in keys]


_SCREEN_FIGURES = ("paid", "returned", "written_off", "net_exposure", "to_return")


def _screen_rows(rows: list[dict[str, Any]], group: tuple[str, ...]) -> list[dict[str, Any]]:
    """The fund screen's figures of ``receivables`` rows (it counts no pending returns)."""
    return [{k: r[k] for k in (*group, *_SCREEN_FIGURES)} for r in rows]


def _with_total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"rows": rows,
            "total": {k: sum((r[k] for r in rows), ZERO) for k in _SCREEN_FIGURES}}


def receivables_by_scheme(*, date_from: date | None = None, date_to: date | None = None,
                          scheme: str = "") -> dict[str, Any]:
    """Per scheme: compensation paid, returns received and losses written off within the range,
    the net exposure at its end (paid − returned − written off, RULES.md "Write-off": a
    write-off turns the receivable into a loss) and the returns the banks still owe then
    (recovered × ratio − returned), with the total."""
    group = ("scheme",)
    rows = _screen_rows(receivables(group, date_from=date_from, date_to=date_to, scheme=scheme),
                        group)
    labels = dict(SchemeChoice.choices)
    for r in rows:
        r["label"] = labels.get(r["scheme"], r["scheme"])
    return _with_total(rows)


def receivables_by_bank(*, date_from: date | None = None, date_to: date | None = None,
                        scheme: str = "") -> dict[str, Any]:
    """The same figures per partner bank, by the bank's short name."""
    group = ("bank_id", "bank__short_name")
    rows = _screen_rows(receivables(group, date_from=date_from, date_to=date_to, scheme=scheme),
                        group)
    rows.sort(key=lambda r: (r["bank__short_name"] or "", r["bank_id"] or 0))
    return _with_total(rows)

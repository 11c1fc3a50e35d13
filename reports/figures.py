"""The content of the semi-annual and annual reports (RULES.md "Reports", "The fund"): money in
and out, use of the fund, loans supported, claims and compensation, recovery and returns,
write-offs, suspensions and receivables, for one period.

Every summary is aggregated in the database (GROUP BY); the detail listings are read with
``values_list(...).iterator()`` so that a year of filings never holds model instances in memory.
Money comes from the ledger wherever the ledger records it (payments, returns, interest, fee,
write-off losses, balances), so the report shows what the ledger shows."""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from banks.models import Bank, SuspensionChange
from claims.models import Claim, ClaimStatusChange, Payment, Recovery, WriteOff
from fund.models import LedgerEntry
from fund.selectors import fund_balance, ledger_by_month, ledger_scope, receivables
from loans.models import LoanFiling, holds_qualification
from riskcomp.choices import LoanType, QualificationType, Scheme
from riskcomp.policy.fund import half_year

from .charts import Chart, Series
from .models import ReportFile

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Table:
    """One summary or detail table of a report: Chinese title and headers, plain values."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: list[tuple]
    money_columns: frozenset[int] = frozenset()
    total: tuple | None = None
    # Columns of figures written as text (rates "16.67%", days "34.0"): aligned as numbers.
    number_columns: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ReportData:
    kind: str
    period: str
    period_start: date
    period_end: date
    generated_at: datetime
    summary: list[Table]
    details: list[Table]
    charts: list[Chart]
    totals: dict[str, Decimal]
    yearly: Any = None  # reports.yearly.Yearly for the two yearly documents

    @property
    def is_yearly(self) -> bool:
        return self.yearly is not None

    @property
    def title(self) -> str:
        if self.kind == ReportFile.Kind.ANNUAL:
            return _("%(y)s年度贷款风险补偿资金管理和使用情况审计报告") % {"y": self.period}
        if self.kind == ReportFile.Kind.OPERATIONS:
            return _("%(y)s年度贷款风险补偿资金运营管理工作报告") % {"y": self.period}
        year, half = self.period[:4], self.period[-1]
        return (_("%(y)s年上半年贷款风险补偿资金管理情况报告") if half == "1"
                else _("%(y)s年下半年贷款风险补偿资金管理情况报告")) % {"y": year}


_SEMIANNUAL = re.compile(r"^(\d{4})H([12])$")
_ANNUAL = re.compile(r"^(\d{4})$")


def report_period(kind: str, period: str) -> tuple[date, date]:
    """The first and last day of a report period: ``2026H1`` → 1 Jan to 30 Jun 2026, ``2026H2``
    → 1 Jul to 31 Dec, ``2025`` (annual) → the calendar year."""
    period = (period or "").strip().upper()
    if kind == ReportFile.Kind.SEMIANNUAL:
        m = _SEMIANNUAL.match(period)
        if not m:
            raise ValueError(_("半年度报告期应写作“2026H1”或“2026H2”，收到“%(p)s”。")
                             % {"p": period})
        year = int(m.group(1))
        start, end = half_year(year, int(m.group(2)))
    elif kind in (ReportFile.Kind.ANNUAL, ReportFile.Kind.OPERATIONS):
        m = _ANNUAL.match(period)
        if not m:
            raise ValueError(_("年度报告期应写作四位年份，如“2025”，收到“%(p)s”。")
                             % {"p": period})
        year = int(m.group(1))
        start, end = date(year, 1, 1), date(year, 12, 31)
    else:
        raise ValueError(_("未知的报告类型“%(k)s”：只能生成半年度报告、年度审计报告或"
                           "年度运营管理工作报告。") % {"k": kind})
    if not 2000 <= year <= 2100:
        raise ValueError(_("报告年度%(y)d超出可选范围。") % {"y": year})
    return start, end


# --- Helpers ----------------------------------------------------------------------------------

def cn_date(value: date | datetime | None) -> str:
    """2026年7月10日 (a datetime in local time), the form every report date takes."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return _("%(y)d年%(m)d月%(d)d日") % {"y": value.year, "m": value.month, "d": value.day}


def _d(value: Any) -> Decimal:
    """A database sum as a Decimal to the fen (SQLite may hand back int or float)."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(Decimal("0.01"))


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as aware datetimes [start 00:00, day after end 00:00) in local time."""
    tz = timezone.get_current_timezone()
    return (datetime.combine(start, time.min, tzinfo=tz),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz))


def _months(start: date, end: date) -> list[date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def _month_key(value: date | datetime) -> date:
    return date(value.year, value.month, 1)


def _labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def values_at(model: type[Any], field: str, end: date) -> dict[int, str]:
    """What ``field`` read at the end of ``end`` for the rows of ``model`` changed since: the
    old value of each row's first change after it, from the audit trail. Rows not changed since
    are missing (their value now is their value then)."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    after = _bounds(end, end)[1]
    found: dict[int, str] = {}
    # Latest first: the first change after the end is the last written into ``found``.
    for pk, changes in (LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), timestamp__gte=after,
            action=LogEntry.Action.UPDATE, changes__has_key=field)
            .order_by("-timestamp", "-id").values_list("object_pk", "changes")):
        old = (changes or {}).get(field)
        if isinstance(old, list) and old and pk.isdigit():
            found[int(pk)] = str(old[0])
    return found


def bank_names(end: date) -> dict[int | None, str]:
    """Every bank's full name as it was at ``end`` (a report an auditor signs never abbreviates
    a bank, and a bank renamed later keeps in a closed period's report the name it had)."""
    names: dict[int | None, str] = dict(Bank.objects.values_list("pk", "name"))
    for pk, name in values_at(Bank, "name", end).items():
        names[pk] = name
    names[None] = _("（未分银行）")
    return names


def _sum_row(rows: list[tuple], label: tuple, columns: range,
             money: frozenset[int]) -> tuple:
    """A totals row: ``label`` then the sum of each of ``columns`` (Decimal for money)."""
    return (*label, *(sum((r[i] for r in rows), ZERO if i in money else 0) for i in columns))


# --- Fund -------------------------------------------------------------------------------------

INFLOW_KINDS = (LedgerEntry.Kind.CAPITAL, LedgerEntry.Kind.RETURN, LedgerEntry.Kind.INTEREST)
OUTFLOW_KINDS = (LedgerEntry.Kind.COMPENSATION, LedgerEntry.Kind.MANAGEMENT_FEE)


def _fund_tables(start: date, end: date, totals: dict[str, Decimal]) -> list[Table]:
    kinds = _labels(LedgerEntry.Kind.choices)
    by_kind: dict[str, dict[str, Any]] = {
        row["kind"]: dict(row) for row in ledger_scope(date_from=start, date_to=end)
        .values("kind").annotate(
            n=Count("pk"), inflow=Sum("amount", filter=Q(amount__gt=0)),
            outflow=Sum("amount", filter=Q(amount__lt=0)), net=Sum("amount"),
            loss=Sum("loss_amount"))
    }

    def net(kind: str) -> Decimal:
        return _d(by_kind.get(kind, {}).get("net"))

    opening = fund_balance(on=start - timedelta(days=1))
    closing = fund_balance(on=end)
    totals.update({
        "opening_balance": _d(opening), "closing_balance": _d(closing),
        "capital": net(LedgerEntry.Kind.CAPITAL), "returns": net(LedgerEntry.Kind.RETURN),
        "interest": net(LedgerEntry.Kind.INTEREST),
        "compensation": -net(LedgerEntry.Kind.COMPENSATION),
        "management_fee": -net(LedgerEntry.Kind.MANAGEMENT_FEE),
        "reversal": net(LedgerEntry.Kind.REVERSAL),
        "inflow": sum((_d(r["inflow"]) for r in by_kind.values()), ZERO),
        "outflow": -sum((_d(r["outflow"]) for r in by_kind.values()), ZERO),
        "net_change": sum((_d(r["net"]) for r in by_kind.values()), ZERO),
        "write_off_loss": _d(by_kind.get(LedgerEntry.Kind.WRITE_OFF, {}).get("loss")),
    })
    overview = Table(
        key="fund_overview", title=_("资金收支概况"),
        headers=(_("项目"), _("金额（元）")),
        rows=[
            (_("期初余额（%(d)s）") % {"d": cn_date(start - timedelta(days=1))},
             totals["opening_balance"]),
            (_("加：财政拨入资金"), totals["capital"]),
            (_("加：银行返还"), totals["returns"]),
            (_("加：存款利息"), totals["interest"]),
            (_("减：补偿拨付"), totals["compensation"]),
            (_("减：托管管理费"), totals["management_fee"]),
            (_("冲销更正（净额）"), totals["reversal"]),
            (_("期末余额（%(d)s）") % {"d": cn_date(end)}, totals["closing_balance"]),
            (_("本期确认核销损失（不涉及资金收付）"), totals["write_off_loss"]),
        ],
        money_columns=frozenset({1}),
    )
    order = list(LedgerEntry.Kind.values)
    rows = [(kinds[k], by_kind[k]["n"], _d(by_kind[k]["inflow"]), -_d(by_kind[k]["outflow"]),
             _d(by_kind[k]["net"]), _d(by_kind[k]["loss"]))
            for k in sorted(by_kind, key=order.index)]
    ledger = Table(
        key="ledger_by_kind", title=_("资金台账按类型汇总"),
        headers=(_("类型"), _("笔数"), _("流入（元）"), _("流出（元）"), _("净额（元）"),
                 _("确认损失（元）")),
        rows=rows, money_columns=frozenset({2, 3, 4, 5}),
        total=_sum_row(rows, (_("合计"),), range(1, 6), frozenset({2, 3, 4, 5})),
    )
    schemes = _labels(Scheme.choices)
    pivot: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in ledger_scope(date_from=start, date_to=end).values("scheme", "kind").annotate(
            net=Sum("amount"), loss=Sum("loss_amount")):
        pivot[row["scheme"]][row["kind"]] += _d(row["net"])
        pivot[row["scheme"]]["loss"] += _d(row["loss"])
    scheme_rows = []
    for scheme in [*Scheme.values, ""]:
        if scheme not in pivot:
            continue
        p = pivot[scheme]
        scheme_rows.append((
            schemes.get(scheme, _("资金账户（不分政策）")),
            _d(p[LedgerEntry.Kind.CAPITAL] + p[LedgerEntry.Kind.INTEREST]),
            _d(-p[LedgerEntry.Kind.COMPENSATION]), _d(p[LedgerEntry.Kind.RETURN]),
            _d(-p[LedgerEntry.Kind.MANAGEMENT_FEE]), _d(p[LedgerEntry.Kind.REVERSAL]),
            _d(sum((p[k] for k in LedgerEntry.Kind.values), ZERO)), _d(p["loss"])))
    by_scheme = Table(
        key="ledger_by_scheme", title=_("资金使用按政策汇总"),
        headers=(_("政策"), _("拨入及利息（元）"), _("补偿拨付（元）"), _("银行返还（元）"),
                 _("管理费（元）"), _("冲销（元）"), _("净额（元）"), _("核销损失（元）")),
        rows=scheme_rows, money_columns=frozenset(range(1, 8)),
        total=_sum_row(scheme_rows, (_("合计"),), range(1, 8), frozenset(range(1, 8))),
    )
    return [overview, ledger, by_scheme]


# --- Filings ----------------------------------------------------------------------------------

def _filings(start: date, end: date) -> QuerySet[LoanFiling]:
    return LoanFiling.objects.filter(filed_on__gte=start, filed_on__lte=end).order_by()


def _qualification_counts(start: date, end: date) -> tuple[dict[str, tuple[int, Decimal]],
                                                           tuple[int, Decimal]]:
    """Filings per qualification type held at drawdown (decided at filing and stored with it),
    and the filings holding any: one query."""
    sums: dict[str, Any] = {"n": Count("pk", filter=~Q(qualification_types="")),
                            "amount": Sum("amount_cny", filter=~Q(qualification_types=""))}
    for t in QualificationType.values:
        sums[f"n_{t}"] = Count("pk", filter=holds_qualification(t))
        sums[f"amount_{t}"] = Sum("amount_cny", filter=holds_qualification(t))
    row = _filings(start, end).aggregate(**sums)
    by_type = {t: (row[f"n_{t}"], _d(row[f"amount_{t}"])) for t in QualificationType.values
               if row[f"n_{t}"]}
    return by_type, (row["n"], _d(row["amount"]))


def _filing_tables(start: date, end: date, totals: dict[str, Decimal],
                   banks: dict[int | None, str]) -> list[Table]:
    qs = _filings(start, end)
    headers = (_("笔数"), _("贷款金额（元）"))
    all_ = qs.aggregate(n=Count("pk"), amount=Sum("amount_cny"))
    total_n, total_amount = all_["n"], _d(all_["amount"])
    totals["filings_principal"] = total_amount
    totals["filings_count"] = Decimal(total_n)

    def grouped(key: str, field: str, labels: dict[Any, str], title: str,
                order: list[Any] | None = None) -> Table:
        rows_by = {r[field]: (r["n"], _d(r["amount"])) for r in
                   qs.values(field).annotate(n=Count("pk"), amount=Sum("amount_cny"))}
        keys = (order if order is not None
                else sorted(rows_by, key=lambda k: labels.get(k, str(k))))
        rows = [(labels.get(k, str(k)), *rows_by[k]) for k in keys if k in rows_by]
        first = {"filings_by_bank": _("合作银行"), "filings_by_scheme": _("政策"),
                 "filings_by_loan_type": _("贷款品种")}[key]
        return Table(key=key, title=title, headers=(first, *headers), rows=rows,
                     money_columns=frozenset({2}),
                     total=(_("合计"), total_n, total_amount))

    tables = [
        grouped("filings_by_scheme", "scheme", _labels(Scheme.choices), _("本期备案贷款按政策"),
                list(Scheme.values)),
        grouped("filings_by_bank", "bank_id", banks, _("本期备案贷款按合作银行")),
        grouped("filings_by_loan_type", "loan_type", _labels(LoanType.choices),
                _("本期备案贷款按贷款品种"), list(LoanType.values)),
    ]
    by_type, (q_n, q_amount) = _qualification_counts(start, end)
    q_labels = _labels(QualificationType.choices)
    rows = [(q_labels[t], *by_type[t]) for t in QualificationType.values if t in by_type]
    rows.append((_("有效资质企业贷款（去重）"), q_n, q_amount))
    rows.append((_("无有效资质企业贷款"), total_n - q_n, total_amount - q_amount))
    tables.append(Table(
        key="filings_by_qualification", title=_("本期备案贷款按企业资质（放款日有效）"),
        headers=(_("资质类型"), *headers), rows=rows, money_columns=frozenset({2}),
        total=(_("合计"), total_n, total_amount)))
    return tables


# --- Claims, payments -------------------------------------------------------------------------

def _status_at(end_dt: datetime) -> Coalesce:
    """A claim's status at the end of a period: its last history row before ``end_dt``, so a
    report regenerated later still shows the period as it closed (a write-off or payment after
    the period never reaches it)."""
    last = (ClaimStatusChange.objects.filter(claim=OuterRef("pk"), changed_at__lt=end_dt)
            .order_by("-changed_at", "-id").values("to_status")[:1])
    return Coalesce(Subquery(last), F("status"))


def _claims(start_dt: datetime, end_dt: datetime) -> QuerySet[Claim]:
    return Claim.objects.filter(submitted_at__gte=start_dt, submitted_at__lt=end_dt).order_by()


def _claim_tables(start: date, end: date, totals: dict[str, Decimal],
                  banks: dict[int | None, str]) -> list[Table]:
    start_dt, end_dt = _bounds(start, end)
    claims = _claims(start_dt, end_dt)
    payments = Payment.objects.filter(paid_on__gte=start, paid_on__lte=end).order_by()
    schemes = _labels(Scheme.choices)
    headers = (_("申报笔数"), _("申报基数（元）"), _("申报补偿金额（元）"), _("本期拨付笔数"),
               _("本期拨付金额（元）"))

    def grouped(key: str, field: str, payment_field: str, labels: dict[Any, str],
                title: str, first: str, order: list[Any] | None = None) -> Table:
        claimed = {r[field]: r for r in claims.values(field).annotate(
            n=Count("pk"), base=Sum("base"), comp=Sum("compensation"))}
        paid = {r[payment_field]: r for r in payments.values(payment_field).annotate(
            n=Count("pk"), amount=Sum("amount"))}
        keys = set(claimed) | set(paid)
        ordered = ([k for k in order if k in keys] if order is not None
                   else sorted(keys, key=lambda k: labels.get(k, str(k))))
        rows = []
        for k in ordered:
            c, p = claimed.get(k, {}), paid.get(k, {})
            rows.append((labels.get(k, str(k)), c.get("n", 0), _d(c.get("base")),
                         _d(c.get("comp")), p.get("n", 0), _d(p.get("amount"))))
        return Table(key=key, title=title, headers=(first, *headers), rows=rows,
                     money_columns=frozenset({2, 3, 5}),
                     total=_sum_row(rows, (_("合计"),), range(1, 6), frozenset({2, 3, 5})))

    by_scheme = grouped("claims_by_scheme", "scheme", "claim__scheme", schemes,
                        _("补偿申报与拨付按政策"), _("政策"), list(Scheme.values))
    by_bank = grouped("claims_by_bank", "bank_id", "claim__bank_id", banks,
                      _("补偿申报与拨付按合作银行"), _("合作银行"))
    scheme_total = _sum_row(by_scheme.rows, (), range(1, 6), by_scheme.money_columns)
    totals["claims_count"] = Decimal(scheme_total[0])
    totals["claims_compensation"] = scheme_total[2]
    totals["payments"] = scheme_total[4]

    # The status each claim had at the end of the period (its last history row by then), so
    # that a report regenerated later still shows the period as it closed.
    statuses = _labels(Claim.Status.choices)
    by_status = {r["at_end"]: r for r in claims.annotate(
        at_end=_status_at(end_dt)).values("at_end").annotate(
        n=Count("pk"), base=Sum("base"), comp=Sum("compensation"))}
    rows = [(statuses[s], by_status[s]["n"], _d(by_status[s]["base"]),
             _d(by_status[s]["comp"])) for s in Claim.Status.values if s in by_status]
    status_table = Table(
        key="claims_by_status", title=_("本期补偿申报按期末状态"),
        headers=(_("期末状态"), _("笔数"), _("申报基数（元）"), _("申报补偿金额（元）")),
        rows=rows, money_columns=frozenset({2, 3}),
        total=_sum_row(rows, (_("合计"),), range(1, 4), frozenset({2, 3})))
    return [by_scheme, by_bank, status_table]


# --- Recovery, returns, write-offs, receivables -----------------------------------------------

RECV_MONEY = frozenset({2, 3, 4, 5, 7, 8})


def _recovery_tables(start: date, end: date, totals: dict[str, Decimal],
                     banks: dict[int | None, str]) -> list[Table]:
    schemes = _labels(Scheme.choices)
    recovered: dict[tuple[Any, Any], dict[str, Any]] = {
        (r["claim__bank_id"], r["claim__scheme"]): dict(r) for r in
                 Recovery.objects.filter(recovered_on__gte=start, recovered_on__lte=end)
                 .order_by().values("claim__bank_id", "claim__scheme")
                 .annotate(n=Count("pk"), amount=Sum("amount"), due=Sum("return_amount"))}
    returned: dict[tuple[Any, Any], dict[str, Any]] = {
        (r["bank_id"], r["scheme"]): dict(r) for r in
                ledger_scope(date_from=start, date_to=end).filter(kind=LedgerEntry.Kind.RETURN)
                .values("bank_id", "scheme").annotate(n=Count("pk"), amount=Sum("amount"))}
    keys = sorted(set(recovered) | set(returned),
                  key=lambda k: (banks.get(k[0], ""), k[1] or ""))
    rows = []
    for k in keys:
        rec, ret = recovered.get(k, {}), returned.get(k, {})
        rows.append((banks.get(k[0], ""), schemes.get(k[1], k[1] or ""), rec.get("n", 0),
                     _d(rec.get("amount")), _d(rec.get("due")), ret.get("n", 0),
                     _d(ret.get("amount"))))
    recovery = Table(
        key="recoveries_returns", title=_("追偿回收与返还"),
        headers=(_("合作银行"), _("政策"), _("回收笔数"), _("回收金额（元）"),
                 _("应返还金额（元）"), _("返还到账笔数"), _("返还到账金额（元）")),
        rows=rows, money_columns=frozenset({3, 4, 6}),
        total=_sum_row(rows, (_("合计"), ""), range(2, 7), frozenset({3, 4, 6})))

    # Write-offs the bureau confirmed in the period, as booked in the ledger.
    grounds = _labels(WriteOff.Ground.choices)
    wo_rows = [
        (schemes.get(r["scheme"], r["scheme"]), grounds.get(r["write_off__ground"], ""),
         r["n"], _d(r["loss"]))
        for r in ledger_scope(date_from=start, date_to=end).filter(kind=LedgerEntry.Kind.WRITE_OFF)
        .values("scheme", "write_off__ground").annotate(n=Count("pk"), loss=Sum("loss_amount"))
        .order_by("scheme", "write_off__ground")
    ]
    write_offs = Table(
        key="write_offs", title=_("核销（财政确认）"),
        headers=(_("政策"), _("核销依据"), _("笔数"), _("确认损失（元）")),
        rows=wo_rows, money_columns=frozenset({3}),
        total=_sum_row(wo_rows, (_("合计"), ""), range(2, 4), frozenset({3})))

    # Receivables at the end of the period, per bank and scheme, as the fund screen counts them.
    recv_rows = [
        (banks.get(r["bank_id"], ""), schemes.get(r["scheme"], r["scheme"] or ""), r["paid"],
         r["returned"], r["written_off"], r["net_exposure"], r["returns_pending"],
         r["to_return"], r["returns_overdue"])
        for r in sorted(receivables(("bank_id", "scheme"), date_to=end),
                        key=lambda r: (banks.get(r["bank_id"], ""), r["scheme"] or ""))
    ]
    receivable_table = Table(
        key="receivables", title=_("补偿应收情况（截至期末）"),
        headers=(_("合作银行"), _("政策"), _("累计拨付（元）"), _("累计返还（元）"),
                 _("累计核销（元）"), _("补偿净敞口（元）"), _("待返还笔数"),
                 _("待返还金额（元）"), _("其中逾期（元）")),
        rows=recv_rows, money_columns=RECV_MONEY,
        total=_sum_row(recv_rows, (_("合计"), ""), range(2, 9), RECV_MONEY))
    receivable_total = _sum_row(recv_rows, (), range(2, 9), RECV_MONEY)
    totals["receivable"] = receivable_total[3]
    totals["returns_due"] = receivable_total[5]
    return [recovery, write_offs, receivable_table]


def _suspension_table(start: date, end: date, banks: dict[int | None, str]) -> Table:
    start_dt, end_dt = _bounds(start, end)
    schemes = _labels(Scheme.choices)
    kinds = _labels(SuspensionChange.Kind.choices)
    rows = [
        (at, banks.get(bank, ""), schemes.get(scheme, scheme),
         kinds.get(kind, kind), _("暂停") if suspended else _("恢复"), reason, claimed,
         net)
        for at, bank, scheme, kind, suspended, reason, claimed, net in
        SuspensionChange.objects.filter(changed_at__gte=start_dt, changed_at__lt=end_dt)
        .order_by("changed_at", "id").values_list(
            "changed_at", "bank_id", "scheme", "kind", "is_suspended", "reason",
            "claimed_principal", "net_compensation")
    ]
    return Table(
        key="suspension_changes", title=_("合作银行暂停与恢复记录"),
        headers=(_("变更时间"), _("合作银行"), _("政策"), _("方式"), _("变更"), _("原因"),
                 _("申报本金（元）"), _("补偿净额（元）")),
        rows=rows, money_columns=frozenset({6, 7}))


# --- Detail listings --------------------------------------------------------------------------

CHUNK = 2000


def _count(rows: list[tuple]) -> str:
    return _("合计 %(n)d 条") % {"n": len(rows)}


def _detail_tables(start: date, end: date, banks: dict[int | None, str]) -> list[Table]:
    start_dt, end_dt = _bounds(start, end)
    schemes = _labels(Scheme.choices)
    loan_types = _labels(LoanType.choices)
    statuses = _labels(Claim.Status.choices)
    # Each row names the policy version its filing recorded (the document number): a period
    # that spans two versions (H1 2027 under 12号 and its successor) never mixes them unseen.
    filings = [
        (iou, name, banks.get(bank, ""), schemes.get(scheme, scheme), version,
         loan_types.get(loan_type, loan_type), drawn, filed, _d(amount))
        for iou, name, bank, scheme, version, loan_type, drawn, filed, amount in
        _filings(start, end).order_by("filed_on", "id").values_list(
            "iou_number", "enterprise_name", "bank_id", "scheme", "policy_version",
            "loan_type", "drawdown_date", "filed_on", "amount_cny").iterator(chunk_size=CHUNK)
    ]
    claims = [
        (number, name, banks.get(bank, ""), schemes.get(scheme, scheme), version,
         timezone.localtime(at).date(), _d(base), f"{ratio * 100:.0f}%", _d(comp),
         statuses.get(status, status))
        for number, name, bank, scheme, version, at, base, ratio, comp, status in
        _claims(start_dt, end_dt).annotate(at_end=_status_at(end_dt))
        .order_by("submitted_at", "id").values_list(
            "number", "filing__enterprise_name", "bank_id", "scheme", "filing__policy_version",
            "submitted_at", "base", "ratio", "compensation", "at_end").iterator(chunk_size=CHUNK)
    ]
    payments = [
        (paid_on, reference, number, name, banks.get(bank, ""), schemes.get(scheme, scheme),
         version, _d(amount))
        for paid_on, reference, number, name, bank, scheme, version, amount in
        Payment.objects.filter(paid_on__gte=start, paid_on__lte=end)
        .order_by("paid_on", "id").values_list(
            "paid_on", "reference", "claim__number", "claim__filing__enterprise_name",
            "claim__bank_id", "claim__scheme", "claim__filing__policy_version",
            "amount").iterator(chunk_size=CHUNK)
    ]
    returns = [
        (booked, reference, number or "", banks.get(bank, ""), schemes.get(scheme, scheme),
         version or "", _d(recovered), _d(amount))
        for booked, reference, number, bank, scheme, version, recovered, amount in
        ledger_scope(date_from=start, date_to=end).filter(kind=LedgerEntry.Kind.RETURN)
        .order_by("booked_on", "id")
        .values_list("booked_on", "reference", "claim__number", "bank_id", "scheme",
                     "claim__filing__policy_version", "return_payment__recovery__amount",
                     "amount").iterator(chunk_size=CHUNK)
    ]
    return [
        Table(key="filings_detail", title=_("本期备案贷款明细"),
              headers=(_("借据号"), _("借款企业"), _("合作银行"), _("政策"), _("政策文号"),
                       _("贷款品种"), _("放款日期"), _("备案日期"), _("贷款金额（元）")),
              rows=filings, money_columns=frozenset({8}),
              total=(_count(filings), "", "", "", "", "", "", "",
                     sum((r[8] for r in filings), ZERO))),
        Table(key="claims_detail", title=_("本期补偿申报明细"),
              headers=(_("申报编号"), _("借款企业"), _("合作银行"), _("政策"), _("政策文号"),
                       _("提交日期"), _("基数（元）"), _("比例"), _("补偿金额（元）"),
                       _("期末状态")),
              rows=claims, money_columns=frozenset({6, 8}),
              total=(_count(claims), "", "", "", "", "",
                     sum((r[6] for r in claims), ZERO), "",
                     sum((r[8] for r in claims), ZERO), "")),
        Table(key="payments_detail", title=_("本期补偿拨付明细"),
              headers=(_("拨付日期"), _("付款流水号"), _("申报编号"), _("借款企业"),
                       _("合作银行"), _("政策"), _("政策文号"), _("拨付金额（元）")),
              rows=payments, money_columns=frozenset({7}),
              total=(_count(payments), "", "", "", "", "", "",
                     sum((r[7] for r in payments), ZERO))),
        Table(key="returns_detail", title=_("本期返还到账明细"),
              headers=(_("到账日期"), _("返还流水号"), _("申报编号"), _("合作银行"), _("政策"),
                       _("政策文号"), _("回收金额（元）"), _("返还金额（元）")),
              rows=returns, money_columns=frozenset({6, 7}),
              total=(_count(returns), "", "", "", "", "",
                     sum((r[6] for r in returns), ZERO), sum((r[7] for r in returns), ZERO))),
    ]


# --- Charts -----------------------------------------------------------------------------------

def _charts(start: date, end: date) -> list[Chart]:
    months = _months(start, end)
    labels = tuple(f"{m.month}月" for m in months)
    filed: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for row in (_filings(start, end).annotate(m=TruncMonth("filed_on"))
                .values("m", "scheme").annotate(amount=Sum("amount_cny"))):
        filed[row["scheme"]][_month_key(row["m"])] = _d(row["amount"])
    schemes = _labels(Scheme.choices)
    filings_chart = Chart(
        key="monthly_filings", title=_("各月备案贷款金额"), labels=labels, kind="stacked",
        series=tuple(Series(schemes[s], tuple(filed[s].get(m, ZERO) for m in months))
                     for s in Scheme.values))
    flows: dict[date, dict[str, Decimal]] = defaultdict(lambda: {"in": ZERO, "out": ZERO})
    for month in ledger_by_month(date_from=start, date_to=end):
        flows[month["month"]] = {"in": month["inflow"], "out": month["outflow"]}
    ledger_chart = Chart(
        key="monthly_ledger", title=_("各月资金流入与流出"), labels=labels, kind="grouped",
        series=(Series(_("流入"), tuple(flows[m]["in"] for m in months)),
                Series(_("流出"), tuple(flows[m]["out"] for m in months))))
    balance, points = fund_balance(on=start - timedelta(days=1)), []
    for m in months:
        balance += flows[m]["in"] - flows[m]["out"]
        points.append(_d(balance))
    balance_chart = Chart(
        key="month_end_balance", title=_("各月末资金余额"), labels=labels, kind="line",
        series=(Series(_("月末余额"), tuple(points)),))
    return [filings_chart, ledger_chart, balance_chart]


# --- The report -------------------------------------------------------------------------------

def report_data(kind: str, period: str, *, now: datetime | None = None) -> ReportData:
    """Everything a report shows for ``kind`` (``semiannual`` / ``annual``) and ``period``."""
    start, end = report_period(kind, period)
    totals: dict[str, Decimal] = {}
    banks = bank_names(end)
    summary = [
        *_fund_tables(start, end, totals),
        *_filing_tables(start, end, totals, banks),
        *_claim_tables(start, end, totals, banks),
        *_recovery_tables(start, end, totals, banks),
        _suspension_table(start, end, banks),
    ]
    details = _detail_tables(start, end, banks)
    yearly = None
    if kind in (ReportFile.Kind.ANNUAL, ReportFile.Kind.OPERATIONS):
        from .yearly import yearly_data

        yearly = yearly_data(start, end, totals["returns_due"],
                             performance=kind == ReportFile.Kind.OPERATIONS)
        summary.extend(yearly.tables)
        if kind == ReportFile.Kind.ANNUAL:
            # The audit report lists everything; its payments carry the bureau's confirmation.
            listed = {t.key: t for t in [*details, *yearly.details]}
            details = [listed[k] for k in ("filings_detail", "claims_detail",
                                           "compensation_detail", "recoveries_detail",
                                           "returns_detail", "write_offs_detail")]
        else:
            details = list(yearly.details)
    return ReportData(
        kind=kind, period=period.strip().upper(), period_start=start, period_end=end,
        generated_at=now or timezone.now(), summary=summary,
        details=details, charts=_charts(start, end), totals=totals, yearly=yearly)

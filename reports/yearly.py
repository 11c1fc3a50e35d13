"""What the two yearly documents add to a period's figures (MICRO/TECH Art. 25: the audit
report on the management and use of the fund, and the operations report): the basis of the
fund, cumulative money since inception, the loans supported against the fund size, each
compensation with the bureau's confirmation, each recovery with its deadlines, write-offs with
their document numbers, the year's spot check, every bank's suspension position at year end with
the thresholds of the policy version in force, and the problems the data show.

Everything is read as of the period's end (business dates, status history), so a report
regenerated later reads the same."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext as _

from banks.models import CooperationAgreement, SuspensionChange
from claims.models import (
    Claim,
    Confirmation,
    Payment,
    Recovery,
    RecoveryStatement,
    SpotCheck,
    SpotCheckItem,
    WriteOff,
)
from fund.models import FundSize, LedgerEntry, PolicyVersion
from loans.models import LoanFiling
from riskcomp.choices import EnterpriseSize, Scheme
from riskcomp.policy.deadlines import quarter_code

from .figures import (
    ZERO,
    Table,
    _bounds,
    _d,
    _labels,
    _status_at,
    _sum_row,
    bank_names,
    cn_date,
    values_at,
)
from .performance import DelayStats, RecoveryFigures, add_recoveries, delay_stats, leverage
from .performance_selectors import PaymentIndicators, Scope, payment_indicators

HUNDRED = Decimal(100)


@dataclass
class Yearly:
    """The yearly documents' own content, added to the period's ``ReportData``."""

    basis: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    details: list[Table] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)


def _percent(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return "—"
    return f"{(part * HUNDRED / whole).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def _times(filed: Decimal, fund_size: Decimal) -> str:
    """放大倍数 as the performance view computes it (``performance.leverage``)."""
    value = leverage(filed, fund_size)
    return "—" if value is None else _("%(x)s倍") % {"x": value}


def _in_force(end: date) -> dict[str, PolicyVersion]:
    """Each scheme's policy version in force at ``end`` (the latest one begun by then)."""
    found: dict[str, PolicyVersion] = {}
    for version in PolicyVersion.objects.filter(valid_from__lte=end).order_by("valid_from"):
        found[version.scheme] = version
    return found


# --- 基本情况 ------------------------------------------------------------------------------

def _basis(start: date, end: date, banks: dict[int | None, str], y: Yearly) -> None:
    schemes = _labels(Scheme.choices)
    versions = [
        (schemes.get(v.scheme, v.scheme), v.version, v.title, v.valid_from, v.valid_to)
        for v in PolicyVersion.objects.filter(valid_from__lte=end, valid_to__gte=start)
        .order_by("scheme", "valid_from")]
    y.tables.append(Table(
        key="policy_versions", title=_("政策依据（报告期内有效的政策版本）"),
        headers=(_("政策"), _("文号"), _("政策名称"), _("有效期起"), _("有效期止")),
        rows=versions))
    statuses = _labels(CooperationAgreement.Status.choices)
    # Each agreement's state at the end of the period: terminated later, it was in force then.
    status_then = values_at(CooperationAgreement, "status", end)
    agreements = sorted((
        (banks.get(bank, ""), schemes.get(scheme, scheme), number, signed, valid_from, valid_to,
         statuses.get(status_then.get(pk, status), status_then.get(pk, status)))
        for pk, bank, scheme, number, signed, valid_from, valid_to, status in
        CooperationAgreement.objects.filter(signed_on__lte=end).order_by(
            "scheme", "valid_from").values_list(
            "pk", "bank_id", "scheme", "number", "signed_on", "valid_from", "valid_to",
            "status")), key=lambda r: r[0])
    y.tables.append(Table(
        key="agreements", title=_("合作银行及合作协议"),
        headers=(_("合作银行"), _("政策"), _("协议编号"), _("签订日期"), _("生效日期"),
                 _("到期日期"), _("协议状态")),
        rows=agreements))
    size = FundSize.objects.filter(year=end.year).values_list("amount", flat=True).first()
    capital = _d(LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CAPITAL, booked_on__lte=end)
                 .aggregate(s=Sum("amount"))["s"])
    y.basis.update({
        "fund_size": _d(size) if size is not None else None, "capital_to_date": capital,
        "bank_count": len({a[0] for a in agreements}), "agreement_count": len(agreements),
    })


# --- 资金收支（累计） ----------------------------------------------------------------------

def _cumulative(end: date, y: Yearly) -> None:
    kinds = _labels(LedgerEntry.Kind.choices)
    order = list(LedgerEntry.Kind.values)
    rows = [
        (kinds[r["kind"]], r["n"], _d(r["net"]), _d(r["loss"]))
        for r in sorted(LedgerEntry.objects.filter(booked_on__lte=end).order_by()
                        .values("kind").annotate(n=Count("pk"), net=Sum("amount"),
                                                 loss=Sum("loss_amount")),
                        key=lambda r: order.index(r["kind"]))]
    first = LedgerEntry.objects.aggregate(d=Min("booked_on"))["d"]
    y.tables.append(Table(
        key="ledger_cumulative",
        title=_("设立以来累计资金收支（%(a)s至%(b)s）") % {
            "a": cn_date(first) if first else "—", "b": cn_date(end)},
        headers=(_("类型"), _("笔数"), _("净额（元）"), _("确认损失（元）")),
        rows=rows, money_columns=frozenset({2, 3}),
        total=_sum_row(rows, (_("期末余额"),), range(1, 4), frozenset({2, 3}))))
    fees = [
        (year or "—", booked, reference, -_d(amount))
        for year, booked, reference, amount in
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.MANAGEMENT_FEE, booked_on__lte=end)
        .order_by("booked_on", "id").values_list("fee_year", "booked_on", "reference", "amount")]
    y.tables.append(Table(
        key="management_fees", title=_("托管管理费（按所属年度）"),
        headers=(_("所属年度"), _("记账日期"), _("凭证号"), _("金额（元）")),
        rows=fees, money_columns=frozenset({3}),
        total=_sum_row(fees, (_("合计"), "", ""), range(3, 4), frozenset({3})) if fees
        else None))


# --- 支持贷款情况 --------------------------------------------------------------------------

def _support(start: date, end: date, y: Yearly) -> None:
    schemes = _labels(Scheme.choices)
    filings = LoanFiling.objects.filter(filed_on__gte=start, filed_on__lte=end).order_by()
    fund_size = y.basis.get("fund_size") or y.basis.get("capital_to_date") or ZERO
    rows = []
    for r in filings.values("scheme").annotate(
            n=Count("pk"), enterprises=Count("enterprise", distinct=True),
            first=Count("pk", filter=Q(is_first_loan=True)), amount=Sum("amount_cny")):
        rows.append((schemes.get(r["scheme"], r["scheme"]), r["n"], r["enterprises"], r["first"],
                     _d(r["amount"]), _times(_d(r["amount"]), fund_size)))
    all_ = filings.aggregate(n=Count("pk"), enterprises=Count("enterprise", distinct=True),
                             first=Count("pk", filter=Q(is_first_loan=True)),
                             amount=Sum("amount_cny"))
    y.tables.append(Table(
        key="support", title=_("支持贷款、服务企业与首贷"),
        headers=(_("政策"), _("贷款笔数"), _("服务企业数"), _("首贷笔数"), _("贷款金额（元）"),
                 _("放大倍数（备案贷款÷资金规模）")),
        rows=sorted(rows), money_columns=frozenset({4}), number_columns=frozenset({5}),
        total=(_("合计"), all_["n"], all_["enterprises"], all_["first"], _d(all_["amount"]),
               _times(_d(all_["amount"]), fund_size))))
    y.basis["leverage"] = _times(_d(all_["amount"]), fund_size)
    y.basis["enterprises"] = all_["enterprises"]
    y.basis["first_loans"] = all_["first"]
    sizes = _labels(EnterpriseSize.choices)
    by_size = [
        (sizes.get(r["size"], _("未记录")), r["n"], _d(r["amount"]))
        for r in filings.values(size=_size_key()).annotate(n=Count("pk"),
                                                          amount=Sum("amount_cny"))]
    y.tables.append(Table(
        key="filings_by_size", title=_("本期备案贷款按企业规模（备案时）"),
        headers=(_("企业规模"), _("笔数"), _("贷款金额（元）")),
        rows=sorted(by_size, key=lambda r: -r[2]), money_columns=frozenset({2}),
        total=(_("合计"), all_["n"], _d(all_["amount"]))))


def _size_key() -> Any:
    from django.db.models.fields.json import KT

    return KT("snapshot__enterprise__size")


# --- 补偿、追偿、核销、抽查 ---------------------------------------------------------------

def _listings(start: date, end: date, banks: dict[int | None, str], y: Yearly) -> None:
    schemes = _labels(Scheme.choices)
    end_dt = _bounds(start, end)[1]
    confirmations = dict(Confirmation.objects.filter(
        claim__payment__paid_on__gte=start, claim__payment__paid_on__lte=end).values_list(
        "claim_id", "document_number"))
    confirmed_on = dict(Confirmation.objects.filter(
        claim__payment__paid_on__gte=start, claim__payment__paid_on__lte=end).values_list(
        "claim_id", "document_date"))
    payments = [
        (paid_on, number, name, banks.get(bank, ""), schemes.get(scheme, scheme),
         confirmations.get(claim_id, ""), confirmed_on.get(claim_id), reference, _d(amount))
        for paid_on, number, name, bank, scheme, claim_id, reference, amount in
        Payment.objects.filter(paid_on__gte=start, paid_on__lte=end).order_by("paid_on", "id")
        .values_list("paid_on", "claim__number", "claim__filing__enterprise_name",
                     "claim__bank_id", "claim__scheme", "claim_id", "reference", "amount")]
    y.details.append(Table(
        key="compensation_detail", title=_("补偿明细（含财政确认文号）"),
        headers=(_("拨付日期"), _("申报编号"), _("借款企业"), _("合作银行"), _("政策"),
                 _("财政确认文号"), _("确认日期"), _("付款流水号"), _("拨付金额（元）")),
        rows=payments, money_columns=frozenset({8}),
        total=(_("合计 %(n)d 条") % {"n": len(payments)}, "", "", "", "", "", "", "",
               sum((r[8] for r in payments), ZERO))))

    recoveries = []
    overdue = ZERO
    overdue_banks: set[str] = set()
    for (recovered_on, number, bank, amount, notified_on, notice_deadline, return_amount,
         return_deadline, returned_on) in (
            Recovery.objects.filter(recovered_on__gte=start, recovered_on__lte=end)
            .order_by("recovered_on", "id").values_list(
                "recovered_on", "claim__number", "claim__bank_id", "amount", "notified_on",
                "notice_deadline", "return_amount", "return_deadline",
                "return_payment__returned_on")):
        returned = returned_on if returned_on and returned_on <= end else None
        late = (return_amount > 0 and return_deadline is not None and return_deadline < end
                and (returned is None or returned > return_deadline))
        if late and returned is None:
            overdue += return_amount
            overdue_banks.add(banks.get(bank, ""))
        recoveries.append((recovered_on, number, banks.get(bank, ""), _d(amount), notified_on,
                           notice_deadline, _d(return_amount), return_deadline, returned,
                           _("逾期") if late else ""))
    y.details.append(Table(
        key="recoveries_detail", title=_("追偿回收与返还明细"),
        headers=(_("回收日期"), _("申报编号"), _("合作银行"), _("回收金额（元）"), _("通知日期"),
                 _("通知截止日"), _("应返还（元）"), _("返还截止日"), _("返还日期"), _("逾期")),
        rows=recoveries, money_columns=frozenset({3, 6}),
        total=(_("合计 %(n)d 条") % {"n": len(recoveries)}, "", "",
               sum((r[3] for r in recoveries), ZERO), "", "",
               sum((r[6] for r in recoveries), ZERO), "", "", "")))
    y.basis["overdue_returns"] = overdue
    y.basis["overdue_banks"] = sorted(overdue_banks)

    statements = [
        (banks.get(bank, ""), number, submitted_at, text)
        for bank, number, submitted_at, text in
        RecoveryStatement.objects.filter(year=end.year, submitted_at__lt=end_dt)
        .order_by("claim__bank__name", "claim__number").values_list(
            "claim__bank_id", "claim__number", "submitted_at", "text")]
    y.tables.append(Table(
        key="recovery_statements", title=_("合作银行年度追偿情况说明"),
        headers=(_("合作银行"), _("申报编号"), _("提交时间"), _("追偿工作情况")),
        rows=statements))

    grounds = _labels(WriteOff.Ground.choices)
    write_offs = [
        (document_date, document_number, number, name, banks.get(bank, ""),
         grounds.get(ground, ground), _d(amount))
        for document_date, document_number, number, name, bank, ground, amount in
        WriteOff.objects.filter(status=WriteOff.Status.CONFIRMED, document_date__gte=start,
                                document_date__lte=end).order_by("document_date", "id")
        .values_list("document_date", "document_number", "claim__number",
                     "claim__filing__enterprise_name", "claim__bank_id", "ground", "amount")]
    y.details.append(Table(
        key="write_offs_detail", title=_("核销明细（财政确认文号）"),
        headers=(_("确认日期"), _("财政确认文号"), _("申报编号"), _("借款企业"), _("合作银行"),
                 _("核销依据"), _("核销金额（元）")),
        rows=write_offs, money_columns=frozenset({6}),
        total=(_("合计 %(n)d 条") % {"n": len(write_offs)}, "", "", "", "", "",
               sum((r[6] for r in write_offs), ZERO))))


def _spot_check(end: date, banks: dict[int | None, str], y: Yearly) -> None:
    end_dt = _bounds(end, end)[1]
    # The year's check as the year closed: one drawn after it is not part of this report.
    check = SpotCheck.objects.filter(year=end.year, drawn_at__lt=end_dt).first()
    results = _labels(SpotCheckItem.Result.choices)
    if check is None:
        y.basis["spot_check"] = None
        y.tables.append(Table(key="spot_check", title=_("年度抽查"),
                              headers=(_("项目"), _("内容")), rows=[]))
        return
    items = list(check.items.order_by("id").values_list(
        "claim__number", "claim__bank_id", "result", "finding", "recorded_at"))
    counts: dict[str, int] = defaultdict(int)
    rows = []
    for number, bank, result, finding, recorded_at in items:
        # A finding recorded after the year closed is not part of this year's report.
        if recorded_at is None or recorded_at >= end_dt:
            result, finding = SpotCheckItem.Result.PENDING, ""
        counts[result] += 1
        rows.append((number, banks.get(bank, ""), results[result], finding))
    y.basis["spot_check"] = {"seed": check.seed, "size": check.sample_size,
                             "drawn_at": check.drawn_at, "counts": dict(counts)}
    y.tables.append(Table(
        key="spot_check",
        title=_("年度抽查（随机种子 %(s)s，抽取 %(n)d 笔）") % {"s": check.seed,
                                                      "n": check.sample_size},
        headers=(_("申报编号"), _("合作银行"), _("结论"), _("检查发现")), rows=rows))


# --- 暂停情况 ------------------------------------------------------------------------------

def _suspension_positions(start: date, end: date, banks: dict[int | None, str],
                          y: Yearly) -> None:
    """Every bank's figures at year end against the thresholds of the version in force, and
    its state then (the last change by the year end)."""
    schemes = _labels(Scheme.choices)
    start_dt, end_dt = _bounds(start, end)
    figures: dict[tuple[int, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for bank, scheme, total in (LoanFiling.objects.filter(filed_on__lte=end).order_by()
                                .values_list("bank_id", "scheme").annotate(t=Sum("amount_cny"))):
        figures[(bank, scheme)][0] = _d(total)
    for bank, scheme, total in (
            Claim.objects.filter(submitted_at__lt=end_dt).annotate(at_end=_status_at(end_dt))
            .exclude(at_end__in=Claim.CLOSED_STATUSES).order_by()
            .values_list("bank_id", "scheme").annotate(t=Sum("base"))):
        figures[(bank, scheme)][1] = _d(total)
    for bank, scheme, total in (
            LedgerEntry.objects.filter(booked_on__lte=end, claim__isnull=False,
                                       kind__in=(LedgerEntry.Kind.COMPENSATION,
                                                 LedgerEntry.Kind.RETURN)).order_by()
            .values_list("bank_id", "scheme").annotate(t=Sum("amount"))):
        figures[(bank, scheme)][2] = -_d(total)
    changes = {(r["bank_id"], r["scheme"]): r["n"] for r in SuspensionChange.objects.filter(
        changed_at__gte=start_dt, changed_at__lt=end_dt).order_by().values(
        "bank_id", "scheme").annotate(n=Count("pk"))}
    last_change = {(r["bank_id"], r["scheme"]): r["at"] for r in SuspensionChange.objects.filter(
        changed_at__lt=end_dt).order_by().values("bank_id", "scheme").annotate(
        at=Max("changed_at"))}
    state = {(bank, scheme): suspended for bank, scheme, suspended, at in
             SuspensionChange.objects.filter(changed_at__lt=end_dt).values_list(
                 "bank_id", "scheme", "is_suspended", "changed_at")
             if last_change.get((bank, scheme)) == at}
    versions = _in_force(end)
    rows, suspended = [], []
    for key in sorted(set(figures) | set(state), key=lambda k: (banks.get(k[0], ""), k[1])):
        bank, scheme = key
        filed, claimed, net = figures[key]
        version = versions.get(scheme)
        ratio_threshold = version.suspend_claim_ratio if version else None
        net_threshold = version.suspend_net_compensation if version else None
        is_suspended = state.get(key, False)
        if is_suspended:
            suspended.append(f"{banks.get(bank, '')}（{schemes.get(scheme, scheme)}）")
        rows.append((banks.get(bank, ""), schemes.get(scheme, scheme), filed, claimed,
                     _percent(claimed, filed),
                     _percent(ratio_threshold, Decimal(1)) if ratio_threshold is not None
                     else _("不适用"),
                     net, net_threshold if net_threshold is not None else "—",
                     _("暂停") if is_suspended else _("正常"), changes.get(key, 0)))
    y.tables.append(Table(
        key="suspension_positions", title=_("合作银行暂停指标（截至期末）"),
        headers=(_("合作银行"), _("政策"), _("备案本金（元）"), _("申报本金（元）"),
                 _("申报占比"), _("占比阈值"), _("补偿净额（元）"), _("净额阈值（元）"),
                 _("期末状态"), _("本年变更次数")),
        rows=rows, money_columns=frozenset({2, 3, 6, 7})))
    y.basis["suspended"] = suspended


# --- 绩效指标（运营管理工作报告） ------------------------------------------------------------

PERFORMANCE_TABLES = ("recovery_by_scheme", "recovery_by_bank", "payment_days_by_scheme",
                      "payment_days_by_bank")


def _rate_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{(value * HUNDRED).quantize(Decimal('0.01'))}%"


def _recovery_cells(r: RecoveryFigures) -> tuple[Any, ...]:
    return (r.compensated_principal, r.compensation_paid, r.recovered,
            _rate_text(r.recovery_rate), r.return_due, r.returned, _rate_text(r.return_rate))


def _days_cells(s: DelayStats | None) -> tuple[Any, ...]:
    if s is None:
        return (0, "—", "—", "—")
    return (s.n, str(s.mean), str(s.median), s.longest)


def _performance(start: date, end: date, banks: dict[int | None, str], y: Yearly) -> None:
    """The performance view's recovery rate and days from claim to payment (MICRO Art. 9(4)),
    by scheme and by bank, read by the view's own selectors for the period's quarters: the
    recovery figures cumulative to the period's end, the days of the claims paid within it."""
    schemes = _labels(Scheme.choices)
    by_scheme: dict[str, PaymentIndicators] = {
        s: payment_indicators(Scope(scheme=s, quarter_from=quarter_code(start),
                                    quarter_to=quarter_code(end)))
        for s in Scheme.values}
    money = frozenset({1, 2, 3, 5, 6})
    rec_scheme: list[tuple[Any, ...]] = []
    rec_bank: list[tuple[Any, ...]] = []
    day_scheme: list[tuple[Any, ...]] = []
    day_bank: list[tuple[Any, ...]] = []
    all_days: list[int] = []
    for scheme, ind in by_scheme.items():
        label = schemes[scheme]
        rec_scheme.append((label, *_recovery_cells(
            add_recoveries(ind.recovery_by_bank.values()))))
        days = [d for values in ind.days_by_bank.values() for d in values]
        all_days.extend(days)
        day_scheme.append((label, *_days_cells(delay_stats(days))))
        rec_bank.extend((banks.get(b, ""), label, *_recovery_cells(r))
                        for b, r in ind.recovery_by_bank.items())
        day_bank.extend((banks.get(b, ""), label, *_days_cells(delay_stats(d)))
                        for b, d in ind.days_by_bank.items())
    total = add_recoveries(r for ind in by_scheme.values()
                           for r in ind.recovery_by_bank.values())
    recovery_headers = (_("已补偿本金（元）"), _("拨付补偿（元）"), _("追偿回收（元）"),
                        _("回收率"), _("应返还（元）"), _("已返还（元）"), _("返还率"))
    y.tables.append(Table(
        key="recovery_by_scheme", title=_("追偿回收率（截至期末累计，按政策）"),
        headers=(_("政策"), *recovery_headers), rows=rec_scheme, money_columns=money,
        number_columns=frozenset({4, 7}),
        total=(_("合计"), *_recovery_cells(total))))
    y.tables.append(Table(
        key="recovery_by_bank", title=_("追偿回收率（截至期末累计，按合作银行）"),
        headers=(_("合作银行"), _("政策"), *recovery_headers),
        rows=sorted(rec_bank, key=lambda r: (r[0], r[1])),
        money_columns=frozenset(i + 1 for i in money), number_columns=frozenset({5, 8}),
        total=(_("合计"), "", *_recovery_cells(total))))
    days_headers = (_("拨付笔数"), _("平均天数"), _("中位天数"), _("最长天数"))
    y.tables.append(Table(
        key="payment_days_by_scheme", title=_("申报至拨付天数（本期拨付，按政策）"),
        headers=(_("政策"), *days_headers), rows=day_scheme, number_columns=frozenset(
            range(1, 5)),
        total=(_("合计"), *_days_cells(delay_stats(all_days)))))
    y.tables.append(Table(
        key="payment_days_by_bank", title=_("申报至拨付天数（本期拨付，按合作银行）"),
        headers=(_("合作银行"), _("政策"), *days_headers),
        rows=sorted(day_bank, key=lambda r: (r[0], r[1])), number_columns=frozenset(range(2, 6)),
        total=(_("合计"), "", *_days_cells(delay_stats(all_days)))))
    overall = delay_stats(all_days)
    y.basis["recovery_rate"] = _rate_text(total.recovery_rate)
    y.basis["recovered_to_date"] = total.recovered
    y.basis["payments_in_period"] = overall.n if overall else 0
    y.basis["mean_days_to_payment"] = str(overall.mean) if overall else None
    y.basis["median_days_to_payment"] = str(overall.median) if overall else None


# --- 存在问题及建议 ------------------------------------------------------------------------

def _issues(y: Yearly, returns_due: Decimal) -> None:
    b = y.basis
    if b.get("suspended"):
        y.issues.append(_(
            "截至期末，%(banks)s 因补偿净额及申报占比超过暂停阈值处于暂停状态。建议督促相关银行"
            "加强贷后管理、加快追偿，并在补偿净额回落后及时恢复其备案和申报。")
            % {"banks": "、".join(b["suspended"])})
    if b.get("overdue_returns"):
        y.issues.append(_(
            "%(banks)s 有已回收款项逾期未返还，合计 %(amount)s。建议书面催告并在其返还前暂缓"
            "受理该行新的补偿申报。") % {"banks": "、".join(b["overdue_banks"]),
                                "amount": cny(b["overdue_returns"])})
    elif returns_due:
        y.issues.append(_("截至期末，已回收待返还 %(amount)s，均在返还期限内。")
                        % {"amount": cny(returns_due)})
    check = b.get("spot_check")
    if check is None:
        y.issues.append(_("本年度尚未开展补偿项目抽查。建议按政策规定开展年度随机抽查并记录"
                          "随机种子。"))
    else:
        issue = check["counts"].get(SpotCheckItem.Result.ISSUE, 0)
        pending = check["counts"].get(SpotCheckItem.Result.PENDING, 0)
        if issue:
            y.issues.append(_("年度抽查发现问题 %(n)d 笔，建议督促相关银行限期整改并跟踪整改"
                              "结果。") % {"n": issue})
        if pending:
            y.issues.append(_("年度抽查尚有 %(n)d 笔至期末未完成检查，建议尽快完成。")
                            % {"n": pending})
    if not y.issues:
        y.issues.append(_("本年度未发现合作银行暂停、返还逾期或抽查问题等需要报告的事项。"))


def cny(value: Decimal) -> str:
    from riskcomp.templatetags.portal import cny as fmt

    return fmt(value)


def yearly_data(start: date, end: date, returns_due: Decimal, *,
                performance: bool = False) -> Yearly:
    """The yearly documents' content; ``performance`` adds the performance indicators the
    operations report carries."""
    y = Yearly()
    banks = bank_names(end)
    _basis(start, end, banks, y)
    _cumulative(end, y)
    _support(start, end, y)
    _listings(start, end, banks, y)
    _spot_check(end, banks, y)
    _suspension_positions(start, end, banks, y)
    if performance:
        _performance(start, end, banks, y)
    _issues(y, returns_due)
    return y

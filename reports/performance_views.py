"""The bureau's performance view (绩效评价, MICRO Art. 9(4)): for the custodian's reviewers, the
bureau's approvers and auditors. Filters, the indicators, charts drawn on the server, and the
same tables as an Excel workbook."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.roles import Role, role_required
from riskcomp.choices import Scheme
from riskcomp.exports import XLSX, XColumn, sheets_bytes, wants_xlsx
from riskcomp.labels import quarter_label

from .charts import Chart, Series, chart_svg
from .performance_forms import PerformanceFilterForm
from .performance_selectors import (
    Performance,
    Scope,
    cached,
    figures_versions,
    filed_quarters,
    performance,
)

VIEWERS = (Role.REVIEWER, Role.APPROVER, Role.AUDITOR)
HUNDRED = Decimal(100)


def performance_charts(data: Performance) -> list[Chart]:
    """The quarterly trends: filed amount by scheme, enterprises served and first loans, days
    from claim to payment."""
    quarters = tuple(data.quarters)
    labels = tuple(quarter_label(q) for q in quarters)
    schemes = [s for s in Scheme if not data.scope.scheme or s == data.scope.scheme]
    zero = Decimal(0)
    amount = Chart(
        key="filed", title=_("各季度备案贷款金额"), labels=labels, kind="stacked",
        series=tuple(Series(str(s.label), tuple(
            data.amount_by_quarter_and_scheme.get((q, s.value), zero) for q in quarters))
            for s in schemes))
    served = Chart(
        key="served", title=_("各季度服务企业与首贷"), labels=labels, unit=_("户"),
        series=(Series(_("服务企业"), tuple(Decimal(r.enterprises) for r in data.by_quarter)),
                Series(_("首贷企业"), tuple(Decimal(r.first_loan_enterprises)
                                          for r in data.by_quarter))))
    # Only the quarters with payments: a quarter without any has no delay, not a delay of 0.
    paid = [(q, s) for q, s in data.delay_by_quarter if s is not None]
    delay = Chart(
        key="delay", title=_("各季度申报至拨付天数"),
        labels=tuple(quarter_label(q) for q, _s in paid),
        kind="line", unit=_("天"),
        series=(Series(_("平均"), tuple(s.mean for _q, s in paid)),
                Series(_("中位数"), tuple(s.median for _q, s in paid))))
    return [amount, served, delay]


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * HUNDRED:.2f}%"


def _workbook(data: Performance) -> bytes:
    schemes = dict(Scheme.choices)
    loan_columns = (
        XColumn("", lambda r: r.label, width=22),
        XColumn(_("备案笔数"), lambda r: r.n, "int"),
        XColumn(_("备案金额（元）"), lambda r: r.amount, "money", 20),
        XColumn(_("服务企业（户）"), lambda r: r.enterprises, "int"),
        XColumn(_("首贷笔数"), lambda r: r.first_loans, "int"),
        XColumn(_("首贷企业（户）"), lambda r: r.first_loan_enterprises, "int"),
        XColumn(_("放大倍数"), lambda r: r.leverage, "number"),
    )

    def loans(title: str, first: str, rows: list[Any]) -> tuple[str, tuple[XColumn, ...], list]:
        return title, (XColumn(first, lambda r: r.label, width=22), *loan_columns[1:]), rows

    positions = (
        XColumn(_("银行"), lambda p: p.bank_name, width=22),
        XColumn(_("政策"), lambda p: schemes.get(p.scheme, p.scheme)),
        XColumn(_("备案本金（元）"), lambda p: p.filed_principal, "money", 20),
        XColumn(_("申报本金（元）"), lambda p: p.claimed_principal, "money", 20),
        XColumn(_("不良率"), lambda p: p.claim_ratio, "ratio"),
        XColumn(_("不良率阈值"), lambda p: p.claim_ratio_threshold, "ratio"),
        XColumn(_("补偿净额（元）"), lambda p: p.net_compensation, "money", 20),
        XColumn(_("补偿率"), lambda p: p.compensation_rate, "ratio"),
        XColumn(_("补偿净额阈值（元）"), lambda p: p.net_threshold, "money", 20),
        XColumn(_("距阈值（元）"), lambda p: p.net_room, "money", 20),
        XColumn(_("状态"), lambda p: _("暂停") if p.is_suspended else _("正常")),
    )
    recovery = (
        XColumn(_("银行"), lambda r: r[0], width=22),
        XColumn(_("已补偿本金（元）"), lambda r: r[1].compensated_principal, "money", 20),
        XColumn(_("拨付补偿（元）"), lambda r: r[1].compensation_paid, "money", 20),
        XColumn(_("追偿回收（元）"), lambda r: r[1].recovered, "money", 20),
        XColumn(_("回收率"), lambda r: r[1].recovery_rate, "ratio"),
        XColumn(_("应返还（元）"), lambda r: r[1].return_due, "money", 20),
        XColumn(_("已返还（元）"), lambda r: r[1].returned, "money", 20),
        XColumn(_("待返还金额（元）"), lambda r: r[1].to_return, "money", 20),
    )
    delay = (
        XColumn(_("分组"), lambda r: quarter_label(r[0]), width=22),
        XColumn(_("拨付笔数"), lambda r: r[1].n if r[1] else 0, "int"),
        XColumn(_("平均天数"), lambda r: r[1].mean if r[1] else None, "number"),
        XColumn(_("中位天数"), lambda r: r[1].median if r[1] else None, "number"),
        XColumn(_("最长天数"), lambda r: r[1].longest if r[1] else None, "int"),
    )
    return sheets_bytes([
        loans(_("按政策"), _("政策"), [*data.by_scheme, data.total]),
        loans(_("按银行"), _("银行"), data.by_bank),
        loans(_("按季度"), _("放款季度"), data.by_quarter),
        (_("暂停阈值"), positions, data.positions),
        (_("追偿回收"), recovery, [*data.recovery_by_bank, (_("合计"), data.recovery_total)]),
        (_("拨付时效"), delay, [*data.delay_by_quarter, *data.delay_by_bank,
                                (_("合计"), data.delay_total)]),
    ])


# Every group of records the page reads: its figures and the banks, positions, policy versions
# and fund sizes beside them.
PAGE_GROUPS = ("filings", "payments", "recoveries", "reference")


def _page(scope: Scope, today: date, versions: dict[str, str]
          ) -> tuple[Performance, SafeString, SafeString]:
    """The indicators and their rendered parts (key figures; charts and tables), kept in the
    cache until a record the page reads changes: rendering the tables of every bank is most of
    the cost of a request once the sums are cached. The parts hold nothing of the user or the
    request, and the key holds the language and the day (the thresholds in force)."""

    def compute() -> tuple[Performance, SafeString, SafeString]:
        data = performance(scope, today=today, versions=versions)
        context = {"data": data, "charts": [(c, chart_svg(c)) for c in performance_charts(data)]}
        return (data, render_to_string("reports/_performance_facts.html", context),
                render_to_string("reports/_performance_tables.html", context))

    name = f"page:{get_language()}:{today.isoformat()}:{scope.key}"
    page: tuple[Performance, SafeString, SafeString] = cached(name, versions, PAGE_GROUPS,
                                                              compute)
    return page


@role_required(*VIEWERS)
@require_safe
def performance_view(request: HttpRequest) -> HttpResponse:
    versions = figures_versions()
    form = PerformanceFilterForm(request.GET or None, quarters=filed_quarters(versions=versions))
    today = timezone.localdate()
    if wants_xlsx(request):
        data = performance(form.scope(), today=today, versions=versions)
        response = HttpResponse(_workbook(data), content_type=XLSX)
        stamp = today.strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="performance-{stamp}.xlsx"'
        response["Cache-Control"] = "private, no-store"
        return response
    data, facts, tables = _page(form.scope(), today, versions)
    query = request.GET.copy()
    query["export"] = "xlsx"
    return render(request, "reports/performance.html", {
        "form": form, "data": data, "facts": facts, "tables": tables,
        "export_query": query.urlencode(),
    })

"""The fund's screens: the overview (资金) with balances, monthly flows and receivables; the
ledger (资金台账), every movement of the fund account with the balance after it, filters, totals
and an Excel export, for the custodian, the bureau and auditors; and the custodian's own
entries: capital received, deposit interest, and corrections as reversing entries."""

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts.roles import Role, role_of, role_required
from riskcomp.choices import Scheme
from riskcomp.columns import Col, Columns
from riskcomp.exports import wants_xlsx, xlsx_response
from riskcomp.form_errors import service_errors_on
from riskcomp.labels import scheme_short
from riskcomp.listing import Filter, build_listing, date_range, in_date_range

from . import services
from .forms import ManualEntryForm, OverviewFilterForm, ReversalForm
from .models import LedgerEntry
from .selectors import (
    ZERO,
    fund_balance,
    ledger_bank_choices,
    ledger_by_kind,
    ledger_by_month,
    ledger_entries,
    ledger_totals,
    receivables_by_bank,
    receivables_by_scheme,
)

_lazy = gettext_lazy

LEDGER = Columns(
    booked=Col(_lazy("记账日期"), lambda e: e.booked_on, "date", 12, sort="booked_on"),
    kind=Col(_lazy("类型"), lambda e: e.get_kind_display(), width=14, sort="kind"),
    scheme=Col(_lazy("政策"), lambda e: scheme_short(e.scheme), width=8, sort="scheme"),
    bank=Col(_lazy("银行"), lambda e: e.bank.short_name if e.bank else "", width=14,
             sort="bank__short_name"),
    claim=Col(_lazy("申报编号"), lambda e: e.claim.number if e.claim else "", width=16,
              sort="claim__number"),
    reference=Col(_lazy("凭证号"), lambda e: e.reference, width=22),
    # The screen shows the voucher number under the memo; the workbook gives each a column.
    memo=Col(_lazy("摘要 / 凭证号"), lambda e: e.memo, width=36, export_label=_lazy("摘要")),
    amount=Col(_lazy("金额（元）"), lambda e: e.amount, "money", 18, sort="amount",
               export_label=_lazy("金额（元，流入为正）")),
    loss=Col(_lazy("确认损失（元）"), lambda e: e.loss_amount, "money", 16),
    balance=Col(_lazy("余额（元）"), lambda e: e.running_balance, "money", 18),
    created=Col(_lazy("记账时间"), lambda e: e.created_at, "datetime", 17),
    action=Col(_lazy("操作")),
)
LEDGER_COLUMNS = LEDGER.export("booked", "kind", "scheme", "bank", "claim", "reference", "memo",
                               "amount", "loss", "balance", "created")


@role_required(Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)
@require_safe
def ledger(request: HttpRequest) -> HttpResponse:
    date_from, date_to = date_range(request.GET)
    can_record = role_of(request.user) == Role.REVIEWER
    # Each row says whether it was reversed or reverses another, without a query per row.
    qs = in_date_range(ledger_entries().select_related("reverses", "reversed_by"), "booked_on",
                       date_from, date_to)
    listing = build_listing(
        request, qs,
        search_fields=("memo", "reference", "claim__number"),
        filters=(
            Filter("kind", str(_("类型")), "kind", tuple(LedgerEntry.Kind.choices)),
            Filter("bank", str(_("银行")), "bank_id", ledger_bank_choices()),
            Filter("scheme", str(_("政策")), "scheme", tuple(Scheme.choices)),
        ),
        columns=LEDGER.listing("booked", "kind", "bank", "scheme", "claim", "memo", "amount",
                               "balance", *(("action",) if can_record else ())),
        default_sort="-booked",
    )
    # build_listing paginates the queryset it was given, filtered and sorted.
    rows = cast("QuerySet[LedgerEntry]", listing.page.paginator.object_list)
    if wants_xlsx(request):
        return xlsx_response(rows, LEDGER_COLUMNS, title=_("资金台账"), filename="ledger")
    context: dict[str, Any] = {
        "listing": listing, "totals": ledger_totals(rows), "balance": fund_balance(),
        "date_from": date_from, "date_to": date_to, "can_record": can_record,
        "reversible_kinds": services.REVERSIBLE_KINDS,
    }
    if date_from:
        context["opening"] = fund_balance(on=date_from - timedelta(days=1))
    if date_to:
        context["closing"] = fund_balance(on=date_to)
    return render(request, "fund/ledger.html", context)


# --- The fund screen ---------------------------------------------------------------------------

CHART_W, CHART_H = 960, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 64, 8, 26, 30
LABEL_W = 52  # room one "2026-01" needs under the axis
BAR_MAX = 28


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 × 10ⁿ not below ``value``, the chart's top line."""
    step = Decimal(10) ** (len(str(int(value))) - 1)
    for m in (1, 2, 5, 10):
        if value <= m * step:
            return m * step
    return 10 * step


def _wan(value: Decimal) -> str:
    return f"{(value / 10000).normalize():,f}"


def month_chart(months: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The geometry of an inline SVG bar chart of money in and out per month, in whole pixels
    computed from the Decimal amounts; ``None`` when there is nothing to draw.

    One month can dwarf all others (the bureau's capital arrives in one transfer, a hundred
    times any month's payments): then the scale follows the other months and that bar is drawn
    cut, with its amount written above it, so the payments and returns stay readable."""
    amounts = sorted((v for m in months for v in (m["inflow"], m["outflow"]) if v > 0),
                     reverse=True)
    if not amounts:
        return None
    scale_top = amounts[1] if len(amounts) > 1 and amounts[0] > 4 * amounts[1] else amounts[0]
    ceiling = _nice_ceiling(scale_top)
    plot_w = CHART_W - PAD_LEFT - PAD_RIGHT
    plot_h = CHART_H - PAD_TOP - PAD_BOTTOM
    slot = max(plot_w // len(months), 2)
    bar = min(max(slot * 2 // 5, 1), BAR_MAX)
    every = -(-len(months) * LABEL_W // plot_w)  # label every n-th month so labels never touch
    base = PAD_TOP + plot_h
    bars, labels = [], []
    for i, m in enumerate(months):
        x = PAD_LEFT + i * slot + (slot - 2 * bar) // 2
        month = m["month"].strftime("%Y-%m")
        for offset, value, tone, what in ((0, m["inflow"], "in", _("流入")),
                                          (bar, m["outflow"], "out", _("流出"))):
            cut = value > ceiling
            h = plot_h if cut else int(value * plot_h / ceiling)
            if h:
                bars.append({"x": x + offset, "y": base - h, "w": bar, "h": h, "tone": tone,
                             "title": f"{month} {what} ¥{value:,.2f}", "cut": cut,
                             "mid": x + offset + bar // 2, "text": _wan(value)})
        if i % every == 0:
            labels.append({"x": PAD_LEFT + i * slot + slot // 2, "text": month})
    ticks = [{"y": base - int(plot_h * k / 4), "text": _wan(ceiling * k / 4)} for k in range(5)]
    return {"w": CHART_W, "h": CHART_H, "left": PAD_LEFT, "right": CHART_W - PAD_RIGHT,
            "base": base, "label_y": base + 18, "bars": bars, "labels": labels, "ticks": ticks,
            "is_cut": any(b["cut"] for b in bars)}


@role_required(Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    """The fund at a glance (资金): balance now and on a chosen day, money in and out by month,
    totals per kind, and per scheme and bank what was paid, returned, written off and is still
    owed. Every figure is a grouped query: the page costs the same at any ledger size."""
    form = OverviewFilterForm(request.GET)
    f = form.values()
    scope = {"date_from": f["date_from"], "date_to": f["date_to"], "scheme": f["scheme"]}
    months = ledger_by_month(**scope)
    # The account's balance belongs to the whole fund; a scheme's entries alone have none.
    if not f["scheme"]:
        running = (fund_balance(on=f["date_from"] - timedelta(days=1)) if f["date_from"]
                   else ZERO)
        opening = running
        for m in months:
            running += m["net"]
            m["closing"] = running
    else:
        opening = None
    context: dict[str, Any] = {
        "form": form, "f": f, "balance": fund_balance(), "today": timezone.localdate(),
        "balance_on": fund_balance(on=f["on"]) if f["on"] else None,
        "opening": opening, "months": months, "chart": month_chart(months),
        "inflow": sum((m["inflow"] for m in months), ZERO),
        "outflow": sum((m["outflow"] for m in months), ZERO),
        "kinds": ledger_by_kind(**scope),
        "by_scheme": receivables_by_scheme(**scope), "by_bank": receivables_by_bank(**scope),
        "can_record": role_of(request.user) == Role.REVIEWER,
    }
    context["net"] = context["inflow"] - context["outflow"]
    return render(request, "fund/overview.html", context)


# --- The custodian's entries -------------------------------------------------------------------


MANUAL_ENTRIES: dict[str, tuple[Any, Any, Any]] = {
    LedgerEntry.Kind.CAPITAL: (services.ledger_capital_receive, _lazy("登记财政拨入资金"),
                               _lazy("财政国资局拨入的风险补偿资金到账后登记（小微办法第二十条）。")),
    LedgerEntry.Kind.INTEREST: (services.ledger_interest_record, _lazy("登记存款利息"),
                                _lazy("专用账户结息后按银行结息单登记；风险补偿资金只能以银行存款形式存放。")),
}


def _manual_entry(request: HttpRequest, kind: str) -> HttpResponse:
    service, title, note = MANUAL_ENTRIES[kind]
    form = ManualEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            entry = service(actor=request.user, **form.cleaned_data)
            messages.success(request, _("已登记%(k)s ¥%(a)s（凭证号 %(r)s）。") % {
                "k": entry.get_kind_display(), "a": f"{entry.amount:,.2f}", "r": entry.reference})
            return redirect("fund:ledger")
    return render(request, "fund/entry_form.html", {
        "form": form, "title": title, "note": note, "balance": fund_balance()})


@role_required(Role.REVIEWER)
def capital_receive(request: HttpRequest) -> HttpResponse:
    return _manual_entry(request, LedgerEntry.Kind.CAPITAL)


@role_required(Role.REVIEWER)
def interest_record(request: HttpRequest) -> HttpResponse:
    return _manual_entry(request, LedgerEntry.Kind.INTEREST)


@role_required(Role.REVIEWER)
def entry_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a ledger entry by posting its reversal, with the reason and a ticked
    confirmation; the original stays in the ledger."""
    entry = get_object_or_404(
        LedgerEntry.objects.select_related("bank", "claim", "created_by", "reverses",
                                           "reversed_by"), pk=pk)
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            reversal = services.ledger_reverse(entry=entry, reason=form.cleaned_data["reason"],
                                               actor=request.user)
            messages.success(request, _("已登记冲销分录 %(a)s，原分录保留在台账中。")
                             % {"a": f"{reversal.amount:,.2f}"})
            return redirect("fund:ledger")
    balance = fund_balance()
    return render(request, "fund/entry_reverse.html", {
        "entry": entry, "form": form, "balance": balance, "after": balance - entry.amount,
        "reversible": entry.kind in services.REVERSIBLE_KINDS and entry.reverses_id is None
        and getattr(entry, "reversed_by", None) is None,
    })

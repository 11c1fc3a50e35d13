"""The fund's ledger screen (资金台账): every movement of the fund account with the balance after
it, filters, totals and an Excel export. Read-only, for the custodian, the bureau and auditors."""

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.exports import XColumn, xlsx_response
from claims.payment_selectors import bank_choices, ledger_entries, ledger_totals
from riskcomp.choices import Scheme
from riskcomp.listing import Column, Filter, build_listing
from riskcomp.roles import Role, role_required

from .models import LedgerEntry
from .selectors import fund_balance

_lazy = gettext_lazy

LEDGER_COLUMNS: tuple[XColumn, ...] = (
    XColumn(_lazy("记账日期"), lambda e: e.booked_on, "date", 12),
    XColumn(_lazy("类型"), lambda e: e.get_kind_display(), width=14),
    XColumn(_lazy("政策"), lambda e: e.scheme, width=8),
    XColumn(_lazy("银行"), lambda e: e.bank.short_name if e.bank else "", width=14),
    XColumn(_lazy("申报编号"), lambda e: e.claim.number if e.claim else "", width=16),
    XColumn(_lazy("凭证号"), lambda e: e.reference, width=22),
    XColumn(_lazy("摘要"), lambda e: e.memo, width=36),
    XColumn(_lazy("金额（元，流入为正）"), lambda e: e.amount, "money", 18),
    XColumn(_lazy("确认损失（元）"), lambda e: e.loss_amount, "money", 16),
    XColumn(_lazy("余额（元）"), lambda e: e.running_balance, "money", 18),
    XColumn(_lazy("记账时间"), lambda e: e.created_at, "datetime", 17),
)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value else None
    except ValueError:
        return None


@role_required(Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)
def ledger(request: HttpRequest) -> HttpResponse:
    date_from = _date(request.GET.get("from", ""))
    date_to = _date(request.GET.get("to", ""))
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    qs = ledger_entries()
    if date_from:
        qs = qs.filter(booked_on__gte=date_from)
    if date_to:
        qs = qs.filter(booked_on__lte=date_to)
    listing = build_listing(
        request, qs,
        search_fields=("memo", "reference", "claim__number"),
        filters=(
            Filter("kind", str(_("类型")), "kind", tuple(LedgerEntry.Kind.choices)),
            Filter("bank", str(_("银行")), "bank_id", bank_choices()),
            Filter("scheme", str(_("政策")), "scheme", tuple(Scheme.choices)),
        ),
        columns=(
            ("booked", Column(_lazy("记账日期"), "booked_on")),
            ("kind", Column(_lazy("类型"), "kind")),
            ("bank", Column(_lazy("银行"), "bank__short_name")),
            ("scheme", Column(_lazy("政策"), "scheme")),
            ("claim", Column(_lazy("申报编号"), "claim__number")),
            ("memo", Column(_lazy("摘要 / 凭证号"))),
            ("amount", Column(_lazy("金额（元）"), "amount", numeric=True)),
            ("balance", Column(_lazy("余额（元）"), numeric=True)),
        ),
        default_sort="-booked",
    )
    rows = listing.page.paginator.object_list
    if request.GET.get("export") == "xlsx":
        return xlsx_response(rows, LEDGER_COLUMNS, title=_("资金台账"), filename="ledger")
    context: dict[str, Any] = {
        "listing": listing, "totals": ledger_totals(rows), "balance": fund_balance(),
        "date_from": date_from, "date_to": date_to,
    }
    if date_from:
        context["opening"] = fund_balance(on=date_from - timedelta(days=1))
    if date_to:
        context["closing"] = fund_balance(on=date_to)
    return render(request, "fund/ledger.html", context)

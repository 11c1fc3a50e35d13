"""The custodian's money screens: pay confirmed claims (one from its page, or a batch from the
list, the batch's total shown before paying) and collect returns. Reviewer only; views stay
thin: the form, one service call, a message, a redirect."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.security import reauth_required
from fund.selectors import fund_balance
from riskcomp.choices import Scheme
from riskcomp.columns import Col, Columns
from riskcomp.exports import wants_xlsx
from riskcomp.form_errors import service_errors_on
from riskcomp.listing import Column, Filter, build_listing
from riskcomp.roles import Role, role_required

from . import services
from .exports import CLAIM_COLUMNS, RECOVERY, RECOVERY_COLUMNS, xlsx_response
from .models import Claim, ReturnPayment
from .payment_forms import BatchPaymentForm, ClaimSelectionForm, PaymentForm
from .payment_selectors import (
    RECEIPT_NONE,
    RECEIPT_OVERDUE,
    RECEIPT_PENDING,
    RECEIPT_RECEIVED,
    RECEIPT_RECORDED,
    bank_choices,
    claims_for_payment,
    claims_selected,
    payable_claims,
    returns_for_custodian,
)
from .services.payment import batch_references

_lazy = gettext_lazy



def _sum(amounts: Any) -> Decimal:
    return sum(amounts, Decimal("0.00"))


# --- Payment -----------------------------------------------------------------------------------

@role_required(Role.REVIEWER)
@require_safe
def payment_list(request: HttpRequest) -> HttpResponse:
    """Confirmed claims waiting for payment, with checkboxes for a batch."""
    listing = build_listing(
        request, payable_claims(),
        search_fields=("number", "filing__iou_number", "filing__enterprise_name",
                       "bank__short_name", "confirmation__document_number"),
        filters=(
            Filter("bank", str(_("银行")), "bank_id", bank_choices()),
            Filter("scheme", str(_("政策")), "scheme", tuple(Scheme.choices)),
        ),
        columns=(
            ("select", Column(_lazy("选择"))),
            ("number", Column(_lazy("申报编号"), "number")),
            ("enterprise", Column(_lazy("借款企业"), "filing__enterprise_name")),
            ("bank", Column(_lazy("银行"), "bank__short_name")),
            ("scheme", Column(_lazy("政策"), "scheme")),
            ("confirmation", Column(_lazy("财政确认文件"), "confirmation__document_date")),
            ("compensation", Column(_lazy("补偿金额（元）"), "compensation", numeric=True)),
            ("action", Column(_lazy("操作"))),
        ),
        default_sort="confirmation",
    )
    qs = listing.page.paginator.object_list
    if wants_xlsx(request):
        return xlsx_response(qs, CLAIM_COLUMNS, title=_("待拨付"), filename="payable")
    waiting = qs.order_by().aggregate(n=Count("pk"), total=Sum("compensation"))
    return render(request, "claims/payment/payment_list.html", {
        "listing": listing, "balance": fund_balance(),
        "waiting_total": waiting["total"] or 0, "waiting_count": waiting["n"],
    })


@role_required(Role.REVIEWER)
@reauth_required(max_age=300)
def payment_batch(request: HttpRequest) -> HttpResponse:
    """Step 1 (the ticked claims posted from the list): the batch with its total, the fund's
    balance and each claim's reference. Step 2 (``pay``): pay all of them or none."""
    if request.method != "POST":
        return redirect("claims:payment_list")
    paying = "pay" in request.POST
    if paying:
        form: Form = BatchPaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            with service_errors_on(form):
                payments = services.claims_pay_batch(
                    claims=list(data["claims"]), paid_on=data["paid_on"],
                    reference=data["reference"], actor=request.user)
                total = _sum(p.amount for p in payments)
                messages.success(request, _(
                    "已拨付%(n)d笔申报，合计 ¥%(t)s，付款流水号 %(a)s 至 %(b)s。") % {
                    "n": len(payments), "t": f"{total:,.2f}",
                    "a": min(p.reference for p in payments),
                    "b": max(p.reference for p in payments)})
                return redirect("claims:payment_list")
        ids = [int(v) for v in request.POST.getlist("claims") if v.isdigit()]
    else:
        selection = ClaimSelectionForm(request.POST)
        if not selection.is_valid():
            for error in selection.errors.get("claims", []):
                messages.error(request, error)
            return redirect("claims:payment_list")
        ids = [c.pk for c in selection.cleaned_data["claims"]]
        form = BatchPaymentForm(initial={"claims": ids, "paid_on": timezone.localdate()})
    claims = claims_selected(ids)
    total = _sum(c.compensation for c in claims)
    balance = fund_balance()
    typed = (form["reference"].value() or "").strip() if paying else ""
    refs = batch_references(claims, typed or "…")
    rows = [{"claim": c, "reference": refs[c.pk],
             "blocked": c.status != Claim.Status.CONFIRMED or c.is_suspended} for c in claims]
    return render(request, "claims/payment/payment_batch.html", {
        "form": form, "rows": rows, "total": total, "balance": balance,
        "after": balance - total, "short": total > balance,
        "blocked": any(r["blocked"] for r in rows),
    })


@role_required(Role.REVIEWER)
@reauth_required(max_age=300)
def claim_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Pay one confirmed claim from its page."""
    claim = get_object_or_404(claims_for_payment(), pk=pk)
    if claim.status != Claim.Status.CONFIRMED:
        messages.info(request, _("申报当前状态为“%(s)s”，只有财政已确认的申报才能拨付。")
                      % {"s": claim.get_status_display()})
        return redirect("claims:claim_detail", pk=claim.pk)
    if request.method == "POST":
        form = PaymentForm(request.POST)
        if form.is_valid():
            with service_errors_on(form):
                payment = services.claim_pay(claim=claim, actor=request.user,
                                             **form.cleaned_data)
                messages.success(request, _(
                    "已拨付申报 %(n)s 补偿 ¥%(a)s，付款流水号 %(r)s。") % {
                    "n": claim.number, "a": f"{payment.amount:,.2f}", "r": payment.reference})
                return redirect("claims:claim_detail", pk=claim.pk)
    else:
        form = PaymentForm()
    balance = fund_balance()
    return render(request, "claims/payment/claim_pay.html", {
        "claim": claim, "form": form, "balance": balance,
        "after": balance - claim.compensation, "short": claim.compensation > balance,
    })


# --- Returns -----------------------------------------------------------------------------------

RECEIPT_STATES = (
    (RECEIPT_OVERDUE, _lazy("逾期未返还")),
    (RECEIPT_RECORDED, _lazy("银行已返还，待确认到账")),
    (RECEIPT_PENDING, _lazy("待返还")),
    (RECEIPT_RECEIVED, _lazy("已确认到账")),
    (RECEIPT_NONE, _lazy("无需返还")),
)
YES_NO = (("1", _lazy("是")), ("0", _lazy("否")))


def _received(r: Any, attr: str) -> Any:
    ret = getattr(r, "return_payment", None) if r.receipt_state in (
        RECEIPT_RECORDED, RECEIPT_RECEIVED) else None
    return getattr(ret, attr) if ret is not None else None


RETURNS = RECOVERY | Columns(
    received_at=Col(_lazy("确认到账时间"), lambda r: _received(r, "received_at"), "datetime", 17),
    state=Col(_lazy("处理状态"), lambda r: str(dict(RECEIPT_STATES)[r.receipt_state]),
              width=20, sort="receipt_rank"),
    returned=Col(_lazy("银行返还"), sort="return_payment__returned_on"),
)
RETURN_COLUMNS = (*RECOVERY_COLUMNS, *RETURNS.export("received_at", "state"))


@role_required(Role.REVIEWER)
@require_safe
def return_list(request: HttpRequest) -> HttpResponse:
    """Every recovery across banks with what is to be returned and by when, whether the bank has
    returned it and whether the money has been confirmed; overdue ones first."""
    listing = build_listing(
        request, returns_for_custodian(user=request.user),
        search_fields=("claim__number", "claim__filing__enterprise_name",
                       "return_payment__reference"),
        filters=(
            Filter("bank", str(_("银行")), "claim__bank_id", bank_choices()),
            Filter("scheme", str(_("政策")), "claim__scheme", tuple(Scheme.choices)),
            Filter("overdue", str(_("逾期")), "is_overdue", tuple(
                (k, str(v)) for k, v in YES_NO)),
            Filter("state", str(_("处理状态")), "receipt_state", tuple(
                (k, str(v)) for k, v in RECEIPT_STATES)),
        ),
        columns=RETURNS.listing("claim", "bank", "scheme", "recovered", "due", "notice_deadline",
                                "return_deadline", "returned", "state"),
    )
    if wants_xlsx(request):
        return xlsx_response(listing.page.paginator.object_list, RETURN_COLUMNS,
                             title=_("返还"), filename="returns")
    return render(request, "claims/payment/return_list.html", {
        "listing": listing, "state_labels": dict(RECEIPT_STATES),
        "next": request.get_full_path(),
    })


@role_required(Role.REVIEWER)
@require_POST
def return_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm that a recorded return reached the fund account."""
    ret = get_object_or_404(ReturnPayment.objects.select_related("recovery__claim"), pk=pk)
    try:
        services.return_receive(return_payment=ret, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _(
            "已确认收到 %(n)s 的返还 ¥%(a)s（流水号 %(r)s），已记入资金台账。") % {
            "n": ret.recovery.claim.number, "a": f"{ret.amount:,.2f}", "r": ret.reference})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = ""
    return redirect(target or "claims:return_list")

"""The money screens: the custodian pays confirmed claims (one from its page, or a batch from the
list, the batch's total shown before paying) and collects returns; the bank officer reports
recoveries, records returns and files the yearly statement on its own claims. Views stay thin:
the form, one service call, a message, a redirect."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Case, CharField, Count, Sum, Value, When
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import ANY_ROLE, Role, role_required
from accounts.security import reauth_required
from fund.calendar_selectors import pending_text, pending_year
from fund.selectors import fund_balance
from riskcomp.choices import Scheme
from riskcomp.columns import Col, Columns
from riskcomp.exports import wants_xlsx, xlsx_response
from riskcomp.form_errors import service_errors_as_messages, service_errors_on
from riskcomp.labels import quarter_label
from riskcomp.listing import Column, Filter, build_listing
from riskcomp.uploads import serve_document

from ..common.exports import CLAIM_COLUMNS, RECOVERY, RECOVERY_COLUMNS
from ..common.views import action_page, has_related, is_officer
from ..filing.selectors import claim_list_for
from ..models import Claim, Recovery, ReturnPayment
from . import services
from .forms import (
    BatchPaymentForm,
    ClaimSelectionForm,
    PaymentForm,
    RecoveryForm,
    ReturnForm,
    StatementForm,
)
from .selectors import (
    RECEIPT_NONE,
    RECEIPT_OVERDUE,
    RECEIPT_PENDING,
    RECEIPT_RECEIVED,
    RECEIPT_RECORDED,
    bank_choices,
    claims_for_payment,
    claims_selected,
    payable_claims,
    recovery_list_for,
    return_payment_for,
    returns_for_custodian,
    statement_for,
)
from .services import (
    batch_references,
    claims_pay_batch,
    recovery_report,
    return_record,
    statement_submit,
)

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
    qs = listing.queryset()
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
                payments = claims_pay_batch(
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
                messages.error(request, str(error))
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
    with service_errors_as_messages(request):
        services.return_receive(return_payment=ret, actor=request.user)
        messages.success(request, _(
            "已确认收到 %(n)s 的返还 ¥%(a)s（流水号 %(r)s），已记入资金台账。") % {
            "n": ret.recovery.claim.number, "a": f"{ret.amount:,.2f}", "r": ret.reference})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = ""
    return redirect(target or "claims:return_list")


RETURN_STATES = (
    ("overdue", _lazy("逾期未返还")),
    ("pending", _lazy("待返还")),
    ("returned", _lazy("已返还")),
    ("none", _lazy("无需返还")),
)


@role_required(*ANY_ROLE)
@require_safe
def recovery_list(request: HttpRequest) -> HttpResponse:
    qs = recovery_list_for(user=request.user).annotate(return_state=Case(
        When(return_payment__isnull=False, then=Value("returned")),
        When(return_amount__lte=0, then=Value("none")),
        When(is_overdue=True, then=Value("overdue")),
        default=Value("pending"), output_field=CharField()))
    listing = build_listing(
        request, qs,
        search_fields=("claim__number", "claim__filing__iou_number",
                       "claim__filing__enterprise_name", "return_payment__reference"),
        filters=(
            Filter("quarter", str(_("季度")), "claim__filing__quarter", tuple(
                (q, quarter_label(q)) for q in qs.order_by("-claim__filing__quarter")
                .values_list("claim__filing__quarter", flat=True).distinct()[:16])),
            Filter("scheme", str(_("政策")), "claim__scheme", tuple(Scheme.choices)),
            Filter("state", str(_("返还状态")), "return_state",
                   tuple((k, str(v)) for k, v in RETURN_STATES)),
        ),
        columns=RECOVERY.listing("claim", "enterprise", "bank", "scheme", "recovered", "amount",
                                 "due", "notice_deadline", "return_deadline", "state"),
        default_sort="-recovered",
    )
    if wants_xlsx(request):
        return xlsx_response(listing.page.paginator.object_list, RECOVERY_COLUMNS,
                             title=_("追偿回收"), filename="recoveries")
    return render(request, "claims/recovery_list.html", {
        "listing": listing, "state_labels": dict(RETURN_STATES),
        "is_officer": is_officer(request),
    })


@role_required(Role.BANK_OFFICER)
def recovery_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Report a recovery; the portal computes the return and its deadlines."""
    claim = get_object_or_404(claim_list_for(user=request.user).select_related("payment"), pk=pk)
    if claim.status != Claim.Status.PAID:
        messages.info(request, _("只有已拨付补偿的申报才能报送追偿回收。"))
        return redirect("claims:claim_detail", pk=claim.pk)
    if request.method == "POST":
        form = RecoveryForm(request.POST)
        if form.is_valid():
            with service_errors_on(form):
                recovery = recovery_report(claim=claim, actor=request.user,
                                           **form.cleaned_data)
                _recovery_messages(request, recovery)
                return redirect("claims:claim_detail", pk=claim.pk)
    else:
        form = RecoveryForm()
    return action_page(
        request, claim, form, title=_("报送追偿回收"), submit=_("报送回收"),
        confirm=_("确认报送该笔回收？系统将按补偿比例计算应返还金额。"),
        facts=[(_("补偿比例"), f"{claim.ratio * 100:.2f}%".replace(".00%", "%")),
               (_("已拨付"),
                f"¥{claim.payment.amount:,.2f}" if has_related(claim, "payment") else "—")])


def _recovery_messages(request: HttpRequest, recovery: Recovery) -> None:
    def day(d: Any) -> str:
        return d.isoformat() if d else _("待定")

    messages.success(request, _(
        "已报送回收 ¥%(a)s：应返还 ¥%(due)s，通知截止日 %(n)s，返还截止日 %(r)s。") % {
        "a": f"{recovery.amount:,.2f}", "due": f"{recovery.return_amount:,.2f}",
        "n": day(recovery.notice_deadline), "r": day(recovery.return_deadline)})
    if recovery.notice_deadline is None or recovery.return_deadline is None:
        messages.warning(request, _(
            "期限%(pending)s：录入该年度节假日安排后平台自动计算，并通知本行。") % {
            "pending": pending_text(pending_year(recovery.recovered_on))})
    elif recovery.notified_on > recovery.notice_deadline:
        messages.warning(request, _("该笔回收的通知日期晚于通知截止日（回收后20个工作日）。"))


@role_required(Role.BANK_OFFICER)
def return_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the return of a recovery's share (TECH: with the reconciliation statement)."""
    recovery = get_object_or_404(recovery_list_for(user=request.user), pk=pk)
    claim = recovery.claim
    if has_related(recovery, "return_payment") or recovery.return_amount <= 0:
        messages.info(request, _("该笔回收已登记返还或无需返还。"))
        return redirect("claims:claim_detail", pk=claim.pk)
    tech = claim.scheme == Scheme.TECH
    if request.method == "POST":
        form = ReturnForm(request.POST, request.FILES, tech=tech)
        if form.is_valid():
            with service_errors_on(form):
                return_record(recovery=recovery, actor=request.user,
                              **form.cleaned_data)
                messages.success(request, _("已登记返还 ¥%(a)s，待托管机构确认到账。")
                                 % {"a": f"{form.cleaned_data['amount']:,.2f}"})
                return redirect("claims:claim_detail", pk=claim.pk)
    else:
        form = ReturnForm(tech=tech, initial={"amount": recovery.return_amount,
                                              "returned_on": timezone.localdate()})
    return action_page(
        request, claim, form, title=_("登记返还"), submit=_("登记返还"),
        confirm=_("确认登记该笔返还？登记后不能修改。"),
        facts=[(_("回收日期"), recovery.recovered_on.isoformat()),
               (_("回收金额"), f"¥{recovery.amount:,.2f}"),
               (_("应返还金额"), f"¥{recovery.return_amount:,.2f}"),
               (_("返还截止日"), recovery.return_deadline.isoformat()
                if recovery.return_deadline else pending_text(pending_year(recovery.notified_on)))])


@role_required(Role.BANK_OFFICER)
def statement_create(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claim_list_for(user=request.user), pk=pk)
    if claim.status not in (Claim.Status.PAID, Claim.Status.WRITTEN_OFF):
        messages.info(request, _("只有已获补偿的项目需要报送年度追偿情况说明。"))
        return redirect("claims:claim_detail", pk=claim.pk)
    if request.method == "POST":
        form = StatementForm(request.POST, request.FILES)
        if form.is_valid():
            with service_errors_on(form):
                statement = statement_submit(claim=claim, actor=request.user,
                                             **form.cleaned_data)
                messages.success(request, _("已报送%(y)d年度追偿情况说明。")
                                 % {"y": statement.year})
                return redirect("claims:claim_detail", pk=claim.pk)
    else:
        form = StatementForm()
    return action_page(request, claim, form, title=_("报送年度追偿情况说明"),
                        submit=_("报送"), confirm=_("确认报送该年度追偿情况说明？"))


@role_required(*ANY_ROLE)
@require_safe
def return_statement_download(request: HttpRequest, pk: int) -> FileResponse:
    payment = get_object_or_404(return_payment_for(user=request.user), pk=pk)
    return serve_document(payment.reconciliation_statement,
                          filename=f"{payment.reference}-reconciliation")


@role_required(*ANY_ROLE)
@require_safe
def statement_file_download(request: HttpRequest, pk: int) -> FileResponse:
    statement = get_object_or_404(statement_for(user=request.user), pk=pk)
    return serve_document(statement.document,
                          filename=f"{statement.claim.number}-{statement.year}")

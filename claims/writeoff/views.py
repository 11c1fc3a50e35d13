"""Write-off screens: the bank officer applies; the custodian reviewer forwards or rejects;
the bureau approver confirms or rejects in writing; auditors read."""

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from accounts.roles import ANY_ROLE, Role, role_of, role_required
from riskcomp.choices import Scheme
from riskcomp.form_errors import service_errors_on
from riskcomp.listing import Column, Filter, build_listing
from riskcomp.uploads import serve_document

from ..common.views import STAFF, action_page, bank_filter_choices, has_related, inline_file
from ..filing.selectors import claim_list_for
from ..models import Claim, Confirmation, WriteOff
from ..payment.selectors import claim_has_unreturned_recovery, claim_returned_total
from ..proposal.forms import WrittenDecisionForm
from . import selectors, services
from .forms import WriteOffForm, WriteOffForwardForm, WriteOffRejectForm
from .selectors import writeoff_for
from .services import (
    writeoff_apply,
    writeoff_bureau_reject,
    writeoff_confirm,
)

_lazy = gettext_lazy


@role_required(Role.BANK_OFFICER)
def writeoff_create(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claim_list_for(user=request.user).select_related("payment"), pk=pk)
    if claim.status != Claim.Status.PAID:
        messages.info(request, _("只有已拨付补偿的申报才能申请核销。"))
        return redirect("claims:claim_detail", pk=claim.pk)
    tech = claim.scheme == Scheme.TECH
    if request.method == "POST":
        form = WriteOffForm(request.POST, request.FILES, tech=tech)
        if form.is_valid():
            with service_errors_on(form):
                write_off = writeoff_apply(claim=claim, actor=request.user,
                                           **form.cleaned_data)
                messages.success(request, _("已提交核销申请，核销金额 ¥%(a)s，等待托管机构审核。")
                                 % {"a": f"{write_off.amount:,.2f}"})
                return redirect("claims:claim_detail", pk=claim.pk)
    else:
        form = WriteOffForm(tech=tech)
    facts: list[tuple[Any, Any]] = [
        (_("已拨付"), f"¥{claim.payment.amount:,.2f}" if has_related(claim, "payment") else "—")]
    if claim_has_unreturned_recovery(claim):
        facts.append((_("注意"), _("该申报有尚未登记返还的回收款，须先完成返还。")))
    return action_page(request, claim, form, title=_("申请核销"), submit=_("提交核销申请"),
                        confirm=_("确认提交核销申请？"), facts=facts)


BANK_WRITEOFF_FILES = ("ruling", "internal_approval", "application_letter")


@role_required(*ANY_ROLE)
@require_safe
def writeoff_file_download(request: HttpRequest, pk: int) -> FileResponse:
    write_off = get_object_or_404(writeoff_for(user=request.user), pk=pk)
    field = request.GET.get("field", "ruling")
    if field not in BANK_WRITEOFF_FILES:
        field = "ruling"
    return serve_document(getattr(write_off, field),
                          filename=f"{write_off.claim.number}-{field}")


# Badge tones of the write-off states, borrowed from the claim states they resemble.
WRITEOFF_BADGE = {"applied": "submitted", "forwarded": "proposed",
                  "confirmed": "written_off", "rejected": "rejected"}


@role_required(*STAFF)
@require_safe
def writeoff_list(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request, selectors.writeoff_list(),
        search_fields=("claim__number", "claim__filing__enterprise_name",
                       "claim__bank__short_name", "document_number"),
        filters=(
            Filter("status", str(_("状态")), "status", tuple(WriteOff.Status.choices)),
            Filter("scheme", str(_("政策")), "claim__scheme", tuple(Scheme.choices)),
            Filter("bank", str(_("银行")), "claim__bank_id", bank_filter_choices()),
            Filter("ground", str(_("核销依据")), "ground", tuple(WriteOff.Ground.choices)),
        ),
        columns=(
            ("claim", Column(_lazy("申报编号"), "claim__number")),
            ("enterprise", Column(_lazy("借款企业"), "claim__filing__enterprise_name")),
            ("bank", Column(_lazy("银行"), "claim__bank__short_name")),
            ("scheme", Column(_lazy("政策"), "claim__scheme")),
            ("ground", Column(_lazy("核销依据"), "ground")),
            ("amount", Column(_lazy("核销金额（元）"), "amount", numeric=True)),
            ("applied", Column(_lazy("申请时间"), "applied_at")),
            ("status", Column(_lazy("状态"), "status")),
        ),
        default_sort="-applied",
    )
    return render(request, "claims/writeoff/writeoff_list.html",
                  {"listing": listing, "badges": WRITEOFF_BADGE})


def _writeoff_page(request: HttpRequest, write_off: WriteOff, **forms: Form) -> HttpResponse:
    role = role_of(request.user)
    ctx: dict[str, Any] = {"write_off": write_off, "claim": write_off.claim,
                           "badges": WRITEOFF_BADGE}
    if role == Role.REVIEWER and write_off.status == WriteOff.Status.APPLIED:
        ctx["forward_form"] = forms.get("forward_form") or WriteOffForwardForm()
        ctx["reject_form"] = forms.get("reject_form") or WriteOffRejectForm()
    if role == Role.APPROVER and write_off.status == WriteOff.Status.FORWARDED:
        ctx["decision_form"] = forms.get("decision_form") or WrittenDecisionForm(
            initial={"decision": Confirmation.Decision.CONFIRMED,
                     "date": timezone.localdate()})
    ctx["payment"] = getattr(write_off.claim, "payment", None)
    ctx["returned"] = claim_returned_total(write_off.claim)
    return render(request, "claims/writeoff/writeoff_detail.html", ctx)


@role_required(*STAFF)
@require_safe
def writeoff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The application with the ruling and the internal approval shown inline, its history, and
    the decision the current role may take."""
    return _writeoff_page(request, get_object_or_404(selectors.writeoff_detail(), pk=pk))


def _writeoff_review(request: HttpRequest, pk: int, form_class: type[Form], form_key: str,
                     act: Any, done: str) -> HttpResponse:
    """The custodian's two answers to an application (forward it, send it back): the form,
    one service call, a message, the page again."""
    write_off = get_object_or_404(selectors.writeoff_detail(), pk=pk)
    if request.method != "POST":
        return redirect("claims:writeoff_detail", pk=write_off.pk)
    form = form_class(request.POST)
    if form.is_valid():
        with service_errors_on(form):
            act(write_off, form.cleaned_data)
            messages.success(request, done % {"n": write_off.claim.number})
            return redirect("claims:writeoff_detail", pk=write_off.pk)
    return _writeoff_page(request, write_off, **{form_key: form})


@role_required(Role.REVIEWER)
def writeoff_forward(request: HttpRequest, pk: int) -> HttpResponse:
    return _writeoff_review(
        request, pk, WriteOffForwardForm, "forward_form",
        lambda w, data: services.writeoff_forward(write_off=w, note=data["note"],
                                                  actor=request.user),
        _("核销申请（%(n)s）已审核，报送财政国资局确认。"))


@role_required(Role.REVIEWER)
def writeoff_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _writeoff_review(
        request, pk, WriteOffRejectForm, "reject_form",
        lambda w, data: services.writeoff_reject(write_off=w, reason=data["reason"],
                                                 actor=request.user),
        _("已退回核销申请（%(n)s），银行可重新申请。"))


@role_required(Role.APPROVER)
def writeoff_decide(request: HttpRequest, pk: int) -> HttpResponse:
    write_off = get_object_or_404(selectors.writeoff_detail(), pk=pk)
    if request.method != "POST":
        return redirect("claims:writeoff_detail", pk=write_off.pk)
    form = WrittenDecisionForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        written = {"number": data["number"], "date": data["date"],
                   "document": data["document"]}
        with service_errors_on(form):
            if data["decision"] == Confirmation.Decision.CONFIRMED:
                done = writeoff_confirm(write_off=write_off, note=data["reason"],
                                        actor=request.user, **written)
                message = _("已确认核销 %(n)s，确认损失 ¥%(a)s，该申报已结案。") % {
                    "n": done.claim.number, "a": f"{done.amount:,.2f}"}
            else:
                done = writeoff_bureau_reject(write_off=write_off,
                                              reason=data["reason"],
                                              actor=request.user, **written)
                message = _("已不予确认核销 %(n)s。") % {"n": done.claim.number}
            messages.success(request, message)
            return redirect("claims:writeoff_detail", pk=write_off.pk)
    return _writeoff_page(request, write_off, decision_form=form)


WRITEOFF_FILES = {
    "ruling": _lazy("法院裁定书"),
    "internal_approval": _lazy("银行内部核销审批"),
    "application_letter": _lazy("核销申请函"),
    "document": _lazy("财政确认文件"),
}


@xframe_options_sameorigin  # shown in the review page's <iframe>; still never cross-site
@role_required(*STAFF)
@require_safe
def writeoff_file(request: HttpRequest, pk: int) -> FileResponse:
    """One of the write-off's scans, inline (``?field=ruling`` etc.)."""
    write_off = get_object_or_404(WriteOff.objects.select_related("claim"), pk=pk)
    field = request.GET.get("field", "ruling")
    if field not in WRITEOFF_FILES:
        raise Http404(_("没有该文件。"))
    return inline_file(getattr(write_off, field), f"{write_off.claim.number}-{field}")

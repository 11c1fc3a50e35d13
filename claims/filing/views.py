"""Claims screens: the list and the page of a claim, open to every role on what it may see
(officers: their own banks); filing a claim and answering supplements are the bank officer's, on
objects fetched through scoped selectors so that another bank's id is a 404. Views stay thin:
the form, one service call, a message, a redirect."""

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts.roles import ANY_ROLE, Role, role_required
from accounts.trail import trail_context
from banks.selectors import suspension_hold
from fund.selectors import policy_context
from loans.models import LoanFiling
from loans.selectors import filing_list_for
from riskcomp.choices import Scheme
from riskcomp.exports import wants_xlsx, xlsx_response
from riskcomp.form_errors import add_service_errors, service_errors_on
from riskcomp.held_uploads import HeldUploads
from riskcomp.htmx import HtmxHttpRequest
from riskcomp.labels import reason_label
from riskcomp.listing import Filter, build_listing
from riskcomp.policy.reasons import PolicyError, Refusal
from riskcomp.uploads import serve_document

from ..common.exports import CLAIM, CLAIM_COLUMNS
from ..common.views import action_page, has_related, is_officer
from ..models import Claim, ClaimDocument, Confirmation, Payment, ReturnPayment, WriteOff
from . import services
from .forms import ClaimForm, SupplementAnswerForm
from .selectors import (
    claim_check,
    claim_counts_by_status,
    claim_detail_for,
    claim_list_for,
    claim_quarter_choices,
    document_for,
)
from .services import claim_submit

_lazy = gettext_lazy


# --- Lists ------------------------------------------------------------------------------------

@role_required(*ANY_ROLE)
@require_safe
def claim_list(request: HttpRequest) -> HttpResponse:
    qs = claim_list_for(user=request.user)
    listing = build_listing(
        request, qs,
        search_fields=("number", "filing__iou_number", "filing__enterprise_name",
                       "filing__enterprise__credit_code"),
        filters=(
            Filter("quarter", str(_("季度")), "filing__quarter", claim_quarter_choices(qs)),
            Filter("scheme", str(_("政策")), "scheme", tuple(Scheme.choices)),
            Filter("status", str(_("状态")), "status", tuple(Claim.Status.choices)),
        ),
        columns=CLAIM.listing("number", "enterprise", "bank", "scheme", "base", "compensation",
                              "submitted", "status"),
        default_sort="-submitted",
    )
    if wants_xlsx(request):
        return xlsx_response(listing.page.paginator.object_list, CLAIM_COLUMNS,
                             title=_("补偿申报"), filename="claims")
    counts = claim_counts_by_status(user=request.user)
    return render(request, "claims/claim_list.html", {
        "listing": listing,
        "status_counts": [(v, label, counts.get(v, 0)) for v, label in Claim.Status.choices],
    })


# --- One claim --------------------------------------------------------------------------------

def claim_timeline(claim: Claim) -> list[dict[str, Any]]:
    """Everything that happened to the claim, oldest first (the prefetched history)."""
    events: list[dict[str, Any]] = []

    def add(at: Any, title: str, who: Any = None, note: str = "") -> None:
        if at is not None:
            events.append({"at": at, "title": title, "who": who, "note": note})

    for ch in claim.status_changes.all():
        title = (_("提交申报") if not ch.from_status
                 else _("状态变更：%(a)s → %(b)s") % {"a": ch.get_from_status_display(),
                                                    "b": ch.get_to_status_display()})
        add(ch.changed_at, title, ch.actor, ch.note)
    for rv in claim.reviews.all():
        note = f"{reason_label(rv.reason_code)} {rv.message}".strip()
        add(rv.decided_at, _("初审：%(d)s") % {"d": rv.get_decision_display()}, rv.reviewer, note)
    for s in claim.supplements.all():
        add(s.requested_at, _("要求补充材料"), s.requested_by, s.message)
        add(s.answered_at, _("答复补充材料"), s.answered_by, s.answer)
    for d in claim.documents.all():
        add(d.uploaded_at, _("上传材料：%(k)s") % {"k": d.get_kind_display()}, d.uploaded_by,
            d.original_name)
    confirmation = claim.confirmation if has_related(claim, "confirmation") else None
    if confirmation is not None:
        add(confirmation.decided_at, _("财政确认：%(d)s") % {
            "d": confirmation.get_decision_display()}, None, confirmation.document_number)
    payment = claim.payment if has_related(claim, "payment") else None
    if payment is not None:
        add(payment.created_at, _("拨付补偿 ¥%(a)s（%(d)s）") % {
            "a": f"{payment.amount:,.2f}", "d": payment.paid_on.isoformat()}, None,
            payment.reference)
    for r in claim.recoveries.all():
        add(r.created_at, _("报送回收 ¥%(a)s（%(d)s），应返还 ¥%(due)s") % {
            "a": f"{r.amount:,.2f}", "d": r.recovered_on.isoformat(),
            "due": f"{r.return_amount:,.2f}"}, r.reported_by)
        ret = r.return_payment if has_related(r, "return_payment") else None
        if ret is not None:
            add(ret.created_at, _("登记返还 ¥%(a)s（%(d)s）") % {
                "a": f"{ret.amount:,.2f}", "d": ret.returned_on.isoformat()}, ret.recorded_by,
                ret.reference)
            add(ret.received_at, _("托管机构确认收到返还款"), None, ret.reference)
    for w in claim.write_offs.all():
        add(w.applied_at, _("申请核销（%(g)s），核销金额 ¥%(a)s") % {
            "g": w.get_ground_display(), "a": f"{w.amount:,.2f}"}, w.applied_by)
        add(w.reviewed_at, _("托管机构审核核销申请"), None)
        add(w.decided_at, _("核销：%(s)s") % {"s": w.get_status_display()}, None,
            w.document_number)
    for st in claim.statements.all():
        add(st.submitted_at, _("报送%(y)d年度追偿情况说明") % {"y": st.year}, st.submitted_by)
    events.sort(key=lambda e: e["at"])
    return events


@role_required(*ANY_ROLE)
@require_safe
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claim_detail_for(user=request.user), pk=pk)
    officer = is_officer(request)
    write_offs = list(claim.write_offs.all())
    open_writeoff = next((w for w in write_offs if w.status != WriteOff.Status.REJECTED), None)
    paid = claim.status == Claim.Status.PAID
    return render(request, "claims/claim_detail.html", {
        "claim": claim,
        "payment": claim.payment if has_related(claim, "payment") else None,
        "confirmation": claim.confirmation if has_related(claim, "confirmation") else None,
        "timeline": claim_timeline(claim),
        "is_officer": officer,
        "supplement_form": SupplementAnswerForm()
        if officer and claim.status == Claim.Status.SUPPLEMENT_REQUESTED else None,
        "open_supplement": next((s for s in claim.supplements.all() if s.answered_at is None),
                                None),
        "can_report_recovery": officer and paid,
        "can_apply_writeoff": officer and paid and open_writeoff is None,
        "can_submit_statement": officer and claim.status in (Claim.Status.PAID,
                                                             Claim.Status.WRITTEN_OFF),
        "today": timezone.localdate(),
        # A queued claim of a suspended bank waits until it resumes (RULES.md, "Suspension").
        "suspension_hold": suspension_hold(bank_id=claim.bank_id, scheme=claim.scheme)
        if claim.status in Claim.WAITING_ON else None,
        **trail_context(request.user, claim, related=_trail_related(claim)),
    })


def _trail_related(claim: Claim) -> tuple[Any, ...]:
    """The records of a claim whose changes its 变更记录 shows beside its own (the status
    history rows are left out: the claim's own entries carry each status change and its note)."""

    return (claim.documents.all(), claim.reviews.all(), claim.supplements.all(),
            Payment.objects.filter(claim=claim), Confirmation.objects.filter(claim=claim),
            claim.recoveries.all(), ReturnPayment.objects.filter(recovery__claim=claim),
            claim.write_offs.all(), claim.statements.all())


# --- Claim ------------------------------------------------------------------------------------

@role_required(Role.BANK_OFFICER)
def claim_create(request: HtmxHttpRequest, filing_pk: int) -> HttpResponse:
    """补偿申报 for one filed loan: the refusals before anything is typed, else the form."""
    filing = get_object_or_404(filing_list_for(user=request.user), pk=filing_pk)
    ctx = policy_context()
    check = claim_check(filing=filing, on=timezone.localdate(), ctx=ctx)
    refusals = check.refusals
    closed = filing.status not in (LoanFiling.Status.ACTIVE, LoanFiling.Status.CLAIMED)
    if request.htmx and request.method == "GET":
        form = ClaimForm(request.GET, outstanding=filing.outstanding_principal)
        form.is_valid()
        base = form.cleaned_data.get("base")
        return render(request, "claims/_claim_compensation.html", {
            "check": check, "base": base,
            "compensation": check.compensation(base) if base is not None else None})
    held = HeldUploads(request, f"claim:{filing.pk}")
    if request.method == "POST" and check.allowed and not closed:
        files = held.with_held(request.FILES)
        form = ClaimForm(request.POST, files, outstanding=filing.outstanding_principal)
        form.mark_held(held.names())
        if form.is_valid():
            try:
                claim = claim_submit(filing=filing, base=form.cleaned_data["base"],
                                     documents=form.documents(), actor=request.user, ctx=ctx)
            except Refusal as exc:
                refusals = exc.reasons
            except PolicyError as exc:
                refusals = (exc.reason,)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                held.clear()
                messages.success(request, _(
                    "补偿申报 %(n)s 已提交，申报补偿金额 ¥%(c)s，等待托管机构初审。") % {
                    "n": claim.number, "c": f"{claim.compensation:,.2f}"})
                return redirect("claims:claim_detail", pk=claim.pk)
        # The documents that passed are held for the next post: only a refused one is chosen
        # again.
        held.keep(files, ClaimForm.DOCUMENT_FIELDS)
        form.mark_held(held.names())
        _say_what_was_held(request, form, ClaimForm.DOCUMENT_FIELDS, held)
    else:
        form = ClaimForm(initial={"base": filing.outstanding_principal},
                         outstanding=filing.outstanding_principal)
        form.mark_held(held.names())
    base = filing.outstanding_principal
    return render(request, "claims/claim_form.html", {
        "filing": filing, "check": check, "refusals": refusals, "closed": closed,
        "form": form, "base": base,
        "compensation": check.compensation(base) if base > 0 else None,
    })


@role_required(Role.BANK_OFFICER)
def claim_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the custodian's request for supplements; the claim goes back to review."""
    claim = get_object_or_404(claim_detail_for(user=request.user), pk=pk)
    if claim.status != Claim.Status.SUPPLEMENT_REQUESTED:
        messages.info(request, _("该申报没有待答复的补充材料要求。"))
        return redirect("claims:claim_detail", pk=claim.pk)
    held = HeldUploads(request, f"resubmit:{claim.pk}")
    if request.method == "POST":
        files = held.with_held(request.FILES, multiple=("documents",))
        form = SupplementAnswerForm(request.POST, files)
        if form.is_valid():
            with service_errors_on(form):
                services.claim_resubmit(claim=claim, answer=form.cleaned_data["answer"],
                               documents=form.cleaned_data["documents"], actor=request.user)
                held.clear()
                messages.success(request, _("已答复补充材料要求，申报 %(n)s 已重新提交。")
                                 % {"n": claim.number})
                return redirect("claims:claim_detail", pk=claim.pk)
        held.keep(files, ("documents",))
        _say_what_was_held(request, form, ("documents",), held)
    else:
        form = SupplementAnswerForm()
    form.mark_held(held.names())
    request_ = next((s for s in claim.supplements.all() if s.answered_at is None), None)
    return action_page(request, claim, form, title=_("答复补充材料要求"),
                        submit=_("提交答复并重新申报"),
                        confirm=_("确认提交答复？申报将重新进入托管机构初审。"),
                        facts=[(_("需补充的材料"), request_.message if request_ else "—")])


def _say_what_was_held(request: HttpRequest, form: Form, fields: Sequence[str],
                       held: HeldUploads) -> None:
    """After a refused document: which documents are kept, and which to choose again."""
    refused = [str(form.fields[f].label) for f in fields if form.errors.get(f)]
    kept = sum(len(names) for names in held.names().values())
    if refused and kept:
        messages.warning(request, _(
            "已保留通过检查的 %(n)s 个文件，无需重新选择；请只重新选择被拒绝的文件：%(refused)s。")
            % {"n": kept, "refused": "、".join(refused)})


# --- Files (permission-checked, as attachments) -----------------------------------------------

@role_required(*ANY_ROLE)
@require_safe
def document_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    doc: ClaimDocument = get_object_or_404(document_for(user=request.user), pk=pk)
    return serve_document(doc.file, filename=doc.original_name, content_type=doc.content_type)

"""Screens of the proposal to the bureau (补偿初审意见) and the bureau's written decisions.

The custodian reviewer gathers passed claims into a proposal; the bureau approver confirms or
rejects, in writing; auditors (and the admin) read everything. Bank officers have no business
here: every view answers them 403 before it looks at an id. Views stay thin: the role, the form,
one service call, a message, a redirect."""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts.roles import Role, role_of, role_required
from accounts.security import reauth_required
from banks.selectors import suspended_pairs
from riskcomp.choices import Scheme
from riskcomp.form_errors import service_errors_on
from riskcomp.listing import Column, Filter, build_listing
from riskcomp.pdf import pdf_response, render_pdf

from ..common.views import STAFF, bank_filter_choices, inline_file
from ..models import Claim, Confirmation, Proposal
from ..writeoff.selectors import writeoffs_waiting_on_bureau
from . import selectors, services
from .forms import (
    ProposalCreateForm,
    ProposalDecisionForm,
    ProposalWithdrawForm,
)
from .selectors import (
    passed_claims,
    passed_quarter_choices,
    proposals_waiting_on_bureau,
    totals_by_bank_and_scheme,
    withdrawals_of,
)
from .services import period_label, period_text

_lazy = gettext_lazy

PDF_ROLES = (Role.REVIEWER, Role.APPROVER, Role.AUDITOR)


def _mark_suspended(claims: Any) -> list[Claim]:
    pairs = suspended_pairs()
    rows = list(claims)
    for claim in rows:
        claim.bank_suspended = (claim.bank_id, claim.scheme) in pairs
    return rows


# --- Proposals ------------------------------------------------------------------------------------

@role_required(*STAFF)
@require_safe
def proposal_list(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request, selectors.proposal_list(),
        search_fields=("number", "period", "note"),
        filters=(
            Filter("scheme", str(_("政策")), "scheme", tuple(Scheme.choices)),
            Filter("status", str(_("状态")), "status", tuple(Proposal.Status.choices)),
        ),
        columns=(
            ("number", Column(_lazy("编号"), "number")),
            ("scheme", Column(_lazy("政策"), "scheme")),
            ("period", Column(_lazy("所属期间"), "period")),
            ("claims", Column(_lazy("申报笔数"), "n_claims", numeric=True)),
            ("waiting", Column(_lazy("待财政确认"), "n_waiting", numeric=True)),
            ("total", Column(_lazy("补偿金额合计（元）"), "total", numeric=True)),
            ("submitted", Column(_lazy("报送时间"), "submitted_at")),
            ("status", Column(_lazy("状态"), "status")),
        ),
        default_sort="-submitted",
    )
    return render(request, "claims/proposal/proposal_list.html", {
        "listing": listing, "is_reviewer": role_of(request.user) == Role.REVIEWER})


def _create_listing(request: HttpRequest) -> Any:
    qs = passed_claims()
    return build_listing(
        request, qs,
        search_fields=("number", "filing__iou_number", "filing__enterprise_name",
                       "bank__short_name"),
        filters=(
            Filter("scheme", str(_("政策")), "scheme", tuple(Scheme.choices)),
            Filter("bank", str(_("银行")), "bank_id", bank_filter_choices()),
            Filter("quarter", str(_("初审通过季度")), "passed_quarter",
                   passed_quarter_choices(qs)),
        ),
        columns=(
            ("number", Column(_lazy("申报编号"), "number")),
            ("enterprise", Column(_lazy("借款企业"), "filing__enterprise_name")),
            ("bank", Column(_lazy("银行"), "bank__short_name")),
            ("scheme", Column(_lazy("政策"), "scheme")),
            ("base", Column(_lazy("基数（元）"), "base", numeric=True)),
            ("compensation", Column(_lazy("补偿金额（元）"), "compensation", numeric=True)),
            ("passed", Column(_lazy("初审通过"), "passed_at")),
        ),
        default_sort="passed",
    )


@role_required(Role.REVIEWER)
def proposal_create(request: HttpRequest) -> HttpResponse:
    """Pick passed claims (filtered by scheme, bank and quarter), see the totals per bank and
    scheme, then create the proposal. The first POST shows the preview, the second creates."""
    candidates = Claim.objects.select_related("bank", "filing", "filing__enterprise")
    if request.method == "POST":
        form = ProposalCreateForm(request.POST, claims=candidates)
        if form.is_valid():
            data = form.cleaned_data
            if data["confirmed"]:
                with service_errors_on(form):
                    proposal = services.proposal_create(
                        claims=data["claims"], scheme=data["scheme"], period=data["period"],
                        note=data["note"], actor=request.user)
                    messages.success(request, _(
                        "初审意见 %(n)s 已报送财政，共 %(c)d 笔申报，待财政国资局确认。")
                        % {"n": proposal.number, "c": len(data["claims"])})
                    return redirect("claims:proposal_detail", pk=proposal.pk)
        chosen_qs: QuerySet[Claim] = form.cleaned_data.get("claims") or candidates.none()
        return render(request, "claims/proposal/proposal_preview.html", {
            "form": form,
            "claims": _mark_suspended(chosen_qs.order_by("bank__code", "id")),
            "totals": totals_by_bank_and_scheme(chosen_qs),
        })
    listing = _create_listing(request)
    scheme = request.GET.get("scheme", "")
    quarter = request.GET.get("quarter", "")
    form = ProposalCreateForm(claims=candidates, initial={
        "scheme": scheme if scheme in Scheme.values else Scheme.MICRO,
        "period": quarter or period_label(timezone.localdate()),
    })
    return render(request, "claims/proposal/proposal_create.html", {
        "listing": listing, "form": form,
        "rows": _mark_suspended(listing.page.object_list),
        "totals": totals_by_bank_and_scheme(listing.page.paginator.object_list),
        "scheme_chosen": scheme in Scheme.values,
    })


def _proposal_page(request: HttpRequest, proposal: Proposal,
                   decision_form: ProposalDecisionForm | None = None) -> HttpResponse:
    claims = _mark_suspended(proposal.claims.all())
    approver = role_of(request.user) == Role.APPROVER
    waiting = [c for c in claims if c.status == Claim.Status.PROPOSED]
    if approver and waiting and decision_form is None:
        decision_form = ProposalDecisionForm(
            claims=proposal.claims.filter(status=Claim.Status.PROPOSED),
            initial={"decision": Confirmation.Decision.CONFIRMED,
                     "date": timezone.localdate()})
    return render(request, "claims/proposal/proposal_detail.html", {
        "proposal": proposal, "claims": claims, "waiting": waiting,
        "totals": totals_by_bank_and_scheme(proposal.claims.all()),
        "decision_form": decision_form if approver and waiting else None,
        "can_pdf": role_of(request.user) in PDF_ROLES,
        "can_withdraw": role_of(request.user) == Role.REVIEWER and bool(waiting),
        "withdrawals": withdrawals_of(proposal),
    })


@role_required(*STAFF)
@require_safe
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _proposal_page(request, get_object_or_404(selectors.proposal_detail(), pk=pk))


@role_required(Role.APPROVER)
@reauth_required(max_age=300)
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The bureau's written decision on the claims ticked on the proposal page."""
    proposal = get_object_or_404(selectors.proposal_detail(), pk=pk)
    if request.method != "POST":
        return redirect("claims:proposal_detail", pk=proposal.pk)
    form = ProposalDecisionForm(request.POST, request.FILES,
                                claims=proposal.claims.select_related("bank"))
    if form.is_valid():
        data = form.cleaned_data
        with service_errors_on(form):
            decided = services.proposal_decide(
                proposal=proposal, claims=data["claims"], decision=data["decision"],
                number=data["number"], date=data["date"], document=data["document"],
                reason=data["reason"], actor=request.user)
            label = dict(Confirmation.Decision.choices)[data["decision"]]
            messages.success(request, _("已登记财政意见“%(d)s”（%(n)s）：%(c)s。") % {
                "d": label, "n": data["number"],
                "c": _("、").join(c.claim.number for c in decided)})
            return redirect("claims:proposal_detail", pk=proposal.pk)
    return _proposal_page(request, proposal, decision_form=form)


@role_required(Role.REVIEWER)
def proposal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Take claim ``pk`` back out of its proposal: the claim and its proposal, the reason, a
    confirmation; the claim returns to the passed claims."""
    claim = get_object_or_404(Claim.objects.select_related(
        "bank", "filing", "filing__enterprise", "proposal"), pk=pk)
    if claim.proposal is None:
        messages.info(request, _("申报 %(n)s 不在任何初审意见中。") % {"n": claim.number})
        return redirect("claims:claim_detail", pk=claim.pk)
    proposal = claim.proposal
    form = ProposalWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            services.proposal_withdraw(claim=claim, reason=form.cleaned_data["reason"],
                                       actor=request.user)
            messages.success(request, _("已将申报 %(n)s 撤出初审意见 %(p)s，可放入以后的初审意见。")
                             % {"n": claim.number, "p": proposal.number})
            return redirect("claims:proposal_detail", pk=proposal.pk)
    return render(request, "claims/proposal/proposal_withdraw.html", {
        "claim": claim, "proposal": proposal, "form": form,
        "can_withdraw": claim.status == Claim.Status.PROPOSED,
    })


@role_required(*PDF_ROLES)
@require_safe
def proposal_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The proposal as the custodian sends it to the bureau: A4, totals per bank and scheme,
    one line per claim, page numbers."""
    proposal = get_object_or_404(selectors.proposal_detail(), pk=pk)
    claims = list(proposal.claims.all())
    rejected = Claim.Status.BUREAU_REJECTED
    content = render_pdf("claims/pdf/proposal.html", {
        "proposal": proposal, "claims": [c for c in claims if c.status != rejected],
        "rejected": [c for c in claims if c.status == rejected],
        "period_text": period_text(proposal.period),
        "withdrawals": withdrawals_of(proposal),
        "totals": totals_by_bank_and_scheme(proposal.claims.all()),
        "printed_at": timezone.localtime(),
    })
    return pdf_response(content, filename=f"{proposal.number}.pdf")


@role_required(*STAFF)
@require_safe
def approver_queue(request: HttpRequest) -> HttpResponse:
    """What waits on the bureau: proposals with undecided claims, forwarded write-offs."""
    return render(request, "claims/proposal/approver_queue.html", {
        "proposals": proposals_waiting_on_bureau(),
        "write_offs": writeoffs_waiting_on_bureau(),
    })


@role_required(*STAFF)
@require_safe
def confirmation_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    confirmation = get_object_or_404(Confirmation.objects.select_related("claim"), pk=pk)
    return inline_file(confirmation.document, f"{confirmation.claim.number}-confirmation")

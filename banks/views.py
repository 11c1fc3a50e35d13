from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import ANY_ROLE, Role, role_of, role_required
from accounts.trail import trail_context
from fund.selectors import policy_context
from riskcomp.choices import Scheme
from riskcomp.form_errors import service_errors_as_messages
from riskcomp.listing import Column, build_listing
from riskcomp.policy.suspension import SuspensionFigures, claim_ratio

from .forms import AgreementForm, ManualSuspensionForm, OfficerForm, TerminateForm
from .models import (
    BankUserObjectPermission,
    CooperationAgreement,
    SuspensionChange,
    SuspensionState,
)
from .selectors import banks_for, officers_of, with_threshold_figures
from .services import (
    agreement_create,
    agreement_terminate,
    officer_grant,
    officer_revoke,
    suspension_manual_lift,
    suspension_manual_set,
)

STAFF = (Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)


@role_required(*STAFF)
@require_safe
def bank_list(request: HttpRequest) -> HttpResponse:
    qs = banks_for(request.user).annotate(
        n_filings=Count("filings", distinct=True),
    )
    listing = build_listing(
        request, qs, search_fields=("name", "short_name", "code"),
        columns=(("code", Column(_lazy("编码"), "code")),
                 ("name", Column(_lazy("银行名称"), "name")),
                 ("n_filings", Column(_lazy("备案笔数"), "n_filings", numeric=True))),
        default_sort="code",
    )
    rows = list(listing.page.object_list)
    states: dict[int, list[SuspensionState]] = {bank.pk: [] for bank in rows}
    for st in SuspensionState.objects.filter(bank__in=rows):
        states[st.bank_id].append(st)
    for bank in rows:
        bank.states = states[bank.pk]
    return render(request, "banks/bank_list.html", {"listing": listing, "rows": rows})


@role_required(*ANY_ROLE)
@require_safe
def bank_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bank = get_object_or_404(banks_for(request.user), pk=pk)
    can_manage = role_of(request.user) in (Role.REVIEWER, Role.ADMIN)
    states = _states_with_thresholds(bank)
    tech_state = next(s for s in states if s.scheme == Scheme.TECH)
    return render(request, "banks/bank_detail.html", {
        "bank": bank,
        "can_manage": can_manage,
        "officers": officers_of(bank) if can_manage else [],
        "agreement_form": AgreementForm(),
        "suspension_form": ManualSuspensionForm(initial={
            "action": "lift" if tech_state and tech_state.is_manually_suspended else "suspend"}),
        "tech_manual": bool(tech_state and tech_state.is_manually_suspended),
        "officer_form": OfficerForm(),
        "agreements": bank.agreements.all(),
        "branches": bank.branches.all(),
        "states": states,
        "changes": [_with_percent(c) for c in SuspensionChange.objects.filter(bank=bank)
                    .select_related("actor").order_by("-changed_at", "-pk")],
        "filed": bank.filings.order_by().values("scheme").annotate(
            n=Count("id"), principal=Sum("amount_cny")),
        **trail_context(request.user, bank, related=(
            bank.branches.all(), bank.agreements.all(), bank.suspension_states.all(),
            bank.suspension_changes.all(), BankUserObjectPermission.objects.filter(
                content_object=bank))),
    })


def _states_with_thresholds(bank: Any) -> list[SuspensionState]:
    """One row per scheme (a scheme never computed shows as active with zero figures), with
    the thresholds in force, the claim ratio and the distance to each threshold."""
    policy = policy_context()
    today = timezone.localdate()
    known = {s.scheme: s for s in bank.suspension_states.all()}
    rows = []
    for scheme in Scheme:
        state = known.get(scheme) or SuspensionState(bank=bank, scheme=scheme)
        with_threshold_figures(state, policy, today)
        rows.append(state)
    return rows


def _percent(figures: SuspensionFigures) -> Decimal | None:
    """Claimed / filed principal as a percentage to two places, for display."""
    ratio = claim_ratio(figures)
    return None if ratio is None else (ratio * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _with_percent(change: SuspensionChange) -> SuspensionChange:
    change.claim_percent = _percent(SuspensionFigures(
        filed_principal=change.filed_principal, claimed_principal=change.claimed_principal,
        net_compensation=change.net_compensation))
    return change


@role_required(Role.REVIEWER, Role.ADMIN)
@require_POST
def agreement_add(request: HttpRequest, pk: int) -> HttpResponse:
    bank = get_object_or_404(banks_for(request.user), pk=pk)
    form = AgreementForm(request.POST)
    if form.is_valid():
        with service_errors_as_messages(request):
            a = agreement_create(bank=bank, actor=request.user, **form.cleaned_data)
            messages.success(request, _("已登记合作协议 %(n)s。") % {"n": a.number})
    else:
        _form_errors(request, form)
    return redirect("banks:bank_detail", pk=bank.pk)


@role_required(Role.REVIEWER, Role.ADMIN)
@require_POST
def agreement_end(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_object_or_404(CooperationAgreement, pk=pk)
    form = TerminateForm(request.POST)
    if form.is_valid():
        with service_errors_as_messages(request):
            agreement_terminate(agreement=agreement, actor=request.user,
                                reason=form.cleaned_data["reason"])
            messages.success(request, _("协议 %(n)s 已终止。") % {"n": agreement.number})
    else:
        _form_errors(request, form)
    return redirect("banks:bank_detail", pk=agreement.bank_id)


@role_required(Role.REVIEWER, Role.ADMIN)
@require_POST
def manual_suspension(request: HttpRequest, pk: int) -> HttpResponse:
    """TECH Art. 17: suspend a bank by hand, with the reason, or lift it."""
    bank = get_object_or_404(banks_for(request.user), pk=pk)
    form = ManualSuspensionForm(request.POST)
    if form.is_valid():
        service = (suspension_manual_set if form.cleaned_data["action"] == "suspend"
                   else suspension_manual_lift)
        with service_errors_as_messages(request):
            service(bank=bank, scheme=Scheme.TECH, reason=form.cleaned_data["reason"],
                    actor=request.user)
            messages.success(request, _("已记录科创政策下的人工暂停状态变更。"))
    else:
        _form_errors(request, form)
    return redirect("banks:bank_detail", pk=bank.pk)


@role_required(Role.REVIEWER, Role.ADMIN)
@require_POST
def officer_add(request: HttpRequest, pk: int) -> HttpResponse:
    bank = get_object_or_404(banks_for(request.user), pk=pk)
    form = OfficerForm(request.POST)
    if form.is_valid():
        user = form.cleaned_data["username"]
        if role_of(user) not in (None, Role.BANK_OFFICER):
            messages.error(request, _("该账号属于其他角色，不能授权为银行经办人员。"))
        else:
            officer_grant(user=user, bank=bank, actor=request.user)
            messages.success(request, _("已授权 %(u)s 代表本行办理业务。") % {"u": user.username})
    else:
        _form_errors(request, form)
    return redirect("banks:bank_detail", pk=bank.pk)


@role_required(Role.REVIEWER, Role.ADMIN)
@require_POST
def officer_remove(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    bank = get_object_or_404(banks_for(request.user), pk=pk)
    user = get_object_or_404(officers_of(bank), pk=user_id)
    officer_revoke(user=user, bank=bank, actor=request.user)
    messages.success(request, _("已取消 %(u)s 的授权。") % {"u": user.username})
    return redirect("banks:bank_detail", pk=bank.pk)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for e in errors:
            messages.error(request, _("%(label)s：%(error)s") % {"label": label, "error": e}
                           if label else e)

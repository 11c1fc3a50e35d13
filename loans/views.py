from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import ANY_ROLE, Role, role_of, role_required
from accounts.trail import trail_context
from banks.selectors import agreement_schemes_for, banks_for
from fund.calendar_selectors import pending_text, pending_year
from fund.models import PolicyVersion
from fund.selectors import policy_context
from riskcomp.choices import (
    NON_PERFORMING,
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    QualificationType,
    ReasonCode,
    Scheme,
)
from riskcomp.columns import Col, Columns
from riskcomp.exports import wants_xlsx, xlsx_response
from riskcomp.form_errors import service_errors_as_messages
from riskcomp.htmx import HtmxHttpRequest
from riskcomp.labels import quarter_label, readable, scheme_short
from riskcomp.listing import Filter, build_listing, quarter_choices
from riskcomp.policy.credit_code import normalize_credit_code
from riskcomp.policy.reasons import PolicyError, Refusal
from riskcomp.templatetags.portal import money as money_text
from riskcomp.templatetags.portal import pct

from .calculator import calculate
from .forms import CalculatorForm, ClassificationForm, FilingForm
from .import_selectors import import_batch_list_for
from .models import ImportBatch, LoanFiling
from .selectors import enterprise_as_filed, filing_detail_for, filing_list_for
from .services import (
    FilingEvaluation,
    FilingNotSaved,
    FilingRefused,
    classification_report,
    evaluate_filings,
)
from .services import filing_create as filing_service_create

_lazy = gettext_lazy
DEADLINE_LABELS = {
    "credit_report": _lazy("征信报告最晚日期（放款后第10个工作日）"),
    "filing": _lazy("备案截止日（次季度第15个工作日）"),
    "claim": _lazy("补偿申报截止日（合同到期后12个月）"),
    "recovery_notice": _lazy("回收通知截止日（回收后第20个工作日）"),
    "return": _lazy("返还截止日（通知后第10个工作日）"),
}


SNAPSHOT_LABELS = {
    "decided_on": _lazy("判断日期"), "scheme": _lazy("适用政策"), "ratio": _lazy("补偿比例"),
    "filing_deadline": _lazy("备案截止日"), "claim_deadline": _lazy("申报截止日"),
    "enterprise": _lazy("企业"), "loan": _lazy("贷款"), "verdicts": _lazy("政策判断"),
    "credit_code": _lazy("统一社会信用代码"), "kind": _lazy("主体类型"), "size": _lazy("企业规模"),
    "in_bda": _lazy("在经开区经营"), "micro_conduct_ok": _lazy("符合小微政策信用合规条件"),
    "tech_conduct_ok": _lazy("符合科创政策信用合规条件"),
    "conduct_ok": _lazy("信用合规条件符合"),  # snapshots from before the per-scheme attestations
    "tech_scope": _lazy("属于科创支持范围"), "qualified": _lazy("具备资质"),
    "qualifications": _lazy("资质"), "type": _lazy("贷款品种"), "amount": _lazy("贷款金额"),
    "currency": _lazy("币种"), "fx_rate": _lazy("折算汇率"), "cny_amount": _lazy("人民币金额"),
    "drawdown_date": _lazy("放款日期"), "maturity_date": _lazy("合同到期日"),
    "rate_percent": _lazy("年利率（%）"),
    "bank_outstanding_to_enterprise": _lazy("本行对该企业已备案未结清余额"),
    "credit_report_outstanding": _lazy("征信未结清贷款余额"),
    "credit_report_date": _lazy("征信报告日期"), "other_cover": _lazy("有其他保险担保或补偿"),
    "first_loan": _lazy("首笔贷款"), "bank_risk_share_percent": _lazy("银行分险比例（%）"),
    "eligible": _lazy("符合条件"), "reasons": _lazy("不符合原因"), "version": _lazy("政策版本"),
    "MICRO": Scheme.MICRO.label, "TECH": Scheme.TECH.label,
}
# Coded values shown by their labels (the snapshot keeps the codes the decision was made on).
SNAPSHOT_CHOICES: dict[str, dict[str, Any]] = {
    "kind": dict(EnterpriseKind.choices), "size": dict(EnterpriseSize.choices),
    "type": dict(LoanType.choices), "scheme": dict(Scheme.choices),
    "reasons": dict(ReasonCode.choices),
}
RATIO_KEYS = frozenset({"ratio"})
MONEY_KEYS = frozenset({"amount", "cny_amount", "bank_outstanding_to_enterprise",
                        "credit_report_outstanding"})


# Inside the enterprise's qualifications, "type" is the qualification's.
QUALIFICATION_LABELS = {"type": _lazy("资质类型"), "valid_from": _lazy("有效期起"),
                        "valid_to": _lazy("有效期止")}
QUALIFICATION_CHOICES = {"type": dict(QualificationType.choices)}


def _snapshot_value(key: str, value: Any, choices: dict[str, dict[str, Any]]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if key in RATIO_KEYS:
        return pct(value)
    if key in MONEY_KEYS:
        return money_text(value)
    labels = choices.get(key)
    if isinstance(value, list):
        shown = [str(labels[v]) if labels and v in labels else readable(v) for v in value]
        return str(_("、")).join(shown)
    if labels and value in labels:
        return str(labels[value])
    return str(value)


def snapshot_rows(snapshot: Any, prefix: str = "", labels: dict[str, Any] | None = None,
                  choices: dict[str, dict[str, Any]] | None = None) -> list[tuple[str, str]]:
    """The frozen snapshot as label/value rows (nested keys joined with a dot), in Chinese."""
    if not isinstance(snapshot, dict):
        return []
    labels = SNAPSHOT_LABELS if labels is None else labels
    choices = SNAPSHOT_CHOICES if choices is None else choices
    rows: list[tuple[str, str]] = []
    for key, value in snapshot.items():
        label = f"{prefix}{labels.get(key, key)}"
        if isinstance(value, dict):
            rows.extend(snapshot_rows(value, f"{label} · "))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for n, item in enumerate(value, start=1):
                rows.extend(snapshot_rows(item, f"{label}{n} · ", QUALIFICATION_LABELS,
                                          QUALIFICATION_CHOICES))
        elif key == "filing_deadline" and value is None and not prefix:
            rows.append((label, _filing_deadline_pending(snapshot)))
        else:
            rows.append((label, _snapshot_value(key, value, choices)))
    return rows


def _filing_deadline_pending(snapshot: dict[str, Any]) -> str:
    """A filing deadline recorded while its year's holiday schedule was unknown."""
    loan = snapshot.get("loan")
    raw = loan.get("drawdown_date") if isinstance(loan, dict) else None
    try:
        drawdown = date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        drawdown = None
    if drawdown is None:
        return "—"
    return pending_text(pending_year(drawdown))


def _quarter_choices(qs) -> tuple[tuple[str, str], ...]:  # type: ignore[no-untyped-def]
    # The first and latest quarter come from the quarter index; DISTINCT reads every filing.
    ends = qs.aggregate(first=Min("quarter"), last=Max("quarter"))
    return quarter_choices(ends["first"], ends["last"])


FILING = Columns(
    iou=Col(_lazy("借据号"), lambda f: f.iou_number, width=20, sort="iou_number"),
    contract=Col(_lazy("合同号"), lambda f: f.contract_number, width=20),
    bank=Col(_lazy("银行"), lambda f: f.bank.short_name, width=14, sort="bank__short_name"),
    enterprise=Col(_lazy("借款企业"), lambda f: f.enterprise_name, width=32,
                   sort="enterprise_name"),
    credit_code=Col(_lazy("统一社会信用代码"), lambda f: f.enterprise.credit_code, width=22),
    scheme=Col(_lazy("政策"), lambda f: scheme_short(f.scheme), width=8, sort="scheme"),
    version=Col(_lazy("政策文号"), lambda f: f.policy_version, width=22, sort="policy_version"),
    loan_type=Col(_lazy("贷款品种"), lambda f: f.get_loan_type_display(), width=12),
    drawdown=Col(_lazy("放款日期"), lambda f: f.drawdown_date, "date", 12, sort="drawdown_date"),
    maturity=Col(_lazy("合同到期日"), lambda f: f.maturity_date, "date", 12),
    quarter=Col(_lazy("放款季度"), lambda f: quarter_label(f.quarter), width=10),
    amount=Col(_lazy("金额（元）"), lambda f: f.amount_cny, "money", 18, sort="amount_cny"),
    rate=Col(_lazy("年利率（%）"), lambda f: f.rate_percent, width=10),
    ratio=Col(_lazy("补偿比例"), lambda f: f.ratio, "ratio", 10, sort="ratio"),
    filed=Col(_lazy("备案日期"), lambda f: f.filed_on, "date", 12),
    status=Col(_lazy("状态"), lambda f: f.get_status_display(), width=10, sort="status"),
)
FILING_COLUMNS = FILING.export(
    "iou", "contract", "bank", "enterprise", "credit_code", "scheme", "version", "loan_type",
    "drawdown", "maturity", "quarter", "amount", "rate", "ratio", "filed", "status")


def _batch_of(request: HttpRequest) -> ImportBatch | None:
    """The import batch ``?batch=`` names, when it is one of the user's banks'."""
    pk = request.GET.get("batch", "")
    if not pk.isdigit():
        return None
    return import_batch_list_for(user=request.user).filter(pk=int(pk)).first()


def _version_choices() -> tuple[tuple[str, str], ...]:
    """The policy versions by document number (what a filing records), oldest first."""
    return tuple((v, v) for v in PolicyVersion.objects.order_by("scheme", "valid_from")
                 .values_list("version", flat=True))


@role_required(*ANY_ROLE)
@require_safe
def filing_list(request: HttpRequest) -> HttpResponse:
    qs = filing_list_for(user=request.user)
    batch = _batch_of(request)
    if batch is not None:  # the loans one import filed, from its page
        qs = qs.filter(import_batch=batch)
    listing = build_listing(
        request, qs,
        search_fields=("iou_number", "contract_number", "enterprise_name",
                       "enterprise__credit_code"),
        filters=(
            Filter("quarter", str(_("季度")), "quarter", _quarter_choices(qs)),
            Filter("scheme", str(_("政策")), "scheme", tuple(Scheme.choices)),
            Filter("version", str(_("政策文号")), "policy_version", _version_choices()),
            Filter("loan_type", str(_("贷款品种")), "loan_type", tuple(LoanType.choices)),
            Filter("status", str(_("状态")), "status", tuple(LoanFiling.Status.choices)),
        ),
        columns=FILING.listing("iou", "enterprise", "bank", "scheme", "version", "drawdown",
                               "amount", "ratio", "status"),
        default_sort="-drawdown",
    )
    if wants_xlsx(request):
        return xlsx_response(listing.page.paginator.object_list, FILING_COLUMNS,
                             title=_("贷款备案"), filename="filings")
    return render(request, "loans/filing_list.html", {"listing": listing, "batch": batch})


@role_required(*ANY_ROLE)
@require_safe
def filing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filing = get_object_or_404(filing_detail_for(user=request.user), pk=pk)
    classifications = list(filing.classifications.all())
    claims = list(filing.claims.all())
    is_officer = role_of(request.user) == Role.BANK_OFFICER
    # The claim form itself gives the policy's refusals; the button only needs a loan that is
    # still open, reported non-performing, and without a claim under way.
    latest = max(classifications, key=lambda c: (c.classified_on, c.pk), default=None)
    open_claim = any(c.is_under_way for c in claims)
    return render(request, "loans/filing_detail.html", {
        "filing": filing,
        "classifications": classifications,
        "claims": claims,
        "can_claim": is_officer and filing.status in LoanFiling.CLAIMABLE_STATUSES
        and latest is not None and latest.classification in NON_PERFORMING and not open_claim,
        "snapshot_rows": snapshot_rows(filing.snapshot),
        "can_classify": is_officer
        and filing.status != LoanFiling.Status.CLOSED,
        "classification_form": ClassificationForm(initial={"classified_on": timezone.localdate()}),
        **trail_context(request.user, filing,
                        related=(filing.classifications.all(), filing.claims.all())),
    })


@role_required(Role.BANK_OFFICER, Role.REVIEWER, Role.ADMIN)
def calculator(request: HtmxHttpRequest) -> HttpResponse:
    """补偿测算: a loan's verdicts, ratio, compensation and deadlines; nothing is saved."""
    result = None
    if request.method == "POST":
        form = CalculatorForm(request.POST)
        if form.is_valid():
            result = calculate(form.cleaned_data, form.enterprise_facts(), form.loan_facts(),
                               policy_context())
    else:
        schemes = agreement_schemes_for(request.user)
        form = CalculatorForm(initial={"bank_schemes": schemes or list(Scheme.values)})
    ctx = {"form": form, "result": result, "deadline_labels": DEADLINE_LABELS,
           "scheme_labels": dict(Scheme.choices)}
    if request.htmx:
        return render(request, "loans/_calculator_result.html", ctx)
    return render(request, "loans/calculator.html", ctx)


def _officer_banks(user: Any) -> list[Any]:
    return list(banks_for(user).prefetch_related("branches"))


def _preview(bank: Any, request_obj: Any) -> FilingEvaluation:
    return evaluate_filings(bank=bank, requests=[request_obj], filing_date=timezone.localdate(),
                            ctx=policy_context(), snapshots=False)[0]


@role_required(Role.BANK_OFFICER)
def filing_create(request: HttpRequest) -> HttpResponse:
    """File one loan. As the officer types, htmx posts the form to ``filing_preview`` and shows
    each scheme's verdict; saving freezes the facts in the filing's snapshot."""
    banks = _officer_banks(request.user)
    if not banks:
        raise PermissionDenied(_("您的账号尚未获得任何合作银行的授权。"))
    refusal = evaluation = not_saved = None
    if request.method == "POST":
        form = FilingForm(request.POST, banks=banks)
        if form.is_valid():
            try:
                filing = filing_service_create(
                    bank=form.chosen_bank(), request=form.to_request(), actor=request.user,
                    ctx=policy_context())
            except FilingRefused as exc:  # the verdict panel shows it as the live check does
                refusal, evaluation = exc.reasons, exc.evaluation
            except Refusal as exc:
                refusal = exc.reasons
            except PolicyError as exc:
                refusal = (exc.reason,)
            except FilingNotSaved as exc:
                not_saved = exc.message
            else:
                text = _("贷款 %(iou)s 已备案，适用%(scheme)s，补偿比例 %(ratio)s。")
                messages.success(request, text % {
                    "iou": filing.iou_number, "scheme": filing.get_scheme_display(),
                    "ratio": f"{filing.ratio * 100:.0f}%"})
                return redirect("loans:filing_detail", pk=filing.pk)
    else:
        form = FilingForm(banks=banks, initial={"currency": "CNY"})
    return render(request, "loans/filing_form.html", {
        "form": form, "refusal": refusal, "ev": evaluation, "not_saved": not_saved,
        "deadline_labels": DEADLINE_LABELS, "scheme_labels": dict(Scheme.choices)})


@role_required(Role.BANK_OFFICER)
@require_POST
def filing_preview(request: HttpRequest) -> HttpResponse:
    """The verdict panel for the facts typed so far; nothing is saved."""
    form = FilingForm(request.POST, banks=_officer_banks(request.user))
    evaluation = None
    if form.is_valid():
        evaluation = _preview(form.chosen_bank(), form.to_request())
    return render(request, "loans/_filing_verdict.html", {
        "form": form, "ev": evaluation, "scheme_labels": dict(Scheme.choices),
        "deadline_labels": DEADLINE_LABELS})


@role_required(Role.BANK_OFFICER)
@require_safe
def enterprise_lookup(request: HttpRequest) -> HttpResponse:
    """Find an enterprise by its credit code among this bank's own filings and refill the
    enterprise part of the form; a borrower only another bank filed is not found."""
    code = normalize_credit_code(request.GET.get("credit_code", ""))
    found = enterprise_as_filed(user=request.user, credit_code=code) if code else None
    # The request carries the whole enterprise part as typed so far; nothing typed is replaced.
    initial = {**FilingForm.lookup_initial(request.GET, found), "credit_code": code}
    form = FilingForm(banks=_officer_banks(request.user), initial=initial)
    return render(request, "loans/_filing_enterprise.html", {
        "form": form, "found": found, "looked_up": bool(code)})


@role_required(Role.BANK_OFFICER)
@require_POST
def classification_create(request: HttpRequest, pk: int) -> HttpResponse:
    filing = get_object_or_404(filing_list_for(user=request.user), pk=pk)
    form = ClassificationForm(request.POST)
    if form.is_valid():
        with service_errors_as_messages(request):
            report = classification_report(filing=filing, actor=request.user,
                                           **form.cleaned_data)
            messages.success(request, _("已报送五级分类：%(c)s（%(d)s）。") % {
                "c": report.get_classification_display(), "d": report.classified_on})
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
    return redirect("loans:filing_detail", pk=filing.pk)

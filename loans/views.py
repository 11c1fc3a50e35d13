from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from banks.selectors import agreement_schemes_for
from fund.selectors import policy_context
from riskcomp.choices import LoanType, Scheme
from riskcomp.listing import Column, Filter, build_listing
from riskcomp.roles import ANY_ROLE, Role, role_required

from .calculator import calculate
from .forms import CalculatorForm
from .models import LoanFiling
from .selectors import filing_detail_for, filing_list_for

DEADLINE_LABELS = {
    "credit_report": _("征信报告最晚日期（放款后第10个工作日）"),
    "filing": _("备案截止日（次季度第15个工作日）"),
    "claim": _("补偿申报截止日（合同到期后12个月）"),
    "recovery_notice": _("回收通知截止日（回收后第20个工作日）"),
    "return": _("返还截止日（通知后第10个工作日）"),
}


def _quarter_choices(qs) -> tuple[tuple[str, str], ...]:  # type: ignore[no-untyped-def]
    quarters = qs.order_by("-quarter").values_list("quarter", flat=True).distinct()[:16]
    return tuple((q, q) for q in quarters)


@role_required(*ANY_ROLE)
def filing_list(request: HttpRequest) -> HttpResponse:
    qs = filing_list_for(user=request.user)
    listing = build_listing(
        request, qs,
        search_fields=("iou_number", "contract_number", "enterprise__name",
                       "enterprise__credit_code"),
        filters=(
            Filter("quarter", str(_("季度")), "quarter", _quarter_choices(qs)),
            Filter("scheme", str(_("政策")), "scheme", tuple(Scheme.choices)),
            Filter("loan_type", str(_("贷款品种")), "loan_type", tuple(LoanType.choices)),
            Filter("status", str(_("状态")), "status", tuple(LoanFiling.Status.choices)),
        ),
        columns=(
            ("iou", Column(_("借据号"), "iou_number")),
            ("enterprise", Column(_("借款企业"), "enterprise__name")),
            ("bank", Column(_("银行"), "bank__short_name")),
            ("scheme", Column(_("政策"), "scheme")),
            ("drawdown", Column(_("放款日期"), "drawdown_date")),
            ("amount", Column(_("金额（元）"), "amount_cny", numeric=True)),
            ("ratio", Column(_("补偿比例"), "ratio", numeric=True)),
            ("status", Column(_("状态"), "status")),
        ),
        default_sort="-drawdown",
    )
    return render(request, "loans/filing_list.html", {"listing": listing})


@role_required(*ANY_ROLE)
def filing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filing = get_object_or_404(filing_detail_for(user=request.user), pk=pk)
    return render(request, "loans/filing_detail.html", {
        "filing": filing,
        "classifications": filing.classifications.all(),
        "claims": filing.claims.all(),
        "snapshot_rows": sorted(filing.snapshot.items()) if isinstance(filing.snapshot, dict)
        else [],
    })


@role_required(Role.BANK_OFFICER, Role.REVIEWER, Role.ADMIN)
def calculator(request: HttpRequest) -> HttpResponse:
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

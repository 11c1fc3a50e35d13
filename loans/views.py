from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import LoanType, Scheme
from riskcomp.listing import Column, Filter, build_listing
from riskcomp.roles import ANY_ROLE, role_required

from .models import LoanFiling
from .selectors import filing_detail_for, filing_list_for


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

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import Scheme
from riskcomp.listing import Column, Filter, build_listing
from riskcomp.roles import ANY_ROLE, role_required

from .models import Claim
from .selectors import claim_counts_by_status, claim_detail_for, claim_list_for


@role_required(*ANY_ROLE)
def claim_list(request: HttpRequest) -> HttpResponse:
    qs = claim_list_for(user=request.user)
    listing = build_listing(
        request, qs,
        search_fields=("number", "filing__iou_number", "filing__enterprise__name"),
        filters=(
            Filter("scheme", str(_("政策")), "scheme", tuple(Scheme.choices)),
            Filter("status", str(_("状态")), "status", tuple(Claim.Status.choices)),
        ),
        columns=(
            ("number", Column(_("申报编号"), "number")),
            ("enterprise", Column(_("借款企业"), "filing__enterprise__name")),
            ("bank", Column(_("银行"), "bank__short_name")),
            ("scheme", Column(_("政策"), "scheme")),
            ("base", Column(_("基数（元）"), "base", numeric=True)),
            ("compensation", Column(_("补偿金额（元）"), "compensation", numeric=True)),
            ("submitted", Column(_("提交时间"), "submitted_at")),
            ("status", Column(_("状态"), "status")),
        ),
        default_sort="submitted",
    )
    counts = claim_counts_by_status(user=request.user)
    return render(request, "claims/claim_list.html", {
        "listing": listing,
        "status_counts": [(v, label, counts.get(v, 0)) for v, label in Claim.Status.choices],
    })


@role_required(*ANY_ROLE)
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claim_detail_for(user=request.user), pk=pk)
    return render(request, "claims/claim_detail.html", {"claim": claim})

"""The yearly spot checks (MICRO Art. 10(7), TECH Art. 11(7)): the custodian's reviewers draw
and record; auditors (and the administrator) read and export. Bank officers have no business
here. Views stay thin: the form, one service call, a message, a redirect."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_safe

from accounts.roles import Role, role_of, role_required
from accounts.trail import trail_context
from riskcomp.choices import Scheme
from riskcomp.columns import Col, Columns
from riskcomp.exports import wants_xlsx, xlsx_response
from riskcomp.form_errors import service_errors_on
from riskcomp.labels import scheme_short
from riskcomp.listing import Column, Filter, build_listing

from ..models import SpotCheck, SpotCheckItem
from .forms import SpotCheckDrawForm, SpotCheckRecordForm
from .selectors import spot_check_population_counts
from .services import spot_check_draw, spot_check_record

READERS = (Role.REVIEWER, Role.AUDITOR, Role.ADMIN)


@role_required(*READERS)
@require_safe
def spotcheck_list(request: HttpRequest) -> HttpResponse:
    qs = SpotCheck.objects.select_related("drawn_by").annotate(
        n_items=Count("items"),
        n_pending=Count("items", filter=Q(items__result=SpotCheckItem.Result.PENDING)),
        n_issue=Count("items", filter=Q(items__result=SpotCheckItem.Result.ISSUE)),
    )
    listing = build_listing(
        request, qs, search_fields=("year", "seed"),
        columns=(
            ("year", Column(_lazy("年度"), "year")),
            ("sample_size", Column(_lazy("抽样数量"), "sample_size", numeric=True)),
            ("pending", Column(_lazy("待检查"), "n_pending", numeric=True)),
            ("issue", Column(_lazy("发现问题"), "n_issue", numeric=True)),
            ("seed", Column(_lazy("随机种子"))),
            ("drawn_at", Column(_lazy("抽样时间"), "drawn_at")),
        ),
        default_sort="-year",
    )
    return render(request, "claims/spotcheck/list.html", {
        "listing": listing, "can_draw": role_of(request.user) == Role.REVIEWER,
    })


@role_required(Role.REVIEWER)
def spotcheck_draw(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SpotCheckDrawForm(request.POST)
        if form.is_valid():
            with service_errors_on(form):
                check = spot_check_draw(actor=request.user, **form.cleaned_data)
                messages.success(request, _(
                    "已抽取%(y)d年度抽查样本 %(n)d 笔，随机种子 %(s)s 已记录。") % {
                    "y": check.year, "n": check.sample_size, "s": check.seed})
                return redirect("claims:spotcheck_detail", pk=check.pk)
    else:
        form = SpotCheckDrawForm()
    drawn = set(SpotCheck.objects.values_list("year", flat=True))
    return render(request, "claims/spotcheck/draw.html", {
        "form": form,
        "populations": [(y, n, y in drawn) for y, n in spot_check_population_counts()],
    })


RESULT_FILTER = tuple((v, str(label)) for v, label in SpotCheckItem.Result.choices)


def _items(check: SpotCheck) -> Any:
    return SpotCheckItem.objects.filter(spot_check=check).select_related(
        "claim", "claim__bank", "claim__filing", "claim__filing__enterprise", "claim__payment",
        "recorded_by")


def _payment(claim: Any) -> Any:
    try:
        return claim.payment
    except ObjectDoesNotExist:  # every sampled claim was paid; an old row may not say so
        return None


def _paid_on(item: SpotCheckItem) -> Any:
    payment = _payment(item.claim)
    return payment.paid_on if payment else None


ITEM = Columns(
    claim=Col(_lazy("申报编号"), lambda i: i.claim.number, width=16, sort="claim__number"),
    bank=Col(_lazy("银行"), lambda i: i.claim.bank.short_name, width=14,
             sort="claim__bank__short_name"),
    scheme=Col(_lazy("政策"), lambda i: scheme_short(i.claim.scheme), width=8,
               sort="claim__scheme"),
    iou=Col(_lazy("借据号"), lambda i: i.claim.filing.iou_number, width=18),
    enterprise=Col(_lazy("借款企业"), lambda i: i.claim.filing.enterprise_name, width=32,
                   sort="claim__filing__enterprise_name"),
    credit_code=Col(_lazy("统一社会信用代码"), lambda i: i.claim.filing.enterprise.credit_code,
                    width=22),
    base=Col(_lazy("不良贷款本金余额（元）"), lambda i: i.claim.base, "money", 18),
    compensation=Col(_lazy("补偿金额（元）"), lambda i: i.claim.compensation, "money", 18,
                     sort="claim__compensation"),
    paid_on=Col(_lazy("拨付日期"), _paid_on, "date", 12),
    status=Col(_lazy("申报状态"), lambda i: str(i.claim.get_status_display()), width=10),
    result=Col(_lazy("检查结论"), lambda i: str(i.get_result_display()), width=10,
               sort="result"),
    finding=Col(_lazy("检查发现"), lambda i: i.finding, width=48),
    recorded_by=Col(_lazy("记录人"), lambda i: i.recorded_by.username if i.recorded_by else "",
                    width=12),
    recorded_at=Col(_lazy("记录时间"), lambda i: i.recorded_at, "datetime", 17,
                    sort="recorded_at"),
)
ITEM_COLUMNS = ITEM.export("claim", "bank", "scheme", "iou", "enterprise", "credit_code", "base",
                           "compensation", "paid_on", "status", "result", "finding",
                           "recorded_by", "recorded_at")


@role_required(*READERS)
@require_safe
def spotcheck_detail(request: HttpRequest, pk: int) -> HttpResponse:
    check = get_object_or_404(SpotCheck.objects.select_related("drawn_by"), pk=pk)
    items = _items(check)
    listing = build_listing(
        request, items,
        search_fields=("claim__number", "claim__filing__iou_number",
                       "claim__filing__enterprise_name", "claim__bank__name", "finding"),
        filters=(
            Filter("result", str(_("检查结论")), "result", RESULT_FILTER),
            Filter("scheme", str(_("政策")), "claim__scheme", tuple(Scheme.choices)),
        ),
        columns=ITEM.listing("claim", "bank", "enterprise", "scheme", "compensation", "result",
                             "recorded_at"),
        default_sort="claim",
    )
    if wants_xlsx(request):
        return xlsx_response(listing.page.paginator.object_list, ITEM_COLUMNS,
                             title=_("%(y)d年度抽查") % {"y": check.year},
                             filename=f"spot-check-{check.year}")
    counts = dict(items.order_by().values_list("result").annotate(n=Count("id")))
    return render(request, "claims/spotcheck/detail.html", {
        "check": check, "listing": listing,
        "counts": [(v, label, counts.get(v, 0)) for v, label in SpotCheckItem.Result.choices],
        "can_record": role_of(request.user) == Role.REVIEWER,
    })


@role_required(*READERS)
def spotcheck_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One sampled loan: its facts and, for a reviewer, the form recording the finding."""
    item = get_object_or_404(SpotCheckItem.objects.select_related(
        "spot_check", "claim", "claim__bank", "claim__filing", "claim__filing__enterprise",
        "claim__payment", "recorded_by"), pk=pk)
    can_record = role_of(request.user) == Role.REVIEWER
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied(_("只有托管机构审核人员可以记录抽查结论。"))
        form = SpotCheckRecordForm(request.POST)
        if form.is_valid():
            with service_errors_on(form):
                spot_check_record(item=item, actor=request.user, **form.cleaned_data)
                messages.success(request, _("已记录申报 %(n)s 的抽查结论。") % {
                    "n": item.claim.number})
                return redirect("claims:spotcheck_detail", pk=item.spot_check_id)
    else:
        initial = ({"result": item.result, "finding": item.finding}
                   if item.result != SpotCheckItem.Result.PENDING else {})
        form = SpotCheckRecordForm(initial=initial)
    return render(request, "claims/spotcheck/item.html", {
        "item": item, "claim": item.claim, "payment": _payment(item.claim),
        "form": form if can_record else None,
        # A finding recorded again replaces the one shown; the trail keeps every earlier one.
        **trail_context(request.user, item),
    })

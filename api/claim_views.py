"""The bank API's claims with documents: file a claim (补偿申报), answer a request for supplements
(补正), list and read recoveries, record a return (返还). Each write goes through the bank
officer's form and the one service its screen calls (the stage's ``services``): the same document
checks, the same refusals, deadlines, history rows and audit trail. A key reaches its own bank's
claims and recoveries only: another bank's are 404."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, QuerySet, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from claims.filing.forms import ClaimForm, SupplementAnswerForm
from claims.filing.selectors import claim_check
from claims.filing.services import MAX_SUPPLEMENT_FILES, claim_resubmit, claim_submit
from claims.models import Claim, Recovery
from claims.payment.forms import ReturnForm
from claims.payment.selectors import recovery_list_of_bank
from claims.payment.services import return_record
from fund.selectors import policy_context
from riskcomp.choices import Scheme
from riskcomp.policy.reasons import PolicyError, Refusal

from . import serializers as s
from . import views
from .errors import ApiError, error
from .uploads import FormInput, read_form
from .views import (
    IDEMPOTENCY_PARAMETER,
    ApiView,
    FilingPagination,
    choice_filter,
    date_range_filter,
    idempotent,
)

Errors = tuple[dict[str, Any], int]


def _policy_errors(exc: PolicyError) -> Errors:
    """The reasons the rules gave, each with its code and Chinese message (422)."""
    reasons = exc.reasons if isinstance(exc, Refusal) else (exc.reason,)
    return {"errors": [error(str(r.code), str(r.message)) for r in reasons]}, 422


def _invalid(exc: ValidationError) -> Errors:
    found = exc.error_dict if hasattr(exc, "error_dict") else {"": exc.error_list}
    return {"errors": views._form_errors(found)}, 422


def _upload_limit(files: int) -> int:
    """A body with ``files`` documents of the largest size allowed, and its fields."""
    return int(min(files * settings.RISKCOMP_MAX_UPLOAD_BYTES + 1024 * 1024,
                   settings.RISKCOMP_API_MAX_REQUEST_BYTES))


def _claims_of(key: Any) -> QuerySet[Claim]:
    return Claim.objects.filter(bank=key.bank).select_related("filing")


# --- Claim ----------------------------------------------------------------------------------------

CLAIM_FIELDS = ("filing_id", "base")


class ClaimsView(views.ClaimsView):
    """``GET``: the bank's claims (``views.ClaimsView``); ``POST``: file a claim."""

    @extend_schema(
        summary="提交补偿申报（随附五项材料）",
        description="以 multipart/form-data 提交：filing_id、base 及五项材料文件。先按政策判定"
                    "该笔贷款能否申报（未分类为不良、逾期申报、银行暂停等退回原因及代码），再检查"
                    "基数与材料（类型、大小、含JavaScript的PDF），与银行经办人员的申报页面相同。",
        request={"multipart/form-data": s.ClaimInSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: s.ClaimDetailSerializer, 400: s.ErrorsSerializer,
                   404: s.ErrorsSerializer, 415: s.ErrorsSerializer, 422: s.ErrorsSerializer})
    def post(self, request: Request) -> HttpResponse:
        key = self.key

        def handle(given: FormInput) -> Errors:
            text = (given.data.get("filing_id") or "").strip()
            if not text:
                return {"errors": [error("REQUIRED", _("请填写 filing_id（备案编号）。"),
                                         "filing_id")]}, 422
            if not text.isascii() or not text.isdigit() or len(text) > 18:
                return {"errors": [error("INVALID", _("filing_id 须为备案编号（正整数）。"),
                                         "filing_id")]}, 422
            filing = views._filings_of(key).filter(pk=int(text)).first()
            if filing is None:  # another bank's loan is not this key's business
                return {"errors": [error("NOT_FOUND", _("本行没有该笔备案。"), "filing_id")]}, 404
            ctx = policy_context()
            # As the screen: the rules' refusals before anything about the documents.
            check = claim_check(filing=filing, on=timezone.localdate(), ctx=ctx)
            if check.refusals:
                return _policy_errors(Refusal(check.refusals))
            form = ClaimForm(given.data, given.files, outstanding=filing.outstanding_principal)
            for name in ClaimForm.DOCUMENT_FIELDS:  # a missing one is the service's to name
                form.fields[name].required = False
            if not form.is_valid():
                return {"errors": views._form_errors(form.errors.as_data())}, 422
            try:
                claim = claim_submit(filing=filing, base=form.cleaned_data["base"],
                                     documents=form.documents(), actor=key.user,
                                     ctx=ctx)
            except PolicyError as exc:
                return _policy_errors(exc)
            except ValidationError as exc:
                return _invalid(exc)
            return s.ClaimDetailSerializer(claim).data, 201

        return idempotent(self, handle, limit=_upload_limit(len(ClaimForm.DOCUMENT_FIELDS)),
                          reader=read_form(fields=CLAIM_FIELDS,
                                           files=ClaimForm.DOCUMENT_FIELDS))


class SupplementsView(ApiView):
    @extend_schema(
        summary="答复补充材料要求（补正）并重新提交申报",
        description="multipart/form-data：answer 及 documents（可多个）；不附文件时也可用JSON "
                    "{\"answer\": \"…\"}。申报须处于“待补充材料”状态。",
        request={"multipart/form-data": s.SupplementInSerializer,
                 "application/json": s.SupplementInSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: s.ClaimDetailSerializer, 400: s.ErrorsSerializer,
                   404: s.ErrorsSerializer, 422: s.ErrorsSerializer})
    def post(self, request: Request, pk: int) -> HttpResponse:
        claim = get_object_or_404(_claims_of(self.key), pk=pk)
        actor = self.key.user

        def handle(given: FormInput) -> Errors:
            if claim.status != Claim.Status.SUPPLEMENT_REQUESTED:
                return {"errors": [error("WRONG_STATE", _(
                    "该申报没有待答复的补充材料要求。"))]}, 422
            form = SupplementAnswerForm(given.data, given.files)
            if not form.is_valid():
                return {"errors": views._form_errors(form.errors.as_data())}, 422
            try:
                done = claim_resubmit(claim=claim, answer=form.cleaned_data["answer"],
                                      documents=form.cleaned_data["documents"],
                                      actor=actor)
            except PolicyError as exc:
                return _policy_errors(exc)
            except ValidationError as exc:
                return _invalid(exc)
            return s.ClaimDetailSerializer(done).data, 200

        return idempotent(self, handle, limit=_upload_limit(MAX_SUPPLEMENT_FILES),
                          reader=read_form(fields=("answer",), files=("documents",),
                                           json_allowed=True))


# --- Recoveries and returns -----------------------------------------------------------------------

RETURN_STATES = ("pending", "overdue", "returned", "none")


def _recoveries_of(key: Any) -> QuerySet[Recovery]:
    """The bank's recoveries, each with its return state, as the recoveries screen lists them."""
    return recovery_list_of_bank(bank_id=key.bank_id).annotate(return_state=Case(
        When(return_payment__isnull=False, then=Value("returned")),
        When(return_amount__lte=0, then=Value("none")),
        When(is_overdue=True, then=Value("overdue")),
        default=Value("pending"), output_field=CharField()))


class RecoveryListView(ApiView):
    @extend_schema(
        summary="追偿回收列表（含应返还金额、期限与返还登记）",
        responses=s.RecoveryListSerializer(many=True),
        parameters=[
            OpenApiParameter("claim", int, description="申报的 id"),
            OpenApiParameter("scheme", str, enum=[c for c, _l in Scheme.choices]),
            OpenApiParameter("state", str, enum=list(RETURN_STATES),
                             description="返还状态"),
            OpenApiParameter("recovered_from", OpenApiTypes.DATE),
            OpenApiParameter("recovered_to", OpenApiTypes.DATE),
            OpenApiParameter("page", int), OpenApiParameter("page_size", int,
                                                            description="至多1000，默认100")])
    def get(self, request: Request) -> Response:
        qs = _recoveries_of(self.key).order_by("-recovered_on", "-id")
        params = request.query_params
        claim = params.get("claim")
        if claim:
            if not claim.isascii() or not claim.isdigit() or len(claim) > 18:
                raise ApiError(400, "INVALID", _("claim 须为申报的 id（正整数）。"), "claim")
            qs = qs.filter(claim_id=int(claim))
        qs = choice_filter(qs, request, "scheme", Scheme.values, "claim__scheme")
        qs = choice_filter(qs, request, "state", RETURN_STATES, "return_state")
        qs = date_range_filter(qs, request, "recovered", "recovered_on")
        paginator = FilingPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(s.RecoveryListSerializer(page, many=True).data)


class RecoveryDetailView(ApiView):
    @extend_schema(summary="追偿回收详情", responses=s.RecoveryListSerializer)
    def get(self, request: Request, pk: int) -> Response:
        recovery = get_object_or_404(_recoveries_of(self.key), pk=pk)
        return Response(s.RecoveryListSerializer(recovery).data)


class ReturnsView(ApiView):
    @extend_schema(
        summary="登记返还（追偿回收按补偿比例返还资金账户）",
        description="multipart/form-data：amount、returned_on、reference，科技创新类贷款另附 "
                    "reconciliation_statement（返还对账单）；不附文件时也可用JSON。金额须等于"
                    "平台计算的应返还金额；每笔回收登记一次。",
        request={"multipart/form-data": s.ReturnInSerializer,
                 "application/json": s.ReturnInSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: s.ReturnSerializer, 400: s.ErrorsSerializer, 404: s.ErrorsSerializer,
                   422: s.ErrorsSerializer})
    def post(self, request: Request, pk: int) -> HttpResponse:
        recovery = get_object_or_404(recovery_list_of_bank(bank_id=self.key.bank.pk), pk=pk)
        actor = self.key.user

        def handle(given: FormInput) -> Errors:
            form = ReturnForm(given.data, given.files,
                              tech=recovery.claim.scheme == Scheme.TECH)
            if not form.is_valid():
                return {"errors": views._form_errors(form.errors.as_data())}, 422
            try:
                payment = return_record(recovery=recovery, actor=actor,
                                        **form.cleaned_data)
            except PolicyError as exc:
                return _policy_errors(exc)
            except ValidationError as exc:
                return _invalid(exc)
            return s.ReturnSerializer(payment).data, 201

        return idempotent(self, handle, limit=_upload_limit(1),
                          reader=read_form(fields=("amount", "returned_on", "reference"),
                                           files=("reconciliation_statement",),
                                           json_allowed=True))

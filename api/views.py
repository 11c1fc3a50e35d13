"""The bank API, version 1. Thin: who calls (``api.auth``), what they send (JSON read once), one
service call, the JSON answer. A key sees its own bank's records only: another bank's are 404."""

import hashlib
import json
import time
import zlib
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import pagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from banks.models import SuspensionState
from banks.selectors import with_threshold_figures
from claims.models import Claim
from claims.payment.forms import RecoveryForm
from claims.payment.services import recovery_report
from fund.selectors import policy_context
from loans.import_services import ClassificationRequest, classifications_commit
from loans.importing import classification_rows
from loans.models import LoanFiling
from riskcomp.audit import AuditMiddleware, audit_context
from riskcomp.body_limit import declared_length
from riskcomp.choices import Scheme
from riskcomp.policy.credit_code import normalize_credit_code
from riskcomp.policy.reasons import PolicyError

from . import serializers as s
from .errors import ApiError, error
from .models import ApiKey, IdempotentResponse
from .services import RowRefused, api_call_record, filings_submit, raw_row

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 100
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="写操作必填，至多100个可见ASCII字符（如UUID）。同一幂等键、同一请求体：返回首次的"
                "响应；同一幂等键、不同请求体：422 IDEMPOTENCY_KEY_REUSED。")


class ApiView(APIView):
    """Every call is logged with its key (``ApiCall``); changes are audited in the key's name."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        with translation.override("zh-hans"):
            response = super().dispatch(request, *args, **kwargs)
        key = getattr(getattr(self, "request", None), "_auth", None)
        api_call_record(key=key if isinstance(key, ApiKey) else None, method=request.method,
                        path=request.path, status=response.status_code,
                        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
                        remote_addr=AuditMiddleware._get_remote_addr(request),
                        duration_ms=int((time.perf_counter() - started) * 1000))
        return response

    @property
    def key(self) -> ApiKey:
        key = self.request.auth
        assert isinstance(key, ApiKey)  # noqa: S101 - KeyScope let no other request through
        return key


def _json_response(data: Any, status: int) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                        status=status, content_type="application/json")


def read_json(request: Request, limit: int | None = None) -> Any:
    """The body as JSON, read once, numbers kept as their text (a Decimal's exact digits; no
    float, no giant integer conversion). Malformed input is a 400 with a code, never a 500."""
    django_request = request._request
    limit = limit or settings.RISKCOMP_API_MAX_REQUEST_BYTES
    if declared_length(django_request) > limit:
        raise ApiError(413, "TOO_LARGE", _("请求体过大，上限为 %(mb)s MB。") % {
            "mb": limit // 1048576})
    content_type = django_request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                       _("请求体须为JSON，Content-Type: application/json。"))
    # Kept on the request: read_json_digest hashes the very bytes the JSON was parsed from.
    body = getattr(request, "_api_body", None)
    if body is None:
        body = django_request.read(limit + 1)
        request._api_body = body  # type: ignore[attr-defined]
    try:
        return json.loads(body, parse_int=str, parse_float=str, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "MALFORMED_JSON",
                       _("请求体不是有效的JSON（须为UTF-8编码的JSON）。")) from None


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def read_json_digest(request: Request, limit: int | None = None) -> tuple[Any, str]:
    """The JSON body and the SHA-256 of its bytes (what makes two requests "the same")."""
    data = read_json(request, limit)
    return data, hashlib.sha256(request._api_body).hexdigest()  # type: ignore[attr-defined]


def idempotent(view: ApiView, handler: Callable[[Any], tuple[Any, int]],
               limit: int | None = None,
               reader: Callable[[Request, int | None], tuple[Any, str]] = read_json_digest,
               ) -> HttpResponse:
    """Run a write once per ``Idempotency-Key`` of the key: the first response (any but a 5xx)
    is stored with the write in one transaction and given again to the same key with the same
    body; the same key with another body is refused (422). Two requests with the same key at
    once: the second waits on the first's row and then gets its response. ``reader`` gives the
    request's input and its digest (JSON by default; ``api.uploads.read_form`` for files)."""
    request = view.request
    idem = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not idem:
        raise ApiError(400, "IDEMPOTENCY_KEY_REQUIRED", _(
            "写操作须带 Idempotency-Key 请求头（如一个UUID），重试时使用同一个值。"),
                       IDEMPOTENCY_HEADER)
    if len(idem) > MAX_IDEMPOTENCY_KEY or not idem.isascii() or not idem.isprintable():
        raise ApiError(400, "IDEMPOTENCY_KEY_INVALID", _(
            "Idempotency-Key 须为至多100个可见ASCII字符。"), IDEMPOTENCY_HEADER)
    data, digest = reader(request, limit)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotentResponse.objects.create(
                    key=view.key, idempotency_key=idem, method=request.method or "",
                    path=request.path[:255], body_sha256=digest)
        except IntegrityError:
            earlier = IdempotentResponse.objects.get(key=view.key, idempotency_key=idem)
            if earlier.body_sha256 != digest or earlier.path != request.path[:255]:
                raise ApiError(422, "IDEMPOTENCY_KEY_REUSED", _(
                    "该 Idempotency-Key 已用于另一个请求（请求体不同），请为新的请求使用新的"
                    "幂等键。"), IDEMPOTENCY_HEADER) from None
            replay = HttpResponse(zlib.decompress(bytes(earlier.body)), status=earlier.status,
                                  content_type="application/json")
            replay["Idempotent-Replayed"] = "true"
            return replay
        with audit_context(actor=view.key.user, reason=_("银行接口（密钥 %(p)s）") % {
                "p": view.key.prefix}):
            payload, status = handler(data)
        content = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        IdempotentResponse.objects.filter(pk=record.pk).update(
            status=status, body=zlib.compress(content, 1))
    return HttpResponse(content, status=status, content_type="application/json")


# --- Filings ----------------------------------------------------------------------------------

class FilingPagination(pagination.PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        number = request.query_params.get(self.page_query_param) or 1
        if not str(number).isdigit():
            raise ApiError(400, "INVALID", _("page 须为正整数。"), "page")
        return number


def _date_param(request: Request, name: str) -> date | None:
    text = request.query_params.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "INVALID", _("%(n)s 须为日期，如 2026-07-15。") % {"n": name},
                       name) from None


def choice_filter(qs: QuerySet[Any], request: Request, name: str, allowed: Iterable[str],
                  column: str | None = None) -> QuerySet[Any]:
    """``qs`` narrowed by the query parameter ``name`` when given; 400 for a value not in
    ``allowed``."""
    value = request.query_params.get(name)
    if not value:
        return qs
    allowed = list(allowed)
    if value not in allowed:
        raise ApiError(400, "INVALID", _("%(n)s 只能是：%(v)s") % {
            "n": name, "v": "、".join(allowed)}, name)
    return qs.filter(**{column or name: value})


def date_range_filter(qs: QuerySet[Any], request: Request, prefix: str,
                      column: str) -> QuerySet[Any]:
    """``qs`` narrowed by ``<prefix>_from`` and ``<prefix>_to`` (ISO dates, both inclusive)."""
    since, until = _date_param(request, f"{prefix}_from"), _date_param(request, f"{prefix}_to")
    if since:
        qs = qs.filter(**{f"{column}__gte": since})
    if until:
        qs = qs.filter(**{f"{column}__lte": until})
    return qs


def _filings_of(key: ApiKey) -> QuerySet[LoanFiling]:
    return LoanFiling.objects.filter(bank=key.bank).select_related("enterprise", "branch")


class FilingsView(ApiView):
    @extend_schema(
        summary="备案列表", responses=s.FilingSerializer(many=True),
        parameters=[
            OpenApiParameter("status", str, enum=[c for c, _l in LoanFiling.Status.choices]),
            OpenApiParameter("scheme", str, enum=[c for c, _l in Scheme.choices]),
            OpenApiParameter("quarter", str, description="放款季度，如 2026Q3"),
            OpenApiParameter("drawdown_from", OpenApiTypes.DATE),
            OpenApiParameter("drawdown_to", OpenApiTypes.DATE),
            OpenApiParameter("page", int), OpenApiParameter("page_size", int,
                                                            description="至多1000，默认100")])
    def get(self, request: Request) -> Response:
        qs = _filings_of(self.key).order_by("-drawdown_date", "-id")
        params = request.query_params
        qs = choice_filter(qs, request, "status", LoanFiling.Status.values)
        qs = choice_filter(qs, request, "scheme", Scheme.values)
        quarter = params.get("quarter")
        if quarter:
            if len(quarter) != 6 or not quarter[:4].isdigit() or quarter[4:5] != "Q" \
                    or quarter[5] not in "1234":
                raise ApiError(400, "INVALID", _("quarter 须形如 2026Q3。"), "quarter")
            qs = qs.filter(quarter=quarter)
        qs = date_range_filter(qs, request, "drawdown", "drawdown_date")
        paginator = FilingPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(s.FilingSerializer(page, many=True).data)

    @extend_schema(summary="备案一笔贷款", request=s.FilingInSerializer,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: s.RowVerdictSerializer, 422: s.ErrorsSerializer,
                              400: s.ErrorsSerializer})
    def post(self, request: Request) -> HttpResponse:
        def handle(data: Any) -> tuple[Any, int]:
            try:
                raw_row(1, data)
            except RowRefused as exc:
                return {"errors": [exc.args[0]]}, 400
            verdict = filings_submit(bank=self.key.bank, rows=[data], actor=self.key.user,
                                     commit=True)[0]
            if not verdict.accepted:
                return {"errors": verdict.errors}, 422
            return verdict.as_json(), 201

        return idempotent(self, handle, limit=settings.RISKCOMP_MAX_REQUEST_BYTES)


class FilingBatchView(ApiView):
    @extend_schema(summary="批量备案（至多100,000笔）", request=s.FilingBatchInSerializer,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={200: s.FilingBatchOutSerializer, 400: s.ErrorsSerializer})
    def post(self, request: Request) -> HttpResponse:
        def handle(data: Any) -> tuple[Any, int]:
            if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
                return {"errors": [error("INVALID", _("请求体应为 {\"rows\": [...]} 形式的对象。"),
                                         "rows")]}, 400
            rows, commit = data["rows"], data.get("commit", True)
            if not isinstance(commit, bool):
                return {"errors": [error("INVALID_TYPE", _("commit 须为 true 或 false。"),
                                         "commit")]}, 400
            unknown = sorted(set(data) - {"rows", "commit"})
            if unknown:
                return {"errors": [error("UNKNOWN_FIELD", _("未知字段“%(f)s”") % {
                    "f": unknown[0][:40]}, unknown[0][:40])]}, 400
            if not rows:
                return {"errors": [error("REQUIRED", _("rows 不能为空。"), "rows")]}, 400
            if len(rows) > settings.RISKCOMP_API_MAX_BATCH_ROWS:
                return {"errors": [error("TOO_MANY_ROWS", _("一次至多提交 %(n)s 笔。") % {
                    "n": settings.RISKCOMP_API_MAX_BATCH_ROWS}, "rows")]}, 400
            verdicts = filings_submit(bank=self.key.bank, rows=rows, actor=self.key.user,
                                      commit=commit)
            accepted = sum(v.accepted for v in verdicts)
            return {"committed": commit, "total": len(verdicts), "accepted": accepted,
                    "rejected": len(verdicts) - accepted,
                    "rows": [v.as_json() for v in verdicts]}, 200

        return idempotent(self, handle)


class FilingDetailView(ApiView):
    @extend_schema(summary="备案详情（含五级分类记录）", responses=s.FilingDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        filing = get_object_or_404(_filings_of(self.key).prefetch_related("classifications"),
                                   pk=pk)
        return Response(s.FilingDetailSerializer(filing).data)


class ClassificationsView(ApiView):
    @extend_schema(summary="报送五级分类", request=s.ClassificationInSerializer,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: s.ClassificationSerializer, 422: s.ErrorsSerializer})
    def post(self, request: Request, pk: int) -> HttpResponse:
        filing = get_object_or_404(_filings_of(self.key), pk=pk)

        def handle(data: Any) -> tuple[Any, int]:
            """The classification import's cleaning and checks, for one row of this loan."""
            if not isinstance(data, dict):
                return {"errors": [error("INVALID_TYPE", _("请求体应为JSON对象。"))]}, 400
            unknown = sorted(set(data) - {"classification", "classified_on", "note"})
            if unknown:
                return {"errors": [error("UNKNOWN_FIELD", _("未知字段“%(f)s”") % {
                    "f": unknown[0][:40]}, unknown[0][:40])]}, 400
            from .services import _cell

            try:
                cells = [_cell(n, data.get(n)) for n in ("classification", "classified_on",
                                                          "note")]
            except RowRefused as exc:
                return {"errors": [exc.args[0]]}, 400
            cleaned = classification_rows([[1, filing.iou_number, *cells]])[0]
            if cleaned.errors:
                return {"errors": [error("INVALID", e) for e in cleaned.errors]}, 422
            reports, evaluations = classifications_commit(
                bank=self.key.bank, requests=[ClassificationRequest(**cleaned.request)],
                actor=self.key.user)
            if not reports:
                return {"errors": [error(code or "INVALID", message)
                                   for code, message in evaluations[0].problems]}, 422
            return s.ClassificationSerializer(reports[0]).data, 201

        return idempotent(self, handle, limit=settings.RISKCOMP_MAX_REQUEST_BYTES)


# --- Enterprises --------------------------------------------------------------------------------

class EnterpriseView(ApiView):
    @extend_schema(summary="按统一社会信用代码查询本行备案过的企业",
                   responses=s.EnterpriseSerializer)
    def get(self, request: Request, credit_code: str) -> Response:
        code = normalize_credit_code(credit_code)[:18]
        if not code.isascii() or not code.isalnum():  # a credit code is 18 letters and digits
            raise ApiError(404, "NOT_FOUND", _("本行没有该企业的备案。"))
        filings = list(_filings_of(self.key).filter(enterprise__credit_code=code)
                       .order_by("-filed_on", "-id")[:1000])
        if not filings:  # another bank's borrower is not this key's business
            raise ApiError(404, "NOT_FOUND", _("本行没有该企业的备案。"))
        return Response(s.EnterpriseSerializer({
            "credit_code": code, "name": filings[0].enterprise_name, "filings": filings}).data)


# --- Claims and suspension ----------------------------------------------------------------------

class ClaimPagination(FilingPagination):
    pass


class ClaimsView(ApiView):
    @extend_schema(summary="补偿申报列表", responses=s.ClaimSerializer(many=True), parameters=[
        OpenApiParameter("status", str, enum=[c for c, _l in Claim.Status.choices]),
        OpenApiParameter("page", int), OpenApiParameter("page_size", int)])
    def get(self, request: Request) -> Response:
        qs = (Claim.objects.filter(bank=self.key.bank).select_related("filing")
              .order_by("-submitted_at", "-id"))
        qs = choice_filter(qs, request, "status", Claim.Status.values)
        paginator = ClaimPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(s.ClaimSerializer(page, many=True).data)


class ClaimDetailView(ApiView):
    @extend_schema(summary="补偿申报详情（状态、补充材料要求）", responses=s.ClaimDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        claim = get_object_or_404(Claim.objects.filter(bank=self.key.bank)
                                  .select_related("filing").prefetch_related("supplements"),
                                  pk=pk)
        return Response(s.ClaimDetailSerializer(claim).data)


class SuspensionView(ApiView):
    @extend_schema(summary="本行各政策的暂停状态及距各暂停阈值的余量",
                   responses=s.SuspensionSerializer(many=True))
    def get(self, request: Request) -> Response:
        policy, today = policy_context(), timezone.localdate()
        known = {st.scheme: st for st in SuspensionState.objects.filter(bank=self.key.bank)}
        rows = [with_threshold_figures(known.get(scheme) or SuspensionState(
            bank=self.key.bank, scheme=scheme), policy, today) for scheme in Scheme]
        return Response(s.SuspensionSerializer(rows, many=True).data)


class RecoveriesView(ApiView):
    @extend_schema(summary="报送追偿回收（已拨付的申报）", request=s.RecoveryInSerializer,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: s.RecoverySerializer, 422: s.ErrorsSerializer})
    def post(self, request: Request, pk: int) -> HttpResponse:
        claim = get_object_or_404(Claim.objects.filter(bank=self.key.bank), pk=pk)

        def handle(data: Any) -> tuple[Any, int]:
            """The screen's form and service: the same checks, deadlines and return."""
            if not isinstance(data, dict):
                return {"errors": [error("INVALID_TYPE", _("请求体应为JSON对象。"))]}, 400
            form = RecoveryForm(_form_data(data, RecoveryForm))
            if not form.is_valid():
                return {"errors": _form_errors(form.errors.as_data())}, 422
            if not form.cleaned_data.get("notified_on"):
                form.cleaned_data.pop("notified_on", None)
            try:
                recovery = recovery_report(claim=claim, actor=self.key.user, **form.cleaned_data)
            except PolicyError as exc:
                return {"errors": [error(str(exc.code), str(exc.message))]}, 422
            except ValidationError as exc:
                return {"errors": _form_errors(exc.error_dict if hasattr(exc, "error_dict")
                                               else {"": exc.error_list})}, 422
            return s.RecoverySerializer(recovery).data, 201

        return idempotent(self, handle, limit=settings.RISKCOMP_MAX_REQUEST_BYTES)


def _form_data(data: dict[str, Any], form_class: Any) -> dict[str, str]:
    """JSON values as the texts a browser posts; a name the form does not know is refused."""
    from .services import _cell

    known = set(form_class.base_fields)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ApiError(400, "UNKNOWN_FIELD", _("未知字段“%(f)s”") % {"f": unknown[0][:40]},
                       unknown[0][:40])
    try:
        cells = {name: _cell(name, value) for name, value in data.items()}
    except RowRefused as exc:
        raise ApiError(400, "INVALID", "", errors=[exc.args[0]]) from None
    return {name: text for name, text in cells.items() if text is not None}


def _form_errors(errors: dict[str, list[ValidationError]]) -> list[dict[str, str]]:
    return [error(str(e.code or "invalid").upper(), " ".join(e.messages), "" if name in (
        None, "__all__", "") else name) for name, found in errors.items() for e in found]

"""Every error of the API as ``{"errors": [{"code", "field", "message"}]}``, messages in Chinese."""

from typing import Any

from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response


class ApiError(exceptions.APIException):
    """An error the client caused: its status, code, the field it concerns and the message."""

    def __init__(self, status_code: int, code: str, message: str, field: str = "",
                 errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.errors = errors or [error(code, message, field)]


def error(code: str, message: str, field: str = "") -> dict[str, str]:
    return {"code": code, "field": field, "message": str(message)}


def errors_response(status_code: int, errors: list[dict[str, str]],
                    headers: dict[str, str] | None = None) -> Response:
    return Response({"errors": errors}, status=status_code, headers=headers)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exceptions (authentication, permission, throttle, parse errors, 404) in our shape."""
    with translation.override("zh-hans"):
        headers: dict[str, str] = {}
        if isinstance(exc, ApiError):
            return errors_response(exc.status_code, exc.errors)
        if isinstance(exc, Http404 | exceptions.NotFound):
            return errors_response(404, [error("NOT_FOUND", _("没有找到该记录。"))])
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            detail = (str(exc.detail) if isinstance(exc, exceptions.AuthenticationFailed)
                      else _("缺少接口密钥：请在请求头中提供 Authorization: Bearer <密钥>。"))
            return errors_response(401, [error("UNAUTHENTICATED", detail)],
                                   {"WWW-Authenticate": 'Bearer realm="api"'})
        if isinstance(exc, exceptions.Throttled):
            # Throttled.__init__ sets ``wait`` (seconds, None when unknown); the stubs omit it.
            seconds: float = exc.wait or 1  # type: ignore[attr-defined]
            wait = int(seconds) + (0 if float(seconds).is_integer() else 1)
            headers["Retry-After"] = str(max(wait, 1))
            return errors_response(429, [error("RATE_LIMITED", _(
                "请求过于频繁，请在 %(s)s 秒后重试。") % {"s": headers["Retry-After"]})], headers)
        if isinstance(exc, exceptions.PermissionDenied):
            return errors_response(403, [error("FORBIDDEN", str(exc.detail))])
        if isinstance(exc, exceptions.ParseError):
            return errors_response(400, [error("MALFORMED_JSON", _(
                "请求体不是有效的JSON（须为UTF-8编码的JSON对象）。"))])
        if isinstance(exc, exceptions.UnsupportedMediaType):
            return errors_response(415, [error("UNSUPPORTED_MEDIA_TYPE", _(
                "请求体须为JSON，Content-Type: application/json。"))])
        if isinstance(exc, exceptions.MethodNotAllowed):
            return errors_response(405, [error("METHOD_NOT_ALLOWED", _("不支持该请求方法。"))])
        if isinstance(exc, exceptions.NotAcceptable):
            return errors_response(406, [error("NOT_ACCEPTABLE", _("本接口只返回JSON。"))])
        if isinstance(exc, exceptions.ValidationError):
            return errors_response(status.HTTP_400_BAD_REQUEST, _flatten(exc.detail))
        if isinstance(exc, exceptions.APIException):
            return errors_response(exc.status_code, [error(str(exc.default_code).upper(),
                                                           str(exc.detail))])
    return None


def _flatten(detail: Any, field: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        return [e for k, v in detail.items() for e in _flatten(v, k if not field
                                                               else f"{field}.{k}")]
    if isinstance(detail, list):
        return [e for v in detail for e in _flatten(v, field)]
    return [error(str(getattr(detail, "code", "invalid")).upper(), str(detail), field)]

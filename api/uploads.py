"""Writes that carry documents: a ``multipart/form-data`` body read as the portal's screens read
their forms (``request.POST`` and ``request.FILES``), so that the screens' forms and services
judge it. Where documents are optional the same fields may come as a JSON object instead.

Two sends of the same request differ in their multipart boundary, so the digest that makes a
write idempotent is taken over what the body says (each field's values, each file's name and
SHA-256), not over its bytes."""

import hashlib
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from rest_framework.request import Request

from riskcomp.body_limit import declared_length

from .errors import ApiError
from .services import RowRefused, _cell
from .views import read_json_digest

MULTIPART = "multipart/form-data"
JSON = "application/json"


@dataclass
class FormInput:
    """What a form gets: the fields' texts and the uploaded files."""

    data: QueryDict
    files: MultiValueDict[str, Any] = field(default_factory=MultiValueDict)


def _content_type(request: Request) -> str:
    return str(request._request.META.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()


def _refuse_unknown(names: Collection[str], known: Collection[str]) -> None:
    unknown = sorted(set(names) - set(known))
    if unknown:
        name = str(unknown[0])[:40]
        raise ApiError(400, "UNKNOWN_FIELD", _("未知字段“%(f)s”") % {"f": name}, name)


def _file_digest(upload: Any) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _multipart(request: Request, known: Collection[str]) -> tuple[FormInput, str]:
    django_request = request._request
    try:
        data, files = django_request.POST, django_request.FILES
    except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
        raise ApiError(400, "MALFORMED_MULTIPART", _(
            "请求体不是有效的 multipart/form-data（字段或文件过多，或格式不正确）。")) from None
    _refuse_unknown([*data.keys(), *files.keys()], known)
    said = {
        "fields": sorted((name, data.getlist(name)) for name in data),
        "files": sorted((name, [(f.name, f.size, _file_digest(f)) for f in files.getlist(name)])
                        for name in files),
    }
    canonical = json.dumps(said, ensure_ascii=False, sort_keys=True).encode()
    return FormInput(data=data, files=files), hashlib.sha256(canonical).hexdigest()


def _json(request: Request, limit: int | None, known: Collection[str]) -> tuple[FormInput, str]:
    body, digest = read_json_digest(request, limit)
    if not isinstance(body, dict):
        raise ApiError(400, "INVALID_TYPE", _("请求体应为JSON对象。"))
    _refuse_unknown(body, known)
    data = QueryDict(mutable=True)
    try:
        for name, value in body.items():
            text = _cell(name, value)
            if text is not None:
                data[name] = text
    except RowRefused as exc:
        raise ApiError(400, "INVALID", "", errors=[exc.args[0]]) from None
    return FormInput(data=data), digest


def read_form(*, fields: Collection[str], files: Collection[str] = (),
              json_allowed: bool = False) -> Callable[[Request, int | None],
                                                      tuple[FormInput, str]]:
    """A reader for ``api.views.idempotent``: the body as ``FormInput`` and its digest.
    ``fields`` and ``files`` are the names it may carry; any other is refused (400)."""

    def read(request: Request, limit: int | None) -> tuple[FormInput, str]:
        limit = limit or settings.RISKCOMP_API_MAX_REQUEST_BYTES
        if declared_length(request._request) > limit:
            raise ApiError(413, "TOO_LARGE", _("请求体过大，上限为 %(mb)s MB。") % {
                "mb": limit // 1048576})
        content_type = _content_type(request)
        if content_type == MULTIPART:
            return _multipart(request, [*fields, *files])
        if json_allowed and content_type == JSON:
            return _json(request, limit, fields)
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", _(
            "请求体须为 multipart/form-data（随附材料文件），不附文件时也可为 application/json。")
            if json_allowed else _("请求体须为 multipart/form-data（随附材料文件）。"))

    return read

"""The size of a request body, bounded in Django itself (not only by the reverse proxy): a
request that declares more than ``RISKCOMP_MAX_REQUEST_BYTES`` is answered with the portal's 413
page before anything reads its body (the CSRF check reads the form, an upload is spooled to
disk). A body sent without a length is not read by Django at all (WSGI gives it no bytes)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import errors


def declared_length(request: HttpRequest) -> int:
    """The body's length as the client declares it; 0 when absent or not a number."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.RISKCOMP_MAX_REQUEST_BYTES
        if request.path.startswith("/api/"):  # a batch of 100,000 filings as JSON
            limit = settings.RISKCOMP_API_MAX_REQUEST_BYTES
        if declared_length(request) > limit:
            return errors.request_too_large(request, limit)
        return self.get_response(request)

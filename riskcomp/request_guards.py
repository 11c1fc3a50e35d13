"""Checks that apply to every request before any view sees it.

- ``PermissionsPolicyMiddleware``: the portal uses no camera, microphone, location, payment or
  other powerful browser feature; the ``Permissions-Policy`` header says so on every response,
  so that nothing injected into a page could ask for them.
- ``NulByteMiddleware``: PostgreSQL text cannot hold a NUL character, so a query parameter with
  one (``?q=x%00y``) would fail deep in a list's search as a server error. No legitimate form or
  link sends one: the request is answered with the portal's 400 page before any view runs.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import errors

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
    "magnetometer", "microphone", "midi", "payment", "publickey-credentials-get",
    "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
))


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def has_nul(request: HttpRequest) -> bool:
    """A NUL character in any query parameter's name or value."""
    return any("\x00" in key or any("\x00" in v for v in values)
               for key, values in request.GET.lists())


class NulByteMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            return errors.bad_request(request)
        return self.get_response(request)

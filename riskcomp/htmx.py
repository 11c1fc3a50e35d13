"""The request type of a view that reads ``request.htmx``.

django-htmx's middleware (settings.MIDDLEWARE) sets the attribute on every request; Django's
HttpRequest does not declare it, so such a view annotates its request with this type, as
django-htmx's documentation recommends."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails

"""What the portal keeps in the session about how the user proved who they are, and the rules
built on it: who needs a second factor, and when a sensitive action asks for the password again.

Session values (all plain JSON):
- ``LOGIN_AT``: Unix time of the password login; the session ends 12 hours after it.
- ``SEEN_AT``: Unix time of the last request, kept to the minute; 30 minutes after it the
  session is over.
- ``VERIFIED_AT``: Unix time the user last proved it is them (password at login, TOTP token, or
  the "confirm your password" page); ``reauth_required`` compares against it.
- ``SESSION_KEY``: the session key the ``UserSession`` row was written for, to notice a key cycled
  by a password change.
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from riskcomp.roles import Role, role_of

LOGIN_AT = "riskcomp_login_at"
SEEN_AT = "riskcomp_seen_at"
VERIFIED_AT = "riskcomp_verified_at"
SESSION_KEY = "riskcomp_session_key"
PENDING_TOTP_KEY = "riskcomp_pending_totp_key"
# The enrolment code the user has typed and the server accepted (its row id), until bound.
ENROLMENT_GRANT_KEY = "riskcomp_totp_enrolment_grant"

# The roles that pay, confirm, read everything or administer: a stolen password alone must not
# be enough for them. Bank officers see only their own bank and are not required.
TWO_FACTOR_ROLES = frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})


def two_factor_required(user: Any) -> bool:
    return bool(settings.RISKCOMP_2FA_REQUIRED) and role_of(user) in TWO_FACTOR_ROLES


def mark_verified(request: HttpRequest) -> None:
    """The user has just proved it is them (password or TOTP token)."""
    request.session[VERIFIED_AT] = time.time()


def verified_within(request: HttpRequest, seconds: int) -> bool:
    at = request.session.get(VERIFIED_AT)
    return isinstance(at, int | float) and 0 <= time.time() - at <= seconds


def safe_next(request: HttpRequest, candidate: str | None, default: str = "home") -> str:
    """``candidate`` if it stays on this site, otherwise the URL named ``default``."""
    if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return reverse(default)


def _return_to(request: HttpRequest) -> str:
    """Where to come back after confirming the password. A GET comes back to itself; a POST can't
    be replayed, so it comes back to the page that showed the form (the Referer, when it is ours)
    and the user submits again."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        parsed = urlparse(referer)
        return parsed.path + (f"?{parsed.query}" if parsed.query else "")
    return request.path


def reauth_required(max_age: int = 300) -> Callable[[Callable[..., HttpResponse]],
                                                    Callable[..., HttpResponse]]:
    """View decorator for money-moving and confirming actions: if the user last proved it is them
    more than ``max_age`` seconds ago, ask for the password first (accounts:reauth), then return.
    Put it under the role check, so a user without the role still gets 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if verified_within(request, max_age):
                return view(request, *args, **kwargs)
            if request.method not in ("GET", "HEAD"):
                messages.info(request, _("为保障资金安全，请先确认密码，然后重新提交。"))
            query = urlencode({"next": _return_to(request)})
            return redirect(f"{reverse('accounts:reauth')}?{query}")

        return wrapped

    return decorator

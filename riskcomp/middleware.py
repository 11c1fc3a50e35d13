"""Session and sign-in rules applied to every request.

- ``SessionLifetimeMiddleware``: a session ends after 30 minutes without a request
  (SESSION_COOKIE_AGE) and 12 hours after login whatever the activity (RISKCOMP_SESSION_MAX_AGE).
  Activity is stamped in the session at most once a minute (RISKCOMP_SESSION_TOUCH_EVERY), and
  that save pushes the session row's expiry 30 minutes ahead, so an idle session also dies on the
  server. Saving on every request (SESSION_SAVE_EVERY_REQUEST) would do the same with a write per
  request, htmx polls included. It also keeps the "my sessions" register in step when a password
  change gives the session a new key.
- ``TwoFactorMiddleware``: a user whose role needs a second factor and who has not given a TOTP
  token in this session is sent to the 2FA step from every page except that step and logout.
- ``ReadOnlyRoleMiddleware``: auditors read; a request of theirs that could change something
  (any method but GET, HEAD, OPTIONS) is refused with 403 unless it is about their own session,
  language, password, second factor or notifications.
"""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import services
from accounts.roles import Role, role_of
from accounts.security import LOGIN_AT, SEEN_AT, SESSION_KEY, two_factor_required


def _htmx_aware_redirect(request: HttpRequest, url: str) -> HttpResponse:
    # An htmx request would swap the target page into a fragment; make the browser navigate.
    if getattr(request, "htmx", False):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


class SessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if user.is_authenticated:
            over = self._over(request)
            if over:
                logout(request)
                messages.info(request, over)
                login_url = redirect_to_login(request.get_full_path())["Location"]
                return _htmx_aware_redirect(request, login_url)
        response = self.get_response(request)
        user = request.user  # the view may have logged the user in or out
        if user.is_authenticated and request.session.session_key != request.session.get(
                SESSION_KEY):
            services.session_rekeyed(request=request, user=user)
        return response

    @staticmethod
    def _over(request: HttpRequest) -> str | None:
        """Why the session is over, or None after stamping the activity."""
        session, now = request.session, time.time()
        started, seen = session.get(LOGIN_AT), session.get(SEEN_AT)
        if isinstance(started, int | float) and now - started > settings.RISKCOMP_SESSION_MAX_AGE:
            return _("登录已超过 %(h)d 小时，为安全起见请重新登录。") % {
                "h": settings.RISKCOMP_SESSION_MAX_AGE // 3600}
        if isinstance(seen, int | float) and now - seen > settings.SESSION_COOKIE_AGE:
            return _("超过 %(m)d 分钟未操作，为安全起见请重新登录。") % {
                "m": settings.SESSION_COOKIE_AGE // 60}
        if not isinstance(started, int | float):
            session[LOGIN_AT] = now  # a session opened before this rule existed: count from now
        if not isinstance(seen, int | float) or now - seen >= settings.RISKCOMP_SESSION_TOUCH_EVERY:
            session[SEEN_AT] = now
        return None


# Views an unverified user may still reach: the 2FA step itself, and the ways out.
TWO_FACTOR_EXEMPT = frozenset({
    "accounts:two_factor", "accounts:two_factor_setup", "login", "logout", "set_language",
    "admin:logout",
})


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any],
                     view_args: Any, view_kwargs: Any) -> HttpResponse | None:
        user: Any = request.user
        if not user.is_authenticated or user.is_verified() or not two_factor_required(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in TWO_FACTOR_EXEMPT:
            return None
        url = f"{reverse('accounts:two_factor')}?{urlencode({'next': request.get_full_path()})}"
        return _htmx_aware_redirect(request, url)


# What any user may do for themselves, whatever their role.
PERSONAL_URLS = frozenset({
    "login", "logout", "set_language", "password_change", "password_change_done",
    "accounts:reauth", "accounts:session_end", "accounts:sessions",
    "accounts:two_factor", "accounts:two_factor_setup",
    "notifications:list", "notifications:open", "notifications:read_all",
})
READ_ONLY_ROLES = frozenset({Role.AUDITOR})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadOnlyRoleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, args: Any, kwargs: Any) -> None:
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return
        match = request.resolver_match
        if match is not None and match.view_name in PERSONAL_URLS:
            return
        if role_of(request.user) in READ_ONLY_ROLES:
            raise PermissionDenied(_("审计人员只能查阅，不能修改数据。"))

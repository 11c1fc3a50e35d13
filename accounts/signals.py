"""Every login registers its session; every logout forgets it. Logins, failed logins (and failed
password confirmations, which go through ``authenticate`` too), lockouts and logouts go to the
security trail."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse

from . import services
from .models import SecurityEvent


@receiver(user_logged_in, dispatch_uid="accounts.session_started")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.session_started(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.session_closed")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.session_closed(session_key=request.session.session_key)
    if user is not None:
        services.security_event(kind=SecurityEvent.Kind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="accounts.login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                  **kwargs: Any) -> None:
    username = str((credentials or {}).get("username") or "")
    if request is not None and request.path == reverse("accounts:reauth"):
        services.security_event(kind=SecurityEvent.Kind.REAUTH_FAILED, request=request,
                                user=request.user, username=username)
    else:
        services.security_event(kind=SecurityEvent.Kind.LOGIN_FAILED, request=request,
                                username=username)


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def _locked_out(sender: Any, request: HttpRequest | None = None, username: str | None = None,
                **kwargs: Any) -> None:
    services.security_event(kind=SecurityEvent.Kind.LOCKED_OUT, request=request,
                            username=username or "")

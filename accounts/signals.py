"""Every login registers its session; every logout forgets it."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from . import services


@receiver(user_logged_in, dispatch_uid="accounts.session_started")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.session_started(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.session_closed")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.session_closed(session_key=request.session.session_key)

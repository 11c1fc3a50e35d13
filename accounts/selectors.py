"""Reads for the account-security screens."""

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import UserSession

# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Version/", "Safari"))
_SYSTEMS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
            ("Mac OS X", "macOS"), ("Linux", "Linux"))


def describe_user_agent(user_agent: str) -> str:
    """A short "browser version · system" label for a User-Agent header, or the header itself
    (shortened) when it is none of the common browsers."""
    browser = next((f"{name} {m.group(1)}" for token, name in _BROWSERS
                    if (m := re.search(re.escape(token) + r"(\d+)", user_agent))), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    label = " · ".join(p for p in (browser, system) if p)
    return label or user_agent[:60]


def live_session_keys() -> QuerySet[Session, Mapping[str, Any]]:
    """Keys of the sessions that have not expired (database session backend)."""
    return Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")


def sessions_of(user: Any) -> Sequence[UserSession]:
    """The user's open sessions, newest login first, each with ``last_activity_at``.

    The activity stamp saves the session (at most once a minute), pushing its expiry
    SESSION_COOKIE_AGE ahead, so the last activity was that long before the expiry: the session
    data need not be decoded to know it."""
    now = timezone.now()
    oldest_login = now - timedelta(seconds=settings.RISKCOMP_SESSION_MAX_AGE)
    expiry = Session.objects.filter(session_key=OuterRef("session_key")).values("expire_date")
    rows = list(
        UserSession.objects.filter(user=user, created_at__gt=oldest_login)
        .annotate(expire_date=Subquery(expiry[:1]))
        .filter(expire_date__gt=now)
        .order_by("-created_at")
    )
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    for row in rows:
        row.last_activity_at = max(row.expire_date - idle, row.created_at)  # type: ignore[attr-defined]
        row.device = describe_user_agent(row.user_agent)  # type: ignore[attr-defined]
    return rows


def confirmed_totp_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()

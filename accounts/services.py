"""Writes for account security: the session register, TOTP enrolment and the security trail.
Each is one function, keyword-only, atomic; every security event is a ``SecurityEvent`` row and
a line of the ``riskcomp.security`` log."""

import logging
import secrets
import time
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import SecurityEvent, TotpEnrolmentCode, UserSession
from .security import LOGIN_AT, SEEN_AT, SESSION_KEY, mark_verified
from .selectors import live_session_keys

log = logging.getLogger("riskcomp.security")


def _client_ip(request: HttpRequest) -> str | None:
    # The same resolution django-axes uses, so the reverse-proxy settings apply to both.
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)


def security_event(*, kind: str, request: HttpRequest | None = None, user: Any = None,
                   username: str = "", detail: str = "") -> SecurityEvent:
    """Write one event of the security trail: who (the account, or the name as typed), from
    where (address and browser of ``request``), what, when."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    name = username or (user.get_username() if user is not None else "")
    event = SecurityEvent.objects.create(
        kind=kind, user=user, username=name[:150],
        ip_address=_client_ip(request) if request is not None else None,
        user_agent=request.headers.get("User-Agent", "")[:300] if request is not None else "",
        detail=detail[:300], at=timezone.now())
    log.info("%s user=%s name=%s ip=%s %s", kind, event.user_id, name, event.ip_address, detail)
    return event


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


@transaction.atomic
def session_started(*, request: HttpRequest, user: Any) -> UserSession:
    """Register the session a login has just opened, and forget the user's sessions that have
    expired since (so the register does not grow without bound)."""
    key = request.session.session_key
    if key is None:  # a session that was never saved has no key yet
        request.session.save()
        key = request.session.session_key
    UserSession.objects.filter(user=user).exclude(session_key__in=live_session_keys()).delete()
    row, _created = UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "user_agent": request.headers.get("User-Agent", "")[:300],
            "ip_address": _client_ip(request),
            "created_at": timezone.now(),
        },
    )
    request.session[LOGIN_AT] = request.session[SEEN_AT] = time.time()
    request.session[SESSION_KEY] = key
    mark_verified(request)
    security_event(kind=SecurityEvent.Kind.LOGIN, request=request, user=user)
    return row


@transaction.atomic
def session_rekeyed(*, request: HttpRequest, user: Any) -> None:
    """The session key changed under a logged-in user (a password change cycles it): follow it."""
    old, new = request.session.get(SESSION_KEY), request.session.session_key
    if new is None or old == new:
        return
    updated = (UserSession.objects.select_for_update()
               .filter(user=user, session_key=old).update(session_key=new))
    if not updated:
        UserSession.objects.update_or_create(session_key=new, defaults={
            "user": user, "user_agent": request.headers.get("User-Agent", "")[:300],
            "ip_address": _client_ip(request), "created_at": timezone.now()})
    request.session[SESSION_KEY] = new


@transaction.atomic
def session_closed(*, session_key: str | None) -> None:
    """The user logged out of this session."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def session_end(*, user_session: UserSession, actor: Any,
                request: HttpRequest | None = None) -> None:
    """End one of the actor's sessions (another device or browser): its session row is deleted,
    so its next request finds no session and is sent to the login page."""
    row = UserSession.objects.select_for_update().get(pk=user_session.pk, user=actor)
    _session_store()().delete(row.session_key)
    row.delete()
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the portal's language
        detail = _("结束了 %(ip)s 的会话（%(at)s 登录）") % {
            "ip": row.ip_address or "-",
            "at": f"{timezone.localtime(row.created_at):%Y-%m-%d %H:%M}"}
    security_event(kind=SecurityEvent.Kind.SESSION_ENDED, request=request, user=actor,
                   detail=detail)


@transaction.atomic
def sessions_end_others(*, actor: Any, keep_key: str | None,
                        request: HttpRequest | None = None) -> int:
    """End every session of the actor except the one making the request; returns how many."""
    rows = list(UserSession.objects.select_for_update().filter(user=actor)
                .exclude(session_key=keep_key or ""))
    store = _session_store()()
    for row in rows:
        store.delete(row.session_key)
    UserSession.objects.filter(pk__in=[r.pk for r in rows]).delete()
    with translation.override(settings.LANGUAGE_CODE):
        detail = _("结束了其他 %(n)d 个会话") % {"n": len(rows)}
    security_event(kind=SecurityEvent.Kind.SESSION_ENDED, request=request, user=actor,
                   detail=detail)
    return len(rows)


def totp_matches(key: str, token: str) -> int | None:
    """The time step ``token`` is valid for under the hex ``key`` (one step of clock drift either
    way), or None."""
    token = token.strip().replace(" ", "")
    if not (token.isdigit() and len(token) == 6):
        return None
    totp = TOTP(bytes.fromhex(key), step=30, t0=0, digits=6)
    totp.time = time.time()
    return totp.t() if totp.verify(int(token), tolerance=1) else None


# Letters and digits that cannot be mistaken for one another when read aloud or typed.
ENROLMENT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ENROLMENT_CODE_LENGTH = 12  # 60 bits: not guessable behind a password and the lockout


def normalize_enrolment_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


@transaction.atomic
def totp_enrolment_code_issue(*, user: Any, actor: Any,
                              request: HttpRequest | None = None) -> tuple[str, TotpEnrolmentCode]:
    """Issue a one-time enrolment code for ``user`` and return it in clear (to be shown once)
    with its row, which keeps only a hash. An earlier unused code of the user stops working.
    ``actor`` None is the server's command line (``manage.py totp_enrolment_code``)."""
    get_user_model().objects.select_for_update().get(pk=user.pk)
    raw = "".join(secrets.choice(ENROLMENT_CODE_ALPHABET) for _ in range(ENROLMENT_CODE_LENGTH))
    now = timezone.now()
    TotpEnrolmentCode.objects.filter(user=user, used_at__isnull=True).delete()
    row = TotpEnrolmentCode.objects.create(
        user=user, code_hash=make_password(raw), issued_by=actor, created_at=now,
        expires_at=now + timedelta(hours=settings.RISKCOMP_TOTP_ENROLMENT_CODE_HOURS))
    with translation.override(settings.LANGUAGE_CODE):
        detail = _("为用户 %(user)s 签发，有效至 %(until)s") % {
            "user": user.get_username(),
            "until": f"{timezone.localtime(row.expires_at):%Y-%m-%d %H:%M}"}
    security_event(kind=SecurityEvent.Kind.TOTP_CODE_ISSUED, request=request,
                   user=actor if actor is not None else user, detail=detail)
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4)), row


def live_enrolment_code(*, user: Any, code: str) -> TotpEnrolmentCode | None:
    """The user's unused, unexpired enrolment code if ``code`` is it, else None."""
    row = (TotpEnrolmentCode.objects
           .filter(user=user, used_at__isnull=True, expires_at__gt=timezone.now())
           .order_by("-created_at").first())
    if row is None or not check_password(normalize_enrolment_code(code), row.code_hash):
        return None
    return row


def enrolment_grant_live(*, user: Any, grant_id: Any) -> bool:
    """The enrolment code accepted earlier in this session (its row id) is still unused and
    unexpired: the administrator may have issued a new one since, or time may have run out."""
    return isinstance(grant_id, int) and TotpEnrolmentCode.objects.filter(
        pk=grant_id, user=user, used_at__isnull=True, expires_at__gt=timezone.now()).exists()


def enrolment_code_refused(*, user: Any, request: HttpRequest | None = None) -> None:
    """A wrong, spent or expired enrolment code was typed: recorded like a wrong token."""
    security_event(kind=SecurityEvent.Kind.TOTP_CODE_FAILED, request=request, user=user)


@transaction.atomic
def totp_device_enroll(*, user: Any, key: str, token: str, enrolment_code_id: int | None,
                       actor: Any, request: HttpRequest | None = None) -> TOTPDevice:
    """Confirm the authenticator the user has just set up with ``key``: the enrolment code the
    administrator issued (checked earlier, ``enrolment_code_id``) must still be live, and the
    token the authenticator shows must match. The code is spent. The user row is locked so two
    tabs can't enrol two devices."""
    get_user_model().objects.select_for_update().get(pk=user.pk)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError(_("您已绑定身份验证器。如需更换，请联系系统管理员重置。"))
    grant = (TotpEnrolmentCode.objects.select_for_update()
             .filter(pk=enrolment_code_id or 0, user=user, used_at__isnull=True,
                     expires_at__gt=timezone.now()).first())
    if grant is None:
        raise ValidationError(
            {"token": _("绑定码已失效，请联系系统管理员重新签发绑定码后再绑定。")})
    step = totp_matches(key, token)
    if step is None:
        raise ValidationError(
            {"token": _("验证码不正确。请确认手机时间准确，并输入身份验证器当前显示的 6 位数字。")})
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    grant.used_at = timezone.now()
    grant.save(update_fields=["used_at"])
    # The token just used may not be used again (last_t), as after any verification.
    device = TOTPDevice.objects.create(user=user, name=_("身份验证器"), key=key,
                                       confirmed=True, last_t=step)
    security_event(kind=SecurityEvent.Kind.TOTP_ENROLLED, request=request, user=user)
    return device

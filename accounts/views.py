"""Account security screens: the TOTP step after the password (enrolment on first use), the
"confirm your password" page before paying or confirming, "my sessions", the password change
and the lockout page django-axes shows after too many failed logins."""

import math
from typing import Any

import django_otp
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import services, totp
from .forms import EnrolmentCodeForm, ReauthForm, TokenForm
from .models import SecurityEvent, UserSession
from .security import (
    ENROLMENT_GRANT_KEY,
    PENDING_TOTP_KEY,
    mark_verified,
    replay_pending_post,
    safe_next,
    two_factor_required,
)
from .selectors import confirmed_totp_device, sessions_of


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _not_needed(request: HttpRequest) -> bool:
    user: Any = request.user
    return not two_factor_required(user) or user.is_verified()


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of the login for the roles that need it: a token from the authenticator."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if _not_needed(request):
        return redirect(next_url)
    device = confirmed_totp_device(request.user)
    if device is None:
        return redirect(_with_next("accounts:two_factor_setup", next_url))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, details = device.verify_is_allowed()
        verified = allowed and django_otp.verify_token(
            request.user, device.persistent_id, form.cleaned_data["token"])
        if verified:
            django_otp.login(request, verified)
            mark_verified(request)
            return redirect(next_url)
        services.security_event(kind=SecurityEvent.Kind.TOTP_FAILED, request=request,
                                user=request.user)
        if not allowed:
            wait = (details or {}).get("locked_until")
            form.add_error("token", _("验证失败次数过多，请稍后再试。")
                           if wait is None else _("验证失败次数过多，请在 %(t)s 后再试。")
                           % {"t": timezone.localtime(wait).strftime("%H:%M:%S")})
        else:
            form.add_error("token", _(
                "验证码不正确或已使用过。请输入身份验证器当前显示的 6 位数字。"))
    return render(request, "accounts/two_factor_verify.html", {
        "form": form, "next": next_url, "two_factor_pending": True})


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """First login of a user who needs a second factor. First the one-time enrolment code the
    administrator issued (a password alone must not let whoever logs in first bind their own
    phone); then a new secret as text and QR code, bound once the authenticator's first token
    matches."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if _not_needed(request):
        return redirect(next_url)
    if confirmed_totp_device(request.user) is not None:
        return redirect(_with_next("accounts:two_factor", next_url))
    grant = request.session.get(ENROLMENT_GRANT_KEY)
    if not services.enrolment_grant_live(user=request.user, grant_id=grant):
        request.session.pop(ENROLMENT_GRANT_KEY, None)
        return _enrolment_code_step(request, next_url)
    # The secret lives in the session until confirmed: opening the page writes nothing.
    key = request.session.get(PENDING_TOTP_KEY)
    if not isinstance(key, str) or len(key) != 40:
        key = request.session[PENDING_TOTP_KEY] = totp.new_key()
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_device_enroll(
                user=request.user, key=key, token=form.cleaned_data["token"],
                enrolment_code_id=grant, actor=request.user, request=request)
        except ValidationError as exc:
            for error in exc.messages:
                form.add_error("token", error)
        else:
            request.session.pop(PENDING_TOTP_KEY, None)
            request.session.pop(ENROLMENT_GRANT_KEY, None)
            django_otp.login(request, device)
            mark_verified(request)
            messages.success(request, _("身份验证器已绑定。今后登录时，输入密码后还需输入验证码。"))
            return redirect(next_url)
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "next": next_url, "two_factor_pending": True,
        "secret": totp.secret_for_display(key),
        "qr": totp.qr_data_uri(totp.config_url(request.user, key)),
    })


def _enrolment_code_step(request: HttpRequest, next_url: str) -> HttpResponse:
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        row = services.live_enrolment_code(user=request.user, code=form.cleaned_data["code"])
        if row is not None:
            request.session[ENROLMENT_GRANT_KEY] = row.pk
            return redirect(_with_next("accounts:two_factor_setup", next_url))
        services.enrolment_code_refused(user=request.user, request=request)
        form.add_error("code", _("绑定码不正确、已使用或已过期。请核对后重新输入，"
                                 "或联系系统管理员重新签发。"))
    return render(request, "accounts/two_factor_enrolment_code.html", {
        "form": form, "next": next_url, "two_factor_pending": True})


@login_required
def reauth(request: HttpRequest) -> HttpResponse:
    """Confirm the password (and the authenticator's token, for the roles with a second factor)
    before a sensitive action, then go back to it."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = ReauthForm(request.POST or None, request=request)
    if request.method == "POST":
        if form.is_valid():
            mark_verified(request)
            services.security_event(kind=SecurityEvent.Kind.REAUTH, request=request,
                                    user=request.user)
            replayed = replay_pending_post(request, next_url)
            return replayed if replayed is not None else redirect(next_url)
        if form.token_refused:  # a wrong password is recorded by the login-failure signal
            services.security_event(kind=SecurityEvent.Kind.TOTP_FAILED, request=request,
                                    user=request.user)
    return render(request, "accounts/reauth.html", {"form": form, "next": next_url})


@login_required
@require_safe
def session_list(request: HttpRequest) -> HttpResponse:
    """The user's open sessions: this one and any other browser or device."""
    return render(request, "accounts/sessions.html", {
        "sessions": sessions_of(request.user),
        "current_key": request.session.session_key,
    })


@login_required
@require_POST
def session_end(request: HttpRequest) -> HttpResponse:
    """End one other session (``session``) or all of them (``all``)."""
    current = request.session.session_key
    if request.POST.get("all"):
        n = services.sessions_end_others(actor=request.user, keep_key=current, request=request)
        messages.success(request, _("已结束其他 %(n)d 个会话。") % {"n": n})
        return redirect("accounts:sessions")
    pk = request.POST.get("session", "")
    row = get_object_or_404(UserSession, pk=int(pk) if pk.isdigit() else 0, user=request.user)
    if row.session_key == current:
        messages.info(request, _("当前会话请使用右上角的“退出”结束。"))
    else:
        services.session_end(user_session=row, actor=request.user, request=request)
        messages.success(request, _("已结束该会话，该设备需要重新登录。"))
    return redirect("accounts:sessions")


def lockout(request: HttpRequest, original_response: HttpResponse | None = None,
            credentials: dict[str, Any] | None = None) -> HttpResponse:
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): a page in Chinese saying why and for
    how long, with status 429."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    return render(request, "accounts/lockout.html", {"minutes": minutes}, status=429)


class PasswordChange(auth_views.PasswordChangeView):
    """Django's password change, written to the security trail."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.security_event(kind=SecurityEvent.Kind.PASSWORD_CHANGED, request=self.request,
                                user=form.user)
        return response

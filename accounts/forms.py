import copy
from typing import Any

import django_otp
from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .security import two_factor_required
from .selectors import confirmed_totp_device


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("6 位验证码"), max_length=8, min_length=6, strip=True,
        help_text=_("打开手机上的身份验证器（如 Microsoft Authenticator、Google Authenticator、"
                    "FreeOTP），输入本平台账号当前显示的数字。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True, "pattern": "[0-9 ]*"}))

    def clean_token(self) -> str:
        token: str = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("请输入 6 位数字。"))
        return token


class ReauthForm(forms.Form):
    """The password again and, for the roles that log in with a second factor, a fresh token:
    a session left open on an unattended desk does not pay with the password alone."""

    password = forms.CharField(
        label=_("登录密码"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}))

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)
        user: Any = request.user
        self.device = confirmed_totp_device(user) if two_factor_required(user) else None
        if self.device is not None:
            token = self.fields["token"] = copy.deepcopy(TokenForm.base_fields["token"])
            token.widget.attrs.pop("autofocus", None)

    def clean_token(self) -> str:
        return TokenForm.clean_token(self)  # type: ignore[arg-type]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The token is checked only after the password, so that a wrong password does not use up
        # the authenticator's throttle.
        if self.device is not None and not self.errors:
            allowed, _details = self.device.verify_is_allowed()
            if not allowed:
                self.add_error("token", _("验证失败次数过多，请稍后再试。"))
            elif django_otp.verify_token(self.request.user, self.device.persistent_id,
                                         cleaned["token"]) is None:
                self.add_error("token", _(
                    "验证码不正确或已使用过。请输入身份验证器当前显示的 6 位数字。"))
        return cleaned

    @property
    def token_refused(self) -> bool:
        """The password was right and the token was not."""
        return "token" in self.errors and "password" not in self.errors

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        user = self.request.user
        # Through authenticate(), so a wrong password counts toward the django-axes lockout
        # exactly as on the login page.
        checked = authenticate(self.request, username=user.get_username(), password=password)
        if checked is None or checked.pk != user.pk:
            raise forms.ValidationError(_("密码不正确。"))
        return password


class EnrolmentCodeForm(forms.Form):
    """The one-time code the administrator issued for binding an authenticator."""

    code = forms.CharField(
        label=_("绑定码"), max_length=40, strip=True,
        help_text=_("系统管理员为您签发的一次性绑定码（如 ABCD-EFGH-JKLM），有效期内使用一次。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True,
                                      "autocapitalize": "characters", "spellcheck": "false"}))
